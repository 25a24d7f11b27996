// Re-match over a real store and the real Debian OSV export: "yesterday's"
// archive is the export minus a few records, today's is the whole of it.
#include "daemon/rematch.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <chrono>
#include <thread>

#include <unistd.h>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "daemon/front/control_api.hpp"
#include "actors/daemon_context.hpp"
#include "daemon/scan.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"
#include "scanners/match/finding_merge.hpp"
#include "scanners/match/osv_record.hpp"
#include "../storage/osv_zip_util.hpp"
#include "../storage/test_util.hpp"
#include "tests/test_support.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

const std::string debian_zip = std::string{REGSCAN_SHARED_DIR} + "/data/osv/Debian/all.zip";

struct rematch_test : testing::Test {
  test::temp_dir dir;
  std::unique_ptr<store> owned;
  store* db = nullptr;
  test::zip_entries all;
  std::vector<std::string> held_back; // record ids missing from yesterday's export
  std::string pkg_new, pkg_old;       // a package with held-back records, one without

  void SetUp() override {
    auto s = store::open(dir / "db");
    ASSERT_TRUE(s) << s.err().message;
    owned = std::move(*s);
    db = owned.get();
    all = test::read_zip(debian_zip);
    ASSERT_GT(all.size(), 700u);
    // Yesterday: every record of one bookworm package is missing.
    test::zip_entries yesterday;
    for (auto& [name, json] : all) {
      auto rec = parse_osv_record(json);
      ASSERT_TRUE(rec);
      auto& a = rec->affected.at(0);
      if (a.ecosystem == "Debian:12" && pkg_new.empty())
        pkg_new = a.name;
      if (a.ecosystem == "Debian:12" && pkg_old.empty() && !pkg_new.empty() && a.name != pkg_new)
        pkg_old = a.name;
      if (a.ecosystem == "Debian:12" && a.name == pkg_new)
        held_back.push_back(rec->id);
      else
        yesterday.emplace_back(name, json);
    }
    ASSERT_FALSE(held_back.empty());
    ASSERT_TRUE(test::write_osv_zip(dir / "yesterday.zip", yesterday));
    ASSERT_TRUE(db->import_osv_zip(dir / "yesterday.zip", "yesterday"));
  }

  package debian_pkg(const std::string& name) {
    package p;
    p.ecosystem = "Debian:12";
    p.name = p.source_name = name;
    p.version = p.source_version = "0.1-1"; // older than every fix
    p.layer = "sha256:layer";
    return p;
  }

  // What a scan stores: the inventory, its findings and the image's counts.
  void store_scan(const std::string& key, std::vector<package> pkgs, int64_t when) {
    image_record img;
    img.key = key;
    img.registry = "lab";
    img.repository = "app";
    img.scan_status = scan_status::scanned;
    scan_result r;
    r.image_key = key;
    r.inv.os.id = "debian";
    r.inv.os.version_id = "12";
    r.inv.packages = std::move(pkgs);
    auto f = match_inventory(*db, r.inv);
    ASSERT_TRUE(f) << f.err().message;
    r.findings = std::move(*f);
    carry_first_seen({}, r.findings, when);
    r.scanned_at = r.matched_at = when;
    img.last_scan = when;
    count_findings(img, r.findings);
    ASSERT_TRUE(db->put_image(img));
    ASSERT_TRUE(db->put_result(r, img));
  }
};

// npm lists a package in package-lock.json and in its own package.json: the
// same installed package, so one set of findings, from the earlier layer.
TEST_F(rematch_test, a_package_listed_by_two_files_has_one_set_of_findings) {
  inventory once, twice;
  once.packages = {debian_pkg(pkg_old)};
  twice.packages = {debian_pkg(pkg_old), debian_pkg(pkg_old)};
  twice.packages[1].file = "another/file";
  twice.packages[1].layer = "sha256:later";
  auto single = match_inventory(*db, once);
  auto both = match_inventory(*db, twice);
  ASSERT_TRUE(single && both);
  ASSERT_FALSE(single->empty());
  EXPECT_EQ(both->size(), single->size());
  for (auto& f : *both)
    EXPECT_EQ(f.layer, "sha256:layer") << f.id;
}

