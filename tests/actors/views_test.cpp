// The API's JSON views and the store's encoding of the same records, byte for
// byte: both walk one field list per record (fields() beside each struct), and
// these pin the names and order that regscanctl and the e2e tests read.
#include <gtest/gtest.h>

#include "daemon/front/views.hpp"
#include "storage/record_codec.hpp"

using namespace regscan;

namespace {

registry_record sample_registry() {
  registry_record r;
  r.name = "hub";
  r.type = "harbor-v2";
  r.address = "https://h.example";
  r.username = "u";
  r.password_sealed = "SEALED-PW";
  r.verify_tls = false;
  r.rate_limit = 60;
  r.created_at = 1700000000;
  r.version = "V2";
  r.region = "default";
  r.instance_id = "tcr-1";
  r.api_endpoint = "https://api.example";
  r.secret_id = "AKID";
  r.secret_key_sealed = "SEALED-SK";
  r.repositories = {"a/b", "c"};
  return r;
}

image_record sample_image() {
  image_record i;
  i.key = "hub/a/b@sha256:m";
  i.registry = "hub";
  i.repository = "a/b";
  i.tags = {"1", "latest"};
  i.digest = "sha256:m";
  i.index_digest = "sha256:i";
  i.image_id = "sha256:c";
  i.media_type = "mt";
  i.os = "linux";
  i.architecture = "amd64";
  i.size = 1234;
  i.created = "2024-01-01";
  i.pushed = "2024-01-02";
  i.index_media_type = "imt";
  i.synced_at = 5;
  i.scan_status = scan_status::scanned;
  i.last_scan = 6;
  i.last_error = "e";
  i.incomplete = true;
  i.severity_counts = {{"High", 2}, {"Low", 1}};
  i.vuln_count = 3;
  i.layers = {"sha256:l1"};
  i.config_json = "{\"x\":1}";
  return i;
}

task_record sample_task() {
  task_record t;
  t.id = 7;
  t.image_key = "hub/a/b@sha256:m";
  t.registry = "hub";
  t.state = task_state::waiting;
  t.attempts = 2;
  t.interruptions = 1;
  t.created_at = 10;
  t.updated_at = 11;
  t.waits_for = wait_reason::backoff;
  t.not_before = 12;
  t.error = "boom";
  t.error_code = "transport";
  return t;
}

package sample_package() {
  return {"Rocky Linux:9", "nodejs", "1:18.1", "nodejs-src", "18.1", "var/lib/rpm/rpmdb.sqlite",
          "sha256:l1", "", "nodejs:18", "", ""};
}

finding sample_finding() {
  finding f;
  f.id = "RLSA-1";
  f.aliases = {"CVE-1", "CVE-2"};
  f.ecosystem = "Rocky Linux:9";
  f.package = "nodejs";
  f.source_package = "nodejs-src";
  f.installed_version = "1:18.1";
  f.fixed_version = "1:18.2";
  f.severity = "High";
  f.title = "t";
  f.description = "d";
  f.references = {"https://r"};
  f.fix_advice = "upgrade";
  f.layer = "sha256:l1";
  f.first_seen = 99;
  return f;
}

template <class Write>
std::string json(Write write) {
  json_writer w;
  write(w);
  return w.take();
}

} // namespace

