// The real regscand under attack from local users: floods of idle and
// trickling connections, running out of file descriptors, and callers
// without the right role on the control socket.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../storage/test_util.hpp"
#include "../test_support.hpp"
#include "raw_client.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace regscan::test {
namespace {

/// The programs under test: the ones built with this test unless the
/// environment names others (to run these tests against another build).
std::string program(const char* env, const char* built) {
  auto* v = std::getenv(env);
  return v && *v ? v : built;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// regscand started on a temporary data dir with a free metrics port; stopped
/// with SIGTERM at the end.
class daemon_process {
 public:
  /// `prefix` runs before regscand (e.g. prlimit); `extra` are more flags.
  daemon_process(const std::string& dir, std::vector<std::string> prefix,
                 std::vector<std::string> extra = {})
    : socket_(dir + "/data/regscand.sock"), port_(free_port()), log_(dir + "/regscand.log") {
    std::vector<std::string> args = std::move(prefix);
    for (std::string a : {program("REGSCAND", REGSCAND_PATH), std::string("--config"), dir + "/none.toml",
                          std::string("--data-dir"), dir + "/data", std::string("--socket"), socket_,
                          std::string("--metrics-address"), "127.0.0.1:" + std::to_string(port_)})
      args.push_back(a);
    args.insert(args.end(), extra.begin(), extra.end());
    spit(dir + "/none.toml", "");
    // Everything the child needs is made before fork: no allocation after it.
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      auto fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~daemon_process() {
    if (pid_ > 0 && alive()) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && alive(); ++i)
        std::this_thread::sleep_for(50ms);
      if (alive())
        ::kill(pid_, SIGKILL);
    }
    if (pid_ > 0)
      ::waitpid(pid_, nullptr, 0);
  }

  /// Whether it answers on both listeners within 20 s.
  bool ready() {
    for (int i = 0; i < 400 && alive(); ++i) {
      int fd = connect_unix(socket_);
      if (fd >= 0) {
        ::close(fd);
        if (port_open(port_))
          return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  bool alive() {
    if (exited_)
      return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return false;
    }
    return true;
  }
  /// A field of /proc/<pid>/status, e.g. "Threads".
  long proc_status(const std::string& key) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key + ":", 0) == 0)
        return std::stol(line.substr(key.size() + 1));
    return -1;
  }
  /// User plus system CPU time so far, in seconds.
  double cpu_seconds() const {
    auto stat = slurp("/proc/" + std::to_string(pid_) + "/stat");
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    // After the command: state is field 3; utime and stime are 14 and 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14)
        utime = std::stol(field);
      if (i == 15)
        stime = std::stol(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::string log() const { return slurp(log_); }
  const std::string& socket() const { return socket_; }
  uint16_t port() const { return port_; }

 private:
  std::string socket_;
  uint16_t port_;
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

/// Runs a shell command; its exit status, with stdout and stderr in `out`.
int run(const std::string& command, std::string& out, const std::string& scratch) {
  auto file = scratch + "/cmd.out";
  int rc = std::system((command + " >" + file + " 2>&1").c_str());
  out = slurp(file);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ctl(const daemon_process& d) {
  return program("REGSCANCTL", REGSCANCTL_PATH) + " --socket " + d.socket();
}

} // namespace

// 1,000 idle connections and a slowloris client on each listener: a fresh
// `regscanctl images list` and a /metrics scrape are answered within a
// second, the daemon lives, and it starts no thread per connection.
TEST(regscand_flood, idle_and_trickling_connections_do_not_stall_or_kill_the_daemon) {
  temp_dir dir;
  daemon_process d(dir.path(), {});
  ASSERT_TRUE(d.ready()) << d.log();
  std::string out;
  // One request on each first: whatever threads serving them takes exist now.
  ASSERT_EQ(run(ctl(d) + " images list", out, dir.path()), 0) << out;
  ASSERT_EQ(exchange(connect_tcp(d.port()), "GET", "/metrics").rfind("HTTP/1.1 200", 0), 0u);
  auto threads_before = d.proc_status("Threads");

  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(connect_tcp(d.port()));
    idle.push_back(connect_unix(d.socket()));
  }
  for (int fd : idle)
    ASSERT_GE(fd, 0);
  // Two clients that send their request headers a byte every 100 ms.
  int slow_tcp = connect_tcp(d.port());
  int slow_unix = connect_unix(d.socket());
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    std::string headers = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: ";
    for (size_t i = 0; !stop && i < 100; ++i) {
      char c = i < headers.size() ? headers[i] : 'a';
      ::send(slow_tcp, &c, 1, MSG_NOSIGNAL);
      ::send(slow_unix, &c, 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(100ms);
    }
  });
  std::this_thread::sleep_for(1s); // the daemon has accepted them all

  auto start = std::chrono::steady_clock::now();
  int rc = run(ctl(d) + " images list", out, dir.path());
  auto ctl_seconds = seconds_since(start);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_LT(ctl_seconds, 1.0);

  start = std::chrono::steady_clock::now();
  auto metrics = exchange(connect_tcp(d.port()), "GET", "/metrics");
  auto scrape_seconds = seconds_since(start);
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200", 0), 0u) << metrics.substr(0, 200);
  EXPECT_LT(scrape_seconds, 1.0);

  auto threads_during = d.proc_status("Threads");
  EXPECT_LE(threads_during, threads_before + 2)
    << "threads: " << threads_before << " before the flood, " << threads_during << " during it";
  stop = true;
  trickle.join();
  for (int fd : idle)
    ::close(fd);
  ::close(slow_tcp);
  ::close(slow_unix);
  EXPECT_TRUE(d.alive()) << d.log();
}

// With few file descriptors, accept() fails with EMFILE while connections
// wait: the daemon pauses instead of spinning on a core, and serves again
// once the connections are gone.
TEST(regscand_flood, out_of_file_descriptors_the_daemon_backs_off) {
  if (!have("prlimit"))
    GTEST_SKIP() << "prlimit (util-linux) is not installed";
  temp_dir dir;
  daemon_process d(dir.path(), {"prlimit", "--nofile=160:160"});
  ASSERT_TRUE(d.ready()) << d.log();
  std::vector<int> idle;
  for (int i = 0; i < 400; ++i)
    idle.push_back(connect_tcp(d.port()));
  std::this_thread::sleep_for(500ms);
  auto cpu_before = d.cpu_seconds();
  std::this_thread::sleep_for(2s);
  auto cpu_used = d.cpu_seconds() - cpu_before;
  EXPECT_LT(cpu_used, 0.4) << "CPU seconds used in 2 s while out of file descriptors";
  for (int fd : idle)
    ::close(fd);
  std::string reply;
  auto start = std::chrono::steady_clock::now();
  while (seconds_since(start) < 10 && reply.rfind("HTTP/1.1 200", 0) != 0) {
    reply = exchange(connect_tcp(d.port()), "GET", "/metrics", 2s);
    if (reply.empty())
      std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(d.alive()) << d.log();
}

namespace {

/// System groups and users for one test, removed at the end.
class local_accounts {
 public:
  ~local_accounts() {
    std::string ignored;
    for (auto& u : users_)
      std::system(("userdel " + u + " >/dev/null 2>&1").c_str());
    for (auto& g : groups_)
      std::system(("groupdel " + g + " >/dev/null 2>&1").c_str());
  }
  bool add_group(const std::string& name) {
    groups_.push_back(name);
    return std::system(("groupadd " + name + " >/dev/null 2>&1").c_str()) == 0;
  }
  /// A user without home whose primary group is `primary`, also in `more`.
  bool add_user(const std::string& name, const std::string& primary, const std::string& more) {
    users_.push_back(name);
    std::string cmd = "useradd -M -N -s /usr/sbin/nologin -g " + primary;
    if (!more.empty())
      cmd += " -G " + more;
    return std::system((cmd + " " + name + " >/dev/null 2>&1").c_str()) == 0;
  }
  static uid_t uid(const std::string& name) {
    auto* pw = ::getpwnam(name.c_str());
    return pw ? pw->pw_uid : static_cast<uid_t>(-1);
  }

 private:
  std::vector<std::string> users_;
  std::vector<std::string> groups_;
};

/// Runs `command` as `user`, with its passwd groups.
std::string as_user(const std::string& user, const std::string& command) {
  auto* pw = ::getpwnam(user.c_str());
  return "setpriv --reuid=" + std::to_string(pw->pw_uid) + " --regid=" + std::to_string(pw->pw_gid)
         + " --init-groups " + command;
}

} // namespace

// A viewer lists but cannot delete a registry; a user in neither group is
// refused even a read; a member of the admin group (a supplementary group)
// may delete. Each state change is logged with the caller's uid.
TEST(control_roles, a_viewer_cannot_delete_and_a_user_without_role_is_refused) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to create users and groups (useradd, groupadd)";
  if (!have("useradd") || !have("groupadd") || !have("setpriv") || !have("curl"))
    GTEST_SKIP() << "needs useradd, groupadd, setpriv and curl";
  auto tag = std::to_string(::getpid() % 100000);
  local_accounts acc;
  std::string sock_group = "rssock" + tag, admins = "rsadm" + tag, viewers = "rsview" + tag;
  std::string viewer = "rsv" + tag, admin = "rsa" + tag, other = "rso" + tag;
  ASSERT_TRUE(acc.add_group(sock_group));
  ASSERT_TRUE(acc.add_group(admins));
  ASSERT_TRUE(acc.add_group(viewers));
  // All three may reach the socket (socket_group is their primary group).
  ASSERT_TRUE(acc.add_user(viewer, sock_group, viewers));
  ASSERT_TRUE(acc.add_user(admin, sock_group, admins));
  ASSERT_TRUE(acc.add_user(other, sock_group, ""));

  temp_dir dir;
  ::chmod(dir.path().c_str(), 0755); // mkdtemp's 0700 would hide the data dir
  daemon_process d(dir.path(), {},
                   {"--socket-group", sock_group, "--admin-group", admins, "--viewer-group", viewers});
  ASSERT_TRUE(d.ready()) << d.log();
  std::string out;
  // Root is always an admin.
  ASSERT_EQ(run(ctl(d) + " registry add --name lab --type docker-v2 --address http://127.0.0.1:1"
                  " --username u --password p",
                out, dir.path()),
            0)
    << out;

  // The viewer reads...
  ASSERT_EQ(run(as_user(viewer, ctl(d) + " registry list"), out, dir.path()), 0) << out;
  EXPECT_NE(out.find("lab"), std::string::npos) << out;
  // ...but may not delete: 403 with the code "forbidden", and lab is still there.
  EXPECT_NE(run(as_user(viewer, ctl(d) + " registry delete lab"), out, dir.path()), 0) << out;
  ASSERT_EQ(run(as_user(viewer, "curl -s -w '\\n%{http_code}' -X DELETE --unix-socket " + d.socket()
                                  + " http://regscand/registries/lab"),
                out, dir.path()),
            0)
    << out;
  EXPECT_NE(out.find(R"("code":"forbidden")"), std::string::npos) << out;
  EXPECT_NE(out.find("\n403"), std::string::npos) << out;
  ASSERT_EQ(run(ctl(d) + " registry list", out, dir.path()), 0) << out;
  EXPECT_NE(out.find("lab"), std::string::npos) << "a viewer deleted the registry";

  // A user in neither group reaches the socket but is refused, reads too.
  EXPECT_NE(run(as_user(other, ctl(d) + " images list"), out, dir.path()), 0) << out;
  EXPECT_NE(run(as_user(other, ctl(d) + " registry list"), out, dir.path()), 0) << out;

  // The admin group's member may delete; the log names its uid.
  EXPECT_EQ(run(as_user(admin, ctl(d) + " registry delete lab"), out, dir.path()), 0) << out;
  ASSERT_EQ(run(ctl(d) + " registry list", out, dir.path()), 0) << out;
  EXPECT_EQ(out.find("lab"), std::string::npos) << out;
  auto log = d.log();
  EXPECT_NE(log.find("uid " + std::to_string(local_accounts::uid(admin)) + " (admin) DELETE /registries/lab"),
            std::string::npos)
    << log;
  EXPECT_NE(log.find("uid " + std::to_string(local_accounts::uid(viewer)) + " refused"),
            std::string::npos)
    << log;

  // The secrets stay private while the socket's directory lets the group in.
  auto mode = [](const std::string& p) {
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(dir / "data"), 0710u);
  EXPECT_EQ(mode(dir / "data/db"), 0700u);
  EXPECT_EQ(mode(dir / "data/secret.key"), 0600u);
}

// The console's endpoints through regscanctl on an empty inventory: the
// overview answers zeros with every field, bad filters and columns are
// refused with what is wrong, saved columns survive a restart, and an export
// or report of what does not exist fails.
TEST(regscand_console, overview_list_options_saved_columns_and_errors) {
  temp_dir dir;
  std::string out;
  {
    daemon_process d(dir.path(), {});
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(run(ctl(d) + " overview --json", out, dir.path()), 0) << out;
    for (auto field : {"\"images\":0", "\"at_risk\":0", "\"unscanned\":0", "\"scanning\":0", "\"failed\":0",
                       "\"unauthorized\":0", "\"malware\":0", "\"secrets\":0", "\"registries\":[]",
                       "\"cancelled\":0", "\"queued\":0", "\"Critical\":0"})
      EXPECT_NE(out.find(field), std::string::npos) << field << " in " << out;
    EXPECT_NE(run(ctl(d) + " images list --filter status=sleeping", out, dir.path()), 0);
    EXPECT_NE(out.find("status is one of unscanned"), std::string::npos) << out;
    EXPECT_NE(run(ctl(d) + " images list --sort colour", out, dir.path()), 0);
    EXPECT_NE(out.find("unknown column 'colour'"), std::string::npos) << out;
    EXPECT_NE(run(ctl(d) + " images list --save-columns", out, dir.path()), 0);
    ASSERT_EQ(run(ctl(d) + " images list --columns name,security,advice --save-columns", out, dir.path()), 0) << out;
    ASSERT_EQ(run(ctl(d) + " images list --format csv", out, dir.path()), 0) << out;
    EXPECT_EQ(out, "name,security,advice\r\n");
    EXPECT_NE(run(ctl(d) + " images export --registry nowhere --output " + dir.path() + "/x.csv", out, dir.path()), 0);
    EXPECT_NE(out.find("no registry named nowhere"), std::string::npos) << out;
    EXPECT_NE(run(ctl(d) + " report library/none:1 --format sarif", out, dir.path()), 0);
  }
  daemon_process again(dir.path(), {});
  ASSERT_TRUE(again.ready()) << again.log();
  ASSERT_EQ(run(ctl(again) + " images list", out, dir.path()), 0) << out;
  EXPECT_EQ(out, "IMAGE  SECURITY  ADVICE\n");
  ASSERT_EQ(run(ctl(again) + " images list --columns size,status --format json", out, dir.path()), 0) << out;
  EXPECT_EQ(out, "[]\n");
}

} // namespace regscan::test
