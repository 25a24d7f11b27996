// Harbor 1.x REST API (Harbor 1.x swagger, /api): /api/projects,
// /api/repositories?project_id=N, /api/repositories/<repo>/tags. Pages of
// 100 where the API pages (projects, repositories); tags come in one list.
//
// How Harbor 1.10 really fills a tag's `digest`: it reads the manifest from
// its registry accepting Docker schema 2 only, so for a manifest list
// distribution answers with the linux/amd64 child (and its digest), and for
// an OCI manifest or index it has no digest at all. Neither is the tag's
// manifest: the lister leaves the digest out and sync resolves every tag by
// name, accepting every manifest type, which finds the index and all of its
// platforms. Unknown times come back as Go's zero time (year 1). Robot
// accounts see only public projects in /projects.
#include "connectors/registry_lister.hpp"

#include <simdjson.h>

#include "connectors/harbor_pages.hpp"
#include "connectors/lister_util.hpp"

namespace regscan {

namespace {

using namespace lister_util;

class harbor_v1_lister : public registry_lister {
 public:
  harbor_v1_lister(const lister_config& cfg, sleep_fn sleep)
    : base_((cfg.api_endpoint.empty() ? cfg.address : cfg.api_endpoint) + "/api"),
      username_(cfg.creds.username), projects_(cfg.projects), api_(cfg.http, std::move(sleep)) {
    if (!cfg.creds.username.empty())
      headers_.emplace_back("Authorization", basic_auth(cfg.creds));
    headers_.emplace_back("Accept", "application/json");
  }

  expected<std::vector<std::string>> repositories() override {
    notes_.clear();
    std::vector<int64_t> projects;
    if (projects_.empty()) {
      if (is_harbor_robot(username_))
        notes_.push_back(harbor_robot_note(username_));
      auto ok = pages("/projects?", [&](simdjson::dom::element e) {
        if (auto id = i64(e, "project_id", -1); id >= 0)
          projects.push_back(id);
      });
      if (!ok)
        return ok.err();
    }
    // A named project: its id from the (substring) name search, matched exactly.
    for (auto& name : projects_) {
      int64_t found = -1;
      auto ok = pages("/projects?name=" + percent_encode(name) + "&", [&](simdjson::dom::element e) {
        if (str(e, "name") == name)
          found = i64(e, "project_id", -1);
      });
      if (!ok)
        return ok.err();
      if (found < 0)
        return make_error("harbor project " + name + " not found (or not visible to " + username_ + ")");
      projects.push_back(found);
    }
    std::vector<std::string> out;
    for (auto id : projects) {
      auto ok2 = pages("/repositories?project_id=" + std::to_string(id) + "&", [&](simdjson::dom::element e) {
        if (auto n = str(e, "name"); !n.empty())
          out.push_back(n);
      });
      if (!ok2)
        return ok2.err();
    }
    return out;
  }

  std::vector<std::string> notes() const override { return notes_; }

  std::string api_name() const override { return "Harbor API " + base_; }

  expected<void> probe() override {
    auto r = get("/projects?page=1&page_size=1");
    if (!r)
      return r.err();
    return {};
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    if (!valid_repository_name(repo))
      return make_error("invalid repository name " + repo);
    auto r = get("/repositories/" + repo + "/tags");
    if (!r)
      return r.err();
    simdjson::dom::parser parser;
    simdjson::dom::array items;
    if (parser.parse(r->body).get(items))
      return make_error("harbor API tags of " + repo + ": response is not a JSON array");
    std::vector<listed_artifact> out;
    for (auto e : items) {
      listed_artifact a; // no digest, no size: see the top of this file
      a.created = known_time(str(e, "created"));
      a.pushed = known_time(str(e, "push_time"));
      if (auto n = str(e, "name"); !n.empty())
        a.tags.push_back(n);
      if (!a.tags.empty())
        out.push_back(std::move(a));
    }
    return out;
  }

 private:
  expected<http_response> get(const std::string& path) {
    auto r = api_.call("GET", base_ + path, headers_);
    if (!r)
      return r.err();
    if (auto ok = harbor_status(path, *r); !ok)
      return ok.err();
    return r;
  }

  template <class Fn>
  expected<void> pages(const std::string& path, Fn&& each) {
    return harbor_pages(
      path,
      [&](int page) { return api_.call("GET", base_ + path + "page=" + std::to_string(page)
                                               + "&page_size=100", headers_); },
      each);
  }

  std::string base_, username_;
  std::vector<std::string> projects_;
  api_caller api_;
  http_headers headers_;
  std::vector<std::string> notes_;
};

} // namespace

std::unique_ptr<registry_lister> make_harbor_v1_lister(const lister_config& cfg, sleep_fn sleep) {
  return std::make_unique<harbor_v1_lister>(cfg, std::move(sleep));
}

} // namespace regscan
