#pragma once
// A small blocking HTTP/1.1 server for the control socket (Unix) and the
// metrics endpoint (TCP). One thread accepts; each connection gets a thread,
// so a slow handler never stalls the actors.
#include <functional>
#include <memory>
#include <string>

#include "scanners/expected.hpp"

namespace regscan {

struct http_exchange {
  std::string method;
  std::string target; // path and query, as sent
  std::string body;
};

struct http_reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using http_handler = std::function<http_reply(const http_exchange&)>;

class http_server {
 public:
  /// Listens on a Unix socket with mode 0660, owned by `group` when not empty.
  static expected<std::unique_ptr<http_server>>
  listen_unix(const std::string& path, const std::string& group, http_handler handler);
  /// Listens on "host:port".
  static expected<std::unique_ptr<http_server>> listen_tcp(const std::string& address,
                                                           http_handler handler);
  ~http_server();
  void stop();

  struct impl;

 private:
  explicit http_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace regscan
