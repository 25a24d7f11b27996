// The language catalogers through the real layer walk: a tar layer made by
// `tar` from the golden trees, analyzed by image_analyzer with every cataloger.
#include <gtest/gtest.h>

#include <cstdlib>

#include "scanners/lang/go_binary_cataloger.hpp"
#include "scanners/layer/image_analyzer.hpp"
#include "scanners/lang/npm_cataloger.hpp"
#include "scanners/lang/python_cataloger.hpp"
#include "scanners/lang/runtime_cataloger.hpp"
#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

TEST(lang_layer, npm_python_go_runtimes_in_one_layer) {
  if (!lang_test::have("tar"))
    GTEST_SKIP() << "tar is not installed";
  char tmpl[] = "/tmp/regscan-lang-layer-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, out;
  std::string td = lang_test::testdata("");
  bool go = lang_test::have("go");
  std::string cmd = "set -e; mkdir -p '" + dir + "/root/srv' '" + dir + "/root/usr/local/bin'; cp -r '" + td
                    + "npm/app' '" + dir + "/root/srv/app'; cp -r '" + td + "python/usr' '" + td
                    + "runtime/usr' '" + td + "runtime/opt' '" + dir + "/root/'";
  if (go)
    cmd += "; cp -r '" + td + "go_binary/hello' '" + dir + "/src'; cd '" + dir
           + "/src'; GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE='" + dir
           + "/cache' GOPATH='" + dir + "/gopath' go build -o '" + dir + "/root/usr/local/bin/hello' .";
  cmd += "; tar -C '" + dir + "/root' -cf '" + dir + "/layer.tar' . 2>&1";
  ASSERT_TRUE(lang_test::run(cmd, out)) << out;
  auto layer = lang_test::slurp(dir + "/layer.tar");

  image_analyzer analyzer;
  analyzer.begin_layer("sha256:app");
  ASSERT_TRUE(static_cast<bool>(analyzer.feed(reinterpret_cast<const uint8_t*>(layer.data()), layer.size())));
  ASSERT_TRUE(static_cast<bool>(analyzer.end_layer()));
  auto inv = analyzer.finish();

  std::set<std::string> got;
  for (const auto& p : inv.packages) {
    got.insert(p.ecosystem + " " + p.name + "@" + p.version + " " + p.file);
    EXPECT_EQ(p.layer, "sha256:app");
  }
  std::set<std::string> want = {
    "npm ms@2.1.2 srv/app/node_modules/debug/node_modules/ms/package.json",
    "npm ms@2.1.2 srv/app/package-lock.json",
    "npm @isaacs/string-locale-compare@1.1.0 srv/app/node_modules/@isaacs/string-locale-compare/package.json",
    "PyPI PyYAML@6.0 usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
    "PyPI rpm@4.18.0 usr/lib/python3/dist-packages/rpm-4.18.0.egg-info",
    "Go stdlib@1.19.8 usr/local/go/VERSION",
    "runtime python@3.11.2 usr/local/include/python3.11/patchlevel.h",
    "runtime java@25.0.3 opt/java/openjdk/release",
  };
  if (go) {
    want.insert("Go example.com/dep@1.4.0 usr/local/bin/hello");
    want.insert("Go example.com/greet@(devel) usr/local/bin/hello");
  }
  for (const auto& w : want)
    EXPECT_TRUE(got.contains(w)) << w;
  size_t npm = 0;
  for (const auto& p : inv.packages)
    npm += p.ecosystem == "npm";
  // 7 from node_modules, 7 from package-lock.json and its root; no fixture, no hidden lockfile
  EXPECT_EQ(npm, 15u);
  std::string ignored;
  lang_test::run("chmod -R u+w '" + dir + "' && rm -rf '" + dir + "'", ignored);
}

// Real files with bytes flipped and cut short: every parser stays in bounds
// (the point of running this under -fsanitize=address).
TEST(lang_layer, mutated_real_files_never_crash) {
  npm_cataloger npm;
  python_cataloger python;
  go_binary_cataloger go;
  runtime_cataloger runtime;
  struct input {
    const cataloger* c;
    std::string as, file;
  };
  std::vector<input> inputs = {
    {&npm, "a/package-lock.json", "npm/app/package-lock.json"},
    {&npm, "a/package-lock.json", "npm/lock-v1/package-lock.json"},
    {&npm, "a/node_modules/debug/package.json", "npm/app/node_modules/debug/package.json"},
    {&npm, "a/yarn.lock", "npm/yarn-v1/yarn.lock"},
    {&npm, "a/yarn.lock", "npm/yarn-berry/yarn.lock"},
    {&npm, "a/pnpm-lock.yaml", "npm/pnpm-v5/pnpm-lock.yaml"},
    {&npm, "a/pnpm-lock.yaml", "npm/pnpm-v9/pnpm-lock.yaml"},
    {&python, "site-packages/a.dist-info/METADATA",
     "python/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA"},
    {&runtime, "opt/java/release", "runtime/opt/java/openjdk/release"},
    {&runtime, "usr/local/include/python3.11/patchlevel.h",
     "runtime/usr/local/include/python3.11/patchlevel.h"},
  };
  uint64_t seed = 42;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  size_t packages = 0;
  for (const auto& in : inputs) {
    auto original = lang_test::slurp(lang_test::testdata(in.file));
    ASSERT_FALSE(original.empty()) << in.file;
    for (int round = 0; round < 200; ++round) {
      auto bytes = original;
      for (int flips = 1 + next() % 8; flips > 0; --flips)
        bytes[next() % bytes.size()] = static_cast<char>(next());
      if (round % 2)
        bytes.resize(next() % bytes.size());
      inventory inv;
      in.c->parse(in.as, bytes, "l", os_info{}, inv);
      packages += inv.packages.size();
    }
  }
  EXPECT_GT(packages, 0u); // most mutations leave most of a file readable
  // The Go reader on a real Go binary, mutated in its header and build info.
  std::string go_path;
  if (lang_test::run("readlink -f \"$(command -v go)\" 2>/dev/null", go_path) && !go_path.empty()) {
    auto original = lang_test::slurp(go_path.substr(0, go_path.find('\n')));
    go_build_info info;
    std::string why;
    ASSERT_TRUE(read_go_build_info(original, info, why)) << why;
    auto at = original.find("\xff Go buildinf:");
    ASSERT_NE(at, std::string::npos);
    for (int round = 0; round < 200; ++round) {
      auto bytes = original;
      for (int flips = 1 + next() % 4; flips > 0; --flips) {
        size_t where = round % 2 ? next() % 64 : at + next() % 512; // ELF header or build info
        bytes[std::min(where, bytes.size() - 1)] = static_cast<char>(next());
      }
      inventory inv;
      go.parse("usr/bin/go", bytes, "l", os_info{}, inv);
    }
  }
}

} // namespace
} // namespace regscan
