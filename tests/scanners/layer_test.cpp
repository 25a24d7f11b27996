// The streaming layer walk: decompressor, tar reader and image analyzer, fed
// with tars written here and compressed by the real gzip/zstd/tar tools.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scanners/catalogers.hpp"
#include "scanners/layer/decompressor.hpp"
#include "scanners/layer/image_analyzer.hpp"
#include "scanners/layer/tar_reader.hpp"
#include "tests/scanners/tar_builder.hpp"

namespace regscan {
namespace {

namespace fs = std::filesystem;

// --- compression through the real tools -------------------------------------

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "regscan_layer_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string run(const std::string& command) {
  std::string result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe)
    return result;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    result.append(buf, n);
  pclose(pipe);
  return result;
}

std::string compress_with(const std::string& tool, std::string_view data) {
  temp_dir dir;
  auto input = dir.path / "in";
  write_all(input, data);
  return run(tool + " < '" + input.string() + "'");
}

std::string gzip(std::string_view data) { return compress_with("gzip -c", data); }
std::string zstd(std::string_view data) { return compress_with("zstd -q -c", data); }

// --- feeding in chunks -------------------------------------------------------

enum class chunking { whole, one_byte, random };

template <class Feed>
auto feed_chunked(std::string_view data, chunking mode, Feed&& feed, uint32_t seed = 42)
  -> decltype(feed(nullptr, 0)) {
  auto p = reinterpret_cast<const uint8_t*>(data.data());
  std::mt19937 rng(seed);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = data.size() - pos;
    if (mode == chunking::one_byte)
      n = 1;
    else if (mode == chunking::random)
      n = std::min<size_t>(n, std::uniform_int_distribution<size_t>(1, 3000)(rng));
    if (auto r = feed(p + pos, n); !r)
      return r;
    pos += n;
  }
  return {};
}

// --- decompressor ------------------------------------------------------------

struct decompress_result {
  std::string out;
  std::string error; // empty when the stream ended cleanly
  compression format = compression::unknown;
};

decompress_result decompress(std::string_view in, chunking mode = chunking::whole,
                             uint64_t limit = 1ull << 32) {
  decompressor d(limit);
  decompress_result res;
  decompressor::sink sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    res.out.append(reinterpret_cast<const char*>(p), n);
    return {};
  };
  auto r = feed_chunked(in, mode, [&](const uint8_t* p, size_t n) { return d.feed(p, n, sink); });
  if (r)
    r = d.finish(sink);
  if (!r)
    res.error = r.err().message;
  res.format = d.format();
  return res;
}

std::string sample_data(size_t size) {
  // Compressible but not trivial, so deflate emits many blocks.
  std::string s;
  std::mt19937 rng(7);
  while (s.size() < size)
    s += "line " + std::to_string(rng() % 1000) + " of the sample\n";
  s.resize(size);
  return s;
}

TEST(decompressor, plain_passes_through) {
  auto data = sample_data(100000);
  for (auto mode : {chunking::whole, chunking::one_byte, chunking::random}) {
    auto r = decompress(data, mode);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.format, compression::none);
    EXPECT_EQ(r.out, data);
  }
}

TEST(decompressor, tiny_and_empty_streams) {
  EXPECT_EQ(decompress("").out, "");
  EXPECT_EQ(decompress("").error, "");
  EXPECT_EQ(decompress("\x1f").out, "\x1f");       // too short to be gzip
  EXPECT_EQ(decompress("\x28\xb5\x2f").out, "\x28\xb5\x2f");
  EXPECT_EQ(decompress("ab").format, compression::none);
}

TEST(decompressor, gzip_any_chunking) {
  auto data = sample_data(3 << 20); // several 256 KiB output buffers
  auto gz = gzip(data);
  ASSERT_GT(gz.size(), 2u);
  for (auto mode : {chunking::whole, chunking::random}) {
    auto r = decompress(gz, mode);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.format, compression::gzip);
    EXPECT_TRUE(r.out == data);
  }
  auto small = sample_data(20000);
  auto r = decompress(gzip(small), chunking::one_byte);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, small);
}

TEST(decompressor, zstd_any_chunking) {
  auto data = sample_data(3 << 20);
  auto zs = zstd(data);
  ASSERT_GT(zs.size(), 4u);
  for (auto mode : {chunking::whole, chunking::random}) {
    auto r = decompress(zs, mode);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.format, compression::zstd);
    EXPECT_TRUE(r.out == data);
  }
  auto small = sample_data(20000);
  auto r = decompress(zstd(small), chunking::one_byte);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, small);
}

TEST(decompressor, concatenated_gzip_members) {
  auto a = sample_data(300000), b = std::string("second member\n"), c = sample_data(5000);
  auto gz = gzip(a) + gzip(b) + gzip(c);
  for (auto mode : {chunking::whole, chunking::one_byte, chunking::random}) {
    auto r = decompress(gz, mode);
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.out == a + b + c);
  }
}

TEST(decompressor, concatenated_zstd_frames) {
  auto a = sample_data(100000), b = sample_data(777);
  auto r = decompress(zstd(a) + zstd(b), chunking::random);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.out == a + b);
}

TEST(decompressor, gzip_trailing_zero_padding_is_ignored) {
  auto data = sample_data(1000);
  auto r = decompress(gzip(data) + std::string(512, '\0'), chunking::random);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, data);
}

TEST(decompressor, truncated_gzip) {
  auto gz = gzip(sample_data(200000));
  for (size_t cut : {size_t{2}, size_t{10}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    auto r = decompress(std::string_view(gz).substr(0, cut), chunking::random);
    EXPECT_EQ(r.error, "truncated gzip stream") << "cut at " << cut;
  }
}

TEST(decompressor, truncated_zstd) {
  auto zs = zstd(sample_data(200000));
  for (size_t cut : {size_t{4}, size_t{10}, zs.size() / 2, zs.size() - 1}) {
    auto r = decompress(std::string_view(zs).substr(0, cut));
    EXPECT_EQ(r.error, "truncated zstd stream") << "cut at " << cut;
  }
}

TEST(decompressor, corrupt_gzip) {
  auto gz = gzip(sample_data(200000));
  auto bad = gz;
  for (size_t i = 20; i < 60; ++i)
    bad[bad.size() / 2 + i] = static_cast<char>(bad[bad.size() / 2 + i] ^ 0x5a);
  auto r = decompress(bad, chunking::random);
  EXPECT_NE(r.error, "");
  EXPECT_NE(r.error.find("gzip"), std::string::npos) << r.error;

  auto bad_crc = gz;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  EXPECT_EQ(decompress(bad_crc).error, "corrupt gzip stream: checksum mismatch");

  auto bad_method = gz;
  bad_method[2] = 7; // not deflate
  EXPECT_NE(decompress(bad_method).error.find("corrupt gzip stream"), std::string::npos);
}

TEST(decompressor, corrupt_zstd) {
  auto zs = zstd(sample_data(200000));
  for (size_t i = 10; i < 40; ++i)
    zs[zs.size() / 2 + i] = static_cast<char>(zs[zs.size() / 2 + i] ^ 0x5a);
  auto r = decompress(zs);
  EXPECT_NE(r.error.find("corrupt zstd stream"), std::string::npos) << r.error;
}

TEST(decompressor, bomb_limit) {
  std::string zeros(20 << 20, '\0');
  auto gz = gzip(zeros);
  EXPECT_LT(gz.size(), 100000u);
  auto r = decompress(gz, chunking::random, 1 << 20);
  EXPECT_EQ(r.error, "decompressed size limit exceeded (bomb?)");
  EXPECT_LE(r.out.size(), 1u << 20);
  auto z = decompress(zstd(zeros), chunking::whole, 1 << 20);
  EXPECT_EQ(z.error, "decompressed size limit exceeded (bomb?)");
  auto plain = decompress(std::string(2 << 20, 'x'), chunking::whole, 1 << 20);
  EXPECT_EQ(plain.error, "decompressed size limit exceeded (bomb?)");
  // Exactly at the limit is fine.
  EXPECT_EQ(decompress(gzip(std::string(1 << 20, 'a')), chunking::whole, 1 << 20).error, "");
}

TEST(decompressor, errors_are_sticky_and_sink_errors_propagate) {
  decompressor d(1 << 20);
  int calls = 0;
  decompressor::sink sink = [&](const uint8_t*, size_t) -> expected<void> {
    ++calls;
    return make_error("sink says no");
  };
  std::string data = "plain data";
  auto p = reinterpret_cast<const uint8_t*>(data.data());
  auto r = d.feed(p, data.size(), sink);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "sink says no");
  EXPECT_FALSE(d.feed(p, data.size(), sink));
  EXPECT_FALSE(d.finish(sink));
  EXPECT_EQ(calls, 1);
}

