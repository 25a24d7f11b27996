// The built-in secret rules: one row per rule, written from each vendor's
// documented token format (prefix, alphabet, length). Specific rules come
// first, the password-in-config rules next, the generic one last: where two
// findings overlap, the scanner keeps the earlier rule.
#include "scanners/secrets/secret_rules.hpp"

namespace regscan {
namespace {

struct row {
  const char* id;
  const char* name;
  const char* category;
  const char* severity;
  const char* regex;
  const char* keywords; // comma separated, lower case
  const char* path = "";
  double entropy = 0;
  int group = 0;
};

// Shared pieces of the "name ... = value" rules.
#define ASSIGN R"re(["']?\s*(?:=|:|:=|=>)\s*["']?)re"
#define UUID R"re([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})re"
#define EOL R"re((?:\r?\n|\\r?\\n))re"
#define PEM_BODY R"re(([A-Za-z0-9+/=\s\\]{64,}?))re"
#define PEM(label) "-----BEGIN " label "-----[ \\t]*" EOL PEM_BODY "-----END " label "-----"

const row rows[] = {
  // cloud
  {"aws-access-key", "AWS access key ID", "cloud", "High",
   R"re(\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b)re", "akia,asia,abia,acca"},
  {"aws-secret-key", "AWS secret access key", "cloud", "Critical",
   R"re((?i)(?:aws|secret_?access)[\w.-]{0,20}(?:secret|key)[\w.-]{0,20})re" ASSIGN R"re(([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$))re",
   "aws,secret_access,secretaccess", "", 3.0},
  {"aws-mws-key", "Amazon MWS auth token", "cloud", "High",
   R"re(\b(amzn\.mws\.)re" UUID R"re()\b)re", "amzn.mws"},
  {"gcp-service-account-key", "GCP service-account private key", "cloud", "Critical",
   R"re("private_key"\s*:\s*"(-----BEGIN (?:RSA )?PRIVATE KEY-----\\n[A-Za-z0-9+/=\\]{64,}?-----END (?:RSA )?PRIVATE KEY-----))re",
   "service_account"},
  {"gcp-api-key", "Google API key", "cloud", "High",
   R"re(\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$))re", "aiza"},
  {"gcp-oauth-client-secret", "Google OAuth client secret", "cloud", "High",
   R"re(\b(GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$))re", "gocspx-"},
  {"azure-storage-account-key", "Azure storage account key", "cloud", "Critical",
   R"re((?i)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==))re", "accountkey"},
  {"azure-ad-client-secret", "Azure AD client secret", "cloud", "High",
   R"re((?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$))re", "q~"},
  {"azure-sas-token", "Azure shared access signature", "cloud", "High",
   R"re((?i)[?&]sv=\d{4}-\d{2}-\d{2}&[A-Za-z0-9%&=:._-]{0,200}?sig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2}))re", "sig="},
  {"azure-app-config-connection-string", "Azure App Configuration connection string", "cloud", "High",
   R"re(Endpoint=https://[a-z0-9-]+\.azconfig\.io;Id=[^;\s]+;Secret=([A-Za-z0-9+/]{43}=))re", "azconfig"},
  {"azure-service-bus-key", "Azure Service Bus / Event Hubs shared access key", "cloud", "High",
   R"re(Endpoint=sb://[A-Za-z0-9.-]+/?;SharedAccessKeyName=[^;\s]+;SharedAccessKey=([A-Za-z0-9+/]{43}=))re", "sharedaccesskey"},
  {"alibaba-access-key-id", "Alibaba Cloud AccessKey ID", "cloud", "High",
   R"re(\b(LTAI[A-Za-z0-9]{12,20})\b)re", "ltai"},
  {"alibaba-access-key-secret", "Alibaba Cloud AccessKey secret", "cloud", "Critical",
   R"re((?i)(?:ali(?:baba|yun|cloud)[\w.-]{0,20}|access_?key_?secret))re" ASSIGN R"re(([A-Za-z0-9]{30})\b)re",
   "aliyun,alibaba,alicloud,accesskeysecret,access_key_secret", "", 3.0},
  {"tencent-secret-id", "Tencent Cloud SecretId", "cloud", "High",
   R"re(\b(AKID[A-Za-z0-9]{32})\b)re", "akid"},
  {"tencent-secret-key", "Tencent Cloud SecretKey", "cloud", "Critical",
   R"re((?i)(?:tencent|qcloud|tccli)[\w.-]{0,25}secret_?key)re" ASSIGN R"re(([A-Za-z0-9]{32})\b)re",
   "tencent,qcloud,tccli", "", 3.0},
  {"tencent-secret-key-pair", "Tencent Cloud SecretKey beside its SecretId", "cloud", "Critical",
   R"re((?i)secret_?key)re" ASSIGN R"re(([A-Za-z0-9]{32})\b)re", "akid", "", 3.0},
  {"digitalocean-pat", "DigitalOcean personal access token", "cloud", "Critical",
   R"re(\b(dop_v1_[a-f0-9]{64})\b)re", "dop_v1_"},
  {"digitalocean-oauth-token", "DigitalOcean OAuth token", "cloud", "High",
   R"re(\b(doo_v1_[a-f0-9]{64})\b)re", "doo_v1_"},
  {"digitalocean-refresh-token", "DigitalOcean refresh token", "cloud", "High",
   R"re(\b(dor_v1_[a-f0-9]{64})\b)re", "dor_v1_"},
  {"heroku-api-key", "Heroku API key", "cloud", "High",
   R"re((?i)heroku[\w.-]{0,20})re" ASSIGN R"re(()re" UUID R"re()\b)re", "heroku"},
  {"cloudflare-api-token", "Cloudflare API token", "cloud", "High",
   R"re((?i)cloudflare[\w.-]{0,20})re" ASSIGN R"re(([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$))re", "cloudflare", "", 3.0},
  {"cloudflare-origin-ca-key", "Cloudflare Origin CA key", "cloud", "High",
   R"re(\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b)re", "v1.0-"},
  {"fastly-api-token", "Fastly API token", "cloud", "High",
   R"re((?i)fastly[\w.-]{0,20})re" ASSIGN R"re(([A-Za-z0-9_-]{32})\b)re", "fastly", "", 3.0},
  {"linode-token", "Linode personal access token", "cloud", "High",
   R"re((?i)linode[\w.-]{0,20})re" ASSIGN R"re(([a-f0-9]{64})\b)re", "linode"},
  {"scaleway-secret-key", "Scaleway secret key", "cloud", "High",
   R"re((?i)scw[\w.-]{0,20}secret[\w.-]{0,20})re" ASSIGN R"re(()re" UUID R"re()\b)re", "scw"},
  {"hashicorp-vault-service-token", "HashiCorp Vault service token", "cloud", "Critical",
   R"re(\b(hvs\.[A-Za-z0-9_-]{90,120})\b)re", "hvs."},
  {"hashicorp-vault-batch-token", "HashiCorp Vault batch token", "cloud", "High",
   R"re(\b(hvb\.[A-Za-z0-9_-]{138,300})\b)re", "hvb."},
  {"terraform-cloud-token", "Terraform Cloud / Enterprise API token", "cloud", "Critical",
   R"re(\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})\b)re", "atlasv1"},
  {"doppler-token", "Doppler service token", "cloud", "High",
   R"re(\b(dp\.pt\.[A-Za-z0-9]{43})\b)re", "dp.pt."},
  {"pulumi-token", "Pulumi access token", "cloud", "High",
   R"re(\b(pul-[a-f0-9]{40})\b)re", "pul-"},
  {"databricks-token", "Databricks API token", "cloud", "High",
   R"re(\b(dapi[a-f0-9]{32}(?:-\d)?)\b)re", "dapi"},
  {"planetscale-token", "PlanetScale service token", "cloud", "High",
   R"re(\b(pscale_tkn_[A-Za-z0-9_.-]{32,64})\b)re", "pscale_tkn_"},
  {"planetscale-password", "PlanetScale database password", "cloud", "High",
   R"re(\b(pscale_pw_[A-Za-z0-9_.-]{32,64})\b)re", "pscale_pw_"},
  {"supabase-token", "Supabase access token", "cloud", "High",
   R"re(\b(sbp_[a-f0-9]{40})\b)re", "sbp_"},
  {"flyio-token", "Fly.io access token", "cloud", "High",
   R"re((FlyV1 fm[12]_[A-Za-z0-9+/=_,-]{100,}))re", "flyv1"},
  {"jfrog-api-key", "JFrog Artifactory API key", "cloud", "High",
   R"re(\b(AKCp[A-Za-z0-9]{69})\b)re", "akcp"},

