// `make yaml_lock_bench`: the measurement behind scanners/lang/yaml_stream.hpp's
// choice of libyaml. Reads one large pnpm-lock.yaml three ways and prints the
// time and the count of "packages:" entries; run each under /usr/bin/time -v
// for the peak memory (tests/scanners/yaml_lock_bench.sh does both).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "scanners/lang/yaml_stream.hpp"

namespace {

struct counter final : regscan::yaml_visitor {
  size_t entries = 0;
  void scalar(const std::vector<std::string>&, std::string_view) override {}
  void end(const std::vector<std::string>& path) override {
    entries += path.size() == 2 && path[0] == "packages";
  }
};

// yaml-cpp's event interface: counts mappings opened right under "packages".
struct cpp_counter final : YAML::EventHandler {
  size_t entries = 0;
  int depth = 0;
  bool in_packages = false;
  bool next_is_packages = false;
  bool key = true;
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string& v) override {
    if (depth == 1)
      next_is_packages = v == "packages";
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    ++depth;
  }
  void OnSequenceEnd() override { --depth; }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    ++depth;
    if (depth == 2)
      in_packages = next_is_packages;
    if (depth == 3 && in_packages)
      ++entries;
  }
  void OnMapEnd() override { --depth; }
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: yaml_lock_bench libyaml|yaml-cpp-load|yaml-cpp-events FILE\n");
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  auto start = std::chrono::steady_clock::now();
  size_t entries = 0;
  if (std::strcmp(argv[1], "libyaml") == 0) {
    counter c;
    auto err = regscan::read_yaml(content, c);
    if (!err.empty())
      std::fprintf(stderr, "%s\n", err.c_str());
    entries = c.entries;
  } else if (std::strcmp(argv[1], "yaml-cpp-load") == 0) {
    auto doc = YAML::Load(content);
    entries = doc["packages"].size();
  } else {
    std::istringstream is(content);
    YAML::Parser parser(is);
    cpp_counter c;
    parser.HandleNextDocument(c);
    entries = c.entries;
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu entries in %.0f ms (input %zu bytes)\n", argv[1], entries, ms, content.size());
}
