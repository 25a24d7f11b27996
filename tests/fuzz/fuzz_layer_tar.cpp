// The layer walk's first two stages: a blob of any format (gzip, zstd or plain
// tar, sniffed as in a real scan) through the decompressor into the tar reader.
// The first input byte picks the chunk size, so chunk boundaries get fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scanners/layer/decompressor.hpp"
#include "scanners/layer/tar_reader.hpp"

namespace {

class reading_visitor : public regscan::tar_visitor {
 public:
  bool entry_begin(const regscan::tar_entry& entry) override {
    // The reader promises normalized paths; check it keeps its word.
    std::string again;
    if (!regscan::normalize_tar_path(entry.path, again) || again != entry.path)
      __builtin_trap();
    return (entry.size & 1) == 0; // take about half the contents
  }
  regscan::expected<void> entry_data(const uint8_t* data, size_t size) override {
    for (size_t i = 0; i < size; ++i)
      sum_ += data[i];
    return {};
  }
  regscan::expected<void> entry_end() override { return {}; }

 private:
  uint64_t sum_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t chunk = (data[0] % 64 + 1) * 37;
  ++data;
  --size;
  reading_visitor visitor;
  regscan::tar_limits limits;
  limits.max_entries = 10'000;
  limits.max_meta_size = 64 << 10;
  regscan::tar_reader reader(visitor, limits);
  regscan::decompressor inflater(64u << 20);
  auto sink = [&](const uint8_t* p, size_t n) { return reader.feed(p, n); };
  bool ok = true;
  for (size_t at = 0; at < size && ok; at += chunk) {
    size_t n = size - at < chunk ? size - at : chunk;
    ok = static_cast<bool>(inflater.feed(data + at, n, sink));
  }
  if (ok && inflater.finish(sink))
    (void)reader.finish();
  return 0;
}
