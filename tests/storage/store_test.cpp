#include "storage/store.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "storage/record_codec.hpp"
#include "storage/schema.hpp"
#include "test_util.hpp"

namespace regscan {
namespace {

using test::temp_dir;

std::unique_ptr<store> open_store(const std::string& dir) {
  auto s = store::open(dir);
  EXPECT_TRUE(s) << (s ? "" : s.err().message);
  return s ? std::move(*s) : nullptr;
}

registry_record make_registry(std::string name) {
  registry_record r;
  r.name = std::move(name);
  r.type = "harbor-v2";
  r.address = "https://harbor.example:8443";
  r.username = "robot$scanner";
  r.password_sealed = "c2VhbGVk";
  r.verify_tls = false;
  r.rate_limit = 500;
  r.created_at = 1732700000;
  return r;
}

image_record make_image(const std::string& registry, const std::string& repo,
                        const std::string& digest) {
  image_record i;
  i.key = schema::image_key(registry, repo, digest);
  i.registry = registry;
  i.repository = repo;
  i.tags = {"latest", "1.2.3"};
  i.digest = digest;
  i.index_digest = "sha256:index";
  i.image_id = "sha256:config";
  i.media_type = "application/vnd.oci.image.manifest.v1+json";
  i.os = "linux";
  i.architecture = "arm64";
  i.size = 5'000'000'000ULL; // above 2^32
  i.created = "2024-10-01T12:00:00Z";
  i.synced_at = 1732700001;
  i.scan_status = scan_status::scanned;
  i.last_scan = 1732700002;
  i.last_error = "layer \"sha256:x\" truncated\nretry";
  i.incomplete = true;
  i.severity_counts = {{"Critical", 1}, {"High", 7}, {"Low", 0}};
  i.vuln_count = 8;
  i.layers = {"sha256:l1", "sha256:l2"};
  i.config_json = R"({"architecture":"arm64","config":{"Env":["A=\"b\""]},  "os":"linux"})";
  return i;
}

scan_result make_result(const std::string& key) {
  scan_result r;
  r.image_key = key;
  r.scanned_at = 1732700003;
  r.inv.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  r.inv.packages.push_back({"Debian:12", "libexpat1", "2.5.0-1", "expat", "2.5.0-1",
                            "var/lib/dpkg/status", "sha256:l1", "", "", "", ""});
  r.inv.packages.push_back({"npm", "lodash", "4.17.20", "lodash", "4.17.20",
                            "app/node_modules/lodash/package.json", "sha256:l2", "", "", "", ""});
  r.inv.packages.push_back({"Red Hat", "nodejs", "1:18.18.2-2.module+el8.8.0+20484+7c5e2e3b",
                            "nodejs", "1:18.18.2-2.module+el8.8.0+20484+7c5e2e3b",
                            "var/lib/rpm/rpmdb.sqlite", "sha256:l1", "", "nodejs:18", "", ""});
  r.inv.complete = false;
  r.inv.notes = {"layer sha256:l3 too big", "bad file \x01 \\ \"q\""};
  finding f;
  f.id = "DEBIAN-bookworm-expat-2.5.0-1_deb12u5";
  f.aliases = {"CVE-2026-56132", "CVE-2026-77214"};
  f.ecosystem = "Debian:12";
  f.package = "libexpat1";
  f.source_package = "expat";
  f.installed_version = "2.5.0-1";
  f.fixed_version = "2.5.0-1+deb12u5";
  f.severity = "Medium";
  f.title = "expat security update";
  f.description = "Security update for expat — ünïcödé, tabs\tand newlines\n";
  f.references = {"https://security-tracker.debian.org/tracker/CVE-2026-56132"};
  f.fix_advice = "upgrade libexpat1 to 2.5.0-1+deb12u5";
  f.layer = "sha256:l1";
  r.findings.push_back(f);
  f.id = "GHSA-xxxx";
  f.aliases.clear();
  f.fixed_version.clear();
  r.findings.push_back(f);
  return r;
}

void expect_same(const registry_record& a, const registry_record& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.password_sealed, b.password_sealed);
  EXPECT_EQ(a.verify_tls, b.verify_tls);
  EXPECT_EQ(a.rate_limit, b.rate_limit);
  EXPECT_EQ(a.created_at, b.created_at);
}

