#include "daemon/registry_form.hpp"

#include <cctype>
#include <ctime>
#include <tuple>

#include "connectors/registry_lister.hpp"
#include "daemon/services.hpp"

namespace regscan {

bool valid_registry_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool valid_rate_limit(int per_hour) {
  for (int allowed : {0, 5, 10, 20, 50, 100, 500, 1000})
    if (per_hour == allowed)
      return true;
  return false;
}

namespace {

/// Applies the form's fields to rec (all of them when adding, with their
/// defaults); "" when valid, else what is wrong.
std::string apply_registry_form(const registry_form& form, registry_record& rec, bool adding,
                                const secret_box& secrets, std::vector<std::string>* dropped) {
  // Where the stored secrets go: an edit that changes it drops them.
  auto destination = [](const registry_record& r) {
    return r.type + '\n' + r.address + '\n' + r.api_endpoint + '\n' + r.region;
  };
  const auto old_destination = destination(rec);
  auto set = [&](auto& value, auto& field, auto fallback) {
    if (value)
      field = *value;
    else if (adding)
      field = fallback;
  };
  set(form.type, rec.type, std::string{});
  set(form.address, rec.address, std::string{});
  set(form.username, rec.username, std::string{});
  set(form.version, rec.version, std::string{});
  set(form.region, rec.region, std::string{});
  set(form.instance_id, rec.instance_id, std::string{});
  set(form.api_endpoint, rec.api_endpoint, std::string{});
  set(form.secret_id, rec.secret_id, std::string{});
  set(form.network_type, rec.network_type, std::string{});
  set(form.verify_tls, rec.verify_tls, true);
  std::optional<int> rate;
  if (form.rate_limit)
    rate = static_cast<int>(*form.rate_limit);
  set(rate, rec.rate_limit, 0);
  set(form.repositories, rec.repositories, std::vector<std::string>{});
  set(form.projects, rec.projects, std::vector<std::string>{});
  set(form.include_proxy_cache, rec.include_proxy_cache, false);
  if (rec.type.empty())
    rec.type = "docker-v2";
  if (rec.network_type.empty())
    rec.network_type = "public";
  if (rec.type != "docker-v2" && rec.type != "harbor" && rec.type != "tcr" && rec.type != "ccr")
    return "registry type " + rec.type + " is not supported; supported: docker-v2, harbor, tcr, ccr";
  if (rec.network_type != "public")
    return "network type must be public";
  if (rec.type == "harbor") {
    if (rec.version.empty())
      rec.version = "V2";
    if (rec.version != "V1" && rec.version != "V2")
      return "harbor version must be V1 or V2";
    if (rec.region.empty())
      rec.region = "default";
  } else if (rec.type == "docker-v2") {
    rec.version.clear();
  } else {
    rec.version.clear();
    if (rec.region.empty())
      return "a Tencent registry needs its region (e.g. ap-guangzhou)";
    if (rec.type == "tcr" && rec.instance_id.empty())
      return "a TCR registry needs its instance id";
    if (rec.secret_id.empty())
      return "a Tencent registry needs a SecretId and SecretKey (Tencent Cloud API keys) to list images";
  }
  if (rec.address.rfind("http://", 0) != 0 && rec.address.rfind("https://", 0) != 0)
    return "address must start with http:// or https://";
  while (rec.address.size() > 8 && rec.address.back() == '/')
    rec.address.pop_back();
  if (!rec.api_endpoint.empty() && rec.api_endpoint.rfind("http://", 0) != 0
      && rec.api_endpoint.rfind("https://", 0) != 0)
    return "api endpoint must start with http:// or https://";
  while (rec.api_endpoint.size() > 8 && rec.api_endpoint.back() == '/')
    rec.api_endpoint.pop_back();
  for (auto& r : rec.repositories)
    if (!valid_repository_name(r) && !repository_namespace(r))
      return "invalid repository name " + r + " (a namespace is written ns/ or ns/*)";
  for (auto& p : rec.projects)
    if (!valid_repository_name(p) || p.find('/') != std::string::npos)
      return "invalid project or namespace name " + p;
  if (!rec.projects.empty() && rec.type != "harbor" && rec.type != "tcr")
    return "projects (Harbor) or namespaces (TCR) are only for those kinds; docker-v2 takes repositories";
  if (!valid_rate_limit(rec.rate_limit))
    return "rate limit must be 5, 10, 20, 50, 100, 500, 1000 or unlimited";
  const bool moved = !adding && destination(rec) != old_destination;
  for (auto [key, given, field] : {std::tuple{"password", &form.password, &rec.password_sealed},
                                   std::tuple{"secret_key", &form.secret_key, &rec.secret_key_sealed},
                                   std::tuple{"secret_token", &form.secret_token, &rec.secret_token_sealed}}) {
    if (!adding && !*given) {
      // A secret given for one host is never sent to another one.
      if (moved && !field->empty()) {
        field->clear();
        if (dropped)
          dropped->push_back(key);
      }
      continue;
    }
    auto plain = given->value_or("");
    field->clear();
    if (plain.empty())
      continue;
    auto sealed = secrets.seal(plain);
    if (!sealed)
      return sealed.err().message;
    *field = std::move(*sealed);
  }
  if ((rec.type == "tcr" || rec.type == "ccr") && rec.secret_key_sealed.empty())
    return "a Tencent registry needs a SecretId and SecretKey (Tencent Cloud API keys) to list images";
  return {};
}

} // namespace

expected<registry_record> add_registry(const services& s, const registry_form& form) {
  registry_record rec;
  rec.name = form.name.value_or("");
  rec.created_at = std::time(nullptr);
  if (!valid_registry_name(rec.name))
    return make_error(errc::invalid, "registry name must be 1-64 letters, digits, '.', '-' or '_'");
  if (s.db->get_registry(rec.name))
    return make_error(errc::conflict, "a registry named " + rec.name + " already exists");
  if (auto bad = apply_registry_form(form, rec, true, *s.secrets, nullptr); !bad.empty())
    return make_error(errc::invalid, bad);
  if (auto ok = s.db->put_registry(rec); !ok)
    return ok.err();
  return rec;
}

expected<registry_edit> edit_registry(const services& s, const std::string& name,
                                      const registry_form& form) {
  auto rec = s.db->get_registry(name);
  if (!rec)
    return rec.err();
  if (form.name && *form.name != name)
    return make_error(errc::invalid, "a registry cannot be renamed; delete and add it instead");
  registry_edit out;
  if (auto bad = apply_registry_form(form, *rec, false, *s.secrets, &out.credentials_dropped);
      !bad.empty())
    return make_error(errc::invalid, bad);
  if (auto ok = s.db->put_registry(*rec); !ok)
    return ok.err();
  out.record = std::move(*rec);
  return out;
}

} // namespace regscan
