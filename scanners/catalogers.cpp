#include "scanners/catalogers.hpp"

#include "scanners/os/dpkg_cataloger.hpp"
#include "scanners/lang/npm_cataloger.hpp"
#include "scanners/lang/python_cataloger.hpp"
#include "scanners/lang/go_binary_cataloger.hpp"
#include "scanners/lang/runtime_cataloger.hpp"
#include "scanners/os/apk_cataloger.hpp"
#include "scanners/os/rpm_cataloger.hpp"
#include "scanners/lang/java_cataloger.hpp"
#include "scanners/lang/gem_cataloger.hpp"
#include "scanners/lang/composer_cataloger.hpp"
#include "scanners/lang/dotnet_cataloger.hpp"
#include "scanners/lang/cargo_auditable_cataloger.hpp"

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
