#pragma once
// Small JSON helpers shared by the listers (internal to connectors/).
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace regscan::lister_util {

inline std::string str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) ? std::string{} : std::string(v);
}

inline uint64_t u64(simdjson::dom::element e, std::string_view key) {
  uint64_t v = 0;
  if (!e[key].get(v))
    return v;
  int64_t s = 0;
  if (!e[key].get(s) && s > 0)
    return static_cast<uint64_t>(s);
  double d = 0;
  if (!e[key].get(d) && d > 0)
    return static_cast<uint64_t>(d);
  return 0;
}

inline int64_t i64(simdjson::dom::element e, std::string_view key, int64_t fallback = 0) {
  int64_t v = 0;
  return e[key].get(v) ? fallback : v;
}

} // namespace regscan::lister_util