// --- tar reader --------------------------------------------------------------

struct recorded_entry {
  tar_entry entry;
  std::string content;
  bool ended = false;
};

struct recorder final : tar_visitor {
  std::vector<recorded_entry> entries;
  std::function<bool(const tar_entry&)> want = [](const tar_entry&) { return true; };
  bool entry_begin(const tar_entry& e) override {
    entries.push_back({e, "", false});
    return want(e);
  }
  expected<void> entry_data(const uint8_t* p, size_t n) override {
    entries.back().content.append(reinterpret_cast<const char*>(p), n);
    return {};
  }
  expected<void> entry_end() override {
    entries.back().ended = true;
    return {};
  }
};

struct tar_result {
  std::vector<recorded_entry> entries;
  std::string error;
  uint64_t unsafe = 0;
};

tar_result read_tar(std::string_view data, chunking mode = chunking::whole, tar_limits limits = {},
                    uint32_t seed = 42) {
  recorder rec;
  tar_reader reader(rec, limits);
  auto r = feed_chunked(data, mode, [&](const uint8_t* p, size_t n) { return reader.feed(p, n); },
                        seed);
  if (r)
    r = reader.finish();
  tar_result res;
  res.entries = std::move(rec.entries);
  res.unsafe = reader.unsafe_entries();
  if (!r)
    res.error = r.err().message;
  return res;
}

std::string describe(const tar_result& r) {
  std::string s = "error=" + r.error + " unsafe=" + std::to_string(r.unsafe) + "\n";
  for (const auto& e : r.entries)
    s += e.entry.path + " t=" + std::to_string(static_cast<int>(e.entry.type)) + " l="
         + e.entry.link_target + " s=" + std::to_string(e.entry.size) + " m="
         + std::to_string(e.entry.mode) + " c=" + e.content + " end=" + std::to_string(e.ended)
         + "\n";
  return s;
}

TEST(tar_reader, normalize_paths) {
  std::string out;
  auto norm = [&](std::string_view in) -> std::string {
    return normalize_tar_path(in, out) ? out : "<escape>";
  };
  EXPECT_EQ(norm("./etc/os-release"), "etc/os-release");
  EXPECT_EQ(norm("/etc//passwd"), "etc/passwd");
  EXPECT_EQ(norm("a/./b/../c/"), "a/c");
  EXPECT_EQ(norm("./"), "");
  EXPECT_EQ(norm("a/.."), "");
  EXPECT_EQ(norm("../etc/passwd"), "<escape>");
  EXPECT_EQ(norm("a/../../b"), "<escape>");
  EXPECT_EQ(norm("/../x"), "<escape>");
  EXPECT_EQ(norm("a/b/../../.."), "<escape>");
  EXPECT_EQ(norm("..."), "...");
}

TEST(tar_reader, entry_types_and_content) {
  tar_builder t;
  t.dir("./etc/")
    .file("./etc/hello", "hello world\n", 0600)
    .symlink("etc/link", "../usr/lib/os-release")
    .hardlink("etc/hard", "./etc/hello")
    .entry({.name = "dev/null", .type = '3', .mode = 0666})
    .file("empty", "")
    .entry({.name = "contig", .type = '7'}, "c")
    .entry({.name = "v7file", .type = '\0', .format = tar_format::v7}, "old");
  auto r = read_tar(t.finish());
  ASSERT_EQ(r.error, "") << describe(r);
  ASSERT_EQ(r.entries.size(), 8u);
  EXPECT_EQ(r.entries[0].entry.path, "etc");
  EXPECT_EQ(r.entries[0].entry.type, tar_entry_type::dir);
  EXPECT_EQ(r.entries[1].entry.path, "etc/hello");
  EXPECT_EQ(r.entries[1].entry.type, tar_entry_type::file);
  EXPECT_EQ(r.entries[1].entry.mode, 0600u);
  EXPECT_EQ(r.entries[1].entry.size, 12u);
  EXPECT_EQ(r.entries[1].content, "hello world\n");
  EXPECT_TRUE(r.entries[1].ended);
  EXPECT_EQ(r.entries[2].entry.type, tar_entry_type::symlink);
  EXPECT_EQ(r.entries[2].entry.link_target, "../usr/lib/os-release"); // as stored
  EXPECT_EQ(r.entries[3].entry.type, tar_entry_type::hardlink);
  EXPECT_EQ(r.entries[3].entry.link_target, "etc/hello"); // normalized
  EXPECT_EQ(r.entries[4].entry.type, tar_entry_type::other);
  EXPECT_EQ(r.entries[5].entry.size, 0u);
  EXPECT_TRUE(r.entries[5].ended);
  EXPECT_EQ(r.entries[6].content, "c");
  EXPECT_EQ(r.entries[6].entry.type, tar_entry_type::file);
  EXPECT_EQ(r.entries[7].content, "old");
}

TEST(tar_reader, chunking_gives_identical_results) {
  tar_builder t;
  t.file("a", sample_data(70000)).gnu_long('L', std::string(300, 'n') + "/file").file("x", "long");
  t.pax({{"path", "pax/" + std::string(200, 'p')}, {"mtime", "1.5"}}).file("y", sample_data(513));
  t.file("b", std::string(511, 'b'));
  auto data = t.finish();
  auto whole = describe(read_tar(data));
  EXPECT_EQ(describe(read_tar(data, chunking::one_byte)), whole);
  for (uint32_t seed = 1; seed < 6; ++seed)
    EXPECT_EQ(describe(read_tar(data, chunking::random, {}, seed)), whole);
  EXPECT_NE(whole.find("error= unsafe=0"), std::string::npos) << whole;
}

TEST(tar_reader, skipped_content_is_not_delivered) {
  tar_builder t;
  t.file("big", sample_data(10000)).file("small", "s");
  recorder rec;
  rec.want = [](const tar_entry& e) { return e.path == "small"; };
  tar_reader reader(rec);
  auto data = t.finish();
  ASSERT_TRUE(reader.feed(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  ASSERT_TRUE(reader.finish());
  ASSERT_EQ(rec.entries.size(), 2u);
  EXPECT_EQ(rec.entries[0].content, "");
  EXPECT_FALSE(rec.entries[0].ended);
  EXPECT_EQ(rec.entries[1].content, "s");
  EXPECT_TRUE(reader.at_end());
}

TEST(tar_reader, gnu_long_name_and_link) {
  std::string long_name = "usr/share/" + std::string(150, 'd') + "/" + std::string(120, 'f');
  std::string long_link = "/opt/" + std::string(180, 't');
  tar_builder t;
  t.format = tar_format::gnu;
  t.gnu_long('L', long_name).gnu_long('K', long_link);
  t.entry({.name = long_name.substr(0, 100), .type = '2', .link = long_link.substr(0, 100)});
  t.gnu_long('L', long_name + "2").file(long_name.substr(0, 100), "content");
  t.file("short", "s"); // overrides apply to one entry only
  auto r = read_tar(t.finish(), chunking::random);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].entry.path, long_name);
  EXPECT_EQ(r.entries[0].entry.link_target, long_link);
  EXPECT_EQ(r.entries[1].entry.path, long_name + "2");
  EXPECT_EQ(r.entries[1].content, "content");
  EXPECT_EQ(r.entries[2].entry.path, "short");
}

