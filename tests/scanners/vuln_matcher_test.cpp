#include "scanners/match/vuln_matcher.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "scanners/match/osv_record.hpp"

namespace regscan {
namespace {

osv_record load(const std::string& name) {
  std::ifstream in{std::string{REGSCAN_SOURCE_DIR} + "/scanners/testdata/osv_record/" + name};
  std::stringstream ss;
  ss << in.rdbuf();
  auto rec = parse_osv_record(ss.str());
  EXPECT_TRUE(rec) << name << ": " << rec.err().message;
  return rec ? *rec : osv_record{};
}

package libexpat(std::string source_version, std::string ecosystem = "Debian:12") {
  package p;
  p.ecosystem = std::move(ecosystem);
  p.name = "libexpat1";
  p.version = source_version;
  p.source_name = "expat";
  p.source_version = std::move(source_version);
  p.file = "var/lib/dpkg/status";
  p.layer = "sha256:aaaa";
  return p;
}

// A Debian record with one affected entry built from the arguments.
osv_record debian_record(std::vector<osv_event> events, std::vector<std::string> versions = {}) {
  osv_record rec;
  rec.id = "TEST-1";
  osv_affected a;
  a.ecosystem = "Debian:12";
  a.name = "expat";
  if (!events.empty())
    a.ranges.push_back({"ECOSYSTEM", std::move(events)});
  a.versions = std::move(versions);
  a.severity = "medium";
  rec.affected.push_back(std::move(a));
  return rec;
}

osv_event introduced(std::string v) {
  osv_event e;
  e.introduced = std::move(v);
  return e;
}
osv_event fixed(std::string v) {
  osv_event e;
  e.fixed = std::move(v);
  return e;
}
osv_event last_affected(std::string v) {
  osv_event e;
  e.last_affected = std::move(v);
  return e;
}
osv_event limit(std::string v) {
  osv_event e;
  e.limit = std::move(v);
  return e;
}

bool affects(const osv_record& rec, const std::string& source_version) {
  return match_package(libexpat(source_version), rec).has_value();
}

TEST(vuln_matcher, real_expat_record) {
  osv_record rec = load("DEBIAN-bookworm-expat-2.5.0-1_deb12u3.json");
  auto f = match_package(libexpat("2.5.0-1+deb12u1"), rec);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->id, "DEBIAN-bookworm-expat-2.5.0-1_deb12u3");
  EXPECT_EQ(f->aliases.size(), 14u);
  EXPECT_EQ(f->package, "libexpat1");
  EXPECT_EQ(f->source_package, "expat");
  EXPECT_EQ(f->installed_version, "2.5.0-1+deb12u1");
  EXPECT_EQ(f->fixed_version, "2.5.0-1+deb12u3");
  EXPECT_EQ(f->severity, "High"); // urgency=high
  EXPECT_EQ(f->title, "expat security update");
  EXPECT_EQ(f->description, rec.details);
  EXPECT_EQ(f->references,
            std::vector<std::string>{"https://security-tracker.debian.org/tracker/CVE-2026-50219"});
  EXPECT_EQ(f->fix_advice, "upgrade expat to 2.5.0-1+deb12u3 or later");
  EXPECT_EQ(f->layer, "sha256:aaaa");

  EXPECT_TRUE(affects(rec, "2.5.0-1"));
  EXPECT_TRUE(affects(rec, "2.5.0-1+deb12u3~1"));
  EXPECT_FALSE(affects(rec, "2.5.0-1+deb12u3")); // installed == fixed
  EXPECT_FALSE(affects(rec, "2.5.0-1+deb12u4"));
  EXPECT_FALSE(affects(rec, "2.6.0-1"));
  EXPECT_FALSE(match_package(libexpat("2.5.0-1", "Debian:11"), rec)); // other release
  EXPECT_FALSE(match_package(libexpat("2.5.0-1", "Ubuntu:22.04"), rec));
}

TEST(vuln_matcher, matches_by_source_package_and_version) {
  osv_record rec = load("DEBIAN-bookworm-bind9-1_9.18.49-1_deb12u2.json");
  package p;
  p.ecosystem = "Debian:12";
  p.name = "libbind9-9.18";
  p.version = "1:9.18.49-1~deb12u1+b1"; // a binNMU: binary version differs
  p.source_name = "bind9";
  p.source_version = "1:9.18.49-1~deb12u1";
  auto f = match_package(p, rec);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->package, "libbind9-9.18");
  EXPECT_EQ(f->source_package, "bind9");
  EXPECT_EQ(f->installed_version, "1:9.18.49-1~deb12u1+b1");
  EXPECT_EQ(f->fixed_version, "1:9.18.49-1~deb12u2");

  p.source_version = "1:9.18.49-1~deb12u2";
  EXPECT_FALSE(match_package(p, rec));
  p.source_version = "9.20.0-1"; // no epoch: older than anything with epoch 1
  EXPECT_TRUE(match_package(p, rec));
  p.source_name = "libbind9-9.18"; // the binary name is not the record's name
  p.source_version = "1:9.18.49-1~deb12u1";
  EXPECT_FALSE(match_package(p, rec));
}

