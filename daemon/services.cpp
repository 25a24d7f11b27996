#include "daemon/services.hpp"

namespace regscan {

expected<oci_client> services::client_for(const registry_record& rec,
                                         const std::atomic<bool>* cancel) const {
  registry_credentials creds;
  creds.username = rec.username;
  if (!rec.password_sealed.empty()) {
    auto pw = secrets->open(rec.password_sealed);
    if (!pw)
      return make_error("registry " + rec.name + ": " + pw.err().message);
    creds.password = *pw;
  }
  auto opts = http_options_for(rec);
  opts.cancel = cancel;
  opts.min_transfer_bytes_per_second = static_cast<uint64_t>(cfg.min_transfer_bytes_per_second);
  opts.min_transfer_window = std::chrono::seconds(cfg.min_transfer_window_seconds);
  return oci_client{rec.address, std::move(creds), opts};
}

http_options services::http_options_for(const registry_record& rec) const {
  http_options opts;
  opts.verify_tls = rec.verify_tls;
  opts.on_throttled = [&stats = stats, name = rec.name] { stats.registry_throttled(name); };
  return opts;
}

std::shared_ptr<const secret_scanner> services::secret_scanner_in_use() const {
  std::lock_guard lock{secret_scanner_mutex_};
  return secret_scanner_;
}

std::shared_ptr<const malware_scanner> services::malware_scanner_in_use() const {
  std::lock_guard lock{secret_scanner_mutex_};
  return malware_scanner_;
}

void services::use_malware_scanner(std::shared_ptr<const malware_scanner> scanner) {
  std::lock_guard lock{secret_scanner_mutex_};
  malware_scanner_ = std::move(scanner);
}

void services::use_secret_scanner(std::shared_ptr<const secret_scanner> scanner) {
  std::lock_guard lock{secret_scanner_mutex_};
  secret_scanner_ = std::move(scanner);
}

} // namespace regscan
