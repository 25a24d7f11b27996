#include "daemon/secret_rules.hpp"

#include "daemon/services.hpp"
#include "scanners/secrets/secret_scanner.hpp"

namespace regscan {

expected<std::shared_ptr<const secret_scanner>>
build_secret_scanner(std::string_view toml, std::string fingerprint_key, bool skip_test_paths,
                     uint64_t max_file_bytes) {
  secret_ruleset rules;
  if (!toml.empty()) {
    auto parsed = parse_gitleaks_toml(toml);
    if (!parsed)
      return make_error(errc::invalid, "secret rules: " + parsed.err().message);
    rules = std::move(*parsed);
  }
  rules.allowlist_default_paths = skip_test_paths;
  auto built = secret_scanner::build(rules, std::move(fingerprint_key),
                                     secret_scan_limits{.max_file_size = max_file_bytes});
  if (!built)
    return make_error(errc::invalid, "secret rules: " + built.err().message);
  return built;
}

std::string secret_fingerprint_key(const services& ctx) {
  return ctx.secrets->derive_key("secret fingerprints");
}

namespace {

expected<std::shared_ptr<const secret_scanner>> build_scanner(const services& ctx,
                                                              std::string_view toml) {
  return build_secret_scanner(toml, secret_fingerprint_key(ctx), ctx.cfg.secrets_skip_test_paths,
                              ctx.cfg.secrets_max_file_bytes);
}

} // namespace

expected<void> load_secret_rules(services& ctx) {
  if (!ctx.cfg.secrets_enabled) {
    ctx.use_secret_scanner(nullptr);
    return {};
  }
  auto stored = ctx.db->get_secret_rules();
  if (!stored)
    return stored.err();
  auto scanner = build_scanner(ctx, *stored);
  if (!scanner)
    return scanner.err();
  ctx.use_secret_scanner(std::move(*scanner));
  return {};
}

expected<std::vector<secret_rule_info>> import_secret_rules(services& ctx, std::string_view toml) {
  if (!ctx.cfg.secrets_enabled)
    return make_error(errc::invalid, "secret scanning is off ([secrets] enabled = false)");
  auto scanner = build_scanner(ctx, toml);
  if (!scanner)
    return scanner.err();
  if (auto put = ctx.db->put_secret_rules(toml); !put)
    return put.err();
  auto rules = (*scanner)->rules();
  ctx.use_secret_scanner(std::move(*scanner));
  return rules;
}

std::vector<secret_rule_info> secret_rules_in_force(const services& ctx) {
  auto scanner = ctx.secret_scanner_in_use();
  return scanner ? scanner->rules() : std::vector<secret_rule_info>{};
}

} // namespace regscan
