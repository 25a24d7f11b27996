// Harbor 2.x REST API (Harbor's swagger, /api/v2.0): projects, then each
// project's repositories, then each repository's artifacts with their tags,
// digests, sizes, push times and `type` (IMAGE, CHART, CNAB, ...). Pages of
// 100, bounded by X-Total-Count and by api_caller::max_pages. Basic auth
// with the registry credentials.
//
// How real servers behave beyond the swagger: 2.0-2.3 answer /projects with
// the public projects only when the caller is a robot account, so a robot's
// private projects are named by the user (--projects); proxy-cache projects
// (2.1+, a `registry_id`) pull from their upstream on every manifest read,
// so they are skipped unless asked for.
#include "connectors/registry_lister.hpp"

#include <simdjson.h>

#include "connectors/harbor_pages.hpp"
#include "connectors/lister_util.hpp"

namespace regscan {

namespace {

using namespace lister_util;

class harbor_v2_lister : public registry_lister {
 public:
  harbor_v2_lister(const lister_config& cfg, sleep_fn sleep)
    : base_((cfg.api_endpoint.empty() ? cfg.address : cfg.api_endpoint) + "/api/v2.0"),
      username_(cfg.creds.username), projects_(cfg.projects),
      include_proxy_cache_(cfg.include_proxy_cache), api_(cfg.http, std::move(sleep)) {
    if (!cfg.creds.username.empty())
      headers_.emplace_back("Authorization", basic_auth(cfg.creds));
    headers_.emplace_back("Accept", "application/json");
  }

  expected<std::vector<std::string>> repositories() override {
    notes_.clear();
    skipped_ = 0;
    auto projects = projects_;
    if (projects.empty()) {
      if (is_harbor_robot(username_))
        notes_.push_back(harbor_robot_note(username_));
      auto ok = pages("/projects", [&](simdjson::dom::element e) {
        auto n = str(e, "name");
        if (n.empty())
          return;
        if (i64(e, "registry_id", 0) > 0 && !include_proxy_cache_) {
          ++skipped_;
          notes_.push_back("project " + n + " is a proxy cache: skipped, its reads would pull from "
                           "its upstream (--include-proxy-cache lists it)");
          return;
        }
        projects.push_back(n);
      });
      if (!ok)
        return ok.err();
    }
    std::vector<std::string> out;
    for (auto& p : projects) {
      auto ok2 = pages("/projects/" + percent_encode(p) + "/repositories", [&](simdjson::dom::element e) {
        if (auto n = str(e, "name"); !n.empty())
          out.push_back(n); // "project/repo"
      });
      if (!ok2)
        return make_error("project " + p + ": " + ok2.err().message);
    }
    return out;
  }

  std::vector<std::string> notes() const override { return notes_; }
  uint64_t projects_skipped() const override { return skipped_; }

  std::string api_name() const override { return "Harbor API " + base_; }

  expected<void> probe() override {
    auto r = api_.call("GET", base_ + "/projects?page=1&page_size=1", headers_);
    if (!r)
      return r.err();
    return harbor_status("/projects", *r);
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    auto slash = repo.find('/');
    if (slash == std::string::npos)
      return make_error("harbor repository " + repo + " has no project");
    // Harbor wants the repository name inside the project double-encoded.
    auto path = "/projects/" + percent_encode(repo.substr(0, slash)) + "/repositories/"
                + percent_encode(percent_encode(repo.substr(slash + 1))) + "/artifacts";
    std::vector<listed_artifact> out;
    auto ok = pages(path, [&](simdjson::dom::element e) {
      listed_artifact a;
      a.digest = str(e, "digest");
      a.size = u64(e, "size");
      a.media_type = str(e, "manifest_media_type");
      a.pushed = known_time(str(e, "push_time"));
      a.kind = harbor_kind(str(e, "type"));
      simdjson::dom::element extra;
      if (!e["extra_attrs"].get(extra))
        a.created = known_time(str(extra, "created"));
      simdjson::dom::array tags;
      if (!e["tags"].get(tags))
        for (auto t : tags)
          if (auto n = str(t, "name"); !n.empty())
            a.tags.push_back(n);
      if (!a.tags.empty())
        out.push_back(std::move(a));
    }, "&with_tag=true");
    if (!ok)
      return ok.err();
    return out;
  }

 private:
  template <class Fn>
  expected<void> pages(const std::string& path, Fn&& each, const std::string& extra = {}) {
    return harbor_pages(
      path,
      [&](int page) { return api_.call("GET", base_ + path + "?page=" + std::to_string(page)
                                               + "&page_size=100" + extra, headers_); },
      each);
  }

  std::string base_, username_;
  std::vector<std::string> projects_;
  bool include_proxy_cache_;
  api_caller api_;
  http_headers headers_;
  std::vector<std::string> notes_;
  uint64_t skipped_ = 0;
};

} // namespace

std::unique_ptr<registry_lister> make_harbor_v2_lister(const lister_config& cfg, sleep_fn sleep) {
  return std::make_unique<harbor_v2_lister>(cfg, std::move(sleep));
}

} // namespace regscan
