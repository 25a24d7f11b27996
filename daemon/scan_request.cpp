#include "daemon/scan_request.hpp"

#include "scanners/malware/malware_scanner.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "daemon/image_refs.hpp"
#include "daemon/license.hpp"
#include "daemon/services.hpp"

namespace regscan {

bool category_available(const services& ctx, std::string_view category) {
  if (category == "vulns")
    return true;
  if (category == "secrets")
    return ctx.cfg.secrets_enabled;
  // Malware: an engine with signatures loaded (none: nothing could be found,
  // which must not read as clean).
  auto malware = ctx.malware_scanner_in_use();
  return malware && (malware->scans_content() || malware->has_iocs()) && !malware->files().empty();
}

expected<std::vector<std::string>> parse_categories(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (auto& n : names) {
    auto known = std::find(std::begin(scan_categories), std::end(scan_categories), n);
    if (known == std::end(scan_categories))
      return make_error(errc::invalid, "unknown scan category \"" + n
                                         + "\": vulns, secrets or malware");
    if (std::find(out.begin(), out.end(), n) == out.end())
      out.push_back(n);
  }
  return out;
}

std::vector<image_record> latest_per_repository(const std::vector<image_record>& images) {
  // The newest image of each repository, by (pushed, created, synced_at):
  // RFC 3339 times of one registry compare as strings.
  std::map<std::pair<std::string, std::string>, const image_record*> newest;
  auto age = [](const image_record& i) { return std::tie(i.pushed, i.created, i.synced_at); };
  for (auto& img : images) {
    if (img.tags.empty())
      continue; // untagged: not a tag of the repository
    auto& best = newest[{img.registry, img.repository}];
    if (!best || age(*best) < age(img))
      best = &img;
  }
  // Every platform of the newest tag: the records of its index, or its manifest.
  std::set<std::tuple<std::string, std::string, std::string>> chosen;
  for (auto& [repo, img] : newest)
    chosen.emplace(repo.first, repo.second, img->index_digest.empty() ? img->digest : img->index_digest);
  std::vector<image_record> out;
  for (auto& img : images)
    if (chosen.count({img.registry, img.repository,
                      img.index_digest.empty() ? img.digest : img.index_digest}))
      out.push_back(img);
  return out;
}

std::vector<scan_group> group_by_image_id(const std::vector<image_record>& images, bool dedupe) {
  std::vector<scan_group> out;
  std::map<std::string, size_t> by_id;
  for (auto& img : images) {
    if (dedupe && !img.image_id.empty()) {
      auto [it, fresh] = by_id.emplace(img.image_id, out.size());
      if (!fresh) {
        out[it->second].shares_with.push_back(img.key);
        continue;
      }
    }
    out.push_back({img.key, {}});
  }
  return out;
}

expected<scan_selection> select_for_scan(services& ctx, const scan_ask& ask) {
  scan_selection sel;
  auto cats = parse_categories(ask.categories);
  if (!cats)
    return cats.err();
  if (cats->empty())
    cats->assign(std::begin(scan_categories), std::end(scan_categories));
  for (auto& c : *cats)
    (category_available(ctx, c) ? sel.categories : sel.unavailable).push_back(c);
  if (sel.categories.empty())
    return make_error(errc::invalid, "no engine for the categories asked ("
                                       + (sel.unavailable.empty() ? std::string{} : sel.unavailable.front())
                                       + " is not available on this daemon)");
  // Asked for everything: the task looks for everything available then.
  if (ask.categories.empty())
    sel.categories.clear();

  std::vector<image_record> scope;
  if (ask.scope == scan_scope::named) {
    std::set<std::string> seen;
    for (auto& ref : ask.refs) {
      auto found = find_images(*ctx.db, ref);
      if (!found)
        return found.err();
      for (auto& img : *found) {
        if (!img.artifact_type.empty())
          return make_error(errc::invalid, img.repository + "@" + img.digest
                                             + " is not an image but an artifact of type "
                                             + img.artifact_type + ": it is listed, not scanned");
        if (seen.insert(img.key).second)
          scope.push_back(std::move(img));
      }
    }
  } else {
    auto all = ctx.db->list_images();
    if (!all)
      return all.err();
    scope = ask.scope == scan_scope::latest ? latest_per_repository(*all) : std::move(*all);
  }
  std::vector<image_record> wanted;
  int64_t unauthorized = 0;
  for (auto& img : scope) {
    if (!img.artifact_type.empty()) // artifacts are listed, never scanned
      continue;
    if (ask.filter && !ask.filter(img))
      continue;
    if (!may_scan(ctx, img)) {
      ++unauthorized;
      sel.refused.emplace_back(img.key, "not authorized: `regscanctl authorize` it first "
                                        "(each image uses one license)");
      continue;
    }
    wanted.push_back(std::move(img));
  }
  if (unauthorized > 0)
    if (auto st = license_status_of(ctx))
      for (auto& r : sel.refused)
        r.second += "; " + std::to_string(st->free) + " of " + std::to_string(st->quota)
                    + " licenses free";
  sel.groups = group_by_image_id(wanted, ask.dedupe);
  return sel;
}

} // namespace regscan
