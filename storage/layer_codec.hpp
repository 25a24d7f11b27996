#pragma once
// The layer cache's value: one layer's delta (scanners/layer/layer_delta.hpp) in
// a compact binary form (length-prefixed fields, zstd-compressed). A delta
// holds thousands of paths; JSON would only make it larger and slower.
#include <string>
#include <string_view>

#include "scanners/expected.hpp"
#include "scanners/layer/layer_delta.hpp"

namespace regscan::codec {

std::string encode(const layer_delta& d);
/// An error for anything but a value encode() wrote.
expected<layer_delta> decode_layer_delta(std::string_view bytes);

} // namespace regscan::codec
