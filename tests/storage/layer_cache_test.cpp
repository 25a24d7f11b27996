// The layer cache: a layer's delta, taken from a real walk, encoded, stored in
// RocksDB and replayed into another walk, must give the inventory a fresh walk
// gives. Images are made of real trees packed by `tar`: a debootstrap Debian 12
// tree when the e2e tests have built one (else a small Debian tree from the
// test data), npm, Python and Go app layers, whiteouts that delete lower
// packages, an os-release changed by an upper layer, and a symlink in a lower
// layer that points at a file of an upper one.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "scanners/layer/image_analyzer.hpp"
#include "storage/layer_codec.hpp"
#include "storage/store.hpp"
#include "tests/storage/test_util.hpp"
#include "tests/test_support.hpp"

namespace regscan {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::spit;

void symlink(const std::string& target, const fs::path& p) {
  fs::create_directories(p.parent_path());
  fs::create_symlink(target, p);
}

bool sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p)
    return false;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    text.append(buf, n);
  if (out)
    *out = text;
  return pclose(p) == 0;
}

std::string testdata(const std::string& rel) {
  return std::string(REGSCAN_SOURCE_DIR) + "/scanners/testdata/" + rel;
}

// The debootstrap tree the e2e tests cache, if they have run here.
std::string debian12_tree_tar() {
  std::vector<std::string> dirs;
  if (auto* e = std::getenv("REGSCAN_E2E_CACHE"))
    dirs.emplace_back(e);
  dirs.emplace_back(REGSCAN_E2E_CACHE_DIR);
  if (auto* home = std::getenv("HOME"))
    dirs.push_back(std::string(home) + "/.cache/regscan");
  for (const auto& d : dirs)
    if (fs::exists(d + "/debian12-minbase.tar"))
      return d + "/debian12-minbase.tar";
  return {};
}

std::string os_release(const std::string& version, const std::string& codename) {
  return "PRETTY_NAME=\"Debian GNU/Linux " + version + " (" + codename
         + ")\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"" + version + "\"\nVERSION=\"" + version
         + " (" + codename + ")\"\nVERSION_CODENAME=" + codename
         + "\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";
}

// "status" without the stanzas of `drop`, as `dpkg --purge` leaves it.
std::string without_packages(const std::string& status, const std::vector<std::string>& drop) {
  std::string out;
  size_t pos = 0;
  while (pos < status.size()) {
    auto end = status.find("\n\n", pos);
    end = end == std::string::npos ? status.size() : end + 2;
    auto stanza = status.substr(pos, end - pos);
    bool keep = true;
    for (const auto& d : drop)
      if (stanza.starts_with("Package: " + d + "\n"))
        keep = false;
    if (keep)
      out += stanza;
    pos = end;
  }
  return out;
}

struct layer {
  std::string name; // what the analyzer is told (the blob digest in a scan)
  std::string id;   // the cache key (the diffID in a scan)
  std::string blob;
};
using image = std::vector<const layer*>;

std::string describe(const inventory& inv) {
  std::string s = "os=" + inv.os.id + "/" + inv.os.version_id + "/" + inv.os.version_codename
                  + "/" + inv.os.pretty_name + " complete=" + std::to_string(inv.complete) + "\n";
  for (const auto& p : inv.packages)
    s += p.ecosystem + " " + p.name + " " + p.version + " src=" + p.source_name + " "
         + p.source_version + " file=" + p.file + " layer=" + p.layer + " owner=" + p.owner + "\n";
  for (const auto& l : inv.linked_files) {
    s += "linked: " + l.file + " also at";
    for (const auto& p : l.also_at)
      s += " " + p;
    s += "\n";
  }
  for (const auto& n : inv.notes)
    s += "note: " + n + "\n";
  return s;
}

bool has(const inventory& inv, const std::string& ecosystem, const std::string& name) {
  for (const auto& p : inv.packages)
    if (p.ecosystem == ecosystem && p.name == name)
      return true;
  return false;
}

void walk_layer(image_analyzer& a, const layer& l, bool record) {
  a.begin_layer(l.name, {}, record);
  auto fed = a.feed(reinterpret_cast<const uint8_t*>(l.blob.data()), l.blob.size());
  auto ended = a.end_layer();
  ASSERT_TRUE(fed && ended) << l.name;
}

// Every layer of the image shared by the tests: built once, they are the slow part.
struct fixture {
  test::temp_dir dir;
  std::string setup_error;
  bool real_debian = false;
  bool go = false;
  std::map<std::string, layer> layers;

