#pragma once
// A registry that serves real single-layer images (an OCI manifest, a config
// with the layer's diffID, an uncompressed tar layer) over the distribution
// API, and can be told to stall, fail or throttle at any step: what the
// supervisor's tests need that docker-registry will not do on demand.
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "../connectors/test_http_server.hpp"
#include "connectors/registry_lister.hpp"
#include "connectors/sha256.hpp"

namespace regscan::test {

/// A tar archive holding one small file.
inline std::string one_file_tar(const std::string& name, const std::string& content) {
  std::string h(512, '\0');
  auto put = [&](size_t at, const std::string& v) { h.replace(at, v.size(), v); };
  auto octal = [](uint64_t v, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", width - 1, static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  put(0, name);
  put(100, octal(0644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(content.size(), 12));
  put(136, octal(1700000000, 12));
  put(148, std::string(8, ' '));
  h[156] = '0';
  put(257, "ustar");
  put(263, "00");
  unsigned sum = 0;
  for (unsigned char c : h)
    sum += c;
  put(148, octal(sum, 7));
  std::string out = h + content;
  out.resize((out.size() + 511) / 512 * 512, '\0');
  out.append(1024, '\0');
  return out;
}

class fake_registry {
 public:
  struct image {
    std::string manifest, digest, config, config_digest, layer, layer_digest;
  };

  /// What the next requests get, by the first match of a target substring.
  enum class fault { none, stall, unavailable, not_found };

  fake_registry()
    : server_([this](const request& r) { return answer(r); }) {}

  /// Adds image `n` of repository "app": its manifest digest.
  std::string add(int n) {
    image img;
    img.layer = one_file_tar("file" + std::to_string(n), "image " + std::to_string(n) + "\n");
    img.layer_digest = sha256_digest(img.layer);
    img.config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")"
                 + img.layer_digest + R"("]},"history":[{"created_by":"ADD file )"
                 + std::to_string(n) + R"("}]})";
    img.config_digest = sha256_digest(img.config);
    img.manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                   R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")"
                   + img.config_digest + R"(","size":)" + std::to_string(img.config.size())
                   + R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")"
                   + img.layer_digest + R"(","size":)" + std::to_string(img.layer.size()) + "}]}";
    img.digest = sha256_digest(img.manifest);
    std::lock_guard lock{mu_};
    images_[img.digest] = img;
    blobs_[img.config_digest] = img.config;
    blobs_[img.layer_digest] = img.layer;
    return img.digest;
  }

  /// Tags image `digest` of repository "app", so that a sync lists it
  /// (/v2/_catalog, /v2/app/tags/list) and a pull by tag finds it.
  void tag(const std::string& digest, const std::string& name) {
    std::lock_guard lock{mu_};
    tags_[name] = digest;
  }

  /// Requests whose target contains `where` get `what` (one rule at a time).
  void set_fault(std::string where, fault what) {
    std::lock_guard lock{mu_};
    fault_at_ = std::move(where);
    fault_ = what;
  }

  /// The image whose manifest has this digest.
  image get(const std::string& digest) const {
    std::lock_guard lock{mu_};
    return images_.at(digest);
  }

  /// From now on pulls need a bearer token from this registry's /token
  /// (the way Docker Hub and Harbor answer), so a fault can stall the token.
  /// With a user, /token gives it only for that user's Basic credentials.
  void require_token(const std::string& user = {}, const std::string& password = {}) {
    std::lock_guard lock{mu_};
    token_ = true;
    token_basic_ = user.empty() ? "" : basic_auth({user, password});
  }

  /// The token /token gives.
  static constexpr const char* token = "fake-registry-token-5c2e91";

  std::string url() const { return server_.url(); }
  test_http_server& server() { return server_; }

 private:
  reply answer(const request& r) {
    std::string target{r.target()};
    std::lock_guard lock{mu_};
    auto out = serve(target);
    auto authorization = std::string{r[boost::beast::http::field::authorization]};
    if (token_ && target.starts_with("/token"))
      out = token_basic_.empty() || authorization == token_basic_
              ? reply{200, {{"Content-Type", "application/json"}}, R"({"token":")" + std::string{token} + "\"}"}
              : reply{401, {{"WWW-Authenticate", "Basic realm=\"fake\""}}, "{}"};
    else if (token_ && authorization != "Bearer " + std::string{token})
      out = reply{401, {{"WWW-Authenticate", "Bearer realm=\"" + server_.url() + "/token\",service=\"fake\""}}, "{}"};
    if (fault_ != fault::none && target.find(fault_at_) != std::string::npos) {
      switch (fault_) {
        case fault::stall: // the first half of the real answer, then nothing
          out.stall = true;
          return out;
        case fault::unavailable:
          return reply{503, {{"Retry-After", "60"}}, "{}"};
        case fault::not_found:
          return reply{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})"};
        case fault::none:
          break;
      }
    }
    return out;
  }

  reply serve(const std::string& target) const {
    if (target == "/v2/" || target == "/v2")
      return reply{200, {}, "{}"};
    const std::string manifests = "/v2/app/manifests/", blobs = "/v2/app/blobs/";
    if (target.starts_with("/v2/_catalog"))
      return reply{200, {{"Content-Type", "application/json"}}, R"({"repositories":["app"]})"};
    if (target.starts_with("/v2/app/tags/list")) {
      std::string list;
      for (auto& [name, digest] : tags_)
        list += (list.empty() ? "\"" : ",\"") + name + "\"";
      return reply{200, {{"Content-Type", "application/json"}}, R"({"name":"app","tags":[)" + list + "]}"};
    }
    if (target.starts_with(manifests)) {
      auto ref = target.substr(manifests.size());
      if (auto t = tags_.find(ref); t != tags_.end())
        ref = t->second;
      auto it = images_.find(ref);
      if (it == images_.end())
        return reply{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})"};
      return reply{200,
                   {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                    {"Docker-Content-Digest", it->second.digest}},
                   it->second.manifest};
    }
    if (target.starts_with(blobs)) {
      auto it = blobs_.find(target.substr(blobs.size()));
      if (it != blobs_.end())
        return reply{200, {{"Content-Type", "application/octet-stream"}}, it->second};
    }
    return reply{404, {}, R"({"errors":[{"code":"BLOB_UNKNOWN"}]})"};
  }

  mutable std::mutex mu_;
  std::map<std::string, image> images_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, std::string> tags_; // tag -> manifest digest
  std::string fault_at_;
  bool token_ = false;
  std::string token_basic_; // what /token wants, "" = anyone
  fault fault_ = fault::none;
  test_http_server server_; // last: it stops before the maps go
};

} // namespace regscan::test
