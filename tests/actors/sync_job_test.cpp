// run_sync end to end for Harbor V2, Harbor V1, TCR and CCR: the listing API
// of each kind is a fixture server written from its published definition
// (Harbor 2.x and 1.x swagger; Tencent Cloud API 3.0, tcr 2019-09-24), the
// images are pulled from a small registry fixture speaking the distribution
// API (the real docker-registry is exercised in tests/connectors), and the
// records land in a real store. A second sync with nothing changed must
// pull nothing.
#include "daemon/sync.hpp"

#include <gtest/gtest.h>

#include <map>

#include "actors/daemon_context.hpp"
#include "daemon/front/views.hpp"
#include "connectors/sha256.hpp"
#include "../connectors/test_http_server.hpp"
#include "../storage/test_util.hpp"

namespace regscan {
namespace {

using test::reply;
using test::test_http_server;

constexpr const char* oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* oci_index = "application/vnd.oci.image.index.v1+json";

struct blob {
  std::string bytes, digest;
  explicit blob(std::string b) : bytes(std::move(b)), digest(sha256_digest(bytes)) {}
};

// Two repositories: test/img:1 (one amd64 image, two layers) and
// test/multi:1 (an OCI index of amd64 and arm64/v8).
struct registry_fixture {
  static std::string config(const std::string& arch, const std::string& created) {
    return R"({"architecture":")" + arch + R"(","os":"linux","created":")" + created
           + R"(","rootfs":{"type":"layers","diff_ids":[]}})";
  }
  static std::string manifest(const blob& cfg, std::vector<uint64_t> layer_sizes) {
    std::string layers;
    char fill = 'a';
    for (auto size : layer_sizes)
      layers += std::string(layers.empty() ? "" : ",") + R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)"
                + std::string(64, fill++) + R"(","size":)" + std::to_string(size) + "}";
    return R"({"schemaVersion":2,"mediaType":")" + std::string(oci_manifest)
           + R"(","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + cfg.digest
           + R"(","size":)" + std::to_string(cfg.bytes.size()) + R"(},"layers":[)" + layers + "]}";
  }

  blob amd64_config{config("amd64", "2024-01-02T03:04:05Z")};
  blob arm64_config{config("arm64", "2024-01-02T03:04:06Z")};
  blob amd64{manifest(amd64_config, {100, 23})};
  blob arm64{manifest(arm64_config, {7})};
  blob index{R"({"schemaVersion":2,"mediaType":")" + std::string(oci_index) + R"(","manifests":[)"
             R"({"mediaType":")" + oci_manifest + R"(","digest":")" + amd64.digest + R"(","size":)"
             + std::to_string(amd64.bytes.size()) + R"(,"platform":{"architecture":"amd64","os":"linux"}},)"
             R"({"mediaType":")" + oci_manifest + R"(","digest":")" + arm64.digest + R"(","size":)"
             + std::to_string(arm64.bytes.size())
             + R"(,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})"};
  // test/chart:0.1.0, a Helm chart pushed as an OCI artifact (helm push).
  blob chart_config{R"({"name":"chart","version":"0.1.0","apiVersion":"v2"})"};
  blob chart{R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":")"
             + chart_config.digest + R"(","size":)" + std::to_string(chart_config.bytes.size())
             + R"(},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:)"
             + std::string(64, 'c') + R"(","size":321}]})"};

  test_http_server server{[this](const test::request& r) { return answer(r); }};

  reply answer(const test::request& r) {
    std::string t(r.target());
    if (t == "/v2/")
      return {200, {}, "{}"};
    auto manifest_reply = [](const blob& b, const char* type) {
      return reply{200, {{"Content-Type", type}, {"Docker-Content-Digest", b.digest}}, b.bytes};
    };
    if (t == "/v2/test/img/manifests/1")
      return manifest_reply(amd64, oci_manifest);
    if (t == "/v2/test/multi/manifests/1")
      return manifest_reply(index, oci_index);
    if (t == "/v2/test/chart/manifests/0.1.0" || t.ends_with("/manifests/" + chart.digest))
      return manifest_reply(chart, oci_manifest);
    for (auto* b : {&amd64, &arm64})
      if (t.ends_with("/manifests/" + b->digest))
        return manifest_reply(*b, oci_manifest);
    if (t.ends_with("/manifests/" + index.digest))
      return manifest_reply(index, oci_index);
    for (auto* b : {&amd64_config, &arm64_config})
      if (t.ends_with("/blobs/" + b->digest))
        return {200, {}, b->bytes};
    return {404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})"};
  }

  /// GETs of manifests and blobs: what a pull costs.
  size_t pulls() const {
    size_t n = 0;
    for (auto& r : server.requests())
      n += r.method() == boost::beast::http::verb::get && std::string(r.target()) != "/v2/";
    return n;
  }
};

