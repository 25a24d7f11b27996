#include "connectors/oci_client.hpp"

#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "connectors/header_parsing.hpp"
#include "connectors/json_fields.hpp"
#include "connectors/sha256.hpp"

namespace regscan {
namespace {

constexpr size_t page_size = 100;
constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
const std::string accept_manifests = std::string(docker_manifest) + ", " + std::string(oci_manifest)
                                     + ", " + std::string(docker_list) + ", " + std::string(oci_index);

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string url_encode(std::string_view s) {
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

bool retryable(int status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501);
}

std::string auth_failed(const url& base) {
  return "authentication failed for " + base.authority() + ": check username/password";
}

} // namespace

bool valid_repository_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/')
    return false;
  char prev = '/';
  for (char c : name) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool sep = c == '.' || c == '_' || c == '-';
    if (!alnum && !sep && c != '/')
      return false;
    // Components start with alnum: no "..", no "//", no "/.".
    if (prev == '/' && !alnum)
      return false;
    prev = c;
  }
  return true;
}

bool valid_reference(std::string_view ref) {
  if (is_sha256_digest(ref))
    return true;
  if (ref.empty() || ref.size() > 128)
    return false;
  for (size_t i = 0; i < ref.size(); ++i) {
    char c = ref[i];
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-')))
      return false;
  }
  return true;
}

oci_client::oci_client(std::string address, registry_credentials creds, http_options opts)
  : creds_(std::move(creds)), http_(opts) {
  if (address.find("://") == std::string::npos)
    address = "https://" + address;
  auto parsed = parse_url(address);
  if (parsed) {
    base_ = *parsed;
    // A registry mounted under a path prefix keeps it, without a trailing slash.
    auto path = base_.target.substr(0, base_.target.find('?'));
    while (!path.empty() && path.back() == '/')
      path.pop_back();
    base_.target = path;
  } else {
    base_error_ = "invalid registry address: " + parsed.err().message;
  }
  sleep_ = [cancel = opts.cancel](std::chrono::milliseconds d) { cancellable_sleep(d, cancel); };
}

std::string oci_client::endpoint(const std::string& path) const {
  return base_.origin() + base_.target + path;
}

error oci_client::status_error(const http_response& r, std::string_view what) const {
  std::string msg = std::string(what) + ": " + base_.authority() + " answered HTTP "
                    + std::to_string(r.status);
  // Distribution's error body: {"errors":[{"code":..,"message":..}]}.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array errs;
  if (!r.body.empty() && json::parse(parser, r.body, doc) && !doc["errors"].get(errs)) {
    for (auto e : errs) {
      auto code = json::str(e, "code");
      auto text = json::str(e, "message");
      msg += " (" + code + (text.empty() ? "" : ": " + text) + ")";
      break;
    }
  }
  return make_error(status_code(r.status), msg);
}

expected<http_response> oci_client::send(std::string_view method, const std::string& target,
                                         const http_headers& headers,
                                         const http_client::body_sink* sink, uint64_t limit) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (int attempt = 1;; ++attempt) {
    bool delivered = false;
    bool sink_failed = false;
    std::string body;
    auto wrapped = [&](const uint8_t* p, size_t n) -> expected<void> {
      delivered = true;
      expected<void> ok;
      if (sink) {
        ok = (*sink)(p, n);
      } else if (body.size() + n > limit) {
        ok = make_error(std::string(method) + " " + base_.authority()
                        + ": response body exceeds the limit of " + std::to_string(limit)
                        + " bytes");
      } else {
        body.append(reinterpret_cast<const char*>(p), n);
      }
      sink_failed = !ok;
      return ok;
    };
    // Manifests and tokens are small: their whole exchange has a deadline.
    auto r = http_.stream(method, target, headers, wrapped, sink == nullptr);
    std::chrono::milliseconds delay{0};
    if (!r) {
      // Bytes already handed to a sink cannot be taken back; a certificate
      // problem will not fix itself.
      if (delivered || sink_failed || attempt >= max_attempts || r.err().code != errc::transport)
        return r;
    } else if (!retryable(r->status) || attempt >= max_attempts) {
      if (!sink && r->status >= 200 && r->status < 300)
        r->body = std::move(body);
      return r;
    } else {
      auto after = r->header("retry-after");
      if (!after.empty())
        if (auto s = parse_retry_after(after, std::chrono::system_clock::now(), std::chrono::seconds(60)))
          delay = *s;
    }
    if (delay.count() == 0) {
      // Jittered exponential backoff: 250 ms, 500 ms, 1 s (x0.5..1.5).
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      delay = std::chrono::milliseconds(static_cast<int64_t>(250.0 * (1 << (attempt - 1)) * jitter(rng)));
    }
    sleep_(delay);
  }
}

