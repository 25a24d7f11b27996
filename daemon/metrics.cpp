#include "daemon/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>
#include <tuple>

#include "storage/store.hpp"

namespace regscan {

namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string number(double v) {
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as v: 0.1, not 0.10000000000000001.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v)
    std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A label value, escaped as the text format wants.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void sample(std::string& out, const char* name, const std::string& labels, double v) {
  out += name;
  if (!labels.empty())
    out += "{" + labels + "}";
  out += ' ';
  out += number(v);
  out += '\n';
}

void single(std::string& out, const char* name, const char* type, const char* help, double v) {
  header(out, name, type, help);
  sample(out, name, "", v);
}

} // namespace

void histogram::observe(double value) {
  std::lock_guard lock{mu_};
  for (size_t i = 0; i < bounds.size(); ++i)
    if (value <= bounds[i]) {
      buckets_[i]++;
      break;
    }
  count_++;
  sum_ += value;
}

void histogram::render(std::string& out, const char* name, const char* help) const {
  std::lock_guard lock{mu_};
  header(out, name, "histogram", help);
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += buckets_[i];
    sample(out, bucket.c_str(), "le=\"" + number(bounds[i]) + "\"", static_cast<double>(cumulative));
  }
  sample(out, bucket.c_str(), "le=\"+Inf\"", static_cast<double>(count_));
  sample(out, (std::string(name) + "_sum").c_str(), "", sum_);
  sample(out, (std::string(name) + "_count").c_str(), "", static_cast<double>(count_));
}

void metrics::add(const image_record& img, int sign) {
  images_.by_status[to_string(img.scan_status)] += sign;
  images_.incomplete += img.incomplete ? sign : 0;
  images_.unauthorized += img.authorized ? 0 : sign;
  for (auto& [sev, n] : img.severity_counts)
    images_.by_severity[sev] += sign * n;
  for (auto& [sev, n] : img.secret_counts)
    images_.secrets_by_severity[sev] += sign * n;
  for (auto& [sev, n] : img.malware_counts)
    images_.malware_by_severity[sev] += sign * n;
}

void metrics::count_images(store& db) {
  std::lock_guard lock{mu_};
  images_ = {};
  if (auto images = db.list_images())
    for (auto& img : *images)
      add(img, +1);
}

void metrics::image_changed(const image_record* before, const image_record* after) {
  std::lock_guard lock{mu_};
  if (before)
    add(*before, -1);
  if (after)
    add(*after, +1);
}

void metrics::sync_finished(const std::string& registry, bool ok, int64_t at) {
  std::lock_guard lock{mu_};
  auto& r = registries_[registry];
  r.last_sync = at;
  r.last_sync_ok = ok;
}

void metrics::budget_wait(const std::string& registry) {
  std::lock_guard lock{mu_};
  registries_[registry].budget_waits++;
}

void metrics::registry_throttled(const std::string& registry) {
  std::lock_guard lock{mu_};
  registries_[registry].throttled++;
}

void metrics::image_pulled(const std::string& registry) {
  images_pulled++;
  std::lock_guard lock{mu_};
  registries_[registry].images_pulled++;
}

void metrics::layer_pulled(const std::string& registry, uint64_t bytes, double seconds) {
  layer_bytes_pulled += bytes;
  layer_pull_seconds.observe(seconds);
  std::lock_guard lock{mu_};
  registries_[registry].bytes_pulled += bytes;
}

void metrics::budget_changed(const std::string& registry, int per_hour, std::vector<int64_t> pulls) {
  std::lock_guard lock{mu_};
  auto& r = registries_[registry];
  r.per_hour = per_hour;
  r.pulls = std::move(pulls);
}

void metrics::registry_deleted(const std::string& registry) {
  std::lock_guard lock{mu_};
  registries_.erase(registry);
}

void metrics::worker_joined(uint64_t id, const std::string& host, const std::string& address,
                            const std::string& version, int slots, int64_t at) {
  std::lock_guard lock{mu_};
  auto& w = workers_[id];
  w.host = host;
  w.address = address;
  w.version = version;
  w.slots = slots;
  w.last_heartbeat = at;
  for (auto outcome : {"succeeded", "failed", "cancelled"})
    w.tasks[outcome] = 0;
}

void metrics::worker_running(uint64_t id, size_t running) {
  std::lock_guard lock{mu_};
  if (auto w = workers_.find(id); w != workers_.end())
    w->second.running = running;
}

void metrics::worker_heartbeat(uint64_t id, int64_t at) {
  std::lock_guard lock{mu_};
  if (auto w = workers_.find(id); w != workers_.end())
    w->second.last_heartbeat = at;
}

void metrics::worker_task_ended(uint64_t id, const std::string& outcome) {
  std::lock_guard lock{mu_};
  // A task that ends after its worker left must not bring the series back.
  if (auto w = workers_.find(id); w != workers_.end())
    w->second.tasks[outcome]++;
}

void metrics::worker_left(uint64_t id) {
  std::lock_guard lock{mu_};
  workers_.erase(id);
}