// A project's own package (kind "root") named and versioned like an affected
// registry package has no findings, and does not hide the registry one's.
TEST_F(rematch_test, a_package_with_a_kind_is_never_matched) {
  auto own = debian_pkg(pkg_old);
  own.kind = "root";
  own.layer = "sha256:own";
  inventory alone, both, registry;
  alone.packages = {own};
  both.packages = {own, debian_pkg(pkg_old)};
  registry.packages = {debian_pkg(pkg_old)};
  auto none = match_inventory(*db, alone);
  auto with_twin = match_inventory(*db, both);
  auto expected = match_inventory(*db, registry);
  ASSERT_TRUE(none && with_twin && expected);
  EXPECT_TRUE(none->empty());
  ASSERT_FALSE(expected->empty());
  EXPECT_EQ(with_twin->size(), expected->size());
  for (auto& f : *with_twin)
    EXPECT_EQ(f.layer, "sha256:layer") << f.id;
}

TEST_F(rematch_test, only_inventories_with_changed_packages_are_matched_and_updated) {
  store_scan("lab/a@sha256:a", {debian_pkg(pkg_new), debian_pkg(pkg_old)}, 1000);
  store_scan("lab/b@sha256:b", {debian_pkg(pkg_old)}, 1000);
  store_scan("lab/c@sha256:c", {debian_pkg("no-such-package")}, 1000);
  auto before_a = db->get_result("lab/a@sha256:a");
  auto before_b = db->get_result("lab/b@sha256:b");
  ASSERT_TRUE(before_a && before_b);
  EXPECT_FALSE(before_b->findings.empty());

  auto report = db->import_osv_zip(debian_zip, "today");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->changed_packages,
            (package_keys{{"Debian:12", pkg_new}}));
  auto rep = rematch_inventories(*db, &report->changed_packages, 2000);
  ASSERT_TRUE(rep) << rep.err().message;
  EXPECT_EQ(rep->inventories, 1u); // only a has the package: b and c are not read
  EXPECT_EQ(rep->matched, 1u);
  EXPECT_EQ(rep->updated, 1u);
  EXPECT_EQ(rep->new_findings, held_back.size());
  EXPECT_TRUE(rep->errors.empty());

  auto a = db->get_result("lab/a@sha256:a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scanned_at, 1000); // nothing pulled: the scan is the old one
  EXPECT_EQ(a->matched_at, 2000);
  EXPECT_EQ(a->findings.size(), before_a->findings.size() + held_back.size());
  for (auto& f : a->findings) {
    bool fresh = std::find(held_back.begin(), held_back.end(), f.id) != held_back.end();
    EXPECT_EQ(f.first_seen, fresh ? 2000 : 1000) << f.id;
  }
  auto img = db->get_image("lab/a@sha256:a");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->vuln_count, static_cast<int>(a->findings.size()));
  int counted = 0;
  for (auto& [sev, n] : img->severity_counts)
    counted += n;
  EXPECT_EQ(counted, img->vuln_count);
  EXPECT_EQ(db->get_result("lab/b@sha256:b")->matched_at, 1000); // not looked at

  // Again: nothing changes. Everything: still nothing changes.
  auto again = rematch_inventories(*db, &report->changed_packages, 3000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->updated, 0u);
  auto everything = rematch_inventories(*db, nullptr, 3000);
  ASSERT_TRUE(everything);
  EXPECT_EQ(everything->matched, 3u);
  EXPECT_EQ(everything->updated, 0u);

  // Yesterday's archive once more: the records are removed, so are the findings.
  auto back = db->import_osv_zip(dir / "yesterday.zip", "yesterday");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->removed, held_back.size());
  auto gone = rematch_inventories(*db, &back->changed_packages, 4000);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->updated, 1u);
  EXPECT_EQ(db->get_result("lab/a@sha256:a")->findings.size(), before_a->findings.size());
  EXPECT_EQ(db->get_image("lab/a@sha256:a")->vuln_count,
            static_cast<int>(before_a->findings.size()));
}