void expect_same(const image_record& a, const image_record& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.registry, b.registry);
  EXPECT_EQ(a.repository, b.repository);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.index_digest, b.index_digest);
  EXPECT_EQ(a.image_id, b.image_id);
  EXPECT_EQ(a.media_type, b.media_type);
  EXPECT_EQ(a.os, b.os);
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.synced_at, b.synced_at);
  EXPECT_EQ(a.scan_status, b.scan_status);
  EXPECT_EQ(a.last_scan, b.last_scan);
  EXPECT_EQ(a.last_error, b.last_error);
  EXPECT_EQ(a.incomplete, b.incomplete);
  EXPECT_EQ(a.severity_counts, b.severity_counts);
  EXPECT_EQ(a.vuln_count, b.vuln_count);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.config_json, b.config_json);
}

void expect_same(const task_record& a, const task_record& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.image_key, b.image_key);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.registry, b.registry);
  EXPECT_EQ(a.interruptions, b.interruptions);
  EXPECT_EQ(a.waits_for, b.waits_for);
  EXPECT_EQ(a.not_before, b.not_before);
  EXPECT_EQ(a.error_code, b.error_code);
}

void expect_same(const scan_result& a, const scan_result& b) {
  EXPECT_EQ(a.image_key, b.image_key);
  EXPECT_EQ(a.scanned_at, b.scanned_at);
  EXPECT_EQ(a.inv.os.id, b.inv.os.id);
  EXPECT_EQ(a.inv.os.version_id, b.inv.os.version_id);
  EXPECT_EQ(a.inv.os.version_codename, b.inv.os.version_codename);
  EXPECT_EQ(a.inv.os.pretty_name, b.inv.os.pretty_name);
  EXPECT_EQ(a.inv.complete, b.inv.complete);
  EXPECT_EQ(a.inv.notes, b.inv.notes);
  ASSERT_EQ(a.inv.packages.size(), b.inv.packages.size());
  for (std::size_t i = 0; i < a.inv.packages.size(); ++i) {
    auto& p = a.inv.packages[i];
    auto& q = b.inv.packages[i];
    EXPECT_EQ(p.ecosystem, q.ecosystem);
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.version, q.version);
    EXPECT_EQ(p.source_name, q.source_name);
    EXPECT_EQ(p.source_version, q.source_version);
    EXPECT_EQ(p.file, q.file);
    EXPECT_EQ(p.layer, q.layer);
    EXPECT_EQ(p.module, q.module);
  }
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    auto& f = a.findings[i];
    auto& g = b.findings[i];
    EXPECT_EQ(f.id, g.id);
    EXPECT_EQ(f.aliases, g.aliases);
    EXPECT_EQ(f.package, g.package);
    EXPECT_EQ(f.source_package, g.source_package);
    EXPECT_EQ(f.installed_version, g.installed_version);
    EXPECT_EQ(f.fixed_version, g.fixed_version);
    EXPECT_EQ(f.severity, g.severity);
    EXPECT_EQ(f.ecosystem, g.ecosystem);
    // title, description and references come from the advisory record:
    // results_test.cpp checks them.
    EXPECT_EQ(f.fix_advice, g.fix_advice);
    EXPECT_EQ(f.layer, g.layer);
  }
}

TEST(store, registry_crud) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto a = make_registry("harbor-prod");
  auto b = make_registry("ghcr");
  b.type = "docker-v2";
  b.verify_tls = true;
  b.rate_limit = 0;
  ASSERT_TRUE(db->put_registry(a));
  ASSERT_TRUE(db->put_registry(b));

  auto got = db->get_registry("harbor-prod");
  ASSERT_TRUE(got) << got.err().message;
  expect_same(*got, a);

  auto missing = db->get_registry("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.err().message, "no registry named nope");

  auto list = db->list_registries();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "ghcr");
  EXPECT_EQ((*list)[1].name, "harbor-prod");

  a.address = "https://harbor2.example";
  ASSERT_TRUE(db->put_registry(a));
  EXPECT_EQ(db->get_registry("harbor-prod")->address, "https://harbor2.example");

  ASSERT_TRUE(db->delete_registry("ghcr"));
  EXPECT_FALSE(db->get_registry("ghcr"));
  EXPECT_EQ(db->list_registries()->size(), 1u);
  EXPECT_FALSE(db->delete_registry("ghcr"));

  registry_record unnamed;
  EXPECT_FALSE(db->put_registry(unnamed));
}

