#include "actors/supervisor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/remote_scan_task.hpp"
#include "actors/scan_task.hpp"

namespace regscan {

int64_t retry_backoff_seconds(int base, int attempt, double unit) {
  if (base <= 0)
    return 0;
  double seconds = std::min(base * std::pow(2.0, std::max(attempt - 1, 0)), 3600.0);
  return std::max<int64_t>(1, static_cast<int64_t>(seconds * (0.5 + unit)));
}

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

int64_t now() { return std::time(nullptr); }

/// The one place a task changes state: checks the move, stamps and stores it.
void set_task_state(daemon_context* ctx, task_record& task, task_state to,
                    const error* why = nullptr) {
  if (!can_move(task.state, to))
    spdlog::error("scan task {}: {} -> {} is not a valid move", task.id, to_string(task.state),
                  to_string(to));
  spdlog::info("scan task state: task={} registry={} image={} from={} to={}", task.id,
               task.registry, task.image_key, to_string(task.state), to_string(to));
  task.state = to;
  if (to != task_state::waiting) {
    task.waits_for = wait_reason::none;
    task.not_before = 0;
  }
  if (why) {
    task.error = why->message;
    task.error_code = to_string(why->code);
  } else if (to == task_state::done) {
    task.error.clear();
    task.error_code.clear();
  }
  task.updated_at = now();
  if (auto ok = ctx->db->put_task(task); !ok)
    spdlog::error("cannot store scan task {}: {}", task.id, ok.err().message);
}

/// The one place the supervisor changes an image's scan status.
void set_image_status(daemon_context* ctx, const std::string& key, scan_status status,
                      const error* why = nullptr) {
  auto ok = ctx->db->update_image(key, [&](image_record& img, bool exists) {
    if (!exists)
      return false; // deleted meanwhile
    img.scan_status = status;
    if (why) {
      img.last_error = why->message;
      img.last_error_code = to_string(why->code);
    }
    return true;
  });
  if (!ok)
    spdlog::error("cannot store image {}: {}", key, ok.err().message);
}

/// The status of a task's image and of the images that share its result.
void set_group_status(daemon_context* ctx, const task_record& task, scan_status status,
                      const error* error = nullptr) {
  set_image_status(ctx, task.image_key, status, error);
  for (auto& key : task.shares_with)
    set_image_status(ctx, key, status, error);
}

bool transient(errc code) { return code == errc::transport || code == errc::unavailable; }

void dispatch(self_ptr self, daemon_context* ctx);
void dispatch_slots(self_ptr self, daemon_context* ctx);

/// An ended task is kept with the last few of its image; older ones go.
void retire(self_ptr self, daemon_context* ctx, const task_record& task) {
  auto& st = self->state;
  auto release = [&](const std::string& key) {
    if (auto a = st.active.find(key); a != st.active.end() && a->second == task.id)
      st.active.erase(a);
  };
  release(task.image_key);
  for (auto& key : task.shares_with)
    release(key);
  auto& ended = st.ended[task.image_key];
  ended.push_back(task.id);
  while (ended.size() > kept_tasks_per_image) {
    if (auto ok = ctx->db->delete_task(ended.front()); !ok)
      spdlog::warn("{}", ok.err().message);
    ended.pop_front();
  }
}

void fail(self_ptr self, daemon_context* ctx, task_record& task, const error& why) {
  set_task_state(ctx, task, task_state::failed, &why);
  set_group_status(ctx, task, scan_status::failed, &why);
  ctx->stats.scans_failed++;
  spdlog::error("scan task {} for {} failed after {} attempt(s): {}", task.id, task.image_key,
                task.attempts, why.message);
  retire(self, ctx, task);
}

void enqueue(self_ptr self, const task_record& task, bool front = false) {
  auto& q = self->state.ready[task.registry];
  if (front)
    q.push_front(task.id);
  else
    q.push_back(task.id);
}

/// A waiting task becomes due at `until`.
void wait_until(self_ptr self, uint64_t id, int64_t until, wait_reason why) {
  self->state.delayed[id] = {until, why};
  self->delayed_send(self, std::chrono::seconds{std::max<int64_t>(until - now(), 0)},
                     retry_atom::value, id);
}

/// How `scan list` names a worker: "worker 3 (host)".
std::string worker_label(const worker_info& w) {
  return "worker " + std::to_string(w.id) + " (" + (w.host.empty() ? w.address : w.host) + ")";
}

void start(self_ptr self, daemon_context* ctx, task_record& task, registry_actor reg,
           supervisor_state::joined_worker* worker) {
  task.attempts++;
  task.runs_on = worker ? worker_label(worker->info) : "local";
  set_task_state(ctx, task, task_state::running);
  set_group_status(ctx, task, scan_status::scanning);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto progress = std::make_shared<scan_progress>();
  auto me = caf::actor_cast<supervisor_actor>(self);
  supervisor_state::running_task run;
  run.registry = task.registry;
  run.cancel = flag;
  run.progress = progress;
  if (worker) {
    // The coordinator's half runs here, on a thread of its own; the worker pulls and walks.
    auto handle = self->spawn<caf::monitored + caf::detached>(remote_scan_task, ctx, task, flag,
                                                              progress, reg, me, worker->handle);
    self->send(handle, run_atom::value);
    run.addr = handle.address();
    run.worker = worker->info.id;
    run.remote = handle;
    worker->tasks.insert(task.id);
    ctx->stats.worker_running(worker->info.id, worker->tasks.size());
    spdlog::info("scan task {} runs on worker {} ({})", task.id, worker->info.id,
                 worker->info.address);
  } else {
    // Blocking HTTP and CPU work: each task gets a thread of its own.
    auto handle = self->spawn<caf::monitored + caf::detached>(scan_task, ctx, task, flag, progress,
                                                              reg, me);
    self->send(handle, run_atom::value);
    run.addr = handle.address();
  }
  self->state.running.emplace(task.id, std::move(run));
}

size_t local_running(self_ptr self) {
  size_t n = 0;
  for (auto& [id, run] : self->state.running)
    n += run.worker == 0;
  return n;
}

/// The joined worker with the most free slots, or null when all are full.
supervisor_state::joined_worker* free_worker(self_ptr self) {
  supervisor_state::joined_worker* best = nullptr;
  size_t best_free = 0;
  for (auto& [id, w] : self->state.workers) {
    auto slots = static_cast<size_t>(std::max(w.info.slots, 0));
    auto free = slots > w.tasks.size() ? slots - w.tasks.size() : 0;
    if (free > best_free) {
      best = &w;
      best_free = free;
    }
  }
  return best;
}

/// Tells a running task to stop: its flag, and when it runs remotely, its
/// worker and its coordinator half (which ends at once).
void stop_run(self_ptr self, uint64_t id, supervisor_state::running_task& run) {
  *run.cancel = true;
  if (!run.worker)
    return;
  if (auto w = self->state.workers.find(run.worker); w != self->state.workers.end())
    caf::anon_send(w->second.handle, cancel_atom::value, id);
  self->send(run.remote, cancel_atom::value);
}

/// A worker is gone (its connection dropped, or it stopped sending
/// heartbeats): its tasks end as unavailable, so each is retried with an
/// attempt counted, and it is forgotten. If it comes back, it is a new worker.
void lose_worker(self_ptr self, daemon_context* ctx, uint64_t id, const std::string& why) {
  auto& st = self->state;
  auto w = st.workers.find(id);
  if (w == st.workers.end())
    return;
  spdlog::warn("worker {} ({}) lost: {}; its {} task(s) are queued again", id,
               w->second.info.address, why, w->second.tasks.size());
  for (auto task : w->second.tasks)
    if (auto r = st.running.find(task); r != st.running.end() && r->second.worker == id)
      self->send(r->second.remote, stop_atom::value, "worker " + std::to_string(id) + " lost: " + why);
  // A worker dropped for silence may still be connected: it is told to go.
  caf::anon_send_exit(w->second.handle, caf::exit_reason::user_shutdown);
  st.workers.erase(w);
  ctx->stats.workers_joined = st.workers.size();
  ctx->stats.worker_left(id);
}

/// The next registry, after the last one served, with a task that can run now.
std::deque<uint64_t>* next_queue(self_ptr self) {
  auto& st = self->state;
  auto t = now();
  auto usable = [&](auto& entry) {
    if (entry.second.empty())
      return false;
    auto b = st.budget_until.find(entry.first);
    return b == st.budget_until.end() || b->second <= t;
  };
  auto from = st.ready.upper_bound(st.last_registry);
  for (auto i = from; i != st.ready.end(); ++i)
    if (usable(*i)) {
      st.last_registry = i->first;
      return &i->second;
    }
  for (auto i = st.ready.begin(); i != from; ++i)
    if (usable(*i)) {
      st.last_registry = i->first;
      return &i->second;
    }
  return nullptr;
}

queue_counts count(self_ptr self) {
  queue_counts n;
  for (auto& [registry, q] : self->state.ready)
    n.queued += q.size();
  for (auto& [id, d] : self->state.delayed)
    (d.why == wait_reason::budget ? n.waiting_budget : n.waiting_backoff)++;
  n.running = self->state.running.size();
  return n;
}

/// The queue's gauges, published after every change (dispatch follows each).
void publish(self_ptr self, daemon_context* ctx) {
  auto n = count(self);
  ctx->stats.tasks_queued = n.queued;
  ctx->stats.tasks_waiting_budget = n.waiting_budget;
  ctx->stats.tasks_waiting_backoff = n.waiting_backoff;
  ctx->stats.tasks_running = n.running;
}

void dispatch(self_ptr self, daemon_context* ctx) {
  dispatch_slots(self, ctx);
  publish(self, ctx);
}

void dispatch_slots(self_ptr self, daemon_context* ctx) {
  auto& st = self->state;
  while (!st.stopping) {
    // A local slot first, else the worker with the most free slots.
    supervisor_state::joined_worker* worker = nullptr;
    if (local_running(self) >= static_cast<size_t>(ctx->cfg.max_parallel_scans)) {
      worker = free_worker(self);
      if (!worker)
        return;
    }
    auto* queue = next_queue(self);
    if (!queue)
      return;
    auto id = queue->front();
    queue->pop_front();
    auto task = ctx->db->get_task(id);
    if (!task || task->state != task_state::queued)
      continue;
    auto reg = ctx->registry_actor_for(task->registry);
    if (!reg) {
      if (ctx->db->get_registry(task->registry)) {
        // Its actor is not up yet: never a reason to fail the task.
        queue->push_front(id);
        self->delayed_send(self, std::chrono::seconds{1}, dispatch_atom::value);
        return;
      }
      fail(self, ctx, *task,
           make_error(errc::not_found, "registry " + task->registry + " no longer exists"));
      continue;
    }
    start(self, ctx, *task, *reg, worker);
  }
}

void finish(self_ptr self, daemon_context* ctx, const scan_outcome& out) {
  auto& st = self->state;
  auto it = st.running.find(out.task);
  if (it == st.running.end())
    return;
  auto run = it->second;
  st.running.erase(it); // the task has stopped: its slot is free
  if (run.worker)
    if (auto w = st.workers.find(run.worker); w != st.workers.end()) {
      w->second.tasks.erase(out.task);
      if (!out.ok && out.code == errc::cancelled && !run.cancel_requested && !run.stop_requested)
        spdlog::info("scan task {} was stopped on worker {}", out.task, run.worker);
      ctx->stats.worker_running(run.worker, w->second.tasks.size());
      // A spent pull budget ended the run before the worker had it: not counted.
      if (run.cancel_requested || run.stop_requested)
        ctx->stats.worker_task_ended(run.worker, "cancelled");
      else if (out.ok)
        ctx->stats.worker_task_ended(run.worker, "succeeded");
      else if (!(out.code == errc::limit && out.budget_until > 0))
        ctx->stats.worker_task_ended(run.worker, "failed");
    }
  if (!run.stop_requested)
    ctx->stats.scan_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run.started).count());
  auto task = ctx->db->get_task(out.task);
  if (!task) {
    dispatch(self, ctx);
    return;
  }
  if (run.stop_requested) {
    // Shutdown: the run did not count, and the next start takes the task again.
    task->attempts = std::max(task->attempts - 1, 0);
    set_task_state(ctx, *task, task_state::queued);
    set_group_status(ctx, *task, scan_status::queued);
  } else if (run.cancel_requested) {
    // Whatever the run wrote meanwhile, the image ends cancelled.
    set_group_status(ctx, *task, scan_status::cancelled);
    retire(self, ctx, *task);
  } else if (out.ok) {
    set_task_state(ctx, *task, task_state::done);
    ctx->stats.scans_succeeded++;
    spdlog::info("scan task {} for {} done", task->id, task->image_key);
    retire(self, ctx, *task);
  } else if (out.code == errc::limit && out.budget_until > 0) {
    // Nothing was pulled: not an attempt. The registry waits, not the slots.
    task->attempts = std::max(task->attempts - 1, 0);
    task->waits_for = wait_reason::budget;
    task->not_before = out.budget_until;
    set_task_state(ctx, *task, task_state::waiting);
    set_group_status(ctx, *task, scan_status::queued);
    st.budget_until[task->registry] = out.budget_until;
    ctx->stats.budget_wait(task->registry);
    spdlog::info("scan task {} waits until {} for the pull budget of registry {}", task->id,
                 out.budget_until, task->registry);
    wait_until(self, task->id, out.budget_until, wait_reason::budget);
  } else if (transient(out.code) && task->attempts <= ctx->cfg.max_retries) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    auto backoff = retry_backoff_seconds(ctx->cfg.retry_backoff_seconds, task->attempts,
                                         std::uniform_real_distribution<double>(0, 1)(rng));
    task->waits_for = wait_reason::backoff;
    task->not_before = now() + backoff;
    auto why = make_error(out.code, out.error);
    set_task_state(ctx, *task, task_state::waiting, &why);
    set_group_status(ctx, *task, scan_status::queued);
    ctx->stats.scan_retries++;
    spdlog::info("scan task {} retries in {} s after: {}", task->id, backoff, out.error);
    wait_until(self, task->id, task->not_before, wait_reason::backoff);
  } else {
    fail(self, ctx, *task, make_error(out.code, out.error));
  }
  if (st.stopping && st.running.empty() && st.stopped.pending())
    st.stopped.deliver(true);
  dispatch(self, ctx);
}

