#pragma once
// The OCI distribution (docker v2) client: ping, catalog, tags, manifests
// (images and multi-platform indexes) and verified blob streaming, with
// anonymous, Basic and Bearer-token auth and bounded retries. Blocking; one
// instance per thread (it caches auth state and tokens).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/http_client.hpp"
#include "connectors/manifest_parsing.hpp"
#include "connectors/url.hpp"
#include "scanners/expected.hpp"

namespace regscan {

struct registry_credentials {
  std::string username;
  std::string password;
};

class oci_client {
 public:
  using sleep_fn = std::function<void(std::chrono::milliseconds)>;

  /// address: "http(s)://host[:port]"; without a scheme https is assumed.
  oci_client(std::string address, registry_credentials creds, http_options opts = {});

  /// Replaces the wait between retries, so tests neither sleep nor flake.
  void set_sleep(sleep_fn fn) { sleep_ = std::move(fn); }

  /// GET /v2/: reachable, speaks v2, and the credentials are accepted.
  expected<void> ping();
  /// All repositories, following Link pagination (bounded).
  expected<std::vector<std::string>> catalog();
  /// All tags of one repository, paginated like catalog().
  expected<std::vector<std::string>> tags(const std::string& repo);
  /// The manifest digest of a tag via HEAD (cheap re-sync check).
  expected<std::string> head_manifest(const std::string& repo, const std::string& reference);
  /// One oci_image per platform: an index/list expands to its platform
  /// manifests (attestations skipped); each config blob is fetched.
  expected<std::vector<oci_image>> resolve(const std::string& repo, const std::string& reference);
  /// Streams a blob to sink and checks its sha256 at the end. With `size`
  /// (the descriptor's), a blob of another length is errc::corrupt; a longer
  /// one is cut off as soon as it passes that size.
  expected<void> fetch_blob(const std::string& repo, const std::string& digest,
                            const http_client::body_sink& sink,
                            std::optional<uint64_t> size = std::nullopt);

  /// A Bearer token for one repository's pull scope, and the seconds it stays good.
  struct pull_token {
    std::string token;
    int64_t valid_seconds = 0;
  };
  /// For a remote worker: a fresh Bearer token for `repo`'s pull scope when
  /// the registry uses token auth (as this client's requests have found),
  /// else nullopt (the registry takes Basic credentials, or none).
  expected<std::optional<pull_token>> pull_token_for(const std::string& repo);
  /// The worker's side: pulls from `repo` with a token the coordinator
  /// fetched, and never fetches one itself. Once it has expired or the
  /// registry refuses it, requests fail with errc::unavailable: the task is
  /// retried, with a fresh token.
  void use_pull_token(const std::string& repo, const pull_token& token);

  static constexpr int max_attempts = 4;
  static constexpr uint64_t max_manifest_size = 4u << 20;
  static constexpr int max_pages = 1000;

 private:
  struct manifest_bytes {
    std::string body, media_type, digest;
  };
  enum class auth_mode { unknown, basic, bearer };
  struct token_entry {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };

  expected<http_response> send(std::string_view method, const std::string& url,
                               const http_headers& headers, const http_client::body_sink* sink,
                               uint64_t limit);
  expected<http_response> call(std::string_view method, const std::string& url,
                               const std::string& scope, const http_headers& headers = {},
                               const http_client::body_sink* sink = nullptr,
                               uint64_t limit = max_manifest_size);
  expected<std::string> authorization(const std::string& scope, bool refresh);
  expected<std::string> fetch_token(const std::string& scope);
  expected<std::vector<std::string>> paginate(const std::string& first, const std::string& scope,
                                              const char* key);
  expected<manifest_bytes> fetch_manifest(const std::string& repo, const std::string& reference);
  expected<oci_image> image_from(const std::string& repo, const manifest_bytes& m);
  expected<std::string> fetch_small_blob(const std::string& repo, const std::string& digest);
  std::string endpoint(const std::string& path) const;
  error status_error(const http_response& r, std::string_view what) const;

  url base_;
  std::string base_error_;
  registry_credentials creds_;
  http_client http_;
  sleep_fn sleep_;
  auth_mode mode_ = auth_mode::unknown;
  std::string realm_, service_;
  std::map<std::string, token_entry> tokens_; // scope -> bearer token
  bool handed_token_ = false; // use_pull_token: its token only, none fetched
};

/// Registry repository name check (lowercase path components).
bool valid_repository_name(std::string_view name);
/// A tag or a sha256 digest.
bool valid_reference(std::string_view reference);

} // namespace regscan
