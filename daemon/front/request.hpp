#pragma once
// Parsing what a control-socket client sent: the query string and the JSON
// body.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace regscan {

std::string percent_decode(std::string_view s);

/// The value of one query parameter, decoded; empty when absent, "1" when
/// given without a value.
std::string query_param(std::string_view query, std::string_view name);

/// Request bodies are small JSON objects of strings, numbers and booleans.
struct json_body {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string error; // "" = parsed

  explicit json_body(const std::string& body) {
    if (parser.parse(body).get(root) || !root.is_object())
      error = "request body is not a JSON object";
  }
  bool has(const char* key) const { return !root[key].error(); }
  std::string str(const char* key) const {
    std::string_view v;
    if (root[key].get(v))
      return {};
    return std::string(v);
  }
  bool boolean(const char* key, bool fallback) const {
    bool v;
    return root[key].get(v) ? fallback : v;
  }
  int64_t integer(const char* key, int64_t fallback) const {
    int64_t v;
    return root[key].get(v) ? fallback : v;
  }
  /// A JSON array of strings, or one comma-separated string.
  std::vector<std::string> strs_or_csv(const char* key) const;
  std::vector<std::string> strings(const char* key) const;
};

} // namespace regscan