TEST(tar_reader, pax_headers) {
  std::string long_path = "var/" + std::string(250, 'x') + "/status";
  tar_builder t;
  t.pax({{"comment", "global, ignored"}, {"path", "ignored/global"}}, 'g');
  t.pax({{"path", long_path}, {"uid", "0"}, {"hdrcharset", "BINARY"}});
  t.file("truncated-name", "pax content");
  t.pax({{"linkpath", "target/" + std::string(150, 'l')}});
  t.symlink("link", "short");
  // pax size overrides the header's size field (for files over 8 GiB).
  t.pax({{"size", "5"}});
  t.entry({.name = "sized", .size = 1}, "12345");
  t.file("after", "ok");
  auto r = read_tar(t.finish(), chunking::random);
  ASSERT_EQ(r.error, "") << describe(r);
  ASSERT_EQ(r.entries.size(), 4u) << describe(r);
  EXPECT_EQ(r.entries[0].entry.path, long_path);
  EXPECT_EQ(r.entries[0].content, "pax content");
  EXPECT_EQ(r.entries[1].entry.link_target, "target/" + std::string(150, 'l'));
  EXPECT_EQ(r.entries[2].entry.path, "sized");
  EXPECT_EQ(r.entries[2].content, "12345");
  EXPECT_EQ(r.entries[3].entry.path, "after");
  EXPECT_EQ(r.entries[3].content, "ok");
}

TEST(tar_reader, malformed_pax_is_an_error) {
  tar_builder t;
  std::string bad = "99 path=x\n";
  t.out += tar_header({.name = "p", .type = 'x', .size = bad.size()});
  t.out += pad(bad);
  t.file("f", "x");
  EXPECT_EQ(read_tar(t.finish()).error, "malformed pax header");
}

TEST(tar_reader, ustar_prefix_and_base256_size) {
  tar_builder t;
  t.entry({.name = "file", .prefix = "very/long/prefix"}, "p");
  t.entry({.name = "b256", .base256_size = true}, std::string(1000, 'z'));
  auto r = read_tar(t.finish());
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].entry.path, "very/long/prefix/file");
  EXPECT_EQ(r.entries[1].entry.size, 1000u);
  EXPECT_EQ(r.entries[1].content, std::string(1000, 'z'));
}

TEST(tar_reader, escaping_paths_are_never_delivered) {
  tar_builder t;
  t.file("../../etc/shadow", "evil")
    .file("a/../../b", "evil")
    .file("/abs/ok", "absolute paths stay inside the root")
    .hardlink("h", "../../../etc/passwd")
    .symlink("s", "../../../../etc/passwd") // targets are resolved later, inside the root
    .file("./", "")
    .file("fine", "f");
  auto r = read_tar(t.finish());
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.unsafe, 3u);
  ASSERT_EQ(r.entries.size(), 3u) << describe(r);
  EXPECT_EQ(r.entries[0].entry.path, "abs/ok");
  EXPECT_EQ(r.entries[1].entry.path, "s");
  EXPECT_EQ(r.entries[2].entry.path, "fine");
  for (const auto& e : r.entries) {
    EXPECT_NE(e.content, "evil");
    EXPECT_FALSE(e.entry.path.starts_with("/"));
  }
}

TEST(tar_reader, checksum_mismatch) {
  tar_builder t;
  t.file("ok", "x").entry({.name = "bad", .bad_checksum = true}, "y");
  EXPECT_EQ(read_tar(t.finish()).error, "corrupt tar header (checksum mismatch)");
  EXPECT_EQ(read_tar(std::string(1024, 'A')).error, "not a tar archive (bad header checksum)");
}

TEST(tar_reader, end_of_archive) {
  tar_builder t;
  t.file("a", "1");
  std::string no_trailer = t.out;
  auto r = read_tar(no_trailer);
  EXPECT_EQ(r.error, ""); // EOF on a header boundary without zero blocks
  EXPECT_EQ(r.entries.size(), 1u);
  // Anything after the two zero blocks is record padding.
  auto with_junk = t.finish() + "junk after the end";
  EXPECT_EQ(read_tar(with_junk).error, "");
  EXPECT_EQ(read_tar("").error, "");
}

TEST(tar_reader, truncation) {
  tar_builder t;
  t.file("a", sample_data(2000));
  auto data = t.out;
  EXPECT_EQ(read_tar(data.substr(0, 100)).error, "truncated tar stream");    // mid header
  EXPECT_EQ(read_tar(data.substr(0, 1000)).error, "truncated tar stream");   // mid content
  EXPECT_EQ(read_tar(data.substr(0, 512 + 2001)).error, "truncated tar stream"); // mid padding
  tar_builder meta_only;
  meta_only.gnu_long('L', "name");
  EXPECT_EQ(read_tar(meta_only.out).error, "truncated tar stream");
}

TEST(tar_reader, limits) {
  tar_builder many;
  for (int i = 0; i < 11; ++i)
    many.file("f" + std::to_string(i), "");
  auto r = read_tar(many.finish(), chunking::whole, tar_limits{.max_entries = 10});
  EXPECT_EQ(r.error, "tar entry limit exceeded (max_entries=10)");
  EXPECT_EQ(r.entries.size(), 10u);

  tar_builder long_path;
  long_path.gnu_long('L', std::string(5000, 'a')).file("x", "");
  EXPECT_EQ(read_tar(long_path.finish()).error, "tar path too long (max_path_length=4096)");

  tar_builder big_meta;
  big_meta.out += tar_header({.name = "././@LongLink", .type = 'L', .size = (1 << 20) + 1});
  EXPECT_EQ(read_tar(big_meta.out).error, "tar metadata header too large (1048577 bytes)");
  tar_builder big_pax;
  big_pax.out += tar_header({.name = "p", .type = 'x', .size = uint64_t{1} << 40});
  EXPECT_NE(read_tar(big_pax.out).error.find("tar metadata header too large"), std::string::npos);
}

TEST(tar_reader, hostile_headers_do_not_crash) {
  std::mt19937 rng(1);
  tar_builder t;
  t.file("a", "1").pax({{"path", "p"}}).file("b", "2");
  auto good = t.finish();
  for (int i = 0; i < 300; ++i) {
    auto data = good;
    for (int k = 0; k < 4; ++k)
      data[rng() % data.size()] = static_cast<char>(rng());
    EXPECT_NO_FATAL_FAILURE(read_tar(data, chunking::random));
  }
}

// --- image analyzer ----------------------------------------------------------

struct layer_blob {
  std::string digest;
  std::string bytes;
};

struct analysis {
  inventory inv;
  std::vector<std::string> layer_errors; // one per layer, "" when fine
};

analysis analyze(const std::vector<layer_blob>& layers, chunking mode = chunking::whole,
                 analysis_limits limits = {}) {
  image_analyzer a(limits);
  analysis res;
  for (const auto& l : layers) {
    a.begin_layer(l.digest);
    auto r = feed_chunked(l.bytes, mode, [&](const uint8_t* p, size_t n) { return a.feed(p, n); });
    auto e = a.end_layer();
    res.layer_errors.push_back(!r ? r.err().message : !e ? e.err().message : "");
  }
  res.inv = a.finish();
  return res;
}

