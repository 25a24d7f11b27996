#include "actors/scheduler.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"

namespace regscan {

expected<sync_window> parse_sync_window(const std::string& text) {
  int h1, m1, h2, m2;
  char tail;
  if (std::sscanf(text.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 || h1 > 23
      || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || (h2 == 24 && m2 != 0))
    return make_error("sync window must be HH:MM-HH:MM (local time), not \"" + text + "\"");
  sync_window w{h1 * 60 + m1, (h2 * 60 + m2) % 1440};
  if (w.length() == 0)
    return make_error("sync window \"" + text + "\" is empty");
  return w;
}

std::time_t next_window_run(std::time_t now, const sync_window& w, int offset) {
  std::tm today{};
  localtime_r(&now, &today);
  const int minute = w.start_minute + offset; // may pass midnight: mktime normalises
  for (int day = -1; day <= 2; ++day) {
    std::tm t = today;
    t.tm_mday += day;
    t.tm_hour = 0;
    t.tm_min = minute;
    t.tm_sec = 0;
    t.tm_isdst = -1;
    auto at = std::mktime(&t);
    if (at > now)
      return at;
  }
  return now + 86400; // unreachable with sane clocks
}

std::time_t nightly_plan::plan(std::time_t now) {
  std::uniform_int_distribution<int> pick(0, window_.length() - 1);
  return next_window_run(now, window_, pick(rng_));
}

std::vector<std::string> nightly_plan::due(std::time_t now, const std::vector<std::string>& registries) {
  std::vector<std::string> out;
  std::map<std::string, std::time_t> next;
  for (auto& name : registries) {
    auto it = next_.find(name);
    if (it == next_.end()) {
      next[name] = plan(now);
    } else if (it->second <= now) {
      out.push_back(name);
      // Not again tonight: plan from past the end of this night's window.
      next[name] = plan(now + static_cast<std::time_t>(window_.length()) * 60);
    } else {
      next[name] = it->second;
    }
  }
  next_ = std::move(next); // deleted registries are forgotten
  return out;
}

std::time_t nightly_plan::next_run(const std::string& name) const {
  auto it = next_.find(name);
  return it == next_.end() ? 0 : it->second;
}

scheduler_actor::behavior_type scheduler(scheduler_actor::pointer self, daemon_context* ctx,
                                         sync_window w, clock_fn now) {
  auto plan = std::make_shared<nightly_plan>(w);
  auto tick = [self, ctx, plan, now] {
    auto regs = ctx->db->list_registries();
    if (!regs) {
      spdlog::error("nightly sync: {}", regs.err().message);
      return;
    }
    std::vector<std::string> names;
    for (auto& r : *regs)
      names.push_back(r.name);
    for (auto& name : plan->due(now(), names)) {
      auto handle = ctx->registry_actor_for(name);
      if (!handle)
        continue;
      spdlog::info("nightly sync of registry {}", name);
      self->request(*handle, std::chrono::seconds(30), sync_atom::value)
        .then([name](bool started) {
                if (!started)
                  spdlog::info("nightly sync of {}: a sync is already running", name);
              },
              [name](caf::error& err) { spdlog::warn("nightly sync of {}: {}", name, to_string(err)); });
    }
  };
  self->send(self, run_atom::value);
  return {
    [self, tick](run_atom) {
      tick();
      self->delayed_send(self, std::chrono::minutes(1), run_atom::value);
    },
    [](ping_atom) { return true; },
  };
}

} // namespace regscan
