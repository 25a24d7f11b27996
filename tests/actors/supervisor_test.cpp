// The supervisor with real actors, a real store and registries that really
// answer over HTTP (tests/actors/fake_registry.hpp): retries of transient
// errors only, crash recovery, the per-registry pull budget kept in RocksDB,
// per-registry queues, cancel in every phase, and retirement of old tasks.
#include "actors/supervisor.hpp"

#include <chrono>
#include <functional>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/daemon_context.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/registry.hpp"
#include "fake_registry.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

using fault = test::fake_registry::fault;

struct supervisor_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<caf::actor> spawned; // stopped in TearDown, else the system waits forever

  void SetUp() override {
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    auto box = secret_box::open_or_create(dir / "secret.key");
    ASSERT_TRUE(box) << box.err().message;
    ctx.secrets.emplace(std::move(*box));
    ctx.cfg.retry_backoff_seconds = 0;
    sys_cfg.add_message_types<caf::id_block::regscan>();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
  }

  void TearDown() override { stop_actors(); }

  /// Stops every actor and the actor system, as a daemon stopping does.
  void stop_actors() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    spawned.clear();
    for (auto& r : ctx.take_registry_actors())
      caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    sys.reset();
  }

  void restart_actor_system() {
    stop_actors();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
  }

  void add_registry(const std::string& name, const std::string& address, int rate_limit) {
    registry_record rec;
    rec.name = name;
    rec.type = "docker-v2";
    rec.address = address;
    rec.rate_limit = rate_limit;
    ASSERT_TRUE(ctx.db->put_registry(rec));
    start_registry(*sys, ctx, rec);
  }

  std::string add_image(const std::string& registry_name, const std::string& digest) {
    image_record img;
    img.registry = registry_name;
    img.repository = "app";
    img.digest = digest;
    img.key = registry_name + "/app@" + digest;
    EXPECT_TRUE(ctx.db->put_image(img));
    return img.key;
  }

  /// n images served by `reg` and filed under registry `name`.
  std::vector<std::string> add_images(test::fake_registry& reg, const std::string& name, int n,
                                      int first = 0) {
    std::vector<std::string> keys;
    for (int i = first; i < first + n; ++i)
      keys.push_back(add_image(name, reg.add(i)));
    return keys;
  }

  supervisor_actor start_supervisor() {
    auto sup = sys->spawn(supervisor, &ctx);
    spawned.push_back(caf::actor_cast<caf::actor>(sup));
    return sup;
  }

  /// Waits (bounded) until pred holds; false when it never did.
  static bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 60s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (pred())
        return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred();
  }

  task_record task(uint64_t id) {
    auto t = ctx.db->get_task(id);
    return t ? *t : task_record{};
  }

  scan_status image_status(const std::string& key) {
    auto img = ctx.db->get_image(key);
    return img ? img->scan_status : scan_status::unscanned;
  }

  std::vector<uint64_t> scan(const supervisor_actor& sup, std::vector<std::string> keys) {
    std::vector<uint64_t> ids;
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, scan_atom::value, keys)
      .receive([&](std::vector<uint64_t>& r) { ids = r; },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return ids;
  }

  std::vector<uint64_t> cancel(const supervisor_actor& sup, std::vector<uint64_t> ids) {
    std::vector<uint64_t> done;
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, cancel_atom::value, ids)
      .receive([&](std::vector<uint64_t>& r) { done = r; },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return done;
  }

  std::vector<task_record> list(const supervisor_actor& sup) {
    std::vector<task_record> out;
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, list_atom::value)
      .receive([&](std::vector<task_record>& r) { out = r; },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return out;
  }

  int64_t acquire(const std::string& registry_name) {
    int64_t until = -1;
    caf::scoped_actor self{*sys};
    self->request(*ctx.registry_actor_for(registry_name), 5s, acquire_atom::value)
      .receive([&](int64_t v) { until = v; }, [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return until;
  }
};

bool ended(const task_record& t) { return !active(t.state); }

} // namespace

TEST(retry_backoff, grows_with_jitter_and_is_capped) {
  EXPECT_EQ(retry_backoff_seconds(0, 3, 0.5), 0);
  EXPECT_EQ(retry_backoff_seconds(5, 1, 0.5), 5);
  EXPECT_EQ(retry_backoff_seconds(5, 2, 0.5), 10);
  EXPECT_EQ(retry_backoff_seconds(5, 3, 0.0), 10); // 20 s x 0.5
  EXPECT_EQ(retry_backoff_seconds(5, 3, 0.999), 29);
  EXPECT_EQ(retry_backoff_seconds(5, 40, 0.5), 3600);
}

