// Harbor 2.x REST API (Harbor's swagger, /api/v2.0): projects, then each
// project's repositories, then each repository's artifacts with their tags,
// digests, sizes and push times. Pages of 100, bounded by X-Total-Count and
// by api_caller::max_pages. Basic auth with the registry credentials.
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
      api_(cfg.http, std::move(sleep)) {
    if (!cfg.creds.username.empty())
      headers_.emplace_back("Authorization", basic_auth(cfg.creds));
    headers_.emplace_back("Accept", "application/json");
  }

  expected<std::vector<std::string>> repositories() override {
    std::vector<std::string> projects;
    auto ok = pages("/projects", [&](simdjson::dom::element e) {
      if (auto n = str(e, "name"); !n.empty())
        projects.push_back(n);
    });
    if (!ok)
      return ok.err();
    std::vector<std::string> out;
    for (auto& p : projects) {
      auto ok2 = pages("/projects/" + percent_encode(p) + "/repositories", [&](simdjson::dom::element e) {
        if (auto n = str(e, "name"); !n.empty())
          out.push_back(n); // "project/repo"
      });
      if (!ok2)
        return ok2.err();
    }
    return out;
  }

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
      a.pushed = str(e, "push_time");
      simdjson::dom::element extra;
      if (!e["extra_attrs"].get(extra))
        a.created = str(extra, "created");
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

  std::string base_;
  api_caller api_;
  http_headers headers_;
};

} // namespace

std::unique_ptr<registry_lister> make_harbor_v2_lister(const lister_config& cfg, sleep_fn sleep) {
  return std::make_unique<harbor_v2_lister>(cfg, std::move(sleep));
}

} // namespace regscan
