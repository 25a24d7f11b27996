// The console's use-cases without a daemon: the image list's filter grammar,
// search, sort, pages, columns and CSV; the overview's counts; a failed
// scan's advice; the details page's filters and risk summary; report files
// checked against the published JSON schemas (tests/schemas).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "daemon/front/reports.hpp"
#include "daemon/image_details.hpp"
#include "daemon/image_query.hpp"

using namespace regscan;

namespace {

image_row row(std::string registry, std::string repo, std::string tag, scan_status status,
              std::map<std::string, int> severities = {}, int secrets = -1) {
  image_row r;
  auto& i = r.image;
  i.registry = std::move(registry);
  i.repository = std::move(repo);
  i.tags = {std::move(tag)};
  i.digest = "sha256:";
  for (unsigned char c : i.repository)
    i.digest += "0123456789abcdef"[c >> 4], i.digest += "0123456789abcdef"[c & 15];
  i.digest.resize(71, '0');
  i.key = i.registry + "/" + i.repository + "@" + i.digest;
  i.image_id = "sha256:c0ffee" + i.repository;
  i.os = "linux";
  i.architecture = "amd64";
  i.scan_status = status;
  i.size = 1000 + i.repository.size();
  if (status == scan_status::scanned) {
    i.last_scan = 1700000000;
    i.severity_counts = severities;
    for (auto& [s, n] : severities)
      i.vuln_count += n;
    i.secret_count = secrets;
  }
  r.registry_type = i.registry == "harbor1" ? "harbor-v2" : "docker-v2";
  return r;
}

std::vector<image_row> sample() {
  return {
    row("lab", "team/api", "1", scan_status::scanned, {{"Critical", 1}, {"Low", 2}}, 0),
    row("lab", "team/web", "2", scan_status::scanned, {}, 3),
    row("lab", "team/clean", "3", scan_status::scanned, {}, 0),
    row("harbor1", "base/debian", "12", scan_status::scanned, {{"High", 4}, {"Medium", 1}}, -1),
    row("harbor1", "base/alpine", "3.19", scan_status::unscanned),
    row("harbor1", "base/broken", "x", scan_status::failed),
  };
}

std::vector<std::string> names(const std::vector<image_row>& rows) {
  std::vector<std::string> out;
  for (auto& r : rows)
    out.push_back(r.image.repository);
  return out;
}

std::vector<std::string> query(std::string_view filter, std::string_view search = {}) {
  image_query q;
  auto f = parse_image_filter(filter);
  EXPECT_TRUE(f) << (f ? "" : f.err().message);
  if (f)
    q.filter = *f;
  q.search = search;
  q.sort = "repository";
  return names(run_query(q, sample()).rows);
}

} // namespace

TEST(image_query, filter_grammar) {
  auto f = parse_image_filter(" status = scanned|failed , severity>=High,has!=secrets ");
  ASSERT_TRUE(f) << f.err().message;
  ASSERT_EQ(f->all.size(), 3u);
  EXPECT_EQ(f->all[0].field, "status");
  EXPECT_EQ(f->all[0].op, "=");
  EXPECT_EQ(f->all[0].values, (std::vector<std::string>{"scanned", "failed"}));
  EXPECT_EQ(f->all[1].op, ">=");
  EXPECT_EQ(f->all[1].values, (std::vector<std::string>{"high"}));
  EXPECT_EQ(f->all[2].op, "!=");
  EXPECT_TRUE(parse_image_filter("")->all.empty());
  for (auto bad : {"status", "colour=red", "status=done", "status>=scanned", "severity=awful",
                   "has=viruses", "status=", "=scanned", "registry=a||b", "security=maybe"}) {
    auto e = parse_image_filter(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.err().code, errc::invalid) << bad;
  }
  EXPECT_NE(parse_image_filter("colour=red").err().message.find("unknown field 'colour'"), std::string::npos);
}