expected<std::string> oci_client::fetch_token(const std::string& scope) {
  auto realm = parse_url(realm_);
  if (!realm)
    return make_error(errc::unauthorized, "bad token realm from " + base_.authority() + ": " + realm.err().message);
  bool with_creds = !creds_.username.empty();
  // Never downgrade from TLS to plain HTTP: the token (and the credentials
  // that may go with its request) would travel in clear.
  if (base_.tls() && !realm->tls())
    return make_error(errc::invalid, "refusing plain-HTTP token realm " + realm->authority()
                                         + " of the TLS registry " + base_.authority());
  auto target = realm->str();
  auto sep = target.find('?') == std::string::npos ? '?' : '&';
  if (!service_.empty()) {
    target += sep + std::string("service=") + url_encode(service_);
    sep = '&';
  }
  if (!scope.empty())
    target += sep + std::string("scope=") + url_encode(scope);
  http_headers headers;
  if (with_creds)
    headers.emplace_back("Authorization", "Basic " + base64(creds_.username + ":" + creds_.password));
  auto r = send("GET", target, headers, nullptr, 1u << 20);
  if (!r)
    return r.err();
  if (r->status == 401 || r->status == 403)
    return make_error(errc::unauthorized, auth_failed(base_));
  if (r->status != 200)
    return status_error(*r, "token request to " + realm->authority());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!json::parse(parser, r->body, doc))
    return make_error(errc::unauthorized, "token response from " + realm->authority() + " is not JSON");
  auto token = json::str(doc, "token");
  if (token.empty())
    token = json::str(doc, "access_token");
  if (token.empty())
    return make_error(errc::unauthorized, "token response from " + realm->authority() + " has no token");
  // Tokens without expires_in last 60 s (the distribution token spec).
  auto ttl = std::max<int64_t>(json::i64(doc, "expires_in", 60), 60);
  auto margin = std::min<int64_t>(30, ttl / 4);
  tokens_[scope] = {token, std::chrono::steady_clock::now() + std::chrono::seconds(ttl - margin)};
  return token;
}

