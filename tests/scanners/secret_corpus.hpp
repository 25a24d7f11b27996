#pragma once
// A labelled corpus for the secret scanner: tokens generated at random in each
// vendor's real shape (prefix, alphabet, length, GitHub's CRC32 suffix, PEM
// framing), planted in realistic files, beside near-misses that must not fire
// (doc example keys, placeholders, hashes, UUIDs, base64 blobs, test vectors,
// public keys, real-shaped tokens under test-fixture paths). The precision and
// recall test and the gitleaks benchmark share it.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace regscan::test {

struct corpus_file {
  std::string location; // a path, or "env:NAME" / "history:N" for image-config items
  std::string content;
  bool is_file() const { return location.find(':') == std::string::npos; }
};

struct corpus_label {
  std::string location;
  uint32_t line;     // where the match starts
  std::string kind;  // the generator's name, for the test's miss report
};

struct secret_corpus {
  std::vector<corpus_file> files;
  std::vector<corpus_label> labels;
};

class corpus_builder {
 public:
  explicit corpus_builder(uint64_t seed) : rng_(seed) {}

  static constexpr const char* upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  static constexpr const char* lower_ = "abcdefghijklmnopqrstuvwxyz";
  static constexpr const char* digits = "0123456789";
  static constexpr const char* hexl = "0123456789abcdef";
  static constexpr const char* alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static constexpr const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr const char* b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  std::string pick(const std::string& alphabet, size_t n) {
    std::uniform_int_distribution<size_t> d(0, alphabet.size() - 1);
    std::string s;
    for (size_t i = 0; i < n; ++i) s += alphabet[d(rng_)];
    return s;
  }
  size_t between(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng_); }
  std::string uuid() {
    return pick(hexl, 8) + "-" + pick(hexl, 4) + "-4" + pick(hexl, 3) + "-a" + pick(hexl, 3) + "-" + pick(hexl, 12);
  }
  std::string password() { return pick(alnum, 6) + pick("!#%^*-_+=", 1) + pick(alnum, 9); }

  // GitHub's format: 30 random base62 characters, then the CRC32 of them in 6 base62 digits.
  std::string github(const std::string& prefix) {
    std::string body = pick(alnum, 30);
    uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                               static_cast<uInt>(body.size())));
    std::string sum;
    for (int i = 0; i < 6; ++i) sum.insert(sum.begin(), alnum[crc % 62]), crc /= 62;
    return prefix + body + sum;
  }

  static std::string base64(const std::string& in, bool url = false) {
    const char* a = url ? b64url : b64;
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
      for (int k = 18; k >= 0; k -= 6) out += a[(v >> k) & 63];
    }
    if (i + 1 == in.size()) {
      uint32_t v = uint8_t(in[i]) << 16;
      out += a[(v >> 18) & 63], out += a[(v >> 12) & 63];
      if (!url) out += "==";
    } else if (i + 2 == in.size()) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
      out += a[(v >> 18) & 63], out += a[(v >> 12) & 63], out += a[(v >> 6) & 63];
      if (!url) out += "=";
    }
    return out;
  }

  std::string random_bytes(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>(between(0, 255));
    return s;
  }

  // PEM body lines of 64 characters; `head` is the DER prefix real keys start with.
  std::string pem(const std::string& label, const std::string& head, size_t bytes,
                  const std::string& headers = "", const std::string& nl = "\n") {
    return "-----BEGIN " + label + "-----" + nl + headers + pem_body(head, bytes, nl) + "-----END " + label +
           "-----" + nl;
  }
  std::string pem_body(const std::string& head, size_t bytes, const std::string& nl = "\n") {
    std::string body = head + base64(random_bytes(bytes)).substr(head.size());
    std::string out;
    for (size_t i = 0; i < body.size(); i += 64) out += body.substr(i, 64) + nl;
    return out;
  }

  std::string jwt() {
    std::string header = base64(R"({"alg":"HS256","typ":"JWT"})", true);
    std::string payload = base64(R"({"sub":")" + pick(digits, 8) + R"(","role":"admin","iat":)" +
                                     pick(digits, 10) + "}",
                                 true);
    return header + "." + payload + "." + pick(b64url, 43);
  }

  /// A file with filler lines around the snippet; labels the snippet lines
  /// listed in `secret_lines` (0-based within the snippet).
  void plant(const std::string& location, const std::string& before, const std::string& snippet,
             const std::string& after, std::vector<uint32_t> secret_lines, const std::string& kind) {
    uint32_t first = 1 + static_cast<uint32_t>(std::count(before.begin(), before.end(), '\n'));
    for (uint32_t l : secret_lines) out_.labels.push_back({location, first + l, kind});
    out_.files.push_back({location, before + snippet + after});
  }
  void clean(const std::string& location, const std::string& content) {
    out_.files.push_back({location, content});
  }

  secret_corpus take() { return std::move(out_); }

 private:
  std::mt19937_64 rng_;
  secret_corpus out_;
};