TEST_F(supervisor_test, transient_error_is_retried_then_marked_failed) {
  ctx.cfg.max_retries = 2;
  add_registry("dead", "http://127.0.0.1:1", 0); // nothing listens: connection refused
  auto key = add_image("dead", "sha256:" + std::string(64, '1'));
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }));
  auto t = task(ids[0]);
  EXPECT_EQ(t.state, task_state::failed);
  EXPECT_EQ(t.attempts, 3);
  EXPECT_EQ(t.error_code, "transport");
  EXPECT_NE(t.error.find("127.0.0.1"), std::string::npos) << t.error;
  EXPECT_EQ(image_status(key), scan_status::failed);
  EXPECT_FALSE(ctx.db->get_image(key)->last_error.empty());
  EXPECT_EQ(ctx.stats.scans_failed, 1u);
  EXPECT_EQ(ctx.stats.scan_retries, 2u);
}

TEST_F(supervisor_test, permanent_error_fails_at_once) {
  ctx.cfg.max_retries = 3;
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_image("lab", "sha256:" + std::string(64, '2')); // the registry has no such manifest
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }));
  auto t = task(ids[0]);
  EXPECT_EQ(t.state, task_state::failed);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.error_code, "not_found");
  EXPECT_EQ(ctx.stats.scan_retries, 0u);
  EXPECT_EQ(reg.server().count("/v2/app/manifests/"), 1u);
}

TEST_F(supervisor_test, interrupted_task_runs_again_and_counts) {
  ctx.cfg.max_retries = 2;
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  // As a kill -9 leaves it: the task says running, nobody runs it.
  task_record t;
  t.id = *ctx.db->next_task_id();
  t.image_key = key;
  t.registry = "lab";
  t.state = task_state::running;
  t.attempts = 1;
  ASSERT_TRUE(ctx.db->put_task(t));
  auto sup = start_supervisor();
  ASSERT_TRUE(eventually([&] { return ended(task(t.id)); }));
  auto after = task(t.id);
  EXPECT_EQ(after.state, task_state::done);
  EXPECT_EQ(after.attempts, 2);
  EXPECT_EQ(after.interruptions, 1);
  EXPECT_EQ(image_status(key), scan_status::scanned);
}

TEST_F(supervisor_test, a_task_that_keeps_killing_the_daemon_fails_after_max_retries) {
  ctx.cfg.max_retries = 2;
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  task_record t;
  t.id = *ctx.db->next_task_id();
  t.image_key = key;
  t.registry = "lab";
  t.state = task_state::running;
  t.attempts = 3;
  t.interruptions = 2; // two daemons already died during this scan: this is the third
  ASSERT_TRUE(ctx.db->put_task(t));
  start_supervisor();
  ASSERT_TRUE(eventually([&] { return ended(task(t.id)); }));
  auto after = task(t.id);
  EXPECT_EQ(after.state, task_state::failed);
  EXPECT_EQ(after.error, "interrupted 3 times (the daemon stopped or crashed during this scan)");
  EXPECT_EQ(image_status(key), scan_status::failed);
  EXPECT_EQ(reg.server().requests().size(), 0u); // not run again
}

TEST_F(supervisor_test, a_task_is_not_failed_while_its_registry_actor_is_not_up) {
  test::fake_registry reg;
  registry_record rec;
  rec.name = "late";
  rec.type = "docker-v2";
  rec.address = reg.url();
  ASSERT_TRUE(ctx.db->put_registry(rec));
  auto key = add_images(reg, "late", 1)[0];
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(task(ids[0]).state, task_state::queued);
  start_registry(*sys, ctx, rec);
  ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }));
  EXPECT_EQ(task(ids[0]).state, task_state::done);
}