  // source hosting and CI
  {"github-pat", "GitHub personal access token (classic)", "vcs", "Critical",
   R"re(\b(ghp_[A-Za-z0-9]{36})\b)re", "ghp_"},
  {"github-fine-grained-pat", "GitHub fine-grained personal access token", "vcs", "Critical",
   R"re(\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b)re", "github_pat_"},
  {"github-oauth-token", "GitHub OAuth access token", "vcs", "High",
   R"re(\b(gho_[A-Za-z0-9]{36})\b)re", "gho_"},
  {"github-app-user-token", "GitHub App user-to-server token", "vcs", "High",
   R"re(\b(ghu_[A-Za-z0-9]{36})\b)re", "ghu_"},
  {"github-app-installation-token", "GitHub App installation token", "vcs", "High",
   R"re(\b(ghs_[A-Za-z0-9]{36})\b)re", "ghs_"},
  {"github-refresh-token", "GitHub refresh token", "vcs", "High",
   R"re(\b(ghr_[A-Za-z0-9]{36,76})\b)re", "ghr_"},
  {"gitlab-pat", "GitLab personal access token", "vcs", "Critical",
   R"re(\b(glpat-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))re", "glpat-"},
  {"gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", "vcs", "High",
   R"re(\b(glptt-[0-9a-f]{40})\b)re", "glptt-"},
  {"gitlab-runner-registration-token", "GitLab runner registration token", "vcs", "High",
   R"re(\b(GR1348941[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))re", "gr1348941"},
  {"gitlab-runner-auth-token", "GitLab runner authentication token", "vcs", "High",
   R"re(\b(glrt-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))re", "glrt-"},
  {"gitlab-deploy-token", "GitLab deploy token", "vcs", "High",
   R"re(\b(gldt-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))re", "gldt-"},
  {"gitlab-feed-token", "GitLab feed token", "vcs", "Medium",
   R"re(\b(glft-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))re", "glft-"},
  {"gitlab-oauth-app-secret", "GitLab OAuth application secret", "vcs", "High",
   R"re(\b(gloas-[A-Za-z0-9_-]{64})(?:[^A-Za-z0-9_-]|$))re", "gloas-"},
  {"gitlab-cicd-job-token", "GitLab CI/CD job token", "vcs", "High",
   R"re(\b(glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20})(?:[^A-Za-z0-9_-]|$))re", "glcbt-"},
  {"bitbucket-app-password", "Bitbucket app password", "vcs", "High",
   R"re(\b(ATBB[A-Za-z0-9_=.-]{32})\b)re", "atbb"},
  {"bitbucket-client-secret", "Bitbucket OAuth client secret", "vcs", "High",
   R"re((?i)bitbucket[\w.-]{0,20}secret)re" ASSIGN R"re(([A-Za-z0-9=_-]{64})(?:[^A-Za-z0-9=_-]|$))re", "bitbucket"},
  {"atlassian-api-token", "Atlassian API token", "vcs", "High",
   R"re(\b(ATATT3[A-Za-z0-9_=-]{186})(?:[^A-Za-z0-9_=-]|$))re", "atatt3"},
  {"circleci-pat", "CircleCI personal API token", "ci", "High",
   R"re(\b(CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b)re", "ccipat_"},
  {"buildkite-token", "Buildkite API access token", "ci", "High",
   R"re(\b(bkua_[a-f0-9]{40})\b)re", "bkua_"},
  {"sourcegraph-token", "Sourcegraph access token", "vcs", "High",
   R"re(\b(sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40})\b)re", "sgp_"},
  {"dockerhub-pat", "Docker Hub personal access token", "ci", "High",
   R"re(\b(dckr_pat_[A-Za-z0-9_-]{27})(?:[^A-Za-z0-9_-]|$))re", "dckr_pat_"},
  {"octopus-deploy-api-key", "Octopus Deploy API key", "ci", "High",
   R"re(\b(API-[A-Z0-9]{26})\b)re", "api-"},
  {"harness-pat", "Harness personal access token", "ci", "High",
   R"re(\b(pat\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20})\b)re", "pat."},

