// The supervisor with real actors and a real store: retries, crash recovery,
// the per-registry pull budget and cancellation. The registry is an address
// where nothing listens, so every scan fails at once, for real.
#include "actors/supervisor.hpp"

#include <chrono>
#include <functional>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/daemon_context.hpp"
#include "actors/registry.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

struct supervisor_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;

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

  std::vector<caf::actor> spawned; // stopped in TearDown, else the system waits forever

  void TearDown() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sys.reset();
  }

  void add_registry(const std::string& name, int rate_limit) {
    registry_record rec;
    rec.name = name;
    rec.type = "docker-v2";
    rec.address = "http://127.0.0.1:1";
    rec.rate_limit = rate_limit;
    ASSERT_TRUE(ctx.db->put_registry(rec));
    auto handle = sys->spawn(registry, &ctx, name, rate_limit);
    spawned.push_back(caf::actor_cast<caf::actor>(handle));
    ctx.add_registry_actor(name, handle);
  }

  std::string add_image(const std::string& registry_name, int n) {
    image_record img;
    img.registry = registry_name;
    img.repository = "app";
    img.digest = "sha256:" + std::string(63, '0') + std::to_string(n % 10);
    img.key = registry_name + "/app" + std::to_string(n) + "@" + img.digest;
    img.tags = {"v" + std::to_string(n)};
    EXPECT_TRUE(ctx.db->put_image(img));
    return img.key;
  }

  /// Waits (bounded) until the predicate holds over the stored task.
  task_record wait_task(uint64_t id, const std::function<bool(const task_record&)>& done) {
    for (int i = 0; i < 6000; ++i) { // at most a minute, on a loaded machine
      auto t = ctx.db->get_task(id);
      if (t && done(*t))
        return *t;
      std::this_thread::sleep_for(10ms);
    }
    auto t = ctx.db->get_task(id);
    return t ? *t : task_record{};
  }

  std::vector<uint64_t> scan(const supervisor_actor& sup, std::vector<std::string> keys) {
    std::vector<uint64_t> ids;
    caf::scoped_actor self{*sys};
    self->request(sup, 5s, scan_atom::value, keys)
      .receive([&](std::vector<uint64_t>& r) { ids = r; },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return ids;
  }
};

bool ended(const task_record& t) {
  return t.state == "done" || t.state == "failed" || t.state == "cancelled";
}

} // namespace

TEST_F(supervisor_test, failed_scan_is_retried_then_marked_failed) {
  ctx.cfg.max_retries = 2;
  add_registry("dead", 0);
  auto key = add_image("dead", 1);
  auto sup = sys->spawn(supervisor, &ctx);
  spawned.push_back(caf::actor_cast<caf::actor>(sup));
  auto ids = scan(sup, {key});
  ASSERT_EQ(ids.size(), 1u);
  auto t = wait_task(ids[0], ended);
  EXPECT_EQ(t.state, "failed");
  EXPECT_EQ(t.attempts, 3);
  EXPECT_NE(t.error.find("127.0.0.1"), std::string::npos) << t.error;
  auto img = ctx.db->get_image(key);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->scan_status, "failed");
  EXPECT_FALSE(img->last_error.empty());
  EXPECT_EQ(ctx.stats.scans_failed, 1u);
  EXPECT_EQ(ctx.stats.scan_retries, 2u);
}

TEST_F(supervisor_test, interrupted_task_runs_again_at_start) {
  ctx.cfg.max_retries = 0;
  add_registry("dead", 0);
  auto key = add_image("dead", 1);
  // As a kill -9 leaves it: the task says running, nobody runs it.
  task_record t;
  t.id = *ctx.db->next_task_id();
  t.image_key = key;
  t.state = "running";
  t.attempts = 1;
  ASSERT_TRUE(ctx.db->put_task(t));
  auto sup = sys->spawn(supervisor, &ctx);
  spawned.push_back(caf::actor_cast<caf::actor>(sup));
  auto after = wait_task(t.id, ended);
  EXPECT_EQ(after.state, "failed");
  EXPECT_EQ(after.attempts, 2); // it ran once more
}

TEST_F(supervisor_test, pull_budget_holds_the_rest_and_cancel_ends_a_waiting_task) {
  ctx.cfg.max_retries = 0;
  ctx.cfg.max_parallel_scans = 8;
  add_registry("slow", 5); // five pulls per hour
  std::vector<std::string> keys;
  for (int i = 0; i < 6; ++i)
    keys.push_back(add_image("slow", i));
  auto sup = sys->spawn(supervisor, &ctx);
  spawned.push_back(caf::actor_cast<caf::actor>(sup));
  auto ids = scan(sup, keys);
  ASSERT_EQ(ids.size(), 6u);
  auto count_failed = [&] {
    int n = 0;
    for (auto id : ids)
      n += ctx.db->get_task(id)->state == "failed";
    return n;
  };
  for (int i = 0; i < 6000 && count_failed() < 5; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(count_failed(), 5); // five pulled (and failed); one waits for the budget
  uint64_t waiting = 0;
  for (auto id : ids)
    if (ctx.db->get_task(id)->state == "queued")
      waiting = id;
  ASSERT_NE(waiting, 0u);
  bool cancelled = false;
  caf::scoped_actor self{*sys};
  self->request(sup, 5s, cancel_atom::value, waiting)
    .receive([&](bool ok) { cancelled = ok; }, [&](caf::error& err) { FAIL() << to_string(err); });
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(ctx.db->get_task(waiting)->state, "cancelled");
  // A second cancel finds nothing to cancel.
  self->request(sup, 5s, cancel_atom::value, waiting)
    .receive([&](bool ok) { cancelled = ok; }, [&](caf::error& err) { FAIL() << to_string(err); });
  EXPECT_FALSE(cancelled);
}

TEST_F(supervisor_test, scanning_an_image_twice_reuses_its_active_task) {
  ctx.cfg.max_retries = 0;
  add_registry("slow", 5);
  auto key = add_image("slow", 1);
  auto sup = sys->spawn(supervisor, &ctx);
  spawned.push_back(caf::actor_cast<caf::actor>(sup));
  auto first = scan(sup, {key, key});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0], first[1]);
}
