// The secret-rule loader: user rules in gitleaks' TOML format.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scanners/secrets/secret_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rules = regscan::parse_gitleaks_toml(
      std::string_view(reinterpret_cast<const char*>(data), size));
  (void)rules;
  return 0;
}