expected<std::string> oci_client::authorization(const std::string& scope, bool refresh) {
  switch (mode_) {
    case auth_mode::unknown:
      return std::string{};
    case auth_mode::basic:
      return "Basic " + base64(creds_.username + ":" + creds_.password);
    case auth_mode::bearer: {
      auto it = tokens_.find(scope);
      if (!refresh && it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
        return "Bearer " + it->second.token;
      if (handed_token_)
        return make_error(errc::unavailable, "the pull token for " + base_.authority()
                                               + " handed for this scan has expired");
      auto token = fetch_token(scope);
      if (!token)
        return token.err();
      return "Bearer " + *token;
    }
  }
  return std::string{};
}

expected<http_response> oci_client::call(std::string_view method, const std::string& target,
                                         const std::string& scope, const http_headers& headers,
                                         const http_client::body_sink* sink, uint64_t limit) {
  if (!base_error_.empty())
    return make_error(base_error_);
  std::string token_scope = scope;
  for (int round = 0; round < 3; ++round) {
    auto cached = tokens_.find(token_scope);
    bool had_token = cached != tokens_.end()
                     && cached->second.expires > std::chrono::steady_clock::now();
    auto auth = authorization(token_scope, false);
    if (!auth)
      return auth.err();
    // Fresh credentials that still get a 401 are wrong, not stale.
    bool fresh = mode_ == auth_mode::basic || (mode_ == auth_mode::bearer && !had_token);
    auto hdrs = headers;
    if (!auth->empty())
      hdrs.emplace_back("Authorization", *auth);
    auto r = send(method, target, hdrs, sink, limit);
    if (!r || r->status != 401)
      return r;
    if (handed_token_)
      return make_error(errc::unavailable, std::string(method) + " " + base_.authority()
                                             + ": HTTP 401 for the pull token handed for this scan");
    // Only the registry's own challenge is acted on. A host that a redirect
    // led to (blob storage) could otherwise name a realm of its choosing and
    // collect the registry's credentials there.
    auto answered = parse_url(r->url);
    if (!answered || !same_origin(*answered, base_))
      return make_error(errc::unauthorized,
                        std::string(method) + " " + (answered ? answered->describe() : r->url)
                          + ": answered HTTP 401 after a redirect from " + base_.authority()
                          + "; only the registry's own authentication challenge is followed");
    auto challenges = parse_www_authenticate(r->header("www-authenticate"));
    const auth_challenge* bearer = nullptr;
    const auth_challenge* basic = nullptr;
    for (auto& c : challenges) {
      if (c.scheme == "bearer" && !bearer)
        bearer = &c;
      if (c.scheme == "basic" && !basic)
        basic = &c;
    }
    // A fresh token for another scope than the challenge names is not a
    // credentials problem: ask again for the scope the registry wants.
    bool other_scope = bearer && bearer->params.contains("scope")
                       && !bearer->params.at("scope").empty()
                       && bearer->params.at("scope") != token_scope;
    if (fresh && !other_scope) {
      if (bearer && bearer->params.contains("error") && bearer->params.at("error") == "insufficient_scope")
        return make_error(errc::forbidden, "access denied by " + base_.authority() + " for " + token_scope);
      return make_error(errc::unauthorized, auth_failed(base_));
    }
    if (bearer && bearer->params.contains("realm")) {
      mode_ = auth_mode::bearer;
      realm_ = bearer->params.at("realm");
      service_ = bearer->params.contains("service") ? bearer->params.at("service") : "";
      if (bearer->params.contains("scope") && !bearer->params.at("scope").empty())
        token_scope = bearer->params.at("scope");
      tokens_.erase(token_scope);
    } else if (basic) {
      if (creds_.username.empty())
        return make_error(errc::unauthorized, "authentication required by " + base_.authority()
                          + ": no username/password configured");
      mode_ = auth_mode::basic;
    } else {
      return make_error(errc::unauthorized, auth_failed(base_));
    }
  }
  return make_error(errc::unauthorized, auth_failed(base_));
}

expected<std::optional<oci_client::pull_token>> oci_client::pull_token_for(const std::string& repo) {
  if (mode_ != auth_mode::bearer)
    return std::optional<pull_token>{};
  // A fresh one: the worker gets the token's whole life.
  auto scope = "repository:" + repo + ":pull";
  auto token = fetch_token(scope);
  if (!token)
    return token.err();
  auto left = std::chrono::duration_cast<std::chrono::seconds>(tokens_[scope].expires
                                                               - std::chrono::steady_clock::now());
  return std::optional<pull_token>{pull_token{*token, std::max<int64_t>(left.count(), 1)}};
}

void oci_client::use_pull_token(const std::string& repo, const pull_token& token) {
  mode_ = auth_mode::bearer;
  handed_token_ = true;
  tokens_["repository:" + repo + ":pull"] = {
    token.token, std::chrono::steady_clock::now() + std::chrono::seconds(token.valid_seconds)};
}

expected<void> oci_client::ping() {
  auto r = call("GET", endpoint("/v2/"), "");
  if (!r)
    return r.err();
  if (r->status == 200)
    return {};
  if (r->status == 404)
    return make_error(errc::not_found, base_.authority() + " does not serve the registry v2 API (GET /v2/ -> 404)");
  return status_error(*r, "ping");
}

expected<std::vector<std::string>> oci_client::paginate(const std::string& first,
                                                        const std::string& scope, const char* key) {
  std::vector<std::string> out;
  std::set<std::string> names;
  std::set<std::string> visited;
  std::string next = first;
  for (int page = 0; page < max_pages; ++page) {
    if (!visited.insert(next).second)
      return out; // a Link loop
    auto r = call("GET", next, scope);
    if (!r)
      return r.err();
    if (r->status != 200)
      return status_error(*r, std::string("listing ") + key);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!json::parse(parser, r->body, doc))
      return make_error(std::string("listing ") + key + ": " + base_.authority()
                        + " returned invalid JSON");
    simdjson::dom::array items;
    size_t count = 0, added = 0;
    std::string last;
    if (!doc[key].get(items)) { // "tags": null is an empty list
      for (auto item : items) {
        std::string_view v;
        if (item.get(v))
          continue;
        ++count;
        last = std::string(v);
        if (names.insert(last).second) {
          out.push_back(last);
          ++added;
        }
      }
    }
    if (added == 0)
      return out; // an empty page, or one that only repeats
    auto link = parse_next_link(r->header("link"));
    if (!link) {
      // Registries without Link headers: a full page means "ask after the
      // last name" (the n/last parameters of the distribution API).
      if (count < page_size)
        return out;
      next = first.substr(0, first.find('?')) + "?n=" + std::to_string(page_size)
             + "&last=" + url_encode(last);
      continue;
    }
    auto here = parse_url(next);
    auto resolved = here ? resolve_url(*here, *link) : here;
    // The next page must stay on the registry: credentials go with it.
    if (!resolved || !same_origin(*resolved, base_))
      return make_error(std::string("listing ") + key + ": " + base_.authority()
                        + " sent a pagination link to another host");
    next = resolved->str();
  }
  // A listing cut short must not pass for the whole: sync removes what it lacks.
  return make_error(std::string("listing ") + key + ": " + base_.authority() + " sent more than "
                    + std::to_string(max_pages) + " pages");
}