std::string describe(const inventory& inv) {
  std::string s = "os=" + inv.os.id + "/" + inv.os.version_id + "/" + inv.os.version_codename
                  + " complete=" + std::to_string(inv.complete) + "\n";
  for (const auto& p : inv.packages)
    s += p.ecosystem + " " + p.name + " " + p.version + " src=" + p.source_name + " "
         + p.source_version + " file=" + p.file + " layer=" + p.layer + "\n";
  for (const auto& n : inv.notes)
    s += "note: " + n + "\n";
  return s;
}

const package* find_pkg(const inventory& inv, std::string_view name) {
  for (const auto& p : inv.packages)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::string testdata(const std::string& name) {
  return read_all(fs::path(REGSCAN_SOURCE_DIR) / "scanners/testdata" / name);
}

std::string os_release_12() { return testdata("dpkg/os-release-debian12"); }

std::string stanza(const std::string& name, const std::string& version,
                   const std::string& extra = "") {
  return "Package: " + name + "\nStatus: install ok installed\nVersion: " + version + "\n" + extra;
}

// A Debian-like base: etc/os-release -> ../usr/lib/os-release, as Debian ships it.
std::string debian_base_tar() {
  tar_builder t;
  t.dir("./").dir("./etc/").dir("./usr/").dir("./usr/lib/")
    .file("./usr/lib/os-release", os_release_12())
    .symlink("./etc/os-release", "../usr/lib/os-release")
    .file("./etc/debian_version", "12.5\n")
    .file("./usr/bin/bash", sample_data(50000), 0755)
    .dir("./var/lib/dpkg/")
    .file("./var/lib/dpkg/status", testdata("dpkg/status"));
  return t.finish();
}

TEST(image_analyzer, debian_base_layer_every_compression_and_chunking) {
  auto tar = debian_base_tar();
  std::string baseline;
  for (const auto& blob : {tar, gzip(tar), zstd(tar)}) {
    for (auto mode : {chunking::whole, chunking::one_byte, chunking::random}) {
      auto res = analyze({{"sha256:base", blob}}, mode);
      EXPECT_EQ(res.layer_errors[0], "");
      auto d = describe(res.inv);
      if (baseline.empty())
        baseline = d;
      EXPECT_EQ(d, baseline);
    }
  }
  auto res = analyze({{"sha256:base", gzip(tar)}});
  const auto& inv = res.inv;
  EXPECT_TRUE(inv.complete);
  EXPECT_EQ(inv.os.id, "debian");
  EXPECT_EQ(inv.os.version_id, "12");
  EXPECT_EQ(inv.os.version_codename, "bookworm");
  ASSERT_EQ(inv.packages.size(), 6u) << describe(inv);
  auto* bash = find_pkg(inv, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->ecosystem, "Debian:12");
  EXPECT_EQ(bash->source_version, "5.2.15-2");
  EXPECT_EQ(bash->layer, "sha256:base");
  EXPECT_EQ(bash->file, "var/lib/dpkg/status");
  // The one note: the status file's removed package (dpkg names every stanza it skips).
  ASSERT_EQ(inv.notes.size(), 1u) << describe(inv);
  EXPECT_NE(inv.notes[0].find("not listed: oldpkg"), std::string::npos) << inv.notes[0];
}

TEST(image_analyzer, packages_name_the_layer_that_provided_the_file) {
  tar_builder upper;
  upper.file("var/lib/dpkg/status",
             testdata("dpkg/status") + "\n" + stanza("curl", "7.88.1-10+deb12u5", "Source: curl\n"));
  auto res = analyze({{"sha256:base", gzip(debian_base_tar())}, {"sha256:app", zstd(upper.finish())}});
  EXPECT_TRUE(res.inv.complete);
  ASSERT_EQ(res.inv.packages.size(), 7u);
  for (const auto& p : res.inv.packages)
    EXPECT_EQ(p.layer, "sha256:app");
  EXPECT_EQ(res.inv.os.id, "debian"); // os-release from the lower layer still applies
}

TEST(image_analyzer, whiteouts_delete_lower_files) {
  tar_builder l2;
  l2.whiteout("var/lib/dpkg/.wh.status");
  auto res = analyze({{"sha256:base", debian_base_tar()}, {"sha256:wh", l2.finish()}});
  EXPECT_TRUE(res.inv.packages.empty()) << describe(res.inv);
  EXPECT_EQ(res.inv.os.id, "debian");

  // Whiting out a directory removes everything below it.
  tar_builder dir_wh;
  dir_wh.whiteout("var/.wh.lib").whiteout("usr/.wh.lib");
  auto res2 = analyze({{"sha256:base", debian_base_tar()}, {"sha256:wh", dir_wh.finish()}});
  EXPECT_TRUE(res2.inv.packages.empty());
  EXPECT_EQ(res2.inv.os.id, "debian"); // etc/os-release dangles; etc/debian_version remains
  EXPECT_EQ(res2.inv.os.version_id, "12");

  // A whiteout only hides lower layers; a later layer can bring the file back.
  tar_builder l3;
  l3.file("var/lib/dpkg/status", stanza("zlib1g", "1:1.2.13.dfsg-1", "Source: zlib\n"));
  auto res3 = analyze({{"sha256:base", debian_base_tar()}, {"sha256:wh", l2.finish()},
                       {"sha256:back", l3.finish()}});
  ASSERT_EQ(res3.inv.packages.size(), 1u);
  EXPECT_EQ(res3.inv.packages[0].layer, "sha256:back");
}

TEST(image_analyzer, opaque_directories) {
  tar_builder l1;
  l1.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status.d/libc6", testdata("dpkg/status.d/libc6"))
    .file("var/lib/dpkg/status.d/tzdata", testdata("dpkg/status.d/tzdata"));
  tar_builder l2;
  // The new entry precedes the opaque marker in the same layer: it must stay.
  l2.dir("var/lib/dpkg/status.d/")
    .file("var/lib/dpkg/status.d/libssl3", testdata("dpkg/status.d/libssl3"))
    .whiteout("var/lib/dpkg/status.d/.wh..wh..opq");
  auto res = analyze({{"sha256:l1", gzip(l1.finish())}, {"sha256:l2", gzip(l2.finish())}},
                     chunking::random);
  ASSERT_EQ(res.inv.packages.size(), 1u) << describe(res.inv);
  EXPECT_EQ(res.inv.packages[0].name, "libssl3");
  EXPECT_EQ(res.inv.packages[0].layer, "sha256:l2");
  EXPECT_EQ(res.inv.packages[0].file, "var/lib/dpkg/status.d/libssl3");
  EXPECT_EQ(res.inv.os.id, "debian");
}

TEST(image_analyzer, distroless_status_d) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status.d/libc6", testdata("dpkg/status.d/libc6"))
    .file("var/lib/dpkg/status.d/libc6.md5sums", testdata("dpkg/status.d/libc6.md5sums"))
    .file("var/lib/dpkg/status.d/tzdata", testdata("dpkg/status.d/tzdata"));
  auto res = analyze({{"sha256:distroless", t.finish()}});
  ASSERT_EQ(res.inv.packages.size(), 2u) << describe(res.inv);
  EXPECT_EQ(find_pkg(res.inv, "libc6")->source_name, "glibc");
  EXPECT_EQ(find_pkg(res.inv, "tzdata")->ecosystem, "Debian:12");
  EXPECT_TRUE(res.inv.notes.empty()) << describe(res.inv);
}

TEST(image_analyzer, a_file_replaces_a_lower_symlink_and_vice_versa) {
  tar_builder l1;
  l1.file("usr/lib/os-release", "ID=debian\nVERSION_ID=11\n")
    .symlink("etc/os-release", "../usr/lib/os-release");
  tar_builder l2;
  l2.file("etc/os-release", "ID=ubuntu\nVERSION_ID=22.04\n");
  auto res = analyze({{"l1", l1.finish()}, {"l2", l2.finish()}});
  EXPECT_EQ(res.inv.os.id, "ubuntu");

  tar_builder l3;
  l3.symlink("etc/os-release", "/usr/lib/os-release"); // absolute: from the image root
  auto res2 = analyze({{"l1", l1.finish()}, {"l2", l2.finish()}, {"l3", l3.finish()}});
  EXPECT_EQ(res2.inv.os.id, "debian");
  EXPECT_EQ(res2.inv.os.version_id, "11");
}

