#include "config/daemon_config.hpp"

#include <cstdio>
#include <stdexcept>

#include <toml++/toml.h>

namespace regscan {

std::string daemon_config::validate() const {
  if (data_dir.empty())
    return "data_dir must not be empty";
  if (socket.empty())
    return "socket must not be empty";
  if (metrics_address.find(':') == std::string::npos)
    return "metrics_address must be host:port";
  if (max_parallel_scans < 1 || max_parallel_scans > 256)
    return "scan.max_parallel must be between 1 and 256";
  if (max_retries < 0 || max_retries > 100)
    return "scan.max_retries must be between 0 and 100";
  if (retry_backoff_seconds < 0)
    return "scan.retry_backoff_seconds must not be negative";
  if (min_transfer_bytes_per_second < 0)
    return "scan.min_transfer_bytes_per_second must not be negative";
  if (min_transfer_window_seconds < 1 || min_transfer_window_seconds > 3600)
    return "scan.min_transfer_window_seconds must be between 1 and 3600";
  if (osv_mirror.rfind("http://", 0) != 0 && osv_mirror.rfind("https://", 0) != 0)
    return "vulndb.mirror must start with http:// or https://";
  {
    int h1, m1, h2, m2;
    char tail;
    if (std::sscanf(sync_window.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4)
      return "sync.window must be HH:MM-HH:MM";
  }
  static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  for (auto l : levels)
    if (log_level == l)
      return {};
  return "log_level must be one of trace, debug, info, warn, error";
}

void load_config_file(const std::string& path, daemon_config& cfg) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    auto& pos = e.source().begin;
    throw std::runtime_error(path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column)
                             + ": " + std::string(e.description()));
  }
  cfg.data_dir = t["daemon"]["data_dir"].value_or(cfg.data_dir);
  cfg.socket = t["daemon"]["socket"].value_or(cfg.socket);
  cfg.socket_group = t["daemon"]["socket_group"].value_or(cfg.socket_group);
  cfg.admin_group = t["daemon"]["admin_group"].value_or(cfg.admin_group);
  cfg.viewer_group = t["daemon"]["viewer_group"].value_or(cfg.viewer_group);
  cfg.metrics_address = t["daemon"]["metrics_address"].value_or(cfg.metrics_address);
  cfg.log_level = t["daemon"]["log_level"].value_or(cfg.log_level);
  cfg.max_parallel_scans = t["scan"]["max_parallel"].value_or(cfg.max_parallel_scans);
  cfg.max_retries = t["scan"]["max_retries"].value_or(cfg.max_retries);
  cfg.retry_backoff_seconds = t["scan"]["retry_backoff_seconds"].value_or(cfg.retry_backoff_seconds);
  cfg.min_transfer_bytes_per_second
    = t["scan"]["min_transfer_bytes_per_second"].value_or(cfg.min_transfer_bytes_per_second);
  cfg.min_transfer_window_seconds
    = t["scan"]["min_transfer_window_seconds"].value_or(cfg.min_transfer_window_seconds);
  cfg.osv_mirror = t["vulndb"]["mirror"].value_or(cfg.osv_mirror);
  cfg.sync_nightly = t["sync"]["nightly"].value_or(cfg.sync_nightly);
  cfg.sync_window = t["sync"]["window"].value_or(cfg.sync_window);
}

} // namespace regscan
