// regscand as systemd runs it: the notify protocol over a datagram socket
// this test owns (READY, STATUS, WATCHDOG pings, STOPPING), a SIGTERM during
// a scan that exits cleanly within 10 s with nothing lost, and a log that
// never shows the registry password it was given.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fake_registry.hpp"
#include "../storage/test_util.hpp"
#include "../test_support.hpp"

using namespace std::chrono_literals;

namespace regscan::test {
namespace {

std::string program(const char* env, const char* built) {
  auto* v = std::getenv(env);
  return v && *v ? v : built;
}

/// The datagram socket systemd would own: every message regscand sends.
class notify_socket {
 public:
  explicit notify_socket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~notify_socket() { ::close(fd_); }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  /// The next message within `timeout`, or "" .
  std::string next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
      return {};
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
  }
  /// Messages until one contains `what` (kept in `seen`), within `timeout`.
  bool wait_for(const std::string& what, std::chrono::milliseconds timeout,
                std::vector<std::string>& seen) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto msg = next(std::max(left, 1ms));
      if (msg.empty())
        continue;
      seen.push_back(msg);
      if (msg.find(what) != std::string::npos)
        return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

/// regscand on a data dir, with the environment systemd gives a
/// Type=notify service with WatchdogSec=.
class service_process {
 public:
  service_process(const std::string& dir, const std::string& notify, std::vector<std::string> extra = {})
    : socket_(dir + "/data/regscand.sock"), log_(dir + "/regscand.log") {
    std::vector<std::string> args{program("REGSCAND", REGSCAND_PATH), "--config", dir + "/regscan.toml",
                                  "--data-dir", dir + "/data", "--socket", socket_,
                                  "--metrics-address", "127.0.0.1:" + std::to_string(free_port())};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!std::filesystem::exists(dir + "/regscan.toml"))
      spit(dir + "/regscan.toml", "[scan]\nretry_backoff_seconds = 0\n");
    std::vector<std::string> env{"NOTIFY_SOCKET=" + notify, "WATCHDOG_USEC=600000"};
    std::vector<char*> argv, envp;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e; ++e)
      if (!std::string_view(*e).starts_with("NOTIFY_SOCKET=") && !std::string_view(*e).starts_with("WATCHDOG_"))
        envp.push_back(*e);
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      auto fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~service_process() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  /// SIGTERM, then the exit status (-1: still running after `limit`) and how long it took.
  int terminate(std::chrono::milliseconds limit, double& seconds) {
    auto start = std::chrono::steady_clock::now();
    ::kill(pid_, SIGTERM);
    while (std::chrono::steady_clock::now() - start < limit) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return status_;
  }
  std::string ctl(const std::string& args, int* rc = nullptr) const {
    auto out_file = log_ + ".ctl";
    auto cmd = program("REGSCANCTL", REGSCANCTL_PATH) + " --socket " + socket_ + " " + args + " >"
               + out_file + " 2>&1";
    int st = std::system(cmd.c_str());
    if (rc)
      *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return slurp(out_file);
  }
  std::string log() const { return slurp(log_); }

 private:
  std::string socket_;
  std::string log_;
  pid_t pid_ = -1;
  int status_ = -1;
};

bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok())
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return ok();
}

} // namespace

