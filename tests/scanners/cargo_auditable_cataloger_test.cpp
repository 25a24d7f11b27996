#include "scanners/lang/cargo_auditable_cataloger.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

TEST(cargo_auditable_cataloger, wants_executables) {
  cargo_auditable_cataloger c;
  EXPECT_FALSE(c.wants("usr/local/bin/app"));
  EXPECT_TRUE(c.wants_executable("usr/local/bin/app", 0755, 4096));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/tiny", 0755, 10));
}

TEST(cargo_auditable_cataloger, dep_v0_section) {
  cargo_auditable_cataloger c;
  inventory inv;
  c.parse("usr/local/bin/hello", testdata::read("cargo_auditable/hello-auditable"), "l",
          os_info{}, inv);
  // The local root crate and the git dependency are named in notes.
  ASSERT_EQ(inv.notes.size(), 2u);
  for (const auto& n : inv.notes) {
    EXPECT_NE(n.find("usr/local/bin/hello: package "), std::string::npos) << n;
    EXPECT_NE(n.find("not crates.io; not listed"), std::string::npos) << n;
  }
  // itoa, serde, cc (a build dependency is still compiled code); not the
  // local root, not the git dependency.
  ASSERT_EQ(inv.packages.size(), 3u);
  EXPECT_EQ(inv.packages[0].ecosystem, "crates.io");
  EXPECT_EQ(inv.packages[0].name, "itoa");
  EXPECT_EQ(inv.packages[0].version, "1.0.9");
  EXPECT_EQ(inv.packages[1].name, "serde");
  EXPECT_EQ(inv.packages[2].name, "cc");
  EXPECT_EQ(inv.packages[0].file, "usr/local/bin/hello");
}

TEST(cargo_auditable_cataloger, binary_without_section_is_silent) {
  cargo_auditable_cataloger c;
  inventory inv;
  c.parse("usr/bin/hello", testdata::read("cargo_auditable/hello-plain"), "l", os_info{}, inv);
  c.parse("usr/bin/script", "#!/bin/sh\necho hi\n", "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  EXPECT_TRUE(inv.notes.empty());
}

TEST(cargo_auditable_cataloger, corrupted_binaries_never_crash) {
  cargo_auditable_cataloger c;
  auto full = testdata::read("cargo_auditable/hello-auditable");
  auto section = elf_section(full, ".dep-v0");
  ASSERT_TRUE(section);
  ASSERT_FALSE(section->empty());
  size_t at = section->data() - full.data();
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    auto bytes = full;
    // Half the rounds hit the section itself, half anywhere (ELF headers too).
    for (int i = 0; i < 4; ++i) {
      size_t pos = round % 2 ? at + rng() % section->size() : rng() % bytes.size();
      bytes[pos] = static_cast<char>(rng());
    }
    inventory inv;
    c.parse("bin/x", bytes, "l", os_info{}, inv);
    EXPECT_LE(inv.packages.size(), 5u);
  }
  inventory inv;
  c.parse("bin/x", std::string_view(full).substr(0, at + 10), "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
}

} // namespace
} // namespace regscan
