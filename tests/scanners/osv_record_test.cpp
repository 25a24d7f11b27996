#include "scanners/match/osv_record.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace regscan {
namespace {

std::string read_testdata(const std::string& name) {
  std::ifstream in{std::string{REGSCAN_SOURCE_DIR} + "/scanners/testdata/osv_record/" + name};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(osv_record, parses_real_debian_record) {
  std::string json = read_testdata("DEBIAN-bookworm-expat-2.5.0-1_deb12u3.json");
  ASSERT_FALSE(json.empty());
  auto rec = parse_osv_record(json);
  ASSERT_TRUE(rec) << rec.err().message;
  EXPECT_EQ(rec->id, "DEBIAN-bookworm-expat-2.5.0-1_deb12u3");
  EXPECT_EQ(rec->modified, "2026-08-31T18:26:45Z");
  EXPECT_EQ(rec->withdrawn, "");
  ASSERT_EQ(rec->aliases.size(), 14u);
  EXPECT_EQ(rec->aliases.front(), "CVE-2026-50219");
  EXPECT_EQ(rec->aliases.back(), "CVE-2026-76957");
  EXPECT_EQ(rec->summary, "expat security update");
  EXPECT_TRUE(rec->details.starts_with("Security update for expat fixing CVE-2026-50219"));
  EXPECT_TRUE(rec->severity.empty());
  ASSERT_EQ(rec->affected.size(), 1u);
  const auto& a = rec->affected[0];
  EXPECT_EQ(a.ecosystem, "Debian:12");
  EXPECT_EQ(a.name, "expat");
  EXPECT_EQ(a.severity, "high");
  EXPECT_TRUE(a.versions.empty());
  ASSERT_EQ(a.ranges.size(), 1u);
  EXPECT_EQ(a.ranges[0].type, "ECOSYSTEM");
  ASSERT_EQ(a.ranges[0].events.size(), 2u);
  EXPECT_EQ(a.ranges[0].events[0].introduced, "0");
  EXPECT_EQ(a.ranges[0].events[0].fixed, "");
  EXPECT_EQ(a.ranges[0].events[1].fixed, "2.5.0-1+deb12u3");
  EXPECT_EQ(a.ranges[0].events[1].introduced, "");
  ASSERT_EQ(rec->references.size(), 1u);
  EXPECT_EQ(rec->references[0].type, "ADVISORY");
  EXPECT_EQ(rec->references[0].url, "https://security-tracker.debian.org/tracker/CVE-2026-50219");
}

TEST(osv_record, parses_every_field) {
  auto rec = parse_osv_record(R"({
    "id": "GHSA-xxxx", "modified": "2024-01-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z",
    "aliases": ["CVE-1"], "summary": "s", "details": "d\nmore",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
      {"package": {"ecosystem": "npm", "name": "left-pad"},
       "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.2.0"}]},
                  {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"limit": "3.0.0"}]},
                  {"type": "GIT", "repo": "https://x", "events": [{"introduced": "abc"}]}],
       "versions": ["1.0.0", "1.1.0"],
       "database_specific": {"severity": "HIGH"}},
      {"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "x"},
       "ecosystem_specific": {"severity": "medium", "urgency": "low"}},
      {"package": {"ecosystem": "x", "name": "y"}, "ecosystem_specific": {"severity": 3}}
    ],
    "references": [{"type": "WEB", "url": "https://a"}, {"type": "FIX", "url": "https://b"}],
    "unknown": {"nested": [1, 2, null]}
  })");
  ASSERT_TRUE(rec) << rec.err().message;
  EXPECT_EQ(rec->withdrawn, "2024-02-01T00:00:00Z");
  EXPECT_EQ(rec->details, "d\nmore");
  ASSERT_EQ(rec->severity.size(), 1u);
  EXPECT_EQ(rec->severity[0].type, "CVSS_V3");
  EXPECT_EQ(rec->severity[0].score, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
  ASSERT_EQ(rec->affected.size(), 3u);
  const auto& a = rec->affected[0];
  ASSERT_EQ(a.ranges.size(), 3u);
  EXPECT_EQ(a.ranges[0].type, "SEMVER");
  EXPECT_EQ(a.ranges[0].events[1].last_affected, "1.2.0");
  EXPECT_EQ(a.ranges[1].events[1].limit, "3.0.0");
  EXPECT_EQ(a.ranges[2].type, "GIT");
  EXPECT_EQ(a.versions, (std::vector<std::string>{"1.0.0", "1.1.0"}));
  EXPECT_EQ(a.severity, "HIGH");
  EXPECT_EQ(rec->affected[1].severity, "medium"); // severity before urgency
  EXPECT_EQ(rec->affected[2].severity, "");       // a number is not a severity word
  ASSERT_EQ(rec->references.size(), 2u);
  EXPECT_EQ(rec->references[1].url, "https://b");
}

