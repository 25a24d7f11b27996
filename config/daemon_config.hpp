#pragma once
// regscand's settings: config/regscan.toml, then flags on top.
#include <cstdint>
#include <string>
#include <vector>

namespace regscan {

struct daemon_config {
  std::string data_dir = "var";
  std::string socket = "var/regscand.sock";
  std::string socket_group;
  /// Control socket roles (group names; empty = nobody): an admin may do
  /// everything, a viewer only read. Root and the daemon's uid are admins.
  std::string admin_group;
  std::string viewer_group;
  std::string metrics_address = "127.0.0.1:9464";
  std::string log_level = "info";
  /// Local scan slots ([scan] max_parallel, --max-parallel-scans or
  /// --scan-slots); 0 = only remote workers scan (needs worker_listen).
  int max_parallel_scans = 2;
  int max_retries = 2;
  int retry_backoff_seconds = 5;
  /// A registry download slower than this over the window fails (and is
  /// retried like any transport error); 0 turns the check off.
  int64_t min_transfer_bytes_per_second = 1024;
  int min_transfer_window_seconds = 60;
  /// Base URL of osv.dev's per-ecosystem exports: <mirror>/<ecosystem>/all.zip.
  std::string osv_mirror = "https://osv-vulnerabilities.storage.googleapis.com";
  /// Other mirrors a `db update` request may name ([vulndb] allowed_mirrors).
  std::vector<std::string> osv_allowed_mirrors;
  /// Plain http:// mirrors ([vulndb] allow_http): anyone on the path could
  /// change the archive, so https only unless this is set.
  bool osv_allow_http = false;
  /// Caps of one archive's download ([vulndb] max_archive_mib, download_timeout_seconds).
  uint64_t osv_max_archive_bytes = uint64_t{1} << 30;
  int osv_download_timeout_seconds = 1800;
  /// Nightly sync of every registry at a random minute of this local-time window.
  bool sync_nightly = true;
  std::string sync_window = "00:00-03:00";
  /// Secret scanning of every layer's files, the config and the history ([secrets]).
  bool secrets_enabled = true;
  uint64_t secrets_max_file_bytes = uint64_t{10} << 20;
  /// Skip test fixtures and vendored docs, where example keys live.
  bool secrets_skip_test_paths = true;
  /// Licensing ([license]): each authorized image uses one license of the
  /// quota; only authorized images are scanned. -1 = no [license] quota:
  /// every image is authorized.
  int64_t license_quota = -1;
  /// New images found by a sync are authorized while licenses remain.
  bool auto_authorize = false;
  /// Scheduled scans run at local time of this zone ([schedule] timezone, an
  /// IANA name); empty = the system's (TZ, /etc/localtime).
  std::string timezone;
  /// Malware scanning with ClamAV signatures, YARA rules and IOC lists ([malware]).
  bool malware_enabled = true;
  std::string malware_signature_dir; // empty: data_dir + "/malware"
  std::string malware_temp_dir; // libclamav's temp files; "": $RUNTIME_DIRECTORY/clamav, else TMPDIR
  uint64_t malware_max_file_bytes = uint64_t{100} << 20;
  int malware_max_archive_depth = 16;
  int malware_max_archive_files = 10000;
  int malware_max_scan_seconds = 120;

  /// Remote scan workers ([workers]): where the coordinator listens for them
  /// (host:port; empty = no workers), the file holding their shared token,
  /// the link's TLS files (the daemon's certificate and key, the CA that
  /// signs the workers' certificates), or else whether the link may go
  /// without TLS (a trusted network only).
  std::string worker_listen;
  std::string worker_token_file;
  std::string worker_tls_cert;
  std::string worker_tls_key;
  std::string worker_tls_ca;
  bool insecure_worker_link = false;
  /// A worker silent for this long is gone: its tasks are queued again.
  int worker_heartbeat_timeout_seconds = 15;

  /// Empty when the settings make sense, else what is wrong.
  std::string validate() const;
};

/// Whether /usr/share/zoneinfo has a zone of this IANA name ("Asia/Shanghai").
bool known_timezone(const std::string& name);

/// Reads a TOML file into `cfg`. Throws std::runtime_error with the file and
/// position on a syntax error: this runs at start-up only.
void load_config_file(const std::string& path, daemon_config& cfg);

} // namespace regscan
