#include "daemon/front/http_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

namespace regscan {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::steady_clock;

namespace {

constexpr size_t max_request_header = 16u << 10;

/// True at most once every 10 s per `last`: warnings about a flood stay few.
bool time_to_warn(std::atomic<int64_t>& last) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               steady_clock::now().time_since_epoch()).count();
  auto prev = last.load();
  return now - prev >= 10 && last.compare_exchange_strong(prev, now);
}

} // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  http_handler handler;
  http_limits limits;
  std::string name; // for the log: the socket path or address
  std::string unix_path;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> open_connections{0};
  std::atomic<int64_t> last_cap_warning{0};
  std::atomic<int64_t> last_accept_warning{0};

  // The worker pool: complete requests wait in `jobs`.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  size_t busy = 0;
  std::vector<std::thread> workers;

  // Sessions count themselves in open_connections when they are destroyed,
  // which may happen while `io` is destroyed: keep `io` below the counters.
  asio::io_context io;
  asio::steady_timer accept_timer{io};
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_acceptor;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_acceptor;
  std::thread io_thread;

  /// Queues a request for a worker; false when the queue is full or stopping.
  bool submit(std::function<void()> job) {
    std::lock_guard lock(mutex);
    if (stopping || jobs.size() >= limits.max_queued)
      return false;
    jobs.push_back(std::move(job));
    wake.notify_one();
    return true;
  }

  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || !jobs.empty(); });
        if (stopping)
          return;
        job = std::move(jobs.front());
        jobs.pop_front();
        ++busy;
      }
      job();
      job = nullptr; // let go of the connection before counting this worker free
      std::lock_guard lock(mutex);
      --busy;
    }
  }

  template <class Acceptor>
  void accept(Acceptor& acceptor);
  void start_session(asio::ip::tcp::socket socket);
  void start_session(asio::local::stream_protocol::socket socket);

  /// Starts accepting on `acceptor`, the I/O thread and the workers.
  template <class Acceptor>
  void start(Acceptor& acceptor) {
    accept(acceptor);
    io_thread = std::thread([this] {
      // A handler that throws must not end the server.
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http server {}: {}", name, e.what());
        }
      }
    });
    for (int i = 0; i < std::max(1, limits.workers); ++i)
      workers.emplace_back([self = shared_from_this()] { self->work(); });
  }
};

namespace {

/// One connection: reads a request under a deadline, hands it to a worker,
/// writes the reply, and again while the client keeps the connection alive.
/// Only the I/O thread touches the socket.
template <class Socket>
class session : public std::enable_shared_from_this<session<Socket>> {
 public:
  session(Socket socket, http_server::impl& server, std::optional<peer_credentials> peer)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(server), peer_(peer) {
    ++server_.open_connections;
  }
  ~session() { --server_.open_connections; }

  void start() { read_request(); }

