// The secret scanner: precision and recall on a generated, labelled corpus;
// both engines agree; gitleaks TOML import; masking, fingerprints, version,
// and the binary and size skips.
#include "scanners/secrets/secret_scanner.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "tests/scanners/secret_corpus.hpp"

namespace regscan {
namespace {

std::shared_ptr<const secret_scanner> make(const secret_ruleset& rules, std::string key = "k",
                                           secret_scan_limits limits = {}) {
  auto s = secret_scanner::build(rules, std::move(key), limits);
  EXPECT_TRUE(s) << (s ? "" : s.err().message);
  return s ? *s : nullptr;
}

// Compiling the Hyperscan database takes about a second: tests on the
// built-in rules share one scanner.
std::shared_ptr<const secret_scanner> make() {
  static auto shared = make({}, "k");
  return shared;
}

// RE2 alone builds at once; for tests about the version, which both engines share.
std::shared_ptr<const secret_scanner> make_re2(const secret_ruleset& rules, std::string key = "k",
                                               uint64_t max_file_size = 10ull << 20) {
  return make(rules, std::move(key), {max_file_size, secret_engine::re2});
}

std::vector<secret_finding> scan(const secret_scanner& s, std::string_view location, std::string_view content) {
  std::vector<secret_finding> out;
  s.scan(location, content, out);
  return out;
}

struct score {
  double precision = 0, recall = 0;
  std::vector<std::string> misses, false_alarms;
};

score score_corpus(const secret_scanner& s, const test::secret_corpus& corpus) {
  std::set<std::pair<std::string, uint32_t>> labels, found;
  std::map<std::pair<std::string, uint32_t>, std::string> kind, rule;
  for (const auto& l : corpus.labels) labels.insert({l.location, l.line}), kind[{l.location, l.line}] = l.kind;
  for (const auto& f : corpus.files)
    for (const auto& x : scan(s, f.location, f.content)) found.insert({x.location, x.line}), rule[{x.location, x.line}] = x.rule_id;
  score out;
  size_t hit = 0;
  for (const auto& l : labels)
    if (found.count(l)) ++hit;
    else out.misses.push_back(kind[l] + " at " + l.first + ":" + std::to_string(l.second));
  size_t true_found = 0;
  for (const auto& f : found)
    if (labels.count(f)) ++true_found;
    else out.false_alarms.push_back(rule[f] + " at " + f.first + ":" + std::to_string(f.second));
  out.recall = labels.empty() ? 0 : double(hit) / double(labels.size());
  out.precision = found.empty() ? 0 : double(true_found) / double(found.size());
  return out;
}

TEST(SecretScanner, CorpusPrecisionAndRecall) {
  auto s = make();
  ASSERT_TRUE(s);
  EXPECT_GE(s->rules().size(), 100u);
  const auto corpus = test::make_secret_corpus(42, 3);
  score sc = score_corpus(*s, corpus);
  std::printf("secret corpus: %zu files, %zu planted secrets, engine %s, %zu rules: precision %.4f recall %.4f\n",
              corpus.files.size(), corpus.labels.size(), std::string(s->engine_name()).c_str(), s->rules().size(),
              sc.precision, sc.recall);
  for (const auto& m : sc.misses) std::printf("  missed: %s\n", m.c_str());
  for (const auto& f : sc.false_alarms) std::printf("  false alarm: %s\n", f.c_str());
  EXPECT_GE(sc.precision, 0.95);
  EXPECT_GE(sc.recall, 0.95);
}

TEST(SecretScanner, EnginesAgree) {
  auto fast = make();
  auto portable = make({}, "k", {10ull << 20, secret_engine::re2});
  ASSERT_TRUE(fast && portable);
  EXPECT_EQ(portable->engine_name(), "re2");
  EXPECT_EQ(fast->version(), portable->version()); // same results, same cache key
  const auto corpus = test::make_secret_corpus(7, 1);
  for (const auto& f : corpus.files) {
    auto a = scan(*fast, f.location, f.content), b = scan(*portable, f.location, f.content);
    ASSERT_EQ(a.size(), b.size()) << f.location;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].rule_id, b[i].rule_id) << f.location;
      EXPECT_EQ(a[i].line, b[i].line) << f.location;
      EXPECT_EQ(a[i].fingerprint, b[i].fingerprint) << f.location;
    }
  }
}

