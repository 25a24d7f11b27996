#pragma once
// Adding and editing a registry: the form's checks, its defaults, and where
// its secrets may go.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;

/// What a user gave; an unset field is left as it is by an edit and takes
/// its default when adding.
struct registry_form {
  std::optional<std::string> name, type, address, username, password, version, region,
    instance_id, api_endpoint, secret_id, secret_key, network_type;
  std::optional<bool> verify_tls;
  std::optional<int64_t> rate_limit;
  std::optional<std::vector<std::string>> repositories;
  std::optional<std::vector<std::string>> projects; // Harbor projects / TCR namespaces
  std::optional<bool> include_proxy_cache;
  std::optional<std::string> secret_token; // Tencent Cloud session token
};

struct registry_edit {
  registry_record record;
  /// Stored secrets dropped because the edit changed where they would go
  /// (type, address, API endpoint or region) and gave no new ones.
  std::vector<std::string> credentials_dropped;
};

bool valid_registry_name(const std::string& name);
/// The pull rates a user may choose (images per hour); 0 is unlimited.
bool valid_rate_limit(int per_hour);

/// Checks and stores a new registry, its secrets sealed: errc::invalid for a
/// bad form, errc::conflict when the name is taken.
expected<registry_record> add_registry(const services& s, const registry_form& form);

/// Checks and stores an edit: errc::not_found, errc::invalid. A secret given
/// for one host is never sent to another one.
expected<registry_edit> edit_registry(const services& s, const std::string& name,
                                      const registry_form& form);

} // namespace regscan