std::string header(const test::request& r, const char* name) {
  auto it = r.find(name);
  return it == r.end() ? std::string{} : std::string(it->value());
}

reply json(const std::string& body, const std::string& total = {}) {
  reply out{200, {{"Content-Type", "application/json"}}, body};
  if (!total.empty())
    out.headers.emplace_back("X-Total-Count", total);
  return out;
}

reply tencent(const std::string& inner) {
  return json(R"({"Response":{)" + inner + R"(,"RequestId":"r-1"}})");
}

constexpr const char* pushed_img = "2024-05-06T07:08:09.000Z";
constexpr const char* pushed_multi = "2024-05-06T07:08:10.000Z";

// The listing API of one kind, answering for the fixture registry's images.
test_http_server::handler api_for(const std::string& kind, const registry_fixture& reg) {
  return [kind, &reg](const test::request& r) -> reply {
    std::string t(r.target());
    if (kind == "harbor-V2") {
      if (t.starts_with("/api/v2.0/projects?"))
        return json(R"([{"project_id":1,"name":"test"}])", "1");
      if (t.starts_with("/api/v2.0/projects/test/repositories?"))
        return json(R"([{"name":"test/img"},{"name":"test/multi"}])", "2");
      auto artifact = [](const std::string& digest, const char* type, const char* pushed) {
        return json(R"([{"digest":")" + digest + R"(","manifest_media_type":")" + type + R"(","push_time":")"
                      + pushed + R"(","tags":[{"name":"1"}]}])", "1");
      };
      if (t.starts_with("/api/v2.0/projects/test/repositories/img/artifacts?"))
        return artifact(reg.amd64.digest, oci_manifest, pushed_img);
      if (t.starts_with("/api/v2.0/projects/test/repositories/multi/artifacts?"))
        return artifact(reg.index.digest, oci_index, pushed_multi);
    } else if (kind == "harbor-V1") {
      if (t.starts_with("/api/projects?"))
        return json(R"([{"project_id":7,"name":"test"}])", "1");
      if (t.starts_with("/api/repositories?project_id=7&"))
        return json(R"([{"name":"test/img"},{"name":"test/multi"}])", "2");
      // Harbor 1.10 reads manifests accepting Docker schema 2 only: for
      // these OCI manifests distribution gives it no digest, and the
      // config's time it cannot read is Go's zero time.
      if (t == "/api/repositories/test/img/tags")
        return json(R"([{"name":"1","digest":"","created":"0001-01-01T00:00:00Z","push_time":")" + std::string(pushed_img) + "\"}]");
      if (t == "/api/repositories/test/multi/tags")
        return json(R"([{"name":"1","digest":"","created":"0001-01-01T00:00:00Z","push_time":")" + std::string(pushed_multi) + "\"}]");
    } else {
      auto action = header(r, "X-TC-Action");
      bool img = r.body().find("img") != std::string::npos;
      if (action == "DescribeRepositories")
        return tencent(R"("RepositoryList":[{"Name":"test/img","Namespace":"test"},{"Name":"test/multi","Namespace":"test"}],"TotalCount":2)");
      if (action == "DescribeImages")
        return tencent(R"("ImageInfoList":[{"Digest":")" + (img ? reg.amd64.digest : reg.index.digest)
                       + R"(","ImageVersion":"1","Size":1,"UpdateTime":")" + (img ? pushed_img : pushed_multi)
                       + R"("}],"TotalCount":1)");
      if (action == "DescribeRepositoryOwnerPersonal")
        return tencent(R"("Data":{"TotalCount":2,"RepoInfo":[{"RepoName":"test/img"},{"RepoName":"test/multi"}]})");
      if (action == "DescribeImagePersonal")
        return tencent(R"("Data":{"TagCount":1,"TagInfo":[{"TagName":"1","SizeByte":1,"PushTime":")"
                       + std::string(img ? pushed_img : pushed_multi) + R"("}]})");
    }
    return {404, {}, "{}"};
  };
}

// A store and secret box in a temporary directory, like regscand's.
class store_fixture : public testing::Test {
 protected:
  test::temp_dir dir;
  daemon_context ctx;

