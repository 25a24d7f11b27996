#pragma once
// Reading the vulnerability database many times over: a re-match or a scan
// looks the same (ecosystem, package) up once per inventory that has it.
#include <string>
#include <unordered_map>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"

namespace regscan {

class store;

/// Parsed advisories per (ecosystem, name), read from the store on first use
/// and kept for the cache's life: one re-match run or one scan. Not thread-safe.
class advisory_cache {
 public:
  explicit advisory_cache(store& db) : db_(db) {}

  /// The records store::advisories_for returns; the pointer stays valid for
  /// the cache's life.
  expected<const std::vector<osv_record>*> get(const std::string& ecosystem,
                                               const std::string& name);

  /// Every record that may concern `pkg`: those filed under each ecosystem
  /// of the database that covers the package's (Ubuntu Pro streams cover
  /// "Ubuntu:22.04", ...), and under its source and binary names (OS records
  /// name the source package; a replaced Go module is matched by its new
  /// path). Each record once.
  expected<std::vector<const osv_record*>> for_package(const package& pkg);
  std::size_t size() const { return cache_.size(); }

  /// The findings of an equal package matched earlier through this cache
  /// (images share most of their packages), or nullptr. Equal means the
  /// same ecosystem, names, versions, owner, module and kind; the layer may differ.
  const std::vector<finding>* matched(const package& pkg);
  void remember(const package& pkg, std::vector<finding> findings);

 private:
  store& db_;
  std::unordered_map<std::string, std::vector<osv_record>> cache_;
  std::unordered_map<std::string, std::vector<finding>> matched_;
  std::string key_; // reused lookup key
  std::vector<std::string> ecosystems_; // of the database, read on first use
  bool ecosystems_loaded_ = false;
};

/// The names a package's records are filed under (PEP 503 for PyPI).
std::vector<std::string> lookup_names(const package& pkg);

} // namespace regscan
