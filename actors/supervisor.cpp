#include "actors/supervisor.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/scan_task.hpp"

namespace regscan {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

constexpr auto permit_timeout = std::chrono::seconds{10};

void set_task_state(daemon_context* ctx, task_record& task, const char* state,
                    const std::string& error = {}) {
  task.state = state;
  task.error = error;
  task.updated_at = std::time(nullptr);
  if (auto ok = ctx->db->put_task(task); !ok)
    spdlog::error("cannot store scan task {}: {}", task.id, ok.err().message);
}

void set_image_status(daemon_context* ctx, const std::string& key, const char* status,
                      const std::string& error = {}) {
  auto ok = ctx->db->update_image(key, [&](image_record& img, bool exists) {
    if (!exists)
      return false; // deleted meanwhile
    img.scan_status = status;
    if (!error.empty())
      img.last_error = error;
    return true;
  });
  if (!ok)
    spdlog::error("cannot store image {}: {}", key, ok.err().message);
}

void start(self_ptr self, daemon_context* ctx, uint64_t id) {
  auto task = ctx->db->get_task(id);
  if (!task || task->state != "queued")
    return;
  task->attempts++;
  set_task_state(ctx, *task, "running");
  set_image_status(ctx, task->image_key, "scanning");
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto me = caf::actor_cast<supervisor_actor>(self);
  auto handle = self->spawn<caf::monitored>(scan_task, ctx, id, task->image_key, flag, me);
  self->state.running.emplace(id, supervisor_state::running_task{handle.address(), handle, flag});
}

void dispatch(self_ptr self, daemon_context* ctx) {
  auto& st = self->state;
  while (!st.queue.empty()
         && st.running.size() + st.waiting.size()
              < static_cast<size_t>(ctx->cfg.max_parallel_scans)) {
    auto id = st.queue.front();
    st.queue.pop_front();
    auto task = ctx->db->get_task(id);
    if (!task || task->state != "queued")
      continue;
    auto img = ctx->db->get_image(task->image_key);
    if (!img) {
      set_task_state(ctx, *task, "failed", "image no longer in the inventory");
      continue;
    }
    auto reg = ctx->registry_actor_for(img->registry);
    if (!reg) {
      set_task_state(ctx, *task, "failed", "registry " + img->registry + " no longer exists");
      set_image_status(ctx, task->image_key, "failed", task->error);
      continue;
    }
    st.waiting.insert(id);
    self->request(*reg, permit_timeout, acquire_atom::value)
      .then(
        [self, ctx, id](int64_t wait) {
          if (self->state.waiting.erase(id) == 0)
            return; // cancelled while asking
          if (wait == 0) {
            start(self, ctx, id);
          } else {
            spdlog::info("scan task {} waits {} s for the registry's pull budget", id, wait);
            self->state.waiting.insert(id);
            self->delayed_send(self, std::chrono::seconds{wait}, retry_atom::value, id);
          }
        },
        [self, id](caf::error& err) {
          self->state.waiting.erase(id);
          self->state.queue.push_back(id);
          spdlog::warn("no pull permit for scan task {}: {}", id, to_string(err));
          self->delayed_send(self, std::chrono::seconds{1}, dispatch_atom::value);
        });
  }
}

void finish(self_ptr self, daemon_context* ctx, uint64_t id, const std::string& error) {
  auto it = self->state.running.find(id);
  if (it == self->state.running.end())
    return; // cancelled: already recorded
  self->state.running.erase(it);
  auto task = ctx->db->get_task(id);
  if (!task)
    return;
  if (error.empty()) {
    set_task_state(ctx, *task, "done");
    ctx->stats.scans_succeeded++;
    spdlog::info("scan task {} for {} done", id, task->image_key);
  } else if (task->attempts <= ctx->cfg.max_retries) {
    auto backoff = std::chrono::seconds{int64_t{ctx->cfg.retry_backoff_seconds}
                                        << std::min(task->attempts - 1, 10)};
    spdlog::info("scan task {} retries in {} s after: {}", id, backoff.count(), error);
    set_task_state(ctx, *task, "queued", error);
    set_image_status(ctx, task->image_key, "queued");
    ctx->stats.scan_retries++;
    self->state.waiting.insert(id);
    self->delayed_send(self, backoff, retry_atom::value, id);
  } else {
    set_task_state(ctx, *task, "failed", error);
    set_image_status(ctx, task->image_key, "failed", error);
    ctx->stats.scans_failed++;
    spdlog::error("scan task {} for {} failed after {} attempts: {}", id, task->image_key,
                  task->attempts, error);
  }
  dispatch(self, ctx);
}

} // namespace