TEST(regscand_service, notifies_systemd_and_stops_a_scan_cleanly_on_sigterm) {
  temp_dir dir;
  fake_registry reg;
  auto digest = reg.add(1);
  reg.tag(digest, "v1");
  const std::string password = "pw-" + std::to_string(::getpid()) + "-Zq8vK3";

  notify_socket systemd(dir.path() + "/notify");
  ASSERT_TRUE(systemd.bound());
  std::vector<std::string> seen;
  {
    service_process d(dir.path(), systemd.path(), {"--log-format", "json"});
    ASSERT_TRUE(systemd.wait_for("READY=1", 20s, seen)) << d.log();
    // WATCHDOG_USEC=600000: a ping at least every 200 ms, each with the queue's counts.
    int pings = 0;
    auto until = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < until) {
      auto msg = systemd.next(500ms);
      if (msg.find("WATCHDOG=1") != std::string::npos) {
        ++pings;
        EXPECT_NE(msg.find("STATUS=queued 0, waiting 0 (budget 0, backoff 0), running 0"), std::string::npos)
          << msg;
      }
    }
    EXPECT_GE(pings, 5);

    // A scan that hangs in its layer download when SIGTERM comes.
    int rc = 0;
    auto out = d.ctl("registry add --name lab --type docker-v2 --address " + reg.url()
                       + " --username robot --password " + password, &rc);
    ASSERT_EQ(rc, 0) << out;
    out = d.ctl("sync lab", &rc);
    ASSERT_EQ(rc, 0) << out << d.log();
    reg.set_fault(reg.get(digest).layer_digest, fake_registry::fault::stall);
    out = d.ctl("scan lab/app:v1", &rc);
    ASSERT_EQ(rc, 0) << out;
    ASSERT_TRUE(eventually([&] { return systemd.next(300ms).find("running 1") != std::string::npos; }, 10s))
      << d.ctl("scan list");

    double seconds = 0;
    EXPECT_EQ(d.terminate(10s, seconds), 0) << d.log();
    EXPECT_LT(seconds, 10.0);
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 1s, seen)) << d.log();
  }

  // Nothing lost: the registry, its password and the task are there, and the scan completes.
  reg.set_fault("", fake_registry::fault::none);
  {
    service_process d(dir.path(), systemd.path());
    ASSERT_TRUE(systemd.wait_for("READY=1", 20s, seen)) << d.log();
    int rc = 0;
    auto out = d.ctl("registry test lab", &rc);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(eventually([&] { return d.ctl("scan list").find("done") != std::string::npos; }, 20s))
      << d.ctl("scan list") << d.log();
    double seconds = 0;
    EXPECT_EQ(d.terminate(10s, seconds), 0) << d.log();
  }

  auto log = slurp(dir.path() + "/regscand.log");
  EXPECT_EQ((log + slurp(dir.path() + "/regscand.log.ctl")).find(password), std::string::npos)
    << "the password is in the log";
  // The first run wrote JSON lines, each state change with its ids as fields.
  auto first = log.substr(0, log.find("\n2")); // the second run's text lines start with the year
  EXPECT_NE(first.find(R"("task":"1","registry":"lab")"), std::string::npos) << first;
  // SIGTERM put the running task back in the queue, and the next start ran it.
  EXPECT_NE(first.find(R"("from":"running","to":"queued")"), std::string::npos) << first;
  std::istringstream lines(first);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.starts_with("{\"time\":") && line.ends_with("}")) << line;
  EXPECT_NE(log.find("scan task state: task=1 registry=lab image=lab/app@"), std::string::npos) << log;
  EXPECT_NE(log.find("to=done"), std::string::npos) << log;
}

TEST(regscand_service, check_config_says_what_is_wrong) {
  temp_dir dir;
  auto check = [&](const std::string& text, std::string& out) {
    spit(dir.path() + "/c.toml", text);
    auto cmd = "cd " + dir.path() + " && " + program("REGSCAND", REGSCAND_PATH) + " --check-config --config " + dir.path() + "/c.toml >"
               + dir.path() + "/out 2>&1";
    int st = std::system(cmd.c_str());
    out = slurp(dir.path() + "/out");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  std::string out;
  EXPECT_EQ(check(slurp(std::string(REGSCAN_SOURCE_DIR) + "/config/regscan.toml"), out), 0) << out;
  EXPECT_NE(out.find("configuration is good"), std::string::npos) << out;
  EXPECT_EQ(check("[scan]\nmax_parallel = 0\n", out), 1);
  EXPECT_NE(out.find("scan.max_parallel = 0 (only workers scan) needs workers.listen"), std::string::npos) << out;
  EXPECT_EQ(check("[sync]\nwindow = \"25:00-03:00\"\n", out), 1);
  EXPECT_NE(out.find("sync window"), std::string::npos) << out;
  EXPECT_EQ(check("[daemon]\nlog_levle = \"debug\"\n", out), 1);
  EXPECT_NE(out.find("unknown setting daemon.log_levle"), std::string::npos) << out;
  EXPECT_EQ(check("[daemon\n", out), 1);
  EXPECT_NE(out.find("c.toml:1"), std::string::npos) << out;
  // It opens nothing: the data directory is not created.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/var"));
}

} // namespace regscan::test
