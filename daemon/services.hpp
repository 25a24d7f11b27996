#pragma once
// What the use-cases of regscand work with: settings, the store, the secret
// box and the metrics. Passed explicitly; no actor in sight.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "config/daemon_config.hpp"
#include "connectors/oci_client.hpp"
#include "daemon/metrics.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace regscan {

class secret_scanner;
class malware_scanner;

struct services {
  daemon_config cfg;
  std::unique_ptr<store> db;
  std::optional<secret_box> secrets;
  mutable metrics stats; // counted from read-only use-cases too (a registry test's 429s)

  /// An OCI client for a stored registry, with its password decrypted;
  /// `cancel`, when set, stops its exchanges and retry waits (errc::cancelled).
  expected<oci_client> client_for(const registry_record& rec,
                                  const std::atomic<bool>* cancel = nullptr) const;
  /// HTTP options for talking to a stored registry: its TLS choice, and its
  /// 429 answers counted in the metrics.
  http_options http_options_for(const registry_record& rec) const;

  /// The secret scanner a scan starts with; null when secrets are not looked
  /// for. New rules replace it whole: a running scan keeps the one it took.
  std::shared_ptr<const secret_scanner> secret_scanner_in_use() const;
  void use_secret_scanner(std::shared_ptr<const secret_scanner> scanner);
  /// The malware scanner, the same way (daemon/malware_db.hpp loads it).
  std::shared_ptr<const malware_scanner> malware_scanner_in_use() const;
  void use_malware_scanner(std::shared_ptr<const malware_scanner> scanner);
  /// Serializes malware database reloads and imports.
  std::mutex malware_db_mutex;
  std::atomic<int64_t> malware_loaded_at{0};

 private:
  mutable std::mutex secret_scanner_mutex_;
  std::shared_ptr<const secret_scanner> secret_scanner_;
  std::shared_ptr<const malware_scanner> malware_scanner_;
};

} // namespace regscan
