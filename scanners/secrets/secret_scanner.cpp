// Two passes per file. The first finds, in one read of the bytes, which
// keywords occur and where each rule's regex may end; the second runs RE2 only
// for those rules, only on the window where they hit, and extracts the secret.
//
// Engine choice, by measurement (tests/bench/secrets_bench.cpp; BENCHMARKS.md
// "Secrets"): on a Debian 12 + Node tree (202 MB, 139 MB of it text) with the
// 165 built-in rules, one core, the scan loop ran at 489 MB/s with Hyperscan
// (keywords and all rule regexes in one pass) and 265 MB/s with RE2 (an
// RE2::Set keyword pass, then one pass per rule whose keyword occurs; "key",
// "token" and "password" occur in most text files). Same findings both ways.
// Hyperscan costs 0.35 s to compile the database and 11 MB more memory, so it
// is the default where it is built in (x86-64) and RE2 alone the portable path.
#include "scanners/secrets/secret_scanner.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#ifdef REGSCAN_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

namespace regscan {
namespace {

constexpr const char* engine_version = "secrets-engine-1";
constexpr size_t binary_probe = 8 << 10;
// How far before a regex's first end position its match may start: long
// enough for the longest PEM or PGP key block.
constexpr size_t max_match_span = 64 << 10;
// Findings kept per scanned content: a file of one secret repeated a million
// times says no more with a million findings, and each costs allowlist checks
// and an HMAC. The result stays "not clean" either way.
constexpr size_t max_findings = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

RE2::Options re2_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(8 << 20); // RE2's default; past it the DFA falls back to the NFA: slower, same matches
  return o;
}

expected<std::unique_ptr<RE2>> compile_re2(const std::string& pattern, const std::string& what) {
  auto re = std::make_unique<RE2>(pattern, re2_options());
  if (!re->ok()) return make_error(errc::invalid, what + ": bad regex: " + re->error());
  return re;
}

enum class allow_target { secret, match, line };

struct compiled_allowlist {
  std::vector<std::unique_ptr<RE2>> paths, regexes;
  std::vector<std::string> stopwords; // lower case
  allow_target target = allow_target::secret;
  bool match_all = false;

  bool paths_only() const { return !paths.empty() && regexes.empty() && stopwords.empty(); }
  bool path_allowed(std::string_view location) const {
    for (const auto& re : paths)
      if (RE2::PartialMatch(location, *re)) return true;
    return false;
  }
  bool allows(std::string_view location, std::string_view secret, std::string_view match,
              std::string_view line) const {
    std::string_view target_text = target == allow_target::match ? match
                                   : target == allow_target::line ? line
                                                                  : secret;
    int asked = 0, hit = 0;
    if (!paths.empty()) ++asked, hit += path_allowed(location);
    if (!regexes.empty()) {
      ++asked;
      for (const auto& re : regexes)
        if (RE2::PartialMatch(target_text, *re)) {
          ++hit;
          break;
        }
    }
    if (!stopwords.empty()) {
      ++asked;
      std::string s = lower(secret);
      for (const auto& w : stopwords)
        if (s.find(w) != std::string::npos) {
          ++hit;
          break;
        }
    }
    return match_all ? (asked > 0 && hit == asked) : hit > 0;
  }
};

expected<compiled_allowlist> compile_allowlist(const secret_allowlist& a, const std::string& what) {
  compiled_allowlist c;
  for (const auto& p : a.paths) {
    auto re = compile_re2(p, what + " allowlist path");
    if (!re) return re.err();
    c.paths.push_back(std::move(*re));
  }
  for (const auto& p : a.regexes) {
    auto re = compile_re2(p, what + " allowlist regex");
    if (!re) return re.err();
    c.regexes.push_back(std::move(*re));
  }
  for (const auto& w : a.stopwords)
    if (!w.empty()) c.stopwords.push_back(lower(w));
  if (a.regex_target == "match") c.target = allow_target::match;
  else if (a.regex_target == "line") c.target = allow_target::line;
  else if (!a.regex_target.empty() && a.regex_target != "secret")
    return make_error(errc::invalid, what + ": regexTarget must be secret, match or line");
  c.match_all = a.match_all;
  return c;
}

struct compiled_rule {
  secret_rule rule;
  std::unique_ptr<RE2> re;   // null: a rule on paths only
  std::unique_ptr<RE2> path; // null: any location
  std::vector<compiled_allowlist> allowlists;
  std::vector<int> keywords; // ids into the keyword table
  bool generic = false;      // loses an overlap to any specific rule
  bool first_pass = false;   // in the Hyperscan database (else confirmed on the whole text)
  bool line_target = false;  // an allowlist of it matches on the whole line
};

// Where a rule's regex may have matched, from the first pass.
struct rule_hits {
  size_t first_end = SIZE_MAX, last_end = 0;
  bool any() const { return first_end != SIZE_MAX; }
  void add(size_t end) {
    first_end = std::min(first_end, end);
    last_end = std::max(last_end, end);
  }
};

struct candidate {
  int rule;
  size_t begin, end;   // of the secret
  size_t match_begin;  // of the whole match
  std::string secret;
};

#ifdef REGSCAN_HAVE_HYPERSCAN
// Hyperscan needs one scratch per thread; it grows to fit every database it
// was allocated for. hs_alloc_scratch() re-validates the whole database on
// each call (a quarter of the scan time when called per file), so each
// thread remembers which databases (by build serial, never reused) it fits.
struct hs_thread_scratch {
  hs_scratch_t* scratch = nullptr;
  std::vector<uint64_t> fits;
  ~hs_thread_scratch() {
    if (scratch) hs_free_scratch(scratch);
  }
  hs_scratch_t* get(const hs_database_t* db, uint64_t serial) {
    if (std::find(fits.begin(), fits.end(), serial) != fits.end()) return scratch;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return nullptr;
    if (fits.size() > 64) fits.erase(fits.begin());
    fits.push_back(serial);
    return scratch;
  }
};
thread_local hs_thread_scratch tls_scratch;
std::atomic<uint64_t> next_database_serial{1};

std::string hs_literal(std::string_view s) {
  std::string out;
  static const char* digits = "0123456789abcdef";
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}
#endif

} // namespace