TEST(store, delete_registry_cascades_to_images_and_results) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->put_registry(make_registry("a")));
  ASSERT_TRUE(db->put_registry(make_registry("ab")));
  auto a1 = make_image("a", "lib/nginx", "sha256:1");
  auto a2 = make_image("a", "lib/redis", "sha256:2");
  auto ab = make_image("ab", "lib/nginx", "sha256:3"); // key starts with "a" too
  for (auto* i : {&a1, &a2, &ab})
    ASSERT_TRUE(db->put_image(*i));
  ASSERT_TRUE(db->put_result(make_result(a1.key), a1));
  ASSERT_TRUE(db->put_result(make_result(ab.key), ab));

  ASSERT_TRUE(db->delete_registry("a"));
  EXPECT_FALSE(db->get_image(a1.key));
  EXPECT_FALSE(db->get_image(a2.key));
  EXPECT_FALSE(db->get_result(a1.key));
  EXPECT_TRUE(db->get_image(ab.key));
  EXPECT_TRUE(db->get_result(ab.key));
  auto images = db->list_images();
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].key, ab.key);
}

TEST(store, image_round_trip_and_delete) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto img = make_image("harbor", "team/app", "sha256:abc");
  ASSERT_TRUE(db->put_image(img));
  auto got = db->get_image(img.key);
  ASSERT_TRUE(got) << got.err().message;
  expect_same(*got, img);

  image_record defaults;
  defaults.key = "r/x@sha256:d";
  ASSERT_TRUE(db->put_image(defaults));
  auto d = db->get_image(defaults.key);
  ASSERT_TRUE(d);
  expect_same(*d, defaults);
  EXPECT_EQ(d->scan_status, scan_status::unscanned);

  ASSERT_TRUE(db->put_result(make_result(img.key), img));
  ASSERT_TRUE(db->delete_image(img.key));
  auto gone = db->get_image(img.key);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.err().message, "no image " + img.key);
  EXPECT_FALSE(db->get_result(img.key));
  EXPECT_FALSE(db->put_image(image_record{}));
}

TEST(store, task_ids_and_round_trip) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  std::vector<task_record> tasks;
  for (int i = 0; i < 300; ++i) { // ids past 255 check the big-endian order
    auto id = db->next_task_id();
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, static_cast<uint64_t>(i + 1));
    task_record t;
    t.id = *id;
    t.image_key = "r/app@sha256:" + std::to_string(i);
    t.state = i % 2 ? task_state::failed : task_state::waiting;
    t.registry = "lab";
    t.interruptions = i;
    t.waits_for = wait_reason::backoff;
    t.not_before = 1700000000 + i;
    t.error_code = "transport";
    t.attempts = i % 4;
    t.created_at = 1000 + i;
    t.updated_at = 2000 + i;
    t.error = i % 2 ? "pull failed: 429" : "";
    ASSERT_TRUE(db->put_task(t));
    tasks.push_back(t);
  }
  auto got = db->get_task(257);
  ASSERT_TRUE(got);
  expect_same(*got, tasks[256]);
  auto missing = db->get_task(9999);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.err().message, "no task 9999");

  auto list = db->list_tasks();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    expect_same((*list)[i], tasks[i]);
}

TEST(store, task_ids_are_unique_across_threads) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        if (auto id = db->next_task_id())
          got[t].push_back(*id);
    });
  for (auto& t : threads)
    t.join();
  std::vector<uint64_t> all;
  for (auto& g : got)
    all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.back(), 1000u);
}

TEST(store, result_round_trip_updates_image_in_same_write) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto img = make_image("harbor", "team/app", "sha256:abc");
  img.scan_status = scan_status::scanning;
  ASSERT_TRUE(db->put_image(img));
  auto res = make_result(img.key);
  img.scan_status = scan_status::scanned;
  img.vuln_count = 2;
  ASSERT_TRUE(db->put_result(res, img));
  auto got = db->get_result(img.key);
  ASSERT_TRUE(got) << got.err().message;
  expect_same(*got, res);
  EXPECT_EQ(db->get_image(img.key)->scan_status, scan_status::scanned);

  auto missing = db->get_result("r/none@sha256:0");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.err().message, "no scan result for image r/none@sha256:0");

  auto other = make_image("harbor", "team/other", "sha256:def");
  EXPECT_FALSE(db->put_result(res, other)); // result and image must match
}