TEST(image_query, filters) {
  using v = std::vector<std::string>;
  EXPECT_EQ(query("status=scanned"), (v{"base/debian", "team/api", "team/clean", "team/web"}));
  EXPECT_EQ(query("status=unscanned|failed"), (v{"base/alpine", "base/broken"}));
  EXPECT_EQ(query("status!=scanned"), (v{"base/alpine", "base/broken"}));
  EXPECT_EQ(query("security=risky"), (v{"base/debian", "team/api", "team/web"}));
  EXPECT_EQ(query("security=safe"), (v{"team/clean"}));
  EXPECT_EQ(query("security=unknown"), (v{"base/alpine", "base/broken"}));
  EXPECT_EQ(query("severity>=high"), (v{"base/debian", "team/api"}));
  EXPECT_EQ(query("severity=critical"), (v{"team/api"}));
  EXPECT_EQ(query("severity=medium|low"), (v{"base/debian", "team/api"}));
  EXPECT_EQ(query("severity<medium"), (v{"team/api"}));
  EXPECT_EQ(query("has=secrets"), (v{"team/web"}));
  EXPECT_EQ(query("has=secrets|vulnerabilities"), (v{"base/debian", "team/api", "team/web"}));
  EXPECT_EQ(query("has=malware"), v{});
  EXPECT_EQ(query("registry=HARBOR1,status=scanned"), (v{"base/debian"}));
  EXPECT_EQ(query("registry_type=docker-v2,has!=risk"), (v{"team/clean"}));
  EXPECT_EQ(query("authorization=unauthorized"), v{});
  EXPECT_EQ(query("authorization=authorized").size(), 6u);
  EXPECT_EQ(query("repository=team/api|base/alpine"), (v{"base/alpine", "team/api"}));
}

TEST(image_query, search) {
  using v = std::vector<std::string>;
  EXPECT_EQ(query("", "TEAM/"), (v{"team/api", "team/clean", "team/web"}));
  EXPECT_EQ(query("", ":3.19"), (v{"base/alpine"}));
  auto rows = sample();
  EXPECT_EQ(query("", rows[1].image.digest.substr(7, 16)), (v{"team/web"}));
  EXPECT_EQ(query("", "c0ffeebase/deb"), (v{"base/debian"}));
  EXPECT_EQ(query("status=scanned", "base"), (v{"base/debian"}));
  EXPECT_TRUE(query("", "nothing-like-it").empty());
}

TEST(image_query, sort_and_pages) {
  image_query q;
  ASSERT_TRUE(parse_sort("vulnerabilities:desc", q));
  EXPECT_TRUE(q.descending);
  auto all = run_query(q, sample());
  EXPECT_EQ(all.total, 6u);
  ASSERT_EQ(all.rows.size(), 6u);
  EXPECT_EQ(all.rows[0].image.repository, "base/debian"); // 5
  EXPECT_EQ(all.rows[1].image.repository, "team/api");    // 3
  // Ties (0 vulnerabilities) go by key, whatever the direction.
  EXPECT_LT(all.rows[2].image.key, all.rows[3].image.key);
  ASSERT_TRUE(parse_sort("size", q));
  EXPECT_FALSE(q.descending);
  auto by_size = run_query(q, sample());
  for (size_t i = 1; i < by_size.rows.size(); ++i)
    EXPECT_LE(by_size.rows[i - 1].image.size, by_size.rows[i].image.size);
  EXPECT_FALSE(parse_sort("colour", q));
  EXPECT_FALSE(parse_sort("name:sideways", q));

  ASSERT_TRUE(parse_sort("name", q));
  q.page_size = 4;
  q.page = 2;
  auto page2 = run_query(q, sample());
  EXPECT_EQ(page2.total, 6u);
  EXPECT_EQ(page2.pages, 2u);
  ASSERT_EQ(page2.rows.size(), 2u);
  EXPECT_EQ(page2.rows[0].image.repository, "team/clean");
  q.page = 9;
  EXPECT_TRUE(run_query(q, sample()).rows.empty());
  q.page = 1;
  q.registries = {"lab"};
  auto lab = run_query(q, sample());
  EXPECT_EQ(lab.total, 3u);
}

