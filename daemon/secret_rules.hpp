#pragma once
// The secret rules in force: the built-in set plus the user's, imported in
// gitleaks' TOML format and kept in the store. A new rule set gives a new
// scanner version, so cached layers are scanned again as images are.
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/secrets/secret_rules.hpp"

namespace regscan {

struct services;

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