TEST(image_analyzer, symlinks_never_escape_the_root) {
  tar_builder t;
  t.file("usr/lib/os-release", "ID=debian\nVERSION_ID=12\n")
    .symlink("etc/os-release", "../../../../../../usr/lib/os-release") // ".." stops at the root
    .symlink("lib", "usr/lib");
  auto res = analyze({{"l", t.finish()}});
  EXPECT_EQ(res.inv.os.version_id, "12");

  // Loops end after 40 hops instead of spinning.
  tar_builder loop;
  loop.symlink("etc/os-release", "a").symlink("etc/a", "b").symlink("etc/b", "os-release")
    .symlink("usr/lib/os-release", "/usr/lib/os-release");
  auto res2 = analyze({{"l", loop.finish()}});
  EXPECT_EQ(res2.inv.os.id, "");

  // Directory symlinks on the way are followed too.
  tar_builder dirs;
  dirs.symlink("lib2", "usr/lib").symlink("etc/os-release", "../lib2/os-release")
    .file("usr/lib/os-release", "ID=debian\nVERSION_ID=13\n");
  auto res3 = analyze({{"l", dirs.finish()}});
  EXPECT_EQ(res3.inv.os.version_id, "13");

  // A wanted symlink's target is kept when it comes later, even if no one wants it.
  tar_builder later;
  later.symlink("etc/os-release", "/opt/os/release")
    .file("opt/os/release", "ID=debian\nVERSION_ID=14\n");
  auto res4 = analyze({{"l", later.finish()}});
  EXPECT_EQ(res4.inv.os.version_id, "14");
}

TEST(image_analyzer, wanted_path_through_a_symlink) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .file("opt/dpkg-status", testdata("dpkg/status"))
    .symlink("var/lib/dpkg/status", "/opt/dpkg-status");
  // Only wanted files are kept: a symlink to an unwanted file seen earlier dangles, noted.
  auto res = analyze({{"l", t.finish()}});
  EXPECT_TRUE(res.inv.packages.empty());
  ASSERT_EQ(res.inv.notes.size(), 1u);
  EXPECT_NE(res.inv.notes[0].find("symlink"), std::string::npos);
  // When the target comes after the symlink (or in an upper layer), it is kept.
  tar_builder upper;
  upper.file("opt/dpkg-status", testdata("dpkg/status"));
  auto res_upper = analyze({{"l", t.finish()}, {"u", upper.finish()}});
  ASSERT_EQ(res_upper.inv.packages.size(), 6u) << describe(res_upper.inv);
  EXPECT_EQ(res_upper.inv.packages[0].file, "var/lib/dpkg/status");
  EXPECT_EQ(res_upper.inv.packages[0].layer, "u");

  tar_builder t2;
  t2.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status.d/libc6", stanza("libc6", "2.36-9"))
    .symlink("var/lib/dpkg/status", "status.d/libc6");
  auto res2 = analyze({{"l", t2.finish()}});
  // The file the link reaches is listed once, with the link as another path to it.
  ASSERT_EQ(res2.inv.packages.size(), 1u) << describe(res2.inv);
  EXPECT_EQ(res2.inv.packages[0].file, "var/lib/dpkg/status.d/libc6");
  ASSERT_EQ(res2.inv.linked_files.size(), 1u);
  EXPECT_EQ(res2.inv.linked_files[0].file, "var/lib/dpkg/status.d/libc6");
  EXPECT_EQ(res2.inv.linked_files[0].also_at, std::vector<std::string>{"var/lib/dpkg/status"});
}

TEST(image_analyzer, hardlinks_share_the_target_content) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status.d/libc6", testdata("dpkg/status.d/libc6"))
    .hardlink("var/lib/dpkg/status.d/libc6-copy", "var/lib/dpkg/status.d/libc6")
    .file("usr/share/unwanted", "x")
    .hardlink("var/lib/dpkg/status.d/lost", "usr/share/unwanted");
  auto res = analyze({{"l", t.finish()}});
  ASSERT_EQ(res.inv.packages.size(), 1u) << describe(res.inv);
  EXPECT_EQ(res.inv.packages[0].file, "var/lib/dpkg/status.d/libc6");
  ASSERT_EQ(res.inv.linked_files.size(), 1u);
  EXPECT_EQ(res.inv.linked_files[0].also_at,
            std::vector<std::string>{"var/lib/dpkg/status.d/libc6-copy"});
  EXPECT_FALSE(res.inv.complete); // the unwanted target's content was not kept
}

TEST(image_analyzer, escaping_entries_never_land_in_the_image) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .file("../../var/lib/dpkg/status", stanza("evil", "1"))
    .file("var/../../var/lib/dpkg/status", stanza("evil2", "1"))
    .file("/var/lib/dpkg/status.d/abs", stanza("abs", "1"));
  auto res = analyze({{"l", gzip(t.finish())}});
  ASSERT_EQ(res.inv.packages.size(), 1u) << describe(res.inv);
  EXPECT_EQ(res.inv.packages[0].name, "abs");
  EXPECT_EQ(res.inv.packages[0].file, "var/lib/dpkg/status.d/abs");
  ASSERT_EQ(res.inv.notes.size(), 1u);
  EXPECT_NE(res.inv.notes[0].find("2 entries with paths outside the image root"), std::string::npos);
}

TEST(image_analyzer, truncated_layer) {
  auto gz = gzip(debian_base_tar());
  auto res = analyze({{"sha256:cut", gz.substr(0, gz.size() / 2)}}, chunking::random);
  EXPECT_EQ(res.layer_errors[0], "truncated gzip stream");
  EXPECT_FALSE(res.inv.complete);
  ASSERT_FALSE(res.inv.notes.empty());
  EXPECT_EQ(res.inv.notes[0], "layer sha256:cut: truncated gzip stream");

  auto zs = zstd(debian_base_tar());
  auto res2 = analyze({{"sha256:cut", zs.substr(0, zs.size() - 3)}});
  EXPECT_EQ(res2.layer_errors[0], "truncated zstd stream");
  EXPECT_FALSE(res2.inv.complete);

  auto plain = debian_base_tar();
  auto res3 = analyze({{"sha256:cut", plain.substr(0, 700)}});
  EXPECT_EQ(res3.layer_errors[0], "truncated tar stream");
}

TEST(image_analyzer, corrupt_layer_keeps_later_layers) {
  auto gz = gzip(debian_base_tar());
  for (size_t i = 100; i < 200; ++i)
    gz[i] = static_cast<char>(gz[i] ^ 0xa5);
  tar_builder ok;
  ok.file("etc/os-release", os_release_12()).file("var/lib/dpkg/status", stanza("a", "1"));
  auto res = analyze({{"sha256:bad", gz}, {"sha256:ok", ok.finish()}}, chunking::random);
  EXPECT_NE(res.layer_errors[0], "");
  EXPECT_EQ(res.layer_errors[1], "");
  EXPECT_FALSE(res.inv.complete);
  ASSERT_EQ(res.inv.packages.size(), 1u);
  ASSERT_EQ(res.inv.notes.size(), 1u) << describe(res.inv); // one note per failed layer
  EXPECT_TRUE(res.inv.notes[0].starts_with("layer sha256:bad: ")) << res.inv.notes[0];

  // Not a tar at all.
  auto res2 = analyze({{"sha256:junk", gzip(sample_data(5000))}});
  EXPECT_EQ(res2.layer_errors[0], "not a tar archive (bad header checksum)");
}

