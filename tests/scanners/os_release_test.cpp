#include "scanners/os_release.hpp"

#include <gtest/gtest.h>

namespace regscan {
namespace {

TEST(os_release, parses_debian) {
  auto os = parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                             "NAME=\"Debian GNU/Linux\"\n"
                             "VERSION_ID=\"12\"\n"
                             "VERSION_CODENAME=bookworm\n"
                             "ID=debian\n");
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "12");
  EXPECT_EQ(os.version_codename, "bookworm");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
}

TEST(os_release, quotes_escapes_and_comments) {
  auto os = parse_os_release("# a comment\n"
                             "   \n"
                             "ID='ubuntu'\r\n"
                             "VERSION_ID=\"22.04\" # trailing comment\n"
                             "PRETTY_NAME=\"Say \\\"hi\\\" \\\\ \\$HOME \\`x\\` \\n\"\n"
                             "garbage line without equals\n"
                             "VERSION_CODENAME=jam\\ my\n");
  EXPECT_EQ(os.id, "ubuntu");
  EXPECT_EQ(os.version_id, "22.04");
  EXPECT_EQ(os.pretty_name, "Say \"hi\" \\ $HOME `x` \\n");
  EXPECT_EQ(os.version_codename, "jam my");
}

TEST(os_release, last_assignment_wins_and_no_trailing_newline) {
  auto os = parse_os_release("ID=alpine\nID=debian");
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "");
}

TEST(os_release, empty_and_binary_input) {
  EXPECT_EQ(parse_os_release("").id, "");
  std::string junk("\0\xff=\"\n=\n\"\"\"", 10);
  EXPECT_NO_FATAL_FAILURE(parse_os_release(junk));
}

TEST(os_release, debian_version_fallback) {
  auto os = parse_debian_version("12.5\n");
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "12");
  auto old = parse_debian_version("9.13");
  EXPECT_EQ(old.version_id, "9");
  auto sid = parse_debian_version("trixie/sid\n");
  EXPECT_EQ(sid.id, "debian");
  EXPECT_EQ(sid.version_id, "");
  EXPECT_EQ(sid.version_codename, "trixie");
}

} // namespace
} // namespace regscan
