#include "connectors/url.hpp"

#include <algorithm>
#include <cctype>

namespace regscan {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint16_t default_port(const std::string& scheme) {
  return scheme == "https" ? 443 : 80;
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

} // namespace

std::string url::authority() const {
  auto out = bracketed(host);
  if (port != default_port(scheme))
    out += ":" + std::to_string(port);
  return out;
}

std::string url::origin() const {
  return scheme + "://" + authority();
}

std::string url::str() const {
  return origin() + target;
}

std::string url::describe() const {
  auto path = target.substr(0, target.find('?'));
  return authority() + path;
}

expected<url> parse_url(std::string_view text) {
  url out;
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return make_error("invalid URL: missing scheme");
  out.scheme = lower(text.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https")
    return make_error("invalid URL: unsupported scheme '" + out.scheme + "'");
  auto rest = text.substr(sep + 3);
  auto auth_end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, auth_end);
  auto tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos)
    return make_error("invalid URL: user info in URLs is not supported");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error("invalid URL: unterminated IPv6 address");
    out.host = lower(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return make_error("invalid URL: garbage after IPv6 address");
      port_text = after.substr(1);
    }
    if (out.host.empty() || !std::all_of(out.host.begin(), out.host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return make_error("invalid URL: bad IPv6 address");
  } else {
    auto colon = authority.find(':');
    out.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port_text = authority.substr(colon + 1);
    if (!std::all_of(out.host.begin(), out.host.end(), valid_host_char))
      return make_error("invalid URL: bad host name");
  }
  if (out.host.empty())
    return make_error("invalid URL: empty host");
  if (port_text.empty()) {
    out.port = default_port(out.scheme);
  } else {
    if (port_text.size() > 5
        || !std::all_of(port_text.begin(), port_text.end(),
                        [](char c) { return c >= '0' && c <= '9'; }))
      return make_error("invalid URL: bad port");
    auto p = std::stoul(std::string(port_text));
    if (p == 0 || p > 65535)
      return make_error("invalid URL: port out of range");
    out.port = static_cast<uint16_t>(p);
  }
  // The fragment never goes on the wire.
  tail = tail.substr(0, tail.find('#'));
  if (tail.empty())
    out.target = "/";
  else if (tail.front() == '?')
    out.target = "/" + std::string(tail);
  else
    out.target = std::string(tail);
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return make_error("invalid URL: control character or space in path");
  return out;
}

expected<url> resolve_url(const url& base, std::string_view location) {
  if (location.empty())
    return make_error("empty redirect location");
  auto scheme_end = location.find("://");
  auto first_special = location.find_first_of("/?#");
  if (scheme_end != std::string_view::npos
      && (first_special == std::string_view::npos || scheme_end < first_special))
    return parse_url(location);
  if (location.starts_with("//"))
    return parse_url(base.scheme + ":" + std::string(location));
  std::string target;
  if (location.front() == '/') {
    target = std::string(location);
  } else if (location.front() == '?') {
    target = base.target.substr(0, base.target.find('?')) + std::string(location);
  } else {
    auto path = base.target.substr(0, base.target.find('?'));
    auto slash = path.rfind('/');
    target = path.substr(0, slash + 1) + std::string(location);
  }
  return parse_url(base.origin() + target);
}

bool same_origin(const url& a, const url& b) {
  return a.scheme == b.scheme && lower(a.host) == lower(b.host) && a.port == b.port;
}

} // namespace regscan
