#include "actors/remote_scan_task.hpp"

#include <optional>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "daemon/scan.hpp"
#include "daemon/secret_rules.hpp"

namespace regscan {

namespace {

// The layer cache keeps no larger deltas (daemon/scan.cpp).
constexpr size_t max_kept_delta = 16u << 20;

struct remote_run {
  scan_hooks hooks;
  std::optional<prepared_scan> prep;
  layer_scanners scanners;
  std::string version;
  bool ended = false;
};

} // namespace

remote_scan_task_actor::behavior_type
remote_scan_task(remote_scan_task_actor::pointer self, daemon_context* ctx, task_record task,
                 std::shared_ptr<std::atomic<bool>> cancelled,
                 std::shared_ptr<scan_progress> progress, registry_actor registry,
                 supervisor_actor parent, worker_actor worker) {
  auto run = std::make_shared<remote_run>();
  auto end = [self, run, parent, id = task.id](const expected<void>& ok) {
    if (run->ended)
      return;
    run->ended = true;
    scan_outcome out;
    out.task = id;
    out.ok = static_cast<bool>(ok);
    if (!ok) {
      out.code = ok.err().code;
      out.error = ok.err().message;
      out.budget_until = run->hooks.budget_until;
    }
    self->send(parent, done_atom::value, out);
    self->quit();
  };
  return {
    [=](run_atom) {
      auto& hooks = run->hooks;
      hooks.cancel = cancelled.get();
      hooks.categories = task.categories;
      hooks.shares_with = task.shares_with;
      hooks.layers_done = &progress->layers_done;
      hooks.layers_total = &progress->layers_total;
      hooks.acquire_pull = [self, registry]() -> int64_t {
        int64_t until = -1;
        caf::scoped_actor asker{self->system()};
        asker->request(registry, std::chrono::seconds{10}, acquire_atom::value)
          .receive([&](int64_t v) { until = v; }, [&](caf::error&) {});
        return until;
      };
      spdlog::info("scan task {} started for {} (remote)", task.id, task.image_key);
      auto prep = prepare_scan(*ctx, task.image_key, cancelled.get());
      if (!prep)
        return end(prep.err());
      run->scanners = scanners_for(*ctx, task.categories);
      run->version = layer_cache_version(run->scanners);
      auto& oci = prep->oci;
      stored_layer_cache cache{*ctx->db};
      worker_job job;
      bool use_cache = oci.diff_ids.size() == oci.layers.size();
      size_t missing = 0;
      for (size_t i = 0; i < oci.layers.size(); ++i) {
        job_layer layer{oci.layers[i].digest, oci.layers[i].media_type, oci.layers[i].size,
                        use_cache ? oci.diff_ids[i] : std::string{}, {}};
        if (use_cache)
          if (auto delta = cache.find(oci.diff_ids[i], run->version))
            layer.delta = std::move(*delta);
        if (layer.delta.empty())
          ++missing;
        job.layers.push_back(std::move(layer));
      }
      if (missing == 0) {
        // Every layer is in the layer cache: replayed here; no worker pulls it.
        auto inv = pull_and_analyze(*prep->client, oci, task.image_key, prep->img.registry,
                                    run->scanners, cache, ctx->stats, hooks);
        if (!inv)
          return end(inv.err());
        return end(store_scan(*ctx, *prep, std::move(*inv), run->scanners, hooks));
      }
      // The permit is taken here, centrally, before the worker pulls anything.
      auto until = hooks.acquire_pull();
      if (until < 0)
        return end(make_error(errc::unavailable,
                              "registry " + prep->img.registry + " did not grant a pull"));
      if (until > 0) {
        hooks.budget_until = until;
        return end(make_error(errc::limit, "the pull budget of registry " + prep->img.registry
                                             + " is spent until " + std::to_string(until)));
      }
      ctx->stats.image_pulled(prep->img.registry);
      if (*cancelled)
        return end(make_error(errc::cancelled, "scan of " + task.image_key + " cancelled"));
      job.task = task.id;
      job.image_key = task.image_key;
      job.registry = prep->registry.name;
      job.address = prep->registry.address;
      // Token auth: the worker gets a pull token for this repository, not the password.
      auto token = prep->client->pull_token_for(prep->img.repository);
      if (!token)
        return end(token.err());
      if (*token) {
        job.bearer_token = std::move((*token)->token);
        job.bearer_valid_seconds = (*token)->valid_seconds;
      } else {
        job.username = prep->registry.username;
        if (!prep->registry.password_sealed.empty()) {
          auto pw = ctx->secrets->open(prep->registry.password_sealed);
          if (!pw)
            return end(make_error("registry " + prep->registry.name + ": " + pw.err().message));
          job.password = std::move(*pw);
        }
      }
      job.verify_tls = prep->registry.verify_tls;
      job.min_transfer_bytes_per_second = ctx->cfg.min_transfer_bytes_per_second;
      job.min_transfer_window_seconds = ctx->cfg.min_transfer_window_seconds;
      job.repository = prep->img.repository;
      job.categories = task.categories;
      if (run->scanners.secrets) {
        auto rules = ctx->db->get_secret_rules();
        if (!rules)
          return end(rules.err());
        job.secrets = true;
        job.secret_rules = std::move(*rules);
        job.secret_key = secret_fingerprint_key(*ctx);
        job.secrets_skip_test_paths = ctx->cfg.secrets_skip_test_paths;
        job.secrets_max_file_bytes = ctx->cfg.secrets_max_file_bytes;
      }
      job.cache_version = run->version;
      progress->layers_total = static_cast<int>(oci.layers.size());
      run->prep = std::move(*prep);
      spdlog::info("scan task {}: {} of {} layers to pull, handed to a worker", task.id, missing,
                   job.layers.size());
      // Anonymous: the worker learns no handle of the daemon but the gate's.
      caf::anon_send(worker, scan_atom::value, std::move(job));
    },
    [=](done_atom, worker_result& result) {
      if (run->ended || !run->prep)
        return;
      if (!result.ok)
        return end(make_error(result.code, result.error));
      if (result.cache_version == run->version) {
        stored_layer_cache cache{*ctx->db};
        for (auto& layer : result.layers)
          if (!layer.diff_id.empty() && layer.delta.size() <= max_kept_delta)
            cache.keep(layer.diff_id, run->version, std::move(layer.delta));
      } else if (!result.layers.empty()) {
        spdlog::warn("scan task {}: the worker's analyzer ({}) is not the daemon's ({}): its "
                     "layers are not cached",
                     task.id, result.cache_version, run->version);
      }
      end(store_scan(*ctx, *run->prep, std::move(result.inv), run->scanners, run->hooks));
    },
    [=](cancel_atom) {
      end(make_error(errc::cancelled, "scan of " + task.image_key + " cancelled"));
    },
    [=](stop_atom, const std::string& why) { end(make_error(errc::unavailable, why)); },
  };
}

} // namespace regscan
