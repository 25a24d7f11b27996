// A file that many paths reach (symlinks, hardlinks) is parsed and listed
// once, with every path that reaches it; the packages, parsed files and notes
// an image can hold are capped, and past a cap the inventory is incomplete.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scanners/layer/image_analyzer.hpp"
#include "tests/scanners/linked_image_util.hpp"

namespace regscan {
namespace {

using namespace regscan::test;

struct layer_blob {
  std::string name;
  std::string bytes;
};

inventory analyze_layers(const std::vector<layer_blob>& layers, analysis_limits limits = {}) {
  image_analyzer a(limits);
  for (const auto& l : layers) {
    a.begin_layer(l.name);
    // In chunks, as a registry delivers it.
    for (size_t at = 0; at < l.bytes.size(); at += 65536) {
      auto n = std::min<size_t>(65536, l.bytes.size() - at);
      EXPECT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(l.bytes.data() + at), n));
    }
    EXPECT_TRUE(a.end_layer()) << l.name;
  }
  return a.finish();
}

std::string pack(const fs::path& root, const fs::path& tgz) {
  EXPECT_TRUE(run_sh("tar --sort=name --numeric-owner -C '" + root.string() + "' -czf '"
                     + tgz.string() + "' ."));
  return slurp(tgz);
}

std::string notes_of(const inventory& inv) {
  std::string s;
  for (const auto& n : inv.notes)
    s += n + "\n";
  return s;
}

const linked_file* linked(const inventory& inv, const std::string& file) {
  for (const auto& l : inv.linked_files)
    if (l.file == file)
      return &l;
  return nullptr;
}

TEST(linked_files, a_file_behind_symlinks_and_hardlinks_is_parsed_and_listed_once) {
  // Without an OS the lockfile and its hardlinks wait for the layer's end;
  // with one they are parsed as they come: both must share the parse.
  for (bool with_os : {false, true}) {
    SCOPED_TRACE(with_os ? "with an os-release" : "without an os-release");
    scratch_dir dir;
    ASSERT_TRUE(make_hostile_layer(dir.path / "rootfs", dir.path / "l.tgz", with_os));
    auto inv = analyze_layers({{"sha256:l", slurp(dir.path / "l.tgz")}});
    EXPECT_TRUE(inv.complete) << notes_of(inv);

    ASSERT_EQ(inv.packages.size(), // + each of the two lockfiles' own project
              static_cast<size_t>(hostile_lock_packages + hostile_data_packages + 2));
    std::set<std::string> names;
    for (const auto& p : inv.packages) {
      names.insert(p.name);
      if (p.name.starts_with("lib"))
        EXPECT_EQ(p.file, "app/package-lock.json") << p.name;
      else
        EXPECT_EQ(p.file, "b-links/000/package-lock.json") << p.name; // the first link
    }
    EXPECT_EQ(names.size(), inv.packages.size()); // no package twice

    ASSERT_EQ(inv.linked_files.size(), 2u);
    auto* app = linked(inv, "app/package-lock.json");
    ASSERT_NE(app, nullptr);
    ASSERT_EQ(app->also_at.size(), static_cast<size_t>(hostile_symlinks + hostile_hardlinks));
    EXPECT_TRUE(std::is_sorted(app->also_at.begin(), app->also_at.end()));
    std::set<std::string> paths(app->also_at.begin(), app->also_at.end());
    EXPECT_EQ(paths.size(), app->also_at.size());
    for (std::string p : {"a-links/s000/package-lock.json", "a-links/s199/package-lock.json",
                                 "links/s000/package-lock.json", "hard/h000/package-lock.json",
                                 "hard/h399/package-lock.json"})
      EXPECT_TRUE(paths.contains(p)) << p;
    auto* data = linked(inv, "b-links/000/package-lock.json");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->also_at.size(), static_cast<size_t>(hostile_data_links - 1));
  }
}