TEST_F(supervisor_test, a_spent_budget_holds_no_slot_while_another_registry_scans) {
  ctx.cfg.max_parallel_scans = 2;
  test::fake_registry slow_reg, fast_reg;
  add_registry("slow", slow_reg.url(), 5); // five pulls per hour
  add_registry("fast", fast_reg.url(), 0);
  auto slow = add_images(slow_reg, "slow", 20);
  auto fast = add_images(fast_reg, "fast", 10, 100);
  auto sup = start_supervisor();
  auto slow_ids = scan(sup, slow);
  auto fast_ids = scan(sup, fast);
  auto count = [&](const std::vector<uint64_t>& ids, task_state s) {
    return std::count_if(ids.begin(), ids.end(), [&](uint64_t id) { return task(id).state == s; });
  };
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return count(fast_ids, task_state::done) == 10; }, 30s));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 20s);
  ASSERT_TRUE(eventually([&] { return count(slow_ids, task_state::done) == 5; }, 30s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(count(slow_ids, task_state::done), 5);
  size_t layers_pulled = 0; // a config may be read without a permit; a layer never
  for (auto& key : slow)
    layers_pulled += slow_reg.server().count(
      "/v2/app/blobs/" + slow_reg.get(key.substr(key.find('@') + 1)).layer_digest);
  EXPECT_EQ(layers_pulled, 5u);
  // The rest wait for the budget, each shown with until when.
  int64_t hour_from_now = std::time(nullptr) + 3600;
  int waiting = 0;
  for (auto& t : list(sup)) {
    if (t.registry != "slow" || !active(t.state))
      continue;
    ++waiting;
    EXPECT_EQ(t.waits_for, wait_reason::budget) << t.id;
    EXPECT_NEAR(static_cast<double>(t.not_before), static_cast<double>(hour_from_now), 30.0);
    EXPECT_NE(t.state, task_state::running);
  }
  EXPECT_EQ(waiting, 15);
}

TEST_F(supervisor_test, the_pull_budget_survives_a_restart_and_an_edit) {
  test::fake_registry reg;
  add_registry("lab", reg.url(), 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(acquire("lab"), 0);
  EXPECT_GT(acquire("lab"), std::time(nullptr));
  // Edit: the same actor, a new limit, the same window.
  caf::anon_send(*ctx.registry_actor_for("lab"), configure_atom::value, int32_t{10});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(acquire("lab"), 0) << i;
  EXPECT_GT(acquire("lab"), 0);
  // Restart: a new actor system, the window read back from RocksDB.
  restart_actor_system();
  auto rec = *ctx.db->get_registry("lab");
  rec.rate_limit = 10;
  start_registry(*sys, ctx, rec);
  EXPECT_GT(acquire("lab"), 0);
  EXPECT_EQ(ctx.db->get_pulls("lab")->size(), 10u);
}

TEST_F(supervisor_test, a_scan_from_the_layer_cache_uses_no_pull) {
  test::fake_registry reg;
  add_registry("lab", reg.url(), 5);
  auto key = add_images(reg, "lab", 1)[0];
  auto sup = start_supervisor();
  for (int round = 0; round < 3; ++round) {
    auto ids = scan(sup, {key});
    ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }));
    EXPECT_EQ(task(ids[0]).state, task_state::done);
  }
  EXPECT_EQ(ctx.db->get_pulls("lab")->size(), 1u);
  auto layer = reg.get(key.substr(key.find('@') + 1)).layer_digest;
  EXPECT_EQ(reg.server().count("/v2/app/blobs/" + layer), 1u); // pulled once, then replayed
  EXPECT_EQ(reg.server().count("/v2/app/manifests/"), 3u);
}

namespace {

struct cancel_phase {
  const char* name;
  const char* target; // where the registry stalls or fails
  fault what;
  bool token = false; // pulls need a bearer token
};

} // namespace

class supervisor_cancel_test : public supervisor_test,
                               public testing::WithParamInterface<cancel_phase> {};

