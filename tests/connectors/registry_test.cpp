// oci_client against the real thing: distribution 2.8 (`docker-registry`)
// with htpasswd auth on a loopback port, images pushed by skopeo from OCI
// layouts made here. Skipped when the tools are not installed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>
#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/oci_client.hpp"
#include "connectors/registry_lister.hpp"
#include "connectors/sha256.hpp"
#include "connectors/tc3_signer.hpp"
#include "test_http_server.hpp"
#include "tests/test_support.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

extern char** environ;

namespace regscan {
namespace {

namespace fs = std::filesystem;

constexpr const char* registry_bin = "/usr/bin/docker-registry";
constexpr std::string_view oci_manifest_type = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view oci_index_type = "application/vnd.oci.image.index.v1+json";

using test::slurp;
using test::spit;
using test::have;
using test::free_port;
using test::port_open;

struct blob_ref {
  std::string digest;
  uint64_t size = 0;
};

// One image in an OCI layout: a gzip tar layer and its config.
struct built_image {
  blob_ref layer, config, manifest;
  std::string diff_id;
};

class layout_builder {
 public:
  explicit layout_builder(fs::path dir) : dir_(std::move(dir)) {
    spit(dir_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }

  blob_ref blob(std::string_view bytes) {
    auto d = sha256_digest(bytes);
    spit(dir_ / "blobs" / "sha256" / d.substr(7), bytes);
    return {d, bytes.size()};
  }

  std::optional<built_image> image(const fs::path& work, const std::string& arch,
                                   const std::string& variant) {
    auto root = work / ("rootfs-" + arch);
    spit(root / "etc" / "hello.txt", "hello from " + arch + "\n");
    auto tar = work / ("layer-" + arch + ".tar");
    auto cmd = "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C " + root.string()
               + " -cf " + tar.string() + " . && gzip -n -k -f " + tar.string();
    if (std::system(cmd.c_str()) != 0)
      return std::nullopt;
    built_image img;
    img.diff_id = sha256_digest(slurp(tar));
    img.layer = blob(slurp(tar.string() + ".gz"));
    auto config = R"({"created":"2024-01-02T03:04:05Z","architecture":")" + arch + R"(","os":"linux",)"
                  + (variant.empty() ? "" : R"("variant":")" + variant + R"(",)")
                  + R"("config":{"Env":["PATH=/usr/bin"]},"rootfs":{"type":"layers","diff_ids":[")"
                  + img.diff_id
                  + R"("]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"COPY hello.txt /etc/"}]})";
    img.config = blob(config);
    img.manifest = blob(manifest("application/vnd.oci.image.config.v1+json", img.config,
                                 "application/vnd.oci.image.layer.v1.tar+gzip", img.layer));
    return img;
  }

  static std::string manifest(std::string_view config_type, const blob_ref& config,
                              std::string_view layer_type, const blob_ref& layer) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":")"
           + std::string(config_type) + R"(","digest":")" + config.digest + R"(","size":)"
           + std::to_string(config.size) + R"(},"layers":[{"mediaType":")" + std::string(layer_type)
           + R"(","digest":")" + layer.digest + R"(","size":)" + std::to_string(layer.size) + "}]}";
  }

  static std::string descriptor(std::string_view type, const blob_ref& b, const std::string& extra) {
    return R"({"mediaType":")" + std::string(type) + R"(","digest":")" + b.digest + R"(","size":)"
           + std::to_string(b.size) + extra + "}";
  }

  void write_index(const std::vector<std::string>& descriptors) {
    std::string out = R"({"schemaVersion":2,"manifests":[)";
    for (size_t i = 0; i < descriptors.size(); ++i)
      out += (i ? "," : "") + descriptors[i];
    spit(dir_ / "index.json", out + "]}");
  }

 private:
  fs::path dir_;
};

// Shared by every test of the suite: starting a registry and pushing
// images is the slow part, so it happens once.
struct registry_env {
  bool skipped = false;
  std::string setup_error;
  fs::path dir;
  pid_t pid = -1;
  uint16_t port = 0;
  built_image amd64, arm64;
  blob_ref index;
  // test/list:1, a Docker manifest list of the two images in schema 2.
  blob_ref list, list_amd64, list_arm64;
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port); }
};

registry_env* env = nullptr;

