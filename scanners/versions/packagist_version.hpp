#pragma once
// Packagist version ordering, as OSV orders it: PHP's version_compare
// (php-src ext/standard/versioning.c; reference PHP 8.2, Debian 12's
// php-cli, run by packagist_version_test; composer/semver 3.3.2 for what
// Composer normalises and rejects) of the two
// versions as written, after a leading "v" is dropped. That is what
// osv.dev's own Packagist ecosystem (osv/ecosystems/packagist.py,
// PackagistVersion) sorts with when it turns a record's ranges into its
// affected "versions" list, and what osv-scanner matches with; so the
// records' events mean what that order says. Composer's order (composer/semver
// 3.3: VersionParser::normalize, then version_compare) differs where
// normalising pads or rewrites: "v3.0" < "v3.0.0-beta" for OSV (the shorter
// version is below), ">" for Composer (3.0.0.0 > 3.0.0.0-beta); "1.0" < "1.0.0"
// for OSV, "=" for Composer; "2.x-dev" < "2.99" for OSV, ">" for Composer.
// tests/scanners/packagist_version_test.cpp checks both answers for these.
// Composer's normaliser still decides what is a version at all: what it
// rejects, and branches ("dev-main"), are no version in a range.
// osv-scanner (osv-scalibr's semantic package) drops "V" as well as "v", as
// regscan does. Where this departs from osv.dev: PHP's C version_compare is
// the reference, not osv.dev's Python port of it (which differs on words that
// only start with a special word, such as "betaX"), and trailing separators
// are dropped ("1.2." is "1.2"), where PHP's order is not antisymmetric.
// Note that PHP's words are case-sensitive: "5.0.0-BETA1" (an unknown word)
// is below "5.0.0-alpha1" for OSV, above it for Composer.
#include <string>
#include <string_view>

namespace regscan {

/// VersionParser::normalize: "v1.2" -> "1.2.0.0", "1.0-b2" ->
/// "1.0.0.0-beta2", "2.1.x-dev" -> "2.1.9999999.9999999-dev", "2010-01-02"
/// -> "2010.01.02", "dev-main" stays a branch; "" when Composer rejects v.
std::string normalize_composer_version(std::string_view v);

/// PHP's version_compare(a, b): <0, 0 or >0.
int php_version_compare(std::string_view a, std::string_view b);

/// Orders two Packagist versions as OSV does: version_compare of the
/// versions without a leading "v". Versions Composer rejects sort below
/// all others, in byte order; then branches, in byte order.
int compare_packagist_versions(std::string_view a, std::string_view b);

/// True when v normalises to a version: not rejected, and not a branch
/// ("dev-main"), which Composer never places in a range.
bool valid_packagist_version(std::string_view v);

/// True when v names a branch ("dev-main", "master"), not a version.
bool packagist_branch(std::string_view v);

} // namespace regscan
