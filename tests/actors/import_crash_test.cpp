// kill -9 in the middle of an import: the records written before the kill
// are unchanged when the archive is imported again, so only the re-match
// backlog, written with them, still knows that images must be matched again.
// After the restart the findings must equal a fresh full match.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "daemon/front/control_api.hpp"
#include "actors/daemon_context.hpp"
#include "daemon/rematch.hpp"
#include "daemon/scan.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"
#include "scanners/match/finding_merge.hpp"
#include "scanners/match/osv_record.hpp"
#include "../storage/osv_zip_util.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string osv_dir = std::string{REGSCAN_SHARED_DIR} + "/data/osv";

// Run in a child process by the test below (exec'd, so that RocksDB starts
// with threads of its own): imports REGSCAN_CRASH_ZIP into REGSCAN_CRASH_DB.
TEST(import_crash, DISABLED_child_imports_an_archive) {
  auto db_dir = std::getenv("REGSCAN_CRASH_DB");
  auto zip = std::getenv("REGSCAN_CRASH_ZIP");
  if (!db_dir || !zip)
    GTEST_SKIP() << "run by import_crash.a_killed_import_is_rematched_after_the_restart";
  auto db = store::open(db_dir);
  ASSERT_TRUE(db) << db.err().message;
  auto r = (*db)->import_osv_zip(zip, "today");
  std::_Exit(r ? 0 : 1);
}

// The WAL files of a RocksDB directory, with their sizes.
std::map<std::string, uintmax_t> wal_files(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec})
    if (e.path().extension() == ".log") {
      auto size = fs::file_size(e.path(), ec);
      out[e.path().filename()] = ec ? 0 : size;
    }
  return out;
}

package debian_pkg(const std::string& name) {
  package p;
  p.ecosystem = "Debian:12";
  p.name = p.source_name = name;
  p.version = p.source_version = "0.1-1"; // older than every fix
  p.layer = "sha256:layer";
  return p;
}

void store_scan(store& db, const std::string& key, std::vector<package> pkgs) {
  image_record img;
  img.key = key;
  img.registry = "lab";
  img.repository = "app";
  img.scan_status = scan_status::scanned;
  img.last_scan = 1000;
  scan_result r;
  r.image_key = key;
  r.inv.packages = std::move(pkgs);
  auto f = match_inventory(db, r.inv);
  ASSERT_TRUE(f) << f.err().message;
  r.findings = std::move(*f);
  carry_first_seen({}, r.findings, 1000);
  r.scanned_at = r.matched_at = 1000;
  count_findings(img, r.findings);
  ASSERT_TRUE(db.put_result(r, img));
}