TEST(image_query, columns) {
  auto cols = parse_columns("name, Digest,vulnerabilities,secrets,malware,advice");
  ASSERT_TRUE(cols) << cols.err().message;
  EXPECT_EQ(cols->size(), 6u);
  EXPECT_FALSE(parse_columns("name,colour"));
  EXPECT_FALSE(parse_columns(""));
  for (auto& c : default_image_columns())
    EXPECT_TRUE(parse_columns(c)) << c;
  auto rows = sample();
  EXPECT_EQ(column_value(rows[0], "name").text, "lab/team/api:1");
  EXPECT_EQ(column_value(rows[0], "vulnerabilities").number, 3);
  EXPECT_EQ(column_value(rows[0], "risk").text, "C:1 L:2");
  EXPECT_EQ(column_value(rows[2], "risk").text, "none");
  EXPECT_EQ(column_value(rows[4], "risk").text, "-");
  EXPECT_EQ(column_value(rows[3], "secrets").text, "-"); // not looked for
  EXPECT_EQ(column_value(rows[1], "risks").text, "secrets");
  EXPECT_EQ(column_value(rows[0], "last_scan").text, "2023-11-14T22:13:20Z");
  EXPECT_EQ(column_value(rows[0], "platform").text, "linux/amd64");
  EXPECT_EQ(column_header("last_scan"), "LAST SCAN");
}

TEST(image_query, csv_is_rfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_field(" padded"), "\" padded\"");
  EXPECT_EQ(csv_field(""), "");
  auto rows = sample();
  rows[0].image.tags = {"1,\"odd\""};
  auto csv = to_csv({"name", "vulnerabilities", "secrets"}, {rows[0], rows[3]});
  EXPECT_EQ(csv, "name,vulnerabilities,secrets\r\n"
                 "\"lab/team/api:1,\"\"odd\"\"\",3,0\r\n"
                 "harbor1/base/debian:12,5,\r\n");
}

TEST(image_query, overview_counts_are_sums_of_the_list) {
  std::vector<registry_record> regs(3);
  regs[0].name = "lab";
  regs[1].name = "harbor1";
  regs[2].name = "empty";
  auto rows = sample();
  rows[0].image.synced_at = 50;
  rows[1].image.synced_at = 70;
  auto o = summarize(rows, regs);
  EXPECT_EQ(o.images, 6u);
  EXPECT_EQ(o.at_risk, 3u);
  EXPECT_EQ(o.by_status["scanned"], 4u);
  EXPECT_EQ(o.by_status["unscanned"], 1u);
  EXPECT_EQ(o.by_status["failed"], 1u);
  EXPECT_EQ(o.by_status["scanning"], 0u);
  EXPECT_EQ(o.by_security["unknown"], 2u);
  EXPECT_EQ(o.vulnerabilities, 8);
  EXPECT_EQ(o.vulnerabilities_by_severity["Critical"], 1);
  EXPECT_EQ(o.vulnerabilities_by_severity["High"], 4);
  EXPECT_EQ(o.secrets, 3);
  EXPECT_EQ(o.malware, 0);
  EXPECT_EQ(o.unauthorized, 0u);
  ASSERT_EQ(o.registries.size(), 3u);
  for (auto& r : o.registries) {
    if (r.name == "lab") {
      EXPECT_EQ(r.images, 3u);
      EXPECT_EQ(r.last_synced, 70);
    } else if (r.name == "empty") {
      EXPECT_EQ(r.images, 0u);
    }
  }
}

TEST(image_query, failure_advice) {
  auto r = row("lab", "team/api", "1", scan_status::failed);
  r.image.last_error_code = "unauthorized";
  EXPECT_EQ(failure_advice(r.image),
            "check the registry's credentials (regscanctl registry test lab), then rescan it "
            "(regscanctl scan lab/team/api:1)");
  r.image.last_error_code = "not_found";
  EXPECT_NE(failure_advice(r.image).find("regscanctl sync lab"), std::string::npos);
  r.image.last_error_code = "";
  EXPECT_NE(failure_advice(r.image).find("rescan it"), std::string::npos);
  r.image.scan_status = scan_status::scanned;
  EXPECT_EQ(failure_advice(r.image), "");
}

