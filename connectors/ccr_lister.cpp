// CCR (Tencent Container Registry, personal edition), from Tencent Cloud's
// API reference for tcr 2019-09-24: DescribeRepositoryOwnerPersonal (Offset
// = item offset, Limit) -> Data{TotalCount, RepoInfo[{RepoName}]};
// DescribeImagePersonal (RepoName, Offset, Limit) -> Data{TagCount,
// TagInfo[{TagName, SizeByte, PushTime, CreationTime}]}. The personal API
// gives no manifest digest, so sync resolves each tag with a HEAD. Offsets
// count the items received, repeats included: the personal API may list an
// item twice across pages (its order is not stable), and an offset from
// the distinct count would shift every later page back.
#include "connectors/registry_lister.hpp"

#include <simdjson.h>

#include "connectors/lister_util.hpp"
#include "connectors/tencent_api.hpp"

namespace regscan {

namespace {

using namespace lister_util;
constexpr int page_size = 100;

class ccr_lister : public registry_lister {
 public:
  ccr_lister(const lister_config& cfg, sleep_fn sleep) : api_(cfg, std::move(sleep)) {}

  expected<std::vector<std::string>> repositories() override {
    std::vector<std::string> out;
    auto ok = paged("DescribeRepositoryOwnerPersonal", "", "RepoInfo", "TotalCount",
                    [&](simdjson::dom::element e) {
                      if (auto n = str(e, "RepoName"); !n.empty())
                        out.push_back(n);
                    });
    if (!ok)
      return ok.err();
    return out;
  }

  std::string api_name() const override { return "Tencent Cloud API " + api_.endpoint(); }

  expected<void> probe() override {
    auto r = api_.call("DescribeRepositoryOwnerPersonal", R"({"Offset":0,"Limit":1})");
    if (!r)
      return r.err();
    return {};
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    std::vector<listed_artifact> out;
    auto ok = paged("DescribeImagePersonal", "\"RepoName\":" + json_quote(repo) + ",", "TagInfo", "TagCount",
                    [&](simdjson::dom::element e) {
                      listed_artifact a;
                      if (auto t = str(e, "TagName"); !t.empty())
                        a.tags.push_back(t);
                      a.size = u64(e, "SizeByte");
                      a.pushed = str(e, "PushTime");
                      a.created = str(e, "CreationTime");
                      if (!a.tags.empty())
                        out.push_back(std::move(a));
                    });
    if (!ok)
      return ok.err();
    return out;
  }

 private:
  template <class Fn>
  expected<void> paged(const std::string& action, const std::string& extra, const char* list,
                       const char* total_key, Fn&& each) {
    pager pages(action, page_size);
    for (int page = 0; page < api_caller::max_pages; ++page) {
      auto body = "{" + extra + "\"Offset\":" + std::to_string(pages.taken()) + ",\"Limit\":" + std::to_string(page_size) + "}";
      auto r = api_.call(action, body);
      if (!r)
        return r.err();
      simdjson::dom::parser parser;
      simdjson::dom::element data;
      if (parser.parse(*r)["Response"]["Data"].get(data))
        return make_error(action + ": no Response.Data");
      simdjson::dom::array items;
      if (data[list].get(items))
        return {}; // no list: nothing (more) to list
      pages.take(items, each);
      auto more = pages.more(i64(data, total_key, -1));
      if (!more)
        return more.err();
      if (!*more)
        return {};
    }
    return make_error(action + ": more than " + std::to_string(api_caller::max_pages) + " pages");
  }

  tencent_api api_;
};

} // namespace

std::unique_ptr<registry_lister> make_ccr_lister(const lister_config& cfg, sleep_fn sleep) {
  return std::make_unique<ccr_lister>(cfg, std::move(sleep));
}

} // namespace regscan