TEST(osv_record, nulls_and_missing_fields_are_empty) {
  auto rec = parse_osv_record(R"({"id": "X-1", "summary": null, "affected": null})");
  ASSERT_TRUE(rec) << rec.err().message;
  EXPECT_EQ(rec->id, "X-1");
  EXPECT_TRUE(rec->summary.empty());
  EXPECT_TRUE(rec->affected.empty());
  EXPECT_TRUE(rec->aliases.empty());
}

void expect_error(std::string_view json, std::string_view words) {
  auto rec = parse_osv_record(json);
  ASSERT_FALSE(rec) << json;
  EXPECT_NE(rec.err().message.find(words), std::string::npos)
      << "message: " << rec.err().message << "\nexpected to contain: " << words;
}

TEST(osv_record, rejects_bad_input) {
  expect_error("", "not valid JSON");
  expect_error("{", "not valid JSON");
  expect_error(R"({"id": "X-1",})", "not valid JSON");
  expect_error("{\"id\": \"X\xff\"}", "not valid JSON"); // bad UTF-8
  expect_error("[1, 2]", "not a JSON object");
  expect_error("\"id\"", "not a JSON object");
  expect_error(R"({"summary": "no id"})", "no \"id\"");
  expect_error(R"({"id": ""})", "no \"id\"");
  expect_error(R"({"id": 12})", "id: expected a string");
  expect_error(R"({"id": "X-1", "aliases": "CVE-1"})", "OSV record X-1: aliases: expected an array");
  expect_error(R"({"id": "X-1", "aliases": [1]})", "aliases[0]: expected a string");
  expect_error(R"({"id": "X-1", "affected": [{"package": []}]})",
               "affected[0].package: expected an object");
  expect_error(R"({"id": "X-1", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{}, 5]}]}]})",
               "affected[0].ranges[0].events[1]: expected an object");
  expect_error(R"({"id": "X-1", "affected": [{"ranges": [{"events": [{"fixed": 1}]}]}]})",
               "affected[0].ranges[0].events[0].fixed: expected a string");
  expect_error(R"({"id": "X-1", "affected": [{"versions": [true]}]})",
               "affected[0].versions[0]: expected a string");
  expect_error(R"({"id": "X-1", "severity": [{"type": "CVSS_V3", "score": 9.8}]})",
               "severity[0].score: expected a string");
  expect_error(R"({"id": "X-1", "references": [{"url": {}}]})",
               "references[0].url: expected a string");
}

TEST(osv_record, every_truncation_of_a_real_record_fails_cleanly) {
  std::string json = read_testdata("DEBIAN-bookworm-bind9-1_9.18.49-1_deb12u2.json");
  ASSERT_FALSE(json.empty());
  ASSERT_TRUE(parse_osv_record(json));
  // Cut before the closing brace: nothing shorter is a whole document.
  size_t end = json.rfind('}');
  for (size_t n = 0; n < end; ++n)
    EXPECT_FALSE(parse_osv_record(std::string_view{json}.substr(0, n))) << n;
}

} // namespace
} // namespace regscan
