#include "actors/http_server.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

namespace regscan {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t max_request_body = 1u << 20;

template <class Socket>
void serve_connection(Socket socket, const http_handler& handler) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_request_body);
    http::read(socket, buffer, parser, ec);
    if (ec)
      return; // closed, or a bad request: nothing to answer
    auto& req = parser.get();
    http_exchange ex{std::string(req.method_string()), std::string(req.target()), req.body()};
    http_reply rep;
    try {
      rep = handler(ex);
    } catch (const std::exception& e) {
      rep = {500, std::string(R"({"error":"internal error"})")};
      spdlog::error("control request {} {} failed: {}", ex.method, ex.target, e.what());
    }
    http::response<http::string_body> res{static_cast<http::status>(rep.status), req.version()};
    res.set(http::field::server, "regscand");
    res.set(http::field::content_type, rep.content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(rep.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive())
      return;
  }
}

} // namespace

struct http_server::impl {
  asio::io_context io;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_acceptor;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_acceptor;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::string unix_path;
  http_handler handler;

  template <class Acceptor>
  void accept_loop(Acceptor& acceptor) {
    while (!stopping) {
      beast::error_code ec;
      auto socket = acceptor.accept(ec);
      if (ec) {
        if (stopping)
          return;
        continue;
      }
      // The thread owns a copy of the handler: it may outlive the server.
      std::thread([h = handler, s = std::move(socket)]() mutable {
        serve_connection(std::move(s), h);
      }).detach();
    }
  }
};

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() {
  stop();
}

void http_server::stop() {
  if (!impl_ || impl_->stopping.exchange(true))
    return;
  beast::error_code ec;
  // shutdown() wakes the thread blocked in accept(); close() alone does not.
  if (impl_->unix_acceptor) {
    ::shutdown(impl_->unix_acceptor->native_handle(), SHUT_RDWR);
    impl_->unix_acceptor->close(ec);
  }
  if (impl_->tcp_acceptor) {
    ::shutdown(impl_->tcp_acceptor->native_handle(), SHUT_RDWR);
    impl_->tcp_acceptor->close(ec);
  }
  if (impl_->thread.joinable())
    impl_->thread.join();
  if (!impl_->unix_path.empty())
    ::unlink(impl_->unix_path.c_str());
}

expected<std::unique_ptr<http_server>>
http_server::listen_unix(const std::string& path, const std::string& group, http_handler handler) {
  auto p = std::make_unique<impl>();
  p->handler = std::move(handler);
  using proto = asio::local::stream_protocol;
  beast::error_code ec;
  // A socket file left by a killed daemon is removed; a live one is not.
  {
    proto::socket probe{p->io};
    probe.connect(proto::endpoint{path}, ec);
    if (!ec)
      return make_error("control socket " + path + " is in use: is another regscand running?");
    ::unlink(path.c_str());
  }
  gid_t gid = static_cast<gid_t>(-1);
  if (!group.empty()) {
    auto* gr = ::getgrnam(group.c_str());
    if (!gr)
      return make_error("socket group " + group + " does not exist");
    gid = gr->gr_gid;
  }
  // Created with no access for others from the first instant, then opened to the group.
  auto old_mask = ::umask(0117);
  p->unix_acceptor = std::make_unique<proto::acceptor>(p->io);
  p->unix_acceptor->open(proto{}, ec);
  if (!ec)
    p->unix_acceptor->bind(proto::endpoint{path}, ec);
  ::umask(old_mask);
  if (!ec)
    p->unix_acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error("cannot listen on " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0660) != 0)
    return make_error("cannot set the mode of " + path);
  if (gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0)
    return make_error("cannot give " + path + " to group " + group);
  p->unix_path = path;
  auto* raw = p.get();
  p->thread = std::thread([raw] { raw->accept_loop(*raw->unix_acceptor); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

expected<std::unique_ptr<http_server>> http_server::listen_tcp(const std::string& address,
                                                               http_handler handler) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return make_error("address " + address + " is not host:port");
  auto host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  auto p = std::make_unique<impl>();
  p->handler = std::move(handler);
  beast::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec)
    return make_error("address " + address + ": " + ec.message());
  int port = std::atoi(address.c_str() + colon + 1);
  asio::ip::tcp::endpoint ep{ip, static_cast<unsigned short>(port)};
  p->tcp_acceptor = std::make_unique<asio::ip::tcp::acceptor>(p->io);
  p->tcp_acceptor->open(ep.protocol(), ec);
  if (!ec)
    p->tcp_acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    p->tcp_acceptor->bind(ep, ec);
  if (!ec)
    p->tcp_acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error("cannot listen on " + address + ": " + ec.message());
  auto* raw = p.get();
  p->thread = std::thread([raw] { raw->accept_loop(*raw->tcp_acceptor); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

} // namespace regscan
