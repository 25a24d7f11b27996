// The three parts of a stored scan result: inventory, findings without their
// advisory text, and the package index a re-match reads.
#include <algorithm>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "osv_zip_util.hpp"
#include "storage/schema.hpp"
#include "storage/store.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using test::temp_dir;

package pkg(std::string eco, std::string name, std::string version, std::string source = {}) {
  package p;
  p.ecosystem = std::move(eco);
  p.name = std::move(name);
  p.version = p.source_version = std::move(version);
  p.source_name = source.empty() ? p.name : std::move(source);
  p.layer = "sha256:l1";
  return p;
}

image_record image(const std::string& key) {
  image_record img;
  img.key = key;
  img.registry = key.substr(0, key.find('/'));
  img.repository = "app";
  img.last_scan = 1000;
  return img;
}

scan_result result(const std::string& key, std::vector<package> pkgs) {
  scan_result r;
  r.image_key = key;
  r.scanned_at = r.matched_at = 1000;
  r.inv.packages = std::move(pkgs);
  return r;
}

// image key -> names of the packages filed under (family, name)
std::map<std::string, std::vector<std::string>> indexed(store& db, std::string_view family,
                                                        std::string_view name) {
  std::map<std::string, std::vector<std::string>> out;
  auto ok = db.for_each_indexed(family, name, [&](std::string_view key, std::vector<package> p) {
    for (auto& x : p)
      out[std::string{key}].push_back(x.name);
    return true;
  });
  EXPECT_TRUE(ok) << (ok ? "" : ok.err().message);
  return out;
}

TEST(results, packages_are_indexed_by_family_and_every_lookup_name) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  auto a = result("lab/a@sha256:a", {pkg("Debian:12", "libssl3", "3.0.1-1", "openssl"),
                                     pkg("Debian:12", "openssl", "3.0.1-1"),
                                     pkg("PyPI", "PyYAML", "6.0")});
  ASSERT_TRUE(db->put_result(a, image(a.image_key)));
  auto b = result("lab/b@sha256:b", {pkg("Debian:11", "libssl1.1", "1.1.1w-0", "openssl")});
  ASSERT_TRUE(db->put_result(b, image(b.image_key)));

  using names = std::vector<std::string>;
  auto ssl = indexed(*db, "Debian", "openssl");
  EXPECT_EQ(ssl["lab/a@sha256:a"], (names{"libssl3", "openssl"}));
  EXPECT_EQ(ssl["lab/b@sha256:b"], (names{"libssl1.1"}));
  EXPECT_EQ(indexed(*db, "Debian", "libssl3").size(), 1u); // the binary name too
  EXPECT_EQ(indexed(*db, "PyPI", "pyyaml").size(), 1u);    // PEP 503 normalised
  EXPECT_TRUE(indexed(*db, "npm", "openssl").empty());

  // A rescan with other packages replaces the entries; a delete removes them.
  a.inv.packages = {pkg("Debian:12", "libssl3", "3.0.2-1", "openssl")};
  ASSERT_TRUE(db->put_result(a, image(a.image_key)));
  EXPECT_EQ(indexed(*db, "Debian", "openssl")["lab/a@sha256:a"], (names{"libssl3"}));
  EXPECT_TRUE(indexed(*db, "PyPI", "pyyaml").empty());
  ASSERT_TRUE(db->delete_image(a.image_key));
  EXPECT_EQ(indexed(*db, "Debian", "openssl").count("lab/a@sha256:a"), 0u);
  EXPECT_FALSE(db->get_findings(a.image_key));
  registry_record reg;
  reg.name = "lab";
  reg.type = "docker-v2";
  ASSERT_TRUE(db->put_registry(reg));
  ASSERT_TRUE(db->put_image(image(b.image_key)));
  ASSERT_TRUE(db->delete_registry("lab"));
  EXPECT_TRUE(indexed(*db, "Debian", "openssl").empty());
}