  void SetUp() override {
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    auto box = secret_box::open_or_create(dir / "secret.key");
    ASSERT_TRUE(box) << box.err().message;
    ctx.secrets.emplace(std::move(*box));
  }

  registry_record record_for(const std::string& kind, const std::string& address, const std::string& api,
                             const std::string& password = "p") {
    registry_record rec;
    rec.name = "lab";
    rec.type = kind.substr(0, kind.find('-'));
    rec.version = kind.starts_with("harbor") ? kind.substr(7) : "";
    rec.address = address;
    rec.api_endpoint = api;
    rec.username = "u";
    rec.password_sealed = *ctx.secrets->seal(password);
    rec.region = "ap-guangzhou";
    rec.instance_id = "tcr-1";
    rec.secret_id = "AKIDtest";
    rec.secret_key_sealed = *ctx.secrets->seal("secret");
    return rec;
  }
};

class sync_kinds : public store_fixture, public testing::WithParamInterface<std::string> {};

TEST_P(sync_kinds, records_every_field_and_resyncs_without_pulling) {
  const std::string kind = GetParam();
  registry_fixture reg;
  test_http_server api(api_for(kind, reg));
  ASSERT_TRUE(ctx.db->put_registry(record_for(kind, reg.server.url(), api.url())));

  auto first = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(first) << first.err().message;
  EXPECT_EQ(first->repositories, 2u);
  EXPECT_EQ(first->tags, 2u);
  EXPECT_EQ(first->images, 3u);
  EXPECT_EQ(first->resolved, 2u);

  auto images = ctx.db->list_images();
  ASSERT_TRUE(images) << images.err().message;
  // One record per platform manifest and repository.
  std::map<std::string, image_record> by_ref;
  for (auto& img : *images)
    by_ref[img.repository + "@" + img.digest] = img;
  ASSERT_EQ(by_ref.size(), 3u);

  auto& single = by_ref.at("test/img@" + reg.amd64.digest);
  EXPECT_EQ(single.repository, "test/img");
  EXPECT_EQ(single.tags, std::vector<std::string>{"1"});
  EXPECT_EQ(single.image_id, reg.amd64_config.digest);
  EXPECT_EQ(single.media_type, oci_manifest);
  EXPECT_EQ(single.index_digest, "");
  EXPECT_EQ(single.size, 123u); // the sum of its layers
  EXPECT_EQ(single.created, "2024-01-02T03:04:05Z");
  EXPECT_EQ(single.pushed, pushed_img);
  EXPECT_EQ(single.os + "/" + single.architecture, "linux/amd64");

  auto& arm = by_ref.at("test/multi@" + reg.arm64.digest);
  EXPECT_EQ(arm.repository, "test/multi");
  EXPECT_EQ(arm.tags, std::vector<std::string>{"1"});
  EXPECT_EQ(arm.image_id, reg.arm64_config.digest);
  EXPECT_EQ(arm.index_digest, reg.index.digest);
  EXPECT_EQ(arm.index_media_type, oci_index);
  EXPECT_EQ(arm.architecture, "arm64");
  EXPECT_EQ(arm.size, 7u);
  EXPECT_EQ(arm.pushed, pushed_multi);
  auto& amd = by_ref.at("test/multi@" + reg.amd64.digest);
  EXPECT_EQ(amd.index_digest, reg.index.digest);
  EXPECT_EQ(amd.os + "/" + amd.architecture, "linux/amd64");

  auto pulls = reg.pulls();
  EXPECT_EQ(pulls, 7u); // test/img: manifest, config; test/multi: index, 2 manifests, 2 configs
  auto second = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(second) << second.err().message;
  EXPECT_EQ(second->resolved, 0u);
  EXPECT_EQ(second->images, 3u);
  EXPECT_EQ(second->removed, 0u);
  EXPECT_EQ(reg.pulls(), pulls) << "an unchanged registry must not be pulled again";
  auto again = ctx.db->list_images();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 3u);
  for (auto& img : *again)
    EXPECT_EQ(img.pushed, img.repository == "test/img" ? pushed_img : pushed_multi);
}

