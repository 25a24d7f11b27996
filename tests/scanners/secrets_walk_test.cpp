// Secrets in the layer walk: every layer's files are scanned, a file that a
// later layer deletes or replaces keeps its findings, marked deleted by that
// layer; a layer replayed from its cached delta gives the same; and the
// config and build history are scanned with their locations.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "scanners/layer/image_analyzer.hpp"
#include "scanners/secrets/config_secrets.hpp"
#include "scanners/secrets/secret_scanner.hpp"
#include "tests/scanners/tar_builder.hpp"

namespace regscan {
namespace {

// A rule of our own, so that what fires does not depend on the built-in set.
constexpr const char* test_rules = R"(
[[rules]]
id = "test-token"
description = "a test token"
regex = '''tok_[a-z0-9]{20}'''
keywords = ["tok_"]
)";

std::shared_ptr<const secret_scanner> scanner(const char* rules = test_rules) {
  auto parsed = parse_gitleaks_toml(rules);
  EXPECT_TRUE(parsed) << parsed.err().message;
  auto built = secret_scanner::build(*parsed, "test fingerprint key");
  EXPECT_TRUE(built) << built.err().message;
  return *built;
}

std::string token(char c) { return "tok_" + std::string(20, c); }

struct layer {
  std::string digest;
  std::string tar;
};

struct walked {
  inventory inv;
  std::vector<layer_delta> deltas;
};

walked walk(const std::vector<layer>& layers, std::shared_ptr<const secret_scanner> s,
            analysis_limits limits = {}) {
  image_analyzer a(limits);
  a.look_for_secrets(std::move(s));
  walked out;
  for (const auto& l : layers) {
    a.begin_layer(l.digest, {}, true);
    EXPECT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(l.tar.data()), l.tar.size()));
    EXPECT_TRUE(a.end_layer());
    auto d = a.take_delta();
    EXPECT_TRUE(d) << d.err().message;
    if (d)
      out.deltas.push_back(std::move(*d));
  }
  out.inv = a.finish();
  return out;
}

std::string describe(const std::vector<secret_finding>& found) {
  std::string s;
  for (const auto& f : found)
    s += f.rule_id + " " + f.location + ":" + std::to_string(f.line) + " layer=" + f.layer
         + (f.deleted ? " deleted_by=" + f.deleted_by : "") + " masked=" + f.masked + "\n";
  return s;
}

const secret_finding* at(const inventory& inv, std::string_view location) {
  for (const auto& f : inv.secrets)
    if (f.location == location)
      return &f;
  return nullptr;
}

// l1 adds four files with tokens; l2 whites one out and replaces another;
// l3 makes a directory opaque.
std::vector<layer> three_layers() {
  tar_builder l1, l2, l3;
  l1.dir("app/").file("app/.env", "A=1\nTOKEN=" + token('a') + "\n")
    .file("app/config.yml", "db:\n  password: x\n  token: " + token('b') + "\n")
    .dir("srv/").dir("srv/conf/").file("srv/conf/x.txt", token('c'))
    .file("keep.txt", "first line\n" + token('d') + "\n");
  l2.whiteout("app/.wh..env").file("app/config.yml", "db: {}\n");
  l3.dir("srv/").whiteout("srv/.wh..wh..opq");
  return {{"sha256:l1", l1.finish()}, {"sha256:l2", l2.finish()}, {"sha256:l3", l3.finish()}};
}

TEST(secrets_walk, files_deleted_or_replaced_later_keep_their_findings_marked_deleted) {
  auto out = walk(three_layers(), scanner());
  const auto& inv = out.inv;
  EXPECT_TRUE(inv.secrets_scanned);
  EXPECT_TRUE(inv.secrets_complete);
  ASSERT_EQ(inv.secrets.size(), 4u) << describe(inv.secrets);

  auto* env = at(inv, "app/.env");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->rule_id, "test-token");
  EXPECT_EQ(env->line, 2);
  EXPECT_EQ(env->layer, "sha256:l1");
  EXPECT_TRUE(env->deleted);
  EXPECT_EQ(env->deleted_by, "sha256:l2");

  auto* yml = at(inv, "app/config.yml");
  ASSERT_NE(yml, nullptr);
  EXPECT_TRUE(yml->deleted); // replaced by a file without the token
  EXPECT_EQ(yml->deleted_by, "sha256:l2");

  auto* opaque = at(inv, "srv/conf/x.txt");
  ASSERT_NE(opaque, nullptr);
  EXPECT_TRUE(opaque->deleted);
  EXPECT_EQ(opaque->deleted_by, "sha256:l3");

  auto* kept = at(inv, "keep.txt");
  ASSERT_NE(kept, nullptr);
  EXPECT_FALSE(kept->deleted);
  EXPECT_EQ(kept->deleted_by, "");
  EXPECT_EQ(kept->line, 2);

  for (const auto& f : inv.secrets) {
    EXPECT_EQ(f.masked.find(token('a').substr(5)), std::string::npos) << f.masked;
    EXPECT_FALSE(f.fingerprint.empty());
  }
  // The same secret has the same fingerprint wherever it is; others differ.
  EXPECT_NE(env->fingerprint, kept->fingerprint);
}