TEST(image_details, filters) {
  EXPECT_TRUE(severity_wanted("", "Low"));
  EXPECT_TRUE(severity_wanted("high", "High"));
  EXPECT_TRUE(severity_wanted("critical|HIGH", "High"));
  EXPECT_FALSE(severity_wanted("critical|high", "Medium"));
  EXPECT_TRUE(severity_wanted(">=high", "Critical"));
  EXPECT_FALSE(severity_wanted(">=high", "Medium"));
  EXPECT_TRUE(severity_wanted("<high", "Low"));
  finding f;
  f.id = "DSA-1";
  f.aliases = {"CVE-2024-1"};
  f.package = "openssl";
  f.severity = "High";
  f.title = "Buffer overflow";
  EXPECT_TRUE(wanted(vuln_filter{"high", "cve-2024", false}, f));
  EXPECT_TRUE(wanted(vuln_filter{"", "overflow", false}, f));
  EXPECT_FALSE(wanted(vuln_filter{"", "", true}, f));
  f.fixed_version = "3.0.1";
  EXPECT_TRUE(wanted(vuln_filter{">=medium", "openssl", true}, f));
  secret_finding s;
  s.rule_id = "aws-access-key";
  s.category = "cloud";
  s.severity = "Critical";
  EXPECT_TRUE(wanted(secret_filter{"critical", "AWS-access-key", "Cloud"}, s));
  EXPECT_FALSE(wanted(secret_filter{"", "", "vcs"}, s));
  std::vector<finding> all{f, f};
  all[1].package = "libssl3";
  EXPECT_EQ(findings_of(all, "cve-2024-1").size(), 2u);
  EXPECT_EQ(findings_of(all, "DSA-1").size(), 2u);
  EXPECT_TRUE(findings_of(all, "DSA-2").empty());
}

TEST(image_details, risk_summary) {
  auto r = row("lab", "team/api", "1", scan_status::scanned, {{"High", 1}}, 1);
  scan_result res;
  finding f;
  f.id = "GHSA-x";
  f.severity = "High";
  f.package = "lodash";
  f.installed_version = "4.17.20";
  f.fixed_version = "4.17.21";
  res.findings = {f};
  secret_finding s;
  s.rule_id = "private-key";
  s.severity = "Critical";
  s.location = "app/key.pem";
  s.line = 1;
  res.inv.secrets = {s};
  auto risk = summarize_risk(r.image, &res);
  EXPECT_TRUE(risk.scanned);
  EXPECT_EQ(risk.fixable, 1);
  ASSERT_TRUE(risk.worst);
  EXPECT_EQ(risk.worst->kind, "secret");
  EXPECT_EQ(risk.worst->where, "app/key.pem:1");
  EXPECT_EQ(risk.malware, -1);
}

TEST(reports, package_urls) {
  package p{"Debian:12", "libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2", "var/lib/dpkg/status", "", "", "", "", ""};
  EXPECT_EQ(package_url(p), "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12");
  p.version = "1:2.36+dfsg-1";
  EXPECT_EQ(package_url(p), "pkg:deb/debian/libssl3@1%3A2.36%2Bdfsg-1?distro=debian-12");
  p.ecosystem = "npm";
  p.name = "@babel/core";
  p.version = "7.0.0";
  EXPECT_EQ(package_url(p), "pkg:npm/%40babel/core@7.0.0");
  p.kind = "git"; // not the registry's package: no purl
  EXPECT_EQ(package_url(p), "");
  p.kind.clear();
  p.ecosystem = "PyPI";
  p.name = "Typing_Extensions";
  EXPECT_EQ(package_url(p), "pkg:pypi/typing-extensions@7.0.0");
  p.ecosystem = "Go";
  p.name = "golang.org/x/net";
  p.version = "v0.1.0";
  EXPECT_EQ(package_url(p), "pkg:golang/golang.org/x/net@v0.1.0");
  p.ecosystem = "Maven";
  p.name = "org.apache.logging.log4j:log4j-core";
  p.version = "2.14.1";
  EXPECT_EQ(package_url(p), "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
  p.ecosystem = "Nowhere";
  EXPECT_EQ(package_url(p), "");
}

namespace {

// Validates a report against its schema with python3-jsonschema; "" when valid.
std::string validate(const std::string& kind, const std::string& doc) {
  char path[] = "/tmp/regscan-report-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return "mkstemp failed";
  {
    std::ofstream out{path};
    out << doc;
  }
  ::close(fd);
  std::string cmd = "/usr/bin/python3 " REGSCAN_SOURCE_DIR "/tests/schemas/validate.py " + kind + " " + path + " 2>&1";
  std::string output;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p))
      output.append(buf, n);
    if (pclose(p) == 0)
      output.clear();
  } else {
    output = "popen failed";
  }
  std::remove(path);
  return output;
}

} // namespace

