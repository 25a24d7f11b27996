// `db update` against a local HTTP mirror serving the real osv.dev-style
// exports, and `db import` of a folder.
#include "daemon/vulndb_update.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "../connectors/test_http_server.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;

namespace {

const std::string osv_dir = std::string{REGSCAN_SHARED_DIR} + "/data/osv";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Serves <osv_dir>/<Ecosystem>/all.zip under /osv/<Ecosystem>/all.zip.
test::reply serve_osv(const test::request& req) {
  std::string target{req.target()};
  for (auto eco : {"Debian", "npm"})
    if (target == std::string{"/osv/"} + eco + "/all.zip")
      return {200, {{"Content-Type", "application/zip"}}, slurp(osv_dir + "/" + eco + "/all.zip")};
  return {404, {}, "no such object"};
}

TEST(osv_mirror, archive_urls_follow_osv_dev) {
  EXPECT_EQ(osv_archive_url(default_osv_mirror, "Debian"),
            "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip");
  EXPECT_EQ(osv_archive_url("http://m/osv/", "Red Hat"), "http://m/osv/Red%20Hat/all.zip");
  EXPECT_EQ(osv_archive_url("http://m", "crates.io"), "http://m/crates.io/all.zip");
  auto status_of = [](const char* eco) {
    ecosystem_status s;
    s.ecosystem = eco;
    return s;
  };
  EXPECT_EQ(export_names({status_of("Debian:11"), status_of("Debian:12"), status_of("npm")}),
            (std::vector<std::string>{"Debian", "npm"}));
}

TEST(osv_mirror, update_downloads_then_imports_incrementally) {
  test::temp_dir dir;
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db) << db.err().message;
  test::test_http_server mirror{serve_osv};
  auto base = mirror.url() + "/osv";

  auto first = update_ecosystem(**db, base, "Debian", dir / "tmp");
  ASSERT_TRUE(first) << first.err().message;
  EXPECT_GT(first->written, 700u);
  EXPECT_TRUE(first->errors.empty());
  auto npm = update_ecosystem(**db, base, "npm", dir / "tmp");
  ASSERT_TRUE(npm) << npm.err().message;
  EXPECT_GT(npm->written, 400u);

  // The same export again: nothing written, nothing removed, no re-match needed.
  auto second = update_ecosystem(**db, base, "Debian", dir / "tmp");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->written, 0u);
  EXPECT_EQ(second->unchanged, first->written);
  EXPECT_EQ(second->removed, 0u);
  EXPECT_TRUE(second->changed_packages.empty());
  EXPECT_EQ(mirror.count("/osv/Debian/all.zip"), 2u);

  auto status = (*db)->db_status();
  ASSERT_TRUE(status);
  EXPECT_EQ(export_names(*status), (std::vector<std::string>{"Debian", "npm"}));
  for (auto& s : *status)
    if (s.ecosystem == "npm") {
      EXPECT_EQ(s.source, base + "/npm/all.zip");
    }

  // Nothing is left in the temporary folder, also after a failure.
  auto missing = update_ecosystem(**db, base, "PyPI", dir / "tmp");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("HTTP 404"), std::string::npos) << missing.err().message;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
  EXPECT_FALSE(update_ecosystem(**db, base, "../etc", dir / "tmp"));
}

TEST(osv_mirror, an_unreachable_mirror_is_an_error) {
  test::temp_dir dir;
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db);
  http_options opts;
  opts.timeout = std::chrono::seconds{5};
  auto r = update_ecosystem(**db, "http://127.0.0.1:1", "Debian", dir / "tmp", opts);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("127.0.0.1:1/Debian/all.zip"), std::string::npos)
    << r.err().message;
}

TEST(osv_mirror, import_of_a_folder_takes_every_all_zip_below_it) {
  test::temp_dir dir;
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db);
  for (auto eco : {"Go", "npm"}) {
    std::filesystem::create_directories(dir / ("mirror/" + std::string{eco}));
    std::filesystem::copy_file(osv_dir + "/" + eco + "/all.zip",
                               dir / ("mirror/" + std::string{eco} + "/all.zip"));
  }
  std::ofstream(dir / "mirror/README.md") << "not an archive\n";
  auto r = import_osv_path(**db, dir / "mirror");
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_TRUE(r->errors.empty());
  EXPECT_GT(r->per_ecosystem["Go"], 4000u);
  EXPECT_GT(r->per_ecosystem["npm"], 400u);
  EXPECT_EQ(r->written, r->read - r->withdrawn);
  auto one = import_osv_path(**db, osv_dir + "/npm/all.zip");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->written, 0u);
  std::filesystem::create_directories(dir / "empty");
  auto none = import_osv_path(**db, dir / "empty");
  ASSERT_FALSE(none);
  EXPECT_NE(none.err().message.find("no <Ecosystem>/all.zip"), std::string::npos);
}

