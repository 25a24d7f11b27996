#include "connectors/tencent_api.hpp"

#include <ctime>

#include <simdjson.h>

#include "connectors/lister_util.hpp"
#include "connectors/tc3_signer.hpp"
#include "connectors/url.hpp"

namespace regscan {

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

tencent_api::tencent_api(const lister_config& cfg, sleep_fn sleep)
  : endpoint_(cfg.api_endpoint.empty() ? default_endpoint : cfg.api_endpoint),
    secret_id_(cfg.secret_id), secret_key_(cfg.secret_key), region_(cfg.region),
    api_(cfg.http, std::move(sleep)), now_([] { return static_cast<int64_t>(std::time(nullptr)); }) {
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
  tc3_request rq{secret_id_, secret_key_, "tcr", host_, action, api_version, region_, payload, now_()};
  auto r = api_.call("POST", endpoint_ + "/", tc3_headers(rq), &payload);
  if (!r)
    return r.err();
  if (r->status != 200)
    return make_error("Tencent Cloud API " + action + ": HTTP " + std::to_string(r->status));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r->body).get(doc))
    return make_error("Tencent Cloud API " + action + ": reply is not JSON");
  simdjson::dom::element err;
  if (!doc["Response"]["Error"].get(err))
    return make_error("Tencent Cloud API " + action + ": " + lister_util::str(err, "Code") + ": "
                      + lister_util::str(err, "Message"));
  return std::move(r->body);
}

} // namespace regscan