// `registry test`: the registry endpoint and the listing API are checked
// apart, so a user sees which of the two credentials is wrong.
TEST_P(sync_kinds, registry_test_checks_endpoint_and_listing_api) {
  const std::string kind = GetParam();
  registry_fixture reg;
  test_http_server api(api_for(kind, reg));
  ASSERT_TRUE(ctx.db->put_registry(record_for(kind, reg.server.url(), api.url())));
  auto checks = check_registry(ctx, "lab");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_NE(checks[0].what.find("registry endpoint " + reg.server.url()), std::string::npos) << checks[0].what;
  EXPECT_EQ(checks[0].error, "");
  EXPECT_NE(checks[1].what.find(api.url()), std::string::npos) << checks[1].what;
  EXPECT_EQ(checks[1].error, "");
  EXPECT_EQ(api.requests().size(), 1u); // one cheap call

  // A listing API that refuses: the endpoint still passes, the listing fails.
  test_http_server refusing([&](const test::request&) -> reply {
    if (kind.starts_with("harbor"))
      return {401, {}, R"({"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]})"};
    return tencent(R"("Error":{"Code":"AuthFailure.SecretIdNotFound","Message":"The SecretId is not found"})");
  });
  ASSERT_TRUE(ctx.db->put_registry(record_for(kind, reg.server.url(), refusing.url())));
  checks = check_registry(ctx, "lab");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].error, "");
  EXPECT_NE(checks[1].error.find(kind.starts_with("harbor") ? "check username/password" : "AuthFailure.SecretIdNotFound"),
            std::string::npos)
    << checks[1].error;

  // Nothing listening at the registry endpoint: that check fails, named.
  ASSERT_TRUE(ctx.db->put_registry(record_for(kind, "http://127.0.0.1:1", api.url())));
  checks = check_registry(ctx, "lab");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_NE(checks[0].error.find("127.0.0.1:1"), std::string::npos) << checks[0].error;
  EXPECT_EQ(checks[1].error, "");
}

// ---- registries as they really behave (issue 17) -------------------------

using sync_quirks = store_fixture;

constexpr const char* missing_digest = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

// Harbor 2.3's API for the fixture registry, with `artifacts` as the
// artifact list of every repository named in `repos`.
test_http_server::handler harbor23(std::string projects, std::string repos,
                                   std::map<std::string, std::string>* artifacts) {
  return [=](const test::request& r) -> reply {
    std::string t(r.target());
    if (t.starts_with("/api/v2.0/projects?"))
      return json(projects);
    if (t.starts_with("/api/v2.0/projects/test/repositories?"))
      return json(repos);
    if (t.starts_with("/api/v2.0/projects/hub/repositories?"))
      return json(R"([{"name":"hub/library/alpine"}])");
    for (auto& [repo, list] : *artifacts)
      if (t.starts_with("/api/v2.0/projects/test/repositories/" + repo + "/artifacts?"))
        return json(list);
    return {404, {}, "{}"};
  };
}

std::string artifact(const std::string& digest, const std::string& type, const std::string& tag,
                     const std::string& pushed = pushed_img) {
  return R"({"digest":")" + digest + R"(","type":")" + type + R"(","push_time":")" + pushed
         + R"(","manifest_media_type":"application/vnd.oci.image.manifest.v1+json","tags":[{"name":")" + tag + R"("}]})";
}

TEST_F(sync_quirks, a_failed_tag_is_marked_and_the_sync_goes_on) {
  registry_fixture reg;
  std::map<std::string, std::string> arts{
    {"img", "[" + artifact(reg.amd64.digest, "IMAGE", "1") + "]"},
    {"broken", "[" + artifact(missing_digest, "IMAGE", "1") + "]"}};
  test_http_server api(harbor23(R"([{"project_id":1,"name":"test"}])",
                                R"([{"name":"test/img"},{"name":"test/broken"}])", &arts));
  ASSERT_TRUE(ctx.db->put_registry(record_for("harbor-V2", reg.server.url(), api.url())));
  auto first = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(first) << first.err().message;
  EXPECT_EQ(first->images_ok, 1u);
  EXPECT_EQ(first->images_failed, 1u);
  ASSERT_EQ(first->notes.size(), 1u);
  EXPECT_NE(first->notes[0].find("test/broken:1"), std::string::npos) << first->notes[0];

  // test/img's tag now points at a manifest the registry cannot serve: the
  // image it had stays, marked, and is not removed.
  arts["img"] = "[" + artifact(missing_digest, "IMAGE", "1") + "]";
  auto second = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_FALSE(second) << "every tag failed";
  EXPECT_NE(second.err().message.find("every tag failed (2)"), std::string::npos) << second.err().message;
  arts["ok"] = "[" + artifact(reg.index.digest, "IMAGE", "1") + "]";
  test_http_server api2(harbor23(R"([{"project_id":1,"name":"test"}])",
                                 R"([{"name":"test/img"},{"name":"test/broken"},{"name":"test/ok"}])", &arts));
  ASSERT_TRUE(ctx.db->put_registry(record_for("harbor-V2", reg.server.url(), api2.url())));
  auto third = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(third) << third.err().message;
  EXPECT_EQ(third->images_failed, 2u);
  EXPECT_EQ(third->images_ok, 2u); // test/ok's two platforms
  EXPECT_EQ(third->removed, 0u);
  auto kept = ctx.db->get_image("lab/test/img@" + reg.amd64.digest);
  ASSERT_TRUE(kept) << kept.err().message;
  EXPECT_EQ(kept->tags, std::vector<std::string>{"1"});
  EXPECT_NE(kept->sync_error.find("404"), std::string::npos) << kept->sync_error;
}