TEST_F(rematch_test, an_image_scanned_again_meanwhile_or_deleted_is_left_alone) {
  store_scan("lab/a@sha256:a", {debian_pkg(pkg_new)}, 1000);
  store_scan("lab/b@sha256:b", {debian_pkg(pkg_new)}, 1000);
  store_scan("lab/c@sha256:c", {debian_pkg(pkg_new)}, 1000);
  ASSERT_TRUE(db->delete_image("lab/b@sha256:b"));
  // c is being scanned again: its new scan is in the image record first.
  auto c = db->get_image("lab/c@sha256:c");
  c->last_scan = 1500;
  ASSERT_TRUE(db->put_image(*c));
  auto report = db->import_osv_zip(debian_zip, "today");
  ASSERT_TRUE(report);
  auto rep = rematch_inventories(*db, &report->changed_packages, 2000);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->inventories, 2u);
  EXPECT_EQ(rep->matched, 2u);
  EXPECT_EQ(rep->updated, 1u);
  EXPECT_FALSE(db->get_image("lab/b@sha256:b"));
  EXPECT_EQ(db->get_result("lab/a@sha256:a")->matched_at, 2000);
  EXPECT_EQ(db->get_result("lab/c@sha256:c")->matched_at, 1000);
}

// The re-match replaces only the findings of changed packages. Whatever the
// change, the result must equal a fresh match of the whole inventory against
// the new database: checked over many generated images, a day on which
// records of some packages appear and records of others disappear.
TEST_F(rematch_test, partial_rematch_equals_a_fresh_full_match) {
  // Packages of the real export with the versions their fixes name.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> versions;
  for (auto& [name, json] : all) {
    auto rec = parse_osv_record(json);
    for (auto& a : rec->affected)
      for (auto& r : a.ranges)
        for (auto& e : r.events)
          if (!e.fixed.empty())
            versions[{a.ecosystem, a.name}].push_back(e.fixed);
  }
  std::vector<std::pair<std::string, std::string>> names;
  for (auto& [k, v] : versions)
    names.push_back(k);
  ASSERT_GT(names.size(), 100u);
  std::mt19937 rng{42};
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>{0, n - 1}(rng); };
  // Today's export lacks the records of some packages that yesterday's had.
  std::set<std::pair<std::string, std::string>> dropped;
  for (int i = 0; i < 15; ++i)
    dropped.insert(names[pick(names.size())]);
  test::zip_entries today;
  for (auto& [name, json] : all) {
    auto rec = parse_osv_record(json);
    auto& a = rec->affected.at(0);
    if (!dropped.count({a.ecosystem, a.name}))
      today.emplace_back(name, json);
  }
  // Yesterday's = the full export minus pkg_new's records (SetUp imported it).
  constexpr int images = 60;
  for (int i = 0; i < images; ++i) {
    std::vector<package> pkgs;
    for (int j = 0; j < 25; ++j) {
      auto& [eco, name] = j == 0 ? *dropped.begin() : names[pick(names.size())];
      auto& fixes = versions[{eco, name}];
      auto p = debian_pkg(name);
      p.ecosystem = eco;
      int v = static_cast<int>(pick(fixes.size() + 2));
      p.version = p.source_version = v == 0 ? "0.1-1" : v == 1 ? "99:1" : fixes[v - 2];
      if (j == 1)
        p.name = p.source_name = pkg_new, p.ecosystem = "Debian:12";
      pkgs.push_back(p);
    }
    store_scan("lab/img" + std::to_string(i) + "@sha256:x", pkgs, 1000);
  }
  ASSERT_TRUE(test::write_osv_zip(dir / "today.zip", today));
  auto report = db->import_osv_zip(dir / "today.zip", "today");
  ASSERT_TRUE(report) << report.err().message;
  auto rep = rematch_inventories(*db, &report->changed_packages, 2000);
  ASSERT_TRUE(rep) << rep.err().message;
  EXPECT_EQ(rep->inventories, static_cast<uint64_t>(images));
  EXPECT_GT(rep->updated, images / 2u); // the others' changed packages are not affected
  EXPECT_TRUE(rep->errors.empty());

  for (int i = 0; i < images; ++i) {
    auto key = "lab/img" + std::to_string(i) + "@sha256:x";
    auto stored = db->get_result(key);
    ASSERT_TRUE(stored);
    auto fresh = match_inventory(*db, stored->inv);
    ASSERT_TRUE(fresh);
    auto text = [](const std::vector<finding>& fs) {
      std::vector<std::string> out;
      for (auto& f : fs)
        out.push_back(f.ecosystem + " " + f.package + " " + f.installed_version + " " + f.id
                      + " " + f.fixed_version + " " + f.severity + " " + f.fix_advice + " "
                      + f.title);
      std::sort(out.begin(), out.end());
      return out;
    };
    EXPECT_EQ(text(stored->findings), text(*fresh)) << key;
    auto img = db->get_image(key);
    EXPECT_EQ(img->vuln_count, static_cast<int>(fresh->size()));
    for (auto& f : stored->findings) {
      bool is_new = f.package == pkg_new;
      EXPECT_EQ(f.first_seen, is_new ? 2000 : 1000) << key << " " << f.id;
    }
  }
}

