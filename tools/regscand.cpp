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
#include <caf/io/all.hpp>
#include <caf/openssl/publish.hpp>
#include <spdlog/spdlog.h>

#include "daemon/front/control_access.hpp"
#include "daemon/front/control_api.hpp"
#include "daemon/malware_db.hpp"
#include "daemon/secret_rules.hpp"
#include "actors/daemon_context.hpp"
#include "actors/liveness.hpp"
#include "daemon/front/http_server.hpp"
#include "daemon/systemd.hpp"
#include "actors/registry.hpp"
#include "actors/scan_schedule.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"
#include "actors/worker_gate.hpp"
#include "actors/worker_tls.hpp"
#include "daemon/logging.hpp"

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

/// The flags that override the configuration file, as given.
struct flag_overrides {
  daemon_config values;
  std::vector<std::pair<CLI::Option*, std::function<void(daemon_config&)>>> given;
  void apply(daemon_config& cfg) const {
    for (auto& [opt, set] : given)
      if (opt->count() > 0)
        set(cfg);
  }
};

/// The file (when there is one), the flags over it, and every check that
/// needs no store: what start-up, --check-config and SIGHUP all use.
expected<daemon_config> load_config(const std::string& path, bool path_given,
                                    const flag_overrides& flags) {
  daemon_config cfg;
  try {
    if (std::filesystem::exists(path))
      load_config_file(path, cfg);
    else if (path_given)
      return make_error(errc::not_found, "configuration file " + path + " does not exist");
  } catch (const std::exception& e) {
    return make_error(errc::invalid, e.what());
  }
  flags.apply(cfg);
  if (auto problem = cfg.validate(); !problem.empty())
    return make_error(errc::invalid, "bad configuration: " + problem);
  if (auto groups = check_role_groups(cfg); !groups)
    return make_error(errc::invalid, "bad configuration: " + groups.err().message);
  if (!cfg.socket_group.empty() && !::getgrnam(cfg.socket_group.c_str()))
    return make_error(errc::invalid, "bad configuration: socket group " + cfg.socket_group
                                       + " does not exist");
  if (auto window = parse_sync_window(cfg.sync_window); !window)
    return make_error(errc::invalid, "bad configuration: " + window.err().message);
  return cfg;
}