  // Packs `root` as a gzip layer (tar as docker's build makes them).
  bool pack(const std::string& id, const fs::path& root) {
    auto tar = fs::path(dir.path()) / (id + ".tar.gz");
    std::string out;
    if (!sh("tar --sort=name --numeric-owner -C '" + root.string() + "' -cf - . | gzip -n > '"
              + tar.string() + "'",
            &out)) {
      setup_error = "tar " + id + ": " + out;
      return false;
    }
    layers[id] = layer{"blob-" + id, id, slurp(tar)};
    return true;
  }

  std::string build() {
    fs::path work = dir.path();
    std::string out;
    // base12: the real Debian 12 tree, else a small one from the test data.
    auto tree = debian12_tree_tar();
    std::string status;
    if (!tree.empty()) {
      real_debian = true;
      layers["base12"] = layer{"blob-base12", "base12", slurp(tree)};
      if (!sh("tar -xOf '" + tree + "' ./var/lib/dpkg/status", &status))
        return "cannot read the status file of " + tree;
    } else {
      status = slurp(testdata("dpkg/status"));
      auto root = work / "base12";
      spit(root / "usr/lib/os-release", os_release("12", "bookworm"));
      spit(root / "etc/debian_version", "12.5\n");
      symlink("../usr/lib/os-release", root / "etc/os-release");
      spit(root / "var/lib/dpkg/status", status);
      if (!pack("base12", root))
        return setup_error;
    }
    // base11: another Debian, for layers replayed over a base they were not walked on.
    {
      auto root = work / "base11";
      spit(root / "usr/lib/os-release", os_release("11", "bullseye"));
      symlink("../usr/lib/os-release", root / "etc/os-release");
      spit(root / "var/lib/dpkg/status", status);
      if (!pack("base11", root))
        return setup_error;
    }
    // npm: a real app with node_modules and a lockfile.
    if (!sh("mkdir -p '" + (work / "npm/srv").string() + "' && cp -r '" + testdata("npm/app")
              + "' '" + (work / "npm/srv/app").string() + "'",
            &out)
        || !pack("npm", work / "npm"))
      return "npm layer: " + out + setup_error;
    // python: Debian's dist-packages, and a runtime installed by hand.
    if (!sh("mkdir -p '" + (work / "python").string() + "' && cp -r '" + testdata("python/usr")
              + "' '" + testdata("runtime/usr") + "' '" + (work / "python").string() + "/'",
            &out)
        || !pack("python", work / "python"))
      return "python layer: " + out + setup_error;
    // go: a binary built with Debian's golang-go when it is installed.
    fs::create_directories(work / "go/usr/local/bin");
    go = sh("command -v go >/dev/null");
    if (go
        && !sh("cp -r '" + testdata("go_binary/hello") + "' '" + (work / "gosrc").string()
                 + "' && cd '" + (work / "gosrc").string()
                 + "' && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE='"
                 + (work / "gocache").string() + "' GOPATH='" + (work / "gopath").string()
                 + "' go build -o '" + (work / "go/usr/local/bin/hello").string() + "' .",
               &out))
      return "go build: " + out;
    spit(work / "go/usr/local/go/VERSION", "go1.19.8\ntime 2023-04-04T17:12:46Z\n");
    if (!pack("go", work / "go"))
      return setup_error;
    // purge: `dpkg --purge` of two packages (status rewritten, .list files
    // whited out), a Python package whited out, an opaque node_modules/debug.
    {
      auto root = work / "purge";
      spit(root / "var/lib/dpkg/status", without_packages(status, {"hostname", "gzip"}));
      spit(root / "var/lib/dpkg/info/.wh.hostname.list", "");
      spit(root / "var/lib/dpkg/info/.wh.gzip.list", "");
      spit(root / "usr/lib/python3/dist-packages/.wh.PyYAML-6.0.dist-info", "");
      spit(root / "srv/app/node_modules/debug/.wh..wh..opq", "");
      spit(root / "srv/app/node_modules/debug/README", "emptied\n");
      if (!pack("purge", root))
        return setup_error;
    }
    // trixie: an upgrade layer that changes the os-release below etc/os-release's link.
    spit(work / "trixie/usr/lib/os-release", os_release("13", "trixie"));
    spit(work / "trixie/etc/debian_version", "13.1\n");
    if (!pack("trixie", work / "trixie"))
      return setup_error;
    // npmlinks: a lockfile that symlinks reach, before and after it in the
    // layer, and a lower layer's symlink to it (lowlock): listed once.
    {
      auto root = work / "npmlinks";
      spit(root / "srv/app2/package-lock.json",
           slurp(testdata("npm/app/package-lock.json")));
      symlink("../app2/package-lock.json", root / "srv/a/package-lock.json");
      symlink("/srv/app2/package-lock.json", root / "srv/b/package-lock.json");
      if (!pack("npmlinks", root))
        return setup_error;
      symlink("/srv/app2/package-lock.json", work / "lowlock/opt/package-lock.json");
      if (!pack("lowlock", work / "lowlock"))
        return setup_error;
    }
    // lowlink + highfile: a wanted path that is a symlink, in a lower layer, to a
    // file that only an upper layer brings.
    {
      auto root = work / "lowlink";
      symlink("/opt/meta/METADATA",
              root / "usr/lib/python3/dist-packages/linked-1.0.dist-info/METADATA");
      if (!pack("lowlink", root))
        return setup_error;
      spit(work / "highfile/opt/meta/METADATA", "Metadata-Version: 2.1\nName: linked\nVersion: 1.0\n");
      if (!pack("highfile", work / "highfile"))
        return setup_error;
    }
    return {};
  }
};

