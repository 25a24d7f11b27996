#include "scanners/catalogers.hpp"

#include "scanners/dpkg_cataloger.hpp"

namespace regscan {

std::vector<std::unique_ptr<cataloger>> default_catalogers() {
  std::vector<std::unique_ptr<cataloger>> result;
  result.push_back(std::make_unique<dpkg_cataloger>());
  return result;
}

} // namespace regscan
