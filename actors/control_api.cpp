#include "actors/control_api.hpp"

#include <chrono>
#include <ctime>

#include <caf/all.hpp>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "actors/control_access.hpp"
#include "actors/daemon_context.hpp"
#include "actors/osv_mirror.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/registry.hpp"
#include "connectors/registry_lister.hpp"
#include "scanners/layer/history.hpp"
#include "scanners/json_writer.hpp"

namespace regscan {

namespace {

constexpr auto actor_timeout = std::chrono::seconds{30};

http_reply json_error(int status, const std::string& message) {
  json_writer w;
  w.begin_object().field("error", message).end_object();
  return {status, w.take()};
}

http_reply json_ok(std::string body) {
  return {200, std::move(body)};
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = std::string(s.substr(i + 1, 2));
      char* end = nullptr;
      long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

/// The value of one query parameter, decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    auto eq = part.find('=');
    if (part.substr(0, eq) == name)
      return eq == std::string_view::npos ? "1" : percent_decode(part.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

/// Request bodies are small JSON objects of strings, numbers and booleans.
struct json_body {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string error;

  explicit json_body(const std::string& body) {
    if (parser.parse(body).get(root) || !root.is_object())
      error = "request body is not a JSON object";
  }
  std::string str(const char* key) const {
    std::string_view v;
    if (root[key].get(v))
      return {};
    return std::string(v);
  }
  bool has(const char* key) const { return !root[key].error(); }
  bool boolean(const char* key, bool fallback) const {
    bool v;
    return root[key].get(v) ? fallback : v;
  }
  int64_t integer(const char* key, int64_t fallback) const {
    int64_t v;
    return root[key].get(v) ? fallback : v;
  }
  /// A JSON array of strings, or one comma-separated string.
  std::vector<std::string> strs_or_csv(const char* key) const {
    auto out = strings(key);
    if (!out.empty())
      return out;
    auto csv = str(key);
    size_t at = 0;
    while (at < csv.size()) {
      auto comma = csv.find(',', at);
      auto part = csv.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (!part.empty())
        out.push_back(part);
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
    return out;
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    simdjson::dom::array arr;
    if (root[key].get(arr))
      return out;
    for (auto e : arr) {
      std::string_view v;
      if (!e.get(v))
        out.emplace_back(v);
    }
    return out;
  }
};

bool valid_registry_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

// dropped: an edit's secrets dropped because the registry's destination changed.
void write_registry(json_writer& w, const registry_record& r,
                    const std::vector<std::string>* dropped = nullptr) {
  // The password never leaves the daemon, sealed or not.
  w.begin_object()
    .field("name", r.name)
    .field("type", r.type)
    .field("address", r.address)
    .field("username", r.username)
    .field("password_set", !r.password_sealed.empty())
    .field("verify_tls", r.verify_tls)
    .field("rate_limit", r.rate_limit)
    .field("created_at", r.created_at)
    .field("version", r.version)
    .field("network_type", r.network_type)
    .field("region", r.region)
    .field("instance_id", r.instance_id)
    .field("api_endpoint", r.api_endpoint)
    .field("secret_id", r.secret_id)
    .field("secret_key_set", !r.secret_key_sealed.empty());
  w.key("repositories").begin_array();
  for (auto& repo : r.repositories)
    w.value(repo);
  w.end_array();
  if (dropped)
    w.field("credentials_dropped", *dropped);
  w.end_object();
}

// new_findings >= 0: findings first seen after the asked time (--new-since).
void write_image(json_writer& w, const image_record& img, const std::string& registry_type,
                 const std::string& address, int64_t new_findings = -1) {
  w.begin_object()
    .field("key", img.key)
    .field("registry", img.registry)
    .field("registry_type", registry_type)
    .field("registry_address", address)
    .field("repository", img.repository)
    .field("tags", img.tags)
    .field("digest", img.digest)
    .field("index_digest", img.index_digest)
    .field("index_media_type", img.index_media_type)
    .field("image_id", img.image_id)
    .field("media_type", img.media_type)
    .field("os", img.os)
    .field("architecture", img.architecture)
    .field("size", img.size)
    .field("created", img.created)
    .field("pushed", img.pushed)
    .field("synced_at", img.synced_at)
    .field("scan_status", to_string(img.scan_status))
    .field("last_scan", img.last_scan)
    .field("last_error", img.last_error)
    .field("incomplete", img.incomplete)
    .field("vulnerabilities", static_cast<int64_t>(img.vuln_count));
  w.key("severity_counts").begin_object();
  for (auto& [sev, n] : img.severity_counts)
    w.field(sev, static_cast<int64_t>(n));
  w.end_object();
  if (new_findings >= 0)
    w.field("new_findings", new_findings);
  w.end_object();
}

void write_finding(json_writer& w, const finding& f) {
  w.begin_object()
    .field("id", f.id)
    .field("aliases", f.aliases)
    .field("ecosystem", f.ecosystem)
    .field("package", f.package)
    .field("source_package", f.source_package)
    .field("installed_version", f.installed_version)
    .field("fixed_version", f.fixed_version)
    .field("severity", f.severity)
    .field("title", f.title)
    .field("description", f.description)
    .field("references", f.references)
    .field("fix_advice", f.fix_advice)
    .field("layer", f.layer)
    .field("first_seen", f.first_seen)
    .end_object();
}

void write_import_report(json_writer& w, const import_report& r, uint64_t rematch) {
  w.field("read", r.read)
    .field("written", r.written)
    .field("unchanged", r.unchanged)
    .field("withdrawn", r.withdrawn)
    .field("removed", r.removed)
    .field("changed_packages", static_cast<uint64_t>(r.changed_packages.size()))
    .field("rematch", rematch)
    .field("errors", r.errors);
  w.key("ecosystems").begin_object();
  for (auto& [eco, n] : r.per_ecosystem)
    w.field(eco, n);
  w.end_object();
}

void write_package(json_writer& w, const package& p, std::string_view step = {}) {
  w.begin_object()
    .field("ecosystem", p.ecosystem)
    .field("name", p.name)
    .field("version", p.version)
    .field("source_name", p.source_name)
    .field("source_version", p.source_version)
    .field("file", p.file)
    .field("layer", p.layer)
    .field("owner", p.owner)
    .field("step", step)
    .end_object();
}

void write_task(json_writer& w, const task_record& t) {
  w.begin_object()
    .field("id", t.id)
    .field("image", t.image_key)
    .field("registry", t.registry)
    .field("state", to_string(t.state))
    .field("attempts", static_cast<int64_t>(t.attempts))
    .field("interruptions", static_cast<int64_t>(t.interruptions))
    .field("created_at", t.created_at)
    .field("updated_at", t.updated_at)
    .field("waits_for", to_string(t.waits_for))
    .field("not_before", t.not_before)
    .field("error", t.error)
    .field("error_code", t.error_code)
    .end_object();
}

std::string sync_progress_json(const sync_progress& p) {
  json_writer w;
  w.begin_object()
    .field("state", to_string(p.state))
    .field("repositories", p.repositories)
    .field("repositories_done", p.repositories_done)
    .field("tags", p.tags)
    .field("images", p.images)
    .field("resolved", p.resolved)
    .field("removed", p.removed)
    .field("started_at", p.started_at);
  if (p.state == sync_state::done || p.state == sync_state::failed)
    w.field("finished_at", p.finished_at);
  if (!p.error.empty())
    w.field("error", p.error);
  w.end_object();
  return w.take();
}

} // namespace

control_api::control_api(caf::actor_system& sys, daemon_context& ctx, supervisor_actor supervisor)
  : sys_(sys), ctx_(ctx), supervisor_(std::move(supervisor)),
    rematch_(std::make_shared<rematch_queue>(*ctx.db)) {
  ctx_.db->on_rematch_pending([queue = rematch_, &sys] { queue->request(sys, {}); });
  if (auto backlog = ctx_.db->pending_rematch(); backlog && !backlog->empty()) {
    spdlog::info("re-match: resuming what {} package(s) and {} image(s) still owe",
                 backlog->packages.size(), backlog->images.size());
    rematch_->request(sys_, {});
  } else if (!backlog) {
    spdlog::error("re-match: cannot read the backlog: {}", backlog.err().message);
  }
}

control_api::~control_api() {
  ctx_.db->on_rematch_pending(nullptr);
}

bool control_api::rematch_running() const {
  return rematch_->get().running;
}

http_reply control_api::handle(const http_exchange& ex) {
  ctx_.stats.control_requests++;
  if (auto refused = check_control_access(ex, ctx_.cfg))
    return *refused;
  auto rep = route(ex);
  // What regscanctl reports as an error is in the log too. Bodies carry no
  // secrets: passwords are never echoed.
  if (rep.status >= 400)
    spdlog::warn("control: {} {} -> {}: {}", ex.method, ex.target.substr(0, ex.target.find('?')),
                 rep.status, rep.body);
  return rep;
}

http_reply control_api::route(const http_exchange& ex) {
  std::string_view target = ex.target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  const std::string path{target};
  const auto& m = ex.method;
  const std::string reg_prefix = "/registries/";
  if (path == "/registries" && m == "GET")
    return list_registries();
  if (path == "/registries" && m == "POST")
    return add_registry(ex.body);
  if (path.rfind(reg_prefix, 0) == 0) {
    auto rest = path.substr(reg_prefix.size());
    if (rest.size() > 5 && rest.compare(rest.size() - 5, 5, "/test") == 0 && m == "POST")
      return test_registry(percent_decode(rest.substr(0, rest.size() - 5)));
    if (m == "GET")
      return show_registry(percent_decode(rest));
    if (m == "DELETE")
      return delete_registry(percent_decode(rest));
    if (m == "PUT" || m == "PATCH")
      return edit_registry(percent_decode(rest), ex.body);
  }
  if (path == "/sync" && m == "POST")
    return start_sync(ex.body);
  if (path == "/sync" && m == "GET")
    return sync_status(query_param(query, "registry"));
  if (path == "/images" && m == "GET") {
    auto since = query_param(query, "new_since");
    int64_t t = -1;
    if (!since.empty()) {
      char* end = nullptr;
      t = std::strtoll(since.c_str(), &end, 10);
      if (*end != '\0' || t < 0)
        return json_error(400, "new_since must be unix seconds");
    }
    return list_images(t);
  }
  if (path == "/image" && m == "GET")
    return show_image(query_param(query, "ref"), !query_param(query, "vulns").empty(),
                      !query_param(query, "packages").empty());
  if (path == "/scans" && m == "POST")
    return start_scan(ex.body);
  if (path == "/scans" && m == "GET")
    return list_tasks();
  if (path == "/scans/cancel" && m == "POST")
    return cancel_scan(ex.body);
  if (path == "/db/import" && m == "POST")
    return db_import(query, ex.body);
  if (path == "/db/status" && m == "GET")
    return db_status();
  if (path == "/db/update" && m == "POST")
    return db_update(ex.body);
  if (path == "/db/rematch" && m == "GET")
    return rematch_status();
  return json_error(404, "no such endpoint: " + m + " " + path);
}

namespace {

/// Applies the registry form's fields present in req to rec (all of them
/// when adding); "" when valid, else what is wrong.
std::string apply_registry_form(const json_body& req, registry_record& rec, bool adding,
                                const secret_box& secrets, std::vector<std::string>* dropped) {
  // Where the stored secrets go: an edit that changes it drops them.
  auto destination = [](const registry_record& r) {
    return r.type + '\n' + r.address + '\n' + r.api_endpoint + '\n' + r.region;
  };
  const auto old_destination = destination(rec);
  auto set = [&](const char* key, std::string& field) {
    if (adding || req.has(key))
      field = req.str(key);
  };
  set("type", rec.type);
  set("address", rec.address);
  set("username", rec.username);
  set("version", rec.version);
  set("region", rec.region);
  set("instance_id", rec.instance_id);
  set("api_endpoint", rec.api_endpoint);
  set("secret_id", rec.secret_id);
  if (adding || req.has("network_type"))
    rec.network_type = req.str("network_type");
  if (adding || req.has("verify_tls"))
    rec.verify_tls = req.boolean("verify_tls", true);
  if (adding || req.has("rate_limit"))
    rec.rate_limit = static_cast<int>(req.integer("rate_limit", 0));
  if (adding || req.has("repositories"))
    rec.repositories = req.strs_or_csv("repositories");
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
  if (!valid_rate_limit(rec.rate_limit))
    return "rate limit must be 5, 10, 20, 50, 100, 500, 1000 or unlimited";
  const bool moved = !adding && destination(rec) != old_destination;
  for (auto [key, field] : {std::pair{"password", &rec.password_sealed},
                            std::pair{"secret_key", &rec.secret_key_sealed}}) {
    if (!adding && !req.has(key)) {
      // A secret given for one host is never sent to another one.
      if (moved && !field->empty()) {
        field->clear();
        if (dropped)
          dropped->push_back(key);
      }
      continue;
    }
    auto plain = req.str(key);
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

http_reply control_api::add_registry(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  registry_record rec;
  rec.name = req.str("name");
  rec.created_at = std::time(nullptr);
  if (!valid_registry_name(rec.name))
    return json_error(400, "registry name must be 1-64 letters, digits, '.', '-' or '_'");
  if (ctx_.db->get_registry(rec.name))
    return json_error(409, "a registry named " + rec.name + " already exists");
  if (auto bad = apply_registry_form(req, rec, true, *ctx_.secrets, nullptr); !bad.empty())
    return json_error(400, bad);
  if (auto ok = ctx_.db->put_registry(rec); !ok)
    return json_error(500, ok.err().message);
  start_registry(sys_, ctx_, rec);
  spdlog::info("registry {} added ({} at {})", rec.name, rec.type, rec.address);
  json_writer w;
  write_registry(w, rec);
  return {201, w.take()};
}

http_reply control_api::edit_registry(const std::string& name, const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto rec = ctx_.db->get_registry(name);
  if (!rec)
    return json_error(404, "no registry named " + name);
  if (req.has("name") && req.str("name") != name)
    return json_error(400, "a registry cannot be renamed; delete and add it instead");
  std::vector<std::string> dropped;
  if (auto bad = apply_registry_form(req, *rec, false, *ctx_.secrets, &dropped); !bad.empty())
    return json_error(400, bad);
  if (auto ok = ctx_.db->put_registry(*rec); !ok)
    return json_error(500, ok.err().message);
  // The same actor: the hour's pull budget and a running sync carry on.
  if (auto handle = ctx_.registry_actor_for(name))
    caf::anon_send(*handle, configure_atom::value, static_cast<int32_t>(rec->rate_limit));
  spdlog::info("registry {} edited ({} at {}){}", rec->name, rec->type, rec->address,
               dropped.empty() ? "" : ": its stored credentials were dropped (new destination)");
  json_writer w;
  write_registry(w, *rec, &dropped);
  return json_ok(w.take());
}

http_reply control_api::list_registries() {
  auto regs = ctx_.db->list_registries();
  if (!regs)
    return json_error(500, regs.err().message);
  json_writer w;
  w.begin_array();
  for (auto& r : *regs)
    write_registry(w, r);
  w.end_array();
  return json_ok(w.take());
}

http_reply control_api::show_registry(const std::string& name) {
  auto rec = ctx_.db->get_registry(name);
  if (!rec)
    return json_error(404, rec.err().message);
  json_writer w;
  write_registry(w, *rec);
  return json_ok(w.take());
}

http_reply control_api::delete_registry(const std::string& name) {
  if (!ctx_.db->get_registry(name))
    return json_error(404, "no registry named " + name);
  if (auto ok = ctx_.db->delete_registry(name); !ok)
    return json_error(500, ok.err().message);
  if (auto handle = ctx_.remove_registry_actor(name))
    caf::anon_send(*handle, stop_atom::value); // a running sync stops first
  spdlog::info("registry {} deleted", name);
  return json_ok(R"({"deleted":true})");
}

http_reply control_api::test_registry(const std::string& name) {
  auto handle = ctx_.registry_actor_for(name);
  if (!handle)
    return json_error(404, "no registry named " + name);
  http_reply rep;
  caf::scoped_actor self{sys_};
  // Each check retries like a sync does, against hosts that may not answer.
  self->request(*handle, std::chrono::minutes{5}, test_atom::value)
    .receive(
      [&](std::vector<registry_check>& checks) {
        json_writer w;
        bool all_ok = true;
        w.begin_object().key("checks").begin_array();
        for (auto& c : checks) {
          all_ok = all_ok && c.error.empty();
          w.begin_object().field("check", c.what).field("ok", c.error.empty());
          if (!c.error.empty())
            w.field("error", c.error);
          w.end_object();
        }
        w.end_array().field("ok", all_ok).end_object();
        rep = json_ok(w.take());
      },
      [&](caf::error& err) { rep = json_error(500, to_string(err)); });
  return rep;
}

http_reply control_api::start_sync(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  std::vector<std::string> names;
  if (req.boolean("all", false)) {
    auto regs = ctx_.db->list_registries();
    if (!regs)
      return json_error(500, regs.err().message);
    for (auto& r : *regs)
      names.push_back(r.name);
  } else {
    names.push_back(req.str("registry"));
  }
  json_writer w;
  w.begin_array();
  caf::scoped_actor self{sys_};
  for (auto& name : names) {
    auto handle = ctx_.registry_actor_for(name);
    if (!handle)
      return json_error(404, "no registry named " + name);
    std::string state;
    self->request(*handle, actor_timeout, sync_atom::value)
      .receive([&](bool started) { state = started ? "started" : "running"; },
               [&](caf::error& err) { state = to_string(err); });
    w.begin_object().field("registry", name).field("sync", state).end_object();
  }
  w.end_array();
  return json_ok(w.take());
}

http_reply control_api::sync_status(const std::string& name) {
  auto handle = ctx_.registry_actor_for(name);
  if (!handle)
    return json_error(404, "no registry named " + name);
  http_reply rep;
  caf::scoped_actor self{sys_};
  self->request(*handle, actor_timeout, status_atom::value)
    .receive([&](sync_progress& p) { rep = json_ok(sync_progress_json(p)); },
             [&](caf::error& err) { rep = json_error(500, to_string(err)); });
  return rep;
}

http_reply control_api::list_images(int64_t new_since) {
  auto images = ctx_.db->list_images();
  auto regs = ctx_.db->list_registries();
  if (!images || !regs)
    return json_error(500, images ? regs.err().message : images.err().message);
  std::map<std::string, const registry_record*> by_name;
  for (auto& r : *regs)
    by_name[r.name] = &r;
  json_writer w;
  w.begin_array();
  for (auto& img : *images) {
    // With new_since: only images with findings first seen after it.
    int64_t fresh = 0;
    if (new_since >= 0) {
      auto result = ctx_.db->get_findings(img.key);
      if (!result)
        continue;
      for (auto& f : result->findings)
        fresh += f.first_seen > new_since;
      if (fresh == 0)
        continue;
    }
    auto r = by_name.find(img.registry);
    write_image(w, img, r == by_name.end() ? "" : r->second->type,
                r == by_name.end() ? "" : r->second->address, new_since >= 0 ? fresh : -1);
  }
  w.end_array();
  return json_ok(w.take());
}

std::vector<image_record> control_api::find_images(const std::string& ref, std::string& error) {
  std::vector<image_record> out;
  auto images = ctx_.db->list_images();
  if (!images) {
    error = images.err().message;
    return out;
  }
  auto is_hex_prefix = [](std::string_view s) {
    if (s.rfind("sha256:", 0) == 0)
      s.remove_prefix(7);
    if (s.size() < 12)
      return false;
    for (char c : s)
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        return false;
    return true;
  };
  auto strip = [](const std::string& d) {
    return d.rfind("sha256:", 0) == 0 ? d.substr(7) : d;
  };
  std::string name = ref;
  // A reference without tag or digest means :latest, as docker has it.
  auto slash = name.rfind('/');
  auto tail = slash == std::string::npos ? name : name.substr(slash + 1);
  if (!is_hex_prefix(ref) && tail.find(':') == std::string::npos
      && name.find('@') == std::string::npos)
    name += ":latest";
  for (auto& img : *images) {
    bool hit = img.key == ref;
    if (!hit && is_hex_prefix(ref)) {
      auto want = strip(ref);
      for (auto* d : {&img.digest, &img.image_id, &img.index_digest})
        if (!d->empty() && strip(*d).rfind(want, 0) == 0)
          hit = true;
    }
    for (auto& tag : img.tags) {
      if (hit)
        break;
      hit = name == img.repository + ":" + tag
            || name == img.registry + "/" + img.repository + ":" + tag;
    }
    for (auto* d : {&img.digest, &img.index_digest}) {
      if (hit || d->empty())
        break;
      hit = name == img.repository + "@" + *d || name == img.registry + "/" + img.repository + "@" + *d;
    }
    if (hit)
      out.push_back(img);
  }
  if (out.empty())
    error = "no image matches " + ref + " (run `regscanctl images list` to see the inventory)";
  return out;
}

http_reply control_api::show_image(const std::string& ref, bool findings, bool packages) {
  std::string error;
  auto images = find_images(ref, error);
  if (images.empty())
    return json_error(404, error);
  json_writer w;
  w.begin_array();
  for (auto& img : images) {
    auto reg = ctx_.db->get_registry(img.registry);
    w.begin_object().key("image");
    write_image(w, img, reg ? reg->type : "", reg ? reg->address : "");
    auto result = ctx_.db->get_result(img.key);
    if (result) {
      w.key("os").begin_object()
        .field("id", result->inv.os.id)
        .field("version_id", result->inv.os.version_id)
        .field("pretty_name", result->inv.os.pretty_name)
        .end_object();
      w.field("notes", result->inv.notes);
      // The build history, lined up with the layers from the stored config.
      std::string history_note;
      auto steps = line_up_history(img.config_json, img.layers, &history_note);
      w.key("history").begin_array();
      for (auto& s : steps)
        w.begin_object()
          .field("created_by", s.created_by)
          .field("created", s.created)
          .field("empty_layer", s.empty_layer)
          .field("layer", s.layer)
          .end_object();
      w.end_array();
      w.field("history_note", history_note);
      if (findings) {
        w.key("vulnerabilities").begin_array();
        for (auto& f : result->findings)
          write_finding(w, f);
        w.end_array();
      }
      if (packages) {
        w.key("packages").begin_array();
        for (auto& p : result->inv.packages)
          write_package(w, p, step_for_layer(steps, p.layer));
        w.end_array();
        // A file that other paths reach too (links): its packages name it once.
        w.key("linked_files").begin_array();
        for (auto& l : result->inv.linked_files)
          w.begin_object().field("file", l.file).field("also_at", l.also_at).end_object();
        w.end_array();
      }
    }
    w.end_object();
  }
  w.end_array();
  return json_ok(w.take());
}

http_reply control_api::start_scan(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  std::vector<std::string> keys;
  if (req.boolean("all", false)) {
    auto images = ctx_.db->list_images();
    if (!images)
      return json_error(500, images.err().message);
    for (auto& img : *images)
      keys.push_back(img.key);
  } else {
    for (auto& ref : req.strings("images")) {
      std::string error;
      auto found = find_images(ref, error);
      if (found.empty())
        return json_error(404, error);
      for (auto& img : found)
        keys.push_back(img.key);
    }
  }
  if (keys.empty())
    return json_error(400, "no images to scan: name one, or use --all after a sync");
  http_reply rep;
  caf::scoped_actor self{sys_};
  self->request(supervisor_, actor_timeout, scan_atom::value, keys)
    .receive(
      [&](std::vector<uint64_t>& ids) {
        json_writer w;
        w.begin_array();
        for (size_t i = 0; i < ids.size(); ++i)
          w.begin_object().field("task", ids[i]).field("image", keys[i]).end_object();
        w.end_array();
        rep = {202, w.take()};
      },
      [&](caf::error& err) { rep = json_error(500, to_string(err)); });
  return rep;
}

http_reply control_api::cancel_scan(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto tasks = supervised_tasks();
  if (!tasks)
    return json_error(500, tasks.err().message);
  // One ref, or many ("refs"): task ids or image references.
  auto refs = req.strings("refs");
  if (auto one = req.str("ref"); !one.empty())
    refs.push_back(one);
  std::vector<uint64_t> ids;
  for (auto& ref : refs) {
    bool numeric = !ref.empty() && ref.size() < 20
                   && ref.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
      ids.push_back(std::stoull(ref));
      continue;
    }
    std::string error;
    auto images = find_images(ref, error);
    if (images.empty())
      return json_error(404, error);
    for (auto& t : *tasks)
      for (auto& img : images)
        if (t.image_key == img.key && active(t.state))
          ids.push_back(t.id);
  }
  if (ids.empty())
    return json_error(404, "no queued, waiting or running scan for " + (refs.empty() ? std::string{"that"} : refs.front()));
  std::vector<uint64_t> cancelled;
  caf::scoped_actor self{sys_};
  self->request(supervisor_, actor_timeout, cancel_atom::value, ids)
    .receive([&](std::vector<uint64_t>& done) { cancelled = std::move(done); },
             [&](caf::error& err) { spdlog::error("cancel: {}", to_string(err)); });
  json_writer w;
  w.begin_array();
  for (auto id : ids)
    w.begin_object()
      .field("task", id)
      .field("cancelled", std::find(cancelled.begin(), cancelled.end(), id) != cancelled.end())
      .end_object();
  w.end_array();
  return json_ok(w.take());
}

expected<std::vector<task_record>> control_api::supervised_tasks() {
  expected<std::vector<task_record>> out = make_error(errc::unavailable, "the supervisor did not answer");
  caf::scoped_actor self{sys_};
  self->request(supervisor_, actor_timeout, list_atom::value)
    .receive([&](std::vector<task_record>& tasks) { out = std::move(tasks); },
             [&](caf::error& err) {
               out = make_error(errc::unavailable, "the supervisor did not answer: " + to_string(err));
             });
  return out;
}

http_reply control_api::list_tasks() {
  auto tasks = supervised_tasks();
  if (!tasks)
    return json_error(500, tasks.err().message);
  json_writer w;
  w.begin_array();
  for (auto& t : *tasks)
    write_task(w, t);
  w.end_array();
  return json_ok(w.take());
}

// The body is the all.zip's bytes (regscanctl reads the file): the daemon
// never opens a path a client names. ?source=<label>&allow_shrink=1.
http_reply control_api::db_import(std::string_view query, const std::string& body) {
  if (body.empty() || body.front() == '{')
    return json_error(400, "send the bytes of an OSV all.zip as the request body "
                           "(regscanctl db import does): regscand opens no path a client names");
  if (body.size() > ctx_.cfg.osv_max_archive_bytes)
    return json_error(413, "the archive is larger than vulndb.max_archive_mib");
  auto path = query_param(query, "source").substr(0, 512); // a label for status and logs
  if (path.empty())
    path = "uploaded archive";
  auto shrink = query_param(query, "allow_shrink");
  import_options opts;
  opts.allow_shrink = !shrink.empty() && shrink != "0" && shrink != "false";
  auto report = ctx_.db->import_osv_bytes(body, path, opts);
  if (!report) {
    spdlog::error("vulnerability import of {} failed: {}", path, report.err().message);
    return json_error(report.err().code == errc::conflict ? 409 : 400, report.err().message);
  }
  for (auto& e : report->errors)
    spdlog::warn("vulnerability import of {}: {}", path, e);
  spdlog::info("vulnerability import of {}: {} read, {} written, {} unchanged, {} withdrawn, "
               "{} removed", path, report->read, report->written, report->unchanged,
               report->withdrawn, report->removed);
  auto generation = start_rematch(std::move(report->changed_packages));
  json_writer w;
  w.begin_object();
  write_import_report(w, *report, generation);
  w.end_object();
  return json_ok(w.take());
}

http_reply control_api::db_update(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto chosen = choose_mirror(ctx_.cfg, req.str("mirror"));
  if (!chosen)
    return json_error(403, chosen.err().message);
  auto mirror = *chosen;
  import_options import;
  import.allow_shrink = req.boolean("allow_shrink", false);
  download_limits limits{ctx_.cfg.osv_max_archive_bytes,
                         std::chrono::seconds{ctx_.cfg.osv_download_timeout_seconds}};
  auto ecosystems = req.strings("ecosystems");
  if (ecosystems.empty()) {
    auto status = ctx_.db->db_status();
    if (!status)
      return json_error(500, status.err().message);
    ecosystems = export_names(*status);
  }
  if (ecosystems.empty())
    return json_error(400, "the database is empty: name the ecosystems to download "
                           "(--ecosystem Debian --ecosystem npm ...)");
  import_report total;
  json_writer w;
  w.begin_object().key("archives").begin_array();
  for (auto& eco : ecosystems) {
    // Blocking, on this connection's own thread: the actors never wait for it.
    auto one = update_ecosystem(*ctx_.db, mirror, eco, ctx_.cfg.data_dir + "/tmp", {}, limits,
                                import);
    w.begin_object().field("ecosystem", eco).field("url", osv_archive_url(mirror, eco));
    if (!one) {
      spdlog::error("vulnerability update of {} failed: {}", eco, one.err().message);
      w.field("error", one.err().message).end_object();
      total.errors.push_back(eco + ": " + one.err().message);
      continue;
    }
    spdlog::info("vulnerability update of {}: {} read, {} written, {} unchanged, {} withdrawn, "
                 "{} removed", eco, one->read, one->written, one->unchanged, one->withdrawn,
                 one->removed);
    w.field("read", one->read).field("written", one->written).field("removed", one->removed);
    w.end_object();
    add_report(total, std::move(*one), eco);
  }
  w.end_array();
  auto generation = start_rematch(std::move(total.changed_packages));
  write_import_report(w, total, generation);
  w.end_object();
  return json_ok(w.take());
}

uint64_t control_api::start_rematch(package_keys changed) {
  if (changed.empty())
    return rematch_->get().requested; // nothing to match again: already done
  return rematch_->request(sys_, std::move(changed));
}

http_reply control_api::rematch_status() {
  auto st = rematch_->get();
  json_writer w;
  w.begin_object()
    .field("running", st.running)
    .field("requested", st.requested)
    .field("completed", st.completed)
    .field("finished_at", st.finished_at)
    .field("inventories", st.last.inventories)
    .field("matched", st.last.matched)
    .field("updated", st.last.updated)
    .field("new_findings", st.last.new_findings)
    .field("seconds", st.last.seconds)
    .field("errors", st.last.errors)
    .field("error", st.last_error)
    .end_object();
  return json_ok(w.take());
}

http_reply control_api::db_status() {
  auto status = ctx_.db->db_status();
  if (!status)
    return json_error(500, status.err().message);
  json_writer w;
  w.begin_array();
  for (auto& s : *status)
    w.begin_object()
      .field("ecosystem", s.ecosystem)
      .field("records", s.records)
      .field("imported_at", s.imported_at)
      .field("source", s.source)
      .end_object();
  w.end_array();
  return json_ok(w.take());
}

} // namespace regscan
