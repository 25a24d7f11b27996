#pragma once
// Plain POSIX clients for the server tests: connections that stay idle,
// send bytes one at a time, or make one request and read to the end.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace regscan::test {

/// A connected socket to 127.0.0.1:port, or -1.
inline int connect_tcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A connected socket to a Unix socket path, or -1.
inline int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads until the peer closes or `limit` passes; `closed` tells which.
inline std::string read_until_closed(int fd, std::chrono::milliseconds limit, bool* closed = nullptr) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  if (closed)
    *closed = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[8192];
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (closed)
        *closed = true;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

/// Sends one request with Connection: close on `fd` and returns the whole
/// reply ("" when none came within `limit`). Closes `fd`.
inline std::string exchange(int fd, const std::string& method, const std::string& target,
                            std::chrono::milliseconds limit = std::chrono::seconds{5}) {
  if (fd < 0)
    return {};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {};
  }
  auto reply = read_until_closed(fd, limit);
  ::close(fd);
  return reply;
}

} // namespace regscan::test