/// Starts docker-registry with `config` and waits (bounded) until it listens.
std::string spawn_registry(const fs::path& config, const fs::path& log_file, uint16_t port,
                           pid_t& pid) {
  auto log = log_file.string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string serve = "serve", cfg = config.string();
  char* argv[] = {const_cast<char*>(registry_bin), serve.data(), cfg.data(), nullptr};
  int rc = posix_spawn(&pid, registry_bin, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid = -1;
    return "cannot start docker-registry";
  }
  // An external process: poll until it listens (bounded).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!port_open(port)) {
    if (std::chrono::steady_clock::now() > deadline || waitpid(pid, nullptr, WNOHANG) == pid)
      return "docker-registry did not start: " + slurp(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

class registry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env = new registry_env;
    if (access(registry_bin, X_OK) != 0 || !have("skopeo") || !have("htpasswd") || !have("tar")
        || !have("gzip") || !have("curl")) {
      env->skipped = true;
      return;
    }
    char tmpl[] = "/tmp/regscan-registry-XXXXXX";
    if (!mkdtemp(tmpl)) {
      env->setup_error = "mkdtemp failed";
      return;
    }
    env->dir = tmpl;
    env->setup_error = start();
  }

  static std::string start() {
    auto& e = *env;
    auto htpasswd = e.dir / "htpasswd";
    if (std::system(("htpasswd -Bbn u p > " + htpasswd.string()).c_str()) != 0)
      return "htpasswd failed";
    e.port = free_port();
    auto config = e.dir / "config.yml";
    spit(config, "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                 "storage:\n  filesystem:\n    rootdirectory: " + (e.dir / "storage").string()
                   + "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(e.port)
                   + "\nauth:\n  htpasswd:\n    realm: regscan-test\n    path: " + htpasswd.string()
                   + "\n");
    if (auto err = spawn_registry(config, e.dir / "registry.log", e.port, e.pid); !err.empty())
      return err;

    auto layout = e.dir / "layout";
    layout_builder b(layout);
    auto amd = b.image(e.dir, "amd64", "");
    auto arm = b.image(e.dir, "arm64", "v8");
    if (!amd || !arm)
      return "cannot build test layers with tar/gzip";
    e.amd64 = *amd;
    e.arm64 = *arm;
    // A BuildKit-style attestation: an "unknown/unknown" platform entry.
    auto att_layer = b.blob(R"({"_type":"https://in-toto.io/Statement/v0.1"})");
    auto att_config = b.blob("{}");
    auto att = b.blob(layout_builder::manifest("application/vnd.oci.image.config.v1+json", att_config,
                                               "application/vnd.in-toto+json", att_layer));
    e.index = b.blob(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      + layout_builder::descriptor(oci_manifest_type, e.amd64.manifest,
                                   R"(,"platform":{"architecture":"amd64","os":"linux"})")
      + "," + layout_builder::descriptor(oci_manifest_type, e.arm64.manifest,
                                         R"(,"platform":{"architecture":"arm64","os":"linux","variant":"v8"})")
      + "," + layout_builder::descriptor(oci_manifest_type, att,
                                         R"(,"platform":{"architecture":"unknown","os":"unknown"},)"
                                         R"("annotations":{"vnd.docker.reference.type":"attestation-manifest",)"
                                         R"("vnd.docker.reference.digest":")" + e.amd64.manifest.digest + R"("})")
      + "]}");
    b.write_index({
      layout_builder::descriptor(oci_manifest_type, e.amd64.manifest,
                                 R"(,"annotations":{"org.opencontainers.image.ref.name":"latest"})"),
      layout_builder::descriptor(oci_manifest_type, e.arm64.manifest,
                                 R"(,"annotations":{"org.opencontainers.image.ref.name":"arm"})"),
      layout_builder::descriptor(oci_index_type, e.index,
                                 R"(,"annotations":{"org.opencontainers.image.ref.name":"multi"})"),
    });
    auto policy = e.dir / "policy.json";
    spit(policy, R"({"default":[{"type":"insecureAcceptAnything"}]})");
    auto skopeo_log = e.dir / "skopeo.log";
    auto copy = "skopeo --policy " + policy.string()
                + " copy --quiet --dest-tls-verify=false --dest-creds u:p ";
    auto dest = " docker://127.0.0.1:" + std::to_string(e.port);
    for (auto args : {"oci:" + layout.string() + ":latest" + dest + "/test/img:1",
                      "--all oci:" + layout.string() + ":multi" + dest + "/test/multi:1",
                      "--format v2s2 oci:" + layout.string() + ":latest" + dest + "/test/v2:1"}) {
      auto cmd = copy + args + " >" + skopeo_log.string() + " 2>&1";
      if (std::system(cmd.c_str()) != 0)
        return "skopeo copy " + args + " failed: " + slurp(skopeo_log);
    }
    return push_manifest_list(layout, copy, dest, skopeo_log);
  }

  // A Docker manifest list, as `docker manifest push` makes one: the two
  // images in schema 2 (pushed by skopeo under their own tags), then the
  // list put by curl.
  static std::string push_manifest_list(const fs::path& layout, const std::string& copy,
                                        const std::string& dest, const fs::path& log) {
    auto& e = *env;
    const std::string docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
    auto base = e.address() + "/v2/test/list/manifests/";
    std::string entries;
    for (auto [ref, arch, out] : {std::tuple{"latest", "amd64", &e.list_amd64}, std::tuple{"arm", "arm64", &e.list_arm64}}) {
      auto args = "--format v2s2 oci:" + layout.string() + ":" + ref + dest + "/test/list:" + arch;
      if (std::system((copy + args + " >" + log.string() + " 2>&1").c_str()) != 0)
        return "skopeo copy " + args + " failed: " + slurp(log);
      auto file = e.dir / (std::string("list-") + arch + ".json");
      auto get = "curl -sf -u u:p -H 'Accept: " + docker_manifest + "' -o " + file.string() + " " + base + arch;
      if (std::system(get.c_str()) != 0)
        return "curl could not read test/list:" + std::string(arch);
      auto bytes = slurp(file);
      *out = {sha256_digest(bytes), bytes.size()};
      entries += std::string(entries.empty() ? "" : ",") + R"({"mediaType":")" + docker_manifest + R"(","digest":")"
                 + out->digest + R"(","size":)" + std::to_string(out->size)
                 + R"(,"platform":{"architecture":")" + arch + R"(","os":"linux")"
                 + (std::string(arch) == "arm64" ? R"(,"variant":"v8")" : "") + "}}";
    }
    auto list = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[)"
                + entries + "]}";
    e.list = {sha256_digest(list), list.size()};
    auto file = e.dir / "list.json";
    spit(file, list);
    auto put = "curl -sf -u u:p -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.list.v2+json'"
               " --data-binary @" + file.string() + " " + base + "1 >" + log.string() + " 2>&1";
    if (std::system(put.c_str()) != 0)
      return "curl could not put the manifest list: " + slurp(log);
    return {};
  }

  static void TearDownTestSuite() {
    if (env->pid > 0) {
      kill(env->pid, SIGTERM);
      waitpid(env->pid, nullptr, 0);
    }
    if (!env->dir.empty()) {
      std::error_code ec;
      fs::remove_all(env->dir, ec);
    }
    delete env;
    env = nullptr;
  }

  void SetUp() override {
    if (env->skipped)
      GTEST_SKIP() << "docker-registry, skopeo, htpasswd, tar, gzip or curl not installed (CI installs them)";
    ASSERT_EQ(env->setup_error, "");
  }

  oci_client client(std::string password = "p") {
    oci_client c(env->address(), {"u", std::move(password)}, http_options{.timeout = std::chrono::seconds(10)});
    c.set_sleep([](std::chrono::milliseconds) {}); // never wait in tests
    return c;
  }
};

TEST_F(registry, ping_checks_credentials) {
  auto good = client();
  auto ok = good.ping();
  ASSERT_TRUE(ok) << ok.err().message;
  auto bad = client("wrong").ping();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().message, "authentication failed for 127.0.0.1:" + std::to_string(env->port)
                                 + ": check username/password");
  oci_client anonymous(env->address(), {});
  auto none = anonymous.ping();
  ASSERT_FALSE(none);
  EXPECT_NE(none.err().message.find("no username/password"), std::string::npos) << none.err().message;
}

TEST_F(registry, catalog_and_tags) {
  auto c = client();
  auto repos = c.catalog();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, (std::vector<std::string>{"test/img", "test/list", "test/multi", "test/v2"}));
  auto tags = c.tags("test/img");
  ASSERT_TRUE(tags) << tags.err().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"1"});
  auto missing = c.tags("test/nothing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("404"), std::string::npos) << missing.err().message;
}