  // chat and webhooks
  {"slack-bot-token", "Slack bot token", "chat", "High",
   R"re(\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24})\b)re", "xoxb-"},
  {"slack-user-token", "Slack user token", "chat", "High",
   R"re(\b(xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32})\b)re", "xoxp-,xoxe-"},
  {"slack-app-token", "Slack app-level token", "chat", "High",
   R"re(\b(xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{64})\b)re", "xapp-"},
  {"slack-config-token", "Slack configuration token", "chat", "High",
   R"re(\b(xoxe\.xox[bp]-\d-[A-Z0-9]{163,166})\b)re", "xoxe."},
  {"slack-legacy-token", "Slack legacy token", "chat", "High",
   R"re(\b(xox[ars]-\d+-[0-9A-Za-z-]{20,120})\b)re", "xoxa-,xoxr-,xoxs-"},
  {"slack-webhook", "Slack incoming webhook", "chat", "Medium",
   R"re(https://hooks\.slack\.com/services/(T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}))re", "hooks.slack.com"},
  {"discord-webhook", "Discord webhook", "chat", "Medium",
   R"re(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(\d{17,20}/[A-Za-z0-9_-]{60,68}))re", "discord"},
  {"discord-bot-token", "Discord bot token", "chat", "High",
   R"re((?i)discord[\w.-]{0,20})re" ASSIGN R"re(([MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}))re", "discord"},
  {"telegram-bot-token", "Telegram bot token", "chat", "High",
   R"re(\b(\d{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$))re", ":aa"},
  {"dingtalk-webhook", "DingTalk robot webhook", "chat", "Medium",
   R"re(https://oapi\.dingtalk\.com/robot/send\?access_token=([a-f0-9]{64}))re", "dingtalk"},
  {"dingtalk-robot-secret", "DingTalk robot signing secret", "chat", "Medium",
   R"re(\b(SEC[a-f0-9]{64})\b)re", "sec"},
  {"feishu-webhook", "Feishu / Lark bot webhook", "chat", "Medium",
   R"re(https://open\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/()re" UUID ")", "feishu,larksuite"},
  {"feishu-app-secret", "Feishu / Lark app secret", "chat", "High",
   R"re((?i)(?:feishu|lark)[\w.-]{0,20}secret)re" ASSIGN R"re(([A-Za-z0-9]{32})\b)re", "feishu,lark", "", 3.0},
  {"wecom-webhook", "WeCom group robot webhook", "chat", "Medium",
   R"re(https://qyapi\.weixin\.qq\.com/cgi-bin/webhook/send\?key=()re" UUID ")", "qyapi.weixin"},
  {"wecom-corp-secret", "WeCom corp secret", "chat", "High",
   R"re((?i)corp_?secret)re" ASSIGN R"re(([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$))re", "corpsecret,corp_secret"},
  {"wechat-app-secret", "WeChat app secret", "chat", "High",
   R"re((?i)(?:wechat|weixin|wx)[\w.-]{0,20}(?:app_?)?secret)re" ASSIGN R"re(([a-f0-9]{32})\b)re", "wechat,weixin,wx"},
  {"teams-webhook", "Microsoft Teams incoming webhook", "chat", "Medium",
   R"re((https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[a-f0-9-]{36}))re",
   "webhook.office.com"},
  {"twitter-bearer-token", "Twitter / X bearer token", "chat", "High",
   R"re(\b(AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,120})\b)re", "aaaaaaaaaaaaaaaaaaaaa"},

