#include "actors/liveness.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

namespace regscan {

std::optional<queue_counts> probe_actors(caf::actor_system& sys, const supervisor_actor& sup,
                                         const scheduler_actor* nightly,
                                         std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  std::optional<queue_counts> counts;
  self->request(sup, timeout, status_atom::value)
    .receive([&](const queue_counts& n) { counts = n; },
             [&](caf::error& err) {
               spdlog::warn("watchdog: the supervisor did not answer: {}", to_string(err));
             });
  if (!counts || !nightly)
    return counts;
  bool alive = false;
  self->request(*nightly, timeout, ping_atom::value)
    .receive([&](bool) { alive = true; },
             [&](caf::error& err) {
               spdlog::warn("watchdog: the nightly scheduler did not answer: {}", to_string(err));
             });
  return alive ? counts : std::nullopt;
}

std::string status_line(const queue_counts& n) {
  return "queued " + std::to_string(n.queued) + ", waiting "
         + std::to_string(n.waiting_budget + n.waiting_backoff) + " (budget "
         + std::to_string(n.waiting_budget) + ", backoff " + std::to_string(n.waiting_backoff)
         + "), running " + std::to_string(n.running);
}

std::chrono::milliseconds liveness_period(std::chrono::microseconds watchdog_timeout) {
  using namespace std::chrono;
  if (watchdog_timeout.count() <= 0)
    return seconds{5};
  return std::max(milliseconds{50}, duration_cast<milliseconds>(watchdog_timeout / 3));
}

liveness_loop::liveness_loop(probe_fn probe, notify_fn notify, std::chrono::milliseconds period,
                             bool watchdog)
  : probe_(std::move(probe)), notify_(std::move(notify)), period_(period), watchdog_(watchdog),
    thread_([this] { run(); }) {}

liveness_loop::~liveness_loop() {
  {
    std::lock_guard lock{mu_};
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void liveness_loop::run() {
  std::unique_lock lock{mu_};
  while (!stop_) {
    lock.unlock();
    auto counts = probe_();
    lock.lock();
    if (stop_)
      break;
    if (counts)
      notify_((watchdog_ ? "WATCHDOG=1\nSTATUS=" : "STATUS=") + status_line(*counts));
    wake_.wait_for(lock, period_, [this] { return stop_; });
  }
}

} // namespace regscan
