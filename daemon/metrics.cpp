#include "daemon/metrics.hpp"

#include <map>

#include "storage/store.hpp"

namespace regscan {

namespace {

void counter(std::string& out, const char* name, const char* help, uint64_t value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

} // namespace

std::string metrics::render(store& db) const {
  std::string out;
  counter(out, "regscan_scans_succeeded_total", "Scan tasks that completed.", scans_succeeded);
  counter(out, "regscan_scans_failed_total", "Scan tasks that failed after their retries.", scans_failed);
  counter(out, "regscan_scans_cancelled_total", "Scan tasks cancelled by a user.", scans_cancelled);
  counter(out, "regscan_scan_retries_total", "Scan attempts retried after a failure.", scan_retries);
  counter(out, "regscan_syncs_succeeded_total", "Registry syncs that completed.", syncs_succeeded);
  counter(out, "regscan_syncs_failed_total", "Registry syncs that failed.", syncs_failed);
  counter(out, "regscan_layer_bytes_pulled_total", "Compressed layer bytes pulled from registries.",
          layer_bytes_pulled);
  counter(out, "regscan_images_pulled_total", "Images pulled for scanning.", images_pulled);
  counter(out, "regscan_layer_cache_hits_total", "Layers taken from the layer cache, not pulled.",
          layer_cache_hits);
  counter(out, "regscan_layer_cache_misses_total",
          "Layers pulled and analyzed because the layer cache had no usable entry.",
          layer_cache_misses);
  counter(out, "regscan_control_requests_total", "Requests served on the control socket.",
          control_requests);
  // Gauges come from the store, so they survive restarts and stay exact.
  std::map<std::string, uint64_t> by_status;
  std::map<std::string, uint64_t> by_severity;
  uint64_t incomplete = 0;
  uint64_t secrets = 0;
  if (auto images = db.list_images()) {
    for (auto& img : *images) {
      by_status[to_string(img.scan_status)]++;
      incomplete += img.incomplete;
      secrets += img.secret_count > 0 ? static_cast<uint64_t>(img.secret_count) : 0;
      for (auto& [sev, n] : img.severity_counts)
        by_severity[sev] += n;
    }
  }
  out += "# HELP regscan_images Images in the inventory, by scan status.\n# TYPE regscan_images gauge\n";
  for (auto& [status, n] : by_status)
    out += "regscan_images{status=\"" + status + "\"} " + std::to_string(n) + "\n";
  out += "# HELP regscan_images_incomplete Images whose latest scan hit a limit or a bad layer.\n"
         "# TYPE regscan_images_incomplete gauge\n";
  out += "regscan_images_incomplete " + std::to_string(incomplete) + "\n";
  out += "# HELP regscan_vulnerabilities Findings of the latest scans, by severity.\n"
         "# TYPE regscan_vulnerabilities gauge\n";
  for (auto& [sev, n] : by_severity)
    out += "regscan_vulnerabilities{severity=\"" + sev + "\"} " + std::to_string(n) + "\n";
  out += "# HELP regscan_secrets Secrets found by the latest scans.\n# TYPE regscan_secrets gauge\n";
  out += "regscan_secrets " + std::to_string(secrets) + "\n";
  uint64_t registries = 0;
  if (auto regs = db.list_registries())
    registries = regs->size();
  out += "# HELP regscan_registries Registries configured.\n# TYPE regscan_registries gauge\n";
  out += "regscan_registries " + std::to_string(registries) + "\n";
  return out;
}

} // namespace regscan
