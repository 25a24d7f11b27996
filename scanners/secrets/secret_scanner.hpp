#pragma once
// Secret scanning of one file's (or one config value's) bytes: a keyword
// prefilter and a multi-pattern regex pass find candidates, RE2 confirms each
// one and extracts the secret, then entropy and allowlists drop the noise.
// Built once per rule set, then shared read-only by every scan thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"
#include "scanners/secrets/secret_rules.hpp"

namespace regscan {

// secret_finding (what scan() gives) is in scanners/types.hpp.

/// Which multi-pattern engine runs the first pass. `automatic` is Hyperscan
/// where it was built in, else RE2. Both give the same findings; the choice
/// exists for the benchmark and for architectures without Hyperscan.
enum class secret_engine { automatic, hyperscan, re2 };

struct secret_scan_limits {
  uint64_t max_file_size = 10ull << 20;
  secret_engine engine = secret_engine::automatic;
};

class secret_scanner {
 public:
  /// Compiles the built-in rules plus `user_rules` (a user rule with a
  /// built-in's id replaces it). `fingerprint_key` keys the HMAC. An error
  /// (errc::invalid) names the rule whose regex does not compile.
  static expected<std::shared_ptr<const secret_scanner>> build(const secret_ruleset& user_rules,
                                                               std::string fingerprint_key,
                                                               secret_scan_limits limits = {});
  ~secret_scanner();
  secret_scanner(const secret_scanner&) = delete;
  secret_scanner& operator=(const secret_scanner&) = delete;

  /// Rule set + engine version + limits, as a short hash: part of the
  /// layer-cache key. Changes when any rule, allowlist or limit changes.
  const std::string& version() const;
  /// "hyperscan" or "re2": the engine actually in use.
  std::string_view engine_name() const;
  /// Every rule in force, built-in ones first, for `secrets rules list`.
  std::vector<secret_rule_info> rules() const;

  /// Cheap check before buffering a file: false for paths the allowlists
  /// exclude, and for files over the size limit that match no path rule.
  /// When it is true for a file over the limit, skipped_reason() says why the
  /// file is not read and the result is incomplete.
  bool wants(std::string_view path, uint64_t size) const;
  /// A file over the size limit whose path matches a path rule: the secret
  /// result must be "incomplete"; returns why. Else empty.
  std::string skipped_reason(std::string_view path, uint64_t size) const;

  /// Scans `content` found at `location` and appends its findings to `out`.
  /// Binary content (a NUL byte in the first 8 KiB) and content over the size
  /// limit are skipped whole: secrets in binaries are rare, their false
  /// positives many, and the walk reports oversize files by skipped_reason().
  /// For a config value pass "NAME=VALUE" as content and "env:NAME" as
  /// location; for a history step, its created_by and "history:N".
  /// At most 1000 findings per content (a hostile file of one secret
  /// repeated), most specific rules first.
  void scan(std::string_view location, std::string_view content, std::vector<secret_finding>& out) const;

  struct impl;

 private:
  explicit secret_scanner(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The masked form of a secret: at most 4 characters and never more than a
/// quarter of it, then "********".
std::string mask_secret(std::string_view secret);

/// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view s);

} // namespace regscan