  // payment
  {"stripe-secret-key", "Stripe live secret key", "payment", "Critical",
   R"re(\b(sk_live_[A-Za-z0-9]{24,99})\b)re", "sk_live_"},
  {"stripe-restricted-key", "Stripe live restricted key", "payment", "High",
   R"re(\b(rk_live_[A-Za-z0-9]{24,99})\b)re", "rk_live_"},
  {"stripe-test-secret-key", "Stripe test-mode secret key", "payment", "Low",
   R"re(\b(sk_test_[A-Za-z0-9]{24,99})\b)re", "sk_test_"},
  {"stripe-webhook-secret", "Stripe webhook signing secret", "payment", "High",
   R"re(\b(whsec_[A-Za-z0-9]{32,64})\b)re", "whsec_"},
  {"braintree-access-token", "Braintree / PayPal production access token", "payment", "Critical",
   R"re(\b(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b)re", "access_token$production"},
  {"square-access-token", "Square access token", "payment", "Critical",
   R"re(\b((?:EAAA|sq0atp-)[A-Za-z0-9_-]{22,60})(?:[^A-Za-z0-9_-]|$))re", "eaaa,sq0atp-"},
  {"square-oauth-secret", "Square OAuth secret", "payment", "High",
   R"re(\b(sq0csp-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$))re", "sq0csp-"},
  {"flutterwave-secret-key", "Flutterwave secret key", "payment", "Critical",
   R"re(\b(FLWSECK-[a-f0-9]{32}-X)\b)re", "flwseck-"},
  {"shopify-access-token", "Shopify access token", "payment", "High",
   R"re(\b(shpat_[a-fA-F0-9]{32})\b)re", "shpat_"},
  {"shopify-custom-app-token", "Shopify custom app access token", "payment", "High",
   R"re(\b(shpca_[a-fA-F0-9]{32})\b)re", "shpca_"},
  {"shopify-private-app-token", "Shopify private app access token", "payment", "High",
   R"re(\b(shppa_[a-fA-F0-9]{32})\b)re", "shppa_"},
  {"shopify-shared-secret", "Shopify shared secret", "payment", "High",
   R"re(\b(shpss_[a-fA-F0-9]{32})\b)re", "shpss_"},
  {"gocardless-token", "GoCardless live access token", "payment", "High",
   R"re(\b(live_[A-Za-z0-9_=-]{40})(?:[^A-Za-z0-9_=-]|$))re", "gocardless"},
  {"easypost-api-key", "EasyPost production API key", "payment", "High",
   R"re(\b(EZAK[A-Za-z0-9]{54})\b)re", "ezak"},
  {"shippo-token", "Shippo live API token", "payment", "High",
   R"re(\b(shippo_live_[a-f0-9]{40})\b)re", "shippo_live_"},
  {"duffel-token", "Duffel live API token", "payment", "High",
   R"re(\b(duffel_live_[A-Za-z0-9_=-]{43})(?:[^A-Za-z0-9_=-]|$))re", "duffel_live_"},

