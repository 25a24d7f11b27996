#pragma once
// A small blocking HTTP/1.1 client (Beast + Asio, OpenSSL for TLS): one
// fresh connection per request, timeouts on every network step, redirects
// that never carry credentials to another origin. Callers run it on their
// own threads; nothing here throws.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "scanners/expected.hpp"

namespace regscan {

struct http_options {
  bool verify_tls = true;
  /// Applies to connect, TLS handshake, write, and each single read: a
  /// stalled body fails after this long without progress.
  std::chrono::seconds timeout{30};
  /// The whole of a buffered exchange (request(), post(), a bounded
  /// stream()), redirects included: a body that trickles in a byte at a
  /// time never trips `timeout`, so small answers also get this deadline.
  std::chrono::seconds total_timeout{120};
  /// Largest body request() buffers.
  uint64_t max_body = 4u << 20;
  int max_redirects = 5;
  /// When set (by another thread), every exchange stops within a fraction
  /// of a second with errc::cancelled: connecting, TLS, a stalled read.
  const std::atomic<bool>* cancel = nullptr;
  /// The slowest body accepted: every `min_transfer_window` of reading must
  /// bring at least min_transfer_bytes_per_second x window bytes, else the
  /// exchange fails (errc::transport). A registry that trickles a layer
  /// cannot hold a scan slot forever; 0 turns the check off.
  uint64_t min_transfer_bytes_per_second = 1024;
  std::chrono::seconds min_transfer_window{60};
  /// Called for each 429 (Too Many Requests) answer, before any retry: the
  /// daemon counts a registry's rate-limit waits with it.
  std::function<void()> on_throttled;
};

/// Sleeps `d`, or less when `cancel` gets set: retry waits must not hold a
/// cancelled task.
void cancellable_sleep(std::chrono::milliseconds d, const std::atomic<bool>* cancel);

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  int status = 0;
  http_headers headers;
  std::string body;
  /// Final URL after redirects.
  std::string url;
  /// The first header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

class http_client {
 public:
  explicit http_client(http_options opts = {});
  ~http_client();
  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  const http_options& options() const { return opts_; }

  /// Sends a request and buffers the body up to max_body (larger -> error).
  expected<http_response> request(std::string_view method, const std::string& url,
                                  const http_headers& headers = {});

  /// POST with a body (JSON API calls); buffered like request().
  expected<http_response> post(const std::string& url, const http_headers& headers,
                               const std::string& body);

  using body_sink = std::function<expected<void>(const uint8_t*, size_t)>;

  /// Like request(), but a 2xx body goes to sink in chunks as it arrives; a
  /// non-2xx body is buffered, truncated at 64 KiB. A sink error aborts.
  /// bounded: the exchange gets total_timeout too (for small bodies; a
  /// layer may rightly take longer).
  expected<http_response> stream(std::string_view method, const std::string& url,
                                 const http_headers& headers, const body_sink& sink,
                                 bool bounded = false);

 private:
  struct impl;
  http_options opts_;
  std::unique_ptr<impl> impl_;
};

/// The errc of an HTTP error status: 401 unauthorized, 403 forbidden, 404
/// not_found, 408/429/5xx transport (worth retrying), other 4xx invalid.
errc status_code(int status);

/// Case-insensitive ASCII comparison, for header names.
bool iequals(std::string_view a, std::string_view b);

} // namespace regscan
