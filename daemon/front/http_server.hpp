#pragma once
// A small HTTP/1.1 server for the control socket (Unix) and the metrics
// endpoint (TCP). One I/O thread serves every connection asynchronously, with
// deadlines, so an idle or slow client holds no thread; complete requests go
// to a small pool of worker threads, so a slow handler (a `db update` takes
// minutes) never stalls the I/O or the actors.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scanners/expected.hpp"

namespace regscan {

/// Who is at the other end of a Unix socket (SO_PEERCRED, taken at connect).
struct peer_credentials {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
};

struct http_exchange {
  std::string method;
  std::string target; // path and query, as sent
  std::string body;
  /// Set for every request that came through a Unix socket; empty for TCP.
  std::optional<peer_credentials> peer;
};

struct http_reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using http_handler = std::function<http_reply(const http_exchange&)>;

/// What one listener allows. The defaults suit regscand.
struct http_limits {
  /// Open connections; a connection beyond this is closed at once.
  size_t max_connections = 2048;
  /// To receive a request's headers, counted from the first byte awaited (so
  /// it is also how long an idle keep-alive connection stays open).
  std::chrono::milliseconds header_timeout{10'000};
  /// To receive the body once the headers are in.
  std::chrono::milliseconds body_timeout{60'000};
  /// To send a reply.
  std::chrono::milliseconds write_timeout{60'000};
  /// Threads that run the handler.
  int workers = 4;
  /// Requests waiting for a worker; beyond this a request is answered 503.
  size_t max_queued = 64;
  /// How long accepting pauses when the process is out of file descriptors.
  std::chrono::milliseconds accept_backoff{250};
  /// Largest request body; a larger one is answered 413.
  uint64_t max_body = 1u << 20;
  /// Paths (without query) that take bodies up to `max_upload_body`: an
  /// archive sent to /db/import is far larger than any other request.
  std::vector<std::string> upload_paths;
  uint64_t max_upload_body = 0;
};

class http_server {
 public:
  /// Listens on a Unix socket with mode 0660, owned by `group` when not empty.
  static expected<std::unique_ptr<http_server>>
  listen_unix(const std::string& path, const std::string& group, http_handler handler,
              http_limits limits = {});
  /// Listens on "host:port".
  static expected<std::unique_ptr<http_server>>
  listen_tcp(const std::string& address, http_handler handler, http_limits limits = {});
  ~http_server();
  /// Stops accepting and closes every connection. A handler still running
  /// finishes on its worker thread; its reply is dropped.
  void stop();

  struct impl;

 private:
  explicit http_server(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;
};

} // namespace regscan