  // SaaS API keys
  {"openai-api-key", "OpenAI API key", "saas", "Critical",
   R"re(\b(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})(?:[^A-Za-z0-9_-]|$))re", "t3blbkfj"},
  {"anthropic-api-key", "Anthropic API key", "saas", "Critical",
   R"re(\b(sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$))re", "sk-ant-"},
  {"huggingface-token", "Hugging Face access token", "saas", "High",
   R"re(\b(hf_[A-Za-z]{34})\b)re", "hf_"},
  {"groq-api-key", "Groq API key", "saas", "High",
   R"re(\b(gsk_[A-Za-z0-9]{52})\b)re", "gsk_"},
  {"replicate-token", "Replicate API token", "saas", "High",
   R"re(\b(r8_[A-Za-z0-9]{37})\b)re", "r8_"},
  {"perplexity-api-key", "Perplexity API key", "saas", "High",
   R"re(\b(pplx-[A-Za-z0-9]{48})\b)re", "pplx-"},
  {"twilio-api-key", "Twilio API key", "saas", "High",
   R"re(\b(SK[0-9a-f]{32})\b)re", "sk"},
  {"twilio-auth-token", "Twilio auth token", "saas", "High",
   R"re((?i)twilio[\w.-]{0,20}(?:auth_?)?token)re" ASSIGN R"re(([0-9a-f]{32})\b)re", "twilio"},
  {"sendgrid-api-key", "SendGrid API key", "saas", "High",
   R"re(\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$))re", "sg."},
  {"mailgun-api-key", "Mailgun private API key", "saas", "High",
   R"re(\b(key-[0-9a-f]{32})\b)re", "key-"},
  {"mailchimp-api-key", "Mailchimp API key", "saas", "High",
   R"re(\b([0-9a-f]{32}-us\d{1,2})\b)re", "-us"},
  {"npm-access-token", "npm access token", "saas", "Critical",
   R"re(\b(npm_[A-Za-z0-9]{36})\b)re", "npm_"},
  {"pypi-upload-token", "PyPI upload token", "saas", "Critical",
   R"re(\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}))re", "pypi-ageichlwas5vcmc"},
  {"rubygems-api-key", "RubyGems API key", "saas", "High",
   R"re(\b(rubygems_[a-f0-9]{48})\b)re", "rubygems_"},
  {"nuget-api-key", "NuGet API key", "saas", "High",
   R"re(\b(oy2[a-z0-9]{43})\b)re", "oy2"},
  {"clojars-token", "Clojars deploy token", "saas", "High",
   R"re(\b(CLOJARS_[a-z0-9]{60})\b)re", "clojars_"},
  {"sentry-org-token", "Sentry organization token", "saas", "High",
   R"re(\b(sntrys_eyJ[A-Za-z0-9+/=_-]{80,}))re", "sntrys_"},
  {"sentry-user-token", "Sentry user auth token", "saas", "High",
   R"re(\b(sntryu_[a-f0-9]{64})\b)re", "sntryu_"},
  {"datadog-api-key", "Datadog API key", "saas", "High",
   R"re((?i)(?:datadog|dd)[_-]?api[_-]?key)re" ASSIGN R"re(([a-f0-9]{32})\b)re", "datadog,dd_api,dd-api,ddapi"},
  {"datadog-app-key", "Datadog application key", "saas", "High",
   R"re((?i)(?:datadog|dd)[_-]?app(?:lication)?[_-]?key)re" ASSIGN R"re(([a-f0-9]{40})\b)re", "datadog,dd_app,dd-app,ddapp"},
  {"newrelic-user-api-key", "New Relic user API key", "saas", "High",
   R"re(\b(NRAK-[A-Z0-9]{27})\b)re", "nrak-"},
  {"newrelic-insert-key", "New Relic insights insert key", "saas", "High",
   R"re(\b(NRII-[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$))re", "nrii-"},
  {"newrelic-browser-key", "New Relic browser API key", "saas", "Medium",
   R"re(\b(NRJS-[a-f0-9]{19})\b)re", "nrjs-"},
  {"grafana-cloud-token", "Grafana Cloud API token", "saas", "High",
   R"re(\b(glc_[A-Za-z0-9+/]{32,400}={0,2}))re", "glc_"},
  {"grafana-service-account-token", "Grafana service account token", "saas", "High",
   R"re(\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b)re", "glsa_"},
  {"linear-api-key", "Linear API key", "saas", "High",
   R"re(\b(lin_api_[A-Za-z0-9]{40})\b)re", "lin_api_"},
  {"notion-token", "Notion integration token", "saas", "High",
   R"re(\b((?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35}))\b)re", "secret_,ntn_"},
  {"airtable-pat", "Airtable personal access token", "saas", "High",
   R"re(\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b)re", "pat"},
  {"postman-api-key", "Postman API key", "saas", "High",
   R"re(\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b)re", "pmak-"},
  {"figma-pat", "Figma personal access token", "saas", "High",
   R"re(\b(figd_[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$))re", "figd_"},
  {"dropbox-token", "Dropbox short-lived access token", "saas", "High",
   R"re(\b(sl\.[A-Za-z0-9_-]{130,140})(?:[^A-Za-z0-9_-]|$))re", "sl."},
  {"okta-api-token", "Okta API token", "saas", "High",
   R"re((?i)okta[\w.-]{0,20})re" ASSIGN R"re((00[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$))re", "okta"},
  {"hubspot-pat", "HubSpot private app token", "saas", "High",
   R"re(\b(pat-(?:na|eu)1-)re" UUID R"re()\b)re", "pat-na1,pat-eu1"},
  {"typeform-token", "Typeform personal access token", "saas", "High",
   R"re(\b(tfp_[A-Za-z0-9_.=-]{59})(?:[^A-Za-z0-9_.=-]|$))re", "tfp_"},
  {"contentful-pat", "Contentful personal access token", "saas", "High",
   R"re(\b(CFPAT-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$))re", "cfpat-"},
  {"mapbox-secret-token", "Mapbox secret access token", "saas", "High",
   R"re(\b(sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}))re", "sk.eyj"},
  {"prefect-api-key", "Prefect API key", "saas", "High",
   R"re(\b(pnu_[A-Za-z0-9]{36})\b)re", "pnu_"},
  {"readme-api-key", "ReadMe API key", "saas", "High",
   R"re(\b(rdme_[a-z0-9]{70})\b)re", "rdme_"},
  {"infracost-api-key", "Infracost API key", "saas", "High",
   R"re(\b(ico-[A-Za-z0-9]{32})\b)re", "ico-"},
  {"frameio-token", "Frame.io API token", "saas", "High",
   R"re(\b(fio-u-[A-Za-z0-9_=-]{64})(?:[^A-Za-z0-9_=-]|$))re", "fio-u-"},
  {"snyk-token", "Snyk API token", "saas", "High",
   R"re((?i)snyk[\w.-]{0,20})re" ASSIGN R"re(()re" UUID R"re()\b)re", "snyk"},
  {"algolia-admin-key", "Algolia admin API key", "saas", "High",
   R"re((?i)algolia[\w.-]{0,20}(?:admin|api)[_-]?key)re" ASSIGN R"re(([a-f0-9]{32})\b)re", "algolia"},

