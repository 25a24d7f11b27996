// Secret-scanning benchmark (never in ctest; tools/bench/secrets_vs_gitleaks.sh
// drives it beside gitleaks).
//   secrets_bench corpus DIR LABELS.tsv   writes the labelled corpus's files
//   secrets_bench scan DIR OUT.tsv [re2]  scans every regular file under DIR,
//                                         writes "path<TAB>line<TAB>rule" per finding
// and prints bytes, CPU seconds of the scan loop, MB/s per core, peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "scanners/secrets/secret_scanner.hpp"
#include "tests/scanners/secret_corpus.hpp"

using namespace regscan;
namespace fs = std::filesystem;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int write_corpus(const fs::path& dir, const fs::path& labels_path) {
  auto corpus = test::make_secret_corpus(42, 3);
  size_t files = 0;
  for (const auto& f : corpus.files) {
    if (!f.is_file()) continue;
    fs::create_directories((dir / f.location).parent_path());
    std::ofstream(dir / f.location, std::ios::binary) << f.content;
    ++files;
  }
  std::ofstream labels(labels_path);
  size_t n = 0;
  for (const auto& l : corpus.labels)
    if (l.location.find(':') == std::string::npos) labels << l.location << '\t' << l.line << '\t' << l.kind << '\n', ++n;
  std::printf("corpus: %zu files, %zu labelled secrets in %s\n", files, n, dir.c_str());
  return 0;
}

int scan_tree(const fs::path& dir, const fs::path& out_path, bool re2_only) {
  double build_start = cpu_seconds();
  secret_scan_limits limits;
  if (re2_only) limits.engine = secret_engine::re2;
  auto scanner = secret_scanner::build({}, "bench-key", limits);
  if (!scanner) {
    std::fprintf(stderr, "build: %s\n", scanner.err().message.c_str());
    return 1;
  }
  const auto& s = **scanner;
  double build_cpu = cpu_seconds() - build_start;
  long rss_after_build = peak_rss_kib();

  std::string root = dir.string();
  if (root.back() != '/') root += '/';
  std::ofstream out(out_path);
  uint64_t bytes = 0, scanned_bytes = 0, files = 0, scanned = 0, findings = 0;
  std::string buf;
  std::vector<secret_finding> found;
  auto wall = std::chrono::steady_clock::now();
  double start = cpu_seconds();
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file() || it->is_symlink()) continue;
    uint64_t size = it->file_size();
    bytes += size;
    ++files;
    std::string rel = it->path().string().substr(root.size());
    if (!s.wants(rel, size) || !s.skipped_reason(rel, size).empty()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    buf.resize(size);
    in.read(buf.data(), static_cast<std::streamsize>(size));
    buf.resize(static_cast<size_t>(in.gcount()));
    found.clear();
    s.scan(rel, buf, found);
    ++scanned;
    scanned_bytes += buf.size();
    for (const auto& f : found) out << f.location << '\t' << f.line << '\t' << f.rule_id << '\n', ++findings;
  }
  double cpu = cpu_seconds() - start;
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  std::printf("engine %s, %zu rules, build %.2f s CPU (peak RSS after build %ld KiB)\n",
              std::string(s.engine_name()).c_str(), s.rules().size(), build_cpu, rss_after_build);
  std::printf("tree: %lu files, %.1f MB; scanned %lu files, %.1f MB; %lu findings\n", (unsigned long)files,
              bytes / 1e6, (unsigned long)scanned, scanned_bytes / 1e6, (unsigned long)findings);
  std::printf("scan loop: %.3f s CPU, %.3f s wall, %.1f MB/s per core (tree bytes / CPU s)\n", cpu, wall_s,
              bytes / 1e6 / cpu);
  std::printf("peak RSS %ld KiB\n", peak_rss_kib());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "corpus" && argc == 4) return write_corpus(argv[2], argv[3]);
  if (cmd == "scan" && (argc == 4 || argc == 5)) return scan_tree(argv[2], argv[3], argc == 5 && std::string(argv[4]) == "re2");
  std::fprintf(stderr, "usage: secrets_bench corpus DIR LABELS.tsv | scan DIR OUT.tsv [re2]\n");
  return 2;
}