TEST_F(registry, resolve_single_image) {
  auto c = client();
  auto images = c.resolve("test/img", "1");
  ASSERT_TRUE(images) << images.err().message;
  ASSERT_EQ(images->size(), 1u);
  auto& img = images->front();
  EXPECT_EQ(img.repository, "test/img");
  EXPECT_EQ(img.tag, "1");
  EXPECT_EQ(img.manifest_digest, env->amd64.manifest.digest);
  EXPECT_EQ(img.index_digest, "");
  EXPECT_EQ(img.media_type, oci_manifest_type);
  EXPECT_EQ(img.config_digest, env->amd64.config.digest);
  EXPECT_EQ(img.os, "linux");
  EXPECT_EQ(img.architecture, "amd64");
  EXPECT_EQ(img.variant, "");
  EXPECT_EQ(img.created, "2024-01-02T03:04:05Z");
  ASSERT_EQ(img.layers.size(), 1u);
  EXPECT_EQ(img.layers[0].digest, env->amd64.layer.digest);
  EXPECT_EQ(img.layers[0].size, env->amd64.layer.size);
  EXPECT_EQ(img.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(img.size, env->amd64.layer.size);
  EXPECT_EQ(img.diff_ids, std::vector<std::string>{env->amd64.diff_id});
  EXPECT_NE(img.config_json.find("COPY hello.txt /etc/"), std::string::npos);

  auto head = c.head_manifest("test/img", "1");
  ASSERT_TRUE(head) << head.err().message;
  EXPECT_EQ(*head, env->amd64.manifest.digest);

  auto by_digest = c.resolve("test/img", env->amd64.manifest.digest);
  ASSERT_TRUE(by_digest) << by_digest.err().message;
  ASSERT_EQ(by_digest->size(), 1u);
  EXPECT_EQ(by_digest->front().tag, "");
  EXPECT_EQ(by_digest->front().config_digest, env->amd64.config.digest);

  auto missing = c.resolve("test/img", "2");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("MANIFEST_UNKNOWN"), std::string::npos) << missing.err().message;
}

TEST_F(registry, fetch_blob_streams_verified_bytes) {
  auto c = client();
  std::string got;
  auto sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    return {};
  };
  auto ok = c.fetch_blob("test/img", env->amd64.layer.digest, sink);
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_EQ(got.size(), env->amd64.layer.size);
  EXPECT_EQ(sha256_digest(got), env->amd64.layer.digest);
  auto absent = c.fetch_blob("test/img", sha256_digest("not pushed"), sink);
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.err().message.find("404"), std::string::npos) << absent.err().message;
  auto wrong_password = client("wrong").fetch_blob("test/img", env->amd64.layer.digest, sink);
  ASSERT_FALSE(wrong_password);
  EXPECT_NE(wrong_password.err().message.find("authentication failed"), std::string::npos);
}

TEST_F(registry, resolve_multi_arch_index) {
  auto c = client();
  auto images = c.resolve("test/multi", "1");
  ASSERT_TRUE(images) << images.err().message;
  ASSERT_EQ(images->size(), 2u); // the attestation entry is skipped
  auto& amd = (*images)[0];
  auto& arm = (*images)[1];
  EXPECT_EQ(amd.index_digest, env->index.digest);
  EXPECT_EQ(arm.index_digest, env->index.digest);
  EXPECT_EQ(amd.manifest_digest, env->amd64.manifest.digest);
  EXPECT_EQ(arm.manifest_digest, env->arm64.manifest.digest);
  EXPECT_EQ(amd.architecture, "amd64");
  EXPECT_EQ(arm.architecture, "arm64");
  EXPECT_EQ(arm.variant, "v8");
  EXPECT_EQ(arm.os, "linux");
  EXPECT_EQ(arm.tag, "1");
  EXPECT_EQ(arm.diff_ids, std::vector<std::string>{env->arm64.diff_id});
  EXPECT_EQ(arm.layers.at(0).digest, env->arm64.layer.digest);
  auto head = c.head_manifest("test/multi", "1");
  ASSERT_TRUE(head) << head.err().message;
  EXPECT_EQ(*head, env->index.digest);
}