// A mirror whose certificate does not verify is refused: no insecure mode.
TEST(osv_mirror, tls_is_verified) {
  test::temp_dir dir;
  auto key = dir / "key.pem", cert = dir / "cert.pem";
  auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "
             + key + " -out " + cert
             + " -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    GTEST_SKIP() << "openssl CLI not available to make a test certificate";
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  tls->use_certificate_chain_file(cert);
  tls->use_private_key_file(key, boost::asio::ssl::context::pem);
  test::test_http_server mirror{serve_osv, tls};
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db);
  auto r = update_ecosystem(**db, mirror.url() + "/osv", "npm", dir / "tmp");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("certificate"), std::string::npos) << r.err().message;
  EXPECT_TRUE((*db)->db_status()->empty());
}

} // namespace

// A mirror must not fill the disk or hold an update forever: both are capped,
// and nothing of an archive over a cap is imported or left behind.
TEST(osv_mirror, downloads_are_capped_in_size_and_time) {
  test::temp_dir dir;
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db) << db.err().message;
  test::test_http_server mirror{[](const test::request& req) {
    if (std::string{req.target()} == "/slow/Debian/all.zip") {
      test::reply r{200, {}, std::string(4000, 'x')};
      r.trickle = std::chrono::milliseconds{5}; // 20 s in all, a byte at a time
      return r;
    }
    return serve_osv(req);
  }};
  download_limits small;
  small.max_bytes = 100 * 1024; // Debian's all.zip is about 600 KiB
  auto big = update_ecosystem(**db, mirror.url() + "/osv", "Debian", dir / "tmp", {}, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.err().code, errc::limit) << big.err().message;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
  EXPECT_TRUE((*db)->db_status()->empty());

  download_limits quick;
  quick.max_time = std::chrono::seconds{1};
  auto started = std::chrono::steady_clock::now();
  auto slow = update_ecosystem(**db, mirror.url() + "/slow", "Debian", dir / "tmp", {}, quick);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.err().code, errc::limit) << slow.err().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{10});
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));

  // Within the caps it works.
  auto ok = update_ecosystem(**db, mirror.url() + "/osv", "Debian", dir / "tmp", {},
                             download_limits{});
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_GT(ok->written, 700u);
}

TEST(osv_mirror, only_the_configured_or_allowed_mirrors_and_https_unless_allowed) {
  daemon_config cfg;
  cfg.osv_mirror = "https://osv.example.org/";
  cfg.osv_allowed_mirrors = {"https://mirror.example.org/osv", "http://plain.example.org"};
  EXPECT_EQ(*choose_mirror(cfg, ""), "https://osv.example.org");
  EXPECT_EQ(*choose_mirror(cfg, "https://osv.example.org"), "https://osv.example.org");
  EXPECT_EQ(*choose_mirror(cfg, "https://mirror.example.org/osv/"),
            "https://mirror.example.org/osv");
  auto other = choose_mirror(cfg, "https://evil.example.com");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.err().code, errc::forbidden);
  auto plain = choose_mirror(cfg, "http://plain.example.org");
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.err().code, errc::forbidden);
  cfg.osv_allow_http = true;
  EXPECT_TRUE(choose_mirror(cfg, "http://plain.example.org"));

  // The configuration itself: https unless allow_http.
  daemon_config conf;
  conf.osv_mirror = "http://osv.internal";
  EXPECT_NE(conf.validate().find("allow_http"), std::string::npos);
  conf.osv_allow_http = true;
  EXPECT_EQ(conf.validate(), "");
  conf.osv_allow_http = false;
  conf.osv_mirror = "https://osv.internal";
  conf.osv_allowed_mirrors = {"http://other.internal"};
  EXPECT_NE(conf.validate().find("allowed_mirrors"), std::string::npos);
}
