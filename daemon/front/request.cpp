#include "daemon/front/request.hpp"

#include <cstdlib>

namespace regscan {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = std::string(s.substr(i + 1, 2));
      char* end = nullptr;
      long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    auto eq = part.find('=');
    if (part.substr(0, eq) == name)
      return eq == std::string_view::npos ? "1" : percent_decode(part.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::vector<std::string> json_body::strs_or_csv(const char* key) const {
  auto out = strings(key);
  if (!out.empty())
    return out;
  auto csv = str(key);
  size_t at = 0;
  while (at < csv.size()) {
    auto comma = csv.find(',', at);
    auto part = csv.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!part.empty())
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return out;
}

std::vector<std::string> json_body::strings(const char* key) const {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (root[key].get(arr))
    return out;
  for (auto e : arr) {
    std::string_view v;
    if (!e.get(v))
      out.emplace_back(v);
  }
  return out;
}

} // namespace regscan
