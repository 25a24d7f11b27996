#include "daemon/rematch.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <unordered_map>
#include <thread>
#include <ctime>
#include <tuple>

#include <spdlog/spdlog.h>

#include "daemon/scan.hpp"
#include "scanners/match/finding_merge.hpp"
#include "scanners/match/vuln_matcher.hpp"
#include "storage/record_codec.hpp"
#include "storage/schema.hpp"
#include "storage/store.hpp"
#include "storage/vuln_db.hpp"

namespace regscan {

namespace {

bool same_findings(const std::vector<finding>& a, const std::vector<finding>& b) {
  auto tie = [](const finding& f) {
    return std::tie(f.id, f.aliases, f.ecosystem, f.package, f.source_package,
                    f.installed_version, f.fixed_version, f.severity, f.fix_advice, f.layer,
                    f.first_seen);
  };
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (tie(a[i]) != tie(b[i]))
      return false;
  return true;
}

bool same_package(const package& a, const package& b) {
  auto tie = [](const package& p) {
    return std::tie(p.ecosystem, p.name, p.version, p.source_name, p.source_version, p.file,
                    p.layer, p.owner, p.module);
  };
  return tie(a) == tie(b);
}

// One image to match again: the packages a change concerns, or, with
// `inventory` set, the whole encoded inventory; `whole` when `packages` are
// all of them.
struct work {
  std::string image_key;
  std::vector<package> packages;
  std::string inventory;
  bool whole = false;
};

// The images with a package in `changed`, each with those packages, found
// through the package index: no inventory is read.
expected<std::vector<work>> concerned_images(store& db, const package_keys& changed) {
  std::map<std::string, std::vector<package>, std::less<>> by_image;
  for (auto& [eco, name] : changed) {
    auto walked = db.for_each_indexed(
      schema::ecosystem_family(eco), name, [&](std::string_view image, std::vector<package> pkgs) {
        auto it = by_image.find(image);
        for (auto& p : pkgs) {
          if (!ecosystem_covers(eco, p.ecosystem))
            continue;
          if (it == by_image.end())
            it = by_image.emplace(std::string{image}, std::vector<package>{}).first;
          auto& mine = it->second;
          if (std::none_of(mine.begin(), mine.end(),
                           [&](const package& q) { return same_package(p, q); }))
            mine.push_back(std::move(p));
        }
        return true;
      });
    if (!walked)
      return walked.err();
  }
  std::vector<work> out;
  out.reserve(by_image.size());
  for (auto& [key, pkgs] : by_image)
    out.push_back({key, std::move(pkgs), {}});
  return out;
}

// A re-match's findings for one image, waiting to be written.
struct pending {
  findings_record record;
  uint64_t fresh = 0; // findings first seen now
};

// Matches one image's packages again. Returns its new findings when they
// changed; findings of the other packages are kept as they are.
std::optional<pending> rematch_one(store& db, advisory_cache& advisories, int64_t now, work& w,
                                   rematch_report& rep) {
  auto fail = [&](const std::string& why) {
    rep.errors.push_back(w.image_key + ": " + why);
    return std::nullopt;
  };
  if (!w.inventory.empty()) {
    auto inv = codec::decode_result(w.inventory);
    if (!inv)
      return fail(inv.err().message);
    w.packages = std::move(inv->inv.packages);
  }
  auto old = db.get_findings(w.image_key);
  if (!old) {
    // Gone means deleted meanwhile, with its result; anything else is reported.
    if (old.err().code != errc::not_found)
      return fail(old.err().message);
    return std::nullopt;
  }
  ++rep.inventories;
  inventory partial;
  partial.packages = std::move(w.packages);
  auto found = match_inventory(advisories, partial);
  if (!found)
    return fail(found.err().message);
  ++rep.matched;
  // The stored findings of the packages matched again. Findings stored
  // before they had an ecosystem match on name and version alone.
  bool whole = w.whole || !w.inventory.empty();
  auto concerned = [&](const finding& f) {
    return whole || std::any_of(partial.packages.begin(), partial.packages.end(),
                                [&](const package& p) {
                                  return (f.ecosystem.empty() || f.ecosystem == p.ecosystem)
                                         && f.package == p.name
                                         && f.installed_version == p.version;
                                });
  };
  std::vector<finding> before, kept;
  for (auto& f : old->findings)
    (concerned(f) ? before : kept).push_back(std::move(f));
  carry_first_seen(before, *found, now);
  if (same_findings(before, *found))
    return std::nullopt;
  pending out{{w.image_key, std::move(kept), old->scanned_at, now, old->result_seq}, 0};
  for (auto& f : *found)
    out.fresh += f.first_seen == now;
  std::move(found->begin(), found->end(), std::back_inserter(out.record.findings));
  sort_findings(out.record.findings);
  return out;
}

// Writes a worker's re-matched findings, many images per write.
void write_pending(store& db, std::vector<pending>& batch, rematch_report& rep) {
  if (batch.empty())
    return;
  std::vector<findings_record> records;
  std::unordered_map<std::string, uint64_t> fresh;
  for (auto& p : batch) {
    fresh[p.record.image_key] = p.fresh;
    records.push_back(std::move(p.record));
  }
  batch.clear();
  auto written = db.put_rematched(records);
  if (!written) {
    for (auto& r : records)
      rep.errors.push_back(r.image_key + ": " + written.err().message);
    return;
  }
  rep.updated += written->size();
  for (auto& key : *written)
    rep.new_findings += fresh[key];
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

// Runs rematch_one over what `produce` emits, on one worker per core (the
// matching is CPU-bound), each with an advisory cache of its own.
expected<rematch_report> run_workers(store& db, int64_t now,
                                     const std::function<expected<void>(
                                       const std::function<void(work)>& emit)>& produce) {
  unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  using batch = std::vector<work>;
  constexpr std::size_t batch_size = 32;       // images handed to a worker at once
  constexpr std::size_t write_batch_size = 128; // images written at once
  std::mutex mu;
  std::condition_variable ready, room;
  std::deque<batch> queue;
  bool finished = false;
  std::vector<rematch_report> parts(n);
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < n; ++w)
    workers.emplace_back([&, w] {
      advisory_cache advisories{db};
      std::vector<pending> out;
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
        for (auto& item : b)
          if (auto p = rematch_one(db, advisories, now, item, parts[w]))
            out.push_back(std::move(*p));
        if (out.size() >= write_batch_size)
          write_pending(db, out, parts[w]);
      }
      write_pending(db, out, parts[w]);
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
  auto produced = produce([&](work item) {
    current.push_back(std::move(item));
    if (current.size() >= batch_size)
      hand_out();
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
  if (!produced)
    return produced.err();
  rematch_report rep;
  for (auto& p : parts)
    add(rep, p);
  return rep;
}

} // namespace

expected<rematch_report> rematch_inventories(store& db, const package_keys* changed,
                                             int64_t now) {
  auto start = std::chrono::steady_clock::now();
  expected<rematch_report> rep = rematch_report{};
  if (changed == nullptr) {
    rep = run_workers(db, now, [&](const std::function<void(work)>& emit) {
      return db.for_each_result([&](std::string_view key, std::string_view value) {
        emit({std::string{key}, {}, std::string{value}});
        return true;
      });
    });
  } else if (!changed->empty()) {
    auto concerned = concerned_images(db, *changed);
    if (!concerned)
      return concerned.err();
    rep = run_workers(db, now, [&](const std::function<void(work)>& emit) -> expected<void> {
      for (auto& w : *concerned)
        emit(std::move(w));
      return {};
    });
  }
  if (rep)
    rep->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

expected<rematch_report> rematch_pending(store& db, const package_keys& also, int64_t now) {
  auto backlog = db.pending_rematch();
  if (!backlog)
    return backlog.err();
  package_keys keys = also;
  for (auto& [key, token] : backlog->packages)
    keys.insert(key);
  auto rep = rematch_inventories(db, &keys, now);
  if (!rep)
    return rep;
  if (!backlog->images.empty()) {
    // Matched against an older database: the whole inventory again.
    auto images = run_workers(db, now, [&](const std::function<void(work)>& emit) -> expected<void> {
      for (auto& [key, token] : backlog->images) {
        auto result = db.get_result(key);
        if (!result && result.err().code == errc::not_found)
          continue; // deleted meanwhile
        if (!result)
          return result.err();
        emit({key, std::move(result->inv.packages), {}, true});
      }
      return {};
    });
    if (!images)
      return images.err();
    add(*rep, *images);
  }
  if (auto cleared = db.clear_pending_rematch(*backlog); !cleared)
    return cleared.err();
  return rep;
}

} // namespace regscan
