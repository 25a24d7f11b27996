// What a registry answers before any JSON: WWW-Authenticate, Link and
// Retry-After headers, and the image config's history lined up with layers.
// The first byte picks the parser.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/header_parsing.hpp"
#include "scanners/layer/history.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: (void)regscan::parse_www_authenticate(in); break;
    case 1: (void)regscan::parse_next_link(in); break;
    case 2:
      (void)regscan::parse_retry_after(in, std::chrono::system_clock::time_point{},
                                       std::chrono::seconds(300));
      break;
    case 3: {
      std::vector<std::string> layers = {"sha256:a", "sha256:b", "sha256:c"};
      std::string note;
      auto steps = regscan::line_up_history(in, layers, &note);
      for (auto& layer : layers)
        (void)regscan::step_for_layer(steps, layer);
      break;
    }
  }
  return 0;
}