fixture* shared = nullptr;

class layer_cache : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared = new fixture;
    shared->setup_error = shared->build();
  }
  static void TearDownTestSuite() {
    delete shared;
    shared = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(shared->setup_error, "");
    auto opened = store::open(dir / "db");
    ASSERT_TRUE(opened) << opened.err().message;
    db = std::move(*opened);
  }

  image make(std::initializer_list<std::string> ids) {
    image out;
    for (const auto& id : ids)
      out.push_back(&shared->layers.at(id));
    return out;
  }

  static inventory fresh(const image& img) {
    image_analyzer a;
    for (const auto* l : img)
      walk_layer(a, *l, false);
    return a.finish();
  }

  // Walks the image as a scan does, storing every cacheable layer.
  inventory walk_and_store(const image& img) {
    image_analyzer a;
    for (const auto* l : img) {
      walk_layer(a, *l, true);
      auto delta = a.take_delta();
      EXPECT_TRUE(delta) << delta.err().message;
      if (delta) {
        EXPECT_TRUE(db->put_layer(l->id, a.cache_version(), codec::encode(*delta)));
      }
    }
    return a.finish();
  }

  // Layers with `from_cache` set must replay from the store; the rest are walked.
  inventory with_cache(const image& img, const std::vector<bool>& from_cache) {
    image_analyzer a;
    for (size_t i = 0; i < img.size(); ++i) {
      if (!from_cache[i]) {
        walk_layer(a, *img[i], false);
        continue;
      }
      auto stored = db->get_layer(img[i]->id, a.cache_version());
      EXPECT_TRUE(stored && *stored) << img[i]->id << " is not in the cache";
      if (!stored || !*stored)
        return {};
      auto delta = codec::decode_layer_delta(**stored);
      EXPECT_TRUE(delta) << delta.err().message;
      EXPECT_TRUE(a.replay_layer(img[i]->name, *delta)) << img[i]->id << " was refused";
    }
    return a.finish();
  }

  // Fresh, then every layer from the cache, then base from the cache with the
  // rest fresh, then base fresh with the rest from the cache: all the same.
  void expect_same_every_way(const image& img, const std::string& reference) {
    auto n = img.size();
    std::vector<std::vector<bool>> ways = {std::vector<bool>(n, true)};
    for (size_t k = 1; k < n; ++k) {
      std::vector<bool> lower(n, false), upper(n, false);
      for (size_t i = 0; i < n; ++i)
        (i < k ? lower : upper)[i] = true;
      ways.push_back(lower);
      ways.push_back(upper);
    }
    for (const auto& way : ways) {
      std::string which;
      for (bool b : way)
        which += b ? 'C' : 'F';
      EXPECT_EQ(describe(with_cache(img, way)), reference) << "layers (C = cache, F = fresh): " << which;
    }
  }

  test::temp_dir dir;
  std::unique_ptr<store> db;
};