/// Loads the stored tasks: the active ones are queued again (an interrupted
/// run counts), the ended ones are kept for retirement.
void recover(self_ptr self, daemon_context* ctx) {
  auto tasks = ctx->db->list_tasks();
  if (!tasks) {
    spdlog::error("cannot read the scan tasks: {}", tasks.err().message);
    return;
  }
  auto& st = self->state;
  for (auto& task : *tasks) {
    if (task.registry.empty()) // stored before tasks named their registry
      if (auto img = ctx->db->get_image(task.image_key))
        task.registry = img->registry;
    if (!active(task.state)) {
      retire(self, ctx, task);
      continue;
    }
    st.active[task.image_key] = task.id;
    for (auto& key : task.shares_with)
      st.active[key] = task.id;
    if (task.state == task_state::running) {
      task.interruptions++;
      if (task.interruptions > ctx->cfg.max_retries) {
        fail(self, ctx, task,
             make_error(errc::limit, "interrupted " + std::to_string(task.interruptions)
                                       + " times (the daemon stopped or crashed during this scan)"));
        continue;
      }
      spdlog::info("scan task {} for {} was interrupted ({} of {}): it runs again", task.id,
                   task.image_key, task.interruptions, ctx->cfg.max_retries);
      set_task_state(ctx, task, task_state::queued);
      set_group_status(ctx, task, scan_status::queued);
    }
    if (task.state == task_state::waiting) {
      if (task.waits_for == wait_reason::budget)
        st.budget_until[task.registry] = std::max(st.budget_until[task.registry], task.not_before);
      wait_until(self, task.id, task.not_before, task.waits_for);
      continue;
    }
    enqueue(self, task);
  }
}