 private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(max_request_header);
    // The path decides the limit (on_header); the parser would refuse a
    // large Content-Length before the path is known.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    arm(server_.limits.header_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return close(); // closed, timed out, or a bad request: nothing to answer
    auto target = parser_->get().target();
    auto path = target.substr(0, target.find('?'));
    auto& uploads = server_.limits.upload_paths;
    bool upload = std::find(uploads.begin(), uploads.end(), std::string_view(path)) != uploads.end();
    auto limit = upload ? server_.limits.max_upload_body : server_.limits.max_body;
    if (parser_->content_length() && *parser_->content_length() > limit)
      return too_large();
    parser_->body_limit(limit);
    arm(server_.limits.body_timeout);
    http::async_read(socket_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->on_request(ec);
                     });
  }

  void on_request(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return too_large();
    if (ec)
      return close();
    timer_.cancel();
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    http_exchange ex{std::string(req.method_string()), std::string(req.target()),
                     std::move(req.body()), peer_};
    auto self = this->shared_from_this();
    bool queued = server_.submit([self, ex = std::move(ex)] {
      http_reply rep;
      try {
        rep = self->server_.handler(ex);
      } catch (const std::exception& e) {
        rep = {500, std::string(R"({"error":"internal error","code":"internal"})")};
        spdlog::error("request {} {} failed: {}", ex.method, ex.target, e.what());
      } catch (...) {
        rep = {500, std::string(R"({"error":"internal error","code":"internal"})")};
        spdlog::error("request {} {} failed", ex.method, ex.target);
      }
      asio::post(self->socket_.get_executor(),
                 [self, rep = std::move(rep)]() mutable { self->write(std::move(rep)); });
    });
    if (!queued)
      write({503, R"({"error":"regscand is busy: try again","code":"unavailable"})"});
  }

  void too_large() {
    version_ = parser_->get().version();
    keep_alive_ = false; // the rest of the body is not read
    draining_ = true;
    write({413, R"({"error":"request body too large","code":"limit"})"});
  }

  /// After a 413, reads and drops what the client still sends (for at most
  /// two seconds) before closing: closing with unread bytes resets the
  /// connection, and the client would lose the reply.
  void drain() {
    beast::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_send, ignored);
    arm(std::chrono::milliseconds{2000});
    drain_some();
  }

  void drain_some() {
    socket_.async_read_some(asio::buffer(scratch_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec)
        return self->close();
      self->drain_some();
    });
  }

  void write(http_reply rep) {
    res_ = {};
    res_.result(static_cast<unsigned>(rep.status));
    res_.version(version_);
    res_.set(http::field::server, "regscand");
    res_.set(http::field::content_type, rep.content_type);
    res_.keep_alive(keep_alive_);
    res_.body() = std::move(rep.body);
    res_.prepare_payload();
    arm(server_.limits.write_timeout);
    http::async_write(socket_, res_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    if (!ec && draining_)
      return drain();
    if (ec || !res_.keep_alive())
      return close();
    read_request();
  }

  void close() {
    timer_.cancel();
    beast::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

  /// Closes the connection unless the current step ends within `limit`.
  void arm(std::chrono::milliseconds limit) {
    timer_.expires_after(limit);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      // A wait that completed just before the timer was set again is stale.
      if (ec || self->timer_.expiry() > steady_clock::now())
        return;
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  Socket socket_;
  asio::steady_timer timer_;
  http_server::impl& server_;
  std::optional<peer_credentials> peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool draining_ = false;
  std::array<char, 4096> scratch_;
};

} // namespace

template <class Acceptor>
void http_server::impl::accept(Acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](beast::error_code ec, auto socket) {
    if (stopping || ec == asio::error::operation_aborted)
      return;
    if (ec == asio::error::connection_aborted) // gone before it was accepted
      return accept(acceptor);
    if (ec) {
      // Out of file descriptors (EMFILE, ENFILE) or memory: the connection
      // waits in the backlog; pause instead of spinning on the error.
      if (time_to_warn(last_accept_warning))
        spdlog::warn("{}: cannot accept a connection: {}; pausing", name, ec.message());
      accept_timer.expires_after(limits.accept_backoff);
      accept_timer.async_wait([this, &acceptor](beast::error_code ec) {
        if (!ec && !stopping)
          accept(acceptor);
      });
      return;
    }
    if (open_connections >= limits.max_connections) {
      if (time_to_warn(last_cap_warning))
        spdlog::warn("{}: {} connections open: closing new ones", name, limits.max_connections);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      try {
        start_session(std::move(socket));
      } catch (const std::exception& e) { // out of memory: drop this one, keep accepting
        spdlog::error("{}: cannot serve a connection: {}", name, e.what());
      }
    }
    accept(acceptor);
  });
}

void http_server::impl::start_session(asio::ip::tcp::socket socket) {
  std::make_shared<session<asio::ip::tcp::socket>>(std::move(socket), *this, std::nullopt)->start();
}

void http_server::impl::start_session(asio::local::stream_protocol::socket socket) {
  // Every request on a Unix socket carries its peer: without one, no request.
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return;
  std::make_shared<session<asio::local::stream_protocol::socket>>(
    std::move(socket), *this, peer_credentials{cred.uid, cred.gid, cred.pid})
    ->start();
}

