// The control socket's and the metrics port's HTTP server, on real sockets:
// deadlines, the connection cap, handlers off the I/O thread, peer credentials.
#include "daemon/front/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../storage/test_util.hpp"
#include "../test_support.hpp"
#include "raw_client.hpp"

using namespace regscan;
using namespace std::chrono_literals;
using test::connect_tcp;
using test::connect_unix;
using test::exchange;
using test::read_until_closed;

namespace {

http_reply echo_path(const http_exchange& ex) {
  return {200, ex.target, "text/plain"};
}

std::unique_ptr<http_server> listen_tcp_or_die(uint16_t port, http_handler h, http_limits limits) {
  auto s = http_server::listen_tcp("127.0.0.1:" + std::to_string(port), std::move(h), limits);
  EXPECT_TRUE(s) << s.err().message;
  return s ? std::move(*s) : nullptr;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

// A client that trickles its headers a byte at a time is cut off at the
// header deadline instead of holding the connection for ever.
TEST(http_server, a_slowloris_client_is_cut_off_at_the_header_deadline) {
  http_limits limits;
  limits.header_timeout = 400ms;
  auto port = test::free_port();
  auto server = listen_tcp_or_die(port, echo_path, limits);
  ASSERT_TRUE(server);
  int fd = connect_tcp(port);
  ASSERT_GE(fd, 0);
  std::string headers = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Padding: ";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  // Up to 5 s of one byte every 50 ms: far beyond the deadline.
  for (int i = 0; i < 100 && !cut; ++i) {
    char c = i < static_cast<int>(headers.size()) ? headers[i] : 'a';
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      cut = true;
      break;
    }
    read_until_closed(fd, 50ms, &cut);
  }
  ::close(fd);
  EXPECT_TRUE(cut) << "the server kept a trickling client for 5 s";
  EXPECT_LT(seconds_since(start), 2.0);
  // And it still answers.
  EXPECT_NE(exchange(connect_tcp(port), "GET", "/after").find("/after"), std::string::npos);
}

// Beyond the cap, a new connection is closed at once; once the others go,
// requests are served again.
TEST(http_server, connections_beyond_the_cap_are_closed_at_once) {
  http_limits limits;
  limits.max_connections = 4;
  auto port = test::free_port();
  auto server = listen_tcp_or_die(port, echo_path, limits);
  ASSERT_TRUE(server);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i)
    idle.push_back(connect_tcp(port));
  std::this_thread::sleep_for(200ms); // let the server accept them
  int extra = connect_tcp(port);
  ASSERT_GE(extra, 0);
  bool closed = false;
  auto start = std::chrono::steady_clock::now();
  read_until_closed(extra, 2s, &closed);
  ::close(extra);
  EXPECT_TRUE(closed);
  EXPECT_LT(seconds_since(start), 1.0);
  for (int fd : idle)
    ::close(fd);
  std::string reply;
  for (int i = 0; i < 50 && reply.find("/back") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
    reply = exchange(connect_tcp(port), "GET", "/back");
  }
  EXPECT_NE(reply.find("200"), std::string::npos) << reply;
}

// A handler that blocks (a download) holds a worker, not the I/O: another
// request is answered meanwhile.
TEST(http_server, a_slow_handler_does_not_stall_other_requests) {
  http_limits limits;
  limits.workers = 2;
  auto port = test::free_port();
  auto server = listen_tcp_or_die(port, [](const http_exchange& ex) {
    if (ex.target == "/slow")
      std::this_thread::sleep_for(1500ms);
    return http_reply{200, ex.target, "text/plain"};
  }, limits);
  ASSERT_TRUE(server);
  std::thread slow([port] { exchange(connect_tcp(port), "GET", "/slow"); });
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  auto reply = exchange(connect_tcp(port), "GET", "/fast");
  EXPECT_LT(seconds_since(start), 0.5);
  EXPECT_NE(reply.find("/fast"), std::string::npos);
  slow.join();
}