struct secret_scanner::impl {
  std::vector<compiled_rule> rules;
  std::vector<std::string> keywords;
  std::vector<compiled_allowlist> global_allowlists;
  std::vector<const compiled_allowlist*> file_allowlists; // path-only: skip whole files
  std::vector<int> path_rules;
  bool global_line_target = false;
  std::string key;
  secret_scan_limits limits;
  std::string version;
  bool use_hyperscan = false;
  std::unique_ptr<RE2::Set> keyword_set; // RE2 engine's keyword pass
#ifdef REGSCAN_HAVE_HYPERSCAN
  hs_database_t* db = nullptr;
  size_t hs_keyword_base = 0; // ids >= this in the database are keywords
  std::vector<int> hs_rule;   // database id -> rule index
  uint64_t serial = next_database_serial++;
  ~impl() {
    if (db) hs_free_database(db);
  }
#endif

  bool path_skipped(std::string_view location) const {
    for (const auto* a : file_allowlists)
      if (a->path_allowed(location)) return true;
    return false;
  }

  bool path_applies(const compiled_rule& r, std::string_view location) const {
    return !r.path || RE2::PartialMatch(location, *r.path);
  }

  void first_pass(std::string_view content, std::vector<char>& keyword_seen,
                  std::vector<rule_hits>& hits) const;
  void confirm(int rule_index, std::string_view location, std::string_view content, size_t from,
               size_t to, std::vector<candidate>& out) const;
  bool allowed(const compiled_rule& r, std::string_view location, std::string_view content,
               const candidate& c, size_t match_end) const;
};

void secret_scanner::impl::first_pass(std::string_view content, std::vector<char>& keyword_seen,
                                      std::vector<rule_hits>& hits) const {
#ifdef REGSCAN_HAVE_HYPERSCAN
  if (use_hyperscan && content.size() <= UINT_MAX) { // hs_scan takes a 32-bit length
    struct context {
      const impl* self;
      std::vector<char>* keyword_seen;
      std::vector<rule_hits>* hits;
    } ctx{this, &keyword_seen, &hits};
    auto on_match = [](unsigned id, unsigned long long, unsigned long long to, unsigned,
                       void* p) -> int {
      auto* c = static_cast<context*>(p);
      if (id >= c->self->hs_keyword_base) (*c->keyword_seen)[id - c->self->hs_keyword_base] = 1;
      else (*c->hits)[c->self->hs_rule[id]].add(static_cast<size_t>(to));
      return 0;
    };
    hs_scratch_t* scratch = tls_scratch.get(db, serial);
    if (scratch && hs_scan(db, content.data(), static_cast<unsigned>(content.size()), 0, scratch,
                           on_match, &ctx) == HS_SUCCESS) {
      // Rules Hyperscan cannot compile run on the whole text.
      for (size_t i = 0; i < rules.size(); ++i)
        if (!rules[i].first_pass && rules[i].re) hits[i].add(0), hits[i].add(content.size());
      return;
    }
    // A failed scan (out of memory) falls through to the RE2 pass: slower, same result.
    std::fill(keyword_seen.begin(), keyword_seen.end(), 0);
    std::fill(hits.begin(), hits.end(), rule_hits{});
  }
#endif
  std::vector<int> seen;
  if (keyword_set) keyword_set->Match(content, &seen);
  for (int k : seen) keyword_seen[static_cast<size_t>(k)] = 1;
  for (size_t i = 0; i < rules.size(); ++i)
    if (rules[i].re) hits[i].add(0), hits[i].add(content.size());
}