TEST_F(sync_quirks, artifacts_are_listed_not_pulled_and_proxy_caches_skipped) {
  registry_fixture reg;
  std::map<std::string, std::string> arts{
    {"img", "[" + artifact(reg.amd64.digest, "IMAGE", "1") + "]"},
    {"chart", "[" + artifact(missing_digest, "CHART", "0.1.0", "0001-01-01T00:00:00.000Z") + "]"}};
  test_http_server api(harbor23(R"([{"project_id":1,"name":"test"},{"project_id":2,"name":"hub","registry_id":1}])",
                                R"([{"name":"test/img"},{"name":"test/chart"}])", &arts));
  auto rec = record_for("harbor-V2", reg.server.url(), api.url());
  rec.username = "robot$ci";
  ASSERT_TRUE(ctx.db->put_registry(rec));
  auto sum = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(sum) << sum.err().message;
  EXPECT_EQ(sum->images_ok, 1u);
  EXPECT_EQ(sum->images_skipped, 1u);
  EXPECT_EQ(sum->projects_skipped, 1u);
  ASSERT_EQ(sum->notes.size(), 2u);
  EXPECT_NE(sum->notes[0].find("robot"), std::string::npos);
  EXPECT_EQ(reg.pulls(), 2u) << "the chart costs no request to the registry";
  auto chart = ctx.db->get_image("lab/test/chart@" + std::string(missing_digest));
  ASSERT_TRUE(chart) << chart.err().message;
  EXPECT_EQ(chart->artifact_type, "chart");
  EXPECT_EQ(chart->pushed, "");
  json_writer w;
  write_image(w, *chart, "harbor", reg.server.url());
  EXPECT_NE(w.str().find(R"("pushed":null)"), std::string::npos) << w.str();
}

// Harbor 1.10 lists a chart pushed with `helm push` like any tag: the
// manifest says what it is, and its config blob is never fetched.
TEST_F(sync_quirks, an_oci_artifact_found_by_its_manifest_is_not_pulled) {
  registry_fixture reg;
  test_http_server api([](const test::request& r) -> reply {
    std::string t(r.target());
    if (t.starts_with("/api/projects?"))
      return json(R"([{"project_id":7,"name":"test"}])", "1");
    if (t.starts_with("/api/repositories?project_id=7&"))
      return json(R"([{"name":"test/chart"}])", "1");
    if (t == "/api/repositories/test/chart/tags")
      return json(R"([{"name":"0.1.0","digest":"","created":"0001-01-01T00:00:00Z"}])");
    return {404, {}, "{}"};
  });
  ASSERT_TRUE(ctx.db->put_registry(record_for("harbor-V1", reg.server.url(), api.url())));
  auto sum = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(sum) << sum.err().message;
  EXPECT_EQ(sum->images_skipped, 1u);
  EXPECT_EQ(sum->images_ok, 0u);
  auto chart = ctx.db->get_image("lab/test/chart@" + reg.chart.digest);
  ASSERT_TRUE(chart) << chart.err().message;
  EXPECT_EQ(chart->artifact_type, "application/vnd.cncf.helm.config.v1+json");
  EXPECT_EQ(chart->created, "");
  for (auto& r : reg.server.requests())
    EXPECT_FALSE(std::string(r.target()).ends_with(reg.chart_config.digest)) << "the chart's config was fetched";
}

INSTANTIATE_TEST_SUITE_P(kinds, sync_kinds, testing::Values("harbor-V2", "harbor-V1", "tcr", "ccr"),
                         [](const auto& info) {
                           auto name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

} // namespace
} // namespace regscan