expected<std::vector<std::string>> oci_client::catalog() {
  return paginate(endpoint("/v2/_catalog?n=" + std::to_string(page_size)), "registry:catalog:*", "repositories");
}

expected<std::vector<std::string>> oci_client::tags(const std::string& repo) {
  if (!valid_repository_name(repo))
    return make_error(errc::invalid, "invalid repository name '" + repo + "'");
  return paginate(endpoint("/v2/" + repo + "/tags/list?n=" + std::to_string(page_size)), "repository:" + repo + ":pull",
                  "tags");
}

expected<std::string> oci_client::head_manifest(const std::string& repo, const std::string& reference) {
  if (!valid_repository_name(repo) || !valid_reference(reference))
    return make_error(errc::invalid, "invalid image reference '" + repo + ":" + reference + "'");
  auto r = call("HEAD", endpoint("/v2/" + repo + "/manifests/" + reference),
                "repository:" + repo + ":pull", {{"Accept", accept_manifests}});
  if (!r)
    return r.err();
  if (r->status != 200)
    return status_error(*r, "manifest " + repo + ":" + reference);
  auto digest = r->header("docker-content-digest");
  if (is_sha256_digest(digest))
    return digest;
  // Some registries omit the header on HEAD: fall back to the manifest itself.
  auto m = fetch_manifest(repo, reference);
  if (!m)
    return m.err();
  return m->digest;
}

expected<oci_client::manifest_bytes> oci_client::fetch_manifest(const std::string& repo,
                                                                const std::string& reference) {
  auto what = repo + (is_sha256_digest(reference) ? "@" : ":") + reference;
  auto r = call("GET", endpoint("/v2/" + repo + "/manifests/" + reference),
                "repository:" + repo + ":pull", {{"Accept", accept_manifests}}, nullptr,
                max_manifest_size);
  if (!r) {
    if (r.err().message.find("exceeds the limit") != std::string::npos)
      return make_error(errc::limit, "manifest " + what + " is larger than 4 MiB");
    return r.err();
  }
  if (r->status != 200)
    return status_error(*r, "manifest " + what);
  manifest_bytes m;
  m.body = std::move(r->body);
  m.digest = sha256_digest(m.body);
  auto expect = is_sha256_digest(reference) ? reference : r->header("docker-content-digest");
  if (!expect.empty() && expect.starts_with("sha256:") && expect != m.digest)
    return make_error(errc::corrupt, "digest mismatch for manifest " + what + ": got " + m.digest);
  auto media_type = manifest_media_type(m.body, r->header("content-type"), what);
  if (!media_type)
    return media_type.err();
  m.media_type = std::move(*media_type);
  return m;
}

