// TCR (Tencent Container Registry, enterprise edition), from Tencent Cloud's
// API reference for tcr 2019-09-24: DescribeRepositories (RegistryId,
// Offset = page number from 1, Limit) -> RepositoryList[{Name, Namespace}],
// TotalCount; DescribeImages (RegistryId, NamespaceName, RepositoryName,
// Offset, Limit) -> ImageInfoList[{Digest, Size, ImageVersion, UpdateTime,
// Kind}]. Kind says what the artifact is: anything but an image (a Helm
// chart, ...) is inventoried under its kind and never pulled. With
// namespaces named (--namespaces), DescribeRepositories is asked per
// NamespaceName.
#include "connectors/registry_lister.hpp"

#include <map>

#include <simdjson.h>

#include "connectors/harbor_pages.hpp" // harbor_kind: the same lowercasing
#include "connectors/lister_util.hpp"
#include "connectors/tencent_api.hpp"

namespace regscan {

namespace {

using namespace lister_util;
constexpr int page_size = 100;

class tcr_lister : public registry_lister {
 public:
  tcr_lister(const lister_config& cfg, sleep_fn sleep)
    : instance_(cfg.instance_id), namespaces_(cfg.projects), api_(cfg, std::move(sleep)) {}

  expected<std::vector<std::string>> repositories() override {
    if (instance_.empty())
      return make_error("a TCR registry needs its instance id (RegistryId)");
    std::vector<std::string> out;
    auto each = [&](simdjson::dom::element e) {
      auto ns = str(e, "Namespace");
      auto name = str(e, "Name");
      // Name is "namespace/repo"; tolerate a bare repo name as well.
      if (!ns.empty() && name.rfind(ns + "/", 0) != 0)
        name = ns + "/" + name;
      if (!name.empty())
        out.push_back(name);
    };
    if (namespaces_.empty()) {
      if (auto ok = paged("DescribeRepositories", "", "RepositoryList", each); !ok)
        return ok.err();
    }
    for (auto& ns : namespaces_)
      if (auto ok = paged("DescribeRepositories", ",\"NamespaceName\":" + json_quote(ns), "RepositoryList", each); !ok)
        return make_error("namespace " + ns + ": " + ok.err().message);
    return out;
  }

  std::string api_name() const override { return "Tencent Cloud API " + api_.endpoint(); }

  expected<void> probe() override {
    if (instance_.empty())
      return make_error("a TCR registry needs its instance id (RegistryId)");
    auto r = api_.call("DescribeRepositories", "{\"RegistryId\":" + json_quote(instance_) + ",\"Offset\":1,\"Limit\":1}");
    if (!r)
      return r.err();
    return {};
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    auto slash = repo.find('/');
    if (slash == std::string::npos)
      return make_error("TCR repository " + repo + " has no namespace");
    std::string extra = ",\"NamespaceName\":" + json_quote(repo.substr(0, slash))
                        + ",\"RepositoryName\":" + json_quote(repo.substr(slash + 1));
    std::map<std::string, listed_artifact> by_digest;
    std::vector<std::string> order;
    auto ok = paged("DescribeImages", extra, "ImageInfoList", [&](simdjson::dom::element e) {
      auto digest = str(e, "Digest");
      auto tag = str(e, "ImageVersion");
      if (digest.empty() || tag.empty())
        return;
      auto [it, fresh] = by_digest.try_emplace(digest);
      if (fresh) {
        order.push_back(digest);
        it->second.digest = digest;
        it->second.size = u64(e, "Size");
        it->second.pushed = known_time(str(e, "UpdateTime"));
        if (auto kind = str(e, "Kind"); !kind.empty())
          it->second.kind = harbor_kind(kind); // "image" or what else TCR stores
      }
      it->second.tags.push_back(tag);
    });
    if (!ok)
      return ok.err();
    std::vector<listed_artifact> out;
    for (auto& d : order)
      out.push_back(std::move(by_digest[d]));
    return out;
  }

 private:
  template <class Fn>
  expected<void> paged(const std::string& action, const std::string& extra, const char* list, Fn&& each) {
    pager pages(action, page_size);
    for (int page = 1; page <= api_caller::max_pages; ++page) {
      auto body = "{\"RegistryId\":" + json_quote(instance_) + extra + ",\"Offset\":" + std::to_string(page)
                  + ",\"Limit\":" + std::to_string(page_size) + "}";
      auto r = api_.call(action, body);
      if (!r)
        return r.err();
      simdjson::dom::parser parser;
      simdjson::dom::element resp;
      if (parser.parse(*r)["Response"].get(resp))
        return make_error(action + ": no Response");
      simdjson::dom::array items;
      if (resp[list].get(items))
        return {}; // no list: nothing (more) to list
      pages.take(items, each);
      auto more = pages.more(i64(resp, "TotalCount", -1));
      if (!more)
        return more.err();
      if (!*more)
        return {};
    }
    return make_error(action + ": more than " + std::to_string(api_caller::max_pages) + " pages");
  }

  std::string instance_;
  std::vector<std::string> namespaces_;
  tencent_api api_;
};

} // namespace

std::unique_ptr<registry_lister> make_tcr_lister(const lister_config& cfg, sleep_fn sleep) {
  return std::make_unique<tcr_lister>(cfg, std::move(sleep));
}

} // namespace regscan
