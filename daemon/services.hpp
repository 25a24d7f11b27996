#pragma once
// What the use-cases of regscand work with: settings, the store, the secret
// box and the metrics. Passed explicitly; no actor in sight.
#include <atomic>
#include <memory>
#include <optional>

#include "config/daemon_config.hpp"
#include "connectors/oci_client.hpp"
#include "daemon/metrics.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace regscan {

struct services {
  daemon_config cfg;
  std::unique_ptr<store> db;
  std::optional<secret_box> secrets;
  metrics stats;

  /// An OCI client for a stored registry, with its password decrypted;
  /// `cancel`, when set, stops its exchanges and retry waits (errc::cancelled).
  expected<oci_client> client_for(const registry_record& rec,
                                  const std::atomic<bool>* cancel = nullptr) const;
};

} // namespace regscan
