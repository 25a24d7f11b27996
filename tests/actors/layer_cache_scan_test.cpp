// run_scan with the layer cache against a real docker-registry (distribution
// 2.8, no auth, loopback), images built by tools/make_oci_image.py from real
// trees and pushed by skopeo: a layer shared by two images is pulled once,
// and an image that lies about a layer's diffID cannot plant an analysis.
// Skipped when the tools are not installed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "actors/daemon_context.hpp"
#include "daemon/scan.hpp"
#include "daemon/sync.hpp"
#include "scanners/layer/image_analyzer.hpp"
#include "tests/test_support.hpp"

extern char** environ;

namespace regscan {
namespace {

namespace fs = std::filesystem;

constexpr const char* registry_bin = "/usr/bin/docker-registry";

using test::slurp;
using test::spit;
using test::have;
using test::free_port;
using test::port_open;

std::string testdata(const std::string& rel) {
  return std::string(REGSCAN_SOURCE_DIR) + "/scanners/testdata/" + rel;
}

// The compressed size of each layer blob of an OCI layout's image, in order.
std::vector<uint64_t> layer_sizes(const fs::path& layout, const std::string& manifest_digest) {
  auto manifest = slurp(layout / "blobs/sha256" / manifest_digest.substr(7));
  std::vector<uint64_t> out;
  // make_oci_image.py writes {"mediaType": ..., "digest": ..., "size": N} per layer.
  auto layers = manifest.find("\"layers\"");
  for (auto pos = manifest.find("\"size\": ", layers); pos != std::string::npos;
       pos = manifest.find("\"size\": ", pos + 1))
    out.push_back(std::stoull(manifest.substr(pos + 8)));
  return out;
}

class layer_cache_scan : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(registry_bin, X_OK) != 0 || !have("skopeo") || !have("tar") || !have("gzip")
        || !have("python3"))
      GTEST_SKIP() << "docker-registry, skopeo, tar, gzip or python3 not installed (CI installs them)";
    char tmpl[] = "/tmp/regscan-layer-cache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    port = free_port();
    spit(dir / "config.yml", "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                             "storage:\n  filesystem:\n    rootdirectory: " + (dir / "storage").string()
                               + "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n");
    auto log = (dir / "registry.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string serve = "serve", cfg = (dir / "config.yml").string();
    char* argv[] = {const_cast<char*>(registry_bin), serve.data(), cfg.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid, registry_bin, &actions, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!port_open(port)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << slurp(log);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    auto opened = store::open((dir / "db").string());
    ASSERT_TRUE(opened) << opened.err().message;
    ctx.db = std::move(*opened);
    registry_record rec;
    rec.name = "lab";
    rec.type = "docker-v2";
    rec.address = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(ctx.db->put_registry(rec));
  }

  void TearDown() override {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  // Builds an image from `trees` with make_oci_image.py and pushes it; returns
  // the compressed size of each layer.
  std::vector<uint64_t> push(const std::string& name, const std::vector<fs::path>& trees,
                             const std::string& extra = "") {
    auto layout = dir / ("oci-" + std::to_string(++images));
    std::string cmd = "python3 " + std::string(REGSCAN_SOURCE_DIR) + "/tools/make_oci_image.py --out "
                      + layout.string() + " --tag t " + extra;
    for (const auto& t : trees)
      cmd += " " + t.string();
    cmd += " > " + (dir / "digest").string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto digest = slurp(dir / "digest");
    digest.erase(digest.find_last_not_of("\n") + 1);
    spit(dir / "policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
    auto copy = "skopeo --policy " + (dir / "policy.json").string()
                + " copy --quiet --dest-tls-verify=false oci:" + layout.string()
                + ":t docker://127.0.0.1:" + std::to_string(port) + "/" + name + " >"
                + (dir / "skopeo.log").string() + " 2>&1";
    EXPECT_EQ(std::system(copy.c_str()), 0) << slurp(dir / "skopeo.log");
    return layer_sizes(layout, digest);
  }

  std::string key_of(const std::string& repository) {
    auto listed = ctx.db->list_images();
    EXPECT_TRUE(listed);
    for (auto& img : listed ? *listed : std::vector<image_record>{})
      if (img.repository == repository)
        return img.key;
    ADD_FAILURE() << "no image " << repository;
    return {};
  }

  struct scan_figures {
    uint64_t bytes = 0, hits = 0, misses = 0;
    scan_result result;
  };
  scan_figures scan(const std::string& repository) {
    scan_figures before{ctx.stats.layer_bytes_pulled, ctx.stats.layer_cache_hits,
                        ctx.stats.layer_cache_misses, {}};
    scan_hooks hooks;
    auto key = key_of(repository);
    auto ok = run_scan(ctx, key, hooks);
    EXPECT_TRUE(ok) << ok.err().message;
    auto result = ctx.db->get_result(key);
    EXPECT_TRUE(result);
    return {ctx.stats.layer_bytes_pulled - before.bytes, ctx.stats.layer_cache_hits - before.hits,
            ctx.stats.layer_cache_misses - before.misses, result ? *result : scan_result{}};
  }

  fs::path dir;
  pid_t pid = -1;
  uint16_t port = 0;
  int images = 0;
  daemon_context ctx;
};

// "ecosystem name version file" of the packages that came from `layer`.
std::set<std::string> packages_of(const inventory& inv, const std::string& layer) {
  std::set<std::string> out;
  for (const auto& p : inv.packages)
    if (p.layer == layer)
      out.insert(p.ecosystem + " " + p.name + " " + p.version + " " + p.file);
  return out;
}

TEST_F(layer_cache_scan, a_shared_layer_is_pulled_once_and_a_lying_diff_id_plants_nothing) {
  // base: Debian 12 with a real dpkg status; two app layers over it; and a
  // liar whose config claims base's diffID for a layer of one fake package.
  auto base = dir / "base", npm = dir / "npm", python = dir / "python", fake = dir / "fake";
  spit(base / "usr/lib/os-release", slurp(testdata("dpkg/os-release-debian12")));
  fs::create_directories(base / "etc");
  fs::create_symlink("../usr/lib/os-release", base / "etc/os-release");
  spit(base / "var/lib/dpkg/status", slurp(testdata("dpkg/status")));
  ASSERT_EQ(std::system(("mkdir -p " + npm.string() + "/srv && cp -r " + testdata("npm/app") + " "
                         + npm.string() + "/srv/app && mkdir -p " + python.string() + " && cp -r "
                         + testdata("python/usr") + " " + python.string() + "/")
                          .c_str()),
            0);
  spit(fake / "usr/lib/os-release", slurp(testdata("dpkg/os-release-debian12")));
  spit(fake / "var/lib/dpkg/status",
       "Package: planted\nStatus: install ok installed\nVersion: 1.0\n");
  auto base_tar = dir / "base.tar";
  ASSERT_EQ(std::system(("tar --sort=name --numeric-owner -C " + base.string() + " -cf "
                         + base_tar.string() + " .").c_str()),
            0);
  // The same diffID make_oci_image.py computes, from the same tar command.
  std::string base_diff_id;
  {
    FILE* p = popen(("sha256sum " + base_tar.string()).c_str(), "r");
    char buf[65] = {};
    ASSERT_EQ(fread(buf, 1, 64, p), 64u);
    pclose(p);
    base_diff_id = "sha256:" + std::string(buf, 64);
  }
  auto liar_sizes = push("lab/liar", {fake}, "--claim-diff-id 0=" + base_diff_id);
  auto app1_sizes = push("lab/app1", {base, npm});
  auto app2_sizes = push("lab/app2", {base, python});
  ASSERT_EQ(app1_sizes.size(), 2u);
  ASSERT_EQ(app2_sizes.size(), 2u);
  ASSERT_EQ(app1_sizes[0], app2_sizes[0]);
  auto synced = run_sync(ctx, "lab", [](const sync_progress&) {});
  ASSERT_TRUE(synced) << synced.err().message;

  // The liar is pulled and analyzed, said incomplete, and not cached.
  auto liar = scan("lab/liar");
  EXPECT_EQ(liar.misses, 1u);
  EXPECT_EQ(liar.bytes, liar_sizes[0]);
  EXPECT_FALSE(liar.result.inv.complete);
  bool noted = false;
  for (const auto& n : liar.result.inv.notes)
    noted |= n.find("not the diffID " + base_diff_id) != std::string::npos;
  EXPECT_TRUE(noted);
  EXPECT_FALSE(*ctx.db->get_layer(base_diff_id, image_analyzer{}.cache_version()));

  // app1: both layers pulled (nothing was planted under base's diffID).
  auto app1 = scan("lab/app1");
  EXPECT_EQ(app1.misses, 2u);
  EXPECT_EQ(app1.hits, 0u);
  EXPECT_EQ(app1.bytes, app1_sizes[0] + app1_sizes[1]);
  EXPECT_TRUE(app1.result.inv.complete);

  // app2 shares the base: only its own layer is pulled, and the base gives
  // the same packages as in app1.
  auto app2 = scan("lab/app2");
  EXPECT_EQ(app2.hits, 1u);
  EXPECT_EQ(app2.misses, 1u);
  EXPECT_EQ(app2.bytes, app2_sizes[1]);
  auto image2 = ctx.db->get_image(key_of("lab/app2"));
  ASSERT_TRUE(image2);
  auto image1 = ctx.db->get_image(key_of("lab/app1"));
  auto base_layer = image1->layers.at(0);
  EXPECT_EQ(image2->layers.at(0), base_layer);
  auto base_packages = packages_of(app1.result.inv, base_layer);
  EXPECT_GT(base_packages.size(), 5u);
  EXPECT_FALSE(base_packages.contains("Debian:12 planted 1.0 var/lib/dpkg/status"));
  EXPECT_EQ(packages_of(app2.result.inv, base_layer), base_packages);
  EXPECT_FALSE(packages_of(app2.result.inv, image2->layers.at(1)).empty());

  // A rescan of app1 pulls nothing and finds the same.
  auto again = scan("lab/app1");
  EXPECT_EQ(again.hits, 2u);
  EXPECT_EQ(again.bytes, 0u);
  auto names = [](const inventory& inv) {
    std::vector<std::string> out;
    for (const auto& p : inv.packages)
      out.push_back(p.ecosystem + " " + p.name + " " + p.version + " " + p.file + " " + p.layer);
    return out;
  };
  EXPECT_EQ(names(again.result.inv), names(app1.result.inv));
  EXPECT_EQ(again.result.inv.notes, app1.result.inv.notes);

  auto text = ctx.stats.render(*ctx.db);
  EXPECT_NE(text.find("regscan_layer_cache_hits_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_layer_cache_misses_total 4"), std::string::npos) << text;
}

} // namespace
} // namespace regscan
