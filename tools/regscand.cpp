// regscand: keeps the inventory of a team's registries and scans their images.
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "daemon/front/control_access.hpp"
#include "daemon/front/control_api.hpp"
#include "daemon/secret_rules.hpp"
#include "actors/daemon_context.hpp"
#include "daemon/front/http_server.hpp"
#include "actors/registry.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"

using namespace regscan;

namespace {

int fail(const std::string& message) {
  spdlog::critical("{}", message);
  return 1;
}

/// Every connection to the control socket and the metrics port is a file
/// descriptor: allow as many as the hard limit does.
void raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// Creates data_dir and the socket's directory. The database and the key stay
/// private (db/ 0700, the key file 0600), while the socket's directory lets
/// socket_group through (0710, owned by that group); when the socket is inside
/// data_dir, so does every directory from data_dir down to it. A directory
/// outside data_dir that regscand did not create (/run, /tmp) is left alone.
std::string prepare_directories(const daemon_config& cfg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec)
    return "cannot create " + cfg.data_dir + ": " + ec.message();
  ::chmod(cfg.data_dir.c_str(), 0700);
  auto data = fs::weakly_canonical(cfg.data_dir);
  fs::create_directories(data / "db", ec);
  ::chmod((data / "db").c_str(), 0700);
  auto socket_dir = fs::absolute(cfg.socket).parent_path();
  bool created = fs::create_directories(socket_dir, ec);
  if (ec)
    return "cannot create " + socket_dir.string() + ": " + ec.message();
  socket_dir = fs::weakly_canonical(socket_dir);
  gid_t gid = static_cast<gid_t>(-1);
  if (!cfg.socket_group.empty()) {
    auto* gr = ::getgrnam(cfg.socket_group.c_str());
    if (!gr)
      return "socket group " + cfg.socket_group + " does not exist";
    gid = gr->gr_gid;
  }
  std::vector<fs::path> opened;
  auto rel = socket_dir.lexically_relative(data);
  if (!rel.empty() && *rel.begin() != "..") {
    for (auto dir = socket_dir;; dir = dir.parent_path()) {
      opened.push_back(dir);
      if (dir == data || dir == dir.parent_path())
        break;
    }
  } else if (created) {
    opened.push_back(socket_dir);
  }
  for (auto& dir : opened) {
    if (::chmod(dir.c_str(), 0710) != 0)
      return "cannot set the mode of " + dir.string();
    if (gid != static_cast<gid_t>(-1) && ::chown(dir.c_str(), static_cast<uid_t>(-1), gid) != 0)
      return "cannot give " + dir.string() + " to group " + cfg.socket_group;
  }
  return {};
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"regscand: registry inventory and image scanner"};
  std::string config_path = "config/regscan.toml";
  daemon_config flags;
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  auto* data_dir = app.add_option("--data-dir", flags.data_dir, "state directory (RocksDB, key)");
  auto* socket = app.add_option("--socket", flags.socket, "control socket path");
  auto* group = app.add_option("--socket-group", flags.socket_group, "group of the control socket");
  auto* admins = app.add_option("--admin-group", flags.admin_group,
                                "group whose members may do everything on the control socket");
  auto* viewers = app.add_option("--viewer-group", flags.viewer_group,
                                 "group whose members may list, show, export and read status");
  auto* metrics = app.add_option("--metrics-address", flags.metrics_address,
                                 "Prometheus endpoint host:port");
  auto* level = app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error");
  auto* parallel = app.add_option("--max-parallel-scans", flags.max_parallel_scans,
                                  "scans that run at once");
  auto* mirror = app.add_option("--osv-mirror", flags.osv_mirror,
                                "base URL of OSV exports: <mirror>/<ecosystem>/all.zip");
  CLI11_PARSE(app, argc, argv);

  daemon_config cfg;
  try {
    if (std::filesystem::exists(config_path))
      load_config_file(config_path, cfg);
    else if (app.count("--config"))
      return fail("configuration file " + config_path + " does not exist");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  // Flags win over the file.
  if (*data_dir) cfg.data_dir = flags.data_dir;
  if (*socket) cfg.socket = flags.socket;
  if (*group) cfg.socket_group = flags.socket_group;
  if (*admins) cfg.admin_group = flags.admin_group;
  if (*viewers) cfg.viewer_group = flags.viewer_group;
  if (*metrics) cfg.metrics_address = flags.metrics_address;
  if (*level) cfg.log_level = flags.log_level;
  if (*parallel) cfg.max_parallel_scans = flags.max_parallel_scans;
  if (*mirror) cfg.osv_mirror = flags.osv_mirror;
  if (auto problem = cfg.validate(); !problem.empty())
    return fail("bad configuration: " + problem);
  if (auto groups = check_role_groups(cfg); !groups)
    return fail("bad configuration: " + groups.err().message);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  raise_file_limit();
  if (auto problem = prepare_directories(cfg); !problem.empty())
    return fail(problem);

  daemon_context ctx;
  ctx.cfg = cfg;
  auto db = store::open(cfg.data_dir + "/db");
  if (!db)
    return fail(db.err().message);
  ctx.db = std::move(*db);
  auto box = secret_box::open_or_create(cfg.data_dir + "/secret.key");
  if (!box)
    return fail(box.err().message);
  ctx.secrets.emplace(std::move(*box));
  if (auto rules = load_secret_rules(ctx); !rules)
    return fail(rules.err().message);

  // SIGINT and SIGTERM are taken by sigwait below, in this thread only.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  caf::actor_system_config sys_cfg;
  sys_cfg.add_message_types<caf::id_block::regscan>();
  caf::actor_system sys{sys_cfg};

  // The registries' actors exist before the supervisor dispatches a task.
  auto registries = ctx.db->list_registries();
  if (!registries)
    return fail(registries.err().message);
  for (auto& rec : *registries)
    start_registry(sys, ctx, rec);
  auto sup = sys.spawn(supervisor, &ctx);
  auto vulndb = start_vulndb(sys, ctx);
  control_api api{sys, ctx, sup, vulndb};
  std::optional<scheduler_actor> nightly;
  if (cfg.sync_nightly) {
    auto window = parse_sync_window(cfg.sync_window);
    if (!window)
      return fail(window.err().message);
    nightly = sys.spawn(scheduler, &ctx, *window, [] { return std::time(nullptr); });
  }

  http_limits control_limits;
  control_limits.upload_paths = {"/db/import"};
  control_limits.max_upload_body = cfg.osv_max_archive_bytes;
  // An archive of max_archive_mib over a local socket: allow 10 s per 100 MiB.
  control_limits.body_timeout = std::max(control_limits.body_timeout,
                                         std::chrono::milliseconds(cfg.osv_max_archive_bytes / (10u << 20) * 1000));
  auto control = http_server::listen_unix(cfg.socket, cfg.socket_group,
                                          [&api](const http_exchange& ex) { return api.handle(ex); },
                                          control_limits);
  if (!control)
    return fail(control.err().message);
  auto prometheus = http_server::listen_tcp(cfg.metrics_address, [&ctx](const http_exchange& ex) {
    if (ex.method != "GET" || ex.target != "/metrics")
      return http_reply{404, "not found\n", "text/plain"};
    return http_reply{200, ctx.stats.render(*ctx.db), "text/plain; version=0.0.4"};
  });
  if (!prometheus)
    return fail(prometheus.err().message);
  spdlog::info("regscand {} ready: data in {}, control socket {}, metrics http://{}/metrics",
               REGSCAN_VERSION, cfg.data_dir, cfg.socket, cfg.metrics_address);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {} received: stopping", sig);
  (*control)->stop();
  (*prometheus)->stop();
  // Running scans stop at their next step and are left queued for the next
  // start; syncs stop likewise. Then the actors end, RocksDB closes, and the
  // process exits, all within 10 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{9};
  {
    caf::scoped_actor self{sys};
    self->request(sup, std::chrono::seconds{7}, stop_atom::value)
      .receive([](bool) {},
               [](caf::error& err) { spdlog::warn("scans did not stop in time: {}", to_string(err)); });
  }
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  stop_vulndb(ctx, vulndb);
  if (nightly)
    caf::anon_send_exit(*nightly, caf::exit_reason::user_shutdown);
  for (auto& handle : ctx.take_registry_actors())
    caf::anon_send(handle, stop_atom::value);
  while (sys.registry().running() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  if (sys.registry().running() > 0) {
    // Something is stuck in a blocking call: every change is in RocksDB's
    // log already, so leaving now is no worse than a crash.
    spdlog::warn("{} actors still running after 9 s: exiting without waiting",
                 sys.registry().running());
    spdlog::shutdown();
    std::fflush(nullptr);
    ::_exit(0);
  }
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}