struct api_test : rematch_test {
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<control_api> api;
  supervisor_actor sup;
  std::optional<vulndb_actors> vulndb;

  void SetUp() override {
    rematch_test::SetUp();
    ctx.db = std::move(owned);
    ctx.cfg.data_dir = dir.path();
    sys_cfg.add_message_types<caf::id_block::regscan>();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
    sup = sys->spawn(supervisor, &ctx);
    vulndb = start_vulndb(*sys, ctx);
    api = std::make_unique<control_api>(*sys, ctx, sup, *vulndb);
  }
  void TearDown() override {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    if (vulndb)
      stop_vulndb(ctx, *vulndb);
    vulndb.reset(); // a handle kept would keep the actor system waiting
    api.reset();
    sys.reset();
  }
  scan_result db_result(const std::string& key) {
    auto r = ctx.db->get_result(key);
    EXPECT_TRUE(r) << key;
    return r ? *r : scan_result{};
  }
  http_reply call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    // As the daemon's own user, who is always an admin.
    return api->handle(http_exchange{method, target, body, peer_credentials{::getuid(), ::getgid(), ::getpid()}});
  }
  // Polls the re-match status until it has done `generation` (bounded).
  bool wait_rematch(uint64_t generation) {
    for (int i = 0; i < 3000; ++i) {
      auto st = call("GET", "/db/rematch");
      auto pos = st.body.find("\"completed\":");
      if (pos != std::string::npos && std::stoull(st.body.substr(pos + 12)) >= generation)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST_F(api_test, import_of_an_archive_rematches_and_new_since_lists_the_image) {
  store_scan("lab/a@sha256:a", {debian_pkg(pkg_new)}, 1000);
  store_scan("lab/b@sha256:b", {debian_pkg(pkg_old)}, 1000);
  auto t0 = std::time(nullptr);
  // What regscanctl sends: the archive's bytes.
  auto rep = call("POST", "/db/import?source=Debian%2Fall.zip", test::slurp(debian_zip));
  ASSERT_EQ(rep.status, 200) << rep.body;
  EXPECT_NE(rep.body.find("\"written\":" + std::to_string(held_back.size())), std::string::npos)
    << rep.body;
  auto pos = rep.body.find("\"rematch\":");
  ASSERT_NE(pos, std::string::npos);
  ASSERT_TRUE(wait_rematch(std::stoull(rep.body.substr(pos + 10))));
  // Not /db/rematch's "updated": that is the last run's, and the backlog the
  // store resumed at start may run after the import's. The listing says it.
  auto listed = call("GET", "/images?new_since=" + std::to_string(t0 - 1));
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("lab/a@sha256:a"), std::string::npos) << listed.body;
  EXPECT_EQ(listed.body.find("lab/b@sha256:b"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find("\"new_findings\":" + std::to_string(held_back.size())),
            std::string::npos)
    << listed.body;
  // Before the first scans, both had findings first seen.
  auto old = call("GET", "/images?new_since=999");
  EXPECT_NE(old.body.find("lab/b@sha256:b"), std::string::npos);
  EXPECT_EQ(call("GET", "/images?new_since=yesterday").status, 400);
  auto shown = call("GET", "/image?ref=lab/b@sha256:b&vulns=1");
  EXPECT_NE(shown.body.find("\"first_seen\":1000"), std::string::npos) << shown.body;
}

// A file that links reach is listed once: `image show --packages` says
// where else it is, as the stored inventory does.
TEST_F(api_test, image_show_lists_the_other_paths_of_linked_files) {
  store_scan("lab/a@sha256:a", {debian_pkg(pkg_old)}, 1000);
  auto r = db_result("lab/a@sha256:a");
  r.inv.linked_files = {{"var/lib/dpkg/status", {"var/lib/dpkg/status-hardlink"}}};
  ASSERT_TRUE(ctx.db->put_result(r, *ctx.db->get_image("lab/a@sha256:a")));
  auto shown = call("GET", "/image?ref=lab/a@sha256:a&packages=1");
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_NE(shown.body.find(R"("linked_files":[{"file":"var/lib/dpkg/status","also_at":["var/lib/dpkg/status-hardlink"]}])"),
            std::string::npos)
    << shown.body;
}

// `db import PATH` used to make the daemon open any path it can read (and
// tell whether it exists). Now the client sends the bytes; a path is refused.
TEST_F(api_test, import_takes_the_archive_bytes_and_opens_no_path) {
  auto before = ctx.db->db_status();
  ASSERT_TRUE(before);
  auto by_path = call("POST", "/db/import", R"({"path":")" + debian_zip + R"("})");
  EXPECT_EQ(by_path.status, 400) << by_path.body;
  EXPECT_NE(by_path.body.find("opens no path"), std::string::npos) << by_path.body;
  auto secret = call("POST", "/db/import", R"({"path":"/etc/shadow"})");
  EXPECT_EQ(secret.status, 400);
  EXPECT_EQ(secret.body, by_path.body); // says nothing about the path
  auto after = ctx.db->db_status();
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t i = 0; i < after->size(); ++i)
    EXPECT_EQ((*after)[i].source, "yesterday"); // nothing imported

  auto by_bytes = call("POST", "/db/import?source=%2Fsrv%2Fosv%2FDebian%2Fall.zip",
                       test::slurp(debian_zip));
  ASSERT_EQ(by_bytes.status, 200) << by_bytes.body;
  EXPECT_NE(by_bytes.body.find("\"written\":" + std::to_string(held_back.size())),
            std::string::npos) << by_bytes.body;
  EXPECT_NE(call("GET", "/db/status").body.find("\"source\":\"/srv/osv/Debian/all.zip\""),
            std::string::npos);
  auto junk = call("POST", "/db/import?source=junk.zip", "PK not really a zip");
  EXPECT_EQ(junk.status, 400);
  EXPECT_NE(junk.body.find("zip"), std::string::npos) << junk.body;
}

// A one-record "export" would remove every other Debian record: refused
// (409) unless allow_shrink.
TEST_F(api_test, an_archive_that_would_empty_an_ecosystem_needs_allow_shrink) {
  ASSERT_TRUE(test::write_osv_zip(dir / "one.zip", {all.front()}));
  auto one = test::slurp(dir / "one.zip");
  auto refused = call("POST", "/db/import?source=one.zip", one);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("--allow-shrink"), std::string::npos) << refused.body;
  EXPECT_FALSE(ctx.db->advisories_for("Debian:12", pkg_old)->empty());
  auto allowed = call("POST", "/db/import?source=one.zip&allow_shrink=1", one);
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_TRUE(ctx.db->advisories_for("Debian:12", pkg_old)->empty());
}