/// Fillers of each file kind, so that secrets sit in realistic text.
inline std::string js_head() {
  return "'use strict';\n\nconst express = require('express');\nconst app = express();\n\n"
         "// configuration for the upstream client\n";
}
inline std::string js_tail() {
  return "\napp.get('/health', (req, res) => res.json({ ok: true }));\nmodule.exports = app;\n";
}
inline std::string py_head() {
  return "import os\nimport logging\n\nlog = logging.getLogger(__name__)\n\n";
}
inline std::string py_tail() { return "\n\ndef client():\n    return Client(timeout=30)\n"; }
inline std::string sh_head() { return "#!/bin/sh\nset -eu\n\n# deploy settings\n"; }
inline std::string sh_tail() { return "\nexec /usr/local/bin/server --port 8080\n"; }
inline std::string yaml_head() { return "service:\n  name: billing\n  replicas: 3\nsettings:\n"; }
inline std::string yaml_tail() { return "  timeout: 30s\n  retries: 5\n"; }

/// The corpus: `rounds` instances of every secret kind and every near-miss.
inline secret_corpus make_secret_corpus(uint64_t seed = 42, int rounds = 3) {
  corpus_builder b(seed);
  int n = 0;
  auto id = [&] { return std::to_string(++n); };

  // A token assigned in a source file of a kind picked round-robin.
  auto token = [&](const std::string& kind, const std::string& name, const std::string& value) {
    switch (n % 4) {
      case 0:
        b.plant("srv/app/src/config" + id() + ".js", js_head(), "const " + name + " = '" + value + "';\n",
                js_tail(), {0}, kind);
        break;
      case 1:
        b.plant("opt/service/app/settings_local" + id() + ".py", py_head(), name + " = \"" + value + "\"\n",
                py_tail(), {0}, kind);
        break;
      case 2:
        b.plant("usr/local/bin/deploy" + id() + ".sh", sh_head(), "export " + name + "=" + value + "\n",
                sh_tail(), {0}, kind);
        break;
      default:
        b.plant("etc/app/conf" + id() + ".yaml", yaml_head(), "  " + name + ": \"" + value + "\"\n",
                yaml_tail(), {0}, kind);
    }
  };
  using C = corpus_builder;
  const std::string alnum = C::alnum, hexl = C::hexl, up = C::upper, lo = C::lower_, dig = C::digits;
  const std::string upnum = up + dig, lonum = lo + dig, b64s = C::b64, b64u = std::string(C::alnum) + "-_";

  for (int round = 0; round < rounds; ++round) {
    // cloud
    {
      std::string id_ = "AKIA" + b.pick(up + "234567", 16), secret = b.pick(alnum + "/+", 40);
      b.plant("root/.aws/credentials" + id(), "[default]\nregion = eu-west-1\n",
              "aws_access_key_id = " + id_ + "\naws_secret_access_key = " + secret + "\n", "", {0, 1}, "aws");
    }
    token("aws-mws", "MWS_AUTH_TOKEN", "amzn.mws." + b.uuid());
    {
      std::string key = b.pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 1200, "", "\\n");
      b.plant("srv/app/keys/sa" + id() + ".json",
              "{\n  \"type\": \"service_account\",\n  \"project_id\": \"billing-prod\",\n  \"private_key_id\": \"" +
                  b.pick(hexl, 40) + "\",\n",
              "  \"private_key\": \"" + key + "\",\n",
              "  \"client_email\": \"svc@billing-prod.iam.gserviceaccount.com\"\n}\n", {0}, "gcp-sa");
    }
    token("gcp-api-key", "firebaseApiKey", "AIza" + b.pick(b64u, 35));
    token("gcp-oauth", "GOOGLE_CLIENT_SECRET", "GOCSPX-" + b.pick(b64u, 28));
    token("azure-storage", "AZURE_STORAGE_CONNECTION_STRING",
          "DefaultEndpointsProtocol=https;AccountName=acct" + b.pick(lonum, 6) + ";AccountKey=" + b.pick(alnum + "+/", 86) +
              "==;EndpointSuffix=core.windows.net");
    token("azure-ad", "AZURE_CLIENT_SECRET", b.pick(alnum, 3) + b.pick(dig, 1) + "Q~" + b.pick(alnum + "_~.-", 34));
    token("azure-sas", "BLOB_URL",
          "https://acct.blob.core.windows.net/c/f.bin?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=" +
              b.pick(alnum, 43) + "%3D");
    token("azure-appconfig", "APPCONFIG", "Endpoint=https://cfg" + b.pick(lonum, 5) + ".azconfig.io;Id=" +
                                              b.pick(alnum, 8) + ";Secret=" + b.pick(alnum + "+/", 43) + "=");
    token("azure-servicebus", "SERVICEBUS", "Endpoint=sb://bus" + b.pick(lonum, 5) +
                                                ".servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" +
                                                b.pick(alnum + "+/", 43) + "=");
    b.plant("etc/aliyun/credentials" + id() + ".ini", "[default]\ntype = access_key\n",
            "access_key_id = LTAI" + b.pick(alnum, 20) + "\naccess_key_secret = " + b.pick(alnum, 30) + "\n", "",
            {0, 1}, "alibaba");
    b.plant("srv/app/.tencent" + id() + ".sh", sh_head(),
            "export TENCENTCLOUD_SECRET_ID=AKID" + b.pick(alnum, 32) + "\nexport TENCENTCLOUD_SECRET_KEY=" +
                b.pick(alnum, 32) + "\n",
            sh_tail(), {0, 1}, "tencent");
    token("digitalocean", "DO_TOKEN", "dop_v1_" + b.pick(hexl, 64));
    token("digitalocean-oauth", "DO_OAUTH", "doo_v1_" + b.pick(hexl, 64));
    token("digitalocean-refresh", "DO_REFRESH", "dor_v1_" + b.pick(hexl, 64));
    token("heroku", "HEROKU_API_KEY", b.uuid());
    token("cloudflare", "CLOUDFLARE_API_TOKEN", b.pick(b64u, 40));
    token("cloudflare-origin", "ORIGIN_CA_KEY", "v1.0-" + b.pick(hexl, 24) + "-" + b.pick(hexl, 146));
    token("fastly", "FASTLY_API_TOKEN", b.pick(alnum, 32));
    token("linode", "LINODE_TOKEN", b.pick(hexl, 64));
    token("scaleway", "SCW_SECRET_KEY", b.uuid());
    token("vault", "VAULT_TOKEN", "hvs." + b.pick(b64u, 95));
    token("vault-batch", "VAULT_BATCH", "hvb." + b.pick(b64u, 150));
    token("terraform", "TFE_TOKEN", b.pick(alnum, 14) + ".atlasv1." + b.pick(b64u, 67));
    token("doppler", "DOPPLER_TOKEN", "dp.pt." + b.pick(alnum, 43));
    token("pulumi", "PULUMI_ACCESS_TOKEN", "pul-" + b.pick(hexl, 40));
    token("databricks", "DATABRICKS_TOKEN", "dapi" + b.pick(hexl, 32));
    token("planetscale", "PSCALE_TOKEN", "pscale_tkn_" + b.pick(b64u, 43));
    token("planetscale-pw", "PSCALE_PW", "pscale_pw_" + b.pick(b64u, 43));
    token("supabase", "SUPABASE_ACCESS_TOKEN", "sbp_" + b.pick(hexl, 40));
    token("flyio", "FLY_API_TOKEN", "FlyV1 fm2_" + b.pick(alnum + "+/", 140));
    token("jfrog", "ARTIFACTORY_API_KEY", "AKCp" + b.pick(alnum, 69));
    // source hosting and CI
    for (const char* p : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}) token(p, "GITHUB_TOKEN", b.github(p));
    token("github-fine-grained", "GH_TOKEN", "github_pat_" + b.pick(alnum, 22) + "_" + b.pick(alnum, 59));
    token("gitlab", "GITLAB_TOKEN", "glpat-" + b.pick(b64u, 20));
    token("gitlab-trigger", "TRIGGER_TOKEN", "glptt-" + b.pick(hexl, 40));
    token("gitlab-runner-reg", "REGISTRATION_TOKEN", "GR1348941" + b.pick(b64u, 20));
    token("gitlab-runner", "RUNNER_TOKEN", "glrt-" + b.pick(b64u, 20));
    token("gitlab-deploy", "DEPLOY_TOKEN", "gldt-" + b.pick(b64u, 20));
    token("gitlab-feed", "FEED_TOKEN", "glft-" + b.pick(b64u, 20));
    token("gitlab-oauth", "GITLAB_APP_SECRET", "gloas-" + b.pick(b64u, 64));
    token("gitlab-job", "CI_JOB", "glcbt-" + b.pick(alnum, 2) + "_" + b.pick(b64u, 20));
    token("bitbucket", "BITBUCKET_APP_PASSWORD", "ATBB" + b.pick(alnum, 32));
    token("bitbucket-secret", "BITBUCKET_CLIENT_SECRET", b.pick(alnum, 64));
    token("atlassian", "JIRA_API_TOKEN", "ATATT3" + b.pick(b64u, 186));
    token("circleci", "CIRCLE_TOKEN", "CCIPAT_" + b.pick(alnum, 22) + "_" + b.pick(hexl, 40));
    token("buildkite", "BUILDKITE_API_TOKEN", "bkua_" + b.pick(hexl, 40));
    token("sourcegraph", "SRC_ACCESS_TOKEN", "sgp_" + b.pick(hexl, 16) + "_" + b.pick(hexl, 40));
    token("dockerhub", "DOCKERHUB_TOKEN", "dckr_pat_" + b.pick(b64u, 27));
    token("octopus", "OCTOPUS_API_KEY", "API-" + b.pick(upnum, 26));
    token("harness", "HARNESS_TOKEN", "pat." + b.pick(b64u, 22) + "." + b.pick(hexl, 24) + "." + b.pick(alnum, 20));
    // chat
    token("slack-bot", "SLACK_BOT_TOKEN", "xoxb-" + b.pick(dig, 12) + "-" + b.pick(dig, 13) + "-" + b.pick(alnum, 24));
    token("slack-user", "SLACK_USER_TOKEN",
          "xoxp-" + b.pick(dig, 12) + "-" + b.pick(dig, 12) + "-" + b.pick(dig, 13) + "-" + b.pick(hexl, 32));
    token("slack-app", "SLACK_APP_TOKEN", "xapp-1-A" + b.pick(upnum, 10) + "-" + b.pick(dig, 13) + "-" + b.pick(hexl, 64));
    token("slack-config", "SLACK_CONFIG_TOKEN", "xoxe.xoxp-1-" + b.pick(upnum, 165));
    token("slack-legacy", "SLACK_LEGACY", "xoxs-" + b.pick(dig, 11) + "-" + b.pick(alnum, 40));
    token("slack-webhook", "SLACK_WEBHOOK",
          "https://hooks.slack.com/services/T" + b.pick(upnum, 10) + "/B" + b.pick(upnum, 10) + "/" + b.pick(alnum, 24));
    token("discord-webhook", "DISCORD_WEBHOOK",
          "https://discord.com/api/webhooks/" + b.pick(dig, 19) + "/" + b.pick(b64u, 68));
    token("discord-bot", "DISCORD_BOT_TOKEN",
          "M" + b.pick(alnum, 25) + "." + b.pick(b64u, 6) + "." + b.pick(b64u, 38));
    token("telegram", "TELEGRAM_BOT_TOKEN", b.pick("123456789", 1) + b.pick(dig, 9) + ":AA" + b.pick(b64u, 33));
    token("dingtalk", "DINGTALK_WEBHOOK", "https://oapi.dingtalk.com/robot/send?access_token=" + b.pick(hexl, 64));
    token("dingtalk-secret", "DINGTALK_SIGN", "SEC" + b.pick(hexl, 64));
    token("feishu", "FEISHU_WEBHOOK", "https://open.feishu.cn/open-apis/bot/v2/hook/" + b.uuid());
    token("feishu-secret", "FEISHU_APP_SECRET", b.pick(alnum, 32));
    token("wecom", "WECOM_WEBHOOK", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + b.uuid());
    token("wecom-secret", "CORP_SECRET", b.pick(b64u, 43));
    token("wechat", "WECHAT_APP_SECRET", b.pick(hexl, 32));
    token("teams", "TEAMS_WEBHOOK", "https://contoso.webhook.office.com/webhookb2/" + b.uuid() + "@" + b.uuid() +
                                        "/IncomingWebhook/" + b.pick(alnum, 32) + "/" + b.uuid());
    token("twitter", "TWITTER_BEARER", "AAAAAAAAAAAAAAAAAAAAA" + b.pick(alnum, 80));
    // payment
    token("stripe", "STRIPE_SECRET_KEY", "sk_live_" + b.pick(alnum, 99));
    token("stripe-restricted", "STRIPE_RK", "rk_live_" + b.pick(alnum, 99));
    token("stripe-test", "STRIPE_TEST_KEY", "sk_test_" + b.pick(alnum, 99));
    token("stripe-webhook", "STRIPE_WEBHOOK_SECRET", "whsec_" + b.pick(alnum, 32));
    token("braintree", "BRAINTREE_TOKEN", "access_token$production$" + b.pick(lonum, 16) + "$" + b.pick(hexl, 32));
    token("square", "SQUARE_ACCESS_TOKEN", "EAAA" + b.pick(b64u, 60));
    token("square-secret", "SQUARE_SECRET", "sq0csp-" + b.pick(b64u, 43));
    token("flutterwave", "FLW_SECRET_KEY", "FLWSECK-" + b.pick(hexl, 32) + "-X");
    for (const char* p : {"shpat_", "shpca_", "shppa_", "shpss_"}) token(p, "SHOPIFY_TOKEN", p + b.pick(hexl, 32));
    token("gocardless", "GOCARDLESS_ACCESS_TOKEN", "live_" + b.pick(b64u, 40));
    token("easypost", "EASYPOST_API_KEY", "EZAK" + b.pick(alnum, 54));
    token("shippo", "SHIPPO_TOKEN", "shippo_live_" + b.pick(hexl, 40));
    token("duffel", "DUFFEL_TOKEN", "duffel_live_" + b.pick(b64u, 43));
    // SaaS
    token("openai", "OPENAI_API_KEY", "sk-proj-" + b.pick(b64u, 58) + "T3BlbkFJ" + b.pick(b64u, 58));
    token("anthropic", "ANTHROPIC_API_KEY", "sk-ant-api03-" + b.pick(b64u, 93) + "AA");
    token("huggingface", "HF_TOKEN", "hf_" + b.pick(up + lo, 34));
    token("groq", "GROQ_API_KEY", "gsk_" + b.pick(alnum, 52));
    token("replicate", "REPLICATE_API_TOKEN", "r8_" + b.pick(alnum, 37));
    token("perplexity", "PPLX_API_KEY", "pplx-" + b.pick(alnum, 48));
    token("twilio", "TWILIO_API_KEY", "SK" + b.pick(hexl, 32));
    token("twilio-auth", "TWILIO_AUTH_TOKEN", b.pick(hexl, 32));
    token("sendgrid", "SENDGRID_API_KEY", "SG." + b.pick(b64u, 22) + "." + b.pick(b64u, 43));
    token("mailgun", "MAILGUN_KEY", "key-" + b.pick(hexl, 32));
    token("mailchimp", "MAILCHIMP_KEY", b.pick(hexl, 32) + "-us" + std::to_string(b.between(1, 21)));
    token("npm", "NPM_TOKEN", "npm_" + b.pick(alnum, 36));
    token("pypi", "PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc" + b.pick(b64u, 70));
    token("rubygems", "GEM_HOST_API_KEY", "rubygems_" + b.pick(hexl, 48));
    token("nuget", "NUGET_API_KEY", "oy2" + b.pick(lonum, 43));
    token("clojars", "CLOJARS_TOKEN", "CLOJARS_" + b.pick(lonum, 60));
    token("sentry-org", "SENTRY_AUTH_TOKEN", "sntrys_eyJ" + b.pick(b64u, 100));
    token("sentry-user", "SENTRY_USER_TOKEN", "sntryu_" + b.pick(hexl, 64));
    token("datadog", "DD_API_KEY", b.pick(hexl, 32));
    token("datadog-app", "DD_APP_KEY", b.pick(hexl, 40));
    token("newrelic", "NEW_RELIC_API_KEY", "NRAK-" + b.pick(upnum, 27));
    token("newrelic-insert", "NEW_RELIC_INSERT_KEY", "NRII-" + b.pick(b64u, 32));
    token("newrelic-browser", "NR_BROWSER_KEY", "NRJS-" + b.pick(hexl, 19));
    token("grafana-cloud", "GRAFANA_CLOUD_TOKEN", "glc_" + b.pick(alnum + "+/", 80));
    token("grafana-sa", "GRAFANA_SA_TOKEN", "glsa_" + b.pick(alnum, 32) + "_" + b.pick(hexl, 8));
    token("linear", "LINEAR_API_KEY", "lin_api_" + b.pick(alnum, 40));
    token("notion", "NOTION_TOKEN", "ntn_" + b.pick(dig, 11) + b.pick(alnum, 35));
    token("airtable", "AIRTABLE_PAT", "pat" + b.pick(alnum, 14) + "." + b.pick(hexl, 64));
    token("postman", "POSTMAN_API_KEY", "PMAK-" + b.pick(hexl, 24) + "-" + b.pick(hexl, 34));
    token("figma", "FIGMA_TOKEN", "figd_" + b.pick(b64u, 40));
    token("dropbox", "DROPBOX_TOKEN", "sl." + b.pick(b64u, 135));
    token("okta", "OKTA_API_TOKEN", "00" + b.pick(b64u, 40));
    token("hubspot", "HUBSPOT_TOKEN", "pat-na1-" + b.uuid());
    token("typeform", "TYPEFORM_TOKEN", "tfp_" + b.pick(alnum, 59));
    token("contentful", "CONTENTFUL_PAT", "CFPAT-" + b.pick(b64u, 43));
    token("mapbox", "MAPBOX_SECRET", "sk.eyJ" + b.pick(b64u, 60) + "." + b.pick(b64u, 22));
    token("prefect", "PREFECT_API_KEY", "pnu_" + b.pick(alnum, 36));
    token("readme", "README_API_KEY", "rdme_" + b.pick(lonum, 70));
    token("infracost", "INFRACOST_API_KEY", "ico-" + b.pick(alnum, 32));
    token("frameio", "FRAMEIO_TOKEN", "fio-u-" + b.pick(b64u, 64));
    token("snyk", "SNYK_TOKEN", b.uuid());
    token("algolia", "ALGOLIA_ADMIN_KEY", b.pick(hexl, 32));
    token("age", "AGE_KEY", "AGE-SECRET-KEY-1" + b.pick("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58));
    token("jwt", "SESSION_JWT", b.jwt());
    // private keys, as files
    b.plant("root/.ssh/id_rsa" + id(), "", b.pem("RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA", 1190), "", {0}, "rsa");
    b.plant("etc/ssl/private/ec" + id() + ".key", "", b.pem("EC PRIVATE KEY", "MHcCAQEEI", 121), "", {0}, "ec");
    b.plant("etc/ssl/private/dsa" + id() + ".key", "", b.pem("DSA PRIVATE KEY", "MIIBuwIBAAKBgQ", 443), "", {0}, "dsa");
    b.plant("etc/ssl/private/server" + id() + ".key", "", b.pem("PRIVATE KEY", "MIIEvgIBADANBgkqhkiG9w0BAQEFAASC", 1218),
            "", {0}, "pkcs8");
    b.plant("etc/ssl/private/enc" + id() + ".key", "",
            b.pem("ENCRYPTED PRIVATE KEY", "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQww", 1300), "", {0},
            "pkcs8-encrypted");
    b.plant("etc/ssl/private/legacy" + id() + ".pem", "",
            b.pem("RSA PRIVATE KEY", "", 1190, "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC," + b.pick("0123456789ABCDEF", 32) + "\n\n"),
            "", {0}, "pem-encrypted");
    b.plant("home/dev/.ssh/id_ed25519" + id(), "",
            b.pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW", 300), "",
            {0}, "openssh");
    b.plant("home/dev/.ssh/id_enc" + id(), "",
            b.pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABD", 400), "",
            {0}, "openssh-encrypted");
    b.plant("home/dev/secring" + id() + ".asc", "",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + b.pem_body("lQOYBF", 900) + "=" + b.pick(b64s, 4) +
                "\n-----END PGP PRIVATE KEY BLOCK-----\n", "", {0}, "pgp");
    {
      std::string body;
      std::string raw = C::base64(b.random_bytes(600));
      for (size_t i = 0; i < raw.size(); i += 64) body += raw.substr(i, 64) + "\n";
      b.plant("home/dev/putty" + id() + ".ppk", "",
              "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key-20240101\nPublic-Lines: 2\n" +
                  b.pick(b64s, 64) + "\n" + b.pick(b64s, 40) + "\nPrivate-Lines: " + std::to_string(raw.size() / 64 + 1) + "\n" + body,
              "Private-MAC: " + b.pick(hexl, 64) + "\n", {0}, "putty");
    }
    b.plant("root/.kube/config" + id() + ".yaml", "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n",
            "    client-key-data: " + C::base64(b.random_bytes(1200)) + "\n", "current-context: prod\n", {0},
            "kube-client-key");
    // passwords in config files
    b.plant("srv/app" + id() + "/.env", "NODE_ENV=production\nPORT=3000\n",
            "DB_PASSWORD=" + b.password() + "\n", "LOG_LEVEL=info\n", {0}, "dotenv");
    b.plant("opt/app/conf/db" + id() + ".properties", "db.url=jdbc:postgresql://db:5432/app\ndb.user=app\n",
            "db.password=" + b.password() + "\n", "db.pool=10\n", {0}, "properties");
    b.plant("srv/site" + id() + "/mysite/settings.py", "DEBUG = False\nALLOWED_HOSTS = ['*']\n",
            "SECRET_KEY = '" + b.pick(alnum + "!@#%^&*(-_=+)", 50) + "'\n", "TIME_ZONE = 'UTC'\n", {0}, "django");
    b.plant("opt/api" + id() + "/application.yml", "spring:\n  datasource:\n    url: jdbc:mysql://db/app\n    username: app\n",
            "    password: " + b.password() + "\n", "server:\n  port: 8080\n", {0}, "spring");
    b.plant("root" + id() + "/.docker/config.json", "{\n  \"auths\": {\n    \"registry.example.com\": {\n",
            "      \"auth\": \"" + C::base64("deploy:" + b.password()) + "\"\n", "    }\n  }\n}\n", {0}, "docker-config");
    b.plant("home/node" + id() + "/.npmrc", "registry=https://registry.npmjs.org/\n",
            "//npm.internal.example.net/:_authToken=" + b.uuid() + "\n", "", {0}, "npmrc");
    b.plant("root" + id() + "/.pypirc", "[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.internal/\nusername = ci\n",
            "password = " + b.password() + "\n", "", {0}, "pypirc");
    b.plant("root" + id() + "/.git-credentials", "",
            "https://ci-bot:" + b.password() + "@git.internal.net\n", "", {0}, "git-credentials");
    b.plant("root" + id() + "/.kube/config", "apiVersion: v1\nusers:\n- name: ci\n  user:\n",
            "    token: " + b.pick(b64u, 60) + "\n", "", {0}, "kubeconfig-token");
    b.plant("root" + id() + "/.netrc", "", "machine api.internal.net login deploy password " + b.password() + "\n", "", {0},
            "netrc");
    b.plant("var/lib/postgresql" + id() + "/.pgpass", "", "db.internal:5432:app:app:" + b.password() + "\n", "", {0},
            "pgpass");
    b.plant("etc/mysql" + id() + "/my.cnf", "[client]\nuser = root\n", "password = " + b.password() + "\n", "", {0},
            "my.cnf");
    b.plant("var/www/html" + id() + "/wp-config.php", "<?php\ndefine( 'DB_NAME', 'wp' );\n",
            "define( 'DB_PASSWORD', '" + b.password() + "' );\n", "define( 'DB_HOST', 'localhost' );\n", {0}, "wordpress");
    b.plant("opt/etl" + id() + "/job.conf", "source.driver=org.postgresql.Driver\n",
            "source.url=jdbc:postgresql://db:5432/etl?user=etl&password=" + b.password() + "\n", "", {0}, "jdbc");
    b.plant("srv/worker" + id() + "/worker.py", py_head(),
            "BROKER = \"amqp://worker:" + b.password() + "@rabbit.internal:5672/\"\n", py_tail(), {0}, "connstr");
    b.plant("srv/api" + id() + "/db.js", js_head(),
            "const pool = new Pool({ connectionString: 'postgresql://api:" + b.password() + "@db.internal:5432/api' });\n",
            js_tail(), {0}, "connstr");
    b.plant("srv/app" + id() + "/config.js", js_head(), "  apiSecret: \"" + b.pick(alnum, 32) + "\",\n", js_tail(), {0},
            "generic");
    // image config and build history
    {
      std::string loc = "env:DB_PASSWORD#" + id();
      b.plant(loc, "", "DB_PASSWORD=" + b.password(), "", {0}, "env");
      loc = "history:" + id();
      b.plant(loc, "", "/bin/sh -c #(nop)  ENV API_TOKEN=" + b.pick(alnum, 24), "", {0}, "history");
    }

    // near-misses: none of these may fire
    b.clean("srv/docs" + id() + "/aws-setup.txt",
            "Configure the CLI:\n  aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "  aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    b.clean("srv/app" + id() + "/.env.example",
            "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nSTRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX\n"
            "DB_PASSWORD=${DB_PASSWORD}\nAPI_KEY=<your-api-key>\nSECRET=changeme\n");
    b.clean("srv/app/src/auth" + id() + ".py",
            py_head() + "password = os.environ[\"DB_PASSWORD\"]\ntoken = request.headers.get(\"X-Token\")\n"
                        "if password != confirm_password:\n    raise ValueError('password mismatch')\n"
                        "api_key = settings.API_KEY\nsecret = get_secret('prod/db')\n" + py_tail());
    b.clean("srv/app/src/client" + id() + ".js",
            js_head() + "const apiKey = process.env.API_KEY;\nconst token = config.auth.token;\n"
                        "const secret = \"your_secret_here\";\nconst password = 'password';\n" + js_tail());
    {
      std::string lock = "{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n";
      for (int i = 0; i < 20; ++i)
        lock += "    \"node_modules/pkg" + std::to_string(i) + "\": {\n      \"version\": \"1." + std::to_string(i) +
                ".0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg/-/pkg-1.0.0.tgz\",\n      \"integrity\": \"sha512-" +
                C::base64(b.random_bytes(64)) + "\"\n    },\n";
      b.clean("srv/app" + id() + "/package-lock.json", lock + "  }\n}\n");
    }
    {
      std::string sums;
      for (int i = 0; i < 30; ++i) sums += b.pick(hexl, 64) + "  usr/lib/x86_64-linux-gnu/lib" + std::to_string(i) + ".so\n";
      for (int i = 0; i < 10; ++i) sums += "commit " + b.pick(hexl, 40) + "\nmd5: " + b.pick(hexl, 32) + "\n";
      for (int i = 0; i < 10; ++i) sums += "image: registry.internal/app@sha256:" + b.pick(hexl, 64) + "\n";
      b.clean("var/lib/app" + id() + "/checksums.txt", sums);
    }
    {
      std::string ids;
      for (int i = 0; i < 30; ++i) ids += "{\"id\": \"" + b.uuid() + "\", \"request_id\": \"" + b.uuid() + "\"}\n";
      b.clean("var/log/app" + id() + "/requests.jsonl", ids);
    }
    {
      std::string blob = ".logo { background: url(data:image/png;base64,";
      blob += C::base64(b.random_bytes(3000));
      blob += "); }\n";
      std::string wrapped;
      std::string raw = C::base64(b.random_bytes(2400));
      for (size_t i = 0; i < raw.size(); i += 76) wrapped += raw.substr(i, 76) + "\n";
      b.clean("srv/app/public/site" + id() + ".css", blob);
      b.clean("srv/app/data/attachment" + id() + ".b64", wrapped);
    }
    b.clean("usr/share/app/aes-vectors" + id() + ".rsp",
            "# AES-128 known-answer tests\nCOUNT = 0\nKEY = 2b7e151628aed2a6abf7158809cf4f3c\n"
            "PLAINTEXT = 6bc1bee22e409f96e93d7e117393172a\nCIPHERTEXT = 3ad77bb40d7a3660a89ecaf32466ef97\n"
            "COUNT = 1\nKEY = " + b.pick(hexl, 64) + "\nIV = " + b.pick(hexl, 32) + "\n");
    b.clean("etc/ssl/certs/server" + id() + ".pem", b.pem("CERTIFICATE", "MIIDdzCCAl+gAwIBAgIE", 890) +
                                                        b.pem("PUBLIC KEY", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 290));
    b.clean("root/.ssh/id_rsa" + id() + ".pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + b.pick(b64s, 330) + " dev@laptop\n");
    b.clean("srv/app/node_modules/octo-client/test/fixtures/tokens" + id() + ".js",
            "module.exports = { token: '" + b.github("ghp_") + "', npm: 'npm_" + b.pick(alnum, 36) + "' };\n");
    b.clean("usr/share/doc/tool" + id() + "/examples/settings.env",
            "export AWS_SECRET_ACCESS_KEY=" + b.pick(alnum, 40) + "\nSLACK_BOT_TOKEN=xoxb-" + b.pick(dig, 12) + "-" +
                b.pick(dig, 13) + "-" + b.pick(alnum, 24) + "\n");
    b.clean("srv/app/node_modules/jwt-lib/README" + id() + ".md",
            "Example: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`\n");
    b.clean("srv/app/docs/connections" + id() + ".txt",
            "postgres://user:password@localhost:5432/db\nmongodb://${MONGO_USER}:${MONGO_PASS}@mongo:27017\n"
            "https://user:****@example.org/\nredis://:<password>@cache:6379\n");
    b.clean("srv/app/src/jwt" + id() + ".js",
            js_head() + "const unsigned = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0In0.';\n" + js_tail());
    b.clean("srv/app/README" + id() + ".md",
            "# Setup\n\nSet `GITHUB_TOKEN` to a personal access token (it starts with `ghp_`).\n"
            "Put your Stripe key (`sk_live_...`) in the vault, never in the image.\n"
            "Keys look like `AKIA` followed by 16 characters.\n");
    {
      std::string mini = "!function(e){";
      for (int i = 0; i < 200; ++i)
        mini += "var " + b.pick(lo, 2) + "=" + std::to_string(i) + ",t" + std::to_string(i) + "=\"" + b.pick(alnum, 12) + "\";";
      mini += "}(window);\n";
      b.clean("srv/app/public/bundle" + id() + ".min.js", mini);
    }
  }
  return b.take();
}

} // namespace regscan::test