TEST(image_analyzer, gzip_bomb_is_stopped) {
  tar_builder t;
  t.file("etc/os-release", os_release_12()).file("zeros", std::string(8 << 20, '\0'));
  auto res = analyze({{"sha256:bomb", gzip(t.finish())}}, chunking::whole,
                     analysis_limits{.max_layer_bytes = 1 << 20});
  EXPECT_EQ(res.layer_errors[0], "decompressed size limit exceeded (bomb?)");
  EXPECT_FALSE(res.inv.complete);
  EXPECT_NE(describe(res.inv).find("decompressed size limit exceeded"), std::string::npos);
  EXPECT_EQ(res.inv.os.id, "debian"); // what came before the limit is kept
}

TEST(image_analyzer, max_file_size) {
  tar_builder t;
  t.file("etc/os-release", os_release_12()).file("var/lib/dpkg/status", testdata("dpkg/status"));
  auto res = analyze({{"l", t.finish()}}, chunking::whole, analysis_limits{.max_file_size = 1000});
  EXPECT_TRUE(res.inv.packages.empty());
  EXPECT_FALSE(res.inv.complete);
  EXPECT_NE(describe(res.inv).find("max_file_size"), std::string::npos) << describe(res.inv);
  EXPECT_EQ(res.inv.os.id, "debian");
}

TEST(image_analyzer, debian_version_fallback) {
  tar_builder t;
  t.file("etc/debian_version", "11.9\n").file("var/lib/dpkg/status", stanza("x", "1"));
  auto res = analyze({{"l", t.finish()}});
  EXPECT_EQ(res.inv.os.id, "debian");
  EXPECT_EQ(res.inv.os.version_id, "11");
  ASSERT_EQ(res.inv.packages.size(), 1u);
  EXPECT_EQ(res.inv.packages[0].ecosystem, "Debian:11");
}

TEST(image_analyzer, usage_errors_and_unended_layers) {
  image_analyzer a;
  uint8_t byte = 0;
  EXPECT_FALSE(a.feed(&byte, 1));
  EXPECT_FALSE(a.end_layer());
  a.begin_layer("sha256:open");
  tar_builder t;
  t.file("etc/os-release", os_release_12());
  auto data = t.out; // no end blocks: a clean EOF
  ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  auto inv = a.finish();
  EXPECT_EQ(inv.os.id, "debian");
  EXPECT_FALSE(inv.complete);
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("not ended"), std::string::npos);
}

TEST(image_analyzer, hostile_layers_do_not_crash) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .symlink("etc/x", "../../x")
    .hardlink("var/lib/dpkg/status", "etc/os-release")
    .whiteout("usr/.wh..wh..opq")
    .file("var/lib/dpkg/status.d/a", stanza("a", "1"));
  auto tar = t.finish();
  auto gz = gzip(tar);
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    auto bad_tar = tar, bad_gz = gz;
    for (int k = 0; k < 3; ++k) {
      bad_tar[rng() % bad_tar.size()] = static_cast<char>(rng());
      bad_gz[rng() % bad_gz.size()] = static_cast<char>(rng());
    }
    EXPECT_NO_FATAL_FAILURE(analyze({{"a", bad_tar}, {"b", bad_gz}}, chunking::random));
  }
}

// Generates `count` empty-file headers straight into the analyzer, in batches,
// so a million-entry layer never exists in memory at once.
expected<void> feed_empty_files(image_analyzer& a, size_t count) {
  std::string batch;
  for (size_t i = 0; i < count; ++i) {
    batch += tar_header({.name = "many/f" + std::to_string(i)});
    if (batch.size() >= (1 << 20) || i + 1 == count) {
      if (auto r = a.feed(reinterpret_cast<const uint8_t*>(batch.data()), batch.size()); !r)
        return r;
      batch.clear();
    }
  }
  return {};
}

TEST(image_analyzer, million_empty_files) {
#ifdef REGSCAN_SANITIZED
  // 70 s under ASan for the count alone: the smaller tar tests run the same
  // code there, and the normal build checks the limit.
  GTEST_SKIP() << "a million entries: only the limit is checked, in the normal build";
#endif
  image_analyzer a;
  tar_builder head;
  head.file("etc/os-release", os_release_12()).file("var/lib/dpkg/status", stanza("a", "1"));
  // Layer 1: exactly at the limit (2 + 999'998 entries) is fine.
  a.begin_layer("sha256:at-limit");
  ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(head.out.data()), head.out.size()));
  ASSERT_TRUE(feed_empty_files(a, 999'998));
  ASSERT_TRUE(a.end_layer());
  // Layer 2: one more than the limit stops the layer and flags the inventory.
  a.begin_layer("sha256:over-limit");
  auto r = feed_empty_files(a, 1'000'001);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "tar entry limit exceeded (max_entries=1000000)");
  EXPECT_FALSE(a.end_layer());
  auto inv = a.finish();
  EXPECT_FALSE(inv.complete);
  ASSERT_EQ(inv.packages.size(), 1u);
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_EQ(inv.notes[0], "layer sha256:over-limit: tar entry limit exceeded (max_entries=1000000)");
}

// A real tar of a real directory, written by GNU tar (gnu and pax formats).
TEST(image_analyzer, real_tar_of_a_directory) {
  temp_dir dir;
  auto root = dir.path / "rootfs";
  write_all(root / "usr/lib/os-release", os_release_12());
  write_all(root / "etc/debian_version", "12.5\n");
  fs::create_symlink("../usr/lib/os-release", root / "etc/os-release");
  write_all(root / "var/lib/dpkg/status", testdata("dpkg/status"));
  write_all(root / "var/lib/dpkg/status.d/tzdata", testdata("dpkg/status.d/tzdata"));
  std::string deep = "usr/share/" + std::string(120, 'd') + "/" + std::string(60, 'e');
  write_all(root / deep / "file.txt", "deep");
  fs::create_hard_link(root / "var/lib/dpkg/status.d/tzdata", root / "var/lib/dpkg/status.d/tz2");

  auto gz_path = dir.path / "layer.tgz";
  auto pax_path = dir.path / "layer.tar.zst";
  ASSERT_EQ(std::system(("tar -C '" + root.string() + "' -czf '" + gz_path.string() + "' .").c_str()), 0);
  ASSERT_EQ(std::system(("tar --format=pax -C '" + root.string() + "' -cf - . | zstd -q -o '"
                         + pax_path.string() + "'").c_str()),
            0);
  for (const auto& blob : {read_all(gz_path), read_all(pax_path)}) {
    auto res = analyze({{"sha256:real", blob}}, chunking::random);
    ASSERT_EQ(res.layer_errors[0], "");
    EXPECT_TRUE(res.inv.complete) << describe(res.inv);
    EXPECT_EQ(res.inv.os.id, "debian");
    EXPECT_EQ(res.inv.os.version_id, "12");
    // 6 from status, tzdata from status.d, listed once with its hardlink twin.
    ASSERT_EQ(res.inv.packages.size(), 7u) << describe(res.inv);
    ASSERT_EQ(res.inv.linked_files.size(), 1u);
    std::set<std::string> twins{res.inv.linked_files[0].file};
    twins.insert(res.inv.linked_files[0].also_at.begin(), res.inv.linked_files[0].also_at.end());
    EXPECT_EQ(twins, (std::set<std::string>{"var/lib/dpkg/status.d/tz2",
                                            "var/lib/dpkg/status.d/tzdata"}));
    EXPECT_EQ(find_pkg(res.inv, "bsdutils")->source_name, "util-linux");
  }

  // The reader sees the long path intact in both formats.
  for (const auto& [blob, compressed] : {std::pair{read_all(gz_path), true}, {read_all(pax_path), true}}) {
    (void)compressed;
    auto tar = decompress(blob).out;
    auto r = read_tar(tar, chunking::random);
    ASSERT_EQ(r.error, "");
    bool found = false;
    for (const auto& e : r.entries)
      if (e.entry.path == deep + "/file.txt") {
        found = true;
        EXPECT_EQ(e.content, "deep");
      }
    EXPECT_TRUE(found) << describe(r);
  }
}