TEST(results, linked_files_are_kept_with_the_inventory) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  auto p = pkg("npm", "debug", "4.3.4");
  p.file = "srv/app/package-lock.json";
  auto r = result("lab/a@sha256:a", {p});
  r.inv.linked_files = {
    {"srv/app/package-lock.json", {"srv/copy/package-lock.json", "srv/link/package-lock.json"}}};
  ASSERT_TRUE(db->put_result(r, image(r.image_key)));
  auto back = db->get_result(r.image_key);
  ASSERT_TRUE(back) << back.err().message;
  ASSERT_EQ(back->inv.linked_files.size(), 1u);
  EXPECT_EQ(back->inv.linked_files[0].file, "srv/app/package-lock.json");
  EXPECT_EQ(back->inv.linked_files[0].also_at, r.inv.linked_files[0].also_at);
  ASSERT_EQ(back->inv.packages.size(), 1u);

  // A result without links (or stored before them) has none.
  r.inv.linked_files.clear();
  ASSERT_TRUE(db->put_result(r, image(r.image_key)));
  EXPECT_TRUE(db->get_result(r.image_key)->inv.linked_files.empty());
}

TEST(results, secrets_are_kept_with_the_inventory_and_counted_on_the_image) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  auto r = result("lab/a@sha256:a", {pkg("npm", "debug", "4.3.4")});
  r.inv.secrets_scanned = true;
  r.inv.secrets_complete = false;
  secret_finding f{.rule_id = "aws-access-key", .rule_name = "AWS access key", .category = "cloud",
                   .severity = "High", .location = "root/.aws/credentials", .line = 2,
                   .masked = "AKIA********", .fingerprint = std::string(64, 'f'),
                   .layer = "sha256:l1", .deleted = true, .deleted_by = "sha256:l2"};
  r.inv.secrets = {f};
  f.location = "env:TOKEN";
  f.layer.clear();
  f.deleted = false;
  f.deleted_by.clear();
  r.inv.secrets.push_back(f);
  ASSERT_TRUE(db->put_image(image(r.image_key)));
  ASSERT_TRUE(db->put_result(r, [&](image_record& img) { count_secrets(img, r.inv); }));
  auto back = db->get_result(r.image_key);
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_TRUE(back->inv.secrets_scanned);
  EXPECT_FALSE(back->inv.secrets_complete);
  ASSERT_EQ(back->inv.secrets.size(), 2u);
  const auto& a = back->inv.secrets[0];
  EXPECT_EQ(a.rule_id, "aws-access-key");
  EXPECT_EQ(a.line, 2);
  EXPECT_EQ(a.masked, "AKIA********");
  EXPECT_TRUE(a.deleted);
  EXPECT_EQ(a.deleted_by, "sha256:l2");
  EXPECT_EQ(back->inv.secrets[1].location, "env:TOKEN");
  auto img = db->get_image(r.image_key);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->secret_count, 2);
  EXPECT_TRUE(img->secrets_incomplete);

  // A result of a scan that did not look for secrets says so.
  r.inv.secrets_scanned = false;
  r.inv.secrets.clear();
  ASSERT_TRUE(db->put_result(r, [&](image_record& img) { count_secrets(img, r.inv); }));
  EXPECT_FALSE(db->get_result(r.image_key)->inv.secrets_scanned);
  EXPECT_EQ(db->get_image(r.image_key)->secret_count, -1);
}

