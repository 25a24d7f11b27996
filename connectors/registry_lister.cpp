#include "connectors/registry_lister.hpp"

#include <cstdio>
#include <random>
#include <thread>

#include <openssl/evp.h>

#include "connectors/header_parsing.hpp"

namespace regscan {

std::string basic_auth(const registry_credentials& creds) {
  auto in = creds.username + ":" + creds.password;
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string known_time(std::string_view t) {
  // Year 1 (any form of it) and the Unix epoch's "0" are placeholders.
  if (t.empty() || t.starts_with("0001-01-01") || t == "0")
    return {};
  return std::string(t);
}

bool is_harbor_robot(std::string_view username) {
  return username.starts_with("robot$") || username.starts_with("robot_");
}

api_caller::api_caller(http_options opts, sleep_fn sleep) : http_(opts), sleep_(std::move(sleep)) {
  if (!sleep_)
    sleep_ = [cancel = opts.cancel](std::chrono::milliseconds d) { cancellable_sleep(d, cancel); };
}

void api_caller::backoff(int attempt, std::chrono::milliseconds hint) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  if (hint.count() == 0) {
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    hint = std::chrono::milliseconds(static_cast<int64_t>(250.0 * (1 << (attempt - 1)) * jitter(rng)));
  }
  sleep_(hint);
}

expected<http_response> api_caller::call(std::string_view method, const std::string& url,
                                         const http_headers& headers, const std::string* body) {
  for (int attempt = 1;; ++attempt) {
    auto r = body ? http_.post(url, headers, *body) : http_.request(method, url, headers);
    std::chrono::milliseconds hint{0};
    if (!r) {
      if (attempt >= max_attempts || r.err().code != errc::transport)
        return r;
    } else {
      bool retry = r->status == 408 || r->status == 429 || (r->status >= 500 && r->status != 501);
      if (!retry || attempt >= max_attempts)
        return r;
      if (auto after = r->header("retry-after"); !after.empty())
        if (auto s = parse_retry_after(after, std::chrono::system_clock::now(), retry_after_cap))
          hint = *s;
    }
    backoff(attempt, hint);
  }
}

expected<std::unique_ptr<registry_lister>> make_lister(const lister_config& cfg, oci_client& registry,
                                                       sleep_fn sleep) {
  if (cfg.type == "docker-v2" || cfg.type.empty())
    return make_docker_v2_lister(cfg, registry, std::move(sleep));
  if (cfg.type == "harbor") {
    if (cfg.version == "V1")
      return make_harbor_v1_lister(cfg, std::move(sleep));
    if (cfg.version == "V2" || cfg.version.empty())
      return make_harbor_v2_lister(cfg, std::move(sleep));
    return make_error("harbor version must be V1 or V2, not " + cfg.version);
  }
  if (cfg.type == "tcr")
    return make_tcr_lister(cfg, std::move(sleep));
  if (cfg.type == "ccr")
    return make_ccr_lister(cfg, std::move(sleep));
  return make_error("unknown registry type " + cfg.type);
}

} // namespace regscan