supervisor_actor::behavior_type supervisor(self_ptr self, daemon_context* ctx) {
  // Tasks that were queued or running when the daemon stopped run again.
  if (auto tasks = ctx->db->list_tasks()) {
    for (auto& task : *tasks) {
      if (task.state != "queued" && task.state != "running")
        continue;
      if (task.state == "running") {
        spdlog::info("scan task {} for {} was interrupted: it runs again", task.id,
                     task.image_key);
        set_task_state(ctx, task, "queued", task.error);
        set_image_status(ctx, task.image_key, "queued");
      }
      self->state.queue.push_back(task.id);
    }
  }
  self->send(self, dispatch_atom::value);
  self->set_down_handler([self, ctx](caf::down_msg& msg) {
    for (auto& [id, run] : self->state.running) {
      if (run.addr == msg.source) {
        // A task that ends without reporting has crashed.
        finish(self, ctx, id, "scan task stopped unexpectedly: " + to_string(msg.reason));
        return;
      }
    }
  });
  return {
    [self, ctx](scan_atom, const std::vector<std::string>& keys) -> std::vector<uint64_t> {
      std::vector<uint64_t> ids;
      std::map<std::string, uint64_t> active;
      if (auto tasks = ctx->db->list_tasks())
        for (auto& t : *tasks)
          if (t.state == "queued" || t.state == "running")
            active[t.image_key] = t.id;
      for (auto& key : keys) {
        if (auto i = active.find(key); i != active.end()) {
          ids.push_back(i->second); // already queued or running
          continue;
        }
        auto id = ctx->db->next_task_id();
        if (!id) {
          spdlog::error("cannot queue a scan of {}: {}", key, id.err().message);
          continue;
        }
        task_record task;
        task.id = *id;
        task.image_key = key;
        task.created_at = std::time(nullptr);
        set_task_state(ctx, task, "queued");
        set_image_status(ctx, key, "queued");
        self->state.queue.push_back(task.id);
        active[key] = task.id;
        ids.push_back(task.id);
      }
      dispatch(self, ctx);
      return ids;
    },
    [self, ctx](cancel_atom, uint64_t id) -> bool {
      auto task = ctx->db->get_task(id);
      if (!task || (task->state != "queued" && task->state != "running"))
        return false;
      auto& st = self->state;
      if (auto it = st.running.find(id); it != st.running.end()) {
        *it->second.cancelled = true; // the task stops at its next chunk
        self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
        st.running.erase(it);
      }
      st.queue.erase(std::remove(st.queue.begin(), st.queue.end(), id), st.queue.end());
      st.waiting.erase(id);
      set_task_state(ctx, *task, "cancelled");
      set_image_status(ctx, task->image_key, "cancelled");
      ctx->stats.scans_cancelled++;
      spdlog::info("scan task {} for {} cancelled", id, task->image_key);
      dispatch(self, ctx);
      return true;
    },
    [self, ctx](dispatch_atom) { dispatch(self, ctx); },
    [self, ctx](retry_atom, uint64_t id) {
      if (self->state.waiting.erase(id) == 0)
        return; // cancelled meanwhile
      self->state.queue.push_front(id);
      dispatch(self, ctx);
    },
    [self, ctx](done_atom, uint64_t id, const std::string& error) {
      finish(self, ctx, id, error);
    },
  };
}

} // namespace regscan