TEST_F(registry, resolve_docker_schema2) {
  auto c = client();
  auto images = c.resolve("test/v2", "1");
  ASSERT_TRUE(images) << images.err().message;
  ASSERT_EQ(images->size(), 1u);
  auto& img = images->front();
  EXPECT_EQ(img.media_type, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(img.os, "linux");
  EXPECT_EQ(img.architecture, "amd64");
  ASSERT_EQ(img.layers.size(), 1u);
  EXPECT_EQ(img.layers[0].digest, env->amd64.layer.digest);
  EXPECT_EQ(img.layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_EQ(img.diff_ids, std::vector<std::string>{env->amd64.diff_id});
}

// ---- listers against fixtures of the vendors' APIs ---------------------------
// Each fixture answers the listing API of one kind, written from the
// published definitions (Harbor 2.x and 1.x swagger; Tencent Cloud API 3.0
// reference for tcr 2019-09-24, actions DescribeRepositories/DescribeImages
// and DescribeRepositoryOwnerPersonal/DescribeImagePersonal). The images
// they list live in the real docker-registry above and are pulled from it.

using test::reply;
using test::test_http_server;

// Lists through the lister, then resolves every artifact from the real
// registry the way run_sync does: digest known -> resolve; else HEAD first.
std::map<std::string, std::vector<oci_image>> list_and_resolve(registry_lister& lister, oci_client& c) {
  std::map<std::string, std::vector<oci_image>> out;
  auto repos = lister.repositories();
  EXPECT_TRUE(repos) << repos.err().message;
  if (!repos)
    return out;
  for (auto& repo : *repos) {
    auto arts = lister.artifacts(repo);
    EXPECT_TRUE(arts) << arts.err().message;
    if (!arts)
      continue;
    for (auto& a : *arts)
      for (auto& tag : a.tags) {
        auto digest = a.digest.empty() ? c.head_manifest(repo, tag) : expected<std::string>(a.digest);
        EXPECT_TRUE(digest) << digest.err().message;
        auto images = c.resolve(repo, *digest);
        EXPECT_TRUE(images) << images.err().message;
        if (images)
          out[repo + ":" + tag] = *images;
      }
  }
  return out;
}

void expect_test_images(const std::map<std::string, std::vector<oci_image>>& got) {
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got.at("test/img:1").size(), 1u);
  EXPECT_EQ(got.at("test/img:1")[0].manifest_digest, env->amd64.manifest.digest);
  ASSERT_EQ(got.at("test/multi:1").size(), 2u);
  EXPECT_EQ(got.at("test/multi:1")[1].manifest_digest, env->arm64.manifest.digest);
  EXPECT_EQ(got.at("test/multi:1")[1].index_digest, env->index.digest);
  EXPECT_EQ(got.at("test/multi:1")[1].index_media_type, oci_index_type);
}

lister_config fixture_config(const std::string& type, const std::string& api) {
  lister_config cfg;
  cfg.type = type;
  cfg.address = env->address();
  cfg.api_endpoint = api;
  cfg.creds = {"u", "p"};
  cfg.http.timeout = std::chrono::seconds(10);
  return cfg;
}

std::string header(const test::request& r, std::string_view name) {
  auto it = r.find(boost::beast::string_view(name.data(), name.size()));
  return it == r.end() ? std::string{} : std::string(it->value());
}

TEST_F(registry, harbor_v2_lists_projects_repositories_artifacts) {
  const auto auth = basic_auth({"u", "p"});
  // Three projects, a page size of 100 and X-Total-Count: the lister must
  // ask for page 2 of the projects (fixture pages by 2 to force it: it
  // still returns a short page, so X-Total-Count decides).
  test_http_server api([&](const test::request& r) -> reply {
    if (header(r, "Authorization") != auth)
      return {401, {}, R"({"errors":[{"code":"UNAUTHORIZED"}]})"};
    std::string t(r.target());
    if (t == "/api/v2.0/projects?page=1&page_size=100")
      return {200, {{"X-Total-Count", "3"}}, R"([{"project_id":1,"name":"test"},{"project_id":2,"name":"empty"}])"};
    if (t == "/api/v2.0/projects?page=2&page_size=100")
      return {200, {{"X-Total-Count", "3"}}, R"([{"project_id":3,"name":"other"}])"};
    if (t == "/api/v2.0/projects/test/repositories?page=1&page_size=100")
      return {200, {{"X-Total-Count", "2"}}, R"([{"name":"test/img"},{"name":"test/multi"}])"};
    if (t.starts_with("/api/v2.0/projects/empty/repositories") || t.starts_with("/api/v2.0/projects/other/repositories"))
      return {200, {{"X-Total-Count", "0"}}, "[]"};
    if (t == "/api/v2.0/projects/test/repositories/img/artifacts?page=1&page_size=100&with_tag=true")
      return {200, {{"X-Total-Count", "1"}},
              R"([{"digest":")" + env->amd64.manifest.digest + R"(","size":)" + std::to_string(env->amd64.layer.size)
                + R"(,"manifest_media_type":"application/vnd.oci.image.manifest.v1+json","push_time":"2024-05-06T07:08:09.000Z",)"
                  R"("extra_attrs":{"created":"2024-01-02T03:04:05Z"},"tags":[{"name":"1"}]},)"
                  R"({"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","tags":null}])"};
    if (t == "/api/v2.0/projects/test/repositories/multi/artifacts?page=1&page_size=100&with_tag=true")
      return {200, {{"X-Total-Count", "1"}},
              R"([{"digest":")" + env->index.digest
                + R"(","manifest_media_type":"application/vnd.oci.image.index.v1+json","push_time":"2024-05-06T07:08:10.000Z","tags":[{"name":"1"}]}])"};
    return {404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})"};
  });
  auto c = client();
  auto lister = make_lister(fixture_config("harbor", api.url()), c);
  ASSERT_TRUE(lister) << lister.err().message;
  auto arts = (*lister)->artifacts("test/img");
  ASSERT_TRUE(arts) << arts.err().message;
  ASSERT_EQ(arts->size(), 1u); // the untagged artifact is not listed
  EXPECT_EQ((*arts)[0].pushed, "2024-05-06T07:08:09.000Z");
  EXPECT_EQ((*arts)[0].created, "2024-01-02T03:04:05Z");
  EXPECT_EQ((*arts)[0].size, env->amd64.layer.size);
  expect_test_images(list_and_resolve(**lister, c));
  EXPECT_EQ(api.count("/api/v2.0/projects?page=2"), 1u);

  auto bad = fixture_config("harbor", api.url());
  bad.creds.password = "wrong";
  auto denied = make_lister(bad, c);
  auto none = (*denied)->repositories();
  ASSERT_FALSE(none);
  EXPECT_NE(none.err().message.find("check username/password"), std::string::npos) << none.err().message;
}

// Harbor 2.3 as its own handlers answer (src/server/v2.0/handler/project.go,
// artifact.go): a robot account's /projects holds the public projects only,
// though /projects/<name>/repositories answers for its private ones; a
// proxy-cache project carries the id of its upstream in `registry_id`; an
// artifact's `type` says what it is (IMAGE, CHART, CNAB, UNKNOWN).
TEST_F(registry, harbor_v2_robot_proxy_cache_and_artifact_types) {
  const auto robot = basic_auth({"robot$ci", "p"});
  test_http_server api([&](const test::request& r) -> reply {
    if (header(r, "Authorization") != robot)
      return {401, {}, R"({"errors":[{"code":"UNAUTHORIZED"}]})"};
    std::string t(r.target());
    if (t == "/api/v2.0/projects?page=1&page_size=100")
      return {200, {{"X-Total-Count", "2"}},
              R"([{"project_id":1,"name":"pub","metadata":{"public":"true"},"registry_id":null},)"
              R"({"project_id":3,"name":"hub","metadata":{"public":"true"},"registry_id":2}])"};
    if (t == "/api/v2.0/projects/pub/repositories?page=1&page_size=100")
      return {200, {{"X-Total-Count", "0"}}, "[]"};
    if (t == "/api/v2.0/projects/hub/repositories?page=1&page_size=100")
      return {200, {{"X-Total-Count", "1"}}, R"([{"name":"hub/library/alpine"}])"};
    if (t == "/api/v2.0/projects/test/repositories?page=1&page_size=100") // private
      return {200, {{"X-Total-Count", "1"}}, R"([{"name":"test/img"}])"};
    if (t == "/api/v2.0/projects/test/repositories/img/artifacts?page=1&page_size=100&with_tag=true")
      return {200, {{"X-Total-Count", "2"}},
              R"([{"digest":")" + env->amd64.manifest.digest + R"(","type":"IMAGE","tags":[{"name":"1"}]},)"
              R"({"digest":")" + env->index.digest + R"(","type":"CHART","manifest_media_type":"application/vnd.oci.image.manifest.v1+json",)"
              R"("push_time":"0001-01-01T00:00:00.000Z","tags":[{"name":"chart-0.1.0"}]}])"};
    return {404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})"};
  });
  auto c = client();
  auto cfg = fixture_config("harbor", api.url());
  cfg.creds = {"robot$ci", "p"};
  auto lister = make_lister(cfg, c);
  auto repos = (*lister)->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_TRUE(repos->empty()) << "the proxy cache is skipped, the private project unseen";
  EXPECT_EQ((*lister)->projects_skipped(), 1u);
  auto notes = (*lister)->notes();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("robot account"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("project hub is a proxy cache"), std::string::npos) << notes[1];

  cfg.include_proxy_cache = true;
  auto with_cache = (*make_lister(cfg, c))->repositories();
  ASSERT_TRUE(with_cache);
  EXPECT_EQ(*with_cache, std::vector<std::string>{"hub/library/alpine"});

  cfg.projects = {"test"};
  auto scoped = make_lister(cfg, c);
  repos = (*scoped)->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, std::vector<std::string>{"test/img"});
  EXPECT_TRUE((*scoped)->notes().empty()) << "projects named: nothing is hidden";
  auto arts = (*scoped)->artifacts("test/img");
  ASSERT_TRUE(arts) << arts.err().message;
  ASSERT_EQ(arts->size(), 2u);
  EXPECT_EQ((*arts)[0].kind, "");
  EXPECT_EQ((*arts)[1].kind, "chart");
  EXPECT_EQ((*arts)[1].pushed, "");
}

