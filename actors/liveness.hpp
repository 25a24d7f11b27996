#pragma once
// systemd's watchdog, driven by the actor system's own liveness: every
// period the supervisor (and the nightly scheduler, when there is one) must
// answer a message; only then does systemd get WATCHDOG=1, with the queue's
// counts as STATUS=. A stuck actor, or a scheduler whose threads are all
// blocked, stops the pings, and systemd restarts the service.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"

namespace regscan {

/// The queue's counts if every actor answered within `timeout`, else nothing.
std::optional<queue_counts> probe_actors(caf::actor_system& sys, const supervisor_actor& sup,
                                         const scheduler_actor* nightly,
                                         std::chrono::milliseconds timeout);

/// "queued 3, waiting 1 (budget 1, backoff 0), running 2"
std::string status_line(const queue_counts& n);

/// A thread that probes every `period` and reports: WATCHDOG=1 (when
/// `watchdog`) and STATUS= after a good probe; nothing but a warning
/// after a bad one.
class liveness_loop {
 public:
  using probe_fn = std::function<std::optional<queue_counts>()>;
  using notify_fn = std::function<void(const std::string&)>;
  liveness_loop(probe_fn probe, notify_fn notify, std::chrono::milliseconds period, bool watchdog);
  ~liveness_loop(); // stops the thread
  liveness_loop(const liveness_loop&) = delete;
  liveness_loop& operator=(const liveness_loop&) = delete;

 private:
  void run();
  probe_fn probe_;
  notify_fn notify_;
  std::chrono::milliseconds period_;
  bool watchdog_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

/// The probe period for a watchdog timeout: a third of it, so that one
/// slow probe does not cost a restart; 5 s when there is no watchdog (STATUS= only).
std::chrono::milliseconds liveness_period(std::chrono::microseconds watchdog_timeout);

} // namespace regscan