  // JSON Web Tokens: a JSON header ("eyJ" is base64 of '{"'), a JSON payload, a signature
  {"jwt", "JSON Web Token", "jwt", "Medium",
   R"re(\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})(?:[^A-Za-z0-9_-]|$))re", "eyj"},

  // private keys: an encrypted one needs its passphrase too, hence Low
  {"private-key-rsa", "RSA private key", "private-key", "Critical", PEM("RSA PRIVATE KEY"), "begin rsa private key"},
  {"private-key-ec", "EC private key", "private-key", "Critical", PEM("EC PRIVATE KEY"), "begin ec private key"},
  {"private-key-dsa", "DSA private key", "private-key", "High", PEM("DSA PRIVATE KEY"), "begin dsa private key"},
  {"private-key-pkcs8", "PKCS#8 private key", "private-key", "Critical", PEM("PRIVATE KEY"), "begin private key"},
  {"private-key-pkcs8-encrypted", "Encrypted PKCS#8 private key", "private-key", "Low",
   PEM("ENCRYPTED PRIVATE KEY"), "begin encrypted private key"},
  {"private-key-pem-encrypted", "Encrypted PEM private key (RSA, EC or DSA)", "private-key", "Low",
   R"re(-----BEGIN (?:RSA|EC|DSA) PRIVATE KEY-----[ \t]*)re" EOL R"re(Proc-Type: *4, *ENCRYPTED[ \t]*)re" EOL
   R"re(DEK-Info: *[A-Z0-9-]+,[A-Fa-f0-9]+[ \t]*)re" EOL PEM_BODY R"re(-----END (?:RSA|EC|DSA) PRIVATE KEY-----)re",
   "proc-type"},
  // "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU" is base64 of "openssh-key-v1\0" then cipher "none";
  // any other cipher name is 10 to 29 bytes long, whose length byte encodes to C..Z.
  {"private-key-openssh", "OpenSSH private key", "private-key", "Critical",
   "-----BEGIN OPENSSH PRIVATE KEY-----[ \\t]*" EOL R"re((b3BlbnNzaC1rZXktdjEAAAAABG5vbmU[A-Za-z0-9+/=\s\\]{64,}?))re"
   "-----END OPENSSH PRIVATE KEY-----", "begin openssh private key"},
  {"private-key-openssh-encrypted", "Encrypted OpenSSH private key", "private-key", "Low",
   "-----BEGIN OPENSSH PRIVATE KEY-----[ \\t]*" EOL R"re((b3BlbnNzaC1rZXktdjEAAAAA[C-Z][A-Za-z0-9+/=\s\\]{64,}?))re"
   "-----END OPENSSH PRIVATE KEY-----", "begin openssh private key"},
  {"private-key-pgp", "PGP private key block", "private-key", "High",
   R"re(-----BEGIN PGP PRIVATE KEY BLOCK-----([^-]{64,}?)-----END PGP PRIVATE KEY BLOCK-----)re", "begin pgp private key"},
  {"private-key-putty", "PuTTY private key", "private-key", "High",
   R"re(PuTTY-User-Key-File-[23]: [\w-]+\r?\nEncryption: none\r?\n[^\x00]{0,400}?Private-Lines: \d+\r?\n([A-Za-z0-9+/=\r\n]{64,}))re",
   "putty-user-key-file"},
  {"age-secret-key", "age secret key", "private-key", "High",
   R"re(\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b)re", "age-secret-key-1"},
  {"kubeconfig-client-key", "Kubernetes client key in a kubeconfig", "private-key", "Critical",
   R"re((?i)client-key-data\s*:\s*["']?([A-Za-z0-9+/]{64,}={0,2}))re", "client-key-data"},

  // passwords in config files (path rules) and connection strings
  {"dotenv-secret", "Secret in a .env file", "password", "High",
   R"re((?m)^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_]*(?i:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_]*[ \t]*=[ \t]*["']?([^\s"'#$/][^\s"']{5,}))re",
   "password,passwd,pwd,secret,token,key,credential", R"re((^|/)\.env(\.[A-Za-z0-9_-]+)?$)re"},
  {"image-config-secret", "Secret in an image's Env, Labels or build history", "password", "High",
   R"re((?i)\b[A-Z0-9_.-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_.-]*[ \t]*=[ \t]*["']?([^\s"'$/][^\s"']{5,}))re",
   "password,passwd,secret,token,key,credential", R"re(^(env|label|history):)re"},
  {"properties-secret", "Secret in a Java .properties file", "password", "High",
   R"re((?m)^[ \t]*[A-Za-z0-9_.-]*(?i:password|passwd|pwd|secret|token|credentials?|api[_.-]?key)[A-Za-z0-9_.-]*[ \t]*[=:][ \t]*([^\s$#{}][^\s]{5,}))re",
   "password,passwd,pwd,secret,token,credential,key", R"re(\.properties$)re"},
  {"django-settings-secret", "Secret in a Django settings.py", "password", "High",
   R"re((?:SECRET_KEY|['"]PASSWORD['"])\s*[:=]\s*['"]([^'"\s]{6,})['"])re",
   "secret_key,password", R"re((^|/)settings(/[A-Za-z0-9_]+|_[A-Za-z0-9_]+)?\.py$)re"},
  {"spring-application-secret", "Secret in a Spring application.yml", "password", "High",
   R"re((?m)^[ \t]*[A-Za-z0-9_.-]*(?i:password|secret|token|credentials?|api-?key)[ \t]*:[ \t]*["']?([^\s"'$#{}][^\s"'#]{5,}))re",
   "password,secret,token,credential,key", R"re((^|/)(application|bootstrap)(-[A-Za-z0-9_]+)?\.ya?ml$)re"},
  {"docker-config-auth", "Registry credentials in a docker config.json", "password", "Critical",
   R"re("(?:auth|identitytoken)"\s*:\s*"([A-Za-z0-9+/=._-]{8,})")re", "auth,identitytoken",
   R"re((^|/)(\.docker/config\.json|\.dockercfg)$)re"},
  {"npmrc-auth", "Registry credentials in an .npmrc", "password", "Critical",
   R"re((?m)(?:_authToken|_auth|_password)[ \t]*=[ \t]*["']?([^\s"'$]{6,}))re", "_auth,_password",
   R"re((^|/)\.?npmrc$)re"},
  {"pypirc-password", "Password in a .pypirc", "password", "Critical",
   R"re((?m)^[ \t]*password[ \t]*[=:][ \t]*([^\s$]{4,}))re", "password", R"re((^|/)\.pypirc$)re"},
  {"git-credentials", "Credentials in a .git-credentials", "password", "Critical",
   R"re(https?://[^:\s/@]+:([^@\s]{3,})@)re", "://", R"re((^|/)\.git-credentials$)re"},
  {"kubeconfig-secret", "Token or password in a kubeconfig", "password", "Critical",
   R"re((?m)^[ \t]*(?:token|password)[ \t]*:[ \t]*["']?([^\s"'$]{8,}))re", "token,password",
   R"re((^|/)(\.kube/config|kubeconfig[A-Za-z0-9_.-]*|[A-Za-z0-9_.-]+\.kubeconfig)$)re"},
  {"netrc-password", "Password in a .netrc", "password", "Critical",
   R"re(\bpassword[ \t\r\n]+([^\s]{3,}))re", "password", R"re((^|/)[._]netrc$)re"},
  {"pgpass-password", "Password in a .pgpass", "password", "Critical",
   R"re((?m)^[^:\s#]+:[^:\s]+:[^:\s]+:[^:\s]+:([^\s]{3,})$)re", ":", R"re((^|/)\.pgpass$)re"},
  {"mysql-cnf-password", "Password in a MySQL option file", "password", "High",
   R"re((?m)^[ \t]*password[ \t]*=[ \t]*["']?([^\s"']{3,}))re", "password", R"re((^|/)(\.my\.cnf|my\.cnf|debian\.cnf)$)re"},
  {"wordpress-db-password", "WordPress database password", "password", "High",
   R"re(define\(\s*['"]DB_PASSWORD['"]\s*,\s*['"]([^'"]{4,})['"])re", "db_password"},
  {"jdbc-password", "Password in a JDBC URL", "password", "High",
   R"re((?i)jdbc:[a-z0-9:]+//[^\s"']*?[?&;]password=([^&;\s"']{3,64}))re", "jdbc:"},
  {"connection-string-password", "Password in a connection string (scheme://user:pass@host)", "password", "High",
   R"re(\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:@/"'<>(){}\[\]]{1,64}:([^\s@/"'<>(){}\[\]]{3,128})@[A-Za-z0-9][A-Za-z0-9.-]*)re", "://"},

  // last resort: a quoted high-entropy value assigned to a secret-sounding name
  {"generic-api-key", "Generic secret assigned to a key, token or password", "generic", "Medium",
   R"re((?i)(?:api_?key|apikey|secret|token|passwd|password|auth_?key|access_?key|client_?secret)[\w.-]{0,20}["']?\s*(?:=|:|:=|=>)\s*["'`]([A-Za-z0-9_\-+/=.~!@#%^&*]{12,100})["'`])re",
   "key,secret,token,passw", "", 3.5},
};