std::string metrics::render(store& db) const {
  std::string out;
  header(out, "regscan_build_info", "gauge", "The running regscand's version (the value is 1).");
#ifdef REGSCAN_VERSION
  sample(out, "regscan_build_info", "version=\"" REGSCAN_VERSION "\"", 1);
#else
  sample(out, "regscan_build_info", "version=\"unknown\"", 1);
#endif

  header(out, "regscan_scans_finished_total", "counter", "Scan tasks that ended, by outcome.");
  sample(out, "regscan_scans_finished_total", "outcome=\"succeeded\"", static_cast<double>(scans_succeeded));
  sample(out, "regscan_scans_finished_total", "outcome=\"failed\"", static_cast<double>(scans_failed));
  sample(out, "regscan_scans_finished_total", "outcome=\"cancelled\"", static_cast<double>(scans_cancelled));
  single(out, "regscan_scan_retries_total", "counter", "Scan attempts retried after a failure.",
         static_cast<double>(scan_retries));
  scan_seconds.render(out, "regscan_scan_duration_seconds",
                      "How long scan task runs took, from their start to their outcome.");
  header(out, "regscan_tasks", "gauge", "Scan tasks that have not ended, by state.");
  sample(out, "regscan_tasks", "state=\"queued\"", static_cast<double>(tasks_queued));
  sample(out, "regscan_tasks", "state=\"running\"", static_cast<double>(tasks_running));
  header(out, "regscan_tasks_waiting", "gauge", "Scan tasks waiting, by reason.");
  sample(out, "regscan_tasks_waiting", "reason=\"budget\"", static_cast<double>(tasks_waiting_budget));
  sample(out, "regscan_tasks_waiting", "reason=\"backoff\"", static_cast<double>(tasks_waiting_backoff));

  single(out, "regscan_workers_joined", "gauge", "Remote scan workers joined now.",
         static_cast<double>(workers_joined));
  {
    std::lock_guard lock{mu_};
    auto id = [](uint64_t worker) { return "worker=\"" + std::to_string(worker) + "\""; };
    header(out, "regscan_worker_info", "gauge",
           "A joined remote scan worker (the value is 1): its host, address and version.");
    for (auto& [worker, w] : workers_)
      sample(out, "regscan_worker_info",
             id(worker) + ",host=\"" + label(w.host) + "\",address=\"" + label(w.address)
               + "\",version=\"" + label(w.version) + "\"",
             1);
    header(out, "regscan_worker_slots", "gauge", "Scan tasks the worker runs at once.");
    for (auto& [worker, w] : workers_)
      sample(out, "regscan_worker_slots", id(worker), w.slots);
    header(out, "regscan_worker_running_tasks", "gauge", "Scan tasks running on the worker now.");
    for (auto& [worker, w] : workers_)
      sample(out, "regscan_worker_running_tasks", id(worker), static_cast<double>(w.running));
    header(out, "regscan_worker_last_heartbeat_timestamp_seconds", "gauge",
           "When the worker's last heartbeat came (unix time).");
    for (auto& [worker, w] : workers_)
      sample(out, "regscan_worker_last_heartbeat_timestamp_seconds", id(worker),
             static_cast<double>(w.last_heartbeat));
    header(out, "regscan_worker_tasks_total", "counter",
           "Scan tasks that ran on the worker and ended, by outcome (a failed one may be retried).");
    for (auto& [worker, w] : workers_)
      for (auto& [outcome, n] : w.tasks)
        sample(out, "regscan_worker_tasks_total", id(worker) + ",outcome=\"" + label(outcome) + "\"",
               static_cast<double>(n));
  }

  header(out, "regscan_syncs_finished_total", "counter", "Registry syncs that ended, by outcome.");
  sample(out, "regscan_syncs_finished_total", "outcome=\"succeeded\"", static_cast<double>(syncs_succeeded));
  sample(out, "regscan_syncs_finished_total", "outcome=\"failed\"", static_cast<double>(syncs_failed));
  single(out, "regscan_images_pulled_total", "counter", "Images pulled for scanning.",
         static_cast<double>(images_pulled));
  single(out, "regscan_layer_bytes_pulled_total", "counter", "Compressed layer bytes pulled from registries.",
         static_cast<double>(layer_bytes_pulled));
  single(out, "regscan_layer_cache_hits_total", "counter", "Layers taken from the layer cache, not pulled.",
         static_cast<double>(layer_cache_hits));
  single(out, "regscan_layer_cache_hit_bytes_total", "counter",
         "Compressed layer bytes not pulled because the layer cache had them.",
         static_cast<double>(layer_cache_hit_bytes));
  layer_pull_seconds.render(out, "regscan_layer_pull_duration_seconds",
                            "How long each layer's fetch took, streamed through the analyzer.");
  single(out, "regscan_layer_cache_misses_total", "counter",
         "Layers pulled and analyzed because the layer cache had no usable entry.",
         static_cast<double>(layer_cache_misses));
  single(out, "regscan_control_requests_total", "counter", "Requests served on the control socket.",
         static_cast<double>(control_requests));

  // Only configured registries: a sync or scan that ends after its registry
  // was deleted must not bring its series back.
  std::set<std::string> configured;
  if (auto regs = db.list_registries())
    for (auto& r : *regs)
      configured.insert(r.name);
  single(out, "regscan_registries", "gauge", "Registries configured.", static_cast<double>(configured.size()));
  {
    std::lock_guard lock{mu_};
    std::map<std::string, registry_gauges> registries;
    for (auto& [name, r] : registries_)
      if (configured.contains(name))
        registries.emplace(name, r);
    header(out, "regscan_images", "gauge", "Images in the inventory, by scan status.");
    for (auto status : {scan_status::unscanned, scan_status::queued, scan_status::scanning,
                        scan_status::scanned, scan_status::failed, scan_status::cancelled}) {
      auto it = images_.by_status.find(to_string(status));
      sample(out, "regscan_images", std::string("status=\"") + to_string(status) + "\"",
             static_cast<double>(it == images_.by_status.end() ? 0 : it->second));
    }
    int64_t images = 0;
    for (auto& [status, n] : images_.by_status)
      images += n;
    header(out, "regscan_images_by_authorization", "gauge", "Images in the inventory, by authorization.");
    sample(out, "regscan_images_by_authorization", "authorization=\"authorized\"",
           static_cast<double>(images - images_.unauthorized));
    sample(out, "regscan_images_by_authorization", "authorization=\"unauthorized\"",
           static_cast<double>(images_.unauthorized));
    single(out, "regscan_images_incomplete", "gauge", "Images whose latest scan hit a limit or a bad layer.",
           static_cast<double>(images_.incomplete));
    header(out, "regscan_findings", "gauge", "Findings of the latest scans, by kind and severity.");
    for (auto& [sev, n] : images_.by_severity)
      if (n != 0)
        sample(out, "regscan_findings", "kind=\"vulnerability\",severity=\"" + label(sev) + "\"",
               static_cast<double>(n));
    for (auto& [sev, n] : images_.secrets_by_severity)
      if (n != 0)
        sample(out, "regscan_findings", "kind=\"secret\",severity=\"" + label(sev) + "\"",
               static_cast<double>(n));
    for (auto& [sev, n] : images_.malware_by_severity)
      if (n != 0)
        sample(out, "regscan_findings", "kind=\"malware\",severity=\"" + label(sev) + "\"",
               static_cast<double>(n));
    header(out, "regscan_registry_last_sync_timestamp_seconds", "gauge",
           "When the registry's last sync since the start ended (unix time).");
    for (auto& [name, r] : registries)
      if (r.last_sync)
        sample(out, "regscan_registry_last_sync_timestamp_seconds", "registry=\"" + label(name) + "\"",
               static_cast<double>(r.last_sync));
    header(out, "regscan_registry_last_sync_success", "gauge",
           "Whether the registry's last sync since the start succeeded (1) or failed (0).");
    for (auto& [name, r] : registries)
      if (r.last_sync)
        sample(out, "regscan_registry_last_sync_success", "registry=\"" + label(name) + "\"",
               r.last_sync_ok ? 1 : 0);
    // One counter per registry each: its name, help and field.
    for (auto [metric, help, field] :
         {std::tuple{"regscan_registry_budget_waits_total", "Scans that waited for the registry's hourly pull budget.",
                     &registry_gauges::budget_waits},
          std::tuple{"regscan_registry_throttled_total",
                     "Answers 429 (Too Many Requests) from the registry, each followed by a wait.",
                     &registry_gauges::throttled},
          std::tuple{"regscan_registry_images_pulled_total", "Images pulled from the registry for scanning.",
                     &registry_gauges::images_pulled},
          std::tuple{"regscan_registry_layer_bytes_pulled_total", "Compressed layer bytes pulled from the registry.",
                     &registry_gauges::bytes_pulled}}) {
      header(out, metric, "counter", help);
      for (auto& [name, r] : registries)
        sample(out, metric, "registry=\"" + label(name) + "\"", static_cast<double>(r.*field));
    }
    header(out, "regscan_registry_pull_budget_remaining", "gauge",
           "Pulls the registry's hourly budget allows now; absent for a registry without a limit.");
    auto now = std::time(nullptr);
    for (auto& [name, r] : registries) {
      if (r.per_hour <= 0)
        continue;
      int64_t recent = 0;
      for (auto t : r.pulls)
        recent += now - t < 3600 ? 1 : 0;
      sample(out, "regscan_registry_pull_budget_remaining", "registry=\"" + label(name) + "\"",
             static_cast<double>(std::max<int64_t>(0, r.per_hour - recent)));
    }
  }

  header(out, "regscan_vulndb_age_seconds", "gauge",
         "Time since each ecosystem of the vulnerability database was last imported.");
  if (auto status = db.db_status()) {
    auto now = std::time(nullptr);
    for (auto& eco : *status)
      if (eco.imported_at > 0)
        sample(out, "regscan_vulndb_age_seconds", "ecosystem=\"" + label(eco.ecosystem) + "\"",
               static_cast<double>(now - eco.imported_at));
  }
  return out;
}

} // namespace regscan
