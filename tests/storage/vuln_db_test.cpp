#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

#include <gtest/gtest.h>
#include <zip.h>

#include "storage/store.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using test::temp_dir;

const std::string osv_dir = std::string{REGSCAN_SHARED_DIR} + "/data/osv";

std::unique_ptr<store> open_store(const std::string& dir) {
  auto s = store::open(dir);
  EXPECT_TRUE(s) << (s ? "" : s.err().message);
  return s ? std::move(*s) : nullptr;
}

// Writes a zip of (entry name, content) pairs with libzip.
bool write_zip(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries) {
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za)
    return false;
  for (auto& [name, content] : entries) {
    zip_source_t* src = zip_source_buffer(za, content.data(), content.size(), 0);
    if (!src || zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(src);
      zip_discard(za);
      return false;
    }
  }
  return zip_close(za) == 0;
}

std::string osv_json(const std::string& id, const std::string& ecosystem,
                     const std::string& package, const std::string& fixed,
                     const std::string& extra = "") {
  return R"({"schema_version":"1.6.0","id":")" + id
         + R"(","modified":"2024-01-01T00:00:00Z")" + extra
         + R"(,"summary":"test","affected":[{"package":{"ecosystem":")" + ecosystem
         + R"(","name":")" + package
         + R"("},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":")"
         + fixed + R"("}]}]}]})";
}

std::map<std::string, ecosystem_status> status_map(store& db) {
  std::map<std::string, ecosystem_status> out;
  auto st = db.db_status();
  EXPECT_TRUE(st) << (st ? "" : st.err().message);
  if (st)
    for (auto& s : *st)
      out[s.ecosystem] = s;
  return out;
}

TEST(vuln_db, imports_real_debian_data_then_nothing_changes) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto zip = osv_dir + "/Debian/all.zip";
  auto report = db->import_osv_zip(zip, "test:Debian");
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->read, 801u);
  EXPECT_EQ(report->written, 801u);
  EXPECT_EQ(report->unchanged, 0u);
  EXPECT_EQ(report->withdrawn, 0u);
  EXPECT_TRUE(report->errors.empty()) << report->errors.front();
  EXPECT_EQ(report->per_ecosystem.at("Debian:11"), 535u);
  EXPECT_EQ(report->per_ecosystem.at("Debian:12"), 223u);
  EXPECT_EQ(report->per_ecosystem.at("Debian:13"), 43u);

  auto status = status_map(*db);
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status["Debian:11"].records, 535u);
  EXPECT_EQ(status["Debian:12"].records, 223u);
  EXPECT_EQ(status["Debian:13"].records, 43u);
  EXPECT_EQ(status["Debian:12"].source, "test:Debian");
  EXPECT_GT(status["Debian:12"].imported_at, 1700000000);

  auto expat = db->advisories_for("Debian:12", "expat");
  ASSERT_TRUE(expat) << expat.err().message;
  ASSERT_FALSE(expat->empty());
  for (auto& rec : *expat) {
    EXPECT_TRUE(rec.id.starts_with("DEBIAN-bookworm-expat-")) << rec.id;
    ASSERT_FALSE(rec.affected.empty());
    EXPECT_EQ(rec.affected[0].name, "expat");
  }
  EXPECT_TRUE(db->advisories_for("Debian:12", "no-such-package")->empty());
  EXPECT_TRUE(db->advisories_for("Debian:12", "expa")->empty()); // no prefix matches

  auto again = db->import_osv_zip(zip, "test:Debian");
  ASSERT_TRUE(again) << again.err().message;
  EXPECT_EQ(again->read, 801u);
  EXPECT_EQ(again->written, 0u);
  EXPECT_EQ(again->unchanged, 801u);
  EXPECT_TRUE(again->errors.empty());
  EXPECT_EQ(status_map(*db)["Debian:11"].records, 535u);
}

TEST(vuln_db, malformed_entry_is_reported_and_the_rest_imported) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto zip = dir / "osv.zip";
  ASSERT_TRUE(write_zip(zip, {{"BROKEN-1.json", R"({"id":"BROKEN-1","affected":[)"},
                              {"GOOD-1.json", osv_json("GOOD-1", "npm", "lodash", "4.17.21")},
                              {"README.txt", "not a record"}}));
  auto report = db->import_osv_zip(zip, "test");
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->read, 2u);
  EXPECT_EQ(report->written, 1u);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_TRUE(report->errors[0].starts_with("BROKEN-1.json: ")) << report->errors[0];

  auto recs = db->advisories_for("npm", "lodash");
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].id, "GOOD-1");
  EXPECT_EQ(status_map(*db)["npm"].records, 1u);
}