#undef ASSIGN
#undef UUID
#undef EOL
#undef PEM_BODY
#undef PEM

std::vector<std::string> split_keywords(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s; *p; ++p) {
    if (*p == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Values that are never secrets whatever the rule: placeholders, templating,
// and names of variables rather than values.
const secret_allowlist generic_value_allowlist{
    "variables, templating and identifiers rather than values",
    {},
    {R"re(^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$)re", // process.env.TOKEN
     R"re(^[^0-9]*$)re",                                           // no digit: words
     R"re(^[^A-Za-z]*$)re"},                                       // no letter: numbers
    {},
};

} // namespace

const std::vector<secret_rule>& builtin_secret_rules() {
  static const std::vector<secret_rule> rules = [] {
    std::vector<secret_rule> out;
    for (const row& r : rows) {
      secret_rule rule;
      rule.id = r.id;
      rule.name = r.name;
      rule.category = r.category;
      rule.severity = r.severity;
      rule.regex = r.regex;
      rule.keywords = split_keywords(r.keywords);
      rule.path = r.path;
      rule.entropy = r.entropy;
      rule.secret_group = r.group;
      if (rule.id == "generic-api-key") rule.allowlists.push_back(generic_value_allowlist);
      out.push_back(std::move(rule));
    }
    return out;
  }();
  return rules;
}

const std::vector<secret_allowlist>& builtin_secret_allowlists() {
  static const std::vector<secret_allowlist> lists = {
      {"example keys and placeholders from vendor docs",
       {},
       {
           R"re((?i)example)re",                               // AKIAIOSFODNN7EXAMPLE, ...EXAMPLEKEY
           R"re((?i)(?:x{6,}|\*{4,}|\.{4,}|0{10,}|_{6,}|#{6,}|-{6,}))re", // masked or filler
           R"re(^<[^>]*>$|^\$\{|^\$\(|^\$[A-Za-z_]|^%[A-Za-z(]|^\{\{|^#\{)re", // templating
           R"re((?i)^(?:your|my|the|some|insert|enter|put)[_-]?.{0,20}(?:key|token|secret|password|pass|pwd)(?:[_-]?here)?$)re",
           R"re((?i)^(?:changeme|change_me|password|passwd|secret|placeholder|redacted|dummy|sample|null|none|undefined|true|false|todo|fixme)$)re",
           R"re((?i)^(?:abcdef|123456|qwerty|abc123))re",       // sequences in tutorials
           // jwt.io's sample token ("John Doe")
           R"re(^eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ)re",
           R"re(^sk_test_4eC39HqLyjWDarjtT1zdp7dc$)re",        // Stripe docs' test key
       },
       {"placeholder", "redacted", "dummy", "notreal", "not-a-real", "not_a_real"}},
  };
  return lists;
}

const secret_allowlist& default_path_allowlist() {
  static const secret_allowlist list{
      "test fixtures and vendored docs",
      {
          R"re((^|/)(testdata|test-?fixtures?|__fixtures__|fixtures|__mocks__|__snapshots__)/)re",
          R"re((^|/)(node_modules|site-packages|dist-packages|vendor|gems|bower_components)/(.*/)?(tests?|__tests__|specs?|examples?|docs?|samples?)/)re",
          R"re((^|/)(node_modules|site-packages|dist-packages|vendor|gems|bower_components)/.*\.(md|markdown|rst|adoc)$)re",
          R"re(^usr/share/(doc|man|info|gtk-doc|help)/)re",
          R"re(^usr/lib/python3[.0-9]*/test/)re",
      },
      {},
      {},
  };
  return list;
}

} // namespace regscan