http_server::http_server(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() {
  stop();
}

void http_server::stop() {
  if (!impl_ || impl_->stopping.exchange(true))
    return;
  auto& p = *impl_;
  p.io.stop();
  if (p.io_thread.joinable())
    p.io_thread.join();
  beast::error_code ec;
  if (p.unix_acceptor)
    p.unix_acceptor->close(ec);
  if (p.tcp_acceptor)
    p.tcp_acceptor->close(ec);
  bool idle;
  {
    std::lock_guard lock(p.mutex);
    p.jobs.clear();
    idle = p.busy == 0;
  }
  p.wake.notify_all();
  // A worker inside a handler (a download may take minutes) is left to
  // finish on its own; it holds the server's state until then.
  for (auto& t : p.workers)
    if (idle)
      t.join();
    else
      t.detach();
  if (!p.unix_path.empty())
    ::unlink(p.unix_path.c_str());
}

expected<std::unique_ptr<http_server>>
http_server::listen_unix(const std::string& path, const std::string& group, http_handler handler,
                         http_limits limits) {
  auto p = std::make_shared<impl>();
  p->handler = std::move(handler);
  p->limits = limits;
  p->name = path;
  using proto = asio::local::stream_protocol;
  beast::error_code ec;
  // A socket file left by a killed daemon is removed; a live one is not.
  {
    proto::socket probe{p->io};
    probe.connect(proto::endpoint{path}, ec);
    if (!ec)
      return make_error(errc::conflict,
                        "control socket " + path + " is in use: is another regscand running?");
    ::unlink(path.c_str());
  }
  gid_t gid = static_cast<gid_t>(-1);
  if (!group.empty()) {
    auto* gr = ::getgrnam(group.c_str());
    if (!gr)
      return make_error(errc::not_found, "socket group " + group + " does not exist");
    gid = gr->gr_gid;
  }
  // Nobody can connect before listen(): the mode and group are set in
  // between, so the process-wide umask is left alone.
  p->unix_acceptor = std::make_unique<proto::acceptor>(p->io);
  p->unix_acceptor->open(proto{}, ec);
  if (!ec)
    p->unix_acceptor->bind(proto::endpoint{path}, ec);
  if (ec)
    return make_error(errc::unavailable, "cannot listen on " + path + ": " + ec.message());
  p->unix_path = path;
  auto undo = [&](const std::string& message) {
    ::unlink(path.c_str());
    return make_error(errc::unavailable, message);
  };
  if (::chmod(path.c_str(), 0660) != 0)
    return undo("cannot set the mode of " + path);
  if (gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0)
    return undo("cannot give " + path + " to group " + group);
  p->unix_acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return undo("cannot listen on " + path + ": " + ec.message());
  std::unique_ptr<http_server> server{new http_server(p)};
  try {
    p->start(*p->unix_acceptor);
  } catch (const std::system_error& e) {
    server->stop(); // joins the threads that did start
    return undo(std::string("cannot start the server threads: ") + e.what());
  }
  return server;
}

expected<std::unique_ptr<http_server>>
http_server::listen_tcp(const std::string& address, http_handler handler, http_limits limits) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return make_error(errc::invalid, "address " + address + " is not host:port");
  auto host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  auto p = std::make_shared<impl>();
  p->handler = std::move(handler);
  p->limits = limits;
  p->name = address;
  beast::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec)
    return make_error(errc::invalid, "address " + address + ": " + ec.message());
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
    return make_error(errc::unavailable, "cannot listen on " + address + ": " + ec.message());
  std::unique_ptr<http_server> server{new http_server(p)};
  try {
    p->start(*p->tcp_acceptor);
  } catch (const std::system_error& e) {
    server->stop(); // joins the threads that did start
    return make_error(errc::unavailable, std::string("cannot start the server threads: ") + e.what());
  }
  return server;
}

} // namespace regscan
