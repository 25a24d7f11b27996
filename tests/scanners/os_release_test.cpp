#include "scanners/os/os_release.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

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

// --- detection with fallbacks, on real release files --------------------------

std::string golden(const std::string& name) {
  std::ifstream in(std::filesystem::path(REGSCAN_SOURCE_DIR) / "scanners/testdata/os" / name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

os_info detect(const std::map<std::string, std::string>& files) {
  return detect_os([&](std::string_view path) -> const std::string* {
    auto it = files.find(std::string(path));
    return it == files.end() ? nullptr : &it->second;
  });
}

TEST(detect_os, real_os_release_files) {
  struct expectation {
    std::string file, id, version_id;
  };
  for (const auto& e : std::vector<expectation>{
         {"debian-12", "debian", "12"},          {"ubuntu-22.04", "ubuntu", "22.04"},
         {"alpine-3.19", "alpine", "3.19.1"},    {"rhel-9.3", "rhel", "9.3"},
         {"centos-7", "centos", "7"},            {"rocky-9.3", "rocky", "9.3"},
         {"almalinux-9.3", "almalinux", "9.3"},  {"fedora-39", "fedora", "39"},
         {"amzn-2023", "amzn", "2023"},          {"opensuse-leap-15.5", "opensuse-leap", "15.5"},
         {"sles-15.5", "sles", "15.5"},          {"ol-8.9", "ol", "8.9"},
         {"photon-5.0", "photon", "5.0"},        {"wolfi", "wolfi", "20230201"},
         {"chainguard", "chainguard", "20230214"}, {"distroless-debian12", "debian", "12"}}) {
    auto text = golden(e.file);
    ASSERT_FALSE(text.empty()) << e.file;
    auto os = detect({{"etc/os-release", text}});
    EXPECT_EQ(os.id, e.id) << e.file;
    EXPECT_EQ(os.version_id, e.version_id) << e.file;
    // usr/lib/os-release alone is enough too.
    EXPECT_EQ(detect({{"usr/lib/os-release", text}}).id, e.id) << e.file;
  }
}

TEST(detect_os, fallbacks_without_os_release) {
  EXPECT_EQ(detect({{"etc/alpine-release", "3.18.4\n"}}).version_id, "3.18.4");
  EXPECT_EQ(detect({{"etc/alpine-release", "3.18.4\n"}}).id, "alpine");
  auto ubuntu = detect({{"etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\n"
                                             "DISTRIB_CODENAME=focal\n"
                                             "DISTRIB_DESCRIPTION=\"Ubuntu 20.04.6 LTS\"\n"},
                         {"etc/debian_version", "bullseye/sid\n"}});
  EXPECT_EQ(ubuntu.id, "ubuntu");
  EXPECT_EQ(ubuntu.version_id, "20.04");
  EXPECT_EQ(ubuntu.version_codename, "focal");

  struct expectation {
    std::string path, text, id, version_id;
  };
  for (const auto& e : std::vector<expectation>{
         {"etc/redhat-release", "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n", "rhel", "7.9"},
         {"etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n", "rhel", "8.9"},
         {"etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n", "centos", "7.9.2009"},
         {"etc/centos-release", "CentOS Stream release 9\n", "centos", "9"},
         {"etc/rocky-release", "Rocky Linux release 8.9 (Green Obsidian)\n", "rocky", "8.9"},
         {"etc/almalinux-release", "AlmaLinux release 9.3 (Shamrock Pampas Cat)\n", "almalinux", "9.3"},
         {"etc/fedora-release", "Fedora release 39 (Thirty Nine)\n", "fedora", "39"},
         {"etc/system-release", "Amazon Linux release 2 (Karoo)\n", "amzn", "2"},
         {"etc/system-release", "Amazon Linux release 2023.3.20240219 (Amazon Linux)\n", "amzn",
          "2023.3.20240219"},
         {"etc/oracle-release", "Oracle Linux Server release 8.9\n", "ol", "8.9"},
         {"etc/photon-release", "VMware Photon OS 4.0\nPHOTON_BUILD_NUMBER=1526e30ba0\n", "photon", "4.0"},
         {"etc/SuSE-release", "SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 5\n",
          "sles", "12.5"},
         {"etc/SuSE-release", "openSUSE 13.2 (x86_64)\nVERSION = 13.2\nCODENAME = Harlequin\n",
          "opensuse", "13.2"},
         {"etc/debian_version", "11.9\n", "debian", "11"}}) {
    auto os = detect({{e.path, e.text}});
    EXPECT_EQ(os.id, e.id) << e.text;
    EXPECT_EQ(os.version_id, e.version_id) << e.text;
  }
  // os-release wins over every fallback; an empty one does not.
  EXPECT_EQ(detect({{"etc/os-release", golden("rocky-9.3")},
                    {"etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n"}})
              .id,
            "rocky");
  EXPECT_EQ(detect({{"etc/os-release", "# nothing\n"}, {"etc/alpine-release", "3.20.0\n"}}).id,
            "alpine");
  // Debian testing: no VERSION_ID in os-release, a number in debian_version.
  EXPECT_EQ(detect({{"etc/os-release", "ID=debian\nVERSION_CODENAME=trixie\n"},
                    {"etc/debian_version", "13.0\n"}})
              .version_id,
            "13");
  EXPECT_EQ(detect({}).id, "");
  EXPECT_EQ(parse_release_file("something else entirely").id, "");
}

TEST(detect_os, os_files_are_known) {
  EXPECT_TRUE(is_os_file("etc/os-release"));
  EXPECT_TRUE(is_os_file("etc/alpine-release"));
  EXPECT_TRUE(is_os_file("etc/system-release"));
  EXPECT_FALSE(is_os_file("etc/passwd"));
  EXPECT_FALSE(is_os_file("/etc/os-release"));
}

} // namespace
} // namespace regscan
