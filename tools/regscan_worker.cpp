// regscan-worker: a stateless scan worker. It joins a regscand (the
// coordinator) through CAF's middleman, and runs the pull + analyze half of
// the scan tasks it is handed: it pulls the layers the coordinator's layer
// cache lacks, walks them, and sends back the inventory and the layers'
// deltas. It keeps nothing: no database, no credentials on disk. When the
// coordinator goes away it exits (systemd restarts it: a new worker).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/manager.hpp>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/worker_gate.hpp"
#include "actors/worker_tls.hpp"
#include "daemon/logging.hpp"
#include "daemon/malware_db.hpp"
#include "daemon/scan.hpp"
#include "daemon/secret_rules.hpp"
#include "daemon/services.hpp"
#include "scanners/malware/malware_scanner.hpp"
#include "scanners/secrets/secret_scanner.hpp"

using namespace regscan;

namespace {

/// The layer cache as a job hands it over: the coordinator's deltas of the
/// layers it has, and the deltas this walk makes, to send back.
class handed_layers : public layer_cache_access {
 public:
  handed_layers(const worker_job& job, std::vector<analyzed_layer>& out) : out_(out) {
    for (auto& l : job.layers)
      if (!l.delta.empty() && !l.diff_id.empty())
        deltas_[l.diff_id] = l.delta;
    version_ = job.cache_version;
  }
  std::optional<std::string> find(const std::string& diff_id, const std::string& version) override {
    // Deltas of another analyzer version would not replay to the same result.
    if (version != version_)
      return std::nullopt;
    auto d = deltas_.find(diff_id);
    if (d == deltas_.end())
      return std::nullopt;
    return d->second;
  }
  void keep(const std::string& diff_id, const std::string&, std::string encoded) override {
    out_.push_back({diff_id, std::move(encoded)});
  }

 private:
  std::map<std::string, std::string> deltas_;
  std::string version_;
  std::vector<analyzed_layer>& out_;
};

/// What the worker shares with its jobs' threads.
struct worker_shared {
  services local; // malware signatures and metrics only: no store
  std::mutex secrets_mutex;
  std::string secrets_key; // what the cached secret scanner was built from
  std::shared_ptr<const secret_scanner> secrets;

