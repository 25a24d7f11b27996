// The rule every cataloger in scanners/os and scanners/lang follows: a
// record it cannot read, or chooses to skip, becomes a note that names the
// file and the record; the good records beside it are still listed.
#include <sqlite3.h>
#include <zip.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scanners/lang/cargo_auditable_cataloger.hpp"
#include "scanners/lang/composer_cataloger.hpp"
#include "scanners/lang/dotnet_cataloger.hpp"
#include "scanners/lang/gem_cataloger.hpp"
#include "scanners/lang/go_binary_cataloger.hpp"
#include "scanners/lang/java_cataloger.hpp"
#include "scanners/lang/npm_cataloger.hpp"
#include "scanners/lang/python_cataloger.hpp"
#include "scanners/lang/runtime_cataloger.hpp"
#include "scanners/os/apk_cataloger.hpp"
#include "scanners/os/dpkg_cataloger.hpp"
#include "scanners/os/rpm_cataloger.hpp"
#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

const os_info debian12{"debian", "12", "bookworm", ""};
const os_info alpine{"alpine", "3.19.1", "", ""};
const os_info rocky9{"rocky", "9.3", "", ""};

// Parses `content` as `path` and checks: `good` packages listed, and a note
// that names the file and contains `record`.
void expect_noted(const cataloger& c, std::string_view path, std::string_view content,
                  const os_info& os, size_t good, const std::string& record) {
  SCOPED_TRACE(std::string(c.name()) + " " + std::string(path));
  inventory inv;
  c.parse(path, content, "l", os, inv);
  EXPECT_EQ(inv.packages.size(), good);
  bool found = false;
  for (const auto& n : inv.notes)
    found = found || (n.find(path) != std::string::npos && n.find(record) != std::string::npos);
  EXPECT_TRUE(found) << "no note names " << path << " and " << record << "; notes: "
                     << inv.notes.size() << (inv.notes.empty() ? "" : ", first: " + inv.notes[0]);
}

TEST(malformed_record_notes, dpkg) {
  expect_noted(dpkg_cataloger{}, "var/lib/dpkg/status",
               "Package: good\nStatus: install ok installed\nVersion: 1.0\n\n"
               "Package: bad\nStatus: install ok installed\n\n",
               debian12, 1, "stanza at line 5");
}

TEST(malformed_record_notes, apk) {
  expect_noted(apk_cataloger{}, "lib/apk/db/installed", "P:good\nV:1.0-r0\n\nP:bad\nA:x86_64\n\n",
               alpine, 1, "line 4");
}

// The rpmdb fixture with one more row whose header is garbage.
TEST(malformed_record_notes, rpm) {
  auto db = std::filesystem::temp_directory_path() / ("regscan-rpmdb-" + std::to_string(getpid()));
  {
    std::ofstream(db, std::ios::binary) << testdata::read("rpm/rpmdb.sqlite");
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "INSERT INTO Packages(blob) VALUES(x'000000100000002000010203040506070809')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  std::ifstream in(db, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(db);
  inventory good;
  rpm_cataloger{}.parse("var/lib/rpm/rpmdb.sqlite", testdata::read("rpm/rpmdb.sqlite"), "l", rocky9,
                        good);
  expect_noted(rpm_cataloger{}, "var/lib/rpm/rpmdb.sqlite", bytes, rocky9, good.packages.size(),
               "skipped record #" + std::to_string(good.packages.size() + 1));
}

TEST(malformed_record_notes, npm) {
  expect_noted(npm_cataloger{}, "app/package-lock.json",
               R"({"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0"},
                   "node_modules/b": "not an object", "node_modules/c": {}}})",
               {}, 1, "node_modules/c has no version");
  expect_noted(npm_cataloger{}, "app/yarn.lock", "a@^1:\n  version \"1.0.0\"\n\nb@^2:\n  resolved \"x\"\n",
               {}, 1, "(b@^2) has no version");
  expect_noted(npm_cataloger{}, "app/yarn.lock",
               "__metadata:\n  version: 8\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n"
               "\"b@npm:^2\": oops\n",
               {}, 1, "entry b@npm:^2 is not a mapping");
  expect_noted(npm_cataloger{}, "app/pnpm-lock.yaml",
               "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n"
               "  no-version-in-key:\n    dev: false\n",
               {}, 1, "package no-version-in-key");
  expect_noted(npm_cataloger{}, "app/node_modules/x/package.json", R"({"name": "x"})", {}, 0,
               "no name or no version");
}