/// SIGHUP: what can change without a restart. The log level now; the pull
/// limits of the registries (kept in the store, and applied by `registry
/// edit` already) are sent to their actors again; signatures and rules
/// will hook in here when they exist. The rest needs a restart: said so.
void reload(daemon_context& ctx, const daemon_config& fresh) {
  spdlog::set_level(spdlog::level::from_str(fresh.log_level));
  spdlog::info("configuration reloaded: log_level={}", fresh.log_level);
  if (auto regs = ctx.db->list_registries())
    for (auto& rec : *regs)
      if (auto handle = ctx.registry_actor_for(rec.name))
        caf::anon_send(*handle, configure_atom::value, static_cast<int32_t>(rec.rate_limit));
  daemon_config applied = ctx.cfg;
  applied.log_level = fresh.log_level;
  if (applied.data_dir != fresh.data_dir || applied.socket != fresh.socket
      || applied.metrics_address != fresh.metrics_address
      || applied.max_parallel_scans != fresh.max_parallel_scans
      || applied.worker_listen != fresh.worker_listen
      || applied.worker_token_file != fresh.worker_token_file
      || applied.worker_tls_cert != fresh.worker_tls_cert
      || applied.worker_tls_key != fresh.worker_tls_key || applied.worker_tls_ca != fresh.worker_tls_ca)
    spdlog::warn("configuration reloaded: changes other than log_level take effect at the next start");
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"regscand: registry inventory and image scanner. It keeps the inventory of the "
               "images in a team's container registries, scans them for vulnerabilities, "
               "answers regscanctl on a Unix control socket and Prometheus on an HTTP port."};
  app.set_version_flag("--version", std::string("regscand ") + REGSCAN_VERSION);
  std::string config_path = "config/regscan.toml";
  std::string format_name = "auto";
  bool check_only = false;
  flag_overrides flags;
  auto& f = flags.values;
  auto flag = [&](CLI::Option* opt, auto member) {
    flags.given.emplace_back(opt, [&f, member](daemon_config& cfg) { cfg.*member = f.*member; });
  };
  auto* config_opt = app.add_option("-c,--config", config_path, "configuration file (TOML)");
  app.add_flag("--check-config", check_only, "check the configuration and exit (0: it is good)");
  app.add_option("--log-format", format_name,
                 "auto (the journal when run by systemd, else text), text, json (JSON lines) or journal");
  flag(app.add_option("--data-dir", f.data_dir, "state directory (RocksDB, key)"), &daemon_config::data_dir);
  flag(app.add_option("--socket", f.socket, "control socket path"), &daemon_config::socket);
  flag(app.add_option("--socket-group", f.socket_group, "group of the control socket"),
       &daemon_config::socket_group);
  flag(app.add_option("--admin-group", f.admin_group,
                      "group whose members may do everything on the control socket"),
       &daemon_config::admin_group);
  flag(app.add_option("--viewer-group", f.viewer_group,
                      "group whose members may list, show, export and read status"),
       &daemon_config::viewer_group);
  flag(app.add_option("--metrics-address", f.metrics_address, "Prometheus endpoint host:port"),
       &daemon_config::metrics_address);
  flag(app.add_option("--log-level", f.log_level, "trace|debug|info|warn|error"), &daemon_config::log_level);
  flag(app.add_option("--max-parallel-scans", f.max_parallel_scans, "scans that run at once"),
       &daemon_config::max_parallel_scans);
  flag(app.add_option("--scan-slots", f.max_parallel_scans,
                      "local scan slots (the same as --max-parallel-scans); 0 = only remote "
                      "workers scan"),
       &daemon_config::max_parallel_scans);
  flag(app.add_option("--worker-listen", f.worker_listen,
                      "host:port where remote scan workers (regscan-worker) join"),
       &daemon_config::worker_listen);
  flag(app.add_option("--worker-token-file", f.worker_token_file,
                      "file whose first line is the token workers must join with"),
       &daemon_config::worker_token_file);
  flag(app.add_option("--worker-tls-cert", f.worker_tls_cert,
                      "the daemon's TLS certificate for the worker link (PEM, with its chain)"),
       &daemon_config::worker_tls_cert);
  flag(app.add_option("--worker-tls-key", f.worker_tls_key,
                      "the key of --worker-tls-cert (PEM, not encrypted)"),
       &daemon_config::worker_tls_key);
  flag(app.add_option("--worker-tls-ca", f.worker_tls_ca,
                      "the CA that signs the workers' client certificates (PEM)"),
       &daemon_config::worker_tls_ca);
  flag(app.add_flag("--insecure-worker-link", f.insecure_worker_link,
                    "workers join without TLS (a trusted network only)"),
       &daemon_config::insecure_worker_link);
  flag(app.add_option("--osv-mirror", f.osv_mirror, "base URL of OSV exports: <mirror>/<ecosystem>/all.zip"),
       &daemon_config::osv_mirror);
  app.footer("Signals: SIGTERM or SIGINT stop it (running scans are left queued for the next "
             "start); SIGHUP reloads the log level and the registries' pull limits.\n"
             "Under systemd (Type=notify) it reports READY=1, STATUS= and watchdog pings.");
  CLI11_PARSE(app, argc, argv);

  log_format format;
  if (!parse_log_format(format_name, format)) {
    std::fprintf(stderr, "--log-format must be auto, text, json or journal\n");
    return 2;
  }
  auto loaded = load_config(config_path, config_opt->count() > 0, flags);
  if (check_only) {
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.err().message.c_str());
      return 1;
    }
    // The worker link's TLS files too, as at start.
    worker_tls_files tls{loaded->worker_tls_cert, loaded->worker_tls_key, loaded->worker_tls_ca};
    if (!loaded->worker_listen.empty() && tls.all())
      if (auto ok = check_worker_tls(tls, true); !ok) {
        std::fprintf(stderr, "%s\n", ok.err().message.c_str());
        return 1;
      }
    std::printf("configuration is good%s\n",
                std::filesystem::exists(config_path) ? (": " + config_path).c_str() : " (built-in defaults)");
    return 0;
  }
  setup_logging(format, loaded ? loaded->log_level : "info");
  if (!loaded)
    return fail(loaded.err().message);
  auto cfg = *loaded;

  raise_file_limit();
  // Local time (the scheduled scan, the nightly window) is the configured
  // zone's: set before any thread starts, as setenv is not thread-safe.
  if (!cfg.timezone.empty()) {
    ::setenv("TZ", cfg.timezone.c_str(), 1);
    ::tzset();
  }
  if (auto problem = prepare_directories(cfg); !problem.empty())
    return fail(problem);

  daemon_context ctx;
  ctx.cfg = cfg;
  auto db = store::open(cfg.data_dir + "/db");
  if (!db)
    return fail(db.err().message);
  ctx.db = std::move(*db);
  // The image gauges: counted once now, then moved by every image write.
  ctx.stats.count_images(*ctx.db);
  ctx.db->observe_images([&ctx](const image_record* before, const image_record* after) {
    ctx.stats.image_changed(before, after);
  });
  auto box = secret_box::open_or_create(cfg.data_dir + "/secret.key");
  if (!box)
    return fail(box.err().message);
  ctx.secrets.emplace(std::move(*box));
  if (auto rules = load_secret_rules(ctx); !rules)
    return fail(rules.err().message);
  // A signature directory that does not load leaves malware scanning off
  // until `regscanctl malware db reload` or an import fixes it; the rest works.
  if (auto db = load_malware_db(ctx); !db)
    spdlog::error("malware signatures not loaded: {}", db.err().message);
  else if (auto in_force = malware_db_in_force(ctx); in_force.loaded)
    spdlog::info("malware signatures {} loaded from {} in {:.2f} s", in_force.version, in_force.dir,
                 in_force.load_seconds);

  // SIGINT, SIGTERM and SIGHUP are taken by sigwait below, in this thread only.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Remote workers: the token is read and the link checked before anything starts.
  // (validate() has checked that there is TLS or --insecure-worker-link.)
  std::string worker_token;
  worker_tls_files worker_tls{cfg.worker_tls_cert, cfg.worker_tls_key, cfg.worker_tls_ca};
  if (!cfg.worker_listen.empty()) {
    auto token = read_worker_token(cfg.worker_token_file);
    if (!token)
      return fail(token.err().message);
    worker_token = std::move(*token);
    if (worker_tls.all())
      if (auto tls = check_worker_tls(worker_tls, true); !tls)
        return fail(tls.err().message);
  }

  caf::actor_system_config sys_cfg;
  sys_cfg.add_message_types<caf::id_block::regscan>();
  if (!cfg.worker_listen.empty()) {
    sys_cfg.load<caf::io::middleman>();
    if (worker_tls.all())
      use_worker_tls(sys_cfg, worker_tls);
  }
  caf::actor_system sys{sys_cfg};

  // The registries' actors exist before the supervisor dispatches a task.
  auto registries = ctx.db->list_registries();
  if (!registries)
    return fail(registries.err().message);
  for (auto& rec : *registries)
    start_registry(sys, ctx, rec);
  auto sup = sys.spawn(supervisor, &ctx);
  std::optional<coordinator_actor> gate;
  if (!cfg.worker_listen.empty()) {
    auto colon = cfg.worker_listen.rfind(':');
    auto host = cfg.worker_listen.substr(0, colon);
    int port = 0;
    try {
      port = std::stoi(cfg.worker_listen.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
    if (port <= 0 || port > 65535)
      return fail("workers.listen " + cfg.worker_listen + ": bad port");
    gate = sys.spawn(worker_gate, sup, worker_token, std::string{REGSCAN_VERSION}, worker_gate_limits{});
    auto in = host.empty() ? nullptr : host.c_str();
    auto published = worker_tls.all()
                       ? caf::openssl::publish(*gate, static_cast<uint16_t>(port), in, true)
                       : sys.middleman().publish(*gate, static_cast<uint16_t>(port), in, true);
    if (!published)
      return fail("cannot listen for workers on " + cfg.worker_listen + ": "
                  + sys.render(published.error()));
    if (worker_tls.all())
      spdlog::info("workers join on {} over TLS: a client certificate signed by {} and the token",
                   cfg.worker_listen, cfg.worker_tls_ca);
    else
      spdlog::warn("workers join on {} without TLS (--insecure-worker-link): the token and the "
                   "registry credentials of each job cross the network in the clear",
                   cfg.worker_listen);
  }
  auto vulndb = start_vulndb(sys, ctx);
  control_api api{sys, ctx, sup, vulndb};
  std::optional<scheduler_actor> nightly;
  if (cfg.sync_nightly) {
    auto window = parse_sync_window(cfg.sync_window);
    if (!window)
      return fail(window.err().message);
    nightly = sys.spawn(scheduler, &ctx, *window, [] { return std::time(nullptr); });
  }
  auto scheduled_scan = sys.spawn(scan_schedule, &ctx, sup, [] { return std::time(nullptr); });

  http_limits control_limits;
  control_limits.upload_paths = {"/db/import", "/malware/db/import"};
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
  // The store is open, the registries' actors run and both sockets listen.
  sd_notify("READY=1\nSTATUS=started");
  auto watchdog = watchdog_timeout();
  auto period = liveness_period(watchdog);
  std::optional<liveness_loop> liveness;
  if (std::getenv("NOTIFY_SOCKET"))
    liveness.emplace(
      // A probe waits 2 s at most, so a stuck actor cannot hold up SIGTERM long.
      [&, period] {
        return probe_actors(sys, sup, nightly ? &*nightly : nullptr,
                            std::min(period, std::chrono::milliseconds{2000}));
      },
      [](const std::string& state) { sd_notify(state); }, period, watchdog.count() > 0);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    sd_notify("RELOADING=1");
    if (auto fresh = load_config(config_path, config_opt->count() > 0, flags))
      reload(ctx, *fresh);
    else
      spdlog::error("configuration not reloaded: {}", fresh.err().message);
    sd_notify("READY=1");
  }
  spdlog::info("signal {} received: stopping", sig);
  sd_notify("STOPPING=1\nSTATUS=stopping: running scans are left queued");
  liveness.reset();
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
  if (gate)
    caf::anon_send_exit(*gate, caf::exit_reason::user_shutdown);
  stop_vulndb(ctx, vulndb);
  if (nightly)
    caf::anon_send_exit(*nightly, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(scheduled_scan, caf::exit_reason::user_shutdown);
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
