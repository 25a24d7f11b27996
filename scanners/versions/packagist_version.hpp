#pragma once
// Packagist (Composer) version ordering, as composer/semver orders: both
// versions normalised by VersionParser, then compared by PHP's
// version_compare.
#include <string>
#include <string_view>

namespace regscan {

/// VersionParser::normalize: "v1.2" -> "1.2.0.0", "1.0-b2" ->
/// "1.0.0.0-beta2", "2.1.x-dev" -> "2.1.9999999.9999999-dev", "2010-01-02"
/// -> "2010.01.02", "dev-main" stays a branch; "" when Composer rejects v.
std::string normalize_composer_version(std::string_view v);

/// PHP's version_compare(a, b): <0, 0 or >0.
int php_version_compare(std::string_view a, std::string_view b);

/// Orders two Packagist versions as Composer does: version_compare of
/// their normalised forms. Versions Composer rejects sort below all
/// others, in byte order.
int compare_packagist_versions(std::string_view a, std::string_view b);

/// True when v normalises to a version: not rejected, and not a branch
/// ("dev-main"), which Composer never places in a range.
bool valid_packagist_version(std::string_view v);

/// True when v names a branch ("dev-main", "master"), not a version.
bool packagist_branch(std::string_view v);

} // namespace regscan
