#pragma once
// What every actor of regscand shares: settings, the store, the secret box,
// the metrics and the directory of registry actors.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/actors.hpp"
#include "actors/metrics.hpp"
#include "config/daemon_config.hpp"
#include "connectors/oci_client.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace regscan {

class daemon_context {
 public:
  daemon_config cfg;
  std::unique_ptr<store> db;
  std::optional<secret_box> secrets;
  metrics stats;

  /// An OCI client for a stored registry, with its password decrypted;
  /// `cancel`, when set, stops its exchanges and retry waits (errc::cancelled).
  expected<oci_client> client_for(const registry_record& rec,
                                  const std::atomic<bool>* cancel = nullptr) const;

  void add_registry_actor(const std::string& name, registry_actor handle);
  std::optional<registry_actor> registry_actor_for(const std::string& name) const;
  /// Removes and returns the actor, so the caller can stop it.
  std::optional<registry_actor> remove_registry_actor(const std::string& name);
  /// Removes and returns them all (shutdown).
  std::vector<registry_actor> take_registry_actors();

 private:
  mutable std::mutex mtx_;
  std::map<std::string, registry_actor> registries_;
};

} // namespace regscan