void cancel_one(self_ptr self, daemon_context* ctx, uint64_t id, std::vector<uint64_t>& done) {
  auto& st = self->state;
  auto task = ctx->db->get_task(id);
  if (!task || !active(task->state))
    return;
  if (auto it = st.running.find(id); it != st.running.end()) {
    if (it->second.cancel_requested)
      return;
    it->second.cancel_requested = true;
    stop_run(self, id, it->second); // it stops within a second; finish() frees the slot then
  } else {
    if (auto q = st.ready.find(task->registry); q != st.ready.end())
      q->second.erase(std::remove(q->second.begin(), q->second.end(), id), q->second.end());
    st.delayed.erase(id);
  }
  set_task_state(ctx, *task, task_state::cancelled);
  set_group_status(ctx, *task, scan_status::cancelled);
  ctx->stats.scans_cancelled++;
  spdlog::info("scan task {} for {} cancelled", id, task->image_key);
  if (!st.running.count(id))
    retire(self, ctx, *task);
  done.push_back(id);
}

/// Queues one task per group; an image already active keeps its task.
std::vector<uint64_t> queue_order(self_ptr self, daemon_context* ctx, const scan_order& order) {
  auto& st = self->state;
  std::vector<uint64_t> ids;
  for (auto& group : order.groups) {
    if (auto a = st.active.find(group.key); a != st.active.end()) {
      ids.push_back(a->second); // already queued, waiting or running
      continue;
    }
    auto img = ctx->db->get_image(group.key);
    auto id = img ? ctx->db->next_task_id() : expected<uint64_t>{img.err()};
    if (!id) {
      spdlog::error("cannot queue a scan of {}: {}", group.key, id.err().message);
      ids.push_back(0);
      continue;
    }
    task_record task;
    task.id = *id;
    task.image_key = group.key;
    task.registry = img->registry;
    task.created_at = now();
    task.categories = order.categories;
    for (auto& key : group.shares_with)
      if (!st.active.count(key)) // an active image keeps its own task
        task.shares_with.push_back(key);
    set_task_state(ctx, task, task_state::queued);
    set_group_status(ctx, task, scan_status::queued);
    enqueue(self, task);
    st.active[group.key] = task.id;
    for (auto& key : task.shares_with)
      st.active[key] = task.id;
    ids.push_back(task.id);
  }
  dispatch(self, ctx);
  return ids;
}

} // namespace

