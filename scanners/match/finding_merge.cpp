#include "scanners/match/finding_merge.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "scanners/match/vuln_matcher.hpp"

namespace regscan {

namespace {

int severity_rank(std::string_view s) {
  if (s == "Critical") return 4;
  if (s == "High") return 3;
  if (s == "Medium") return 2;
  if (s == "Low") return 1;
  return 0;
}

// The package a finding is about: binary name and installed version.
std::string package_key(const finding& f) {
  std::string k = f.package;
  k.push_back('\0');
  k.append(f.installed_version);
  return k;
}

struct disjoint_sets {
  std::vector<std::size_t> parent;
  explicit disjoint_sets(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  }
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b)
      parent[std::max(a, b)] = std::min(a, b);
  }
};

} // namespace

void merge_aliases(std::string_view ecosystem, std::vector<finding>& findings) {
  if (findings.size() < 2)
    return;
  auto n = findings.size();
  disjoint_sets sets{n};
  // (package, vulnerability name) -> first finding that carries it
  std::unordered_map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < n; ++i) {
    auto pkg = package_key(findings[i]);
    auto claim = [&](const std::string& name) {
      auto [it, fresh] = owner.emplace(pkg + '\0' + name, i);
      if (!fresh)
        sets.join(it->second, i);
    };
    claim(findings[i].id);
    for (auto& a : findings[i].aliases)
      claim(a);
  }
  auto cmp = comparator_for(ecosystem);
  // A fix that is higher: none at all beats any version.
  auto higher_fix = [&](const finding& a, const finding& b) {
    if (a.fixed_version.empty() || b.fixed_version.empty())
      return a.fixed_version.empty() && !b.fixed_version.empty();
    return cmp ? cmp(a.fixed_version, b.fixed_version) > 0 : a.fixed_version > b.fixed_version;
  };
  std::vector<std::size_t> keep(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto root = sets.find(i);
    keep[i] = root;
  }
  // The kept finding of each group.
  std::unordered_map<std::size_t, std::size_t> best;
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, fresh] = best.emplace(keep[i], i);
    if (!fresh && higher_fix(findings[i], findings[it->second]))
      it->second = i;
  }
  bool merged = false;
  std::unordered_map<std::size_t, std::set<std::string>> names;
  std::unordered_map<std::size_t, int> severity;
  for (std::size_t i = 0; i < n; ++i) {
    auto b = best[keep[i]];
    if (b != i)
      merged = true;
    auto& s = names[b];
    s.insert(findings[i].id);
    s.insert(findings[i].aliases.begin(), findings[i].aliases.end());
    auto& sev = severity[b];
    sev = std::max(sev, severity_rank(findings[i].severity));
  }
  if (!merged)
    return;
  std::vector<finding> out;
  out.reserve(best.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (best[keep[i]] != i)
      continue;
    auto f = std::move(findings[i]);
    auto& s = names[i];
    s.erase(f.id);
    f.aliases.assign(s.begin(), s.end());
    if (severity_rank(f.severity) < severity[i]) {
      for (const char* name : {"Critical", "High", "Medium", "Low"})
        if (severity_rank(name) == severity[i])
          f.severity = name;
    }
    out.push_back(std::move(f));
  }
  findings = std::move(out);
}

void merge_inventory_findings(std::vector<finding>& findings) {
  std::vector<std::string> ecosystems;
  for (auto& f : findings)
    if (std::find(ecosystems.begin(), ecosystems.end(), f.ecosystem) == ecosystems.end())
      ecosystems.push_back(f.ecosystem);
  if (ecosystems.size() == 1) {
    merge_aliases(ecosystems[0], findings);
    return;
  }
  std::vector<finding> out;
  out.reserve(findings.size());
  for (auto& eco : ecosystems) {
    std::vector<finding> part;
    for (auto& f : findings)
      if (f.ecosystem == eco)
        part.push_back(std::move(f));
    merge_aliases(eco, part);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  findings = std::move(out);
}

void sort_findings(std::vector<finding>& findings) {
  auto key = [](const finding& f) {
    return std::tie(f.ecosystem, f.package, f.installed_version, f.layer, f.id);
  };
  std::stable_sort(findings.begin(), findings.end(),
                   [&](const finding& a, const finding& b) { return key(a) < key(b); });
}

void carry_first_seen(const std::vector<finding>& previous, std::vector<finding>& current,
                      int64_t now) {
  std::unordered_map<std::string, int64_t> seen; // package \0 version \0 name -> first_seen
  for (auto& f : previous) {
    if (f.first_seen <= 0)
      continue;
    auto pkg = package_key(f);
    auto note = [&](const std::string& name) {
      auto [it, fresh] = seen.emplace(pkg + '\0' + name, f.first_seen);
      if (!fresh)
        it->second = std::min(it->second, f.first_seen);
    };
    note(f.id);
    for (auto& a : f.aliases)
      note(a);
  }
  for (auto& f : current) {
    int64_t first = now;
    if (!seen.empty()) {
      auto pkg = package_key(f);
      auto look = [&](const std::string& name) {
        if (auto it = seen.find(pkg + '\0' + name); it != seen.end())
          first = std::min(first, it->second);
      };
      look(f.id);
      for (auto& a : f.aliases)
        look(a);
    }
    f.first_seen = first;
  }
}

} // namespace regscan