expected<std::string> oci_client::fetch_small_blob(const std::string& repo, const std::string& digest) {
  std::string out;
  auto ok = fetch_blob(repo, digest, [&](const uint8_t* p, size_t n) -> expected<void> {
    if (out.size() + n > max_manifest_size)
      return make_error(errc::limit, "blob " + digest + " is larger than 4 MiB");
    out.append(reinterpret_cast<const char*>(p), n);
    return {};
  });
  if (!ok)
    return ok.err();
  return out;
}

expected<oci_image> oci_client::image_from(const std::string& repo, const manifest_bytes& m) {
  auto img = parse_image_manifest(m.body, repo, m.digest, m.media_type);
  if (!img || !img->artifact_type.empty() || img->config_digest.empty())
    return img; // not an image: nothing to pull
  auto blob = fetch_small_blob(repo, img->config_digest);
  if (!blob)
    return blob.err();
  img->config_json = std::move(*blob);
  read_image_config(*img);
  return img;
}

expected<std::vector<oci_image>> oci_client::resolve(const std::string& repo,
                                                     const std::string& reference) {
  if (!valid_repository_name(repo) || !valid_reference(reference))
    return make_error(errc::invalid, "invalid image reference '" + repo + ":" + reference + "'");
  auto tag = is_sha256_digest(reference) ? std::string{} : reference;
  auto top = fetch_manifest(repo, reference);
  if (!top)
    return top.err();
  std::vector<oci_image> out;
  if (!is_index_media_type(top->media_type)) {
    auto img = image_from(repo, *top);
    if (!img)
      return img.err();
    img->tag = tag;
    out.push_back(std::move(*img));
    return out;
  }
  auto wanted = parse_index(top->body, repo + "@" + top->digest);
  if (!wanted)
    return wanted.err();
  for (auto& w : *wanted) {
    auto m = fetch_manifest(repo, w.digest);
    if (!m)
      return m.err();
    if (is_index_media_type(m->media_type))
      continue;
    auto img = image_from(repo, *m);
    if (!img)
      return img.err();
    img->tag = tag;
    img->index_digest = top->digest;
    img->index_media_type = top->media_type;
    if (img->os.empty())
      img->os = w.os;
    if (img->architecture.empty())
      img->architecture = w.architecture;
    if (img->variant.empty())
      img->variant = w.variant;
    out.push_back(std::move(*img));
  }
  return out;
}

expected<void> oci_client::fetch_blob(const std::string& repo, const std::string& digest,
                                      const http_client::body_sink& sink,
                                      std::optional<uint64_t> size) {
  if (!valid_repository_name(repo))
    return make_error(errc::invalid, "invalid repository name '" + repo + "'");
  if (!is_sha256_digest(digest))
    return make_error(errc::invalid, "unsupported blob digest '" + digest + "'");
  sha256 hasher;
  uint64_t received = 0;
  http_client::body_sink hashing = [&](const uint8_t* p, size_t n) -> expected<void> {
    received += n;
    // Bytes past the descriptor's size are not this blob: stop at once
    // rather than read whatever a registry keeps sending.
    if (size && received > *size)
      return make_error(errc::corrupt, "blob " + digest + " is longer than the "
                                         + std::to_string(*size) + " bytes its descriptor says");
    hasher.update(p, n);
    return sink(p, n);
  };
  auto r = call("GET", endpoint("/v2/" + repo + "/blobs/" + digest), "repository:" + repo + ":pull",
                {}, &hashing);
  if (!r)
    return r.err();
  if (r->status != 200)
    return status_error(*r, "blob " + repo + "@" + digest);
  if (size && received != *size)
    return make_error(errc::corrupt, "blob " + digest + " has " + std::to_string(received)
                                       + " bytes, its descriptor says " + std::to_string(*size));
  if (hasher.digest() != digest)
    return make_error(errc::corrupt, "digest mismatch for " + digest);
  return {};
}

} // namespace regscan
