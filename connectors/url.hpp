#pragma once
// Absolute http(s) URLs as the HTTP client needs them, and redirect targets.
#include <cstdint>
#include <string>
#include <string_view>

#include "scanners/expected.hpp"

namespace regscan {

struct url {
  std::string scheme;   // "http" or "https"
  std::string host;     // without brackets for IPv6 ("::1")
  uint16_t port = 0;    // always set: 80/443 when absent
  std::string target;   // path + query, at least "/"

  bool tls() const { return scheme == "https"; }
  /// "host" or "host:port" when the port is not the scheme's default;
  /// IPv6 hosts bracketed. This is what goes into the Host header.
  std::string authority() const;
  /// scheme://authority, the origin used to decide where credentials go.
  std::string origin() const;
  /// The full URL.
  std::string str() const;
  /// host[:port] plus the path without its query, for error messages.
  std::string describe() const;
};

/// Parses "http(s)://host[:port][/path][?query]". URLs with user info
/// ("user:pass@") are rejected so credentials never sit in a URL string.
expected<url> parse_url(std::string_view text);

/// Resolves a Location/Link value (absolute, scheme-relative "//host/x",
/// absolute path "/x" or relative path "x") against base.
expected<url> resolve_url(const url& base, std::string_view location);

/// True when scheme, host and port are equal (host compared case-insensitively).
bool same_origin(const url& a, const url& b);

} // namespace regscan
