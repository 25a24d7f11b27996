#include "connectors/tencent_api.hpp"

#include <ctime>

#include <simdjson.h>

#include "connectors/lister_util.hpp"
#include "connectors/tc3_signer.hpp"
#include "connectors/url.hpp"

namespace regscan {

tencent_api::tencent_api(const lister_config& cfg, sleep_fn sleep)
  : endpoint_(cfg.api_endpoint.empty() ? default_endpoint : cfg.api_endpoint),
    secret_id_(cfg.secret_id), secret_key_(cfg.secret_key), token_(cfg.secret_token), region_(cfg.region),
    api_(cfg.http, std::move(sleep)), now_([] { return static_cast<int64_t>(std::time(nullptr)); }) {
  // A bare host ("tcr.intl.tencentcloudapi.com") is an HTTPS endpoint.
  if (endpoint_.find("://") == std::string::npos)
    endpoint_ = "https://" + endpoint_;
  while (endpoint_.size() > 8 && endpoint_.back() == '/')
    endpoint_.pop_back();
  auto u = parse_url(endpoint_);
  if (!u)
    error_ = "bad Tencent Cloud API endpoint " + endpoint_ + ": " + u.err().message;
  else
    host_ = u->authority(); // the signed host must equal the Host header sent
  if (secret_id_.empty() || secret_key_.empty())
    error_ = "listing a Tencent registry needs a SecretId and SecretKey (Tencent Cloud API keys)";
}

expected<std::string> tencent_api::call(const std::string& action, const std::string& payload) {
  if (!error_.empty())
    return make_error(error_);
  for (int attempt = 1;; ++attempt) {
    // Signed anew each time: the signature covers the timestamp.
    tc3_request rq{secret_id_, secret_key_, "tcr", host_, action, api_version, region_, payload, now_()};
    auto headers = tc3_headers(rq);
    // Temporary (STS / role) credentials: the token goes beside the
    // signature, outside the signed headers.
    if (!token_.empty())
      headers.emplace_back("X-TC-Token", token_);
    auto r = api_.call("POST", endpoint_ + "/", headers, &payload);
    if (!r)
      return r.err();
    if (r->status != 200)
      return make_error("Tencent Cloud API " + action + ": HTTP " + std::to_string(r->status));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r->body).get(doc))
      return make_error("Tencent Cloud API " + action + ": reply is not JSON");
    simdjson::dom::element err;
    if (doc["Response"]["Error"].get(err))
      return std::move(r->body);
    // The API reports its rate limit and passing faults as HTTP 200 with an
    // error code (the common error codes of API 3.0): those are retried.
    auto code = lister_util::str(err, "Code");
    bool passing = code == "RequestLimitExceeded" || code.starts_with("RequestLimitExceeded.")
                   || code == "InternalError";
    if (!passing || attempt >= api_caller::max_attempts)
      return make_error("Tencent Cloud API " + action + ": " + code + ": " + lister_util::str(err, "Message"));
    api_.backoff(attempt);
  }
}

} // namespace regscan