TEST(vuln_matcher, tilde_versions) {
  osv_record rec = debian_record({introduced("0"), fixed("1.0~rc2-1")});
  EXPECT_TRUE(affects(rec, "1.0~rc1-1"));
  EXPECT_TRUE(affects(rec, "1.0~rc2-0"));
  EXPECT_FALSE(affects(rec, "1.0~rc2-1"));
  EXPECT_FALSE(affects(rec, "1.0-1"));
  EXPECT_FALSE(affects(rec, "1.0~rc2-1+b1"));
}

TEST(vuln_matcher, introduced_and_last_affected) {
  osv_record rec = debian_record({introduced("1.2-1"), last_affected("1.4-2")});
  EXPECT_FALSE(affects(rec, "1.1-9"));
  EXPECT_TRUE(affects(rec, "1.2-1"));
  EXPECT_TRUE(affects(rec, "1.4-2")); // inclusive
  EXPECT_FALSE(affects(rec, "1.4-2+deb12u1"));
  EXPECT_EQ(match_package(libexpat("1.3-1"), rec)->fixed_version, "");
  EXPECT_EQ(match_package(libexpat("1.3-1"), rec)->fix_advice, "no fix available yet");
}

TEST(vuln_matcher, several_intervals_out_of_order) {
  // Events listed unsorted: the matcher sorts them by version first.
  osv_record rec = debian_record(
      {fixed("3.0-1"), introduced("2.0-1"), introduced("0"), fixed("1.5-1")});
  EXPECT_TRUE(affects(rec, "1.0-1"));
  EXPECT_FALSE(affects(rec, "1.5-1"));
  EXPECT_FALSE(affects(rec, "1.9-1"));
  EXPECT_TRUE(affects(rec, "2.0-1"));
  EXPECT_FALSE(affects(rec, "3.0-1"));
  EXPECT_EQ(match_package(libexpat("1.0-1"), rec)->fixed_version, "1.5-1");
  EXPECT_EQ(match_package(libexpat("2.5-1"), rec)->fixed_version, "3.0-1");
}

TEST(vuln_matcher, limit_is_an_upper_bound) {
  osv_record rec = debian_record({introduced("0"), limit("2.0-1")});
  EXPECT_TRUE(affects(rec, "1.9-1"));
  EXPECT_FALSE(affects(rec, "2.0-1"));
  EXPECT_FALSE(affects(rec, "2.1-1"));
}

TEST(vuln_matcher, versions_list) {
  osv_record rec = debian_record({}, {"1.0-1", "1.0-2"});
  EXPECT_TRUE(affects(rec, "1.0-1"));
  EXPECT_TRUE(affects(rec, "0:1.0-2")); // equal to dpkg
  EXPECT_FALSE(affects(rec, "1.0-3"));
  EXPECT_EQ(match_package(libexpat("1.0-1"), rec)->fixed_version, "");
}

TEST(vuln_matcher, ignores_git_and_unsupported_ecosystems) {
  osv_record rec = debian_record({});
  rec.affected[0].ranges.push_back({"GIT", {introduced("0"), fixed("deadbeef")}});
  EXPECT_FALSE(affects(rec, "1.0-1"));

  osv_record other = debian_record({introduced("0"), fixed("2.0.0")});
  other.affected[0].ecosystem = "Nonesuch";
  EXPECT_FALSE(match_package(libexpat("1.0.0", "Nonesuch"), other));
  EXPECT_EQ(comparator_for("Nonesuch"), nullptr);
  EXPECT_NE(comparator_for("Debian:12"), nullptr);
}

TEST(vuln_matcher, withdrawn_records_never_match) {
  osv_record rec = load("DEBIAN-bookworm-expat-2.5.0-1_deb12u3.json");
  rec.withdrawn = "2026-09-01T00:00:00Z";
  EXPECT_FALSE(affects(rec, "2.5.0-1"));
}

TEST(vuln_matcher, severity) {
  osv_record rec = debian_record({introduced("0"), fixed("2.0-1")});
  auto severity = [&](std::string word) {
    rec.affected[0].severity = std::move(word);
    return match_package(libexpat("1.0-1"), rec)->severity;
  };
  EXPECT_EQ(severity("emergency"), "Critical");
  EXPECT_EQ(severity("critical"), "Critical");
  EXPECT_EQ(severity("HIGH"), "High");
  EXPECT_EQ(severity("medium"), "Medium");
  EXPECT_EQ(severity("low"), "Low");
  EXPECT_EQ(severity("unimportant"), "Low");
  EXPECT_EQ(severity("not yet assigned"), "Unknown");
  EXPECT_EQ(severity(""), "Unknown");
  // A CVSS v3 vector wins over the urgency; a v4 vector that does not
  // parse is passed over.
  rec.severity.push_back({"CVSS_V4", "CVSS:4.0/AV:N"});
  rec.severity.push_back({"CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"});
  EXPECT_EQ(severity("low"), "Medium"); // 5.5
  // A v4 vector wins over v3, whichever comes first.
  rec.severity.push_back({"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"});
  EXPECT_EQ(severity("low"), "Critical"); // 9.3
  // A v4 vector alone is scored too (its base score: E:U is left out).
  rec.severity = {{"CVSS_V4", "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"}};
  EXPECT_EQ(severity("low"), "High"); // 8.5
  // A vector scoring 0.0 ("None") leaves the source's word.
  rec.severity = {{"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"}};
  EXPECT_EQ(severity("low"), "Low");
  EXPECT_EQ(match_package(libexpat("1.0-1"), rec)->title, "TEST-1"); // no summary
}

} // namespace
} // namespace regscan