// Harbor 1.10 (src/core/api/repository.go, its registry client): a tag's
// `digest` is what the registry answers to a manifest GET that accepts
// Docker schema 2 only. distribution 2.8 then rewrites a manifest list to
// its linux/amd64 child, and refuses OCI manifests and indexes (no digest).
// Unknown times are Go's zero time. This fixture fronts the real registry
// and asks it exactly that way.
std::string harbor110_digest(const std::string& repo, const std::string& tag) {
  http_client http(http_options{.timeout = std::chrono::seconds(10)});
  auto r = http.request("GET", env->address() + "/v2/" + repo + "/manifests/" + tag,
                        {{"Authorization", basic_auth({"u", "p"})},
                         {"Accept", "application/vnd.docker.distribution.manifest.v2+json"}});
  if (!r || r->status != 200)
    return {};
  return r->header("docker-content-digest");
}

test::reply harbor110(const test::request& r) {
  std::string t(r.target());
  if (header(r, "Authorization") != basic_auth({"u", "p"}))
    return {401, {}, "unauthorized"};
  if (t == "/api/projects?page=1&page_size=100")
    return {200, {{"X-Total-Count", "1"}}, R"([{"project_id":7,"name":"test"}])"};
  if (t == "/api/projects?name=test&page=1&page_size=100") // a substring search
    return {200, {{"X-Total-Count", "2"}}, R"([{"project_id":8,"name":"test-old"},{"project_id":7,"name":"test"}])"};
  if (t.starts_with("/api/projects?name="))
    return {200, {{"X-Total-Count", "0"}}, "[]"};
  if (t == "/api/repositories?project_id=7&page=1&page_size=100")
    return {200, {{"X-Total-Count", "3"}}, R"([{"id":1,"name":"test/img"},{"id":2,"name":"test/multi"},{"id":3,"name":"test/list"}])"};
  const std::string prefix = "/api/repositories/", suffix = "/tags";
  if (t.starts_with(prefix) && t.ends_with(suffix)) {
    auto repo = t.substr(prefix.size(), t.size() - prefix.size() - suffix.size());
    oci_client c(env->address(), {"u", "p"}, http_options{.timeout = std::chrono::seconds(10)});
    auto tags = c.tags(repo);
    if (!tags)
      return {404, {}, "not found"};
    std::string out;
    for (auto& tag : *tags) {
      auto digest = harbor110_digest(repo, tag);
      auto time = digest.empty() ? "0001-01-01T00:00:00Z" : "2024-01-02T03:04:05Z";
      out += std::string(out.empty() ? "" : ",") + R"({"digest":")" + digest + R"(","name":")" + tag
             + R"(","size":0,"created":")" + time + R"(","push_time":"0001-01-01T00:00:00Z"})";
    }
    return {200, {}, "[" + out + "]"};
  }
  return {404, {}, "not found"};
}

TEST_F(registry, harbor_v1_finds_every_platform_of_a_manifest_list) {
  test_http_server api(harbor110);
  // The fixture is faithful: the real registry does rewrite the list.
  ASSERT_EQ(harbor110_digest("test/list", "1"), env->list_amd64.digest);
  ASSERT_EQ(harbor110_digest("test/multi", "1"), "");
  auto c = client();
  auto cfg = fixture_config("harbor", api.url());
  cfg.version = "V1";
  auto lister = make_lister(cfg, c);
  ASSERT_TRUE(lister) << lister.err().message;
  auto arts = (*lister)->artifacts("test/img");
  ASSERT_TRUE(arts) << arts.err().message;
  ASSERT_EQ(arts->size(), 1u);
  EXPECT_EQ((*arts)[0].pushed, ""); // year 1 is "unknown"
  auto got = list_and_resolve(**lister, c);
  ASSERT_EQ(got.at("test/img:1").size(), 1u);
  for (auto [ref, index] : {std::pair{"test/list:1", env->list.digest}, std::pair{"test/multi:1", env->index.digest}}) {
    auto& images = got.at(ref);
    ASSERT_EQ(images.size(), 2u) << ref << ": every platform, not the amd64 child alone";
    EXPECT_EQ(images[0].index_digest, index) << ref;
    EXPECT_EQ(images[0].architecture, "amd64") << ref;
    EXPECT_EQ(images[1].architecture, "arm64") << ref;
  }
  EXPECT_EQ(got.at("test/list:1")[1].manifest_digest, env->list_arm64.digest);

  // A named project is found by its exact name in Harbor's substring search.
  cfg.projects = {"test"};
  auto named = make_lister(cfg, c);
  auto repos = (*named)->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(repos->size(), 3u);
  cfg.projects = {"nope"};
  auto missing = (*make_lister(cfg, c))->repositories();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("nope not found"), std::string::npos) << missing.err().message;
}