TEST_P(supervisor_cancel_test, cancel_stops_the_task_within_a_second_and_frees_its_slot) {
  ctx.cfg.max_parallel_scans = 1;
  ctx.cfg.max_retries = 0;
  test::fake_registry reg, other;
  add_registry("lab", reg.url(), 0);
  add_registry("other", other.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  auto next = add_images(other, "other", 1, 50)[0];
  reg.set_fault(GetParam().target, GetParam().what);
  if (GetParam().token)
    reg.require_token();
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  ASSERT_TRUE(eventually([&] { return reg.server().count(GetParam().target) >= 1; }, 10s));
  std::this_thread::sleep_for(200ms); // well inside the stalled step
  auto queued = scan(sup, {next});    // waits for the one slot
  EXPECT_EQ(task(queued[0]).state, task_state::queued);
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(cancel(sup, {ids[0]}), std::vector<uint64_t>{ids[0]});
  // The slot goes to the next task only once the cancelled one has stopped.
  ASSERT_TRUE(eventually([&] { return task(queued[0]).state != task_state::queued; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_EQ(task(ids[0]).state, task_state::cancelled);
  EXPECT_EQ(image_status(key), scan_status::cancelled);
  ASSERT_TRUE(eventually([&] { return ended(task(queued[0])); }));
  EXPECT_EQ(task(queued[0]).state, task_state::done);
  EXPECT_EQ(image_status(key), scan_status::cancelled);
}

INSTANTIATE_TEST_SUITE_P(
  phases, supervisor_cancel_test,
  testing::Values(cancel_phase{"resolving", "/v2/app/manifests/", fault::stall},
                  cancel_phase{"config", "/v2/app/blobs/sha256", fault::stall},
                  cancel_phase{"retry_wait", "/v2/app/manifests/", fault::unavailable},
                  cancel_phase{"token", "/token", fault::stall, true}),
  [](const auto& info) { return std::string(info.param.name); });

// A registry whose TLS handshake never completes (it accepts the connection
// and says nothing): cancel still stops the task within a second.
TEST_F(supervisor_test, cancel_during_a_stalled_tls_handshake) {
  ctx.cfg.max_retries = 0;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  add_registry("lab", "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), 0);
  auto key = add_image("lab", "sha256:" + std::string(64, 'a'));
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  std::this_thread::sleep_for(500ms); // connected, waiting for the server's hello
  EXPECT_EQ(task(ids[0]).state, task_state::running);
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(cancel(sup, {ids[0]}), std::vector<uint64_t>{ids[0]});
  ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_EQ(task(ids[0]).state, task_state::cancelled);
  EXPECT_EQ(image_status(key), scan_status::cancelled);
}

TEST_F(supervisor_test, cancel_during_a_stalled_layer_read) {
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  auto layer = reg.get(key.substr(key.find('@') + 1)).layer_digest;
  reg.set_fault(layer, fault::stall); // half the layer, then silence
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  ASSERT_TRUE(eventually([&] { return reg.server().count("/v2/app/blobs/" + layer) >= 1; }, 10s));
  std::this_thread::sleep_for(300ms);
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(cancel(sup, {ids[0]}).size(), 1u);
  ASSERT_TRUE(eventually([&] { return list(sup).size() == 1 && ended(task(ids[0])); }, 5s));
  // The slot is free again: a new scan of another image runs.
  auto other = add_images(reg, "lab", 1, 9)[0];
  auto next = scan(sup, {other});
  ASSERT_TRUE(eventually([&] { return ended(task(next[0])); }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 5s);
  EXPECT_EQ(task(ids[0]).state, task_state::cancelled);
  EXPECT_EQ(image_status(key), scan_status::cancelled);
  EXPECT_EQ(task(next[0]).state, task_state::done);
}

TEST_F(supervisor_test, batch_cancel_of_queued_tasks) {
  ctx.cfg.max_parallel_scans = 1;
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto keys = add_images(reg, "lab", 30);
  reg.set_fault("/v2/app/manifests/", fault::stall); // the first task holds the slot
  auto sup = start_supervisor();
  auto ids = scan(sup, keys);
  auto done = cancel(sup, ids);
  EXPECT_EQ(done.size(), 30u);
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(image_status(keys[i]), scan_status::cancelled) << i;
  ASSERT_TRUE(eventually([&] {
    for (auto id : ids)
      if (!ended(task(id)))
        return false;
    return true;
  }, 5s));
  EXPECT_LE(reg.server().count("/v2/app/manifests/"), 1u); // only the first had started
  EXPECT_TRUE(cancel(sup, ids).empty()); // a second cancel finds nothing active
}

TEST_F(supervisor_test, ended_tasks_are_retired_past_the_last_few_per_image) {
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  auto sup = start_supervisor();
  std::vector<uint64_t> all;
  for (int round = 0; round < 6; ++round) {
    auto ids = scan(sup, {key});
    ASSERT_TRUE(eventually([&] { return ended(task(ids[0])); }));
    all.push_back(ids[0]);
  }
  auto kept = ctx.db->list_tasks();
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->size(), kept_tasks_per_image);
  EXPECT_EQ(kept->front().id, all[3]);
  EXPECT_EQ(kept->back().id, all[5]);
}

TEST_F(supervisor_test, shutdown_leaves_a_running_task_queued_without_counting_it) {
  test::fake_registry reg;
  add_registry("lab", reg.url(), 0);
  auto key = add_images(reg, "lab", 1)[0];
  reg.set_fault("/v2/app/manifests/", fault::stall);
  auto sup = start_supervisor();
  auto ids = scan(sup, {key});
  ASSERT_TRUE(eventually([&] { return task(ids[0]).state == task_state::running; }, 10s));
  std::this_thread::sleep_for(200ms);
  bool stopped = false;
  auto asked = std::chrono::steady_clock::now();
  caf::scoped_actor self{*sys};
  self->request(sup, 5s, stop_atom::value)
    .receive([&](bool ok) { stopped = ok; }, [&](caf::error& err) { FAIL() << to_string(err); });
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  auto t = task(ids[0]);
  EXPECT_EQ(t.state, task_state::queued);
  EXPECT_EQ(t.attempts, 0);
  EXPECT_EQ(t.interruptions, 0);
}
