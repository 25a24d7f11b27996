// A scan task on a joined worker, without the network between them: the
// supervisor and, in the same process, a worker actor that pulls with what
// its job hands it from a registry that answers over HTTP
// (tests/actors/fake_registry.hpp). `scan list` names the worker; the
// per-worker metrics follow its tasks and leave with it; a registry with
// token auth hands the worker a pull token and never the password, a
// registry without it the Basic credentials; and no log line holds either.
#include <chrono>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/registry.hpp"
#include "actors/supervisor.hpp"
#include "fake_registry.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

const std::string password = "registry-password-9f41d2";
constexpr uint64_t worker_id = 7;

/// What the worker was handed, and what came of its pull.
struct handed {
  std::mutex mu;
  std::vector<worker_job> jobs;
  std::string error;
};

/// A worker as regscan-worker runs a job, but for the layer walk: it pulls
/// every layer with the job's credentials and sends an empty inventory.
worker_actor::behavior_type fake_worker(worker_actor::pointer self, supervisor_actor sup,
                                        test::fake_registry* reg, std::shared_ptr<handed> seen) {
  return {
    [=](scan_atom, worker_job& job) {
      oci_client client{job.address, {job.username, job.password}};
      if (!job.bearer_token.empty())
        client.use_pull_token(job.repository, {job.bearer_token, job.bearer_valid_seconds});
      worker_result r;
      r.task = job.task;
      r.cache_version = job.cache_version;
      r.ok = true;
      for (auto& layer : job.layers) {
        auto ok = client.fetch_blob(job.repository, layer.digest,
                                    [](const uint8_t*, size_t) -> expected<void> { return {}; });
        if (!ok) {
          r.ok = false;
          r.code = ok.err().code;
          r.error = ok.err().message;
        }
      }
      {
        std::lock_guard lock{seen->mu};
        seen->error += r.error;
        seen->jobs.push_back(job);
      }
      self->send(sup, done_atom::value, worker_id, std::move(r));
    },
    [](cancel_atom, uint64_t) {},
    [](done_atom, uint64_t) {},
    [](heartbeat_atom) {},
  };
}

struct remote_task_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  test::fake_registry reg;
  std::shared_ptr<handed> seen = std::make_shared<handed>();
  supervisor_actor sup;
  worker_actor worker;
  std::ostringstream log;
  std::shared_ptr<spdlog::logger> previous_logger;

  void SetUp() override {
    // Every log line of the test, at every level, to look for secrets in.
    previous_logger = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    auto box = secret_box::open_or_create(dir / "secret.key");
    ASSERT_TRUE(box) << box.err().message;
    ctx.secrets.emplace(std::move(*box));
    ctx.cfg.retry_backoff_seconds = 0;
    ctx.cfg.max_parallel_scans = 0; // only the worker scans
    sys_cfg.add_message_types<caf::id_block::regscan>();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
    registry_record rec;
    rec.name = "lab";
    rec.type = "docker-v2";
    rec.address = reg.url();
    rec.username = "alice";
    auto sealed = ctx.secrets->seal(password);
    ASSERT_TRUE(sealed);
    rec.password_sealed = *sealed;
    ASSERT_TRUE(ctx.db->put_registry(rec));
    start_registry(*sys, ctx, rec);
    sup = sys->spawn(supervisor, &ctx);
  }

  void TearDown() override {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    for (auto& r : ctx.take_registry_actors())
      caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    // A detached actor's thread waits until its last handle is gone.
    worker = nullptr;
    sup = nullptr;
    sys.reset();
    spdlog::set_default_logger(previous_logger);
  }

  void join_worker() {
    worker = sys->spawn<caf::detached>(fake_worker, sup, &reg, seen);
    worker_info info;
    info.id = worker_id;
    info.address = "127.0.0.1:40000";
    info.host = "build-7";
    info.version = "1.2.3";
    info.slots = 2;
    caf::anon_send(sup, join_atom::value, info, caf::actor_cast<caf::actor>(worker));
  }

  std::string add_image(int n) {
    image_record img;
    img.registry = "lab";
    img.repository = "app";
    img.digest = reg.add(n);
    img.key = "lab/app@" + img.digest;
    EXPECT_TRUE(ctx.db->put_image(img));
    return img.key;
  }

  std::vector<task_record> list() {
    std::vector<task_record> out;
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, list_atom::value)
      .receive([&](std::vector<task_record>& r) { out = r; },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return out;
  }

  /// Scans the images and waits until every task has ended.
  std::vector<task_record> scan_all(std::vector<std::string> keys) {
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, scan_atom::value, keys)
      .receive([](std::vector<uint64_t>&) {}, [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
      auto tasks = list();
      bool ended = tasks.size() == keys.size();
      for (auto& t : tasks)
        ended = ended && !active(t.state);
      if (ended)
        return tasks;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "the tasks did not end";
    return list();
  }
};

} // namespace

