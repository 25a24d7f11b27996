#include "scanners/catalogers.hpp"

#include "scanners/dpkg_cataloger.hpp"
#include "scanners/npm_cataloger.hpp"
#include "scanners/python_cataloger.hpp"
#include "scanners/go_binary_cataloger.hpp"
#include "scanners/runtime_cataloger.hpp"
#include "scanners/apk_cataloger.hpp"
#include "scanners/rpm_cataloger.hpp"
#include "scanners/java_cataloger.hpp"
#include "scanners/gem_cataloger.hpp"
#include "scanners/composer_cataloger.hpp"
#include "scanners/dotnet_cataloger.hpp"
#include "scanners/cargo_auditable_cataloger.hpp"

namespace regscan {

std::vector<std::unique_ptr<cataloger>> default_catalogers() {
  std::vector<std::unique_ptr<cataloger>> result;
  result.push_back(std::make_unique<dpkg_cataloger>());
  result.push_back(std::make_unique<npm_cataloger>());
  result.push_back(std::make_unique<python_cataloger>());
  result.push_back(std::make_unique<go_binary_cataloger>());
  result.push_back(std::make_unique<runtime_cataloger>());
  result.push_back(std::make_unique<apk_cataloger>());
  result.push_back(std::make_unique<rpm_cataloger>());
  result.push_back(std::make_unique<java_cataloger>());
  result.push_back(std::make_unique<gem_cataloger>());
  result.push_back(std::make_unique<composer_cataloger>());
  result.push_back(std::make_unique<dotnet_cataloger>());
  result.push_back(std::make_unique<cargo_auditable_cataloger>());
  return result;
}

} // namespace regscan