bool secret_scanner::impl::allowed(const compiled_rule& r, std::string_view location,
                                   std::string_view content, const candidate& c,
                                   size_t match_end) const {
  std::string_view match = content.substr(c.match_begin, match_end - c.match_begin);
  // The line only for a "line" allowlist: finding it costs the line's length,
  // and a minified file is one long line with many candidates.
  std::string_view line;
  if (r.line_target || global_line_target) {
    size_t line_begin = c.begin == 0 ? std::string_view::npos : content.rfind('\n', c.begin - 1);
    line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
    size_t line_end = content.find('\n', c.end);
    if (line_end == std::string_view::npos) line_end = content.size();
    line = content.substr(line_begin, line_end - line_begin);
  }
  for (const auto& a : global_allowlists)
    if (a.allows(location, c.secret, match, line)) return true;
  for (const auto& a : r.allowlists)
    if (a.allows(location, c.secret, match, line)) return true;
  return false;
}

void secret_scanner::impl::confirm(int rule_index, std::string_view location,
                                   std::string_view content, size_t from, size_t to,
                                   std::vector<candidate>& out) const {
  const compiled_rule& r = rules[static_cast<size_t>(rule_index)];
  const int groups = r.re->NumberOfCapturingGroups();
  if (r.rule.secret_group > groups) return; // checked at build; defensive
  std::vector<re2::StringPiece> g(static_cast<size_t>(groups) + 1);
  size_t pos = from;
  while (pos <= to && out.size() < 4 * max_findings) {
    if (!r.re->Match(content, pos, to, RE2::UNANCHORED, g.data(), static_cast<int>(g.size()))) break;
    re2::StringPiece whole = g[0];
    size_t match_begin = static_cast<size_t>(whole.data() - content.data());
    size_t match_end = match_begin + whole.size();
    const size_t searched_from = pos;
    pos = std::max(match_end, searched_from + 1);
    re2::StringPiece secret = whole;
    if (r.rule.secret_group > 0) secret = g[static_cast<size_t>(r.rule.secret_group)];
    else
      for (int i = 1; i <= groups; ++i)
        if (!g[static_cast<size_t>(i)].empty()) {
          secret = g[static_cast<size_t>(i)];
          break;
        }
    if (secret.empty() || secret.data() == nullptr) continue;
    // A trailing delimiter the regex had to consume (a quote, a space) may
    // start the next match, so scan on from the end of the secret.
    size_t secret_begin = static_cast<size_t>(secret.data() - content.data());
    pos = std::max(std::min(match_end, secret_begin + secret.size()), searched_from + 1);
    candidate c{rule_index, secret_begin, secret_begin + secret.size(), match_begin,
                std::string(secret.data(), secret.size())};
    if (r.rule.entropy > 0 && shannon_entropy(c.secret) < r.rule.entropy) continue;
    if (allowed(r, location, content, c, match_end)) continue;
    out.push_back(std::move(c));
  }
}