TEST(linked_files, a_hardlink_outlives_its_deleted_target) {
  scratch_dir dir;
  auto low = dir.path / "low";
  spit(low / "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  spit(low / "srv/app/package-lock.json", lockfile_v3("lib", 20));
  fs::create_directories(low / "srv/copy");
  fs::create_hard_link(low / "srv/app/package-lock.json", low / "srv/copy/package-lock.json");
  auto up = dir.path / "up";
  spit(up / "srv/app/.wh.package-lock.json", "");

  auto both = analyze_layers({{"low", pack(low, dir.path / "low.tgz")}});
  ASSERT_EQ(both.packages.size(), 21u); // and the lockfile's own project
  ASSERT_EQ(both.linked_files.size(), 1u);
  EXPECT_EQ(both.linked_files[0].file, "srv/app/package-lock.json");
  EXPECT_EQ(both.linked_files[0].also_at, std::vector<std::string>{"srv/copy/package-lock.json"});

  // The upper layer deletes the first path: the other one still has the file.
  auto inv = analyze_layers({{"low", pack(low, dir.path / "low.tgz")},
                             {"up", pack(up, dir.path / "up.tgz")}});
  ASSERT_EQ(inv.packages.size(), 21u) << notes_of(inv);
  for (const auto& p : inv.packages)
    EXPECT_EQ(p.file, "srv/copy/package-lock.json");
  EXPECT_TRUE(inv.linked_files.empty());
}

TEST(linked_files, past_max_packages_the_image_is_incomplete_with_the_reason) {
  // 101 different lockfiles of 2000 packages: over the default 200,000.
  scratch_dir dir;
  auto root = dir.path / "rootfs";
  for (int i = 0; i <= 100; ++i)
    spit(root / ("srv/app" + std::to_string(i) + "/package-lock.json"),
         lockfile_v3("app" + std::to_string(i) + "-lib", 2000));
  auto inv = analyze_layers({{"sha256:many", pack(root, dir.path / "l.tgz")}});
  EXPECT_FALSE(inv.complete);
  EXPECT_EQ(analysis_limits{}.max_packages, 200'000u);
  EXPECT_LE(inv.packages.size(), 200'000u);
  EXPECT_GE(inv.packages.size(), 198'000u); // all the files that fit
  EXPECT_NE(notes_of(inv).find("over max_packages (200000)"), std::string::npos) << notes_of(inv);
}

TEST(linked_files, past_max_records_and_max_notes_the_image_is_incomplete_with_the_reason) {
  scratch_dir dir;
  auto root = dir.path / "rootfs";
  for (int i = 0; i < 5; ++i)
    spit(root / ("srv/app" + std::to_string(i) + "/package-lock.json"),
         lockfile_v3("app" + std::to_string(i), 3));
  auto blob = pack(root, dir.path / "l.tgz");
  auto all = analyze_layers({{"l", blob}});
  EXPECT_TRUE(all.complete);
  EXPECT_EQ(all.packages.size(), 20u); // 3 and the project, per lockfile

  auto capped = analyze_layers({{"l", blob}}, analysis_limits{.max_records = 3});
  EXPECT_FALSE(capped.complete);
  EXPECT_EQ(capped.packages.size(), 12u);
  EXPECT_NE(notes_of(capped).find("over max_records (3)"), std::string::npos) << notes_of(capped);

  // Notes: ten broken lockfiles, five notes kept and a count of the rest.
  auto bad = dir.path / "bad";
  for (int i = 0; i < 10; ++i)
    spit(bad / ("srv/app" + std::to_string(i) + "/package-lock.json"), "{not json");
  auto noisy = analyze_layers({{"l", pack(bad, dir.path / "bad.tgz")}},
                              analysis_limits{.max_notes = 5});
  ASSERT_EQ(noisy.notes.size(), 6u) << notes_of(noisy);
  EXPECT_EQ(noisy.notes.back(), "5 more notes, over max_notes (5), not kept");
}

} // namespace
} // namespace regscan