TEST(import_crash, a_killed_import_is_rematched_after_the_restart) {
  test::temp_dir dir;
  auto db_dir = dir / "db";
  // Yesterday's Debian export lacks the records of one package; today's has
  // them first, then the whole Alpine export, so that the import is many
  // batches long and the first one (with those records) lands well before
  // the end.
  auto debian = test::read_zip(osv_dir + "/Debian/all.zip");
  auto alpine = test::read_zip(osv_dir + "/Alpine/all.zip");
  ASSERT_GT(debian.size(), 700u);
  ASSERT_GT(alpine.size(), 5000u);
  std::string pkg_new, pkg_old;
  std::set<std::string> held_back;
  test::zip_entries yesterday;
  for (auto& [name, json] : debian) {
    auto rec = parse_osv_record(json);
    ASSERT_TRUE(rec);
    auto& a = rec->affected.at(0);
    if (a.ecosystem == "Debian:12" && pkg_new.empty())
      pkg_new = a.name;
    else if (a.ecosystem == "Debian:12" && pkg_old.empty() && a.name != pkg_new)
      pkg_old = a.name;
    if (a.ecosystem == "Debian:12" && a.name == pkg_new)
      held_back.insert(rec->id);
    else
      yesterday.emplace_back(name, json);
  }
  ASSERT_FALSE(held_back.empty());
  test::zip_entries today = debian;
  today.insert(today.end(), alpine.begin(), alpine.end());
  ASSERT_TRUE(test::write_osv_zip(dir / "yesterday.zip", yesterday));
  ASSERT_TRUE(test::write_osv_zip(dir / "today.zip", today));
  {
    auto db = store::open(db_dir);
    ASSERT_TRUE(db) << db.err().message;
    ASSERT_TRUE((*db)->import_osv_zip(dir / "yesterday.zip", "yesterday"));
    ASSERT_TRUE((*db)->clear_pending_rematch(*(*db)->pending_rematch()));
    store_scan(**db, "lab/a@sha256:a", {debian_pkg(pkg_new), debian_pkg(pkg_old)});
    store_scan(**db, "lab/b@sha256:b", {debian_pkg(pkg_old)});
    store_scan(**db, "lab/c@sha256:c", {debian_pkg(pkg_new)});
  }

  // kill -9 once the first batch is in the child's write-ahead log.
  auto before = wal_files(db_dir);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("REGSCAN_CRASH_DB", db_dir.c_str(), 1);
    ::setenv("REGSCAN_CRASH_ZIP", (dir / "today.zip").c_str(), 1);
    ::execl("/proc/self/exe", "actors_test", "--gtest_also_run_disabled_tests",
            "--gtest_filter=import_crash.DISABLED_child_imports_an_archive", nullptr);
    std::_Exit(127);
  }
  constexpr uintmax_t first_batch = 512 * 1024; // the first batch is about 1 MiB
  bool killed = false;
  uintmax_t last = 0;
  int steady = 0;
  for (auto start = std::chrono::steady_clock::now();
       std::chrono::steady_clock::now() - start < 120s;) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child)
      FAIL() << "the import ended before it could be killed (status " << status << ")";
    uintmax_t size = 0;
    for (auto& [name, bytes] : wal_files(db_dir))
      if (!before.count(name))
        size = std::max(size, bytes);
    // Past the first batch, and not in the middle of writing the next.
    steady = size >= first_batch && size == last ? steady + 1 : 0;
    last = size;
    if (steady >= 2) {
      ::kill(child, SIGKILL);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(killed) << "the import never wrote its first batch";
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // The restart: the first batch is there, the import's end is not.
  daemon_context ctx;
  ctx.cfg.data_dir = dir.path();
  {
    auto db = store::open(db_dir);
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
  }
  auto partial = ctx.db->advisories_for("Debian:12", pkg_new);
  ASSERT_TRUE(partial);
  ASSERT_EQ(partial->size(), held_back.size()) << "the first batch did not land";
  auto status_after = ctx.db->db_status();
  ASSERT_TRUE(status_after);
  for (auto& s : *status_after)
    ASSERT_NE(s.ecosystem.substr(0, 6), "Alpine") << "the import was not cut short";

  // Imported again: the records already written are unchanged.
  auto again = ctx.db->import_osv_zip(dir / "today.zip", "today");
  ASSERT_TRUE(again) << again.err().message;
  EXPECT_EQ(again->changed_packages.count({"Debian:12", pkg_new}), 0u);

  // The daemon's start resumes the re-match the backlog owes.
  caf::actor_system_config sys_cfg;
  sys_cfg.add_message_types<caf::id_block::regscan>();
  caf::actor_system sys{sys_cfg};
  auto sup = sys.spawn(supervisor, &ctx);
  auto vulndb = start_vulndb(sys, ctx);
  {
    control_api api{sys, ctx, sup, vulndb};
    bool done = false;
    for (int i = 0; i < 3000 && !done; ++i) {
      auto backlog = ctx.db->pending_rematch();
      ASSERT_TRUE(backlog);
      done = backlog->empty();
      if (!done)
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(done) << "the re-match backlog was not worked off";
    // The worker clears the backlog last: wait until it has stopped.
    for (int i = 0; i < 3000 && api.handle({"GET", "/db/rematch", "", peer_credentials{::getuid(), ::getgid(), ::getpid()}}).body.find(
                                  "\"running\":false") == std::string::npos;
         ++i)
      std::this_thread::sleep_for(10ms);
  }
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  stop_vulndb(ctx, vulndb);

  // Equal to a fresh full match: matching everything again changes nothing.
  auto full = rematch_inventories(*ctx.db, nullptr, std::time(nullptr) + 100);
  ASSERT_TRUE(full) << full.err().message;
  EXPECT_EQ(full->matched, 3u);
  EXPECT_EQ(full->updated, 0u) << "findings of an interrupted import were left stale";
  for (auto* key : {"lab/a@sha256:a", "lab/c@sha256:c"}) {
    auto r = ctx.db->get_result(key);
    ASSERT_TRUE(r);
    std::size_t fresh = 0;
    for (auto& f : r->findings)
      fresh += held_back.count(f.id);
    EXPECT_EQ(fresh, held_back.size()) << key;
  }
}

} // namespace
