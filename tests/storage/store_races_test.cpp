// Writes that race: a delete against a scan finishing, a re-match against a
// rescan in the same second, a scan's match against an import.
#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "osv_zip_util.hpp"
#include "storage/store.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using namespace std::chrono_literals;
using test::temp_dir;

const std::string key = "lab/app@sha256:aa";

image_record image() {
  image_record img;
  img.key = key;
  img.registry = "lab";
  img.repository = "app";
  img.last_scan = 1000;
  return img;
}

scan_result result(const std::string& finding_id) {
  scan_result r;
  r.image_key = key;
  r.scanned_at = r.matched_at = 1000;
  package p;
  p.ecosystem = "Debian:12";
  p.name = p.source_name = "curl";
  p.version = p.source_version = "7.88.1-10";
  r.inv.packages = {p};
  finding f;
  f.id = finding_id;
  f.ecosystem = "Debian:12";
  f.package = "curl";
  f.installed_version = "7.88.1-10";
  f.severity = "HIGH";
  r.findings = {f};
  return r;
}

std::unique_ptr<store> open_store(const std::string& dir) {
  auto db = store::open(dir);
  EXPECT_TRUE(db) << db.err().message;
  return db ? std::move(*db) : nullptr;
}

// The delete runs while the scan's result is being written (inside the
// callback, under the image lock). Without that lock it finishes at once, and
// the result's write brings the image back.
void delete_while_a_result_is_written(store& db,
                                      const std::function<expected<void>()>& remove) {
  std::future<expected<void>> deleting;
  auto put = db.put_result(result("CVE-1"), [&](image_record& img) {
    img.scan_status = scan_status::scanned;
    deleting = std::async(std::launch::async, remove);
    deleting.wait_for(300ms); // done by now unless it waits for the lock
  });
  ASSERT_TRUE(put) << put.err().message;
  auto removed = deleting.get();
  ASSERT_TRUE(removed) << removed.err().message;
  EXPECT_FALSE(db.get_image(key)) << "a deleted image came back";
  EXPECT_FALSE(db.get_result(key));
}

TEST(store_races, a_result_written_during_delete_image_does_not_bring_it_back) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->put_image(image()));
  delete_while_a_result_is_written(*db, [&] { return db->delete_image(key); });
}

TEST(store_races, a_result_written_during_delete_registry_does_not_bring_it_back) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  registry_record reg;
  reg.name = "lab";
  ASSERT_TRUE(db->put_registry(reg));
  ASSERT_TRUE(db->put_image(image()));
  delete_while_a_result_is_written(*db, [&] { return db->delete_registry("lab"); });
}

// A re-match read the findings of a scan; the image was scanned again within
// the same second. The re-match's findings are of the old scan: not written.
TEST(store_races, a_rematch_does_not_overwrite_a_rescan_of_the_same_second) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->put_result(result("CVE-OLD"), image()));
  auto read = db->get_findings(key); // the re-match reads
  ASSERT_TRUE(read);
  ASSERT_TRUE(db->put_result(result("CVE-NEW"), image())); // the rescan, same second
  auto rematched = *read;
  rematched.findings[0].id = "CVE-REMATCHED";
  rematched.matched_at = 1001;
  auto written = db->put_rematched({rematched});
  ASSERT_TRUE(written) << written.err().message;
  EXPECT_TRUE(written->empty());
  auto now = db->get_findings(key);
  ASSERT_TRUE(now);
  ASSERT_EQ(now->findings.size(), 1u);
  EXPECT_EQ(now->findings[0].id, "CVE-NEW");

  // The re-match of the result that is stored is written.
  auto current = db->get_findings(key);
  current->findings[0].id = "CVE-REMATCHED";
  written = db->put_rematched({*current});
  ASSERT_TRUE(written);
  EXPECT_EQ(written->size(), 1u);
  EXPECT_EQ(db->get_findings(key)->findings[0].id, "CVE-REMATCHED");
}

std::string archive(const temp_dir& dir, const std::string& name, const std::string& fixed) {
  auto path = dir / name;
  EXPECT_TRUE(test::write_osv_zip(
    path, {{"DSA-1.json", test::osv_record_json("DSA-1", "Debian:12", "curl", fixed)}}));
  return path;
}

// A scan matched its inventory, then an import changed the database, then the
// scan's result was written: its findings are stale, so its image goes into
// the re-match backlog with it, and survives a restart there.
TEST(store_races, a_result_matched_before_an_import_goes_to_the_rematch_backlog) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->put_image(image()));
  ASSERT_TRUE(db->import_osv_zip(archive(dir, "v1.zip", "7.88.1-9"), "v1"));
  ASSERT_TRUE(db->clear_pending_rematch(*db->pending_rematch())); // the import's own
  int told = 0;
  db->on_rematch_pending([&] { ++told; });

  auto r = result("CVE-1");
  r.db_generation = db->db_generation(); // the scan starts matching
  auto before = db->db_generation();
  auto imported = db->import_osv_zip(archive(dir, "v2.zip", "7.88.1-11"), "v2");
  ASSERT_TRUE(imported) << imported.err().message;
  EXPECT_GT(db->db_generation(), before);
  ASSERT_TRUE(db->put_result(r, image())); // matched against v1, written after v2
  EXPECT_EQ(told, 1);
  auto backlog = db->pending_rematch();
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->images.count(key), 1u);
  EXPECT_EQ(backlog->packages.count({"Debian:12", "curl"}), 1u); // v2's change

  // A scan written again meanwhile stays in the backlog when the re-match
  // that read the first one clears what it did.
  ASSERT_TRUE(db->put_result(r, image()));
  ASSERT_TRUE(db->clear_pending_rematch(*backlog));
  backlog = db->pending_rematch();
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->images.count(key), 1u);
  EXPECT_TRUE(backlog->packages.empty());

  // After a restart it is still owed, and the generation is kept.
  auto generation = db->db_generation();
  db->on_rematch_pending(nullptr);
  db.reset();
  db = open_store(dir / "db");
  ASSERT_TRUE(db);
  EXPECT_EQ(db->db_generation(), generation);
  EXPECT_EQ(db->pending_rematch()->images.count(key), 1u);
  ASSERT_TRUE(db->clear_pending_rematch(*db->pending_rematch()));

  // Matched against the current database: nothing owed.
  r.db_generation = db->db_generation();
  ASSERT_TRUE(db->put_result(r, image()));
  EXPECT_TRUE(db->pending_rematch()->empty());
}

} // namespace
} // namespace regscan