TEST(results, malware_findings_and_counts_round_trip) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  auto r = result("lab/m@sha256:m", {pkg("npm", "debug", "4.3.4")});
  r.inv.malware_scanned = true;
  r.inv.malware_complete = false;
  r.inv.malware_version = "0123456789abcdef";
  malware_finding f{.path = "var/www/site.zip!x.php", .member = "x.php", .sha256 = std::string(64, 'a'), .size = 42,
                    .signature = "Php.Webshell.X", .source = "yara", .type = "webshell",
                    .severity = "Critical", .layer = "sha256:l1", .deleted = true,
                    .deleted_by = "sha256:l2", .advice = "remove it"};
  r.inv.malware = {f};
  ASSERT_TRUE(db->put_image(image(r.image_key)));
  ASSERT_TRUE(db->put_result(r, [&](image_record& img) { count_malware(img, r.inv); }));
  auto back = db->get_result(r.image_key);
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_TRUE(back->inv.malware_scanned);
  EXPECT_FALSE(back->inv.malware_complete);
  EXPECT_EQ(back->inv.malware_version, "0123456789abcdef");
  ASSERT_EQ(back->inv.malware.size(), 1u);
  const auto& m = back->inv.malware[0];
  EXPECT_EQ(m.path, "var/www/site.zip!x.php");
  EXPECT_EQ(m.member, "x.php");
  EXPECT_EQ(m.size, 42u);
  EXPECT_EQ(m.source, "yara");
  EXPECT_TRUE(m.deleted);
  EXPECT_EQ(m.deleted_by, "sha256:l2");
  auto img = db->get_image(r.image_key);
  EXPECT_EQ(img->malware_count, 1);
  EXPECT_TRUE(img->malware_incomplete);
  EXPECT_EQ(img->malware_counts["Critical"], 1);
}

TEST(results, malware_verdicts_by_signature_set) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  std::string sha(64, 'b');
  malware_verdict v{.findings = {malware_finding{.member = "a.zip!b", .signature = "X.Test",
                                                 .source = "clamav", .type = "test"}},
                    .incomplete = ""};
  ASSERT_TRUE(db->put_malware_verdict("v1", sha, v));
  ASSERT_TRUE(db->put_malware_verdict("v2", sha, malware_verdict{.findings = {}, .incomplete = "over a limit"}));
  auto one = db->get_malware_verdict("v1", sha);
  ASSERT_TRUE(one && *one);
  ASSERT_EQ((*one)->findings.size(), 1u);
  EXPECT_EQ((*one)->findings[0].member, "a.zip!b");
  EXPECT_EQ((*one)->findings[0].signature, "X.Test");
  ASSERT_TRUE(db->keep_malware_verdicts_of("v2"));
  EXPECT_FALSE(*db->get_malware_verdict("v1", sha));
  auto two = db->get_malware_verdict("v2", sha);
  ASSERT_TRUE(two && *two);
  EXPECT_EQ((*two)->incomplete, "over a limit");
  ASSERT_TRUE(db->clear_malware_verdicts());
  EXPECT_FALSE(*db->get_malware_verdict("v2", sha));
}

TEST(results, advisory_text_is_read_from_the_stored_advisory) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  std::string rec = R"({"id":"DSA-1","modified":"2026-01-01T00:00:00Z","summary":"openssl fix",
    "details":"A bug.","references":[{"type":"WEB","url":"https://example.org/DSA-1"}],
    "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.2-1"}]}]}]})";
  ASSERT_TRUE(test::write_osv_zip(dir / "all.zip", {{"DSA-1.json", rec}}));
  ASSERT_TRUE(db->import_osv_zip(dir / "all.zip", "test"));
  auto r = result("lab/a@sha256:a", {pkg("Debian:12", "openssl", "3.0.1-1")});
  finding f;
  f.id = "DSA-1";
  f.ecosystem = "Debian:12";
  f.package = "openssl";
  f.title = "not stored";
  r.findings = {f};
  f.id = "GONE-1"; // no such record: the finding stays, without text
  r.findings.push_back(f);
  ASSERT_TRUE(db->put_result(r, image(r.image_key)));

  auto got = db->get_result(r.image_key);
  ASSERT_TRUE(got) << got.err().message;
  ASSERT_EQ(got->findings.size(), 2u);
  EXPECT_EQ(got->findings[0].title, "openssl fix");
  EXPECT_EQ(got->findings[0].description, "A bug.");
  EXPECT_EQ(got->findings[0].references, std::vector<std::string>{"https://example.org/DSA-1"});
  EXPECT_EQ(got->findings[1].title, "");
  auto compact = db->get_findings(r.image_key);
  ASSERT_TRUE(compact);
  EXPECT_EQ(compact->findings[0].title, ""); // never stored
}