TEST_F(layer_cache, images_fresh_and_from_the_cache_are_the_same) {
  std::vector<image> images = {
    make({"base12", "npm"}),
    make({"base12", "python", "go"}),
    make({"base12", "npm", "python", "purge", "trixie"}),
    make({"base12", "lowlink", "highfile"}),
    make({"base12", "lowlock", "npmlinks"}),
  };
  for (const auto& img : images) {
    auto reference = describe(fresh(img));
    // Recording the delta changes nothing in the walk itself.
    EXPECT_EQ(describe(walk_and_store(img)), reference);
    expect_same_every_way(img, reference);
  }

  // The images test what they say they test.
  auto purged = fresh(images[2]);
  auto plain = fresh(images[0]);
  EXPECT_TRUE(has(plain, "Debian:12", "hostname")) << describe(plain);
  EXPECT_FALSE(has(purged, "Debian:13", "hostname")) << describe(purged);
  EXPECT_TRUE(has(purged, "Debian:13", "bash")) << describe(purged); // rebased to the upper os-release
  EXPECT_EQ(purged.os.version_id, "13");
  EXPECT_TRUE(has(fresh(images[1]), "PyPI", "PyYAML"));
  EXPECT_FALSE(has(purged, "PyPI", "PyYAML"));
  EXPECT_TRUE(has(plain, "npm", "debug"));
  EXPECT_TRUE(has(fresh(images[3]), "PyPI", "linked")) << describe(fresh(images[3]));
  auto links = fresh(images[4]);
  ASSERT_EQ(links.linked_files.size(), 1u) << describe(links);
  EXPECT_EQ(links.linked_files[0].file, "srv/app2/package-lock.json");
  EXPECT_EQ(links.linked_files[0].also_at,
            (std::vector<std::string>{"opt/package-lock.json", "srv/a/package-lock.json",
                                      "srv/b/package-lock.json"}));
  EXPECT_TRUE(has(links, "npm", "debug")) << describe(links);
  if (shared->go) {
    EXPECT_TRUE(has(fresh(images[1]), "Go", "example.com/dep"));
  }
  RecordProperty("debootstrap_tree", shared->real_debian ? "yes" : "no (test data tree)");
}

TEST_F(layer_cache, layers_replayed_over_other_bases_and_names) {
  // Cached while walking one image, replayed in images with other bases, other
  // layers below and other blob names: as a fresh walk of those images.
  walk_and_store(make({"base12", "npm", "python", "purge", "trixie"}));
  walk_and_store(make({"base12", "go"}));
  std::vector<image> images = {
    make({"base11", "purge"}),          // dpkg status parsed on 12, final OS 11
    make({"base11", "python", "go"}),
    make({"base11", "trixie", "npm"}),  // the OS upgrade over another base
    make({"go", "base11"}),             // a cached layer at the bottom
  };
  layer renamed = shared->layers.at("purge");
  renamed.name = "blob-purge-recompressed";
  images.push_back({&shared->layers.at("base12"), &renamed});
  for (const auto& img : images) {
    auto reference = describe(fresh(img));
    std::vector<bool> way;
    for (const auto* l : img)
      way.push_back(l->id != "base11");
    EXPECT_EQ(describe(with_cache(img, way)), reference);
  }
  EXPECT_NE(describe(fresh(images.back())).find("layer=blob-purge-recompressed"), std::string::npos);
}

TEST_F(layer_cache, a_layer_whose_kept_bytes_depend_on_lower_symlinks_is_refused) {
  // highfile was walked with lowlink below: its file was kept for the link.
  walk_and_store(make({"base12", "lowlink", "highfile"}));
  image_analyzer a;
  walk_layer(a, shared->layers.at("base12"), false);
  auto stored = db->get_layer("highfile", a.cache_version());
  ASSERT_TRUE(stored && *stored);
  auto delta = codec::decode_layer_delta(**stored);
  ASSERT_TRUE(delta);
  EXPECT_EQ(delta->lower_link_targets, std::vector<std::string>{"opt/meta/METADATA"});
  // Without the link below, a walk would not keep the file: the replay is
  // refused and changes nothing, and the walk that follows gives the truth.
  EXPECT_FALSE(a.replay_layer("blob-highfile", *delta));
  walk_layer(a, shared->layers.at("highfile"), false);
  EXPECT_EQ(describe(a.finish()), describe(fresh(make({"base12", "highfile"}))));

  // The other way round: highfile cached without the link is refused over it.
  walk_and_store(make({"base12", "highfile"}));
  image_analyzer b;
  walk_layer(b, shared->layers.at("base12"), false);
  walk_layer(b, shared->layers.at("lowlink"), false);
  auto plain = codec::decode_layer_delta(**db->get_layer("highfile", b.cache_version()));
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->lower_link_targets.empty());
  EXPECT_FALSE(b.replay_layer("blob-highfile", *plain));
}