supervisor_actor::behavior_type supervisor(self_ptr self, daemon_context* ctx) {
  recover(self, ctx);
  self->send(self, dispatch_atom::value);
  self->set_down_handler([self, ctx](caf::down_msg& msg) {
    for (auto& [id, w] : self->state.workers)
      if (w.handle.address() == msg.source) {
        lose_worker(self, ctx, id, "its connection ended (" + to_string(msg.reason) + ")");
        dispatch(self, ctx);
        return;
      }
    for (auto& [id, run] : self->state.running) {
      if (run.addr == msg.source) {
        // A task that ends without reporting has crashed.
        scan_outcome out;
        out.task = id;
        out.code = errc::internal;
        out.error = "scan task stopped unexpectedly: " + to_string(msg.reason);
        finish(self, ctx, out);
        return;
      }
    }
  });
  return {
    [self, ctx](scan_atom, const std::vector<std::string>& keys) -> std::vector<uint64_t> {
      scan_order order;
      for (auto& key : keys)
        order.groups.push_back({key, {}});
      return queue_order(self, ctx, order);
    },
    [self, ctx](scan_atom, const scan_order& order) -> std::vector<uint64_t> {
      return queue_order(self, ctx, order);
    },
    [self, ctx](cancel_atom, const std::vector<uint64_t>& ids) -> std::vector<uint64_t> {
      std::vector<uint64_t> done;
      for (auto id : ids)
        cancel_one(self, ctx, id, done);
      dispatch(self, ctx);
      return done;
    },
    [self, ctx](list_atom) -> std::vector<task_record> {
      auto tasks = ctx->db->list_tasks();
      if (!tasks)
        return {};
      // A queued task of a registry whose budget is spent waits for it too.
      auto t = now();
      for (auto& task : *tasks) {
        if (auto r = self->state.running.find(task.id);
            r != self->state.running.end() && r->second.progress) {
          task.layers_done = r->second.progress->layers_done;
          task.layers_total = r->second.progress->layers_total;
        }
        if (task.state != task_state::queued)
          continue;
        auto b = self->state.budget_until.find(task.registry);
        if (b != self->state.budget_until.end() && b->second > t) {
          task.waits_for = wait_reason::budget;
          task.not_before = b->second;
        }
      }
      return std::move(*tasks);
    },
    [self, ctx](dispatch_atom) { dispatch(self, ctx); },
    [self, ctx](retry_atom, uint64_t id) {
      auto& st = self->state;
      auto d = st.delayed.find(id);
      if (d == st.delayed.end()) { // cancelled meanwhile; its registry may run again
        dispatch(self, ctx);
        return;
      }
      if (d->second.until > now()) { // woken early (a restart's timer): wait on
        wait_until(self, id, d->second.until, d->second.why);
        return;
      }
      st.delayed.erase(d);
      auto task = ctx->db->get_task(id);
      if (!task || task->state != task_state::waiting)
        return;
      set_task_state(ctx, *task, task_state::queued);
      enqueue(self, *task, true);
      dispatch(self, ctx);
    },
    [self, ctx](done_atom, const scan_outcome& out) { finish(self, ctx, out); },
    [self](stop_atom) -> caf::result<bool> {
      auto& st = self->state;
      st.stopping = true;
      if (st.running.empty())
        return true;
      for (auto& [id, run] : st.running) {
        run.stop_requested = !run.cancel_requested;
        stop_run(self, id, run);
      }
      st.stopped = self->make_response_promise<bool>();
      return st.stopped;
    },
    [self](status_atom) { return count(self); },
    [self, ctx](join_atom, worker_info& info, caf::actor& handle) {
      auto& st = self->state;
      info.last_heartbeat = now();
      auto id = info.id;
      self->monitor(handle);
      ctx->stats.worker_joined(id, info.host, info.address, info.version, info.slots,
                               info.last_heartbeat);
      st.workers[id] = {std::move(info), caf::actor_cast<worker_actor>(handle), {}};
      ctx->stats.workers_joined = st.workers.size();
      if (!st.ticking) {
        st.ticking = true;
        self->delayed_send(self, std::chrono::seconds{1}, heartbeat_atom::value);
      }
      dispatch(self, ctx);
    },
    [self, ctx](heartbeat_atom, uint64_t id, int32_t running) {
      if (auto w = self->state.workers.find(id); w != self->state.workers.end()) {
        w->second.info.last_heartbeat = now();
        w->second.info.running = running;
        ctx->stats.worker_heartbeat(id, w->second.info.last_heartbeat);
      }
    },
    [self](done_atom, uint64_t worker, worker_result& result) {
      auto r = self->state.running.find(result.task);
      if (r == self->state.running.end() || r->second.worker != worker) {
        // Cancelled or lost meanwhile (its slot is free already), or not its task.
        spdlog::info("worker {} sent a result for task {}, which it no longer runs: dropped", worker,
                     result.task);
        return;
      }
      self->send(r->second.remote, done_atom::value, std::move(result));
    },
    [self, ctx](heartbeat_atom) {
      auto& st = self->state;
      auto t = now();
      std::vector<uint64_t> silent;
      for (auto& [id, w] : st.workers)
        if (t - w.info.last_heartbeat > ctx->cfg.worker_heartbeat_timeout_seconds)
          silent.push_back(id);
      for (auto id : silent)
        lose_worker(self, ctx, id, "no heartbeat for more than "
                                     + std::to_string(ctx->cfg.worker_heartbeat_timeout_seconds) + " s");
      if (!silent.empty())
        dispatch(self, ctx);
      st.ticking = !st.workers.empty();
      if (st.ticking)
        self->delayed_send(self, std::chrono::seconds{1}, heartbeat_atom::value);
    },
    [self](workers_atom) {
      std::vector<worker_info> out;
      for (auto& [id, w] : self->state.workers) {
        out.push_back(w.info);
        out.back().running = static_cast<int32_t>(w.tasks.size());
      }
      return out;
    },
  };
}

} // namespace regscan
