// What a control-socket client sends: the query string and the JSON body.
// The first newline splits the input into the two.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/front/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string_view query = in.substr(0, nl);
  std::string body(nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1));

  (void)regscan::percent_decode(query);
  for (const char* name : {"filter", "registry", "limit", "all", "q"})
    (void)regscan::query_param(query, name);

  regscan::json_body parsed(body);
  if (parsed.error.empty()) {
    for (const char* key : {"name", "images", "tags", "force"}) {
      (void)parsed.has(key);
      (void)parsed.str(key);
      (void)parsed.boolean(key, false);
      (void)parsed.integer(key, 0);
      (void)parsed.strs_or_csv(key);
      (void)parsed.strings(key);
    }
  }
  return 0;
}