TEST(SecretScanner, FindingFields) {
  auto s = make();
  const std::string token = "ghp_" + std::string("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
  auto f = scan(*s, "srv/app/deploy.sh", "#!/bin/sh\n\nexport GH=" + token + "\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "github-pat");
  EXPECT_EQ(f[0].category, "vcs");
  EXPECT_EQ(f[0].severity, "Critical");
  EXPECT_EQ(f[0].location, "srv/app/deploy.sh");
  EXPECT_EQ(f[0].line, 3u);
  EXPECT_EQ(f[0].masked, "ghp_********");
  EXPECT_EQ(f[0].fingerprint.size(), 64u);
}

TEST(SecretScanner, MaskNeverShowsMoreThanAQuarterOrFour) {
  EXPECT_EQ(mask_secret("ghp_0123456789abcdef"), "ghp_********");
  EXPECT_EQ(mask_secret("abcdefgh"), "ab********");
  EXPECT_EQ(mask_secret("abc"), "********");
  EXPECT_EQ(mask_secret(""), "********");
  for (size_t n = 0; n < 200; ++n) {
    std::string secret(n, 'z');
    std::string m = mask_secret(secret);
    size_t shown = m.size() - 8;
    EXPECT_LE(shown, 4u);
    EXPECT_LE(shown * 4, n);
  }
  // A finding never carries the secret beyond its prefix.
  auto s = make();
  const std::string pw = "Zq8!vR2#pL9@xW4t";
  auto f = scan(*s, "srv/.env", "DB_PASSWORD=" + pw + "\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].masked, "Zq8!********");
  EXPECT_EQ(f[0].rule_name.find(pw), std::string::npos);
  EXPECT_EQ(f[0].fingerprint.find(pw), std::string::npos);
}

TEST(SecretScanner, FingerprintStableAndKeyed) {
  const std::string content = "export STRIPE=sk_live_4f9Kd82hQmZx7Lp0Vb3Nc6Rt1Yw5\n";
  auto a = scan(*make_re2({}, "key-one"), "a/run.sh", content);
  auto b = scan(*make_re2({}, "key-one"), "b/other.sh", "# other file\n" + content);
  auto c = scan(*make_re2({}, "key-two"), "a/run.sh", content);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(a[0].fingerprint, b[0].fingerprint); // same secret anywhere: same fingerprint
  EXPECT_NE(a[0].fingerprint, c[0].fingerprint); // another key: another fingerprint
}

TEST(SecretScanner, VersionChangesWithRules) {
  auto base = make_re2({});
  auto same = make_re2({});
  EXPECT_EQ(base->version(), same->version());
  auto user = parse_gitleaks_toml(R"([[rules]]
id = "acme"
regex = '''acme_[a-z0-9]{32}'''
)");
  ASSERT_TRUE(user);
  auto with_rule = make_re2(*user);
  EXPECT_NE(base->version(), with_rule->version());
  auto changed = *user;
  changed.rules[0].regex = "acme_[a-z0-9]{40}";
  EXPECT_NE(with_rule->version(), make_re2(changed)->version());
  secret_ruleset no_default_paths;
  no_default_paths.allowlist_default_paths = false;
  EXPECT_NE(base->version(), make_re2(no_default_paths)->version());
  EXPECT_NE(base->version(), make_re2({}, "k", 1 << 20)->version());
  EXPECT_EQ(base->version(), make_re2({}, "other-key")->version()); // the key changes fingerprints, not findings
}

TEST(SecretScanner, BinaryAndOversizeSkipped) {
  secret_scan_limits limits;
  limits.max_file_size = 1000;
  auto s = make_re2({}, "k", limits.max_file_size);
  std::string text = "export NPM=npm_" + std::string("a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8") + "\n";
  EXPECT_EQ(scan(*s, "x.sh", text).size(), 1u);
  std::string binary = std::string("\x7f" "ELF\0\0", 6) + text;
  EXPECT_TRUE(scan(*s, "usr/bin/tool", binary).empty());
  std::string big = text + std::string(2000, '#');
  EXPECT_TRUE(scan(*s, "x.sh", big).empty());
  // Over the limit: skipped whole unless a path rule covers the file, which makes the result incomplete.
  EXPECT_FALSE(s->wants("srv/app/big.js", 5000));
  EXPECT_TRUE(s->skipped_reason("srv/app/big.js", 5000).empty());
  EXPECT_TRUE(s->wants("srv/app/.env", 5000));
  EXPECT_NE(s->skipped_reason("srv/app/.env", 5000).find("dotenv-secret"), std::string::npos);
  EXPECT_TRUE(s->skipped_reason("srv/app/.env", 500).empty());
  EXPECT_TRUE(s->wants("srv/app/main.js", 500));
}

TEST(SecretScanner, DefaultPathAllowlistCanBeTurnedOff) {
  const std::string path = "srv/app/node_modules/lib/test/fixtures/keys.js";
  const std::string content = "const t = 'glpat-Ab3De5Fg7Hj9Kl1Mn3Pq';\n";
  auto s = make();
  EXPECT_FALSE(s->wants(path, content.size()));
  EXPECT_TRUE(scan(*s, path, content).empty());
  secret_ruleset off;
  off.allowlist_default_paths = false;
  auto all = make_re2(off);
  EXPECT_TRUE(all->wants(path, content.size()));
  EXPECT_EQ(scan(*all, path, content).size(), 1u);
}

TEST(SecretScanner, ExampleKeysNeverFire) {
  auto s = make();
  EXPECT_TRUE(scan(*s, "srv/doc.txt", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE\n"
                                      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
                  .empty());
  EXPECT_TRUE(scan(*s, "srv/x.env", "TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n").empty());
}

TEST(SecretScanner, ImageConfigLocations) {
  auto s = make();
  auto env = scan(*s, "env:DB_PASSWORD", "DB_PASSWORD=Tr0ub4dor&3xyz");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0].rule_id, "image-config-secret");
  EXPECT_EQ(env[0].location, "env:DB_PASSWORD");
  auto hist = scan(*s, "history:4", "/bin/sh -c #(nop)  ARG GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_EQ(hist[0].rule_id, "github-pat"); // the specific rule wins the overlap
  EXPECT_TRUE(scan(*s, "env:PATH", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin").empty());
  EXPECT_TRUE(scan(*s, "env:PASSWORD_FILE", "PASSWORD_FILE=/run/secrets/db").empty());
}

TEST(SecretScanner, RepeatedSecretsAreCappedAndStayLinear) {
  auto s = make();
  std::string minified;
  while (minified.size() < (2u << 20)) minified += "secret: \"abcd1234efgh5678\", ";
  auto f = scan(*s, "srv/app/bundle.min.js", minified);
  EXPECT_EQ(f.size(), 1000u); // one line, capped; quadratic work here would take minutes
}

TEST(SecretScanner, EncryptedKeysAreLow) {
  test::corpus_builder b(1);
  auto s = make();
  auto plain = scan(*s, "k.pem", b.pem("PRIVATE KEY", "MIIE", 600));
  auto enc = scan(*s, "k.pem", b.pem("ENCRYPTED PRIVATE KEY", "MIIF", 600));
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(enc.size(), 1u);
  EXPECT_EQ(plain[0].severity, "Critical");
  EXPECT_EQ(enc[0].severity, "Low");
  EXPECT_EQ(plain[0].line, 1u);
}

// gitleaks TOML import

TEST(GitleaksToml, RulesWithAllowlistsSecretGroupAndEntropy) {
  auto rs = parse_gitleaks_toml(R"(title = "team rules"
[extend]
useDefault = true

[[rules]]
id = "acme-key"
description = "ACME internal key"
regex = '''(acme)_(key)=([a-z0-9]{24})'''
secretGroup = 3
entropy = 3.0
keywords = ["ACME_KEY"]
tags = ["internal"]
severity = "High"
[rules.allowlist]
regexes = ['''^0+$''']
paths = ['''^test/''']
stopwords = ["sample"]

[[rules]]
id = "ssh-key-file"
description = "An SSH key file"
path = '''(^|/)id_rsa$'''

[allowlist]
description = "global"
paths = ['''^third_party/''']
)");
  ASSERT_TRUE(rs) << rs.err().message;
  ASSERT_EQ(rs->rules.size(), 2u);
  EXPECT_EQ(rs->rules[0].secret_group, 3);
  EXPECT_DOUBLE_EQ(rs->rules[0].entropy, 3.0);
  EXPECT_EQ(rs->rules[0].keywords, std::vector<std::string>{"acme_key"});
  EXPECT_EQ(rs->rules[0].severity, "High");
  ASSERT_EQ(rs->rules[0].allowlists.size(), 1u);
  EXPECT_EQ(rs->rules[0].allowlists[0].stopwords, std::vector<std::string>{"sample"});
  ASSERT_EQ(rs->allowlists.size(), 1u);

  auto s = make(*rs);
  auto listed = s->rules();
  auto it = std::find_if(listed.begin(), listed.end(), [](const auto& r) { return r.id == "acme-key"; });
  ASSERT_NE(it, listed.end());
  EXPECT_EQ(it->source, secret_rule_source::user);

  const std::string secret = "k3j9x8m2q7w4e5r6t1y0u8i2";
  auto f = scan(*s, "srv/app.cfg", "acme_key=" + secret + "\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "acme-key");
  EXPECT_EQ(f[0].masked, "k3j9********"); // the secret group, not the whole match
  EXPECT_EQ(f[0].severity, "High");
  EXPECT_TRUE(scan(*s, "srv/app.cfg", "acme_key=aaaaaaaaaaaabbbbbbbbbbbb\n").empty());        // entropy
  EXPECT_TRUE(scan(*s, "srv/app.cfg", "acme_key=000000000000000000000000\n").empty());        // rule regex allowlist
  EXPECT_TRUE(scan(*s, "test/app.cfg", "acme_key=" + secret + "\n").empty());                // rule path allowlist
  EXPECT_TRUE(scan(*s, "srv/app.cfg", "acme_key=k3j9x8samplew4e5r6t1y0u8\n").empty());        // stopword
  EXPECT_TRUE(scan(*s, "srv/app.cfg", "ACME_KEy is set elsewhere\n").empty());
  EXPECT_FALSE(s->wants("third_party/x/app.cfg", 10));                                      // global path allowlist
  auto path_rule = scan(*s, "root/.ssh/id_rsa", "not a key\n");
  ASSERT_EQ(path_rule.size(), 1u);
  EXPECT_EQ(path_rule[0].rule_id, "ssh-key-file");
  EXPECT_EQ(path_rule[0].line, 0u);
}

TEST(GitleaksToml, KeywordGatesTheRule) {
  auto rs = parse_gitleaks_toml(R"([[rules]]
id = "k"
regex = '''[0-9]{6}'''
keywords = ["pin"]
)");
  ASSERT_TRUE(rs);
  auto s = make(*rs);
  EXPECT_EQ(scan(*s, "a.txt", "PIN: 482913\n").size(), 1u);
  EXPECT_TRUE(scan(*s, "a.txt", "zip: 482913\n").empty());
}

TEST(GitleaksToml, NewerAllowlistsArrayAndCondition) {
  auto rs = parse_gitleaks_toml(R"([[rules]]
id = "tok"
regex = '''tok_[a-z0-9]{16}'''
[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['''staging''']
paths = ['''\.cfg$''']

[[allowlists]]
targetRules = ["tok"]
stopwords = ["tok_0000"]
)");
  ASSERT_TRUE(rs) << rs.err().message;
  auto s = make(*rs);
  EXPECT_EQ(scan(*s, "a.cfg", "prod tok_k3j9x8m2q7w4e5r6\n").size(), 1u);
  EXPECT_EQ(scan(*s, "a.txt", "staging tok_k3j9x8m2q7w4e5r6\n").size(), 1u); // AND: the path does not match
  EXPECT_TRUE(scan(*s, "a.cfg", "staging tok_k3j9x8m2q7w4e5r6\n").empty());
  EXPECT_TRUE(scan(*s, "a.txt", "tok_0000k3j9x8m2q7\n").empty());
}

TEST(GitleaksToml, BadInputNamesTheLine) {
  auto expect_error = [](const std::string& toml, const std::string& line, const std::string& words) {
    auto rs = parse_gitleaks_toml(toml);
    ASSERT_FALSE(rs) << toml;
    EXPECT_EQ(rs.err().code, errc::invalid);
    EXPECT_NE(rs.err().message.find(line), std::string::npos) << rs.err().message;
    EXPECT_NE(rs.err().message.find(words), std::string::npos) << rs.err().message;
  };
  expect_error("[[rules]]\nid = \"a\"\nregex = '''(unclosed'''\n", "line 3", "does not compile");
  expect_error("[[rules]]\nid = \"a\"\n\nregex = = 'x'\n", "line 4", "");
  expect_error("[[rules]]\nid = \"a\"\nregex = 'x'\nsecretgroup = 1\n", "line 4", "unknown rule key 'secretgroup'");
  expect_error("[[rules]]\nid = \"a\"\nregex = 'a(b)'\nsecretGroup = 2\n", "line 1", "secretGroup 2");
  expect_error("[[rules]]\ndescription = \"no id\"\nregex = 'x'\n", "line 1", "needs an id");
  expect_error("[[rules]]\nid = \"a\"\nregex = 'x'\n[rules.allowlist]\nregexes = ['(']\n", "line 5", "does not compile");
  expect_error("[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = \"high\"\n", "line 4", "entropy");
  expect_error("[[rules]]\nid = \"a\"\n", "line 1", "needs a regex or a path");
}

TEST(GitleaksToml, UserRuleReplacesBuiltinWithSameId) {
  auto rs = parse_gitleaks_toml("[[rules]]\nid = \"github-pat\"\nregex = '''ghp_[a-z]{4}'''\n");
  ASSERT_TRUE(rs);
  auto s = make(*rs);
  size_t count = 0;
  for (const auto& r : s->rules()) count += r.id == "github-pat";
  EXPECT_EQ(count, 1u);
  auto f = scan(*s, "a.txt", "x ghp_abcd y\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, "Medium");
}

} // namespace
} // namespace regscan
