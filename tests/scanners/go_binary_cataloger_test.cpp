#include "scanners/lang/go_binary_cataloger.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

using lang_test::slurp;
using set = std::set<std::string>;

// "name@version<-source_name@source_version" of every package.
set described(const inventory& inv) {
  set s;
  for (const auto& p : inv.packages)
    s.insert(p.ecosystem + ":" + p.name + "@" + p.version + "<-" + p.source_name + "@"
             + p.source_version);
  return s;
}

std::string strip_v(const std::string& v) {
  return v.size() > 1 && v[0] == 'v' && isdigit(static_cast<unsigned char>(v[1])) ? v.substr(1) : v;
}

// What `go version -m` prints, turned into packages by the documented rules.
set from_go_version_m(const std::string& text) {
  set s;
  std::vector<std::vector<std::string>> lines;
  size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    auto line = text.substr(at, nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    std::vector<std::string> f;
    size_t p = 0;
    while (true) {
      auto tab = line.find('\t', p);
      f.push_back(line.substr(p, tab - p));
      if (tab == std::string::npos)
        break;
      p = tab + 1;
    }
    lines.push_back(f);
  }
  if (lines.empty())
    return s;
  auto first = lines[0][0]; // "path: go1.19.8"
  auto go = first.substr(first.rfind(' ') + 1);
  s.insert("Go:stdlib@" + go.substr(2) + "<-stdlib@" + go.substr(2));
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& f = lines[i];
    if (f.size() < 4 || (f[1] != "mod" && f[1] != "dep"))
      continue;
    std::string name = f[2], version = strip_v(f[3]);
    std::string source = name + "@" + version;
    if (i + 1 < lines.size() && lines[i + 1].size() >= 3 && lines[i + 1][1] == "=>") {
      const auto& r = lines[i + 1];
      auto rv = r.size() >= 4 ? strip_v(r[3]) : "";
      if (r[2].starts_with(".") || r[2].starts_with("/") || rv.empty())
        version = "(devel)";
      else {
        name = r[2];
        version = rv;
      }
    }
    s.insert("Go:" + name + "@" + version + "<-" + source);
  }
  return s;
}

TEST(go_binary_cataloger, wants_executables_only) {
  go_binary_cataloger c;
  EXPECT_FALSE(c.wants("usr/local/bin/app"));
  EXPECT_TRUE(c.wants_executable("usr/local/bin/app", 0755, 2 << 20));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/app", 0644, 2 << 20));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/tiny.sh", 0755, 100));
}

// A binary built here with Debian's golang-go, against `go version -m`.
TEST(go_binary_cataloger, matches_go_version_m) {
  if (!lang_test::have("go"))
    GTEST_SKIP() << "go is not installed (tools/install-deps.sh installs golang-go)";
  char tmpl[] = "/tmp/regscan-go-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, out;
  std::string src = lang_test::testdata("go_binary/hello");
  ASSERT_TRUE(lang_test::run("cp -r '" + src + "/.' '" + dir + "/' && cd '" + dir
                               + "' && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE='"
                               + dir + "/cache' GOPATH='" + dir + "/gopath' go build -o hello . 2>&1",
                             out))
    << out;
  std::string truth_text;
  ASSERT_TRUE(lang_test::run("go version -m '" + dir + "/hello'", truth_text));
  auto truth = from_go_version_m(truth_text);

  go_binary_cataloger c;
  inventory inv;
  auto binary = slurp(dir + "/hello");
  c.parse("app/hello", binary, "sha256:go", os_info{}, inv);
  EXPECT_EQ(described(inv), truth) << truth_text;
  EXPECT_TRUE(inv.notes.empty());
  // The rules the comparison relies on, spelled out.
  EXPECT_TRUE(described(inv).contains("Go:example.com/dep@1.4.0<-example.com/dep@1.4.0"));
  EXPECT_TRUE(described(inv).contains("Go:example.com/greet@(devel)<-example.com/greet@1.2.0"));
  EXPECT_TRUE(described(inv).contains("Go:example.com/hello@(devel)<-example.com/hello@(devel)"));
  for (const auto& p : inv.packages) {
    EXPECT_EQ(p.file, "app/hello");
    EXPECT_EQ(p.layer, "sha256:go");
  }
  std::string ignored;
  lang_test::run("chmod -R u+w '" + dir + "' && rm -rf '" + dir + "'", ignored);
}

// Debian's own Go programs (the go tool itself, skopeo, docker-registry): the toolchain at least.
TEST(go_binary_cataloger, debian_go_programs) {
  std::vector<std::string> found;
  std::string go_path;
  if (lang_test::run("readlink -f \"$(command -v go)\" 2>/dev/null", go_path) && !go_path.empty())
    found.push_back(go_path.substr(0, go_path.find('\n')));
  for (auto p : {"/usr/bin/skopeo", "/usr/bin/docker-registry"})
    if (std::filesystem::exists(p))
      found.push_back(p);
  if (found.empty() || !lang_test::have("go"))
    GTEST_SKIP() << "no Go program and no go tool installed";
  for (const auto& path : found) {
    std::string truth_text;
    ASSERT_TRUE(lang_test::run("go version -m '" + path + "'", truth_text)) << path;
    go_binary_cataloger c;
    inventory inv;
    c.parse(path.substr(1), slurp(path), "l", os_info{}, inv);
    EXPECT_EQ(described(inv), from_go_version_m(truth_text)) << path;
  }
}