TEST(vuln_db, withdrawn_record_removes_the_stored_one) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto zip = dir / "osv.zip";
  ASSERT_TRUE(write_zip(zip, {{"PYSEC-1.json", osv_json("PYSEC-1", "PyPI", "jinja2", "3.1.3")},
                              {"PYSEC-2.json", osv_json("PYSEC-2", "PyPI", "jinja2", "3.1.4")}}));
  ASSERT_TRUE(db->import_osv_zip(zip, "v1"));
  EXPECT_EQ(db->advisories_for("PyPI", "jinja2")->size(), 2u);
  EXPECT_EQ(status_map(*db)["PyPI"].records, 2u);

  ASSERT_TRUE(write_zip(
    zip, {{"PYSEC-1.json",
           osv_json("PYSEC-1", "PyPI", "jinja2", "3.1.3", R"(,"withdrawn":"2024-02-01T00:00:00Z")")},
          {"PYSEC-2.json", osv_json("PYSEC-2", "PyPI", "jinja2", "3.1.4")}}));
  auto report = db->import_osv_zip(zip, "v2");
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->withdrawn, 1u);
  EXPECT_EQ(report->unchanged, 1u);
  EXPECT_EQ(report->written, 0u);
  auto recs = db->advisories_for("PyPI", "jinja2");
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].id, "PYSEC-2");
  auto status = status_map(*db);
  EXPECT_EQ(status["PyPI"].records, 1u);
  EXPECT_EQ(status["PyPI"].source, "v2");
}

TEST(vuln_db, changed_record_moves_its_index_entries) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto zip = dir / "osv.zip";
  ASSERT_TRUE(write_zip(zip, {{"GO-1.json", osv_json("GO-1", "Go", "example.com/old", "1.0.0")}}));
  ASSERT_TRUE(db->import_osv_zip(zip, "v1"));
  ASSERT_TRUE(write_zip(zip, {{"GO-1.json", osv_json("GO-1", "Go", "example.com/new", "1.0.1")}}));
  auto report = db->import_osv_zip(zip, "v2");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->written, 1u);
  EXPECT_TRUE(db->advisories_for("Go", "example.com/old")->empty());
  auto recs = db->advisories_for("Go", "example.com/new");
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].affected[0].ranges[0].events[1].fixed, "1.0.1");
  EXPECT_EQ(status_map(*db)["Go"].records, 1u);
}

TEST(vuln_db, duplicate_ids_and_missing_archives_are_errors) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto zip = dir / "osv.zip";
  ASSERT_TRUE(write_zip(zip, {{"A.json", osv_json("X-1", "npm", "a", "1.0.0")},
                              {"B.json", osv_json("X-1", "npm", "b", "1.0.0")}}));
  auto report = db->import_osv_zip(zip, "t");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->written, 1u);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_TRUE(report->errors[0].starts_with("B.json: duplicate record id X-1")) << report->errors[0];

  auto missing = db->import_osv_zip(dir / "none.zip", "t");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("none.zip"), std::string::npos);
}

TEST(vuln_db, imports_all_five_ecosystems) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  uint64_t total = 0;
  double seconds = 0;
  for (auto eco : {"Alpine", "Debian", "Go", "PyPI", "npm"}) {
    auto start = std::chrono::steady_clock::now();
    auto report = db->import_osv_zip(osv_dir + "/" + eco + "/all.zip", eco);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(report) << report.err().message;
    EXPECT_TRUE(report->errors.empty()) << eco << ": " << report->errors.front();
    EXPECT_EQ(report->written + report->withdrawn, report->read) << eco;
    std::printf("  %-7s %6llu records (%llu withdrawn) in %.3f s: %.0f records/s\n", eco,
                static_cast<unsigned long long>(report->read),
                static_cast<unsigned long long>(report->withdrawn), took, report->read / took);
    total += report->read;
    seconds += took;
  }
  std::printf("  all     %6llu records in %.3f s: %.0f records/s\n",
              static_cast<unsigned long long>(total), seconds, total / seconds);
  EXPECT_EQ(total, 11775u + 801u + 4291u + 2661u + 467u);
  auto status = db->db_status();
  ASSERT_TRUE(status);
  EXPECT_GT(status->size(), 5u); // Alpine and Debian have one ecosystem per release
  auto start = std::chrono::steady_clock::now();
  auto recs = db->advisories_for("PyPI", "django");
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(recs);
  EXPECT_FALSE(recs->empty());
  std::printf("  advisories_for(PyPI, django): %zu records in %.4f s\n", recs->size(), took);
}

} // namespace
} // namespace regscan