TEST_F(layer_cache, limits_errors_and_hardlinks_to_parsed_files_are_not_cached) {
  auto root = fs::path(dir.path()) / "odd";
  spit(root / "usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA",
       "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n" + std::string(5000, '#') + "\n");
  fs::create_directories(root / "opt");
  spit(root / "usr/lib/os-release", os_release("12", "bookworm"));
  auto tar = fs::path(dir.path()) / "odd.tar";
  ASSERT_TRUE(sh("tar --sort=name -C '" + root.string() + "' -cf '" + tar.string() + "' ."));
  auto blob = slurp(tar);

  // A wanted file over max_file_size: the layer is incomplete, never cached.
  image_analyzer small(analysis_limits{.max_file_size = 1000});
  small.begin_layer("blob-odd", {}, true);
  ASSERT_TRUE(small.feed(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()));
  ASSERT_TRUE(small.end_layer());
  auto d1 = small.take_delta();
  ASSERT_FALSE(d1);
  EXPECT_NE(d1.err().message.find("incomplete"), std::string::npos) << d1.err().message;

  // A truncated layer.
  image_analyzer cut;
  cut.begin_layer("blob-odd", {}, true);
  (void)cut.feed(reinterpret_cast<const uint8_t*>(blob.data()), 700);
  EXPECT_FALSE(cut.end_layer());
  EXPECT_FALSE(cut.take_delta());

  // A hardlink to a parsed file: how it resolves depends on whether the OS
  // was known below, so the layer is walked every time.
  fs::create_directories(root / "usr/lib/python3/dist-packages/twin-1.0.dist-info");
  fs::create_hard_link(root / "usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA",
                       root / "usr/lib/python3/dist-packages/twin-1.0.dist-info/METADATA");
  ASSERT_TRUE(sh("tar --sort=name -C '" + root.string() + "' -cf '" + tar.string() + "' ."));
  blob = slurp(tar);
  image_analyzer linked;
  linked.begin_layer("blob-odd", {}, true);
  ASSERT_TRUE(linked.feed(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()));
  ASSERT_TRUE(linked.end_layer());
  auto d2 = linked.take_delta();
  ASSERT_FALSE(d2);
  EXPECT_NE(d2.err().message.find("hardlink"), std::string::npos) << d2.err().message;

  // A layer walked without record_delta has none.
  image_analyzer plain;
  walk_layer(plain, shared->layers.at("npm"), false);
  EXPECT_FALSE(plain.take_delta());
}

TEST_F(layer_cache, a_layer_whose_hardlinks_share_a_parse_is_walked_each_time) {
  // A lockfile that a symlink (before it, so its bytes are kept) and a
  // hardlink reach. Its parse is shared, which a delta cannot say: the layer
  // is never cached, and every walk lists the lockfile's packages once.
  auto root = fs::path(dir.path()) / "hardlock";
  spit(root / "srv/app/package-lock.json", slurp(testdata("npm/app/package-lock.json")));
  symlink("/srv/app/package-lock.json", root / "srv/a/package-lock.json");
  fs::create_directories(root / "srv/copy");
  fs::create_hard_link(root / "srv/app/package-lock.json", root / "srv/copy/package-lock.json");
  auto tar = fs::path(dir.path()) / "hardlock.tar";
  ASSERT_TRUE(sh("tar --sort=name -C '" + root.string() + "' -cf '" + tar.string() + "' ."));
  layer hardlock{"blob-hardlock", "hardlock", slurp(tar)};

  // Alone, no OS is known and the files wait for the layer's end; over
  // base12 they are parsed as they come.
  for (auto img : {image{&hardlock}, image{&shared->layers.at("base12"), &hardlock}}) {
    image_analyzer a;
    for (const auto* l : img)
      walk_layer(a, *l, true);
    auto delta = a.take_delta();
    ASSERT_FALSE(delta);
    EXPECT_NE(delta.err().message.find("hardlink"), std::string::npos) << delta.err().message;
    auto inv = a.finish();
    EXPECT_EQ(describe(inv), describe(fresh(img)));
    ASSERT_EQ(inv.linked_files.size(), 1u) << describe(inv);
    EXPECT_EQ(inv.linked_files[0].file, "srv/app/package-lock.json");
    EXPECT_EQ(inv.linked_files[0].also_at,
              (std::vector<std::string>{"srv/a/package-lock.json", "srv/copy/package-lock.json"}));
    std::map<std::string, int> seen;
    for (const auto& p : inv.packages)
      if (p.ecosystem == "npm") {
        EXPECT_EQ(++seen[p.name + "@" + p.version], 1) << p.name << " listed twice";
      }
    EXPECT_TRUE(seen.contains("debug@4.3.4")) << describe(inv);
  }
}

