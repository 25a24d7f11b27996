#pragma once
// Secret rules as data: the built-in table and the user's rules imported from
// gitleaks' TOML format share one shape, so the scanner treats them alike.
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"

namespace regscan {

/// What makes a candidate not a finding. Each list is RE2 syntax except
/// stopwords (case-insensitive substrings of the secret). With `match_all`
/// (gitleaks' condition = "AND") every non-empty list must match; otherwise any.
struct secret_allowlist {
  std::string description;
  std::vector<std::string> paths;
  std::vector<std::string> regexes;
  std::vector<std::string> stopwords;
  std::string regex_target = "secret"; // "secret", "match" or "line"
  bool match_all = false;
};

enum class secret_rule_source { builtin, user };

struct secret_rule {
  std::string id;       // "aws-access-key"
  std::string name;     // gitleaks' description
  std::string category; // "cloud", "vcs", "chat", "payment", "saas", "private-key", "jwt", "password", "generic"
  std::string severity; // "Critical", "High", "Medium", "Low"
  std::string regex;    // RE2 syntax; empty for a rule on paths only
  int secret_group = 0; // 0: the first capture group if any, else the whole match
  double entropy = 0;   // minimal Shannon entropy (bits per byte) of the secret
  std::vector<std::string> keywords; // lower case; the rule runs only where one occurs
  std::string path;     // RE2 over the location; empty: any location
  std::vector<secret_allowlist> allowlists;
  secret_rule_source source = secret_rule_source::builtin;
};

struct secret_ruleset {
  std::vector<secret_rule> rules;
  std::vector<secret_allowlist> allowlists; // apply to every rule
  /// Test fixtures and vendored docs (node_modules READMEs, /usr/share/doc, ...)
  /// are skipped unless this is turned off.
  bool allowlist_default_paths = true;
};

/// One line of `secrets rules list`.
struct secret_rule_info {
  std::string id, name, category, severity;
  secret_rule_source source = secret_rule_source::builtin;
};

constexpr const char* to_string(secret_rule_source s) {
  return s == secret_rule_source::user ? "user" : "builtin";
}

/// The built-in rules, most specific first (generic password rules last: an
/// overlap between two findings keeps the earlier rule).
const std::vector<secret_rule>& builtin_secret_rules();

/// Allowlists every rule gets: vendor-doc example keys and placeholders.
const std::vector<secret_allowlist>& builtin_secret_allowlists();

/// Path patterns of test fixtures and vendored docs (see allowlist_default_paths).
const secret_allowlist& default_path_allowlist();

/// User rules in gitleaks' TOML format (v8: [[rules]] with id, description,
/// regex, secretGroup, entropy, keywords, path, tags, [rules.allowlist] or
/// [[rules.allowlists]]; global [allowlist] or [[allowlists]]). Two extensions
/// beside gitleaks' keys: `severity` and `category` on a rule. An error names
/// the line.
expected<secret_ruleset> parse_gitleaks_toml(std::string_view toml);

} // namespace regscan
