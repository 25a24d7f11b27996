// regscand's log formats: the key=value words of a message become fields,
// JSON lines are valid JSON (checked with simdjson), and a journal entry is
// the native protocol journald reads (decoded here field by field).
#include "daemon/logging.hpp"

#include <cstring>
#include <map>

#include <gtest/gtest.h>
#include <simdjson.h>

using namespace regscan;

TEST(logging, key_value_words_become_fields) {
  auto f = log_fields("scan task state: task=12 registry=lab image=lab/app@sha256:ab from=queued to=running,");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"task", "12"}));
  EXPECT_EQ(f[2].second, "lab/app@sha256:ab");
  EXPECT_EQ(f[4].second, "running");
  EXPECT_TRUE(log_fields("a = b, =x, URL=y 1=2").empty());
}

TEST(logging, json_lines_are_json_with_the_fields) {
  auto line = json_log_line("2026-01-01T00:00:00.000Z", "info",
                            "scan task state: task=7 registry=\"odd\\name\" \x01 line\nbreak");
  simdjson::dom::parser parser;
  auto doc = parser.parse(line);
  ASSERT_FALSE(doc.error()) << line;
  EXPECT_EQ(std::string_view(doc["level"]), "info");
  EXPECT_EQ(std::string_view(doc["task"]), "7");
  EXPECT_EQ(std::string_view(doc["registry"]), "\"odd\\name\"");
  EXPECT_NE(std::string_view(doc["message"]).find("line\nbreak"), std::string_view::npos);
}

TEST(logging, journal_entries_use_the_native_protocol) {
  std::string message = "scan task state: task=3 registry=lab\nsecond line";
  auto entry = journal_entry(4, message);
  // Decode: NAME=value\n, or NAME\n<64-bit little-endian length><bytes>\n.
  std::map<std::string, std::string> fields;
  size_t i = 0;
  while (i < entry.size()) {
    auto nl = entry.find('\n', i);
    ASSERT_NE(nl, std::string::npos);
    auto line = entry.substr(i, nl - i);
    if (auto eq = line.find('='); eq != std::string::npos) {
      fields[line.substr(0, eq)] = line.substr(eq + 1);
      i = nl + 1;
    } else {
      uint64_t n = 0;
      std::memcpy(&n, entry.data() + nl + 1, 8); // little-endian host
      fields[line] = entry.substr(nl + 9, n);
      ASSERT_EQ(entry[nl + 9 + n], '\n');
      i = nl + 10 + n;
    }
  }
  EXPECT_EQ(fields["PRIORITY"], "4");
  EXPECT_EQ(fields["SYSLOG_IDENTIFIER"], "regscand");
  EXPECT_EQ(fields["MESSAGE"], message);
  EXPECT_EQ(fields["REGSCAN_TASK"], "3");
  EXPECT_EQ(fields["REGSCAN_REGISTRY"], "lab");
}

TEST(logging, formats_parse) {
  log_format f;
  EXPECT_TRUE(parse_log_format("json", f));
  EXPECT_EQ(f, log_format::json);
  EXPECT_TRUE(parse_log_format("auto", f));
  EXPECT_FALSE(parse_log_format("xml", f));
}