  expected<std::shared_ptr<const secret_scanner>> secret_scanner_for(const worker_job& job) {
    auto key = job.secret_rules + '\0' + job.secret_key + '\0'
               + std::to_string(job.secrets_skip_test_paths) + '\0'
               + std::to_string(job.secrets_max_file_bytes);
    std::lock_guard lock{secrets_mutex};
    if (secrets && key == secrets_key)
      return secrets;
    auto built = build_secret_scanner(job.secret_rules, job.secret_key,
                                      job.secrets_skip_test_paths, job.secrets_max_file_bytes);
    if (!built)
      return built.err();
    secrets = *built;
    secrets_key = std::move(key);
    return secrets;
  }
};

bool wants(const std::vector<std::string>& categories, std::string_view c) {
  return categories.empty() || std::find(categories.begin(), categories.end(), c) != categories.end();
}

/// The pull + analyze half of one scan, as the coordinator asked.
worker_result run_job(worker_shared& shared, worker_job job, const std::atomic<bool>* cancel) {
  worker_result out;
  out.task = job.task;
  layer_scanners scanners;
  if (job.secrets && wants(job.categories, "secrets")) {
    auto s = shared.secret_scanner_for(job);
    if (!s) {
      out.code = s.err().code;
      out.error = s.err().message;
      return out;
    }
    scanners.secrets = *s;
  }
  if (wants(job.categories, "malware"))
    scanners.malware = shared.local.malware_scanner_in_use();
  out.cache_version = layer_cache_version(scanners);
  if (out.cache_version != job.cache_version)
    spdlog::warn("task {}: this worker's analyzer ({}) differs from the daemon's ({}): every "
                 "layer is pulled and none is cached",
                 job.task, out.cache_version, job.cache_version);
  oci_image oci;
  oci.repository = job.repository;
  bool diff_ids = true;
  for (auto& l : job.layers) {
    oci.layers.push_back({l.digest, l.media_type, l.size});
    diff_ids = diff_ids && !l.diff_id.empty();
  }
  if (diff_ids)
    for (auto& l : job.layers)
      oci.diff_ids.push_back(l.diff_id);
  http_options opts;
  opts.verify_tls = job.verify_tls;
  opts.cancel = cancel;
  opts.min_transfer_bytes_per_second = static_cast<uint64_t>(job.min_transfer_bytes_per_second);
  opts.min_transfer_window = std::chrono::seconds(job.min_transfer_window_seconds);
  // The credentials live in this client only, for this job.
  oci_client client{job.address, {std::move(job.username), std::move(job.password)}, opts};
  if (!job.bearer_token.empty())
    client.use_pull_token(job.repository, {std::move(job.bearer_token), job.bearer_valid_seconds});
  handed_layers cache{job, out.layers};
  scan_hooks hooks; // no acquire_pull: the coordinator took the permit
  hooks.cancel = cancel;
  hooks.categories = job.categories;
  auto inv = pull_and_analyze(client, oci, job.image_key, job.registry, scanners, cache,
                              shared.local.stats, hooks);
  if (!inv) {
    out.code = inv.err().code;
    out.error = inv.err().message;
    out.layers.clear();
    return out;
  }
  out.ok = true;
  out.inv = std::move(*inv);
  return out;
}

struct worker_state {
  static inline const char* name = "regscan_worker";
  std::string session;
  uint64_t id = 0;
  std::map<uint64_t, std::shared_ptr<std::atomic<bool>>> jobs;
};

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   coordinator_actor gate, join_request req,
                                   std::shared_ptr<worker_shared> shared,
                                   std::shared_ptr<std::atomic<int>> exit_code) {
  self->monitor(gate);
  // The coordinator drops a worker it no longer hears, or whose result is too large.
  self->set_exit_handler([self, exit_code](caf::exit_msg& msg) {
    spdlog::error("the coordinator told this worker to go ({}): exiting", to_string(msg.reason));
    *exit_code = 3;
    for (auto& [id, flag] : self->state.jobs)
      *flag = true;
    self->quit(msg.reason);
  });
  self->set_down_handler([self, exit_code](caf::down_msg& msg) {
    spdlog::error("the coordinator is gone ({}): exiting", to_string(msg.reason));
    *exit_code = 3;
    for (auto& [id, flag] : self->state.jobs)
      *flag = true;
    self->quit();
  });
  self->request(gate, std::chrono::seconds{30}, join_atom::value, req)
    .then(
      [self, exit_code](join_answer& answer) {
        if (!answer.accepted) {
          spdlog::error("the coordinator refused this worker: {}", answer.reason);
          *exit_code = 2;
          self->quit();
          return;
        }
        self->state.session = answer.session;
        self->state.id = answer.worker;
        spdlog::info("joined the coordinator as worker {}", answer.worker);
        self->send(self, heartbeat_atom::value);
      },
      [self, exit_code](caf::error& err) {
        spdlog::error("no answer to the join: {}", self->system().render(err));
        *exit_code = 2;
        self->quit();
      });
  return {
    [=](scan_atom, worker_job& job) {
      if (self->state.session.empty())
        return;
      auto id = job.task;
      auto flag = std::make_shared<std::atomic<bool>>(false);
      self->state.jobs[id] = flag;
      spdlog::info("task {}: {} ({} layers)", id, job.image_key, job.layers.size());
      auto me = caf::actor_cast<worker_actor>(self);
      auto session = self->state.session;
      // Blocking HTTP and CPU work: a thread per job.
      std::thread([shared, job = std::move(job), flag, gate, me, session]() mutable {
        auto result = run_job(*shared, std::move(job), flag.get());
        if (auto size = wire_size(result); size > max_result_bytes) {
          worker_result too_big;
          too_big.task = result.task;
          too_big.code = errc::limit;
          too_big.error = "the worker's result is " + std::to_string(size >> 20)
                          + " MiB, above the worker link's limit of "
                          + std::to_string(max_result_bytes >> 20) + " MiB";
          result = std::move(too_big);
        }
        if (result.ok)
          spdlog::info("task {}: done, {} packages, {} new layer deltas", result.task,
                       result.inv.packages.size(), result.layers.size());
        else
          spdlog::info("task {}: {}", result.task, result.error);
        auto id = result.task;
        caf::anon_send(gate, done_atom::value, session, std::move(result));
        caf::anon_send(me, done_atom::value, id);
      }).detach();
    },
    [=](cancel_atom, uint64_t id) {
      if (auto j = self->state.jobs.find(id); j != self->state.jobs.end()) {
        *j->second = true;
        spdlog::info("task {}: cancelled", id);
      }
    },
    [=](done_atom, uint64_t id) { self->state.jobs.erase(id); },
    [=](heartbeat_atom) {
      caf::anon_send(gate, heartbeat_atom::value, self->state.session,
                     static_cast<int32_t>(self->state.jobs.size()));
      self->delayed_send(self, std::chrono::seconds{2}, heartbeat_atom::value);
    },
  };
}

