#pragma once
// A tiny blocking HTTP(S) server on 127.0.0.1:0 for client tests: one
// connection at a time, one request per connection, canned replies, every
// request recorded.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace regscan::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using request = http::request<http::string_body>;

struct reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// No Content-Length: the body ends when the connection closes.
  bool close_delimited = false;
  /// Send the headers and half the body, then wait for the client to give up.
  bool stall = false;
  /// Close the connection without answering.
  bool drop = false;
  /// Announce the whole body, send half of it, then close.
  bool truncate = false;
  /// Send the body one byte at a time with this pause between bytes.
  std::chrono::milliseconds trickle{0};
};

inline reply redirect_to(int status, std::string location) {
  return reply{status, {{"Location", std::move(location)}}, {}};
}

// A self-signed certificate for localhost and 127.0.0.1, made with the
// openssl CLI; null when the CLI is missing.
inline std::shared_ptr<asio::ssl::context> self_signed_context() {
  auto dir = std::filesystem::temp_directory_path() / ("regscan-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "
             + key + " -out " + cert
             + " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
               " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    return nullptr;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate_chain_file(cert);
  ctx->use_private_key_file(key, asio::ssl::context::pem);
  std::filesystem::remove_all(dir);
  return ctx;
}

class test_http_server {
 public:
  using handler = std::function<reply(const request&)>;

  explicit test_http_server(handler h, std::shared_ptr<asio::ssl::context> tls = nullptr)
    : handler_(std::move(h)), tls_(std::move(tls)),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }

  ~test_http_server() {
    stop_ = true;
    // Wake the blocking accept with a connection of our own.
    boost::system::error_code ec;
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port_);
  }

  std::vector<request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  size_t count(const std::string& target_prefix) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& r : requests_)
      n += std::string(r.target()).starts_with(target_prefix);
    return n;
  }

 private:
  template <class Stream>
  void serve(Stream& stream, tcp::socket& sock) {
    boost::system::error_code ec;
    beast::flat_buffer buf;
    request req;
    http::read(stream, buf, req, ec);
    if (ec)
      return;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    auto r = handler_(req);
    if (r.drop)
      return;
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\n";
    for (auto& [k, v] : r.headers)
      head += k + ": " + v + "\r\n";
    if (!r.close_delimited)
      head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    head += "Connection: close\r\n\r\n";
    bool head_only = req.method() == http::verb::head;
    if (r.stall) {
      head += r.body.substr(0, r.body.size() / 2);
      asio::write(stream, asio::buffer(head), ec);
      char c;
      while (!ec && !stop_)
        stream.read_some(asio::buffer(&c, 1), ec);
      return;
    }
    if (r.truncate) {
      head += r.body.substr(0, r.body.size() / 2);
      asio::write(stream, asio::buffer(head), ec);
      return;
    }
    if (r.trickle.count() > 0 && !head_only) {
      asio::write(stream, asio::buffer(head), ec);
      for (size_t i = 0; i < r.body.size() && !ec && !stop_; ++i) {
        std::this_thread::sleep_for(r.trickle);
        asio::write(stream, asio::buffer(r.body.data() + i, 1), ec);
      }
      return;
    }
    if (!head_only)
      head += r.body;
    asio::write(stream, asio::buffer(head), ec);
  }

  void run() {
    for (;;) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (stop_)
        return;
      if (ec)
        continue;
      if (tls_) {
        asio::ssl::stream<tcp::socket&> s(sock, *tls_);
        s.handshake(asio::ssl::stream_base::server, ec);
        if (!ec)
          serve(s, sock);
      } else {
        serve(sock, sock);
      }
      sock.shutdown(tcp::socket::shutdown_both, ec);
      sock.close(ec);
    }
  }

  handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<request> requests_;
  std::thread thread_;
};

} // namespace regscan::test
