// An archive is trusted only so far: one that would wipe most of an
// ecosystem is refused; archives come as bytes as well as files.
#include <gtest/gtest.h>

#include "osv_zip_util.hpp"
#include "storage/store.hpp"
#include "tests/test_support.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using test::temp_dir;

const std::string debian_zip = std::string{REGSCAN_SHARED_DIR} + "/data/osv/Debian/all.zip";
const std::string pypi_zip = std::string{REGSCAN_SHARED_DIR} + "/data/osv/PyPI/all.zip";

std::unique_ptr<store> open_store(const std::string& dir) {
  auto db = store::open(dir);
  EXPECT_TRUE(db) << db.err().message;
  return db ? std::move(*db) : nullptr;
}

uint64_t records_of(store& db, const std::string& family) {
  uint64_t n = 0;
  auto status = db.db_status();
  EXPECT_TRUE(status);
  for (auto& s : *status)
    if (s.ecosystem.substr(0, s.ecosystem.find(':')) == family)
      n += s.records;
  return n;
}

// A one-record "Debian export" would remove all the others, and every Debian
// image would look clean: refused, with nothing written, unless allowed.
TEST(vuln_db_guard, an_archive_removing_more_than_a_tenth_of_an_ecosystem_is_refused) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->import_osv_zip(debian_zip, "full"));
  ASSERT_TRUE(db->import_osv_zip(pypi_zip, "pypi"));
  auto all = test::read_zip(debian_zip);
  ASSERT_GT(all.size(), 700u);
  auto debian = records_of(*db, "Debian");
  auto pypi = records_of(*db, "PyPI");
  auto generation = db->db_generation();

  ASSERT_TRUE(test::write_osv_zip(dir / "one.zip", {all.front()}));
  auto refused = db->import_osv_zip(dir / "one.zip", "one");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, errc::conflict);
  EXPECT_NE(refused.err().message.find("remove " + std::to_string(all.size() - 1) + " of the "
                                       + std::to_string(all.size())),
            std::string::npos)
    << refused.err().message;
  EXPECT_EQ(records_of(*db, "Debian"), debian);
  EXPECT_EQ(db->db_generation(), generation); // nothing written

  // A tenth less is still an update (records do get withdrawn upstream).
  test::zip_entries most(all.begin() + static_cast<long>(all.size() / 10), all.end());
  ASSERT_TRUE(test::write_osv_zip(dir / "most.zip", most));
  auto smaller = db->import_osv_zip(dir / "most.zip", "most");
  ASSERT_TRUE(smaller) << smaller.err().message;
  EXPECT_EQ(smaller->removed, all.size() / 10);

  // Allowed: the one record comes back, the rest of Debian goes, PyPI is untouched.
  auto allowed = db->import_osv_zip(dir / "one.zip", "one", import_options{.allow_shrink = true});
  ASSERT_TRUE(allowed) << allowed.err().message;
  EXPECT_EQ(allowed->removed, most.size());
  EXPECT_EQ(records_of(*db, "PyPI"), pypi);
}

// A hand-made record (a test, a local advisory) replaced by the real export:
// the one stored record goes, but the ecosystem grows; that is no shrink.
TEST(vuln_db_guard, replacing_a_few_records_with_a_larger_export_is_no_shrink) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  auto all = test::read_zip(debian_zip);
  ASSERT_FALSE(all.empty());
  auto [name, json] = all.front();
  auto id = name.substr(0, name.find(".json"));
  for (auto pos = json.find(id); pos != std::string::npos; pos = json.find(id, pos + 1))
    json.replace(pos, id.size(), "LOCAL-0001");
  ASSERT_TRUE(test::write_osv_zip(dir / "local.zip", {{"LOCAL-0001.json", json}}));
  auto local = db->import_osv_zip(dir / "local.zip", "local");
  ASSERT_TRUE(local) << local.err().message;
  ASSERT_EQ(local->written, 1u);
  auto full = db->import_osv_zip(debian_zip, "full");
  ASSERT_TRUE(full) << full.err().message;
  EXPECT_EQ(full->removed, 1u);
  EXPECT_GT(records_of(*db, "Debian"), 700u);
}

// What a client sends over the control socket: the archive's bytes.
TEST(vuln_db_guard, an_archive_in_memory_imports_like_the_file) {
  temp_dir dir;
  auto from_file = open_store(dir / "a");
  auto from_bytes = open_store(dir / "b");
  ASSERT_TRUE(from_file && from_bytes);
  auto a = from_file->import_osv_zip(debian_zip, "debian");
  auto b = from_bytes->import_osv_bytes(test::slurp(debian_zip), "debian");
  ASSERT_TRUE(a && b) << (b ? "" : b.err().message);
  EXPECT_EQ(a->written, b->written);
  EXPECT_EQ(a->changed_packages, b->changed_packages);
  EXPECT_EQ(records_of(*from_file, "Debian"), records_of(*from_bytes, "Debian"));
  EXPECT_GT(records_of(*from_bytes, "Debian"), 700u);

  auto junk = from_bytes->import_osv_bytes("not a zip at all", "junk");
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.err().code, errc::invalid);
  EXPECT_NE(junk.err().message.find("zip"), std::string::npos) << junk.err().message;
}

} // namespace
} // namespace regscan