TEST_F(remote_task_test, token_auth_hands_the_worker_a_pull_token_and_never_the_password) {
  reg.require_token("alice", password);
  join_worker();
  auto tasks = scan_all({add_image(1), add_image(2)});
  for (auto& t : tasks) {
    EXPECT_EQ(t.state, task_state::done) << t.error;
    EXPECT_EQ(t.runs_on, "worker 7 (build-7)");
  }
  std::lock_guard lock{seen->mu};
  ASSERT_EQ(seen->jobs.size(), 2u);
  for (auto& job : seen->jobs) {
    EXPECT_EQ(job.bearer_token, test::fake_registry::token);
    EXPECT_GT(job.bearer_valid_seconds, 0);
    EXPECT_EQ(job.username, "");
    EXPECT_EQ(job.password, "");
  }
  EXPECT_EQ(seen->error, "");
  // Every token request was the coordinator's (with the password): the
  // worker, which has none, asked for no token.
  size_t token_requests = 0;
  for (auto& r : reg.server().requests())
    if (std::string(r.target()).starts_with("/token")) {
      ++token_requests;
      EXPECT_EQ(std::string(r[boost::beast::http::field::authorization]), basic_auth({"alice", password}));
    }
  EXPECT_GE(token_requests, 2u);
  // The tasks did run on the worker: the stored record says so after a restart too.
  auto stored = ctx.db->get_task(tasks[0].id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->runs_on, "worker 7 (build-7)");
  auto text = log.str();
  EXPECT_NE(text.find("runs on worker 7"), std::string::npos) << text;
  EXPECT_EQ(text.find(password), std::string::npos) << text;
  EXPECT_EQ(text.find(test::fake_registry::token), std::string::npos) << text;
}

TEST_F(remote_task_test, without_token_auth_the_worker_gets_the_basic_credentials_unlogged) {
  join_worker();
  auto tasks = scan_all({add_image(1)});
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].state, task_state::done) << tasks[0].error;
  std::lock_guard lock{seen->mu};
  ASSERT_EQ(seen->jobs.size(), 1u);
  EXPECT_EQ(seen->jobs[0].bearer_token, "");
  EXPECT_EQ(seen->jobs[0].username, "alice");
  EXPECT_EQ(seen->jobs[0].password, password);
  EXPECT_EQ(log.str().find(password), std::string::npos) << log.str();
}

TEST_F(remote_task_test, per_worker_metrics_follow_its_tasks_and_leave_with_it) {
  join_worker();
  auto tasks = scan_all({add_image(1), add_image(2), add_image(3)});
  for (auto& t : tasks)
    EXPECT_EQ(t.state, task_state::done) << t.error;
  auto text = ctx.stats.render(*ctx.db);
  for (auto line : {"regscan_worker_info{worker=\"7\",host=\"build-7\",address=\"127.0.0.1:40000\",version=\"1.2.3\"} 1\n",
                    "regscan_worker_slots{worker=\"7\"} 2\n",
                    "regscan_worker_running_tasks{worker=\"7\"} 0\n",
                    "regscan_worker_tasks_total{worker=\"7\",outcome=\"succeeded\"} 3\n",
                    "regscan_worker_tasks_total{worker=\"7\",outcome=\"failed\"} 0\n",
                    "regscan_workers_joined 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  // The worker goes away: the supervisor drops it, and its series leave.
  caf::anon_send_exit(worker, caf::exit_reason::kill);
  auto until = std::chrono::steady_clock::now() + 10s;
  while (ctx.stats.render(*ctx.db).find("worker=\"7\"") != std::string::npos
         && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  text = ctx.stats.render(*ctx.db);
  EXPECT_EQ(text.find("worker=\"7\""), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_workers_joined 0\n"), std::string::npos) << text;
}
