// Vulnerability database benchmarks (not in ctest): `cmake --build <dir> --target bench`.
//  1. full ingest of every all.zip under the OSV data folder, in records/s
//     (baseline: the same archives read and parsed, without RocksDB);
//  2. matching one 400-package inventory (this machine's dpkg status) in µs,
//     through the store and through a warm advisory cache;
//  3. re-matching 10,000 stored inventories after a database update
//     (baseline: re-matching every inventory, no skipping).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sys/resource.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/rematch.hpp"
#include "daemon/scan.hpp"
#include "scanners/os/dpkg_cataloger.hpp"
#include "scanners/match/finding_merge.hpp"
#include "scanners/os/os_release.hpp"
#include "scanners/match/osv_record.hpp"
#include "storage/store.hpp"
#include "storage/vuln_db.hpp"
#include "../storage/osv_zip_util.hpp"

using namespace regscan;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "vulndb_bench: %s\n", what.c_str());
  std::exit(1);
}

} // namespace

// User + system CPU time of the whole process, RocksDB's threads included.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // figures appear as they are measured
  std::string osv_dir = argc > 1 ? argv[1] : REGSCAN_SHARED_DIR "/data/osv";
  std::string status_file = argc > 2 ? argv[2] : "/var/lib/dpkg/status";
  int inventories = argc > 3 ? std::atoi(argv[3]) : 10000;
  std::string tmpl = (fs::temp_directory_path() / "regscan-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    fail("cannot make a temporary folder");
  fs::path dir = tmpl;

  // --- 1. ingest ---------------------------------------------------------
  std::vector<std::string> zips;
  for (auto& e : fs::recursive_directory_iterator(osv_dir))
    if (e.path().filename() == "all.zip")
      zips.push_back(e.path().string());
  std::sort(zips.begin(), zips.end());
  uint64_t parsed = 0;
  auto t = clock_type::now();
  for (auto& z : zips)
    for (auto& [name, json] : test::read_zip(z))
      parsed += static_cast<bool>(parse_osv_record(json));
  double parse_s = since(t);

  auto opened = store::open((dir / "db").string());
  if (!opened)
    fail(opened.err().message);
  auto& db = **opened;
  uint64_t read = 0;
  t = clock_type::now();
  for (auto& z : zips) {
    auto r = db.import_osv_zip(z, z);
    if (!r)
      fail(r.err().message);
    read += r->read;
  }
  double ingest_s = since(t);
  t = clock_type::now();
  uint64_t again = 0;
  for (auto& z : zips)
    again += db.import_osv_zip(z, z)->unchanged;
  double reingest_s = since(t);
  std::printf("ingest: %zu archives, %lu records in %.2f s = %.0f records/s "
              "(re-import, all unchanged: %.0f records/s; baseline unzip+parse only: %.0f "
              "records/s)\n",
              zips.size(), static_cast<unsigned long>(read), ingest_s, read / ingest_s,
              again / reingest_s, parsed / parse_s);

  // --- 2. one 400-package inventory ---------------------------------------
  os_info os = parse_os_release(slurp("/etc/os-release"));
  inventory inv;
  inv.os = os;
  dpkg_cataloger dpkg;
  dpkg.parse("var/lib/dpkg/status", slurp(status_file), "sha256:bench", os, inv);
  if (inv.packages.size() < 400)
    fail("fewer than 400 packages in " + status_file);
  inv.packages.resize(400);
  const int rounds = 200;
  std::size_t findings = 0;
  t = clock_type::now();
  for (int i = 0; i < rounds; ++i)
    findings = match_inventory(db, inv)->size();
  double cold_us = since(t) / rounds * 1e6;
  advisory_cache cache{db};
  (void)match_inventory(cache, inv);
  t = clock_type::now();
  for (int i = 0; i < rounds; ++i)
    (void)match_inventory(cache, inv);
  double warm_us = since(t) / rounds * 1e6;
  std::printf("match: 400 packages of %s (%s) -> %zu findings: %.0f us through the store, "
              "%.0f us with a warm advisory cache\n",
              status_file.c_str(), inv.packages.front().ecosystem.c_str(), findings, cold_us,
              warm_us);

  // --- 3. re-match after an update -------------------------------------------
  // Yesterday's Debian export lacks every record of 10 packages the
  // inventory has; the images were scanned then. Today's export has them.
  std::string debian_zip = osv_dir + "/Debian/all.zip";
  std::set<std::string> inventory_names;
  for (auto& p : inv.packages)
    inventory_names.insert(p.source_name);
  std::set<std::string> held;
  test::zip_entries yesterday;
  for (auto& [name, json] : test::read_zip(debian_zip)) {
    auto rec = parse_osv_record(json);
    auto& a = rec->affected.at(0);
    bool ours = a.ecosystem == inv.packages.front().ecosystem && inventory_names.count(a.name);
    if (ours && (held.count(a.name) || held.size() < 10)) {
      held.insert(a.name);
      continue;
    }
    yesterday.emplace_back(name, json);
  }
  auto yzip = (dir / "yesterday.zip").string();
  test::write_osv_zip(yzip, yesterday);
  db.import_osv_zip(yzip, "yesterday");
  // Images differ: each has a few packages at an old version, so they have findings.
  t = clock_type::now();
  advisory_cache ycache{db};
  for (int i = 0; i < inventories; ++i) {
    scan_result r;
    r.image_key = "bench/app" + std::to_string(i) + "@sha256:" + std::to_string(i);
    r.inv = inv;
    for (int k = 0; k < 8; ++k) {
      auto& p = r.inv.packages[(i * 7 + k * 53) % r.inv.packages.size()];
      p.source_version = p.version = "0.1-1";
    }
    r.findings = *match_inventory(ycache, r.inv);
    carry_first_seen({}, r.findings, 1000);
    r.scanned_at = r.matched_at = 1000;
    image_record img;
    img.key = r.image_key;
    img.registry = "bench";
    img.repository = "app" + std::to_string(i);
    img.scan_status = scan_status::scanned;
    img.last_scan = 1000;
    img.vuln_count = static_cast<int>(r.findings.size());
    if (auto ok = db.put_result(r, img); !ok || !db.put_image(img))
      fail("cannot store inventory " + r.image_key);
  }
  std::printf("re-match setup: %d inventories of %zu packages stored in %.1f s\n", inventories,
              inv.packages.size(), since(t));
  // As a daemon's database is between bursts: no compaction left to do.
  if (auto ok = db.compact(); !ok)
    fail(ok.err().message);
  auto today = db.import_osv_zip(debian_zip, "today");
  if (!today)
    fail(today.err().message);
  double cpu0 = cpu_seconds();
  auto rep = rematch_inventories(db, &today->changed_packages, 2000);
  if (!rep)
    fail(rep.err().message);
  double cpu = cpu_seconds() - cpu0;
  std::printf("re-match after update (%zu changed packages, %lu records written): %lu "
              "inventories read, %lu matched, %lu updated, %lu new findings in %.3f s "
              "(%.3f s of CPU in the process); 0 bytes pulled (no network path)\n",
              today->changed_packages.size(), static_cast<unsigned long>(today->written),
              static_cast<unsigned long>(rep->inventories),
              static_cast<unsigned long>(rep->matched), static_cast<unsigned long>(rep->updated),
              static_cast<unsigned long>(rep->new_findings), rep->seconds, cpu);
  auto all = rematch_inventories(db, nullptr, 3000);
  std::printf("baseline, every inventory matched again (nothing changed): %lu matched, %lu "
              "updated in %.3f s\n",
              static_cast<unsigned long>(all->matched), static_cast<unsigned long>(all->updated),
              all->seconds);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
