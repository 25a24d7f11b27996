// Imports as updates: a newer full all.zip removes what it no longer has, and
// reports the packages whose advisories changed.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "scanners/match/osv_record.hpp"
#include "storage/record_codec.hpp"
#include "storage/store.hpp"
#include "storage/vuln_db.hpp"
#include "osv_zip_util.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using test::osv_record_json;
using test::temp_dir;

const std::string debian_zip = std::string{REGSCAN_SHARED_DIR} + "/data/osv/Debian/all.zip";
const std::string pypi_zip = std::string{REGSCAN_SHARED_DIR} + "/data/osv/PyPI/all.zip";

std::unique_ptr<store> open_store(const std::string& dir) {
  auto s = store::open(dir);
  EXPECT_TRUE(s) << (s ? "" : s.err().message);
  return s ? std::move(*s) : nullptr;
}

uint64_t records_of(store& db, const std::string& eco) {
  auto st = db.db_status();
  for (auto& s : *st)
    if (s.ecosystem == eco)
      return s.records;
  return 0;
}

std::string package_of(const std::string& json) {
  auto rec = parse_osv_record(json);
  return rec ? rec->affected.at(0).name : "";
}

TEST(vuln_db_update, records_missing_from_a_newer_full_archive_are_removed) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  auto all = test::read_zip(debian_zip);
  ASSERT_GT(all.size(), 700u);
  ASSERT_TRUE(db->import_osv_zip(debian_zip, "full"));
  ASSERT_TRUE(db->import_osv_zip(pypi_zip, "pypi"));
  auto pypi_before = records_of(*db, "PyPI");
  uint64_t bookworm = records_of(*db, "Debian:12");

  // Upstream deleted five Debian 12 records.
  std::vector<std::pair<std::string, std::string>> gone;
  test::zip_entries newer;
  for (auto& e : all) {
    if (gone.size() < 5 && e.first.starts_with("DEBIAN-bookworm-"))
      gone.push_back(e);
    else
      newer.push_back(e);
  }
  ASSERT_EQ(gone.size(), 5u);
  auto zip = dir / "newer.zip";
  ASSERT_TRUE(test::write_osv_zip(zip, newer));
  auto report = db->import_osv_zip(zip, "newer");
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->removed, 5u);
  EXPECT_EQ(report->written, 0u);
  EXPECT_EQ(report->unchanged, newer.size());
  EXPECT_EQ(records_of(*db, "Debian:12"), bookworm - 5);
  EXPECT_EQ(records_of(*db, "PyPI"), pypi_before); // another ecosystem's archive: untouched
  for (auto& [name, json] : gone) {
    auto pkg = package_of(json);
    EXPECT_TRUE(report->changed_packages.count({"Debian:12", pkg})) << pkg;
    auto recs = db->advisories_for("Debian:12", pkg);
    ASSERT_TRUE(recs);
    auto id = name.substr(0, name.size() - 5);
    EXPECT_TRUE(std::none_of(recs->begin(), recs->end(), [&](auto& r) { return r.id == id; }))
      << id;
  }
  // Only the packages of the removed records changed.
  std::set<std::string> expected_pkgs;
  for (auto& g : gone)
    expected_pkgs.insert(package_of(g.second));
  EXPECT_EQ(report->changed_packages.size(), expected_pkgs.size());

  // The same archive again: nothing at all changes.
  auto again = db->import_osv_zip(zip, "newer");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->removed, 0u);
  EXPECT_TRUE(again->changed_packages.empty());
}

TEST(vuln_db_update, a_release_the_export_dropped_goes_and_bad_entries_keep_their_record) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  auto zip = dir / "a.zip";
  ASSERT_TRUE(test::write_osv_zip(
    zip, {{"OLD-1.json", osv_record_json("OLD-1", "Debian:9", "openssl", "1.1.0l-1~deb9u9")},
          {"KEEP-1.json", osv_record_json("KEEP-1", "Debian:12", "curl", "7.88.1-10+deb12u9")},
          {"BAD-1.json", osv_record_json("BAD-1", "Debian:12", "zlib", "1:1.2.13.dfsg-1")},
          {"DEBX-1.json", osv_record_json("DEBX-1", "DebianX", "x", "1")}}));
  ASSERT_TRUE(db->import_osv_zip(zip, "v1"));
  // The next export has no Debian 9 at all, and BAD-1 is damaged in transit.
  ASSERT_TRUE(test::write_osv_zip(
    zip, {{"KEEP-1.json", osv_record_json("KEEP-1", "Debian:12", "curl", "7.88.1-10+deb12u9")},
          {"BAD-1.json", R"({"id":"BAD-1","affected":[)"}}));
  // One of three Debian records goes: more than a tenth, so it must be allowed.
  auto report = db->import_osv_zip(zip, "v2", import_options{.allow_shrink = true});
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->removed, 1u);
  EXPECT_EQ(report->errors.size(), 1u);
  EXPECT_TRUE(db->advisories_for("Debian:9", "openssl")->empty());
  EXPECT_EQ(db->advisories_for("Debian:12", "zlib")->size(), 1u);
  EXPECT_EQ(db->advisories_for("DebianX", "x")->size(), 1u); // another ecosystem
  EXPECT_EQ(report->changed_packages,
            (std::set<std::pair<std::string, std::string>>{{"Debian:9", "openssl"}}));
}

