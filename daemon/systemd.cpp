#include "daemon/systemd.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace regscan {

bool sd_notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path)
    return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(path);
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
    return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') // abstract namespace
    addr.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                       static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

std::chrono::microseconds watchdog_timeout() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec)
    return {};
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid && std::atol(pid) != ::getpid())
    return {};
  char* end = nullptr;
  auto n = std::strtoull(usec, &end, 10);
  if (*end != '\0')
    return {};
  return std::chrono::microseconds{static_cast<int64_t>(n)};
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream || !*stream)
    return false;
  struct stat st{};
  if (::fstat(STDERR_FILENO, &st) != 0)
    return false;
  return std::string(stream)
         == std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":"
              + std::to_string(static_cast<unsigned long long>(st.st_ino));
}

} // namespace regscan