secret_scanner::secret_scanner(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
secret_scanner::~secret_scanner() = default;

const std::string& secret_scanner::version() const { return impl_->version; }

std::string_view secret_scanner::engine_name() const {
  return impl_->use_hyperscan ? "hyperscan" : "re2";
}

std::vector<secret_rule_info> secret_scanner::rules() const {
  std::vector<secret_rule_info> out;
  for (const auto& r : impl_->rules)
    out.push_back({r.rule.id, r.rule.name, r.rule.category, r.rule.severity, r.rule.source});
  return out;
}

bool secret_scanner::wants(std::string_view path, uint64_t size) const {
  if (impl_->path_skipped(path)) return false;
  if (size <= impl_->limits.max_file_size) return true;
  return !skipped_reason(path, size).empty();
}

std::string secret_scanner::skipped_reason(std::string_view path, uint64_t size) const {
  if (size <= impl_->limits.max_file_size || impl_->path_skipped(path)) return {};
  for (int i : impl_->path_rules)
    if (impl_->path_applies(impl_->rules[static_cast<size_t>(i)], path))
      return "file of " + std::to_string(size) + " bytes is over the secret-scan limit of " +
             std::to_string(impl_->limits.max_file_size) + " bytes and matches path rule " +
             impl_->rules[static_cast<size_t>(i)].rule.id;
  return {};
}

void secret_scanner::scan(std::string_view location, std::string_view content,
                          std::vector<secret_finding>& out) const {
  const impl& m = *impl_;
  if (content.size() > m.limits.max_file_size || m.path_skipped(location)) return;
  if (std::memchr(content.data(), 0, std::min(content.size(), binary_probe))) return;

  std::vector<char> keyword_seen(m.keywords.size(), 0);
  std::vector<rule_hits> hits(m.rules.size());
  m.first_pass(content, keyword_seen, hits);

  std::vector<candidate> found;
  std::vector<int> path_only_hits;
  for (size_t i = 0; i < m.rules.size(); ++i) {
    const compiled_rule& r = m.rules[i];
    if (!r.re) {
      if (r.path && m.path_applies(r, location)) path_only_hits.push_back(static_cast<int>(i));
      continue;
    }
    if (!hits[i].any()) continue;
    if (!r.keywords.empty() &&
        std::none_of(r.keywords.begin(), r.keywords.end(),
                     [&](int k) { return keyword_seen[static_cast<size_t>(k)] != 0; }))
      continue;
    if (!m.path_applies(r, location)) continue;
    size_t from = hits[i].first_end > max_match_span ? hits[i].first_end - max_match_span : 0;
    if (from > 0) {
      size_t nl = content.rfind('\n', from);
      from = nl == std::string_view::npos ? 0 : nl + 1;
    }
    m.confirm(static_cast<int>(i), location, content, from, std::min(hits[i].last_end, content.size()),
              found);
  }

  // Where two findings overlap, the specific rule wins over the generic one,
  // then the earlier rule in the table.
  auto rank = [&](const candidate& c) {
    return std::pair{m.rules[static_cast<size_t>(c.rule)].generic, c.rule};
  };
  std::sort(found.begin(), found.end(), [&](const candidate& a, const candidate& b) {
    return rank(a) < rank(b) || (rank(a) == rank(b) && a.begin < b.begin);
  });
  std::vector<const candidate*> kept;
  std::map<size_t, size_t> taken; // begin -> end of kept secrets; they never overlap
  for (const auto& c : found) {
    auto next = taken.lower_bound(c.begin);
    if (next != taken.end() && next->first < c.end) continue;
    if (next != taken.begin() && std::prev(next)->second > c.begin) continue;
    taken.emplace(c.begin, c.end);
    kept.push_back(&c);
    if (kept.size() == max_findings) break;
  }
  std::sort(kept.begin(), kept.end(), [](const candidate* a, const candidate* b) {
    return a->begin < b->begin || (a->begin == b->begin && a->rule < b->rule);
  });

  auto emit = [&](const compiled_rule& r, uint32_t line, std::string_view secret) {
    secret_finding f;
    f.rule_id = r.rule.id;
    f.rule_name = r.rule.name;
    f.category = r.rule.category;
    f.severity = r.rule.severity;
    f.location = std::string(location);
    f.line = line;
    f.masked = secret.empty() ? std::string() : mask_secret(secret);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), m.key.data(), static_cast<int>(m.key.size()),
         reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md, &len);
    f.fingerprint = hex(md, len);
    out.push_back(std::move(f));
  };
  size_t counted_to = 0;
  uint32_t line = 1;
  for (const candidate* c : kept) {
    // The line where the match starts, past a line break the regex consumed
    // as its left delimiter.
    size_t at = c->match_begin;
    while (at < c->begin && (content[at] == '\n' || content[at] == '\r')) ++at;
    if (at < counted_to) counted_to = 0, line = 1; // never: kept is sorted by begin
    line += static_cast<uint32_t>(std::count(content.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                             content.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    counted_to = at;
    emit(m.rules[static_cast<size_t>(c->rule)], line, c->secret);
  }
  // A rule on paths only reports the file: no line, nothing to mask, the
  // fingerprint keyed on the path.
  for (int i : path_only_hits) emit(m.rules[static_cast<size_t>(i)], 0, location);
}

expected<std::shared_ptr<const secret_scanner>> secret_scanner::build(const secret_ruleset& user_rules,
                                                                      std::string fingerprint_key,
                                                                      secret_scan_limits limits) {
  auto m = std::make_unique<impl>();
  m->key = std::move(fingerprint_key);
  m->limits = limits;

  // Built-ins in table order, a user rule with the same id in place of the
  // built-in, new user rules before the generic built-ins.
  std::vector<secret_rule> all;
  std::set<std::string> user_ids;
  for (const auto& r : user_rules.rules) user_ids.insert(r.id);
  for (const auto& r : builtin_secret_rules())
    if (!user_ids.count(r.id)) all.push_back(r);
  auto first_generic = std::find_if(all.begin(), all.end(), [](const secret_rule& r) {
    return r.category == "password" || r.category == "generic";
  });
  size_t insert_at = static_cast<size_t>(first_generic - all.begin());
  for (const auto& r : user_rules.rules) {
    secret_rule u = r;
    u.source = secret_rule_source::user;
    all.insert(all.begin() + static_cast<std::ptrdiff_t>(insert_at++), std::move(u));
  }

  // The version hashes everything that changes results.
  std::string hashed = engine_version;
  auto add = [&](std::string_view s) {
    hashed += std::to_string(s.size());
    hashed += ':';
    hashed += s;
  };
  auto add_allowlist = [&](const secret_allowlist& a) {
    add("allowlist");
    for (const auto& p : a.paths) add(p);
    add("|");
    for (const auto& p : a.regexes) add(p);
    add("|");
    for (const auto& p : a.stopwords) add(p);
    add(a.regex_target);
    add(a.match_all ? "and" : "or");
  };

  std::map<std::string, int> keyword_ids;
  for (auto& r : all) {
    if (r.id.empty()) return make_error(errc::invalid, "a secret rule has no id");
    const std::string what = "secret rule " + r.id;
    add(r.id), add(r.name), add(r.category), add(r.severity), add(r.regex), add(r.path);
    add(std::to_string(r.secret_group)), add(std::to_string(r.entropy));
    compiled_rule c;
    if (!r.regex.empty()) {
      auto re = compile_re2(r.regex, what);
      if (!re) return re.err();
      if (r.secret_group < 0 || r.secret_group > (*re)->NumberOfCapturingGroups())
        return make_error(errc::invalid, what + ": secretGroup " + std::to_string(r.secret_group) +
                                             " but the regex has " +
                                             std::to_string((*re)->NumberOfCapturingGroups()) + " groups");
      c.re = std::move(*re);
    } else if (r.path.empty()) {
      return make_error(errc::invalid, what + ": needs a regex or a path");
    }
    if (!r.path.empty()) {
      auto re = compile_re2(r.path, what + " path");
      if (!re) return re.err();
      c.path = std::move(*re);
      m->path_rules.push_back(static_cast<int>(m->rules.size()));
    }
    for (const auto& a : r.allowlists) {
      add_allowlist(a);
      auto ca = compile_allowlist(a, what);
      if (!ca) return ca.err();
      c.line_target |= ca->target == allow_target::line;
      c.allowlists.push_back(std::move(*ca));
    }
    for (const auto& k : r.keywords) {
      add(k);
      std::string kw = lower(k);
      if (kw.empty()) continue;
      auto [it, fresh] = keyword_ids.emplace(kw, static_cast<int>(m->keywords.size()));
      if (fresh) m->keywords.push_back(kw);
      c.keywords.push_back(it->second);
    }
    c.generic = r.category == "password" || r.category == "generic";
    c.rule = std::move(r);
    m->rules.push_back(std::move(c));
  }

  std::vector<secret_allowlist> globals = builtin_secret_allowlists();
  for (const auto& a : user_rules.allowlists) globals.push_back(a);
  for (const auto& a : globals) {
    add_allowlist(a);
    auto ca = compile_allowlist(a, "global allowlist");
    if (!ca) return ca.err();
    m->global_line_target |= ca->target == allow_target::line;
    m->global_allowlists.push_back(std::move(*ca));
  }
  add(user_rules.allowlist_default_paths ? "default-paths" : "no-default-paths");
  if (user_rules.allowlist_default_paths) {
    add_allowlist(default_path_allowlist());
    auto ca = compile_allowlist(default_path_allowlist(), "default path allowlist");
    if (!ca) return ca.err();
    m->global_allowlists.push_back(std::move(*ca));
  }
  for (const auto& a : m->global_allowlists)
    if (a.paths_only()) m->file_allowlists.push_back(&a);
  add(std::to_string(limits.max_file_size));

  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(hashed.data()), hashed.size(), digest);
  m->version = std::string(engine_version) + ":" + hex(digest, 12);

  // The RE2 engine's keyword pass: one set of case-insensitive literals.
  {
    RE2::Options o = re2_options();
    o.set_case_sensitive(false);
    o.set_max_mem(32 << 20);
    m->keyword_set = std::make_unique<RE2::Set>(o, RE2::UNANCHORED);
    for (const auto& k : m->keywords)
      if (m->keyword_set->Add(RE2::QuoteMeta(k), nullptr) < 0)
        return make_error(errc::internal, "keyword " + k + " does not compile");
    if (!m->keyword_set->Compile()) return make_error(errc::internal, "keyword set does not compile");
  }

#ifdef REGSCAN_HAVE_HYPERSCAN
  if (limits.engine != secret_engine::re2) {
    // Hyperscan only finds candidates, so where it differs from RE2 it must
    // find more, never fewer: MULTILINE lets ^ and $ also match at line
    // breaks, and a regex it cannot compile exactly is approximated
    // (HS_FLAG_PREFILTER) or left to RE2 on the whole text.
    std::vector<unsigned> flags;
    std::vector<std::string> patterns;
    std::vector<int> rule_of;
    for (size_t i = 0; i < m->rules.size(); ++i) {
      if (!m->rules[i].re) continue;
      patterns.push_back(m->rules[i].rule.regex);
      flags.push_back(HS_FLAG_MULTILINE);
      rule_of.push_back(static_cast<int>(i));
    }
    std::vector<bool> dropped(patterns.size(), false);
    for (;;) {
      std::vector<const char*> exprs;
      std::vector<unsigned> fl, ids;
      std::vector<int> idx;
      for (size_t i = 0; i < patterns.size(); ++i) {
        if (dropped[i]) continue;
        exprs.push_back(patterns[i].c_str());
        fl.push_back(flags[i]);
        ids.push_back(static_cast<unsigned>(idx.size()));
        idx.push_back(static_cast<int>(i));
      }
      std::vector<std::string> literal_patterns;
      for (const auto& k : m->keywords) literal_patterns.push_back(hs_literal(k));
      size_t keyword_base = exprs.size();
      for (size_t k = 0; k < literal_patterns.size(); ++k) {
        exprs.push_back(literal_patterns[k].c_str());
        fl.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
        ids.push_back(static_cast<unsigned>(keyword_base + k));
      }
      hs_compile_error_t* err = nullptr;
      hs_database_t* db = nullptr;
      hs_error_t rc = hs_compile_multi(exprs.data(), fl.data(), ids.data(),
                                       static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr,
                                       &db, &err);
      if (rc == HS_SUCCESS) {
        m->db = db;
        m->hs_keyword_base = keyword_base;
        m->hs_rule.clear();
        for (int i : idx) {
          m->hs_rule.push_back(rule_of[static_cast<size_t>(i)]);
          m->rules[static_cast<size_t>(rule_of[static_cast<size_t>(i)])].first_pass = true;
        }
        m->use_hyperscan = true;
        break;
      }
      int bad = err ? err->expression : -1;
      if (err) hs_free_compile_error(err);
      if (bad < 0 || static_cast<size_t>(bad) >= idx.size()) break; // give up: RE2 engine
      size_t p = static_cast<size_t>(idx[static_cast<size_t>(bad)]);
      if (!(flags[p] & HS_FLAG_PREFILTER)) flags[p] |= HS_FLAG_PREFILTER;
      else dropped[p] = true;
    }
  }
#endif
  return std::shared_ptr<const secret_scanner>(new secret_scanner(std::move(m)));
}

std::string mask_secret(std::string_view secret) {
  size_t shown = std::min<size_t>(4, secret.size() / 4);
  return std::string(secret.substr(0, shown)) + "********";
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (size_t c : counts)
    if (c) {
      double p = static_cast<double>(c) / n;
      h -= p * std::log2(p);
    }
  return h;
}

} // namespace regscan
