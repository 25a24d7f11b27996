// The store's record decoders: the first byte picks the record type, the rest
// is the stored JSON. A record that decodes must encode and decode again to
// the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "storage/record_codec.hpp"

namespace {

template <class Decode>
void round_trip(const char* what, std::string_view json, Decode decode) {
  auto first = decode(json);
  if (!first)
    return;
  std::string encoded = regscan::codec::encode(*first);
  auto second = decode(encoded);
  if (!second) {
    std::fprintf(stderr, "%s: re-encoded record does not decode: %s\n", what, encoded.c_str());
    __builtin_trap();
  }
  if (regscan::codec::encode(*second) != encoded) {
    std::fprintf(stderr, "%s: encoding is not stable: %s\n", what, encoded.c_str());
    __builtin_trap();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace codec = regscan::codec;
  if (size == 0)
    return 0;
  std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 9) {
    case 0: round_trip("registry", json, codec::decode_registry); break;
    case 1: round_trip("image", json, codec::decode_image); break;
    case 2: round_trip("task", json, codec::decode_task); break;
    case 3: round_trip("result", json, codec::decode_result); break;
    case 4: round_trip("findings", json, codec::decode_findings); break;
    case 5: (void)codec::decode_packages(json); break;
    case 6: round_trip("ecosystem_status", json, codec::decode_ecosystem_status); break;
    case 7: round_trip("schedule", json, codec::decode_schedule); break;
    case 8: round_trip("exception", json, codec::decode_exception); break;
  }
  (void)codec::utf8_safe(json);
  return 0;
}
