#include "storage/vuln_db.hpp"

#include "storage/store.hpp"

#include <algorithm>
#include <set>

#include "scanners/match/vuln_matcher.hpp"

namespace regscan {

expected<const std::vector<osv_record>*> advisory_cache::get(const std::string& ecosystem,
                                                             const std::string& name) {
  key_.assign(ecosystem).push_back('\0');
  key_.append(name);
  if (auto it = cache_.find(key_); it != cache_.end())
    return &it->second;
  auto records = db_.advisories_for(ecosystem, name);
  if (!records)
    return records.err();
  auto [it, fresh] = cache_.emplace(key_, std::move(*records));
  return &it->second;
}

namespace {

std::string package_identity(const package& p) {
  std::string k;
  for (auto* part : {&p.ecosystem, &p.name, &p.version, &p.source_name, &p.source_version,
                     &p.owner, &p.module, &p.kind})
    k.append(*part).push_back('\0');
  return k;
}

} // namespace

const std::vector<finding>* advisory_cache::matched(const package& pkg) {
  auto it = matched_.find(package_identity(pkg));
  return it == matched_.end() ? nullptr : &it->second;
}

void advisory_cache::remember(const package& pkg, std::vector<finding> findings) {
  matched_.insert_or_assign(package_identity(pkg), std::move(findings));
}

std::vector<std::string> lookup_names(const package& pkg) {
  std::vector<std::string> out;
  for (auto* n : {&pkg.source_name, &pkg.name}) {
    if (n->empty())
      continue;
    auto name = normalized_package_name(pkg.ecosystem, *n);
    if (std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(std::move(name));
  }
  return out;
}

expected<std::vector<const osv_record*>> advisory_cache::for_package(const package& pkg) {
  if (!ecosystems_loaded_) {
    auto status = db_.db_status();
    if (!status)
      return status.err();
    for (auto& s : *status)
      ecosystems_.push_back(s.ecosystem);
    ecosystems_loaded_ = true;
  }
  std::vector<const osv_record*> out;
  std::set<std::string_view> seen;
  auto names = lookup_names(pkg);
  for (auto& eco : ecosystems_) {
    if (!ecosystem_covers(eco, pkg.ecosystem))
      continue;
    for (auto& name : names) {
      auto records = get(eco, name);
      if (!records)
        return records.err();
      for (auto& rec : **records)
        if (seen.insert(rec.id).second)
          out.push_back(&rec);
    }
  }
  return out;
}

} // namespace regscan
