#pragma once
// The image list's filter grammar (daemon/image_query.hpp) as a predicate over
// image records, for the commands that act on a selection: scan, authorize.
#include <functional>
#include <string_view>

#include "scanners/expected.hpp"

namespace regscan {

class store;
struct image_record;

/// errc::invalid with the offending part when `expr` is not in the grammar.
expected<std::function<bool(const image_record&)>> image_predicate(store& db, std::string_view expr);

} // namespace regscan