TEST(secrets_walk, a_layer_replayed_from_its_delta_gives_the_same_findings) {
  auto layers = three_layers();
  auto s = scanner();
  auto fresh = walk(layers, s);
  ASSERT_EQ(fresh.deltas.size(), 3u);
  // Each layer in turn comes from the cache, the others are walked.
  for (size_t cached = 0; cached < layers.size(); ++cached) {
    image_analyzer a;
    a.look_for_secrets(s);
    for (size_t i = 0; i < layers.size(); ++i) {
      if (i == cached) {
        ASSERT_TRUE(a.replay_layer(layers[i].digest, fresh.deltas[i]));
        continue;
      }
      a.begin_layer(layers[i].digest);
      ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(layers[i].tar.data()), layers[i].tar.size()));
      ASSERT_TRUE(a.end_layer());
    }
    auto inv = a.finish();
    EXPECT_EQ(describe(inv.secrets), describe(fresh.inv.secrets)) << "layer " << cached << " cached";
  }
}

TEST(secrets_walk, the_cache_key_names_the_rule_set) {
  image_analyzer none, one, other;
  one.look_for_secrets(scanner());
  other.look_for_secrets(scanner(R"(
[[rules]]
id = "other-token"
regex = '''oth_[a-z0-9]{20}'''
)"));
  EXPECT_NE(none.cache_version(), one.cache_version());
  EXPECT_NE(one.cache_version(), other.cache_version());
}

TEST(secrets_walk, past_max_secrets_the_result_is_incomplete) {
  tar_builder l1;
  for (char c : std::string("abcdef"))
    l1.file(std::string("f") + c, token(c));
  analysis_limits limits;
  limits.max_secrets = 3;
  image_analyzer a(limits);
  a.look_for_secrets(scanner());
  auto tar = l1.finish();
  a.begin_layer("sha256:l1", {}, true);
  ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(tar.data()), tar.size()));
  ASSERT_TRUE(a.end_layer());
  EXPECT_FALSE(a.take_delta()) << "an incomplete layer is not cached";
  auto inv = a.finish();
  EXPECT_EQ(inv.secrets.size(), 3u);
  EXPECT_FALSE(inv.secrets_complete);
  bool noted = false;
  for (const auto& n : inv.notes)
    noted = noted || n.find("max_secrets") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(secrets_walk, a_long_text_file_is_read_whole_and_a_binary_is_skipped) {
  std::string text(20000, 'x');
  for (size_t i = 80; i < text.size(); i += 81)
    text[i] = '\n';
  std::string binary = "\x7f" "ELF" + std::string(100, '\0') + text;
  tar_builder l1;
  l1.file("big.txt", text + "\n" + token('a') + "\n").file("prog", binary + token('b'), 0755);
  auto out = walk({{"sha256:l1", l1.finish()}}, scanner());
  ASSERT_EQ(out.inv.secrets.size(), 1u) << describe(out.inv.secrets);
  EXPECT_EQ(out.inv.secrets[0].location, "big.txt");
  EXPECT_TRUE(out.inv.secrets_complete);
}

TEST(secrets_walk, without_a_scanner_nothing_is_looked_for) {
  image_analyzer a;
  auto layers = three_layers();
  a.begin_layer(layers[0].digest);
  ASSERT_TRUE(a.feed(reinterpret_cast<const uint8_t*>(layers[0].tar.data()), layers[0].tar.size()));
  ASSERT_TRUE(a.end_layer());
  auto inv = a.finish();
  EXPECT_FALSE(inv.secrets_scanned);
  EXPECT_TRUE(inv.secrets.empty());
}

TEST(config_secrets, env_labels_cmd_and_history_steps_with_their_layers) {
  std::string config = R"({
    "config": {
      "Env": ["PATH=/usr/bin", "API_TOKEN=)" + token('e') + R"("],
      "Labels": {"build.token": ")" + token('f') + R"(", "maintainer": "ops"},
      "Cmd": ["/app", "--token", ")" + token('g') + R"("],
      "Entrypoint": ["/bin/sh", "-c"]
    },
    "history": [
      {"created_by": "ADD rootfs.tar /"},
      {"created_by": "ARG TOKEN=)" + token('h') + R"(", "empty_layer": true},
      {"created_by": "RUN curl -H 'x: )" + token('i') + R"(' https://example.org | sh"}
    ]
  })";
  auto found = config_secrets(*scanner(), config, {"sha256:base", "sha256:run"});
  ASSERT_EQ(found.size(), 5u) << describe(found);
  std::map<std::string, std::string> layer_of;
  for (const auto& f : found)
    layer_of[f.location] = f.layer;
  EXPECT_EQ(layer_of.count("env:API_TOKEN"), 1u);
  EXPECT_EQ(layer_of.count("label:build.token"), 1u);
  EXPECT_EQ(layer_of.count("cmd"), 1u);
  EXPECT_EQ(layer_of["history:1"], ""); // an ARG step makes no layer
  EXPECT_EQ(layer_of["history:2"], "sha256:run");
  EXPECT_TRUE(config_secrets(*scanner(), "not json", {}).empty());
}

} // namespace
} // namespace regscan
