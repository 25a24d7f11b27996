#pragma once
// Parses one OSV record (https://ossf.github.io/osv-schema/) from JSON.
#include <string_view>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"

namespace regscan {

/// The record in json, or an error naming what is wrong: bad JSON, a
/// missing "id", or a known field of the wrong type. Unknown fields are
/// ignored and null counts as absent. Never throws.
expected<osv_record> parse_osv_record(std::string_view json);

} // namespace regscan
