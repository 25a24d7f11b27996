#include "daemon/scan.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iterator>
#include <optional>

#include <spdlog/spdlog.h>

#include "daemon/services.hpp"
#include "connectors/sha256.hpp"
#include "scanners/layer/image_analyzer.hpp"
#include "scanners/malware/malware_scanner.hpp"
#include "scanners/match/finding_merge.hpp"
#include "scanners/match/vuln_matcher.hpp"
#include "scanners/secrets/config_secrets.hpp"
#include "scanners/secrets/secret_scanner.hpp"
#include "storage/layer_codec.hpp"
#include "storage/vuln_db.hpp"

namespace regscan {

expected<std::vector<finding>> match_inventory(advisory_cache& advisories,
                                               const inventory& inv) {
  std::vector<finding> out;
  std::vector<finding> found;
  for (auto& pkg : inv.packages) {
    if (auto* known = advisories.matched(pkg)) {
      for (auto& f : *known)
        out.emplace_back(f).layer = pkg.layer;
      continue;
    }
    auto records = advisories.for_package(pkg);
    if (!records)
      return records.err();
    found.clear();
    for (auto* rec : *records)
      if (auto f = match_package(pkg, *rec))
        found.push_back(std::move(*f));
    out.insert(out.end(), found.begin(), found.end());
    advisories.remember(pkg, std::move(found));
  }
  // After the loop: the same package may be listed by more than one file.
  merge_inventory_findings(out);
  sort_findings(out);
  return out;
}

expected<std::vector<finding>> match_inventory(store& db, const inventory& inv) {
  advisory_cache advisories{db};
  return match_inventory(advisories, inv);
}

namespace {

std::string join_categories(const std::vector<std::string>& cats) {
  std::string out;
  for (auto& c : cats)
    out += (out.empty() ? "" : ",") + c;
  return out;
}

// Larger deltas are not cached (a layer of a million small wanted files).
constexpr size_t max_cached_layer_size = 16u << 20;

bool replay_cached_layer(layer_cache_access& cache, image_analyzer& analyzer,
                         const std::string& digest, const std::string& diff_id,
                         const std::string& version) {
  auto stored = cache.find(diff_id, version);
  if (!stored)
    return false;
  auto delta = codec::decode_layer_delta(*stored);
  if (!delta) {
    spdlog::warn("layer cache: {}: {}", diff_id, delta.err().message);
    return false;
  }
  return analyzer.replay_layer(digest, *delta);
}

void cache_layer(layer_cache_access& cache, image_analyzer& analyzer, const std::string& diff_id,
                 const std::string& version) {
  auto delta = analyzer.take_delta();
  if (!delta) {
    spdlog::debug("layer cache: {}", delta.err().message);
    return;
  }
  auto encoded = codec::encode(*delta);
  if (encoded.size() > max_cached_layer_size) {
    spdlog::debug("layer cache: {} is {} bytes encoded: not cached", diff_id, encoded.size());
    return;
  }
  cache.keep(diff_id, version, std::move(encoded));
}

bool wants_category(const std::vector<std::string>& categories, std::string_view category) {
  return categories.empty()
         || std::find(categories.begin(), categories.end(), category) != categories.end();
}

void set_up(image_analyzer& analyzer, const layer_scanners& scanners) {
  if (scanners.secrets)
    analyzer.look_for_secrets(scanners.secrets);
  if (scanners.malware)
    analyzer.look_for_malware(scanners.malware);
}

} // namespace

std::optional<std::string> stored_layer_cache::find(const std::string& diff_id,
                                                    const std::string& version) {
  auto stored = db_.get_layer(diff_id, version);
  if (!stored) {
    spdlog::warn("layer cache: {}", stored.err().message);
    return std::nullopt;
  }
  if (!*stored)
    return std::nullopt;
  return std::string(**stored);
}

void stored_layer_cache::keep(const std::string& diff_id, const std::string& version,
                              std::string encoded) {
  if (auto put = db_.put_layer(diff_id, version, encoded); !put)
    spdlog::warn("layer cache: {}", put.err().message);
}

layer_scanners scanners_for(const services& ctx, const std::vector<std::string>& categories) {
  layer_scanners out;
  if (wants_category(categories, "secrets"))
    out.secrets = ctx.secret_scanner_in_use();
  if (wants_category(categories, "malware"))
    out.malware = ctx.malware_scanner_in_use();
  return out;
}

std::string layer_cache_version(const layer_scanners& scanners) {
  image_analyzer analyzer;
  set_up(analyzer, scanners);
  return analyzer.cache_version();
}

expected<prepared_scan> prepare_scan(services& ctx, const std::string& image_key,
                                     const std::atomic<bool>* cancel) {
  prepared_scan prep;
  auto img = ctx.db->get_image(image_key);
  if (!img)
    return img.err();
  if (!img->artifact_type.empty()) // before any pull: an artifact costs no budget
    return make_error(errc::invalid, image_key + " is not an image but an artifact of type "
                                       + img->artifact_type + ": it is listed, not scanned");
  auto rec = ctx.db->get_registry(img->registry);
  if (!rec)
    return rec.err();
  auto client = ctx.client_for(*rec, cancel);
  if (!client)
    return client.err();
  // The manifest is fetched again by digest: it is small, and verified.
  auto resolved = client->resolve(img->repository, img->digest);
  if (!resolved)
    return resolved.err();
  if (resolved->size() != 1)
    return make_error(errc::invalid, "manifest " + img->digest + " is not a single-platform image");
  prep.image_key = image_key;
  prep.img = std::move(*img);
  prep.registry = std::move(*rec);
  prep.oci = std::move(resolved->front());
  prep.client.emplace(std::move(*client));
  return prep;
}

expected<inventory> pull_and_analyze(oci_client& client, const oci_image& oci,
                                     const std::string& image_key, const std::string& registry,
                                     const layer_scanners& scanners, layer_cache_access& cache,
                                     metrics& stats, scan_hooks& hooks) {
  auto is_cancelled = [&] { return hooks.cancel && *hooks.cancel; };
  auto cancelled_error = [&] { return make_error(errc::cancelled, "scan of " + image_key + " cancelled"); };
  bool permitted = false;
  // One pull permit per image, taken before its first blob is fetched.
  auto take_permit = [&]() -> expected<void> {
    if (permitted || !hooks.acquire_pull)
      return {};
    auto until = hooks.acquire_pull();
    if (until < 0)
      return make_error(errc::unavailable, "registry " + registry + " did not grant a pull");
    if (until > 0) {
      hooks.budget_until = until;
      return make_error(errc::limit, "the pull budget of registry " + registry
                                       + " is spent until " + std::to_string(until));
    }
    permitted = true;
    stats.image_pulled(registry);
    return {};
  };

  image_analyzer analyzer;
  set_up(analyzer, scanners);
  // The layer cache is keyed by diffID: the config lists them in layer order.
  bool use_cache = oci.diff_ids.size() == oci.layers.size();
  auto version = analyzer.cache_version();
  size_t cached = 0;
  if (hooks.layers_total)
    *hooks.layers_total = static_cast<int>(oci.layers.size());
  for (size_t i = 0; i < oci.layers.size(); ++i) {
    auto& layer = oci.layers[i];
    if (hooks.layers_done)
      *hooks.layers_done = static_cast<int>(i);
    if (is_cancelled())
      return cancelled_error();
    if (use_cache) {
      if (replay_cached_layer(cache, analyzer, layer.digest, oci.diff_ids[i], version)) {
        stats.layer_cache_hits++;
        stats.layer_cache_hit_bytes += layer.size;
        ++cached;
        continue;
      }
      stats.layer_cache_misses++;
    }
    if (auto ok = take_permit(); !ok)
      return ok.err();
    sha256 content;
    analyzer.begin_layer(
      layer.digest, [&](const uint8_t* data, size_t size) { content.update(data, size); },
      use_cache);
    expected<void> fed;
    uint64_t pulled = 0;
    auto sink = [&](const uint8_t* data, size_t size) -> expected<void> {
      if (is_cancelled())
        return cancelled_error();
      pulled += size;
      fed = analyzer.feed(data, size);
      return fed;
    };
    auto started = std::chrono::steady_clock::now();
    auto got = client.fetch_blob(oci.repository, layer.digest, sink, layer.size);
    stats.layer_pulled(registry, pulled,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (is_cancelled())
      return cancelled_error();
    // A layer whose bytes are bad (corrupt, truncated, a bomb, over a limit)
    // stays bad: the analyzer notes it, marks the inventory incomplete, and
    // the other layers are still analyzed. Only transport errors fail the scan.
    if (!fed) {
      (void)analyzer.end_layer();
      continue;
    }
    if (!got)
      return wrap_error("layer " + layer.digest, got.err());
    if (!analyzer.end_layer() || !use_cache)
      continue;
    // Any image can claim any diffID: only what was checked is cached.
    auto diff_id = content.digest();
    if (diff_id != oci.diff_ids[i]) {
      analyzer.add_note("layer " + layer.digest + ": its content is " + diff_id
                          + ", not the diffID " + oci.diff_ids[i] + " that the image config says",
                        true);
      continue;
    }
    cache_layer(cache, analyzer, diff_id, version);
  }
  if (use_cache)
    spdlog::info("scan of {}: {} of {} layers from the layer cache", image_key, cached,
                 oci.layers.size());
  return analyzer.finish();
}

expected<void> run_scan(services& ctx, const std::string& image_key, scan_hooks& hooks) {
  auto prep = prepare_scan(ctx, image_key, hooks.cancel);
  if (!prep)
    return prep.err();
  auto scanners = scanners_for(ctx, hooks.categories);
  stored_layer_cache cache{*ctx.db};
  auto inv = pull_and_analyze(*prep->client, prep->oci, image_key, prep->img.registry, scanners,
                              cache, ctx.stats, hooks);
  if (!inv)
    return inv.err();
  return store_scan(ctx, *prep, std::move(*inv), scanners, hooks);
}

expected<void> store_scan(services& ctx, const prepared_scan& prep, inventory inv,
                          const layer_scanners& scanners, scan_hooks& hooks) {
  auto& image_key = prep.image_key;
  auto* img = &prep.img;
  auto& oci = prep.oci;
  auto is_cancelled = [&] { return hooks.cancel && *hooks.cancel; };
  auto cancelled_error = [&] { return make_error(errc::cancelled, "scan of " + image_key + " cancelled"); };
  auto wants = [&](std::string_view category) { return wants_category(hooks.categories, category); };
  auto& secrets = scanners.secrets;
  scan_result result;
  result.image_key = image_key;
  result.inv = std::move(inv);
  if (secrets) {
    std::vector<std::string> layers;
    for (auto& l : oci.layers)
      layers.push_back(l.digest);
    auto in_config = config_secrets(*secrets, oci.config_json, layers);
    result.inv.secrets.insert(result.inv.secrets.end(), in_config.begin(), in_config.end());
    if (!result.inv.secrets.empty())
      spdlog::info("scan of {}: {} secrets", image_key, result.inv.secrets.size());
  }
  if (!result.inv.malware.empty())
    spdlog::info("scan of {}: {} malware findings", image_key, result.inv.malware.size());
  if (!result.inv.complete) {
    std::string why;
    for (auto& note : result.inv.notes)
      why += (why.empty() ? "" : "; ") + note;
    spdlog::warn("scan of {} is incomplete: {}", image_key, why);
  }
  if (is_cancelled())
    return cancelled_error();
  if (hooks.layers_done)
    *hooks.layers_done = static_cast<int>(oci.layers.size());
  // An import that lands after this point leaves the result to a re-match.
  result.db_generation = ctx.db->db_generation();
  auto findings = wants("vulns") ? match_inventory(*ctx.db, result.inv)
                                 : expected<std::vector<finding>>{std::vector<finding>{}};
  if (!findings)
    return findings.err();
  if (is_cancelled())
    return cancelled_error();
  result.findings = std::move(*findings);
  result.scanned_at = std::time(nullptr);
  result.matched_at = result.scanned_at;
  // A rescan keeps when each finding was first seen, for --new-since.
  auto previous = ctx.db->get_findings(image_key);
  // A category this scan did not look for keeps what the last scan of the
  // same manifest found for it.
  auto skipped = [&](const char* what, bool kept) {
    result.inv.notes.push_back(std::string{what} + " not looked for (scan categories: "
                               + join_categories(hooks.categories) + ")"
                               + (kept ? "; those of the previous scan are kept" : ""));
  };
  if (!wants("vulns")) {
    bool kept = previous && !previous->findings.empty();
    if (kept)
      result.findings = previous->findings;
    skipped("vulnerabilities", kept);
  }
  // The stored result, read once, when a category of it is to be kept.
  std::optional<scan_result> before;
  if (!wants("secrets") || !wants("malware"))
    if (auto stored = ctx.db->get_result(image_key))
      before = std::move(*stored);
  if (!wants("secrets")) {
    bool kept = before && before->inv.secrets_scanned;
    if (kept) {
      result.inv.secrets_scanned = true;
      result.inv.secrets_complete = before->inv.secrets_complete;
      result.inv.secrets = before->inv.secrets;
    }
    skipped("secrets", kept);
  }
  if (!wants("malware")) {
    bool kept = before && before->inv.malware_scanned;
    if (kept) {
      result.inv.malware_scanned = true;
      result.inv.malware_complete = before->inv.malware_complete;
      result.inv.malware_version = before->inv.malware_version;
      result.inv.malware = before->inv.malware;
    }
    skipped("malware", kept);
  }
  carry_first_seen(previous ? previous->findings : std::vector<finding>{}, result.findings,
                   result.scanned_at);

  auto record = [&](const scan_result& r) {
    return ctx.db->put_result(r, [&](image_record& img) {
      img.scan_status = scan_status::scanned;
      img.last_scan = r.scanned_at;
      img.last_error.clear();
      img.last_error_code.clear();
      img.incomplete = !r.inv.complete;
      count_findings(img, r.findings);
      count_secrets(img, r.inv);
      count_malware(img, r.inv);
    });
  };
  if (auto ok = record(result); !ok)
    return ok;
  // The images with the same image ID get this result, each keeping when
  // its own findings were first seen.
  for (auto& key : hooks.shares_with) {
    auto other = ctx.db->get_image(key);
    if (!other || other->image_id != img->image_id)
      continue; // gone, or changed since it was grouped
    scan_result copy = result;
    copy.image_key = key;
    copy.inv.notes.push_back("result shared from " + image_key + " (same image ID "
                             + img->image_id + ")");
    auto before = ctx.db->get_findings(key);
    carry_first_seen(before ? before->findings : std::vector<finding>{}, copy.findings,
                     copy.scanned_at);
    if (auto ok = record(copy); !ok)
      spdlog::warn("scan of {}: cannot record its result for {}: {}", image_key, key,
                   ok.err().message);
  }
  return {};
}

} // namespace regscan
