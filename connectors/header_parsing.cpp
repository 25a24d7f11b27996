#include "connectors/header_parsing.hpp"

#include <cctype>
#include <ctime>

namespace regscan {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string read_token(std::string_view s, size_t& i) {
  auto start = i;
  while (i < s.size() && is_token_char(s[i]))
    ++i;
  return std::string(s.substr(start, i - start));
}

std::string read_quoted_or_token(std::string_view s, size_t& i) {
  if (i < s.size() && s[i] == '"') {
    std::string out;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size())
        ++i;
      out += s[i++];
    }
    if (i < s.size())
      ++i; // closing quote
    return out;
  }
  auto start = i;
  while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
    ++i;
  return std::string(s.substr(start, i - start));
}

} // namespace

std::vector<auth_challenge> parse_www_authenticate(std::string_view s) {
  std::vector<auth_challenge> out;
  size_t i = 0;
  while (i < s.size()) {
    skip_space(s, i);
    while (i < s.size() && (s[i] == ',' || s[i] == ' '))
      ++i;
    auto word = read_token(s, i);
    if (word.empty()) {
      ++i; // garbage: skip a byte rather than loop forever
      continue;
    }
    skip_space(s, i);
    if (i < s.size() && s[i] == '=' && !out.empty()) {
      // A parameter of the current challenge.
      ++i;
      skip_space(s, i);
      out.back().params[lower(word)] = read_quoted_or_token(s, i);
      continue;
    }
    out.push_back({lower(word), {}});
  }
  return out;
}

std::optional<std::string> parse_next_link(std::string_view s) {
  // Link: <url>; rel="next", <url2>; rel="prev"
  size_t i = 0;
  while (i < s.size()) {
    auto open = s.find('<', i);
    if (open == std::string_view::npos)
      return std::nullopt;
    auto close = s.find('>', open);
    if (close == std::string_view::npos)
      return std::nullopt;
    auto target = s.substr(open + 1, close - open - 1);
    auto end = s.find('<', close);
    auto params = lower(s.substr(close + 1, end == std::string_view::npos ? std::string_view::npos : end - close - 1));
    // rel may be quoted or not, and may list several relations.
    auto rel = params.find("rel=");
    if (rel != std::string::npos) {
      auto value = params.substr(rel + 4);
      if (!value.empty() && value.front() == '"')
        value = value.substr(1, value.find('"', 1) == std::string::npos ? std::string::npos : value.find('"', 1) - 1);
      else
        value = value.substr(0, value.find_first_of(";, "));
      size_t p = 0;
      while (p <= value.size()) {
        auto q = value.find(' ', p);
        if (value.substr(p, q == std::string::npos ? std::string::npos : q - p) == "next")
          return std::string(target);
        if (q == std::string::npos)
          break;
        p = q + 1;
      }
    }
    if (end == std::string_view::npos)
      break;
    i = end;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now,
                                                      std::chrono::seconds cap) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  bool digits = true;
  for (char c : value)
    digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9)
      return cap;
    auto n = std::chrono::seconds(std::stol(std::string(value)));
    return std::min(n, cap);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  std::string text(value);
  auto end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end)
    return std::nullopt;
  // In whole seconds: a date past 2262 overflows system_clock's nanoseconds.
  int64_t when = timegm(&tm);
  int64_t from = std::chrono::system_clock::to_time_t(now);
  if (when <= from)
    return std::chrono::seconds(0);
  return std::min(std::chrono::seconds(when - from), cap);
}

} // namespace regscan