void put(std::string& b, size_t off, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

const std::string sentinel_start("0w\xaf\x0c\x92t\b\x02" "A\xe1\xc1\x07\xe6\xd6\x18\xe6", 16);
const std::string sentinel_end("\xf9" "2C1\x86\x18 r\x00\x82" "B\x10" "A\x16\xd8\xf2", 16);

// A minimal ELF64 with the pre-1.18 layout: pointers to Go string headers,
// found without section headers in the writable segment.
std::string old_format_elf(const std::string& version, const std::string& mod) {
  const uint64_t base = 0x400000;
  std::string b(0x1000, '\0');
  b.replace(0, 4, "\x7f" "ELF");
  b[4] = 2;      // 64-bit
  b[5] = 1;      // little endian
  b[6] = 1;
  put(b, 32, 64, 8);  // e_phoff
  put(b, 54, 56, 2);  // e_phentsize
  put(b, 56, 1, 2);   // e_phnum
  put(b, 64, 1, 4);   // PT_LOAD
  put(b, 68, 6, 4);   // PF_R | PF_W
  put(b, 72, 0, 8);   // p_offset
  put(b, 80, base, 8);
  put(b, 96, b.size(), 8); // p_filesz
  put(b, 104, b.size(), 8);
  b.replace(0x100, 14, "\xff Go buildinf:");
  b[0x100 + 14] = 8; // pointer size
  b[0x100 + 15] = 0; // little endian, pointer format
  put(b, 0x110, base + 0x200, 8);
  put(b, 0x118, base + 0x210, 8);
  put(b, 0x200, base + 0x300, 8);
  put(b, 0x208, version.size(), 8);
  auto wrapped = sentinel_start + mod + sentinel_end;
  put(b, 0x210, base + 0x400, 8);
  put(b, 0x218, wrapped.size(), 8);
  b.replace(0x300, version.size(), version);
  b.replace(0x400, wrapped.size(), wrapped);
  return b;
}

TEST(go_binary_cataloger, pre_1_18_pointer_format) {
  auto elf = old_format_elf("go1.16.15",
                            "path\texample.com/old\n"
                            "mod\texample.com/old\tv1.0.0\th1:x=\n"
                            "dep\tgithub.com/pkg/errors\tv0.9.1\th1:y=\n"
                            "dep\tgolang.org/x/net\tv0.0.0-20210226172049-e18ecbb05110\n"
                            "=>\tgolang.org/x/net\tv0.7.0\th1:z=\n");
  go_binary_cataloger c;
  inventory inv;
  c.parse("bin/old", elf, "l", os_info{}, inv);
  EXPECT_EQ(described(inv),
            (set{"Go:stdlib@1.16.15<-stdlib@1.16.15", "Go:example.com/old@1.0.0<-example.com/old@1.0.0",
                 "Go:github.com/pkg/errors@0.9.1<-github.com/pkg/errors@0.9.1",
                 "Go:golang.org/x/net@0.7.0<-golang.org/x/net@0.0.0-20210226172049-e18ecbb05110"}));
  EXPECT_TRUE(inv.notes.empty());
}

TEST(go_binary_cataloger, hostile_and_foreign_files) {
  go_binary_cataloger c;
  inventory inv;
  // Not Go: an ELF without build info, a script, nothing.
  if (std::filesystem::exists("/usr/bin/true"))
    c.parse("usr/bin/true", slurp("/usr/bin/true"), "l", os_info{}, inv);
  c.parse("x.sh", "#!/bin/sh\necho hi\n", "l", os_info{}, inv);
  c.parse("empty", "", "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  EXPECT_TRUE(inv.notes.empty());

  // Pointers out of the file, lengths past the end.
  auto elf = old_format_elf("go1.16.15", "path\tx\n");
  auto bad = elf;
  put(bad, 0x110, 0xdeadbeef, 8);
  c.parse("bin/bad1", bad, "l", os_info{}, inv);
  bad = elf;
  put(bad, 0x208, uint64_t{1} << 40, 8);
  c.parse("bin/bad2", bad, "l", os_info{}, inv);
  bad = elf;
  bad[0x100 + 15] = 2; // inline format, then a varint that never ends
  for (size_t i = 0x120; i < bad.size(); ++i)
    bad[i] = '\xff';
  c.parse("bin/bad3", bad, "l", os_info{}, inv);
  bad = elf;
  bad[0x100 + 14] = 3;
  c.parse("bin/bad4", bad, "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 4u);
  EXPECT_NE(inv.notes[0].find("bin/bad1"), std::string::npos);
  // Truncated at every length: never reads out of bounds (run under ASan to see it).
  for (size_t n = 0; n < 0x500; n += 7)
    c.parse("bin/cut", std::string_view(elf).substr(0, n), "l", os_info{}, inv);
}

// Found by fuzz_catalogers (tests/fuzz): a section header table whose
// string table offset is near 2^64, so offset + name wrapped past the bounds
// check and substr threw out of parse.
TEST(go_binary_cataloger, section_string_table_offset_wraps) {
  // The fuzz input: a selector byte, then the file.
  auto input = slurp(std::string(REGSCAN_SOURCE_DIR)
                     + "/tests/fuzz/regressions/fuzz_catalogers/go-binary-section-name-wraps");
  ASSERT_GT(input.size(), 64u);
  go_binary_cataloger c;
  inventory inv;
  EXPECT_NO_THROW(c.parse("usr/local/bin/app", std::string_view(input).substr(1), "l",
                          os_info{}, inv));
  // An ELF without readable build info is just not a Go program.
  EXPECT_TRUE(inv.packages.empty());
  EXPECT_TRUE(inv.notes.empty());
}

} // namespace
} // namespace regscan
