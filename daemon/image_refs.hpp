#pragma once
// Which stored images a user's reference names.
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

class store;

/// The images `ref` names: [registry/]repo[:tag|@digest] (no tag means
/// :latest), a digest or image ID, or a prefix of one of at least 12 hex
/// digits. errc::not_found when none does.
expected<std::vector<image_record>> find_images(store& db, const std::string& ref);

} // namespace regscan
