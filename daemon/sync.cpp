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
  cfg.secret_id = rec.secret_id;
  cfg.creds.username = rec.username;
  cfg.http.verify_tls = rec.verify_tls;
  for (auto [sealed, out] : {std::pair{&rec.password_sealed, &cfg.creds.password},
                             std::pair{&rec.secret_key_sealed, &cfg.secret_key}}) {
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
  report(0);

  // What we knew before: an unchanged tag costs one HEAD request.
  std::map<std::string, image_record> known; // key -> record
  std::map<std::string, std::vector<std::string>> by_manifest; // repo@digest -> keys
  auto stored = ctx.db->list_images();
  if (!stored)
    return stored.err();
  for (auto& img : *stored) {
    if (img.registry != registry_name)
      continue;
    auto top = img.index_digest.empty() ? img.digest : img.index_digest;
    by_manifest[img.repository + "@" + top].push_back(img.key);
    img.tags.clear();
    known.emplace(img.key, std::move(img));
  }

  std::map<std::string, image_record> seen;
  uint64_t repos_done = 0;
  for (auto& repo : *repos) {
    auto artifacts = (*lister)->artifacts(repo);
    if (!artifacts)
      return make_error("repository " + repo + ": " + artifacts.err().message);
    for (auto& art : *artifacts) {
      sum.tags += art.tags.size();
      // Listers that know digests (Harbor, TCR) cost no request per
      // unchanged tag; the others cost one HEAD per tag.
      std::vector<std::pair<std::string, std::vector<std::string>>> groups; // digest -> tags
      if (!art.digest.empty()) {
        groups.emplace_back(art.digest, art.tags);
      } else {
        for (auto& tag : art.tags) {
          auto digest = client->head_manifest(repo, tag);
          if (!digest)
            return make_error(repo + ":" + tag + ": " + digest.err().message);
          groups.emplace_back(*digest, std::vector<std::string>{tag});
        }
      }
      for (auto& [digest, tags] : groups) {
        if (auto i = by_manifest.find(repo + "@" + digest); i != by_manifest.end()) {
          for (auto& key : i->second) {
            auto& img = seen.try_emplace(key, known[key]).first->second;
            for (auto& tag : tags)
              add_tag(img, tag);
            if (!art.pushed.empty())
              img.pushed = art.pushed;
          }
          continue;
        }
        auto images = client->resolve(repo, digest);
        if (!images)
          return make_error(repo + ":" + (tags.empty() ? digest : tags.front()) + ": " + images.err().message);
        ++sum.resolved;
        auto& keys = by_manifest[repo + "@" + digest];
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
            img.os = oci.os;
            img.architecture = oci.architecture;
            img.size = oci.size;
            img.created = oci.created;
            img.layers.clear();
            for (auto& l : oci.layers)
              img.layers.push_back(l.digest);
            img.config_json = oci.config_json;
          }
          if (!art.pushed.empty())
            img.pushed = art.pushed;
          for (auto& tag : tags)
            add_tag(img, tag);
        }
      }
    }
    ++repos_done;
    sum.images = seen.size();
    report(repos_done);
  }
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
  // Only a complete listing may remove what the registry no longer has.
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
