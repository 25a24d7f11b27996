#include "connectors/tc3_signer.hpp"

#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace regscan {

std::string hmac_sha256_raw(const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex_of(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return hex_of(std::string(reinterpret_cast<char*>(out), sizeof out));
}

namespace {

std::string utc_date(int64_t ts) {
  std::time_t t = static_cast<std::time_t>(ts);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

} // namespace

std::string tc3_signature(const tc3_request& rq) {
  const std::string canonical = std::string("POST\n/\n\n") + "content-type:" + tc3_content_type + "\n"
                                + "host:" + rq.host + "\n\n" + "content-type;host\n"
                                + sha256_hex(rq.payload);
  const auto date = utc_date(rq.timestamp);
  const auto scope = date + "/" + rq.service + "/tc3_request";
  const auto to_sign = "TC3-HMAC-SHA256\n" + std::to_string(rq.timestamp) + "\n" + scope + "\n"
                       + sha256_hex(canonical);
  auto k_date = hmac_sha256_raw("TC3" + rq.secret_key, date);
  auto k_service = hmac_sha256_raw(k_date, rq.service);
  auto k_signing = hmac_sha256_raw(k_service, "tc3_request");
  return hex_of(hmac_sha256_raw(k_signing, to_sign));
}

std::string tc3_authorization(const tc3_request& rq) {
  return "TC3-HMAC-SHA256 Credential=" + rq.secret_id + "/" + utc_date(rq.timestamp) + "/" + rq.service
         + "/tc3_request, SignedHeaders=content-type;host, Signature=" + tc3_signature(rq);
}

http_headers tc3_headers(const tc3_request& rq) {
  http_headers h{{"Authorization", tc3_authorization(rq)},
                 {"Content-Type", tc3_content_type},
                 {"X-TC-Action", rq.action},
                 {"X-TC-Timestamp", std::to_string(rq.timestamp)},
                 {"X-TC-Version", rq.version}};
  if (!rq.region.empty())
    h.emplace_back("X-TC-Region", rq.region);
  return h;
}

} // namespace regscan
