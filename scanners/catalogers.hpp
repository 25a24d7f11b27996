#pragma once
// The explicit list of catalogers: a new ecosystem is one file and one line.
#include <memory>
#include <vector>

#include "scanners/cataloger.hpp"

namespace regscan {

std::vector<std::unique_ptr<cataloger>> default_catalogers();

} // namespace regscan
