#include "scanners/lang/gem_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

TEST(gem_cataloger, wants) {
  gem_cataloger c;
  EXPECT_TRUE(c.wants("usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"));
  EXPECT_TRUE(c.wants("usr/lib/ruby/gems/3.1.0/specifications/default/csv-3.2.2.gemspec"));
  EXPECT_TRUE(c.wants("usr/local/bundle/specifications/rails-7.1.2.gemspec"));
  EXPECT_FALSE(c.wants("app/myapp.gemspec"));
  EXPECT_FALSE(c.wants("usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec.bak"));
}

TEST(gem_cataloger, rubygems_written_specs) {
  gem_cataloger c;
  inventory inv;
  for (auto name : {"rake-13.0.6.gemspec", "minitest-5.15.0.gemspec", "default/csv-3.2.2.gemspec"})
    c.parse(std::string("usr/lib/ruby/gems/3.1.0/specifications/") + name,
            testdata::read(std::string("gem/specifications/") + name), "l", os_info{}, inv);
  EXPECT_TRUE(inv.notes.empty());
  ASSERT_EQ(inv.packages.size(), 3u);
  EXPECT_EQ(inv.packages[0].ecosystem, "RubyGems");
  EXPECT_EQ(inv.packages[0].name, "rake");
  EXPECT_EQ(inv.packages[0].version, "13.0.6");
  EXPECT_EQ(inv.packages[0].file, "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec");
  EXPECT_EQ(inv.packages[1].name, "minitest");
  EXPECT_EQ(inv.packages[1].version, "5.15.0");
  EXPECT_EQ(inv.packages[2].name, "csv");
  EXPECT_EQ(inv.packages[2].version, "3.2.2");
}

TEST(gem_cataloger, older_literal_styles_and_stub_fallback) {
  gem_cataloger c;
  inventory inv;
  c.parse("specifications/a.gemspec",
          "Gem::Specification.new do |spec|\n  spec.name = %q{nokogiri}\n"
          "  spec.version = '1.15.4'\nend\n",
          "l", os_info{}, inv);
  c.parse("specifications/b.gemspec", "# stub: json 2.6.1 ruby lib\n", "l", os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].name, "nokogiri");
  EXPECT_EQ(inv.packages[0].version, "1.15.4");
  EXPECT_EQ(inv.packages[1].name, "json");
  EXPECT_EQ(inv.packages[1].version, "2.6.1");
}

TEST(gem_cataloger, no_name_is_a_note) {
  gem_cataloger c;
  inventory inv;
  c.parse("specifications/x.gemspec", "puts 'hello'\n s.name = \"unterminated\n", "l",
          os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("specifications/x.gemspec"), std::string::npos);
}

} // namespace
} // namespace regscan