TEST(reports, validate_against_the_published_schemas) {
  auto r = row("lab", "team/api", "1", scan_status::scanned, {{"High", 1}, {"Unknown", 1}}, 2);
  r.registry_address = "http://127.0.0.1:5000";
  scan_result res;
  res.inv.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  res.inv.packages = {
    {"Debian:12", "libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2", "var/lib/dpkg/status", "sha256:l1", "", "", "", ""},
    {"npm", "@scope/thing, with comma", "1.0.0", "", "", "app/node_modules/x y/package.json", "sha256:l2", "", "", "", ""},
    {"npm", "gitpkg", "1.2.0", "gitpkg", "1.2.0", "app/package-lock.json", "sha256:l2", "", "", "git",
     "git+https://example.org/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a"}};
  finding f;
  f.id = "DSA-5532-1";
  f.aliases = {"CVE-2023-5363", "CVE-2023-5678"};
  f.ecosystem = "Debian:12";
  f.package = "libssl3";
  f.source_package = "openssl";
  f.installed_version = "3.0.11-1~deb12u2";
  f.fixed_version = "3.0.13-1~deb12u1";
  f.severity = "High";
  f.title = "openssl: \"quoted\" <title>";
  f.description = "details\nover lines";
  f.references = {"https://security-tracker.debian.org/tracker/DSA-5532-1"};
  f.fix_advice = "upgrade libssl3 to 3.0.13-1~deb12u1";
  f.layer = "sha256:l1";
  finding g = f;
  g.id = "GHSA-aaaa-bbbb-cccc";
  g.aliases = {};
  g.ecosystem = "npm";
  g.package = "@scope/thing, with comma";
  g.installed_version = "1.0.0";
  g.fixed_version = "";
  g.severity = "Unknown";
  g.fix_advice = "";
  res.findings = {f, g};
  secret_finding s1{"aws-access-key", "AWS access key", "cloud", "Critical", "root/.aws/credentials", 2,
                    "AKIA****", std::string(64, 'f'), "sha256:l1", true, "sha256:l2"};
  secret_finding s2{"connection-string-password", "Password in a URL", "database", "High", "env:DATABASE_URL", 1,
                    "pass****", std::string(64, 'e'), "", false, ""};
  res.inv.secrets = {s1, s2};

  auto sarif = sarif_report(r, res);
  EXPECT_EQ(validate("sarif", sarif), "") << sarif;
  auto cdx = cyclonedx_report(r, res);
  EXPECT_EQ(validate("cyclonedx", cdx), "") << cdx;
  EXPECT_NE(cdx.find("\"ref\":\"pkg-0\""), std::string::npos);
  EXPECT_NE(cdx.find("\"purl\":\"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12\""), std::string::npos);
  // The git dependency: no purl (not the registry's package), its kind and source.
  EXPECT_EQ(cdx.find("pkg:npm/gitpkg"), std::string::npos);
  EXPECT_NE(cdx.find(R"({"name":"regscan:kind","value":"git"})"), std::string::npos) << cdx;
  EXPECT_NE(cdx.find(R"("regscan:source_url","value":"git+https://example.org/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a")"),
            std::string::npos);
  auto json = json_report(r, res);
  EXPECT_NE(json.find("\"worst\":{\"kind\":\"secret\""), std::string::npos);
}
