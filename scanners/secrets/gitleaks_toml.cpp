// gitleaks' TOML rule format -> secret_ruleset. Keys this reader does not
// know are refused with their line: a silently ignored key could change what
// a team's rule means.
#include <re2/re2.h>

#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "scanners/secrets/secret_rules.hpp"

namespace regscan {
namespace {

std::string at_line(const toml::node& n) {
  return "line " + std::to_string(n.source().begin.line);
}

error bad(const toml::node& n, const std::string& message) {
  return make_error(errc::invalid, "gitleaks config, " + at_line(n) + ": " + message);
}

expected<std::string> get_string(const toml::node& n, const std::string& key) {
  if (auto s = n.value<std::string>()) return *s;
  return bad(n, key + " must be a string");
}

expected<std::vector<std::string>> get_strings(const toml::node& n, const std::string& key) {
  const toml::array* a = n.as_array();
  if (!a) return bad(n, key + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!s) return bad(e, key + " must hold strings only");
    out.push_back(*s);
  }
  return out;
}

expected<void> check_regex(const toml::node& n, const std::string& key, const std::string& re) {
  RE2::Options o;
  o.set_log_errors(false);
  RE2 compiled(re, o);
  if (!compiled.ok()) return bad(n, key + " does not compile: " + compiled.error());
  return {};
}

expected<secret_allowlist> parse_allowlist(const toml::table& t, std::vector<std::string>* target_rules) {
  secret_allowlist a;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (key == "description") {
      auto s = get_string(v, key);
      if (!s) return s.err();
      a.description = *s;
    } else if (key == "paths" || key == "regexes" || key == "stopwords" || key == "commits" ||
               key == "targetRules") {
      auto list = get_strings(v, key);
      if (!list) return list.err();
      if (key == "paths" || key == "regexes")
        for (const auto& re : *list) {
          auto ok = check_regex(v, key, re);
          if (!ok) return ok.err();
        }
      if (key == "paths") a.paths = *list;
      else if (key == "regexes") a.regexes = *list;
      else if (key == "stopwords") a.stopwords = *list;
      else if (key == "targetRules") {
        if (!target_rules) return bad(v, "targetRules belongs in a top-level [[allowlists]]");
        *target_rules = *list;
      }
      // commits: a git-history notion; nothing to match in an image.
    } else if (key == "regexTarget") {
      auto s = get_string(v, key);
      if (!s) return s.err();
      if (*s != "secret" && *s != "match" && *s != "line")
        return bad(v, "regexTarget must be \"secret\", \"match\" or \"line\"");
      a.regex_target = *s;
    } else if (key == "condition") {
      auto s = get_string(v, key);
      if (!s) return s.err();
      std::string c = *s;
      std::transform(c.begin(), c.end(), c.begin(), ::toupper);
      if (c != "AND" && c != "OR") return bad(v, "condition must be \"AND\" or \"OR\"");
      a.match_all = c == "AND";
    } else {
      return bad(v, "unknown allowlist key '" + key + "'");
    }
  }
  return a;
}

// [rules.allowlist] (gitleaks up to 8.20) or [[rules.allowlists]] (8.21 on).
expected<void> parse_allowlists(const toml::node& v, const std::string& key,
                                std::vector<secret_allowlist>& out,
                                std::vector<std::vector<std::string>>* targets) {
  auto one = [&](const toml::node& n) -> expected<void> {
    const toml::table* t = n.as_table();
    if (!t) return bad(n, key + " must be a table");
    std::vector<std::string> target_rules;
    auto a = parse_allowlist(*t, targets ? &target_rules : nullptr);
    if (!a) return a.err();
    out.push_back(std::move(*a));
    if (targets) targets->push_back(std::move(target_rules));
    return {};
  };
  if (const toml::array* arr = v.as_array()) {
    for (const auto& e : *arr) {
      auto ok = one(e);
      if (!ok) return ok;
    }
    return {};
  }
  return one(v);
}