// With every worker busy and the queue full, a request is answered 503 at once.
TEST(http_server, a_full_queue_answers_503) {
  http_limits limits;
  limits.workers = 1;
  limits.max_queued = 1;
  std::atomic<bool> release{false};
  auto port = test::free_port();
  auto server = listen_tcp_or_die(port, [&release](const http_exchange& ex) {
    while (!release)
      std::this_thread::sleep_for(5ms);
    return http_reply{200, ex.target, "text/plain"};
  }, limits);
  ASSERT_TRUE(server);
  std::thread busy([port] { exchange(connect_tcp(port), "GET", "/busy"); });
  std::this_thread::sleep_for(100ms);
  std::thread queued([port] { exchange(connect_tcp(port), "GET", "/queued"); });
  std::this_thread::sleep_for(100ms);
  auto reply = exchange(connect_tcp(port), "GET", "/third", 2s);
  release = true;
  busy.join();
  queued.join();
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
}

// Requests on the Unix socket carry the peer's credentials; the socket file
// is 0660 from the moment anyone can connect.
TEST(http_server, unix_requests_carry_the_peer_credentials) {
  test::temp_dir dir;
  auto path = dir / "s.sock";
  auto server = http_server::listen_unix(path, "", [](const http_exchange& ex) {
    if (!ex.peer)
      return http_reply{500, "no peer", "text/plain"};
    return http_reply{200, std::to_string(ex.peer->uid) + "/" + std::to_string(ex.peer->gid) + "/"
                             + std::to_string(ex.peer->pid),
                      "text/plain"};
  });
  ASSERT_TRUE(server) << server.err().message;
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write
              | std::filesystem::perms::group_read | std::filesystem::perms::group_write);
  auto reply = exchange(connect_unix(path), "GET", "/who");
  auto want = std::to_string(::getuid()) + "/" + std::to_string(::getgid()) + "/"
              + std::to_string(::getpid());
  EXPECT_NE(reply.find("\r\n\r\n" + want), std::string::npos) << reply;
}

namespace {

/// Sends one request with a body and reads the reply to the end.
std::string post(uint16_t port, const std::string& target, const std::string& body) {
  int fd = connect_tcp(port);
  if (fd < 0)
    return {};
  auto req = "POST " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: "
             + std::to_string(body.size()) + "\r\n\r\n" + body;
  // The server may answer 413 and close before it has read every byte.
  (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  auto reply = read_until_closed(fd, 5s);
  ::close(fd);
  return reply;
}

} // namespace

// Bodies are capped at max_body (413), except on the upload paths, which
// take up to max_upload_body: `db import` sends an archive to /db/import.
TEST(http_server, a_large_body_is_refused_except_on_an_upload_path) {
  http_limits limits;
  limits.max_body = 1000;
  limits.upload_paths = {"/upload"};
  limits.max_upload_body = 100'000;
  auto port = test::free_port();
  auto server = listen_tcp_or_die(port, [](const http_exchange& ex) {
    return http_reply{200, std::to_string(ex.body.size()), "text/plain"};
  }, limits);
  ASSERT_TRUE(server);
  EXPECT_NE(post(port, "/other", std::string(900, 'x')).find("\r\n\r\n900"), std::string::npos);
  auto big = post(port, "/other", std::string(5000, 'x'));
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0u) << big;
  EXPECT_NE(big.find("\"code\":\"limit\""), std::string::npos) << big;
  auto upload = post(port, "/upload?source=a.zip", std::string(50'000, 'x'));
  EXPECT_NE(upload.find("\r\n\r\n50000"), std::string::npos) << upload.substr(0, 200);
  auto too_big = post(port, "/upload", std::string(200'000, 'x'));
  EXPECT_EQ(too_big.rfind("HTTP/1.1 413", 0), 0u) << too_big.substr(0, 200);
}
