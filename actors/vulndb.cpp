#include "actors/vulndb.hpp"

#include <ctime>
#include <utility>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"

namespace regscan {

namespace {

struct rematch_state {
  package_keys pending;
  rematch_status status;
};

// Starts a run of what is pending, and of the store's backlog, on a thread
// of its own; it reports back with done_atom.
void start_run(rematch_actor::stateful_pointer<rematch_state> self, daemon_context* ctx) {
  auto& st = self->state;
  st.status.running = true;
  auto keys = std::exchange(st.pending, {});
  auto generation = st.status.requested;
  auto me = caf::actor_cast<rematch_actor>(self);
  self->spawn<caf::detached>([ctx, keys = std::move(keys), generation, me] {
    auto rep = rematch_pending(*ctx->db, keys, std::time(nullptr));
    if (!rep) {
      spdlog::error("re-match failed: {}", rep.err().message);
      caf::anon_send(me, done_atom::value, generation, rematch_report{}, rep.err().message);
      return;
    }
    spdlog::info("re-match: {} inventories, {} matched again, {} updated, {} new findings in "
                 "{:.3f} s", rep->inventories, rep->matched, rep->updated, rep->new_findings,
                 rep->seconds);
    for (auto& e : rep->errors)
      spdlog::warn("re-match: {}", e);
    caf::anon_send(me, done_atom::value, generation, std::move(*rep), std::string{});
  });
}

rematch_actor::behavior_type rematcher(rematch_actor::stateful_pointer<rematch_state> self,
                                       daemon_context* ctx) {
  return {
    [self, ctx](rematch_atom, package_keys& keys) -> uint64_t {
      auto& st = self->state;
      st.pending.merge(keys);
      auto generation = ++st.status.requested;
      if (!st.status.running)
        start_run(self, ctx);
      return generation;
    },
    [self](status_atom) -> rematch_status { return self->state.status; },
    [self, ctx](done_atom, uint64_t generation, rematch_report& rep, std::string& error) {
      auto& st = self->state.status;
      st.completed = generation;
      st.finished_at = std::time(nullptr);
      st.last_error = std::move(error);
      if (st.last_error.empty())
        st.last = std::move(rep);
      st.running = false;
      if (st.completed < st.requested)
        start_run(self, ctx);
    },
  };
}

// Asks the re-match of what a change touched, then answers the change.
void rematch_then_deliver(vulndb_actor::pointer self, const rematch_actor& rematch,
                          package_keys changed, vulndb_change change,
                          caf::typed_response_promise<vulndb_change> rp) {
  if (changed.empty()) { // nothing to match again: the current generation will do
    self->request(rematch, caf::infinite, status_atom::value)
      .then([rp, change](rematch_status& st) mutable {
        change.rematch = st.requested;
        rp.deliver(std::move(change));
      });
    return;
  }
  self->request(rematch, caf::infinite, rematch_atom::value, std::move(changed))
    .then([rp, change](uint64_t generation) mutable {
      change.rematch = generation;
      rp.deliver(std::move(change));
    });
}

vulndb_change failed_change(const error& e) {
  vulndb_change c;
  c.code = e.code;
  c.error = e.message;
  return c;
}

// Spawned detached: an import or a download runs in the handler, so they
// come one at a time and never hold a scheduler thread.
vulndb_actor::behavior_type updater(vulndb_actor::pointer self, daemon_context* ctx,
                                    rematch_actor rematch) {
  return {
    [self, ctx, rematch](import_atom, std::string& bytes, std::string& source,
                         bool allow_shrink) -> caf::result<vulndb_change> {
      auto report = import_vulndb_bytes(*ctx, bytes, source, allow_shrink);
      bytes.clear();
      bytes.shrink_to_fit();
      if (!report)
        return failed_change(report.err());
      vulndb_change change;
      change.ok = true;
      auto changed = std::exchange(report->changed_packages, {});
      change.total = std::move(*report);
      auto rp = self->make_response_promise<vulndb_change>();
      rematch_then_deliver(self, rematch, std::move(changed), std::move(change), rp);
      return rp;
    },
    [self, ctx, rematch](update_atom, vulndb_update_request& req) -> caf::result<vulndb_change> {
      auto result = update_vulndb(*ctx, req);
      if (!result)
        return failed_change(result.err());
      vulndb_change change;
      change.ok = true;
      change.archives = std::move(result->archives);
      auto changed = std::exchange(result->total.changed_packages, {});
      change.total = std::move(result->total);
      auto rp = self->make_response_promise<vulndb_change>();
      rematch_then_deliver(self, rematch, std::move(changed), std::move(change), rp);
      return rp;
    },
  };
}

} // namespace

vulndb_actors start_vulndb(caf::actor_system& sys, daemon_context& ctx) {
  auto rematch = sys.spawn(rematcher, &ctx);
  auto update = sys.spawn<caf::detached>(updater, &ctx, rematch);
  ctx.db->on_rematch_pending([rematch] { caf::anon_send(rematch, rematch_atom::value, package_keys{}); });
  if (auto backlog = ctx.db->pending_rematch(); backlog && !backlog->empty()) {
    spdlog::info("re-match: resuming what {} package(s) and {} image(s) still owe",
                 backlog->packages.size(), backlog->images.size());
    caf::anon_send(rematch, rematch_atom::value, package_keys{});
  } else if (!backlog) {
    spdlog::error("re-match: cannot read the backlog: {}", backlog.err().message);
  }
  return {update, rematch};
}

void stop_vulndb(daemon_context& ctx, const vulndb_actors& actors) {
  ctx.db->on_rematch_pending(nullptr);
  caf::anon_send_exit(actors.updater, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(actors.rematch, caf::exit_reason::user_shutdown);
}

} // namespace regscan