TEST_F(layer_cache, codec_round_trips_and_refuses_damage) {
  image_analyzer a;
  walk_layer(a, shared->layers.at("base12"), true);
  walk_layer(a, shared->layers.at("npm"), true);
  auto delta = a.take_delta();
  ASSERT_TRUE(delta);
  EXPECT_FALSE(delta->records.empty());
  auto bytes = codec::encode(*delta);
  auto back = codec::decode_layer_delta(bytes);
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_EQ(codec::encode(*back), bytes);
  EXPECT_EQ(back->removals, delta->removals);
  EXPECT_EQ(back->records.size(), delta->records.size());
  EXPECT_EQ(back->records[0].parts[0].packages.size(), delta->records[0].parts[0].packages.size());
  // The lockfile's own project is a package with a kind, kept as such.
  const package* root = nullptr;
  for (const auto& r : back->records)
    for (const auto& part : r.parts)
      for (const auto& p : part.packages)
        if (p.kind == "root")
          root = &p;
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->name, "lang-npm");
  EXPECT_EQ(root->version, "1.0.0");
  // Secrets ride along, field for field.
  delta->secrets.push_back({.rule_id = "r", .rule_name = "n", .category = "c", .severity = "Low",
                            .location = "etc/x", .line = 7, .masked = "abcd****",
                            .fingerprint = "f", .layer = delta->layer, .deleted = true,
                            .deleted_by = delta->layer});
  auto with_secret = codec::decode_layer_delta(codec::encode(*delta));
  ASSERT_TRUE(with_secret);
  ASSERT_EQ(with_secret->secrets.size(), 1u);
  EXPECT_EQ(with_secret->secrets[0].line, 7);
  EXPECT_TRUE(with_secret->secrets[0].deleted);
  EXPECT_EQ(with_secret->secrets[0].deleted_by, delta->layer);
  EXPECT_EQ(codec::encode(*with_secret), codec::encode(*delta));

  EXPECT_FALSE(codec::decode_layer_delta(""));
  EXPECT_FALSE(codec::decode_layer_delta(bytes.substr(0, bytes.size() / 2)));
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_FALSE(codec::decode_layer_delta(flipped));
  EXPECT_FALSE(codec::decode_layer_delta("not a layer delta at all"));
}

TEST_F(layer_cache, store_keeps_one_analyzer_version_per_layer) {
  EXPECT_FALSE(*db->get_layer("sha256:aa", "v1"));
  ASSERT_TRUE(db->put_layer("sha256:aa", "v1", "one"));
  ASSERT_TRUE(db->put_layer("sha256:ab", "v1", "other layer"));
  EXPECT_EQ(**db->get_layer("sha256:aa", "v1"), "one");
  ASSERT_TRUE(db->put_layer("sha256:aa", "v2", "two"));
  EXPECT_FALSE(*db->get_layer("sha256:aa", "v1")); // replaced, not kept forever
  EXPECT_EQ(**db->get_layer("sha256:aa", "v2"), "two");
  EXPECT_EQ(**db->get_layer("sha256:ab", "v1"), "other layer");
  EXPECT_FALSE(db->put_layer("", "v1", "x"));
}

TEST_F(layer_cache, the_debian_base_delta_is_small) {
  image_analyzer a;
  walk_layer(a, shared->layers.at("base12"), true);
  auto delta = a.take_delta();
  ASSERT_TRUE(delta) << delta.err().message;
  auto bytes = codec::encode(*delta);
  std::cout << "base12 layer: " << shared->layers.at("base12").blob.size() << " bytes, delta: "
            << delta->removals.size() << " paths, " << delta->symlinks.size() << " symlinks, "
            << delta->records.size() << " records, " << bytes.size() << " bytes encoded\n";
  EXPECT_LT(bytes.size(), 1u << 20);
}

} // namespace
} // namespace regscan
