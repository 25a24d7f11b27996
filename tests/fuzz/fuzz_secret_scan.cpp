// The secret scanner over file content and over an image config, with the
// built-in rules: what a hostile image's files and config give it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/secrets/config_secrets.hpp"
#include "scanners/secrets/secret_scanner.hpp"

using namespace regscan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto scanner = [] {
    auto s = secret_scanner::build({}, "fuzz-key");
    if (!s)
      std::abort();
    return *s;
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<secret_finding> found;
  scanner->scan("app/config.env", in, found);
  if (found.size() > 1000)
    std::abort(); // the documented cap per content
  for (auto& f : found)
    if (f.line < 1 || f.masked.empty() || f.fingerprint.empty())
      std::abort();
  (void)config_secrets(*scanner, in, {"sha256:a", "sha256:b"});
  return 0;
}