expected<secret_rule> parse_rule(const toml::table& t) {
  secret_rule r;
  r.source = secret_rule_source::user;
  r.category = "custom";
  r.severity = "Medium";
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (key == "id" || key == "description" || key == "regex" || key == "path" ||
        key == "severity" || key == "category") {
      auto s = get_string(v, key);
      if (!s) return s.err();
      if (key == "id") r.id = *s;
      else if (key == "description") r.name = *s;
      else if (key == "regex" || key == "path") {
        auto ok = check_regex(v, key, *s);
        if (!ok) return ok.err();
        (key == "regex" ? r.regex : r.path) = *s;
      } else if (key == "severity") {
        if (*s != "Critical" && *s != "High" && *s != "Medium" && *s != "Low")
          return bad(v, "severity must be Critical, High, Medium or Low");
        r.severity = *s;
      } else {
        r.category = *s;
      }
    } else if (key == "secretGroup") {
      auto n = v.value<int64_t>();
      if (!n || *n < 0 || *n > 100) return bad(v, "secretGroup must be a small non-negative integer");
      r.secret_group = static_cast<int>(*n);
    } else if (key == "entropy") {
      auto d = v.value<double>();
      if (!d || *d < 0 || *d > 8) return bad(v, "entropy must be a number from 0 to 8");
      r.entropy = *d;
    } else if (key == "keywords") {
      auto list = get_strings(v, key);
      if (!list) return list.err();
      for (auto& kw : *list) {
        std::transform(kw.begin(), kw.end(), kw.begin(), ::tolower);
        r.keywords.push_back(kw);
      }
    } else if (key == "tags") {
      auto list = get_strings(v, key);
      if (!list) return list.err();
    } else if (key == "allowlist" || key == "allowlists") {
      auto ok = parse_allowlists(v, "rules." + key, r.allowlists, nullptr);
      if (!ok) return ok.err();
    } else {
      return bad(v, "unknown rule key '" + key + "'");
    }
  }
  if (r.id.empty()) return bad(t, "a rule needs an id");
  if (r.regex.empty() && r.path.empty()) return bad(t, "rule " + r.id + " needs a regex or a path");
  if (r.name.empty()) r.name = r.id;
  if (!r.regex.empty()) {
    RE2 re(r.regex);
    if (r.secret_group > re.NumberOfCapturingGroups())
      return bad(t, "rule " + r.id + ": secretGroup " + std::to_string(r.secret_group) +
                        " but the regex has " + std::to_string(re.NumberOfCapturingGroups()) + " groups");
  }
  return r;
}

} // namespace

expected<secret_ruleset> parse_gitleaks_toml(std::string_view text) {
  toml::table doc;
  try {
    doc = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return make_error(errc::invalid, "gitleaks config, line " +
                                         std::to_string(e.source().begin.line) + ": " +
                                         std::string(e.description()));
  }
  secret_ruleset out;
  std::vector<std::vector<std::string>> targets;
  std::vector<secret_allowlist> targeted;
  for (const auto& [k, v] : doc) {
    const std::string key(k.str());
    if (key == "title") continue;
    if (key == "extend") {
      const toml::table* t = v.as_table();
      if (!t) return bad(v, "extend must be a table");
      for (const auto& [ek, ev] : *t) {
        if (ek.str() == "useDefault" || ek.str() == "disabledRules") continue; // built-ins always apply
        return bad(ev, "extend." + std::string(ek.str()) + " is not supported: import that file itself");
      }
    } else if (key == "rules") {
      const toml::array* a = v.as_array();
      if (!a) return bad(v, "rules must be an array of tables ([[rules]])");
      for (const auto& e : *a) {
        const toml::table* t = e.as_table();
        if (!t) return bad(e, "each rule must be a table");
        auto r = parse_rule(*t);
        if (!r) return r.err();
        out.rules.push_back(std::move(*r));
      }
    } else if (key == "allowlist" || key == "allowlists") {
      std::vector<secret_allowlist> lists;
      std::vector<std::vector<std::string>> list_targets;
      auto ok = parse_allowlists(v, key, lists, &list_targets);
      if (!ok) return ok.err();
      for (size_t i = 0; i < lists.size(); ++i) {
        if (list_targets[i].empty()) out.allowlists.push_back(std::move(lists[i]));
        else targeted.push_back(std::move(lists[i])), targets.push_back(std::move(list_targets[i]));
      }
    } else {
      return bad(v, "unknown key '" + key + "'");
    }
  }
  std::set<std::string> ids;
  for (const auto& r : out.rules)
    if (!ids.insert(r.id).second) return make_error(errc::invalid, "gitleaks config: rule id " + r.id + " appears twice");
  for (size_t i = 0; i < targeted.size(); ++i)
    for (const auto& id : targets[i]) {
      auto it = std::find_if(out.rules.begin(), out.rules.end(), [&](const secret_rule& r) { return r.id == id; });
      if (it == out.rules.end())
        return make_error(errc::invalid, "gitleaks config: allowlist targets rule " + id + ", which this file does not define");
      it->allowlists.push_back(targeted[i]);
    }
  return out;
}

} // namespace regscan