TEST(malformed_record_notes, composer) {
  expect_noted(composer_cataloger{}, "app/vendor/composer/installed.json",
               R"({"packages": [{"name": "a/b", "version": "1.0.0"}, {"name": "c/d"}]})", {}, 1,
               "package #2 (c/d)");
}

TEST(malformed_record_notes, dotnet) {
  expect_noted(dotnet_cataloger{}, "app/app.deps.json",
               R"({"libraries": {"Good/1.0.0": {"type": "package"}, "Bad": {"type": "package"}}})",
               {}, 1, "library key Bad");
}

TEST(malformed_record_notes, go_binary) {
  go_build_info info;
  info.go_version = "go1.22.3";
  info.mod_info = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
                  "dep\tgolang.org/x/text\tv0.14.0\th1:x\ndep\tbroken\n";
  inventory inv;
  add_go_modules(info, "usr/bin/app", "l", inv);
  EXPECT_EQ(inv.packages.size(), 3u); // stdlib, the main module, x/text
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("usr/bin/app"), std::string::npos) << inv.notes[0];
  EXPECT_NE(inv.notes[0].find("\"dep\tbroken\""), std::string::npos) << inv.notes[0];
}

// The real auditable binary's dependency list has a local root crate and a
// git dependency: both skipped, both named.
TEST(malformed_record_notes, cargo_auditable) {
  expect_noted(cargo_auditable_cataloger{}, "usr/local/bin/hello",
               testdata::read("cargo_auditable/hello-auditable"), {}, 3, "from source \"git\"");
}

// A jar holding one good and one bad pom.properties.
std::string jar(const std::vector<std::pair<std::string, std::string>>& members) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(src);
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  for (const auto& [name, text] : members) {
    auto* s = zip_source_buffer(z, text.data(), text.size(), 0);
    zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
  }
  zip_close(z);
  zip_source_open(src);
  zip_source_seek(src, 0, SEEK_END);
  auto size = zip_source_tell(src);
  zip_source_seek(src, 0, SEEK_SET);
  std::string out(static_cast<size_t>(size), '\0');
  zip_source_read(src, out.data(), size);
  zip_source_close(src);
  zip_source_free(src);
  return out;
}

TEST(malformed_record_notes, java) {
  auto bytes = jar({{"META-INF/maven/org.a/good/pom.properties",
                     "groupId=org.a\nartifactId=good\nversion=1.0\n"},
                    {"META-INF/maven/org.a/bad/pom.properties", "groupId=org.a\nartifactId=bad\n"}});
  expect_noted(java_cataloger{}, "app/lib/x.jar", bytes, {}, 1,
               "x.jar!/META-INF/maven/org.a/bad/pom.properties");
}

// One record per file: the file is the record.
TEST(malformed_record_notes, gem) {
  expect_noted(gem_cataloger{}, "usr/lib/ruby/gems/3.1.0/specifications/x.gemspec",
               "Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n", {}, 0, "x.gemspec");
}

TEST(malformed_record_notes, python) {
  expect_noted(python_cataloger{}, "usr/lib/python3/dist-packages/x-1.dist-info/METADATA",
               "Metadata-Version: 2.1\nName: x\n", {}, 0, "x-1.dist-info/METADATA");
}

TEST(malformed_record_notes, runtime) {
  expect_noted(runtime_cataloger{}, "opt/java/openjdk/release", "IMPLEMENTOR=\"x\"\n", {}, 0,
               "opt/java/openjdk/release");
}

} // namespace
} // namespace regscan