TEST(vuln_db_update, changed_and_new_records_name_their_packages) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  auto zip = dir / "a.zip";
  ASSERT_TRUE(test::write_osv_zip(
    zip, {{"A-1.json", osv_record_json("A-1", "npm", "left-pad", "1.0.1")},
          {"A-2.json", osv_record_json("A-2", "npm", "lodash", "4.17.21")}}));
  auto first = db->import_osv_zip(zip, "v1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->changed_packages.size(), 2u);
  ASSERT_TRUE(test::write_osv_zip(
    zip, {{"A-1.json", osv_record_json("A-1", "npm", "left-pad", "1.0.2")},
          {"A-2.json", osv_record_json("A-2", "npm", "lodash", "4.17.21")},
          {"A-3.json", osv_record_json("A-3", "npm", "minimist", "1.2.6")}}));
  auto second = db->import_osv_zip(zip, "v2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->changed_packages,
            (std::set<std::pair<std::string, std::string>>{{"npm", "left-pad"},
                                                           {"npm", "minimist"}}));
}

TEST(vuln_db_update, advisory_cache_reads_each_package_once_and_results_are_walked) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->import_osv_zip(debian_zip, "full"));
  advisory_cache cache{*db};
  auto a = cache.get("Debian:12", "openssl");
  ASSERT_TRUE(a);
  auto direct = db->advisories_for("Debian:12", "openssl");
  ASSERT_TRUE(direct);
  EXPECT_FALSE(direct->empty());
  EXPECT_EQ((*a)->size(), direct->size());
  auto b = cache.get("Debian:12", "openssl");
  EXPECT_EQ(*a, *b); // same vector: read once
  EXPECT_TRUE((*cache.get("Debian:12", "no-such-package"))->empty());
  EXPECT_EQ(cache.size(), 2u);

  for (int i = 0; i < 3; ++i) {
    image_record img;
    img.key = "r/app@sha256:" + std::to_string(i);
    img.registry = "r";
    scan_result res;
    res.image_key = img.key;
    res.scanned_at = 100 + i;
    ASSERT_TRUE(db->put_image(img));
    ASSERT_TRUE(db->put_result(res, img));
  }
  std::vector<std::string> keys;
  ASSERT_TRUE(db->for_each_result([&](std::string_view key, std::string_view value) {
    auto r = codec::decode_result(value);
    EXPECT_TRUE(r);
    keys.emplace_back(key);
    return keys.size() < 2; // stops when asked
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"r/app@sha256:0", "r/app@sha256:1"}));
}

} // namespace
} // namespace regscan

namespace regscan {
namespace {

// What a package's lookup finds: PEP 503 names, Ubuntu Pro streams that cover
// the image's release, and a replaced Go module by its new path.
TEST(vuln_db_lookup, finds_records_by_every_name_and_covering_ecosystem) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(test::write_osv_zip(
    dir / "all.zip",
    {{"PY-1.json", osv_record_json("PY-1", "PyPI", "Zope.Interface", "5.0")},
     {"UB-1.json", osv_record_json("UB-1", "Ubuntu:Pro:22.04:LTS", "openssl", "3.0.2-0ubuntu1.10")},
     {"UB-2.json", osv_record_json("UB-2", "Ubuntu:20.04:LTS", "openssl", "1.1.1f-1ubuntu2.20")},
     {"GO-1.json", osv_record_json("GO-1", "Go", "example.com/fork", "1.2.0")}}));
  auto report = db->import_osv_zip(dir / "all.zip", "test");
  ASSERT_TRUE(report) << report.err().message;
  advisory_cache cache{*db};
  auto ids = [&](const package& p) {
    std::set<std::string> out;
    auto recs = cache.for_package(p);
    EXPECT_TRUE(recs);
    for (auto* r : *recs)
      out.insert(r->id);
    return out;
  };
  package py;
  py.ecosystem = "PyPI";
  py.name = py.source_name = "zope_interface";
  EXPECT_EQ(ids(py), std::set<std::string>{"PY-1"});
  package deb;
  deb.ecosystem = "Ubuntu:22.04";
  deb.name = "libssl3";
  deb.source_name = "openssl";
  EXPECT_EQ(ids(deb), std::set<std::string>{"UB-1"}); // not the 20.04 record
  package go;
  go.ecosystem = "Go";
  go.name = "example.com/fork";
  go.source_name = "example.com/original";
  EXPECT_EQ(ids(go), std::set<std::string>{"GO-1"});
}

} // namespace
} // namespace regscan
