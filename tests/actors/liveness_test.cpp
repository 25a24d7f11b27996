// The watchdog follows the actors' liveness: a supervisor stuck in a call
// (here: waiting for the store's image lock, which the test holds) gets no
// WATCHDOG=1 sent for it; once it is free again, the pings resume.
#include "actors/liveness.hpp"

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/daemon_context.hpp"
#include "actors/supervisor.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

struct pings {
  std::mutex mu;
  std::vector<std::string> sent;
  void add(const std::string& s) {
    std::lock_guard lock{mu};
    sent.push_back(s);
  }
  size_t count() {
    std::lock_guard lock{mu};
    return sent.size();
  }
};

} // namespace

TEST(liveness, a_stuck_supervisor_stops_the_watchdog_pings) {
  test::temp_dir dir;
  daemon_context ctx;
  auto db = store::open(dir / "db");
  ASSERT_TRUE(db) << db.err().message;
  ctx.db = std::move(*db);
  image_record img;
  img.registry = "lab";
  img.repository = "app";
  img.key = "lab/app@sha256:1";
  ASSERT_TRUE(ctx.db->put_image(img));

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::regscan>();
  caf::actor_system sys{cfg};
  auto sup = sys.spawn(supervisor, &ctx);
  pings p;
  {
    liveness_loop loop([&] { return probe_actors(sys, sup, nullptr, 100ms); },
                       [&](const std::string& s) { p.add(s); }, 100ms, true);
    std::this_thread::sleep_for(600ms);
    ASSERT_GE(p.count(), 3u);
    EXPECT_EQ(p.sent.front(), "WATCHDOG=1\nSTATUS=" + status_line({}));

    // The supervisor queues a scan and blocks on the image lock the test holds.
    std::promise<void> release;
    std::promise<void> holding;
    std::thread holder([&] {
      (void)ctx.db->update_image(img.key, [&](image_record&, bool) {
        holding.set_value();
        release.get_future().wait();
        return false;
      });
    });
    holding.get_future().wait();
    caf::anon_send(sup, scan_atom::value, std::vector<std::string>{img.key});
    std::this_thread::sleep_for(300ms); // a ping already under way may still land
    auto stuck_at = p.count();
    std::this_thread::sleep_for(800ms);
    EXPECT_EQ(p.count(), stuck_at) << "pings went on while the supervisor was stuck";

    release.set_value();
    holder.join();
    std::this_thread::sleep_for(800ms);
    EXPECT_GT(p.count(), stuck_at) << "the pings did not resume";
  }
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST(liveness, the_period_is_a_third_of_the_watchdog_timeout) {
  EXPECT_EQ(liveness_period(std::chrono::microseconds{30'000'000}), 10s);
  EXPECT_EQ(liveness_period(std::chrono::microseconds{0}), 5s);
}