// Verifies a TC3-HMAC-SHA256 request the way Tencent Cloud's gateway does;
// the reference implementation for the algorithm itself is python's hmac
// (see tc3_signature_matches_reference).
std::string tencent_check(const test::request& r, const std::string& host, const std::string& secret_key) {
  if (r.method() != boost::beast::http::verb::post || r.target() != "/")
    return "not POST /";
  tc3_request rq{"AKIDtest", secret_key, "tcr", host, header(r, "X-TC-Action"), header(r, "X-TC-Version"),
                 header(r, "X-TC-Region"), r.body(), std::stoll(header(r, "X-TC-Timestamp"))};
  if (header(r, "Authorization") != tc3_authorization(rq))
    return "AuthFailure.SignatureFailure";
  if (header(r, "Content-Type") != tc3_content_type || rq.version != "2019-09-24" || rq.region != "ap-guangzhou")
    return "bad headers";
  return {};
}

reply tencent_reply(const std::string& inner) {
  return {200, {{"Content-Type", "application/json"}}, R"({"Response":{)" + inner + R"(,"RequestId":"r-1"}})"};
}

TEST_F(registry, tcr_lists_through_signed_api_calls) {
  std::unique_ptr<test_http_server> api;
  std::vector<std::string> bodies;
  api = std::make_unique<test_http_server>([&](const test::request& r) -> reply {
    auto host = "127.0.0.1:" + std::to_string(api->port());
    if (auto bad = tencent_check(r, host, "secret"); !bad.empty())
      return tencent_reply(R"("Error":{"Code":"AuthFailure.SignatureFailure","Message":")" + bad + R"("})");
    bodies.push_back(r.body());
    auto action = header(r, "X-TC-Action");
    if (action == "DescribeRepositories")
      return tencent_reply(R"("RepositoryList":[{"Name":"test/img","Namespace":"test"},{"Name":"test/multi","Namespace":"test"}],"TotalCount":2)");
    if (action == "DescribeImages" && r.body().find(R"("RepositoryName":"img")") != std::string::npos)
      return tencent_reply(R"("ImageInfoList":[{"Digest":")" + env->amd64.manifest.digest
                           + R"(","Size":10,"ImageVersion":"1","UpdateTime":"2024-05-06 07:08:09"}],"TotalCount":1)");
    if (action == "DescribeImages")
      return tencent_reply(R"("ImageInfoList":[{"Digest":")" + env->index.digest
                           + R"(","Size":10,"ImageVersion":"1","UpdateTime":"2024-05-06 07:08:10"}],"TotalCount":1)");
    return tencent_reply(R"("Error":{"Code":"InvalidAction","Message":"no such action"})");
  });
  auto c = client();
  auto cfg = fixture_config("tcr", api->url());
  cfg.region = "ap-guangzhou";
  cfg.instance_id = "tcr-abc";
  cfg.secret_id = "AKIDtest";
  cfg.secret_key = "secret";
  auto lister = make_lister(cfg, c);
  ASSERT_TRUE(lister) << lister.err().message;
  expect_test_images(list_and_resolve(**lister, c));
  ASSERT_FALSE(bodies.empty());
  EXPECT_EQ(bodies[0], R"({"RegistryId":"tcr-abc","Offset":1,"Limit":100})");
  EXPECT_NE(bodies[1].find(R"("NamespaceName":"test","RepositoryName":"img")"), std::string::npos) << bodies[1];

  cfg.secret_key = "wrong";
  auto denied = make_lister(cfg, c);
  auto none = (*denied)->repositories();
  ASSERT_FALSE(none);
  EXPECT_NE(none.err().message.find("AuthFailure.SignatureFailure"), std::string::npos) << none.err().message;
}

TEST_F(registry, ccr_lists_through_personal_edition_actions) {
  std::unique_ptr<test_http_server> api;
  api = std::make_unique<test_http_server>([&](const test::request& r) -> reply {
    auto host = "127.0.0.1:" + std::to_string(api->port());
    if (auto bad = tencent_check(r, host, "secret"); !bad.empty())
      return tencent_reply(R"("Error":{"Code":"AuthFailure.SignatureFailure","Message":")" + bad + R"("})");
    auto action = header(r, "X-TC-Action");
    if (action == "DescribeRepositoryOwnerPersonal")
      return tencent_reply(R"("Data":{"TotalCount":2,"RepoInfo":[{"RepoName":"test/img"},{"RepoName":"test/multi"}],"Server":"ccr.ccs.tencentyun.com"})");
    if (action == "DescribeImagePersonal")
      return tencent_reply(R"("Data":{"TagCount":1,"TagInfo":[{"TagName":"1","SizeByte":10,"PushTime":"2024-05-06 07:08:09"}],"Server":"x"})");
    return tencent_reply(R"("Error":{"Code":"InvalidAction","Message":"no such action"})");
  });
  auto c = client();
  auto cfg = fixture_config("ccr", api->url());
  cfg.region = "ap-guangzhou";
  cfg.secret_id = "AKIDtest";
  cfg.secret_key = "secret";
  auto lister = make_lister(cfg, c);
  ASSERT_TRUE(lister) << lister.err().message;
  expect_test_images(list_and_resolve(**lister, c));
}