/// The daemon's gate at host:port, through CAF's middleman (or its OpenSSL
/// module). CAF's own remote_actor waits without end for the daemon's
/// handshake, which never comes when only one side speaks TLS: this waits
/// `timeout` at most.
expected<coordinator_actor> connect_gate(caf::actor_system& sys, bool tls, const std::string& host,
                                         uint16_t port, std::chrono::seconds timeout) {
  auto mm = tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  expected<coordinator_actor> out = make_error(errc::transport, "no answer");
  caf::scoped_actor self{sys};
  self->request(mm, timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& gate, const std::set<std::string>& ifs) {
        if (!gate)
          out = make_error(errc::not_found, "nothing is published at that port");
        else if (!sys.assignable<coordinator_actor>(ifs))
          out = make_error(errc::invalid, "the actor published there is not a regscand worker gate");
        else
          out = caf::actor_cast<coordinator_actor>(std::move(gate));
      },
      [&](caf::error& err) {
        if (err == caf::sec::request_timeout)
          out = make_error(errc::transport,
                           "no handshake within " + std::to_string(timeout.count())
                             + " s: does the daemon use TLS on the worker link (then give "
                               "--worker-tls-cert, --worker-tls-key and --worker-tls-ca) or not "
                               "(then --insecure-worker-link)?");
        else
          out = make_error(errc::transport, sys.render(err));
      });
  return out;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"regscan-worker: a stateless scan worker. It joins regscand (started with "
               "--worker-listen) and pulls and analyzes the images it is handed."};
  app.set_version_flag("--version", std::string("regscan-worker ") + REGSCAN_VERSION);
  std::string connect, token_file, malware_dir, log_level = "info", format_name = "auto";
  int slots = 1;
  bool insecure = false;
  app.add_option("--connect", connect, "the daemon's worker address, host:port")->required();
  app.add_option("--token-file", token_file, "file whose first line is the shared token")->required();
  app.add_option("--slots", slots, "scan tasks run at once")->check(CLI::Range(1, 256));
  app.add_option("--malware-dir", malware_dir,
                 "ClamAV/YARA/IOC signature directory (the daemon's signatures); none: no malware scanning here");
  worker_tls_files tls;
  app.add_option("--worker-tls-cert", tls.cert,
                 "this worker's TLS client certificate (PEM, with its chain)");
  app.add_option("--worker-tls-key", tls.key, "the key of --worker-tls-cert (PEM, not encrypted)");
  app.add_option("--worker-tls-ca", tls.ca, "the CA that signs the daemon's certificate (PEM)");
  app.add_flag("--insecure-worker-link", insecure, "join without TLS (a trusted network only)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  app.add_option("--log-format", format_name, "auto, text, json or journal");
  CLI11_PARSE(app, argc, argv);

  log_format format;
  if (!parse_log_format(format_name, format)) {
    std::fprintf(stderr, "--log-format must be auto, text, json or journal\n");
    return 2;
  }
  setup_logging(format, log_level);
  if (tls.any() && insecure) {
    spdlog::critical("--insecure-worker-link and the --worker-tls- files are both given: choose one");
    return 2;
  }
  if (!tls.any() && !insecure) {
    spdlog::critical("the worker link needs TLS: give --worker-tls-cert, --worker-tls-key and "
                     "--worker-tls-ca, or --insecure-worker-link on a trusted network only");
    return 2;
  }
  if (tls.any())
    if (auto ok = check_worker_tls(tls, false); !ok) {
      spdlog::critical("{}", ok.err().message);
      return 2;
    }
  auto colon = connect.rfind(':');
  int port = -1;
  if (colon != std::string::npos)
    try {
      port = std::stoi(connect.substr(colon + 1));
    } catch (const std::exception&) {
    }
  if (port <= 0 || port > 65535) {
    spdlog::critical("--connect must be host:port, not {}", connect);
    return 2;
  }
  auto token = read_worker_token(token_file);
  if (!token) {
    spdlog::critical("{}", token.err().message);
    return 2;
  }
  auto shared = std::make_shared<worker_shared>();
  if (!malware_dir.empty()) {
    shared->local.cfg.malware_signature_dir = malware_dir;
    if (auto loaded = load_malware_db(shared->local); !loaded) {
      spdlog::critical("malware signatures: {}", loaded.err().message);
      return 2;
    }
  }
  join_request req;
  req.token = std::move(*token);
  req.version = REGSCAN_VERSION;
  req.slots = slots;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  req.host = host;
  if (auto m = shared->local.malware_scanner_in_use())
    req.malware_version = m->version();

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::regscan>();
  cfg.load<caf::io::middleman>();
  if (!insecure)
    use_worker_tls(cfg, tls);
  caf::actor_system sys{cfg};
  auto gate = connect_gate(sys, !insecure, connect.substr(0, colon), static_cast<uint16_t>(port),
                           std::chrono::seconds{10});
  if (!gate) {
    spdlog::critical("cannot reach the daemon at {}: {}", connect, gate.err().message);
    return 1;
  }
  auto exit_code = std::make_shared<std::atomic<int>>(0);
  auto me = sys.spawn(worker, *gate, std::move(req), shared, exit_code);
  {
    caf::scoped_actor self{sys};
    self->monitor(me);
    self->receive([](const caf::down_msg&) {});
  }
  // Job threads may still hold the system: leave without waiting for them.
  spdlog::shutdown();
  std::fflush(nullptr);
  ::_exit(*exit_code);
}
