#pragma once
// A temporary directory under /tmp, removed with everything in it.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace regscan::test {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = "/tmp/regscan-storage-XXXXXX";
    if (::mkdtemp(tmpl.data()))
      path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

} // namespace regscan::test