TEST(views, registry) {
  std::vector<std::string> dropped{"password"};
  EXPECT_EQ(json([&](json_writer& w) { write_registry(w, sample_registry(), &dropped); }),
            R"({"name":"hub","type":"harbor-v2","address":"https://h.example","username":"u","password_set":true,"verify_tls":false,"rate_limit":60,"created_at":1700000000,"version":"V2","network_type":"public","region":"default","instance_id":"tcr-1","api_endpoint":"https://api.example","secret_id":"AKID","secret_key_set":true,"repositories":["a/b","c"],"projects":[],"include_proxy_cache":false,"secret_token_set":false,"credentials_dropped":["password"]})");
}

TEST(views, image) {
  EXPECT_EQ(json([&](json_writer& w) { write_image(w, sample_image(), "harbor-v2", "https://h.example", 4); }),
            R"({"key":"hub/a/b@sha256:m","registry":"hub","registry_type":"harbor-v2","registry_address":"https://h.example","repository":"a/b","tags":["1","latest"],"digest":"sha256:m","index_digest":"sha256:i","index_media_type":"imt","image_id":"sha256:c","media_type":"mt","artifact_type":"","sync_error":"","os":"linux","architecture":"amd64","size":1234,"created":"2024-01-01","pushed":"2024-01-02","synced_at":5,"scan_status":"scanned","last_scan":6,"last_error":"e","last_error_code":"","incomplete":true,"vulnerabilities":3,"severity_counts":{"High":2,"Low":1},"secrets":-1,"secrets_incomplete":false,"secret_counts":{},"authorized":true,"malware":-1,"malware_incomplete":false,"malware_counts":{},"new_findings":4})");
}

TEST(views, task) {
  EXPECT_EQ(json([&](json_writer& w) { write_task(w, sample_task()); }), R"({"id":7,"image":"hub/a/b@sha256:m","registry":"hub","state":"waiting","attempts":2,"interruptions":1,"created_at":10,"updated_at":11,"waits_for":"backoff","not_before":12,"error":"boom","error_code":"transport","categories":[],"shares_with":[],"layers_done":0,"layers_total":0})");
}

// Where a task ran: shown and stored once it has run; a record without it
// (it never ran, or was stored before workers) keeps its bytes and reads back "".
TEST(views, task_names_where_it_runs) {
  auto t = sample_task();
  t.runs_on = "worker 3 (build-7)";
  auto shown = json([&](json_writer& w) { write_task(w, t); });
  EXPECT_NE(shown.find(R"j("layers_total":0,"runs_on":"worker 3 (build-7)"})j"), std::string::npos) << shown;
  auto back = codec::decode_task(codec::encode(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->runs_on, "worker 3 (build-7)");
  auto old = codec::decode_task(codec::encode(sample_task()));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->runs_on, "");
}

TEST(views, package_shows_its_module) {
  EXPECT_EQ(json([&](json_writer& w) { write_package(w, sample_package(), "RUN x"); }),
            R"({"ecosystem":"Rocky Linux:9","name":"nodejs","version":"1:18.1","source_name":"nodejs-src","source_version":"18.1","file":"var/lib/rpm/rpmdb.sqlite","layer":"sha256:l1","owner":"","module":"nodejs:18","step":"RUN x"})");
}

// A package not from its registry shows its kind and source; one from the
// registry shows neither (nor stores them).
TEST(views, package_shows_its_kind_and_source) {
  package p{"npm", "gitpkg", "1.2.0", "gitpkg", "1.2.0", "app/package-lock.json", "sha256:l1", "", "",
            "git", "git+https://example.org/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a"};
  EXPECT_EQ(json([&](json_writer& w) { write_package(w, p); }),
            R"({"ecosystem":"npm","name":"gitpkg","version":"1.2.0","source_name":"gitpkg","source_version":"1.2.0","file":"app/package-lock.json","layer":"sha256:l1","owner":"","kind":"git","source_url":"git+https://example.org/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a","step":""})");
  auto back = codec::decode_packages(codec::encode_packages({&p}));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].kind, "git");
  EXPECT_EQ((*back)[0].source_url, p.source_url);
}

TEST(views, finding) {
  EXPECT_EQ(json([&](json_writer& w) { write_finding(w, sample_finding()); }), R"({"id":"RLSA-1","aliases":["CVE-1","CVE-2"],"ecosystem":"Rocky Linux:9","package":"nodejs","source_package":"nodejs-src","installed_version":"1:18.1","fixed_version":"1:18.2","severity":"High","title":"t","description":"d","references":["https://r"],"fix_advice":"upgrade","layer":"sha256:l1","first_seen":99})");
}

// The stored bytes did not change when the codec came to walk the field lists
// (but for the key order of image records).
TEST(views, stored_records_keep_their_bytes) {
  EXPECT_EQ(codec::encode(sample_registry()), R"({"name":"hub","type":"harbor-v2","address":"https://h.example","username":"u","password_sealed":"SEALED-PW","verify_tls":false,"rate_limit":60,"created_at":1700000000,"version":"V2","network_type":"public","region":"default","instance_id":"tcr-1","api_endpoint":"https://api.example","secret_id":"AKID","secret_key_sealed":"SEALED-SK","repositories":["a/b","c"],"projects":[],"include_proxy_cache":false,"secret_token_sealed":""})");
  // Image records list their fields in the API's order: a record written
  // before (another key order) reads back the same.
  auto old = codec::decode_image(R"({"key":"hub/a/b@sha256:m","registry":"hub","repository":"a/b","tags":["1","latest"],"digest":"sha256:m","index_digest":"sha256:i","image_id":"sha256:c","media_type":"mt","os":"linux","architecture":"amd64","size":1234,"created":"2024-01-01","pushed":"2024-01-02","index_media_type":"imt","synced_at":5,"scan_status":"scanned","last_scan":6,"last_error":"e","incomplete":true,"severity_counts":{"High":2,"Low":1},"vuln_count":3,"layers":["sha256:l1"],"config_json":"{\"x\":1}"})");
  ASSERT_TRUE(old);
  EXPECT_EQ(codec::encode(*old), codec::encode(sample_image()));
  EXPECT_EQ(codec::encode(sample_image()), R"({"key":"hub/a/b@sha256:m","registry":"hub","repository":"a/b","tags":["1","latest"],"digest":"sha256:m","index_digest":"sha256:i","index_media_type":"imt","image_id":"sha256:c","media_type":"mt","artifact_type":"","sync_error":"","os":"linux","architecture":"amd64","size":1234,"created":"2024-01-01","pushed":"2024-01-02","synced_at":5,"scan_status":"scanned","last_scan":6,"last_error":"e","last_error_code":"","incomplete":true,"vuln_count":3,"severity_counts":{"High":2,"Low":1},"secret_count":-1,"secrets_incomplete":false,"secret_counts":{},"authorized":true,"malware_count":-1,"malware_incomplete":false,"malware_counts":{},"layers":["sha256:l1"],"config_json":"{\"x\":1}"})");
  EXPECT_EQ(codec::encode(sample_task()), R"({"id":7,"image_key":"hub/a/b@sha256:m","registry":"hub","state":"waiting","attempts":2,"interruptions":1,"created_at":10,"updated_at":11,"waits_for":"backoff","not_before":12,"error":"boom","error_code":"transport","categories":[],"shares_with":[],"layers_done":0,"layers_total":0})");
  findings_record fr{"k", {sample_finding()}, 1, 2, 3};
  EXPECT_EQ(codec::encode(fr), R"({"image_key":"k","scanned_at":1,"matched_at":2,"result_seq":3,"findings":[{"id":"RLSA-1","aliases":["CVE-1","CVE-2"],"ecosystem":"Rocky Linux:9","package":"nodejs","source_package":"nodejs-src","installed_version":"1:18.1","fixed_version":"1:18.2","severity":"High","fix_advice":"upgrade","layer":"sha256:l1","first_seen":99}]})");
  auto p = sample_package();
  EXPECT_EQ(codec::encode_packages({&p}), R"({"packages":[{"ecosystem":"Rocky Linux:9","name":"nodejs","version":"1:18.1","source_name":"nodejs-src","source_version":"18.1","file":"var/lib/rpm/rpmdb.sqlite","layer":"sha256:l1","owner":"","module":"nodejs:18"}]})");
}
