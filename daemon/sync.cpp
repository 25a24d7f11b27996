#include "daemon/sync.hpp"

#include <ctime>
#include <functional>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "daemon/license.hpp"
#include "daemon/services.hpp"

namespace regscan {

namespace {

std::string image_key(const std::string& registry, const std::string& repo,
                      const std::string& digest) {
  return registry + "/" + repo + "@" + digest;
}

void add_tag(image_record& img, const std::string& tag) {
  for (auto& t : img.tags)
    if (t == tag)
      return;
  img.tags.push_back(tag);
}

} // namespace

expected<lister_config> lister_config_for(const services& ctx, const registry_record& rec) {
  lister_config cfg;
  cfg.type = rec.type;
  cfg.version = rec.version;
  cfg.address = rec.address;
  cfg.api_endpoint = rec.api_endpoint;
  cfg.region = rec.region;
  cfg.instance_id = rec.instance_id;
  cfg.repositories = rec.repositories;
  cfg.projects = rec.projects;
  cfg.include_proxy_cache = rec.include_proxy_cache;
  cfg.secret_id = rec.secret_id;
  cfg.creds.username = rec.username;
  cfg.http = ctx.http_options_for(rec);
  for (auto [sealed, out] : {std::pair{&rec.password_sealed, &cfg.creds.password},
                             std::pair{&rec.secret_key_sealed, &cfg.secret_key},
                             std::pair{&rec.secret_token_sealed, &cfg.secret_token}}) {
    if (sealed->empty())
      continue;
    auto plain = ctx.secrets->open(*sealed);
    if (!plain)
      return make_error("registry " + rec.name + ": " + plain.err().message);
    *out = std::move(*plain);
  }
  return cfg;
}

std::vector<registry_check> check_registry(const services& ctx, const std::string& registry_name) {
  auto rec = ctx.db->get_registry(registry_name);
  if (!rec)
    return {{"registry " + registry_name, rec.err().message}};
  auto client = ctx.client_for(*rec);
  if (!client)
    return {{"registry " + registry_name, client.err().message}};
  std::vector<registry_check> out;
  auto ping = client->ping();
  out.push_back({"registry endpoint " + rec->address + " (/v2/ with the pull credentials)",
                 ping ? std::string{} : ping.err().message});
  auto cfg = lister_config_for(ctx, *rec);
  if (!cfg) {
    out.push_back({"listing", cfg.err().message});
    return out;
  }
  auto lister = make_lister(*cfg, *client);
  if (!lister) {
    out.push_back({"listing", lister.err().message});
    return out;
  }
  if (auto api = (*lister)->api_name(); !api.empty()) {
    auto ok = (*lister)->probe();
    out.push_back({"listing through " + api, ok ? std::string{} : ok.err().message});
  }
  return out;
}

expected<sync_summary> run_sync(services& ctx, const std::string& registry_name,
                                const progress_fn& progress, const std::atomic<bool>* cancel) {
  sync_summary sum;
  sync_progress now_at;
  now_at.state = sync_state::running;
  now_at.started_at = std::time(nullptr);
  auto report = [&](uint64_t repos_done) {
    now_at.repositories = sum.repositories;
    now_at.repositories_done = repos_done;
    now_at.tags = sum.tags;
    now_at.images = sum.images;
    now_at.resolved = sum.resolved;
    now_at.removed = sum.removed;
    now_at.images_ok = sum.images_ok;
    now_at.images_skipped = sum.images_skipped;
    now_at.images_failed = sum.images_failed;
    now_at.projects_skipped = sum.projects_skipped;
    now_at.notes = sum.notes;
    progress(now_at);
  };
  auto rec = ctx.db->get_registry(registry_name);
  if (!rec)
    return rec.err();
  auto client = ctx.client_for(*rec, cancel);
  if (!client)
    return client.err();
  auto cfg = lister_config_for(ctx, *rec);
  if (!cfg)
    return cfg.err();
  cfg->http.cancel = cancel;
  auto lister = make_lister(*cfg, *client);
  if (!lister)
    return lister.err();
  // Only the registry endpoint proves the pull credentials; the listing
  // APIs of Harbor/TCR/CCR check their own.
  if (auto ok = client->ping(); !ok)
    return ok.err();
  auto repos = (*lister)->repositories();
  if (!repos)
    return repos.err();
  sum.repositories = repos->size();
  sum.notes = (*lister)->notes();
  sum.projects_skipped = (*lister)->projects_skipped();
  report(0);

  // What we knew before: an unchanged tag costs one HEAD request.
  std::map<std::string, image_record> known; // key -> record
  std::map<std::string, std::vector<std::string>> by_manifest; // repo@digest -> keys
  std::map<std::string, std::vector<std::string>> by_tag;      // repo:tag -> keys, from the last sync
  std::map<std::string, std::vector<std::string>> by_repo;     // repo -> keys
  std::map<std::string, std::vector<std::string>> old_tags;    // key -> its tags at the last sync
  auto stored = ctx.db->list_images();
  if (!stored)
    return stored.err();
  for (auto& img : *stored) {
    if (img.registry != registry_name)
      continue;
    auto top = img.index_digest.empty() ? img.digest : img.index_digest;
    by_manifest[img.repository + "@" + top].push_back(img.key);
    for (auto& t : img.tags)
      by_tag[img.repository + ":" + t].push_back(img.key);
    by_repo[img.repository].push_back(img.key);
    old_tags[img.key] = std::move(img.tags);
    img.tags.clear();
    img.sync_error.clear(); // set again below if it fails again
    known.emplace(img.key, std::move(img));
  }

  std::map<std::string, image_record> seen;
  error first_failure;
  std::string first_failed;
  // A tag (or a whole repository) that could not be resolved: counted and
  // noted; the images it had are kept, marked with the error, not removed.
  constexpr size_t max_failure_notes = 20;
  auto failed = [&](const std::string& what, const std::vector<std::string>& kept_keys,
                    const std::string& tag, const error& e) {
    if (sum.images_failed++ == 0) {
      first_failure = e;
      first_failed = what;
    }
    if (sum.images_failed <= max_failure_notes)
      sum.notes.push_back(what + ": " + e.message);
    else if (sum.images_failed == max_failure_notes + 1)
      sum.notes.push_back("more tags failed; only the first " + std::to_string(max_failure_notes) + " are named");
    for (auto& key : kept_keys) {
      auto& img = seen.try_emplace(key, known[key]).first->second;
      if (!tag.empty())
        add_tag(img, tag);
      img.sync_error = e.message;
    }
  };
  auto cancelled = [&](const error& e) { return e.code == errc::cancelled || (cancel && *cancel); };

  uint64_t repos_done = 0;
  for (auto& repo : *repos) {
    auto artifacts = (*lister)->artifacts(repo);
    if (!artifacts) {
      if (cancelled(artifacts.err()))
        return artifacts.err();
      auto& kept = by_repo[repo];
      failed("repository " + repo, kept, {}, artifacts.err());
      for (auto& key : kept) // its tags as they were: nothing new is known
        seen[key].tags = old_tags[key];
      ++repos_done;
      report(repos_done);
      continue;
    }
    for (auto& art : *artifacts) {
      sum.tags += art.tags.size();
      const auto pushed = known_time(art.pushed);
      // Listers that know digests (Harbor V2, TCR) cost no request per
      // unchanged tag; the others cost one HEAD per tag.
      std::vector<std::pair<std::string, std::vector<std::string>>> groups; // digest -> tags
      if (!art.digest.empty()) {
        groups.emplace_back(art.digest, art.tags);
      } else {
        for (auto& tag : art.tags) {
          auto digest = client->head_manifest(repo, tag);
          if (!digest) {
            if (cancelled(digest.err()))
              return digest.err();
            failed(repo + ":" + tag, by_tag[repo + ":" + tag], tag, digest.err());
            continue;
          }
          groups.emplace_back(*digest, std::vector<std::string>{tag});
        }
      }
      for (auto& [digest, tags] : groups) {
        if (auto i = by_manifest.find(repo + "@" + digest); i != by_manifest.end()) {
          for (auto& key : i->second) {
            auto& img = seen.try_emplace(key, known[key]).first->second;
            for (auto& tag : tags)
              add_tag(img, tag);
            if (!pushed.empty())
              img.pushed = pushed;
          }
          continue;
        }
        auto& keys = by_manifest[repo + "@" + digest];
        if (!art.kind.empty()) {
          // The listing API says it is not an image: inventoried as what it
          // is, nothing pulled.
          auto key = image_key(registry_name, repo, digest);
          keys.push_back(key);
          auto& img = seen.try_emplace(key, image_record{}).first->second;
          img.key = key;
          img.registry = registry_name;
          img.repository = repo;
          img.digest = digest;
          img.media_type = art.media_type;
          img.artifact_type = art.kind;
          img.size = art.size;
          img.created = known_time(art.created);
          img.pushed = pushed;
          for (auto& tag : tags)
            add_tag(img, tag);
          continue;
        }
        auto images = client->resolve(repo, digest);
        if (!images) {
          if (cancelled(images.err()))
            return images.err();
          by_manifest.erase(repo + "@" + digest);
          std::vector<std::string> kept;
          for (auto& tag : tags)
            for (auto& key : by_tag[repo + ":" + tag])
              kept.push_back(key);
          failed(repo + ":" + (tags.empty() ? digest : tags.front()), kept, {}, images.err());
          for (auto& key : kept)
            for (auto& tag : tags)
              add_tag(seen[key], tag);
          continue;
        }
        ++sum.resolved;
        for (auto& oci : *images) {
          auto key = image_key(registry_name, repo, oci.manifest_digest);
          keys.push_back(key);
          auto& img = seen.try_emplace(key, image_record{}).first->second;
          if (img.key.empty()) {
            if (auto old = known.find(key); old != known.end())
              img = old->second; // keeps the scan state of an image we already had
            img.key = key;
            img.registry = registry_name;
            img.repository = repo;
            img.digest = oci.manifest_digest;
            img.index_digest = oci.index_digest;
            img.index_media_type = oci.index_media_type;
            img.image_id = oci.config_digest;
            img.media_type = oci.media_type;
            img.artifact_type = oci.artifact_type;
            img.os = oci.os;
            img.architecture = oci.architecture;
            img.size = oci.size;
            img.created = known_time(oci.created);
            img.layers.clear();
            for (auto& l : oci.layers)
              img.layers.push_back(l.digest);
            img.config_json = oci.config_json;
          }
          if (!pushed.empty())
            img.pushed = pushed;
          for (auto& tag : tags)
            add_tag(img, tag);
        }
      }
    }
    ++repos_done;
    sum.images = seen.size();
    report(repos_done);
  }
  sum.images_ok = sum.images_skipped = 0;
  for (auto& [key, img] : seen) {
    if (!img.sync_error.empty())
      continue;
    ++(img.artifact_type.empty() ? sum.images_ok : sum.images_skipped);
  }
  // Nothing resolved at all: the registry (or our access to it) is broken,
  // not a few of its images. Nothing is written or removed.
  if (sum.images_failed > 0 && sum.images_ok == 0 && sum.images_skipped == 0)
    return make_error(first_failure.code, "every tag failed (" + std::to_string(sum.images_failed)
                                            + "); the first, " + first_failed + ": " + first_failure.message);
  const int64_t now = std::time(nullptr);
  // New images are authorized as the license settings say (daemon/license.hpp).
  auto written = license_new_images(ctx, [&](const std::function<bool()>& decide) -> expected<void> {
    for (auto& [key, img] : seen) {
      img.synced_at = now;
      // A scan may finish while we list, or while we write: its state wins
      // over our copy, under the store's image lock.
      auto ok = ctx.db->update_image(key, [&](image_record& cur, bool exists) {
        if (exists) {
          img.scan_status = cur.scan_status;
          img.last_scan = cur.last_scan;
          img.last_error = cur.last_error;
          img.last_error_code = cur.last_error_code;
          img.incomplete = cur.incomplete;
          img.severity_counts = cur.severity_counts;
          img.vuln_count = cur.vuln_count;
          img.secret_count = cur.secret_count;
          img.secrets_incomplete = cur.secrets_incomplete;
          img.secret_counts = cur.secret_counts;
          img.malware_count = cur.malware_count;
          img.malware_incomplete = cur.malware_incomplete;
          img.malware_counts = cur.malware_counts;
          img.authorized = cur.authorized;
        } else {
          img.authorized = decide();
        }
        cur = img;
        return true;
      });
      if (!ok)
        return ok.err();
    }
    return {};
  });
  if (!written)
    return written.err();
  // Only a complete listing may remove what the registry no longer has:
  // images of failed tags and repositories are in `seen`, kept.
  for (auto& [key, img] : known) {
    if (seen.count(key))
      continue;
    if (auto ok = ctx.db->delete_image(key); !ok)
      return ok.err();
    ++sum.removed;
  }
  sum.images = seen.size();
  now_at.state = sync_state::done;
  now_at.finished_at = std::time(nullptr);
  report(repos_done);
  return sum;
}

} // namespace regscan
