#pragma once
// Reads golden files from scanners/testdata/ for the cataloger tests.
#include <fstream>
#include <sstream>
#include <string>

namespace regscan::testdata {

inline std::string path(const std::string& name) {
  return std::string(REGSCAN_SOURCE_DIR) + "/scanners/testdata/" + name;
}

inline std::string read(const std::string& name) {
  std::ifstream in(path(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace regscan::testdata
