#include "actors/rematch.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <thread>
#include <ctime>
#include <tuple>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/scan_task.hpp"
#include "scanners/finding_merge.hpp"
#include "scanners/vuln_matcher.hpp"
#include "storage/record_codec.hpp"
#include "storage/store.hpp"
#include "storage/vuln_db.hpp"

namespace regscan {

namespace {

bool same_findings(const std::vector<finding>& a, const std::vector<finding>& b) {
  auto tie = [](const finding& f) {
    return std::tie(f.id, f.aliases, f.package, f.source_package, f.installed_version,
                    f.fixed_version, f.severity, f.title, f.description, f.references,
                    f.fix_advice, f.layer, f.first_seen);
  };
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (tie(a[i]) != tie(b[i]))
      return false;
  return true;
}

bool has_changed_package(const inventory& inv, const package_keys& changed) {
  // `changed` holds (record ecosystem, indexed name), sorted by ecosystem:
  // visit each of its ecosystems once.
  for (auto it = changed.begin(); it != changed.end();) {
    const std::string eco = it->first;
    for (auto& p : inv.packages) {
      if (!ecosystem_covers(eco, p.ecosystem))
        continue;
      for (auto& name : lookup_names(p))
        if (changed.count({eco, name}))
          return true;
    }
    it = changed.lower_bound({eco + std::string(1, '\0'), std::string{}});
  }
  return false;
}

} // namespace

namespace {

// Matches one stored result again and rewrites it when its findings changed.
void rematch_one(store& db, advisory_cache& advisories, const package_keys* changed, int64_t now,
                 std::string_view key, std::string_view value, rematch_report& rep) {
  ++rep.inventories;
  auto fail = [&](const std::string& why) {
    rep.errors.push_back(std::string{key} + ": " + why);
  };
  auto old = codec::decode_result(value);
  if (!old)
    return fail(old.err().message);
  if (changed && !has_changed_package(old->inv, *changed))
    return;
  ++rep.matched;
  auto found = match_inventory(advisories, old->inv);
  if (!found)
    return fail(found.err().message);
  carry_first_seen(old->findings, *found, now);
  if (same_findings(old->findings, *found))
    return;
  auto img = db.get_image(old->image_key);
  if (!img)
    return; // deleted meanwhile: its result went with it
  // A scan that finished since we read the result has matched already (the
  // scan writes result and image in one batch, so last_scan tells).
  if (img->last_scan != old->scanned_at)
    return;
  uint64_t fresh = 0;
  for (auto& f : *found)
    fresh += f.first_seen == now;
  scan_result updated = std::move(*old);
  updated.findings = std::move(*found);
  updated.matched_at = now;
  img->severity_counts.clear();
  for (auto& f : updated.findings)
    img->severity_counts[f.severity]++;
  img->vuln_count = static_cast<int>(updated.findings.size());
  if (auto ok = db.put_result(updated, *img); !ok)
    return fail(ok.err().message);
  ++rep.updated;
  rep.new_findings += fresh;
}

void add(rematch_report& total, rematch_report& part) {
  total.inventories += part.inventories;
  total.matched += part.matched;
  total.updated += part.updated;
  total.new_findings += part.new_findings;
  total.advisory_keys = std::max(total.advisory_keys, part.advisory_keys);
  for (auto& e : part.errors)
    total.errors.push_back(std::move(e));
}

} // namespace

expected<rematch_report> rematch_inventories(store& db, const package_keys* changed,
                                             int64_t now) {
  auto start = std::chrono::steady_clock::now();
  rematch_report rep;
  if (changed && changed->empty())
    return rep;
  // Decoding and matching are CPU-bound: this thread walks the results and
  // hands them out in batches to one worker per core.
  unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  using batch = std::vector<std::pair<std::string, std::string>>;
  constexpr std::size_t batch_size = 32;
  std::mutex mu;
  std::condition_variable ready, room;
  std::deque<batch> queue;
  bool finished = false;
  std::vector<rematch_report> parts(n);
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < n; ++w)
    workers.emplace_back([&, w] {
      advisory_cache advisories{db};
      for (;;) {
        batch b;
        {
          std::unique_lock lock{mu};
          ready.wait(lock, [&] { return !queue.empty() || finished; });
          if (queue.empty())
            break;
          b = std::move(queue.front());
          queue.pop_front();
        }
        room.notify_one();
        for (auto& [key, value] : b)
          rematch_one(db, advisories, changed, now, key, value, parts[w]);
      }
      parts[w].advisory_keys = advisories.size();
    });
  batch current;
  auto hand_out = [&] {
    std::unique_lock lock{mu};
    room.wait(lock, [&] { return queue.size() < 4 * n; });
    queue.push_back(std::move(current));
    current = {};
    lock.unlock();
    ready.notify_one();
  };
  auto walked = db.for_each_result([&](std::string_view key, std::string_view value) {
    current.emplace_back(key, value);
    if (current.size() >= batch_size)
      hand_out();
    return true;
  });
  if (!current.empty())
    hand_out();
  {
    std::lock_guard lock{mu};
    finished = true;
  }
  ready.notify_all();
  for (auto& t : workers)
    t.join();
  if (!walked)
    return walked.err();
  for (auto& p : parts)
    add(rep, p);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

uint64_t rematch_queue::request(caf::actor_system& sys, package_keys changed) {
  std::lock_guard lock{mu_};
  pending_.merge(changed);
  auto generation = ++status_.requested;
  if (!running_) {
    running_ = true;
    status_.running = true;
    // Blocking RocksDB work: a detached actor has a thread of its own.
    sys.spawn<caf::detached>([self = shared_from_this()](caf::blocking_actor*) { self->run(); });
  }
  return generation;
}

rematch_queue::status rematch_queue::get() const {
  std::lock_guard lock{mu_};
  return status_;
}

void rematch_queue::run() {
  for (;;) {
    package_keys keys;
    uint64_t generation = 0;
    {
      std::lock_guard lock{mu_};
      if (pending_.empty() && status_.completed == status_.requested) {
        running_ = false;
        status_.running = false;
        return;
      }
      keys.swap(pending_);
      generation = status_.requested;
    }
    auto rep = rematch_inventories(db_, &keys, std::time(nullptr));
    std::lock_guard lock{mu_};
    status_.completed = generation;
    status_.finished_at = std::time(nullptr);
    if (rep) {
      spdlog::info("re-match: {} inventories, {} matched again, {} updated, {} new findings in "
                   "{:.3f} s",
                   rep->inventories, rep->matched, rep->updated, rep->new_findings, rep->seconds);
      for (auto& e : rep->errors)
        spdlog::warn("re-match: {}", e);
      status_.last = std::move(*rep);
      status_.last_error.clear();
    } else {
      spdlog::error("re-match failed: {}", rep.err().message);
      status_.last_error = rep.err().message;
    }
  }
}

} // namespace regscan
