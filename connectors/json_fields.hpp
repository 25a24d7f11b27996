#pragma once
// Small simdjson DOM helpers shared by the registry client's parsers: a
// missing or mistyped field reads as empty (or the fallback), never throws.
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace regscan::json {

/// Parses into a caller-owned parser: the returned element borrows from it.
inline bool parse(simdjson::dom::parser& parser, std::string_view text, simdjson::dom::element& out) {
  simdjson::padded_string padded(text);
  return !parser.parse(padded).get(out);
}

inline std::string str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get(v))
    return {};
  return std::string(v);
}

inline uint64_t u64(simdjson::dom::element e, std::string_view key) {
  uint64_t v = 0;
  if (e[key].get(v))
    return 0;
  return v;
}

inline int64_t i64(simdjson::dom::element e, std::string_view key, int64_t fallback) {
  int64_t v = 0;
  if (e[key].get(v))
    return fallback;
  return v;
}

} // namespace regscan::json
