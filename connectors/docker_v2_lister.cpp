// docker-v2: /v2/_catalog and /v2/<name>/tags/list through oci_client. For
// registries without a catalog (Docker Hub, GHCR) the configured list is
// used instead: "org/repo" entries as they are, "org/" or "org/*" entries
// expanded to the namespace's repositories: from Docker Hub's repository
// listing API for Docker Hub (or the API at the configured endpoint), else
// from the catalog, filtered by prefix.
#include "connectors/registry_lister.hpp"

#include <optional>
#include <set>

#include <simdjson.h>

#include "connectors/lister_util.hpp"
#include "connectors/url.hpp"

namespace regscan {

std::optional<std::string> repository_namespace(std::string_view entry) {
  if (entry.ends_with("/*"))
    entry.remove_suffix(1);
  if (!entry.ends_with('/'))
    return std::nullopt;
  entry.remove_suffix(1);
  if (!valid_repository_name(entry))
    return std::nullopt;
  return std::string(entry);
}

namespace {

using namespace lister_util;

bool is_docker_hub(const std::string& address) {
  auto u = parse_url(address.find("://") == std::string::npos ? "https://" + address : address);
  if (!u)
    return false;
  for (auto host : {"docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"})
    if (u->host == host)
      return true;
  return false;
}

// Docker Hub API (hub.docker.com, "2-beta"): GET
// /v2/namespaces/<ns>/repositories?page_size=100 -> {count, next, results:
// [{name, namespace}]}, pages chained by the absolute `next` URL. Anonymous
// lists public repositories; with credentials, POST /v2/auth/token
// {identifier, secret} -> {access_token} (a PAT works as the secret).
class docker_hub_api {
 public:
  docker_hub_api(const lister_config& cfg, sleep_fn sleep)
    : base_(cfg.api_endpoint.empty() ? "https://hub.docker.com" : cfg.api_endpoint), creds_(cfg.creds),
      api_(cfg.http, std::move(sleep)) {}

  expected<std::vector<std::string>> repositories(const std::string& ns) {
    auto base = parse_url(base_);
    if (!base)
      return make_error("bad Docker Hub API endpoint " + base_ + ": " + base.err().message);
    http_headers headers{{"Accept", "application/json"}};
    if (!creds_.username.empty()) {
      auto token = login();
      if (!token)
        return token.err();
      headers.emplace_back("Authorization", "Bearer " + *token);
    }
    const std::string what = "Docker Hub API, namespace " + ns;
    std::vector<std::string> out;
    pager pages(what, 100);
    std::string next = base_ + "/v2/namespaces/" + percent_encode(ns) + "/repositories?page_size=100";
    for (int page = 0; page < api_caller::max_pages; ++page) {
      auto r = api_.call("GET", next, headers);
      if (!r)
        return r.err();
      if (r->status == 401 || r->status == 403)
        return make_error(what + ": HTTP " + std::to_string(r->status) + ": check username/password");
      if (r->status == 404)
        return make_error(what + ": no such namespace");
      if (r->status != 200)
        return make_error(what + ": HTTP " + std::to_string(r->status));
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      simdjson::dom::array results;
      if (parser.parse(r->body).get(doc) || doc["results"].get(results))
        return make_error(what + ": the answer has no results list");
      pages.take(results, [&](simdjson::dom::element e) {
        auto owner = str(e, "namespace");
        auto name = str(e, "name");
        if (!name.empty())
          out.push_back((owner.empty() ? ns : owner) + "/" + name);
      });
      if (pages.repeated())
        return make_error(what + ": a page repeats earlier ones");
      next = str(doc, "next");
      if (next.empty())
        return out;
      // The token goes with the next page: it must stay on the API's host.
      auto n = parse_url(next);
      if (!n || !same_origin(*n, *base))
        return make_error(what + ": the next page points to another host");
    }
    return make_error(what + ": more than " + std::to_string(api_caller::max_pages) + " pages");
  }

 private:
  expected<std::string> login() {
    auto body = "{\"identifier\":" + json_quote(creds_.username) + ",\"secret\":" + json_quote(creds_.password) + "}";
    auto r = api_.call("POST", base_ + "/v2/auth/token",
                       {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, &body);
    if (!r)
      return r.err();
    if (r->status == 401 || r->status == 403)
      return make_error("Docker Hub API login: HTTP " + std::to_string(r->status) + ": check username/password");
    if (r->status != 200)
      return make_error("Docker Hub API login: HTTP " + std::to_string(r->status));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string token;
    if (!parser.parse(r->body).get(doc))
      token = str(doc, "access_token");
    if (token.empty())
      return make_error("Docker Hub API login: the answer has no access_token");
    return token;
  }

  std::string base_;
  registry_credentials creds_;
  api_caller api_;
};

class docker_v2_lister : public registry_lister {
 public:
  docker_v2_lister(const lister_config& cfg, oci_client& registry, sleep_fn sleep)
    : configured_(cfg.repositories), registry_(registry),
      hub_(is_docker_hub(cfg.address) || !cfg.api_endpoint.empty()),
      address_(cfg.address), hub_api_(cfg, std::move(sleep)) {}

  expected<std::vector<std::string>> repositories() override {
    if (configured_.empty())
      return registry_.catalog();
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::optional<std::vector<std::string>> catalog; // fetched once, if a namespace needs it
    for (auto& entry : configured_) {
      auto ns = repository_namespace(entry);
      if (!ns) {
        if (seen.insert(entry).second)
          out.push_back(entry);
        continue;
      }
      std::vector<std::string> found;
      if (hub_) {
        auto listed = hub_api_.repositories(*ns);
        if (!listed)
          return make_error("repositories entry '" + entry + "': " + listed.err().message);
        found = std::move(*listed);
      } else {
        if (!catalog) {
          auto all = registry_.catalog();
          if (!all)
            return make_error("repositories entry '" + entry + "': " + address_
                              + " offers no catalog to expand a namespace from (" + all.err().message
                              + "); list that namespace's repositories one by one");
          catalog = std::move(*all);
        }
        for (auto& repo : *catalog)
          if (repo.starts_with(*ns + "/"))
            found.push_back(repo);
      }
      for (auto& repo : found)
        if (seen.insert(repo).second)
          out.push_back(repo);
    }
    return out;
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    auto tags = registry_.tags(repo);
    if (!tags)
      return tags.err();
    // The tag list carries no digests: sync resolves each with a HEAD.
    std::vector<listed_artifact> out;
    out.reserve(tags->size());
    for (auto& t : *tags) {
      listed_artifact a;
      a.tags = {t};
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  std::vector<std::string> configured_;
  oci_client& registry_;
  bool hub_;
  std::string address_;
  docker_hub_api hub_api_;
};

} // namespace

std::unique_ptr<registry_lister> make_docker_v2_lister(const lister_config& cfg, oci_client& registry,
                                                       sleep_fn sleep) {
  return std::make_unique<docker_v2_lister>(cfg, registry, std::move(sleep));
}

} // namespace regscan