// --- the engine: parse at entry end, executables, OS settling, owners --------

// A real cataloger (not a mock of the analyzer): it reports each file it is
// handed, and counts parses so a test can see when they happen.
class probe_cataloger final : public cataloger {
 public:
  explicit probe_cataloger(int* parses) : parses_(parses) {}
  std::string_view name() const override { return "probe"; }
  bool wants(std::string_view path) const override {
    return path.ends_with(".dist-info/METADATA") || path.ends_with("deep.txt");
  }
  bool wants_executable(std::string_view path, uint32_t, uint64_t) const override {
    return path.starts_with("usr/local/bin/");
  }
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info&, inventory& out) const override {
    ++*parses_;
    package p;
    p.ecosystem = "probe";
    p.name.assign(path.substr(path.rfind('/') + 1));
    p.version = std::to_string(content.size());
    p.file.assign(path);
    p.layer.assign(layer);
    out.packages.push_back(std::move(p));
  }

 private:
  int* parses_;
};

std::vector<std::unique_ptr<cataloger>> probe_and_dpkg(int* parses) {
  auto list = default_catalogers();
  list.push_back(std::make_unique<probe_cataloger>(parses));
  return list;
}

inventory run(image_analyzer& a, const std::vector<layer_blob>& layers) {
  for (const auto& l : layers) {
    a.begin_layer(l.digest);
    (void)a.feed(reinterpret_cast<const uint8_t*>(l.bytes.data()), l.bytes.size());
    (void)a.end_layer();
  }
  return a.finish();
}

const package* find_by(const inventory& inv, std::string_view ecosystem, std::string_view name) {
  for (const auto& p : inv.packages)
    if (p.ecosystem == ecosystem && p.name == name)
      return &p;
  return nullptr;
}

TEST(engine, executables_by_mode_with_a_size_cap) {
  int parses = 0;
  image_analyzer a(probe_and_dpkg(&parses), analysis_limits{.max_executable_size = 100000});
  tar_builder t;
  t.dir("usr/local/bin/")
    .file("usr/local/bin/tool", sample_data(5000), 0755)
    .file("usr/local/bin/data", sample_data(10), 0644)     // no exec bit: not offered
    .file("usr/local/bin/group-only", "x", 0010)            // any exec bit counts
    .file("usr/bin/other", sample_data(10), 0755)            // the cataloger declines
    .file("usr/local/bin/huge", sample_data(200000), 0755); // over the cap
  auto inv = run(a, {{"sha256:l", gzip(t.finish())}});
  ASSERT_NE(find_by(inv, "probe", "tool"), nullptr) << describe(inv);
  EXPECT_EQ(find_by(inv, "probe", "tool")->version, "5000");
  EXPECT_NE(find_by(inv, "probe", "group-only"), nullptr);
  EXPECT_EQ(find_by(inv, "probe", "data"), nullptr);
  EXPECT_EQ(find_by(inv, "probe", "other"), nullptr);
  EXPECT_EQ(find_by(inv, "probe", "huge"), nullptr);
  EXPECT_FALSE(inv.complete); // a wanted file was skipped by a limit: never "clean"
  EXPECT_NE(describe(inv).find("usr/local/bin/huge is 200000 bytes"), std::string::npos);
  EXPECT_EQ(parses, 2);
}

TEST(engine, files_are_parsed_while_the_layer_streams) {
  int parses = 0;
  image_analyzer a(probe_and_dpkg(&parses));
  tar_builder t;
  t.file("etc/os-release", os_release_12());
  for (int i = 0; i < 50; ++i)
    t.file("usr/lib/python3/dist-packages/p" + std::to_string(i) + ".dist-info/METADATA",
           sample_data(100000));
  auto blob = t.finish();
  a.begin_layer("sha256:l");
  ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()));
  // The OS is known, so every file was parsed at its entry's end and its bytes
  // dropped: nothing waits for finish().
  EXPECT_EQ(parses, 50);
  ASSERT_TRUE(a.end_layer());
  EXPECT_EQ(a.finish().packages.size(), 50u);
}

TEST(engine, records_follow_whiteouts_opaque_dirs_and_overwrites) {
  int parses = 0;
  image_analyzer a(probe_and_dpkg(&parses));
  const std::string site = "usr/lib/python3/dist-packages/";
  tar_builder base;
  base.file("etc/os-release", os_release_12())
    .file(site + "a.dist-info/METADATA", "a")
    .file(site + "b.dist-info/METADATA", "b")
    .file(site + "c.dist-info/METADATA", "c")
    .file("opt/app/x.dist-info/METADATA", "x")
    .file("srv/y.dist-info/METADATA", "y");
  tar_builder upper;
  upper.whiteout(site + ".wh.a.dist-info")          // whiteout of a directory
    .file(site + "b.dist-info/METADATA", "bb")       // overwritten: the new record only
    .file("opt/app/.wh..wh..opq", "")                 // opaque directory
    .file("opt/app/z.dist-info/METADATA", "z")
    .symlink("srv", "opt");                           // a non-directory hides what was below
  auto inv = run(a, {{"base", base.finish()}, {"upper", upper.finish()}});
  std::vector<std::string> got;
  for (const auto& p : inv.packages)
    got.push_back(p.file + "=" + p.version + "@" + p.layer);
  EXPECT_EQ(got, (std::vector<std::string>{"opt/app/z.dist-info/METADATA=1@upper",
                                           site + "b.dist-info/METADATA=2@upper",
                                           site + "c.dist-info/METADATA=1@base"}))
    << describe(inv);
}

TEST(engine, package_database_before_os_release_in_the_same_layer) {
  tar_builder t;
  t.file("var/lib/dpkg/status", stanza("a", "1"))
    .file("zz/etc-later", "")
    .file("usr/lib/os-release", os_release_12())
    .symlink("etc/os-release", "../usr/lib/os-release");
  auto res = analyze({{"l", t.finish()}});
  ASSERT_EQ(res.inv.packages.size(), 1u);
  EXPECT_EQ(res.inv.packages[0].ecosystem, "Debian:12") << describe(res.inv);
}

TEST(engine, an_upper_layer_that_changes_the_os_rebases_ecosystems) {
  tar_builder base;
  base.file("etc/os-release", "ID=debian\nVERSION_ID=11\n").file("var/lib/dpkg/status", stanza("a", "1"));
  tar_builder upper;
  upper.file("etc/os-release", os_release_12());
  auto res = analyze({{"base", base.finish()}, {"upper", upper.finish()}});
  ASSERT_EQ(res.inv.packages.size(), 1u);
  EXPECT_EQ(res.inv.os.version_id, "12");
  EXPECT_EQ(res.inv.packages[0].ecosystem, "Debian:12");
  EXPECT_EQ(res.inv.packages[0].layer, "base");
}

TEST(engine, no_os_and_a_small_deferral_bound) {
  // Past max_deferred_bytes files are parsed with the OS known so far (none)
  // and fixed in finish() once the OS is known.
  tar_builder t;
  t.file("var/lib/dpkg/status", stanza("a", "1") + "\n" + stanza("b", "2"))
    .file("etc/os-release", os_release_12());
  auto res = analyze({{"l", t.finish()}}, chunking::whole, analysis_limits{.max_deferred_bytes = 1});
  ASSERT_EQ(res.inv.packages.size(), 2u);
  EXPECT_EQ(res.inv.packages[0].ecosystem, "Debian:12") << describe(res.inv);
}

