// One OSV record as the vulnerability database import reads it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scanners/match/osv_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record = regscan::parse_osv_record(
      std::string_view(reinterpret_cast<const char*>(data), size));
  (void)record;
  return 0;
}
