#pragma once
// Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256, as documented in
// Tencent Cloud's "Signature v3" API reference: POST with a JSON body,
// signed headers content-type and host.
#include <cstdint>
#include <string>

#include "connectors/http_client.hpp"

namespace regscan {

struct tc3_request {
  std::string secret_id, secret_key;
  std::string service;  // "tcr"
  std::string host;     // "tcr.tencentcloudapi.com"
  std::string action, version, region;
  std::string payload;  // the JSON body
  int64_t timestamp = 0;
};

inline constexpr const char* tc3_content_type = "application/json; charset=utf-8";

/// The hex signature of a request.
std::string tc3_signature(const tc3_request& rq);
/// The Authorization header value.
std::string tc3_authorization(const tc3_request& rq);
/// Every header a signed call needs (Authorization, Content-Type, X-TC-*).
http_headers tc3_headers(const tc3_request& rq);

/// Lowercase hex of HMAC-SHA256 / SHA-256 (exposed for tests).
std::string hmac_sha256_raw(const std::string& key, const std::string& msg);
std::string hex_of(const std::string& bytes);
std::string sha256_hex(const std::string& bytes);

} // namespace regscan
