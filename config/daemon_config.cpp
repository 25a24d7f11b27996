#include "config/daemon_config.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <type_traits>

#include <toml++/toml.h>

namespace regscan {

bool known_timezone(const std::string& name) {
  // glibc takes an unknown TZ for UTC without a word: check the file.
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
    return false;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + name, ec);
}

std::string daemon_config::validate() const {
  if (data_dir.empty())
    return "data_dir must not be empty";
  if (socket.empty())
    return "socket must not be empty";
  if (metrics_address.find(':') == std::string::npos)
    return "metrics_address must be host:port";
  if (max_parallel_scans < 0 || max_parallel_scans > 256)
    return "scan.max_parallel must be between 0 and 256";
  if (max_parallel_scans == 0 && worker_listen.empty())
    return "scan.max_parallel = 0 (only workers scan) needs workers.listen";
  if (!worker_listen.empty() && worker_token_file.empty())
    return "workers.listen needs workers.token_file (the token workers join with)";
  if (!worker_listen.empty() && worker_listen.rfind(':') == std::string::npos)
    return "workers.listen must be host:port";
  bool any_tls = !worker_tls_cert.empty() || !worker_tls_key.empty() || !worker_tls_ca.empty();
  bool all_tls = !worker_tls_cert.empty() && !worker_tls_key.empty() && !worker_tls_ca.empty();
  if (any_tls && !all_tls)
    return "the worker link's TLS needs all three of workers.tls_cert, tls_key and tls_ca "
           "(--worker-tls-cert, --worker-tls-key, --worker-tls-ca)";
  if (all_tls && insecure_worker_link)
    return "workers.insecure_link (--insecure-worker-link) and the workers' TLS files are both set: "
           "choose one";
  if (!worker_listen.empty() && !all_tls && !insecure_worker_link)
    return "workers.listen needs TLS: set workers.tls_cert, tls_key and tls_ca (--worker-tls-cert, "
           "--worker-tls-key, --worker-tls-ca), or workers.insecure_link = true "
           "(--insecure-worker-link) on a trusted network only";
  if (worker_heartbeat_timeout_seconds < 2 || worker_heartbeat_timeout_seconds > 3600)
    return "workers.heartbeat_timeout_seconds must be between 2 and 3600";
  if (max_retries < 0 || max_retries > 100)
    return "scan.max_retries must be between 0 and 100";
  if (retry_backoff_seconds < 0)
    return "scan.retry_backoff_seconds must not be negative";
  if (min_transfer_bytes_per_second < 0)
    return "scan.min_transfer_bytes_per_second must not be negative";
  if (min_transfer_window_seconds < 1 || min_transfer_window_seconds > 3600)
    return "scan.min_transfer_window_seconds must be between 1 and 3600";
  // https unless plain http is allowed: a mirror's archive decides what is vulnerable.
  auto scheme_ok = [&](const std::string& url) {
    return url.rfind("https://", 0) == 0 || (osv_allow_http && url.rfind("http://", 0) == 0);
  };
  std::string schemes = osv_allow_http ? " must start with https:// or http://"
                                       : " must start with https:// (or set vulndb.allow_http)";
  if (!scheme_ok(osv_mirror))
    return "vulndb.mirror" + schemes;
  for (auto& m : osv_allowed_mirrors)
    if (!scheme_ok(m))
      return "vulndb.allowed_mirrors: " + m + schemes;
  if (osv_max_archive_bytes == 0)
    return "vulndb.max_archive_mib must be at least 1";
  if (osv_download_timeout_seconds < 1)
    return "vulndb.download_timeout_seconds must be at least 1";
  {
    int h1, m1, h2, m2;
    char tail;
    if (std::sscanf(sync_window.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4)
      return "sync.window must be HH:MM-HH:MM";
  }
  if (license_quota < -1)
    return "license.quota must not be negative";
  if (!timezone.empty() && !known_timezone(timezone))
    return "schedule.timezone: " + timezone + " is not a time zone of /usr/share/zoneinfo";
  static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  for (auto l : levels)
    if (log_level == l)
      return {};
  return "log_level must be one of trace, debug, info, warn, error";
}

namespace {

/// Every setting the file may hold: a misspelt one is an error, not a
/// silently kept default.
void check_known_keys(const std::string& path, const toml::table& t) {
  static const std::map<std::string, std::set<std::string>> known = {
    {"daemon", {"data_dir", "socket", "socket_group", "admin_group", "viewer_group", "metrics_address",
                "log_level"}},
    {"scan", {"max_parallel", "max_retries", "retry_backoff_seconds", "min_transfer_bytes_per_second",
              "min_transfer_window_seconds"}},
    {"vulndb", {"mirror", "allowed_mirrors", "allow_http", "max_archive_mib", "download_timeout_seconds"}},
    {"sync", {"nightly", "window"}},
    {"secrets", {"enabled", "max_file_mib", "skip_test_paths"}}, // main's secret scanning
    {"license", {"quota", "auto_authorize"}},
    {"schedule", {"timezone"}},
    {"workers", {"listen", "token_file", "tls_cert", "tls_key", "tls_ca", "insecure_link",
                 "heartbeat_timeout_seconds"}},
    {"malware", {"enabled", "signature_dir", "temp_dir", "max_file_mib", "max_archive_depth",
                 "max_archive_files", "max_scan_seconds"}}, // malware scanning
  };
  for (auto& [section, node] : t) {
    auto k = known.find(std::string(section.str()));
    if (k == known.end() || !node.is_table())
      throw std::runtime_error(path + ": unknown section [" + std::string(section.str()) + "]");
    for (auto& [key, value] : *node.as_table())
      if (!k->second.count(std::string(key.str())))
        throw std::runtime_error(path + ": unknown setting " + k->first + "." + std::string(key.str()));
  }
}

} // namespace

void load_config_file(const std::string& path, daemon_config& cfg) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    auto& pos = e.source().begin;
    throw std::runtime_error(path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column)
                             + ": " + std::string(e.description()));
  }
  check_known_keys(path, t);
  cfg.data_dir = t["daemon"]["data_dir"].value_or(cfg.data_dir);
  cfg.socket = t["daemon"]["socket"].value_or(cfg.socket);
  cfg.socket_group = t["daemon"]["socket_group"].value_or(cfg.socket_group);
  cfg.admin_group = t["daemon"]["admin_group"].value_or(cfg.admin_group);
  cfg.viewer_group = t["daemon"]["viewer_group"].value_or(cfg.viewer_group);
  cfg.metrics_address = t["daemon"]["metrics_address"].value_or(cfg.metrics_address);
  cfg.log_level = t["daemon"]["log_level"].value_or(cfg.log_level);
  cfg.max_parallel_scans = t["scan"]["max_parallel"].value_or(cfg.max_parallel_scans);
  cfg.worker_listen = t["workers"]["listen"].value_or(cfg.worker_listen);
  cfg.worker_token_file = t["workers"]["token_file"].value_or(cfg.worker_token_file);
  cfg.worker_tls_cert = t["workers"]["tls_cert"].value_or(cfg.worker_tls_cert);
  cfg.worker_tls_key = t["workers"]["tls_key"].value_or(cfg.worker_tls_key);
  cfg.worker_tls_ca = t["workers"]["tls_ca"].value_or(cfg.worker_tls_ca);
  cfg.insecure_worker_link = t["workers"]["insecure_link"].value_or(cfg.insecure_worker_link);
  cfg.worker_heartbeat_timeout_seconds
    = t["workers"]["heartbeat_timeout_seconds"].value_or(cfg.worker_heartbeat_timeout_seconds);
  cfg.max_retries = t["scan"]["max_retries"].value_or(cfg.max_retries);
  cfg.retry_backoff_seconds = t["scan"]["retry_backoff_seconds"].value_or(cfg.retry_backoff_seconds);
  cfg.min_transfer_bytes_per_second
    = t["scan"]["min_transfer_bytes_per_second"].value_or(cfg.min_transfer_bytes_per_second);
  cfg.min_transfer_window_seconds
    = t["scan"]["min_transfer_window_seconds"].value_or(cfg.min_transfer_window_seconds);
  cfg.osv_mirror = t["vulndb"]["mirror"].value_or(cfg.osv_mirror);
  if (auto* mirrors = t["vulndb"]["allowed_mirrors"].as_array()) {
    cfg.osv_allowed_mirrors.clear();
    for (auto& m : *mirrors)
      if (auto v = m.value<std::string>())
        cfg.osv_allowed_mirrors.push_back(*v);
      else
        throw std::runtime_error(path + ": vulndb.allowed_mirrors must be a list of URLs");
  }
  cfg.osv_allow_http = t["vulndb"]["allow_http"].value_or(cfg.osv_allow_http);
  if (auto mib = t["vulndb"]["max_archive_mib"].value<int64_t>()) {
    if (*mib < 1)
      throw std::runtime_error(path + ": vulndb.max_archive_mib must be at least 1");
    cfg.osv_max_archive_bytes = static_cast<uint64_t>(*mib) << 20;
  }
  cfg.osv_download_timeout_seconds =
    t["vulndb"]["download_timeout_seconds"].value_or(cfg.osv_download_timeout_seconds);
  cfg.sync_nightly = t["sync"]["nightly"].value_or(cfg.sync_nightly);
  cfg.sync_window = t["sync"]["window"].value_or(cfg.sync_window);
  cfg.secrets_enabled = t["secrets"]["enabled"].value_or(cfg.secrets_enabled);
  if (auto mib = t["secrets"]["max_file_mib"].value<int64_t>()) {
    if (*mib < 1 || *mib > 1024)
      throw std::runtime_error(path + ": secrets.max_file_mib must be between 1 and 1024");
    cfg.secrets_max_file_bytes = static_cast<uint64_t>(*mib) << 20;
  }
  cfg.secrets_skip_test_paths = t["secrets"]["skip_test_paths"].value_or(cfg.secrets_skip_test_paths);
  if (auto quota = t["license"]["quota"].value<int64_t>()) {
    if (*quota < 0)
      throw std::runtime_error(path + ": license.quota must not be negative");
    cfg.license_quota = *quota;
  }
  cfg.auto_authorize = t["license"]["auto_authorize"].value_or(cfg.auto_authorize);
  cfg.timezone = t["schedule"]["timezone"].value_or(cfg.timezone);
  auto malware = [&](const char* key, int64_t lo, int64_t hi, auto& out) {
    if (auto v = t["malware"][key].value<int64_t>()) {
      if (*v < lo || *v > hi)
        throw std::runtime_error(path + ": malware." + key + " must be between " + std::to_string(lo)
                                 + " and " + std::to_string(hi));
      out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
    }
  };
  cfg.malware_enabled = t["malware"]["enabled"].value_or(cfg.malware_enabled);
  cfg.malware_signature_dir = t["malware"]["signature_dir"].value_or(cfg.malware_signature_dir);
  cfg.malware_temp_dir = t["malware"]["temp_dir"].value_or(cfg.malware_temp_dir);
  int64_t malware_mib = static_cast<int64_t>(cfg.malware_max_file_bytes >> 20);
  malware("max_file_mib", 1, 4096, malware_mib);
  cfg.malware_max_file_bytes = static_cast<uint64_t>(malware_mib) << 20;
  malware("max_archive_depth", 1, 64, cfg.malware_max_archive_depth);
  malware("max_archive_files", 1, 1000000, cfg.malware_max_archive_files);
  malware("max_scan_seconds", 1, 3600, cfg.malware_max_scan_seconds);
}

} // namespace regscan