TEST(engine, distroless_without_os_release) {
  tar_builder t;
  t.file("var/lib/dpkg/status.d/base-files",
         "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n")
    .file("var/lib/dpkg/status.d/libc6", stanza("libc6", "2.36-9+deb12u4"));
  auto res = analyze({{"l", gzip(t.finish())}});
  EXPECT_EQ(res.inv.os.id, "debian");
  EXPECT_EQ(res.inv.os.version_id, "12");
  ASSERT_EQ(res.inv.packages.size(), 2u) << describe(res.inv);
  for (const auto& p : res.inv.packages)
    EXPECT_EQ(p.ecosystem, "Debian:12");
}

TEST(engine, os_packages_own_language_packages) {
  int parses = 0;
  image_analyzer a(probe_and_dpkg(&parses));
  const std::string owned = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
  const std::string loose = "usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA";
  tar_builder base;
  base.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status", stanza("python3-six", "1.16.0-4"))
    .file("var/lib/dpkg/info/python3-six.list",
          "/.\n/usr\n/usr/lib/python3/dist-packages\n/" + owned + "\n")
    .file("var/lib/dpkg/info/libc6:amd64.list", "/lib/x86_64-linux-gnu/libc.so.6\n")
    .file(owned, "Name: six\n");
  tar_builder app;
  app.file(loose, "Name: requests\n");
  auto inv = run(a, {{"base", base.finish()}, {"app", app.finish()}});
  std::map<std::string, std::string> owners;
  for (const auto& p : inv.packages)
    owners[p.file] = p.owner;
  EXPECT_EQ(owners[owned], "python3-six") << describe(inv);
  EXPECT_EQ(owners[loose], "");
  EXPECT_EQ(owners["var/lib/dpkg/status"], ""); // OS packages are not owned by themselves
  EXPECT_TRUE(inv.owned_files.empty());          // consumed, not stored with the result
}

TEST(engine, hardlink_to_a_parsed_file) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .file("var/lib/dpkg/status.d/a", stanza("a", "1"))
    .hardlink("var/lib/dpkg/status.d/b", "var/lib/dpkg/status.d/a");
  auto res = analyze({{"l", t.finish()}});
  ASSERT_EQ(res.inv.packages.size(), 1u) << describe(res.inv);
  EXPECT_EQ(res.inv.packages[0].file, "var/lib/dpkg/status.d/a");
  ASSERT_EQ(res.inv.linked_files.size(), 1u);
  EXPECT_EQ(res.inv.linked_files[0].also_at, std::vector<std::string>{"var/lib/dpkg/status.d/b"});
  EXPECT_TRUE(res.inv.complete);
}

TEST(engine, the_observer_sees_every_decompressed_byte) {
  tar_builder t;
  t.file("etc/os-release", os_release_12()).file("big", sample_data(300000));
  auto tar = t.finish();
  image_analyzer a;
  std::string seen;
  a.begin_layer("l", [&](const uint8_t* p, size_t n) { seen.append(reinterpret_cast<const char*>(p), n); });
  auto gz = gzip(tar);
  ASSERT_TRUE(feed_chunked(gz, chunking::random, [&](const uint8_t* p, size_t n) { return a.feed(p, n); }));
  ASSERT_TRUE(a.end_layer());
  EXPECT_EQ(seen, tar);
}

// --- hostile layers not covered above ------------------------------------------

TEST(engine, zstd_bomb_is_stopped_and_the_image_is_incomplete) {
  tar_builder t;
  t.file("etc/os-release", os_release_12()).file("zeros", std::string(8 << 20, '\0'));
  auto res = analyze({{"sha256:bomb", zstd(t.finish())}}, chunking::random,
                     analysis_limits{.max_layer_bytes = 1 << 20});
  EXPECT_EQ(res.layer_errors[0], "decompressed size limit exceeded (bomb?)");
  EXPECT_FALSE(res.inv.complete);
  EXPECT_NE(describe(res.inv).find("sha256:bomb: decompressed size limit exceeded"), std::string::npos);
}

TEST(engine, a_directory_200_levels_deep) {
  int parses = 0;
  image_analyzer a(probe_and_dpkg(&parses));
  tar_builder t;
  std::string dir;
  for (int i = 0; i < 200; ++i) {
    dir += "d" + std::to_string(i % 10) + "/";
    t.gnu_long('L', dir).dir(dir.substr(0, 100));
  }
  t.gnu_long('L', dir + "deep.txt").file("placeholder", "deep");
  // 200 levels of "dN/" is 600 characters: GNU long names carry it.
  auto inv = run(a, {{"l", t.finish()}});
  EXPECT_TRUE(inv.complete) << describe(inv);
  ASSERT_EQ(inv.packages.size(), 1u) << describe(inv);
  EXPECT_EQ(inv.packages[0].file, dir + "deep.txt");

  // Deeper than the path limit (4096 bytes): the layer stops, noted, never clean.
  tar_builder deeper;
  std::string far;
  for (int i = 0; i < 1400; ++i)
    far += "dd/";
  deeper.file("etc/os-release", os_release_12()).gnu_long('L', far + "deep.txt").file("p", "x");
  auto res = analyze({{"sha256:deep", deeper.finish()}});
  EXPECT_FALSE(res.inv.complete) << describe(res.inv);
  EXPECT_EQ(res.inv.os.id, "debian");
}

TEST(engine, hardlinks_and_symlinks_out_of_the_image) {
  tar_builder t;
  t.file("etc/os-release", os_release_12())
    .hardlink("var/lib/dpkg/status", "../../../etc/shadow") // skipped: leaves the root
    .symlink("var/lib/dpkg/status.d/x", "/../../../../etc/passwd") // resolved inside the image
    .symlink("usr/a", "b").symlink("usr/b", "a")              // a loop
    .symlink("var/lib/dpkg/status.d/loop", "../../../../usr/a");
  auto res = analyze({{"l", t.finish()}});
  EXPECT_TRUE(res.inv.packages.empty()) << describe(res.inv);
  auto text = describe(res.inv);
  EXPECT_NE(text.find("1 entries with paths outside the image root"), std::string::npos) << text;
  EXPECT_NE(text.find("status.d/loop is a symlink to nothing kept"), std::string::npos) << text;
}

TEST(engine, symlinks_past_max_symlinks_are_not_followed_and_the_image_is_incomplete) {
  tar_builder lower;
  for (int i = 0; i < 20; ++i)
    lower.symlink("usr/share/link" + std::to_string(i), "/usr/bin/bash");
  tar_builder upper;
  upper.file("usr/lib/os-release", os_release_12())
    .symlink("etc/os-release", "../usr/lib/os-release") // past the bound: not followed
    .file("var/lib/dpkg/status", stanza("a", "1"));
  auto upper_tar = upper.finish();
  auto bounded = analyze({{"lower", lower.finish()}, {"upper", upper_tar}}, chunking::whole,
                         analysis_limits{.max_symlinks = 20});
  EXPECT_FALSE(bounded.inv.complete);
  auto text = describe(bounded.inv);
  EXPECT_NE(text.find("layer upper: over max_symlinks (20)"), std::string::npos) << text;
  // Everything else is still analyzed: usr/lib/os-release is the fallback.
  ASSERT_EQ(bounded.inv.packages.size(), 1u) << text;
  EXPECT_EQ(bounded.inv.packages[0].ecosystem, "Debian:12");

  // One symlink less and nothing is missed.
  tar_builder lower19;
  for (int i = 0; i < 19; ++i)
    lower19.symlink("usr/share/link" + std::to_string(i), "/usr/bin/bash");
  auto within = analyze({{"lower", lower19.finish()}, {"upper", upper_tar}}, chunking::whole,
                        analysis_limits{.max_symlinks = 20});
  EXPECT_TRUE(within.inv.complete) << describe(within.inv);
}

} // namespace
} // namespace regscan
