#pragma once
// The secret rules in force: the built-in set plus the user's, imported in
// gitleaks' TOML format and kept in the store. A new rule set gives a new
// scanner version, so cached layers are scanned again as images are.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/secrets/secret_rules.hpp"

namespace regscan {

struct services;
class secret_scanner;

/// The scanner of the built-in rules plus the user's (gitleaks TOML; "" =
/// none), with the fingerprint key and the [secrets] settings. A remote
/// worker builds the daemon's scanner from what its job says.
expected<std::shared_ptr<const secret_scanner>>
build_secret_scanner(std::string_view toml, std::string fingerprint_key, bool skip_test_paths,
                     uint64_t max_file_bytes);

/// The fingerprint key of this daemon's secret scanner.
std::string secret_fingerprint_key(const services& ctx);

/// Builds the scanner from the built-in and the stored user rules and puts
/// it in use (none when [secrets] enabled = false).
expected<void> load_secret_rules(services& ctx);

/// Replaces the user rules with those of `toml`. A file that does not parse
/// or compile is refused (errc::invalid, naming the line or the rule) and the
/// rules in force stay. Returns every rule now in force.
expected<std::vector<secret_rule_info>> import_secret_rules(services& ctx, std::string_view toml);

/// Every rule in force, built-in first; empty when secrets are off.
std::vector<secret_rule_info> secret_rules_in_force(const services& ctx);

} // namespace regscan