// TCR (tcr 2019-09-24) as its API reference describes the parts the first
// fixture leaves out: temporary credentials (STS, a role) are refused
// without their token in X-TC-Token; DescribeRepositories narrows to one
// NamespaceName; TcrImageInfo.Kind tells an image from a Helm chart.
TEST_F(registry, tcr_temporary_credentials_namespaces_and_kind) {
  std::unique_ptr<test_http_server> api;
  std::vector<std::string> repo_bodies;
  api = std::make_unique<test_http_server>([&](const test::request& r) -> reply {
    auto host = "127.0.0.1:" + std::to_string(api->port());
    if (auto bad = tencent_check(r, host, "secret"); !bad.empty())
      return tencent_reply(R"("Error":{"Code":"AuthFailure.SignatureFailure","Message":")" + bad + R"("})");
    if (header(r, "X-TC-Token") != "session-token")
      return tencent_reply(R"("Error":{"Code":"AuthFailure.TokenFailure","Message":"token missing"})");
    auto action = header(r, "X-TC-Action");
    if (action == "DescribeRepositories") {
      repo_bodies.push_back(r.body());
      return tencent_reply(R"("RepositoryList":[{"Name":"test/img","Namespace":"test"}],"TotalCount":1)");
    }
    if (action == "DescribeImages")
      return tencent_reply(R"("ImageInfoList":[{"Digest":")" + env->amd64.manifest.digest
                           + R"(","Size":10,"ImageVersion":"1","Kind":"image","UpdateTime":"2024-05-06 07:08:09"},)"
                             R"({"Digest":")" + env->index.digest
                           + R"(","Size":10,"ImageVersion":"0.1.0","Kind":"Helm","UpdateTime":"2024-05-06 07:08:10"}],"TotalCount":2)");
    return tencent_reply(R"("Error":{"Code":"InvalidAction","Message":"no such action"})");
  });
  auto c = client();
  auto cfg = fixture_config("tcr", api->url());
  cfg.region = "ap-guangzhou";
  cfg.instance_id = "tcr-abc";
  cfg.secret_id = "AKIDtest";
  cfg.secret_key = "secret";
  auto without = (*make_lister(cfg, c))->repositories();
  ASSERT_FALSE(without);
  EXPECT_NE(without.err().message.find("AuthFailure.TokenFailure"), std::string::npos) << without.err().message;

  cfg.secret_token = "session-token";
  cfg.projects = {"test"};
  auto lister = make_lister(cfg, c);
  auto repos = (*lister)->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, std::vector<std::string>{"test/img"});
  ASSERT_EQ(repo_bodies.size(), 1u);
  EXPECT_NE(repo_bodies[0].find(R"("NamespaceName":"test")"), std::string::npos) << repo_bodies[0];
  auto arts = (*lister)->artifacts("test/img");
  ASSERT_TRUE(arts) << arts.err().message;
  ASSERT_EQ(arts->size(), 2u);
  EXPECT_EQ((*arts)[0].kind, "");
  EXPECT_EQ((*arts)[1].kind, "helm");
}

// CCR's personal API pages by item offset over a listing that may hold a
// row twice (TotalCount counts rows): the next offset is the rows received.
TEST_F(registry, ccr_pages_by_rows_through_a_duplicate) {
  std::vector<std::string> rows;
  for (int i = 0; i < 101; ++i)
    rows.push_back(R"({"RepoName":"ns/repo)" + std::to_string(i == 50 ? 49 : i) + R"("})");
  std::unique_ptr<test_http_server> api;
  api = std::make_unique<test_http_server>([&](const test::request& r) -> reply {
    auto host = "127.0.0.1:" + std::to_string(api->port());
    if (auto bad = tencent_check(r, host, "secret"); !bad.empty())
      return tencent_reply(R"("Error":{"Code":"AuthFailure.SignatureFailure","Message":")" + bad + R"("})");
    auto body = r.body();
    auto number = [&](const std::string& key) {
      auto at = body.find("\"" + key + "\":");
      return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size() + 3));
    };
    size_t offset = number("Offset"), limit = number("Limit");
    std::string page;
    for (size_t i = offset; i < rows.size() && i < offset + limit; ++i)
      page += (page.empty() ? "" : ",") + rows[i];
    return tencent_reply(R"("Data":{"TotalCount":101,"RepoInfo":[)" + page + "]}");
  });
  auto c = client();
  auto cfg = fixture_config("ccr", api->url());
  cfg.region = "ap-guangzhou";
  cfg.secret_id = "AKIDtest";
  cfg.secret_key = "secret";
  auto repos = (*make_lister(cfg, c))->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(repos->size(), 100u);
  EXPECT_EQ(repos->back(), "ns/repo100");
}

// The signature against an independent implementation of Tencent Cloud's
// published algorithm (python's hmac/hashlib), on a payload with non-ASCII
// text like the documentation's example.
// The real registry behind TLS with a self-signed certificate: verification
// on fails with a clear error, off (the user's choice for that registry) works.
TEST_F(registry, self_signed_tls_fails_verified_and_works_unverified) {
  if (!have("openssl"))
    GTEST_SKIP() << "openssl not installed (CI installs it)";
  auto dir = env->dir / "tls";
  fs::create_directories(dir);
  auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  auto gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
             " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert
             + " >" + (dir / "openssl.log").string() + " 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0) << slurp(dir / "openssl.log");
  auto port = free_port();
  spit(dir / "config.yml", "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                           "storage:\n  filesystem:\n    rootdirectory: " + (dir / "storage").string()
                             + "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port)
                             + "\n  tls:\n    certificate: " + cert + "\n    key: " + key + "\n");
  pid_t pid = -1;
  auto err = spawn_registry(dir / "config.yml", dir / "registry.log", port, pid);
  ASSERT_EQ(err, "");
  auto copy = "skopeo --policy " + (env->dir / "policy.json").string()
              + " copy --quiet --dest-tls-verify=false oci:" + (env->dir / "layout").string()
              + ":latest docker://127.0.0.1:" + std::to_string(port) + "/tls/img:1 >"
              + (dir / "skopeo.log").string() + " 2>&1";
  EXPECT_EQ(std::system(copy.c_str()), 0) << slurp(dir / "skopeo.log");
  auto address = "https://127.0.0.1:" + std::to_string(port);

  oci_client verified{address, {}, http_options{}};
  auto refused = verified.ping();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.err().message.find("certificate"), std::string::npos) << refused.err().message;

  http_options off;
  off.verify_tls = false;
  oci_client unverified{address, {}, off};
  EXPECT_TRUE(unverified.ping());
  auto repos = unverified.catalog();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, std::vector<std::string>{"tls/img"});
  auto images = unverified.resolve("tls/img", "1");
  ASSERT_TRUE(images) << images.err().message;
  EXPECT_EQ(images->front().manifest_digest, env->amd64.manifest.digest);

  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}


namespace {

std::string base64url(std::string_view in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += tbl[(buf >> bits) & 63];
    }
  }
  if (bits > 0)
    out += tbl[(buf << (6 - bits)) & 63];
  return out;
}

/// An RS256 JWT as distribution's token auth expects it: the signing
/// certificate in x5c, checked against the registry's rootcertbundle.
std::string sign_jwt(const std::string& key_pem, const std::string& cert_der_b64,
                     const std::string& claims) {
  auto header = R"({"alg":"RS256","typ":"JWT","x5c":[")" + cert_der_b64 + R"("]})";
  auto input = base64url(header) + "." + base64url(claims);
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (key && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
      && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1)
      sig.resize(len);
    else
      sig.clear();
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return input + "." + base64url(sig);
}

} // namespace