TEST(results, results_of_the_old_layout_are_split_on_open) {
  temp_dir dir;
  // Layout 1, as an older regscan wrote it: findings inside the result, and
  // no layout mark.
  {
    auto db = std::move(*store::open(dir / "db"));
    ASSERT_TRUE(db->put_image(image("lab/a@sha256:a")));
  }
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options{}, dir / "db", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (auto& n : names)
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions{});
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions{}, dir / "db", cfs, &h, &raw).ok());
    auto handle = [&](std::string_view n) {
      return h[std::find(names.begin(), names.end(), n) - names.begin()];
    };
    std::string legacy = R"({"image_key":"lab/a@sha256:a","scanned_at":1000,"matched_at":1000,
      "inventory":{"os":{"id":"debian"},"packages":[{"ecosystem":"Debian:12","name":"openssl",
      "version":"3.0.1-1","source_name":"openssl","source_version":"3.0.1-1"}],"complete":true},
      "findings":[{"id":"DSA-1","package":"openssl","installed_version":"3.0.1-1",
      "severity":"High","title":"old text","first_seen":900}]})";
    ASSERT_TRUE(raw->Put({}, handle("results"), "lab/a@sha256:a", legacy).ok());
    ASSERT_TRUE(raw->Delete({}, handle("meta"), schema::meta_results_layout).ok());
    for (auto* x : h)
      raw->DestroyColumnFamilyHandle(x);
    delete raw;
  }
  auto db = std::move(*store::open(dir / "db"));
  auto f = db->get_findings("lab/a@sha256:a");
  ASSERT_TRUE(f) << f.err().message;
  ASSERT_EQ(f->findings.size(), 1u);
  EXPECT_EQ(f->findings[0].first_seen, 900);
  EXPECT_EQ(f->findings[0].severity, "High");
  EXPECT_EQ(indexed(*db, "Debian", "openssl").size(), 1u);
  auto r = db->get_result("lab/a@sha256:a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->inv.packages.size(), 1u);
}

// A sync, a scan and a re-match each change their own fields of one image
// record at the same time: none of their changes may be lost.
TEST(results, concurrent_image_updates_lose_nothing) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "db"));
  const std::string key = "lab/a@sha256:a";
  ASSERT_TRUE(db->put_image(image(key)));
  constexpr int rounds = 300;
  std::thread sync([&] {
    for (int i = 0; i < rounds; ++i)
      ASSERT_TRUE(db->update_image(key, [&](image_record& img, bool exists) {
        img.tags.push_back("t" + std::to_string(i));
        return exists;
      }));
  });
  std::thread scan([&] {
    for (int i = 0; i < rounds; ++i)
      ASSERT_TRUE(db->put_result(result(key, {}), [&](image_record& img) { img.vuln_count++; }));
  });
  std::thread rematch([&] {
    for (int i = 0; i < rounds; ++i)
      ASSERT_TRUE(db->update_image(key, [&](image_record& img, bool) {
        img.severity_counts["High"]++;
        return true;
      }));
  });
  sync.join();
  scan.join();
  rematch.join();
  auto img = db->get_image(key);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->tags.size(), static_cast<std::size_t>(rounds));
  EXPECT_EQ(img->vuln_count, rounds);
  EXPECT_EQ(img->severity_counts["High"], rounds);
  // No record: `change` sees a fresh one and decides.
  ASSERT_TRUE(db->update_image("lab/none@sha256:0", [](image_record&, bool exists) {
    return exists;
  }));
  EXPECT_FALSE(db->get_image("lab/none@sha256:0"));
  EXPECT_FALSE(db->put_result(result("lab/none@sha256:0", {}), [](image_record&) {}));
}

} // namespace
} // namespace regscan
