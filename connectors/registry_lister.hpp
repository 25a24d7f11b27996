#pragma once
// What a registry holds, listed the way its kind offers it: the distribution
// API for docker-v2, Harbor's REST API (V1/V2), Tencent Cloud API 3.0 for
// TCR/CCR. Listing only: images are always pulled through oci_client.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/http_client.hpp"
#include "connectors/oci_client.hpp"
#include "scanners/expected.hpp"

namespace regscan {

/// One manifest (image or index) of a repository with the tags pointing at it.
struct listed_artifact {
  std::string digest; // empty when the API does not say: sync asks with a HEAD
  std::vector<std::string> tags;
  uint64_t size = 0;
  std::string media_type, pushed, created; // times "" when unknown
  /// "" for an image (or when the API does not say); else what the API calls
  /// it (Harbor's `type`, TCR's `Kind`, lowercased): inventoried, never pulled.
  std::string kind;
};

class registry_lister {
 public:
  virtual ~registry_lister() = default;
  virtual expected<std::vector<std::string>> repositories() = 0;
  virtual expected<std::vector<listed_artifact>> artifacts(const std::string& repo) = 0;
  /// One cheap call of the listing API with the configured credentials, for
  /// `registry test`; "" when the kind has no listing API of its own.
  virtual std::string api_name() const { return {}; }
  virtual expected<void> probe() { return {}; }
  /// What the last repositories() could not see or left out on purpose
  /// (a robot account's hidden projects, skipped proxy-cache projects).
  virtual std::vector<std::string> notes() const { return {}; }
  /// Projects left out on purpose by the last repositories().
  virtual uint64_t projects_skipped() const { return 0; }
};

struct lister_config {
  std::string type;          // docker-v2 | harbor | tcr | ccr
  std::string version;       // harbor: V1 | V2
  std::string address;       // the registry endpoint
  std::string api_endpoint;  // API base; "" = the kind's default
  std::string region;        // TCR/CCR region (X-TC-Region)
  std::string instance_id;   // TCR RegistryId
  registry_credentials creds;          // registry and Harbor API
  std::string secret_id, secret_key;   // Tencent Cloud API
  std::string secret_token;            // its session token (temporary credentials), "" if none
  std::vector<std::string> repositories; // docker-v2 without a catalog; "ns/" = a namespace
  std::vector<std::string> projects;   // Harbor projects / TCR namespaces to list; empty = all visible
  bool include_proxy_cache = false;    // Harbor: list proxy-cache projects too
  http_options http;
};

using sleep_fn = std::function<void(std::chrono::milliseconds)>;

/// The lister for cfg.type; docker-v2 lists through `registry` (which must
/// outlive it). Unknown kinds are an error.
expected<std::unique_ptr<registry_lister>> make_lister(const lister_config& cfg, oci_client& registry,
                                                       sleep_fn sleep = {});

// One per kind (each in its own file).
std::unique_ptr<registry_lister> make_docker_v2_lister(const lister_config& cfg, oci_client& registry,
                                                       sleep_fn sleep);
std::unique_ptr<registry_lister> make_harbor_v2_lister(const lister_config& cfg, sleep_fn sleep);
std::unique_ptr<registry_lister> make_harbor_v1_lister(const lister_config& cfg, sleep_fn sleep);
std::unique_ptr<registry_lister> make_tcr_lister(const lister_config& cfg, sleep_fn sleep);
std::unique_ptr<registry_lister> make_ccr_lister(const lister_config& cfg, sleep_fn sleep);

/// JSON REST calls with the same fault handling as oci_client: 408/429/5xx
/// and transport errors retried with jittered backoff, Retry-After honoured
/// (capped), a bounded number of attempts.
class api_caller {
 public:
  api_caller(http_options opts, sleep_fn sleep);
  expected<http_response> call(std::string_view method, const std::string& url,
                               const http_headers& headers, const std::string* body = nullptr);
  /// The pause before attempt `attempt + 1`: `hint` (a capped Retry-After)
  /// when given, else jittered exponential backoff from 250 ms.
  void backoff(int attempt, std::chrono::milliseconds hint = {});
  static constexpr int max_attempts = 4;
  static constexpr std::chrono::seconds retry_after_cap{60};
  static constexpr int max_pages = 1000;

 private:
  http_client http_;
  sleep_fn sleep_;
};

/// "Basic base64(user:pass)".
std::string basic_auth(const registry_credentials& creds);
/// Percent-encodes everything but unreserved characters.
std::string percent_encode(std::string_view s);
/// A JSON string literal (quotes included) for building request bodies.
std::string json_quote(const std::string& s);
/// A time as the registry reports it, or "" when it stands for "unknown"
/// (Go's zero time, 0001-01-01T00:00:00Z, which Harbor 1.x sends).
std::string known_time(std::string_view t);
/// Whether a Harbor user name is a robot account's ("robot$" by default,
/// "robot_" in some Harbor setups).
bool is_harbor_robot(std::string_view username);
/// The namespace named by a repositories entry "ns/" or "ns/*", if it is one.
std::optional<std::string> repository_namespace(std::string_view entry);

} // namespace regscan