// The real registry with token auth: a small token server in the test issues
// JWTs for the scopes it is asked for, to the right Basic credentials only.
TEST_F(registry, token_auth_through_a_real_token_server) {
  if (!have("openssl"))
    GTEST_SKIP() << "openssl not installed (CI installs it)";
  auto dir = env->dir / "token";
  fs::create_directories(dir);
  auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  auto gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=regscan-token -keyout "
             + key + " -out " + cert + " >" + (dir / "openssl.log").string() + " 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0) << slurp(dir / "openssl.log");
  std::string cert_b64; // the PEM body is the DER certificate in base64
  {
    std::istringstream in{slurp(cert)};
    for (std::string line; std::getline(in, line);)
      if (line.rfind("-----", 0) != 0)
        cert_b64 += line;
  }
  auto key_pem = slurp(key);
  std::atomic<int> tokens{0};
  test_http_server token_server{[&](const test::request& req) -> test::reply {
    // "Basic dTpw" is u:p.
    if (req[test::http::field::authorization] != "Basic dTpw")
      return test::reply{401, {}, R"({"details":"bad credentials"})"};
    std::string target{req.target()};
    std::string access;
    for (size_t pos = 0; (pos = target.find("scope=", pos)) != std::string::npos;) {
      pos += 6;
      auto scope = target.substr(pos, target.find('&', pos) - pos);
      for (size_t i; (i = scope.find('%')) != std::string::npos && i + 2 < scope.size();)
        scope.replace(i, 3, 1, static_cast<char>(std::stoi(scope.substr(i + 1, 2), nullptr, 16)));
      auto c1 = scope.find(':'), c2 = scope.rfind(':');
      if (c1 == std::string::npos || c1 == c2)
        continue;
      std::string actions;
      std::istringstream acts{scope.substr(c2 + 1)};
      for (std::string a; std::getline(acts, a, ',');)
        actions += (actions.empty() ? "\"" : ",\"") + a + "\"";
      access += (access.empty() ? "" : ",") + std::string(R"({"type":")") + scope.substr(0, c1)
                + R"(","name":")" + scope.substr(c1 + 1, c2 - c1 - 1) + R"(","actions":[)"
                + actions + "]}";
    }
    auto now = std::time(nullptr);
    auto claims = R"({"iss":"regscan-issuer","sub":"u","aud":"regscan-test","exp":)"
                  + std::to_string(now + 300) + R"(,"nbf":)" + std::to_string(now - 60)
                  + R"(,"iat":)" + std::to_string(now) + R"(,"jti":")"
                  + std::to_string(++tokens) + R"(","access":[)" + access + "]}";
    return test::reply{200, {{"Content-Type", "application/json"}},
                 R"({"token":")" + sign_jwt(key_pem, cert_b64, claims) + R"(","expires_in":300})"};
  }};
  auto port = free_port();
  spit(dir / "config.yml",
       "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
       "storage:\n  filesystem:\n    rootdirectory: " + (dir / "storage").string()
         + "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port)
         + "\nauth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(token_server.port())
         + "/token\n    service: regscan-test\n    issuer: regscan-issuer\n    rootcertbundle: "
         + cert + "\n");
  pid_t pid = -1;
  auto err = spawn_registry(dir / "config.yml", dir / "registry.log", port, pid);
  ASSERT_EQ(err, "");
  auto copy = "skopeo --policy " + (env->dir / "policy.json").string()
              + " copy --quiet --dest-tls-verify=false --dest-creds u:p oci:"
              + (env->dir / "layout").string() + ":latest docker://127.0.0.1:"
              + std::to_string(port) + "/tok/img:1 >" + (dir / "skopeo.log").string() + " 2>&1";
  EXPECT_EQ(std::system(copy.c_str()), 0) << slurp(dir / "skopeo.log") << slurp(dir / "registry.log");
  auto address = "http://127.0.0.1:" + std::to_string(port);

  oci_client client{address, {"u", "p"}, http_options{}};
  EXPECT_TRUE(client.ping());
  auto repos = client.catalog();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, std::vector<std::string>{"tok/img"});
  auto images = client.resolve("tok/img", "1");
  ASSERT_TRUE(images) << images.err().message;
  EXPECT_EQ(images->front().manifest_digest, env->amd64.manifest.digest);
  auto issued = tokens.load();
  EXPECT_GT(issued, 0);

  oci_client wrong{address, {"u", "wrong"}, http_options{}};
  auto refused = wrong.catalog();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.err().message.find("authentication failed"), std::string::npos)
    << refused.err().message;

  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

TEST(tc3, signature_matches_reference) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 not installed";
  tc3_request rq{"AKIDEXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "cvm.tencentcloudapi.com",
                 "DescribeInstances", "2017-03-12", "ap-guangzhou",
                 "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\u672a\u547d\u540d\"], \"Name\": \"instance-name\"}]}",
                 1551113065};
  auto dir = fs::temp_directory_path() / ("regscan-tc3-" + std::to_string(getpid()));
  fs::create_directories(dir);
  spit(dir / "payload", rq.payload);
  spit(dir / "ref.py", R"(import hashlib, hmac, sys, datetime
payload = open(sys.argv[1], 'rb').read()
key, service, host, ts = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', 'cvm', 'cvm.tencentcloudapi.com', 1551113065
date = datetime.datetime.utcfromtimestamp(ts).strftime('%Y-%m-%d')
canon = 'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:%s\n\ncontent-type;host\n%s' % (host, hashlib.sha256(payload).hexdigest())
sts = 'TC3-HMAC-SHA256\n%d\n%s/%s/tc3_request\n%s' % (ts, date, service, hashlib.sha256(canon.encode()).hexdigest())
h = lambda k, m: hmac.new(k, m.encode(), hashlib.sha256).digest()
k = h(h(h(('TC3' + key).encode(), date), service), 'tc3_request')
print(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())
)");
  auto out = dir / "sig";
  ASSERT_EQ(std::system(("python3 " + (dir / "ref.py").string() + " " + (dir / "payload").string() + " > "
                         + out.string()).c_str()), 0);
  auto expected_sig = slurp(out);
  fs::remove_all(dir);
  expected_sig.erase(expected_sig.find_last_not_of("\n") + 1);
  EXPECT_EQ(tc3_signature(rq), expected_sig);
  EXPECT_EQ(tc3_authorization(rq), "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request, "
                                   "SignedHeaders=content-type;host, Signature=" + expected_sig);
}

} // namespace
} // namespace regscan