TEST(store, invalid_utf8_is_stored_readably) {
  temp_dir dir;
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  auto img = make_image("r", "app", "sha256:1");
  auto res = make_result(img.key);
  res.inv.packages[0].file = "opt/\xff\xfe" "bin";
  ASSERT_TRUE(db->put_result(res, img));
  auto got = db->get_result(img.key);
  ASSERT_TRUE(got) << got.err().message;
  EXPECT_EQ(got->inv.packages[0].file, "opt/\xEF\xBF\xBD\xEF\xBF\xBD" "bin");
  EXPECT_EQ(codec::utf8_safe("ok ünï"), "ok ünï");
  EXPECT_EQ(codec::utf8_safe("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong
}

TEST(store, everything_survives_reopen) {
  temp_dir dir;
  auto reg = make_registry("harbor");
  auto img = make_image("harbor", "team/app", "sha256:abc");
  auto res = make_result(img.key);
  task_record task;
  {
    auto db = open_store(dir.path());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->put_registry(reg));
    ASSERT_TRUE(db->put_image(img));
    ASSERT_TRUE(db->put_result(res, img));
    task.id = *db->next_task_id();
    task.image_key = img.key;
    task.state = task_state::running;
    ASSERT_TRUE(db->put_task(task));
  }
  auto db = open_store(dir.path());
  ASSERT_TRUE(db);
  expect_same(*db->get_registry("harbor"), reg);
  expect_same(*db->get_image(img.key), img);
  expect_same(*db->get_result(img.key), res);
  expect_same(*db->get_task(task.id), task);
  auto next = db->next_task_id();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, task.id + 1); // the sequence survives too
}

TEST(store, second_open_of_the_same_directory_is_refused) {
  temp_dir dir;
  auto first = open_store(dir.path());
  ASSERT_TRUE(first);
  auto second = store::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.err().message, "database " + dir.path() + " is in use by another process");
}

// Run by the test below in a child process: opens the database named in
// REGSCAN_TEST_DB and writes the error message to REGSCAN_TEST_OUT.
TEST(store, DISABLED_open_from_other_process) {
  const char* db_dir = std::getenv("REGSCAN_TEST_DB");
  const char* out = std::getenv("REGSCAN_TEST_OUT");
  ASSERT_TRUE(db_dir && out);
  auto s = store::open(db_dir);
  std::ofstream{out} << (s ? std::string{"opened"} : s.err().message);
}

TEST(store, open_is_refused_while_another_process_holds_the_database) {
  temp_dir dir;
  auto db = open_store(dir / "db");
  ASSERT_TRUE(db);
  auto out = dir / "child.out";
  std::string env_db = "REGSCAN_TEST_DB=" + dir / "db";
  std::string env_out = "REGSCAN_TEST_OUT=" + out;
  std::string self = "/proc/self/exe";
  std::string filter = "--gtest_filter=store.DISABLED_open_from_other_process";
  std::string disabled = "--gtest_also_run_disabled_tests";
  char* argv[] = {self.data(), filter.data(), disabled.data(), nullptr};
  char* envp[] = {env_db.data(), env_out.data(), nullptr};
  posix_spawn_file_actions_t quiet; // the child's gtest chatter is noise here
  ::posix_spawn_file_actions_init(&quiet);
  ::posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, self.c_str(), &quiet, nullptr, argv, envp);
  ::posix_spawn_file_actions_destroy(&quiet);
  ASSERT_EQ(spawned, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::stringstream text;
  text << std::ifstream{out}.rdbuf();
  EXPECT_EQ(text.str(), "database " + dir / "db" + " is in use by another process");
}

TEST(store, open_creates_missing_directories) {
  temp_dir dir;
  auto db = open_store(dir / "a/b/db");
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->list_images());
  EXPECT_TRUE(db->db_status()->empty());
}

} // namespace
} // namespace regscan