// Any socket user could point `db update` at any URL, plain http included.
TEST_F(api_test, update_downloads_only_from_the_configured_or_allowed_https_mirrors) {
  ctx.cfg.osv_mirror = "https://osv.example.org/";
  ctx.cfg.osv_allowed_mirrors = {"https://mirror.example.org/osv"};
  auto other = call("POST", "/db/update", R"({"mirror":"https://evil.example.com","ecosystems":["Debian"]})");
  EXPECT_EQ(other.status, 403) << other.body;
  auto plain = call("POST", "/db/update", R"({"mirror":"http://127.0.0.1:1","ecosystems":["Debian"]})");
  EXPECT_EQ(plain.status, 403) << plain.body;
  // Allowed by name, but plain http needs allow_http as well.
  ctx.cfg.osv_allowed_mirrors.push_back("http://127.0.0.1:1");
  plain = call("POST", "/db/update", R"({"mirror":"http://127.0.0.1:1/","ecosystems":["Debian"]})");
  EXPECT_EQ(plain.status, 403) << plain.body;
  EXPECT_NE(plain.body.find("allow_http"), std::string::npos) << plain.body;
  ctx.cfg.osv_allow_http = true;
  plain = call("POST", "/db/update", R"({"mirror":"http://127.0.0.1:1","ecosystems":["Debian"]})");
  EXPECT_EQ(plain.status, 200) << plain.body; // allowed: the download itself fails
  EXPECT_NE(plain.body.find("127.0.0.1:1/Debian/all.zip"), std::string::npos) << plain.body;
}

// A scan matched before an import and stored after it: the daemon re-matches
// it on its own, against the new database.
TEST_F(api_test, a_result_matched_before_an_import_is_rematched) {
  store_scan("lab/a@sha256:a", {debian_pkg(pkg_old)}, 1000);
  auto generation = ctx.db->db_generation(); // a scan of b starts matching
  scan_result r;
  r.image_key = "lab/b@sha256:b";
  r.inv.packages = {debian_pkg(pkg_new)};
  r.db_generation = generation;
  auto matched = match_inventory(*ctx.db, r.inv);
  ASSERT_TRUE(matched);
  EXPECT_TRUE(matched->empty()); // yesterday has no record of pkg_new
  r.findings = *matched;
  r.scanned_at = r.matched_at = 1000;

  auto rep = call("POST", "/db/import?source=today", test::slurp(debian_zip));
  ASSERT_EQ(rep.status, 200) << rep.body;
  auto pos = rep.body.find("\"rematch\":");
  ASSERT_TRUE(wait_rematch(std::stoull(rep.body.substr(pos + 10))));

  image_record img;
  img.key = r.image_key;
  img.registry = "lab";
  img.repository = "app";
  img.last_scan = 1000;
  ASSERT_TRUE(ctx.db->put_result(r, img)); // the scan finishes now
  bool rematched = false;
  for (int i = 0; i < 3000 && !rematched; ++i) {
    auto f = ctx.db->get_findings(r.image_key);
    ASSERT_TRUE(f);
    rematched = f->findings.size() == held_back.size();
    if (!rematched)
      std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(rematched) << "the stale result was not matched again";
  EXPECT_EQ(ctx.db->get_image(r.image_key)->vuln_count, static_cast<int>(held_back.size()));
}

} // namespace
