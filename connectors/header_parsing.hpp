#pragma once
// Parsers for the HTTP headers the registry protocol leans on:
// WWW-Authenticate challenges, Link pagination and Retry-After.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace regscan {

struct auth_challenge {
  std::string scheme;                        // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params; // lowercase keys: realm, service, scope
};

/// Parses a WWW-Authenticate value; several challenges may be listed.
std::vector<auth_challenge> parse_www_authenticate(std::string_view value);

/// The target of the rel="next" entry of a Link header, if any.
std::optional<std::string> parse_next_link(std::string_view value);

/// Retry-After as delta-seconds or an HTTP date (relative to now), capped.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now,
                                                      std::chrono::seconds cap);

} // namespace regscan
