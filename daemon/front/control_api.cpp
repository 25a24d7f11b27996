#include "daemon/front/control_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/registry.hpp"
#include "daemon/exceptions.hpp"
#include "daemon/front/console_api.hpp"
#include "daemon/front/control_access.hpp"
#include "daemon/front/request.hpp"
#include "daemon/front/views.hpp"
#include "daemon/image_details.hpp"
#include "daemon/image_refs.hpp"
#include "daemon/registry_form.hpp"
#include "daemon/image_selection.hpp"
#include "daemon/scan_request.hpp"
#include "daemon/malware_db.hpp"
#include "daemon/secret_rules.hpp"
#include "scanners/layer/history.hpp"

namespace regscan {

namespace {

constexpr auto actor_timeout = std::chrono::seconds{30};

} // namespace

control_api::control_api(caf::actor_system& sys, daemon_context& ctx, supervisor_actor supervisor,
                         vulndb_actors vulndb)
  : sys_(sys), ctx_(ctx), supervisor_(std::move(supervisor)), vulndb_(std::move(vulndb)) {}

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
  if (auto rep = route_ops(ex, path, query))
    return *rep;
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
  if (path == "/images" && m == "GET")
    return image_list_reply(ctx_, query);
  // The console's pages (daemon/front/console_api).
  if (path == "/overview" && m == "GET")
    return overview_reply(ctx_);
  if (path == "/settings/image-columns" && m == "GET")
    return image_columns_reply(ctx_);
  if (path == "/settings/image-columns" && (m == "PUT" || m == "POST"))
    return save_image_columns(ctx_, ex.body);
  if (path == "/report" && m == "GET")
    return report_reply(ctx_, query);
  if (path == "/image" && m == "GET")
    return show_image(query);
  if (path == "/secrets/rules" && m == "GET")
    return list_secret_rules();
  if (path == "/secrets/rules" && m == "POST")
    return import_secret_rules(ex.body);
  if (path == "/malware/db" && m == "GET")
    return malware_db_status();
  if (path == "/malware/db/reload" && m == "POST")
    return malware_db_reload();
  if (path == "/malware/db/import" && m == "POST")
    return malware_db_import(query, ex.body);
  if (path == "/scans" && m == "POST")
    return start_scan(ex.body);
  if (path == "/scans" && m == "GET")
    return list_tasks();
  if (path == "/scans/cancel" && m == "POST")
    return cancel_scan(ex.body);
  if (path == "/workers" && m == "GET")
    return list_workers();
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

registry_form parse_registry_form(const json_body& req) {
  registry_form f;
  auto str = [&](const char* key, std::optional<std::string>& field) {
    if (req.has(key))
      field = req.str(key);
  };
  str("name", f.name);
  str("type", f.type);
  str("address", f.address);
  str("username", f.username);
  str("password", f.password);
  str("version", f.version);
  str("region", f.region);
  str("instance_id", f.instance_id);
  str("api_endpoint", f.api_endpoint);
  str("secret_id", f.secret_id);
  str("secret_key", f.secret_key);
  str("network_type", f.network_type);
  if (req.has("verify_tls"))
    f.verify_tls = req.boolean("verify_tls", true);
  if (req.has("rate_limit"))
    f.rate_limit = req.integer("rate_limit", 0);
  if (req.has("repositories"))
    f.repositories = req.strs_or_csv("repositories");
  // Harbor projects or TCR namespaces: one list, either name.
  for (auto key : {"projects", "namespaces"})
    if (req.has(key))
      f.projects = req.strs_or_csv(key);
  if (req.has("include_proxy_cache"))
    f.include_proxy_cache = req.boolean("include_proxy_cache", false);
  str("secret_token", f.secret_token);
  return f;
}

} // namespace

http_reply control_api::add_registry(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto rec = regscan::add_registry(ctx_, parse_registry_form(req));
  if (!rec)
    return error_reply(rec.err());
  start_registry(sys_, ctx_, *rec);
  spdlog::info("registry {} added ({} at {})", rec->name, rec->type, rec->address);
  json_writer w;
  write_registry(w, *rec);
  return {201, w.take()};
}

http_reply control_api::edit_registry(const std::string& name, const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto edit = regscan::edit_registry(ctx_, name, parse_registry_form(req));
  if (!edit)
    return error_reply(edit.err());
  auto& rec = edit->record;
  // The same actor: the hour's pull budget and a running sync carry on.
  if (auto handle = ctx_.registry_actor_for(name))
    caf::anon_send(*handle, configure_atom::value, static_cast<int32_t>(rec.rate_limit));
  spdlog::info("registry {} edited ({} at {}){}", rec.name, rec.type, rec.address,
               edit->credentials_dropped.empty() ? "" : ": its stored credentials were dropped (new destination)");
  json_writer w;
  write_registry(w, rec, &edit->credentials_dropped);
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
  ctx_.stats.registry_deleted(name);
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

http_reply control_api::show_image(std::string_view query) {
  auto ref = query_param(query, "ref");
  bool findings = !query_param(query, "vulns").empty();
  bool packages = !query_param(query, "packages").empty();
  bool secrets = !query_param(query, "secrets").empty();
  auto vuln_id = query_param(query, "vuln"); // one vulnerability's details
  // The views' filters (daemon/image_details): severity applies to both lists.
  vuln_filter vf{query_param(query, "severity"), query_param(query, "search"),
                 !query_param(query, "fixable").empty()};
  secret_filter sf{query_param(query, "severity"), query_param(query, "rule"),
                   query_param(query, "category")};
  bool malware = !query_param(query, "malware").empty();
  // Malware: by severity, and by file name (a part of the path).
  auto malware_search = query_param(query, "search");
  auto wanted_malware = [&](const malware_finding& f) {
    return severity_wanted(sf.severity, f.severity)
           && (malware_search.empty() || f.path.find(malware_search) != std::string::npos);
  };
  auto images = find_images(*ctx_.db, ref);
  if (!images)
    return error_reply(images.err());
  auto exceptions = exceptions_now();
  auto now = std::time(nullptr);
  json_writer w;
  w.begin_array();
  for (auto& img : *images) {
    auto reg = ctx_.db->get_registry(img.registry);
    w.begin_object().key("image");
    write_image_row(w, {shown_image(img, exceptions), reg ? reg->type : "", reg ? reg->address : "", -1});
    auto result = ctx_.db->get_result(img.key);
    w.key("risk");
    write_risk(w, summarize_risk(img, result ? &*result : nullptr));
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
      // A step's own secrets are shown masked, as in --secrets.
      std::map<size_t, std::vector<const secret_finding*>> step_secrets;
      std::map<std::string, int> layer_secrets, layer_vulns, layer_packages;
      for (auto& f : result->inv.secrets) {
        if (f.location.starts_with("history:"))
          step_secrets[std::strtoul(f.location.c_str() + 8, nullptr, 10)].push_back(&f);
        else if (!f.layer.empty())
          ++layer_secrets[f.layer];
      }
      for (auto& f : result->findings)
        ++layer_vulns[f.layer];
      for (auto& p : result->inv.packages)
        ++layer_packages[p.layer];
      w.key("history").begin_array();
      for (size_t i = 0; i < steps.size(); ++i) {
        auto& s = steps[i];
        auto found = step_secrets.find(i);
        // What the step brought in: the counts of its layer, and its own secrets.
        auto in_layer = [&](std::map<std::string, int>& by) {
          return s.empty_layer || s.layer.empty() ? 0 : by[s.layer];
        };
        w.begin_object()
          .field("created_by", found == step_secrets.end() ? s.created_by
                                                           : mask_secrets(s.created_by, found->second))
          .field("created", s.created)
          .field("empty_layer", s.empty_layer)
          .field("layer", s.layer)
          .field("packages", in_layer(layer_packages))
          .field("vulnerabilities", in_layer(layer_vulns))
          .field("secrets", in_layer(layer_secrets)
                              + static_cast<int>(found == step_secrets.end() ? 0 : found->second.size()))
          .end_object();
      }
      w.end_array();
      w.field("history_note", history_note);
      if (findings) {
        w.key("vulnerabilities").begin_array();
        for (auto& f : result->findings)
          if (wanted(vf, f))
            write_finding(w, f, accepted_by(exceptions, img, f, now));
        w.end_array();
      }
      if (!vuln_id.empty()) {
        w.key("vulnerability").begin_array();
        for (auto* f : findings_of(result->findings, vuln_id))
          write_finding(w, *f, accepted_by(exceptions, img, *f, now));
        w.end_array();
      }
      if (secrets) {
        w.key("secrets").begin_object()
          .field("scanned", result->inv.secrets_scanned)
          .field("complete", result->inv.secrets_complete);
        w.key("findings").begin_array();
        for (auto& f : result->inv.secrets)
          if (wanted(sf, f))
            write_secret(w, f, accepted_by(exceptions, img, f, now));
        w.end_array();
        w.end_object();
      }
      if (malware) {
        w.key("malware").begin_object()
          .field("scanned", result->inv.malware_scanned)
          .field("complete", result->inv.malware_complete)
          .field("signatures", result->inv.malware_version);
        w.key("findings").begin_array();
        for (auto& f : result->inv.malware)
          if (wanted_malware(f))
            write_malware(w, f);
        w.end_array();
        w.end_object();
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
  // The scope: --all, --latest, or named images (--from-file is read by regscanctl).
  scan_ask ask;
  ask.scope = req.boolean("all", false)      ? scan_scope::all
              : req.boolean("latest", false) ? scan_scope::latest
                                             : scan_scope::named;
  ask.refs = req.strings("images");
  ask.categories = req.strings("categories");
  ask.dedupe = req.boolean("dedupe", true);
  if (auto expr = req.str("filter"); !expr.empty()) {
    auto pred = image_predicate(*ctx_.db, expr);
    if (!pred)
      return error_reply(pred.err());
    ask.filter = std::move(*pred);
    if (ask.refs.empty() && ask.scope == scan_scope::named)
      ask.scope = scan_scope::all; // --filter alone: among every image
  }
  if (ask.scope == scan_scope::named && ask.refs.empty())
    return json_error(400, "no images to scan: name one, or use --all, --latest or --filter");
  auto sel = select_for_scan(ctx_, ask);
  if (!sel)
    return error_reply(sel.err());
  if (sel->groups.empty() && sel->refused.empty())
    return json_error(400, "no images to scan: name one, or use --all after a sync");
  std::vector<uint64_t> ids;
  if (!sel->groups.empty()) {
    bool answered = false;
    caf::error failed;
    caf::scoped_actor self{sys_};
    self->request(supervisor_, actor_timeout, scan_atom::value,
                  scan_order{sel->groups, sel->categories})
      .receive([&](std::vector<uint64_t>& got) { ids = std::move(got), answered = true; },
               [&](caf::error& err) { failed = err; });
    if (!answered)
      return json_error(500, to_string(failed));
  }
  // One entry per image: its task (shared: the task of the image scanned for
  // it), or why it is not scanned; and the categories nothing here looks for.
  json_writer w;
  w.begin_array();
  auto entry = [&](uint64_t task, const std::string& image) {
    w.begin_object().field("task", task).field("image", image);
    if (!sel->unavailable.empty())
      w.field("not_available", sel->unavailable);
  };
  for (size_t i = 0; i < sel->groups.size() && i < ids.size(); ++i) {
    entry(ids[i], sel->groups[i].key);
    w.end_object();
    for (auto& other : sel->groups[i].shares_with) {
      entry(ids[i], other);
      w.field("shares_result_of", sel->groups[i].key).end_object();
    }
  }
  for (auto& [key, why] : sel->refused) {
    entry(0, key);
    w.field("refused", why).end_object();
  }
  w.end_array();
  return {202, w.take()};
}

http_reply control_api::cancel_scan(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto tasks = supervised_tasks();
  if (!tasks)
    return json_error(500, tasks.err().message);
  // One ref, or many ("refs"): task ids or image references; or every active task.
  auto refs = req.strings("refs");
  if (auto one = req.str("ref"); !one.empty())
    refs.push_back(one);
  std::vector<uint64_t> ids;
  if (req.boolean("all", false))
    for (auto& t : *tasks)
      if (active(t.state))
        ids.push_back(t.id);
  auto holds = [](const task_record& t, const std::string& key) {
    return t.image_key == key
           || std::find(t.shares_with.begin(), t.shares_with.end(), key) != t.shares_with.end();
  };
  for (auto& ref : refs) {
    bool numeric = !ref.empty() && ref.size() < 20
                   && ref.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
      ids.push_back(std::stoull(ref));
      continue;
    }
    auto images = find_images(*ctx_.db, ref);
    if (!images)
      return error_reply(images.err());
    for (auto& t : *tasks)
      for (auto& img : *images)
        if (holds(t, img.key) && active(t.state)
            && std::find(ids.begin(), ids.end(), t.id) == ids.end())
          ids.push_back(t.id);
  }
  if (ids.empty())
    return json_error(404, "no queued, waiting or running scan for "
                             + (refs.empty() ? std::string{req.boolean("all", false) ? "any image" : "that"}
                                             : refs.front()));
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

http_reply control_api::list_workers() {
  std::vector<worker_info> workers;
  std::string problem;
  caf::scoped_actor self{sys_};
  self->request(supervisor_, actor_timeout, workers_atom::value)
    .receive([&](std::vector<worker_info>& got) { workers = std::move(got); },
             [&](caf::error& err) { problem = "the supervisor did not answer: " + to_string(err); });
  if (!problem.empty())
    return json_error(500, problem);
  json_writer w;
  w.begin_array();
  for (auto& x : workers)
    w.begin_object()
      .field("id", x.id)
      .field("address", x.address)
      .field("host", x.host)
      .field("version", x.version)
      .field("slots", x.slots)
      .field("running", x.running)
      .field("joined_at", x.joined_at)
      .field("last_heartbeat", x.last_heartbeat)
      .field("malware_version", x.malware_version)
      .end_object();
  w.end_array();
  return json_ok(w.take());
}

// The body is the all.zip's bytes (regscanctl reads the file): the daemon
// never opens a path a client names. ?source=<label>&allow_shrink=1.
http_reply control_api::db_import(std::string_view query, const std::string& body) {
  if (body.empty() || body.front() == '{')
    return json_error(400, "send the bytes of an OSV all.zip as the request body "
                           "(regscanctl db import does): regscand opens no path a client names");
  auto source = query_param(query, "source").substr(0, 512); // a label for status and logs
  if (source.empty())
    source = "uploaded archive";
  auto shrink = query_param(query, "allow_shrink");
  bool allow_shrink = !shrink.empty() && shrink != "0" && shrink != "false";
  return vulndb_reply(import_atom::value, body, source, allow_shrink);
}

http_reply control_api::db_update(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  vulndb_update_request update{req.str("mirror"), req.strings("ecosystems"),
                               req.boolean("allow_shrink", false)};
  return vulndb_reply(update_atom::value, std::move(update));
}

template <class... Ts>
http_reply control_api::vulndb_reply(Ts&&... request) {
  http_reply rep;
  caf::scoped_actor self{sys_};
  // Downloads and imports take minutes; the updater runs them one at a time.
  self->request(vulndb_.updater, caf::infinite, std::forward<Ts>(request)...)
    .receive(
      [&](vulndb_change& change) {
        if (!change.ok) {
          rep = json_error(http_status(change.code), change.error);
          return;
        }
        json_writer w;
        w.begin_object();
        if (!change.archives.empty()) {
          w.key("archives").begin_array();
          for (auto& a : change.archives) {
            w.begin_object().field("ecosystem", a.ecosystem).field("url", a.url);
            if (!a.error.empty())
              w.field("error", a.error);
            else
              w.field("read", a.read).field("written", a.written).field("removed", a.removed);
            w.end_object();
          }
          w.end_array();
        }
        write_import_report(w, change.total, change.rematch);
        w.end_object();
        rep = json_ok(w.take());
      },
      [&](caf::error& err) { rep = json_error(500, to_string(err)); });
  return rep;
}

http_reply control_api::list_secret_rules() {
  json_writer w;
  w.begin_array();
  for (auto& r : secret_rules_in_force(ctx_))
    w.begin_object()
      .field("id", r.id)
      .field("name", r.name)
      .field("category", r.category)
      .field("severity", r.severity)
      .field("source", to_string(r.source))
      .end_object();
  w.end_array();
  return json_ok(w.take());
}

http_reply control_api::import_secret_rules(const std::string& body) {
  auto rules = regscan::import_secret_rules(ctx_, body);
  if (!rules)
    return error_reply(rules.err());
  size_t user = 0;
  for (auto& r : *rules)
    user += r.source == secret_rule_source::user ? 1 : 0;
  spdlog::info("secret rules imported: {} user rules, {} in force", user, rules->size());
  json_writer w;
  w.begin_object().field("user_rules", static_cast<uint64_t>(user))
    .field("rules", static_cast<uint64_t>(rules->size())).end_object();
  return json_ok(w.take());
}

http_reply control_api::malware_db_status() {
  auto s = malware_db_in_force(ctx_);
  json_writer w;
  w.begin_object()
    .field("enabled", s.enabled)
    .field("loaded", s.loaded)
    .field("dir", s.dir)
    .field("version", s.version)
    .field("load_seconds", s.load_seconds)
    .field("loaded_at", s.loaded_at)
    .field("files_scanned", s.scanned)
    .field("verdict_cache_hits", s.cache_hits)
    .field("verdict_store_hits", s.stored_hits);
  w.key("files").begin_array();
  for (auto& f : s.files)
    w.begin_object()
      .field("file", f.file)
      .field("source", f.source)
      .field("signatures", f.signatures)
      .field("version", f.version)
      .field("built", f.built)
      .end_object();
  w.end_array();
  w.end_object();
  return json_ok(w.take());
}

http_reply control_api::malware_db_reload() {
  if (auto r = load_malware_db(ctx_); !r)
    return error_reply(r.err());
  auto s = malware_db_in_force(ctx_);
  spdlog::info("malware signatures reloaded: {} in {:.2f} s", s.version, s.load_seconds);
  return malware_db_status();
}

http_reply control_api::malware_db_import(std::string_view query, const std::string& body) {
  auto name = query_param(query, "name");
  auto n = import_malware_file(ctx_, name, body);
  if (!n)
    return error_reply(n.err());
  spdlog::info("malware signatures imported: {} ({} signatures)", name, *n);
  return malware_db_status();
}

http_reply control_api::rematch_status() {
  http_reply rep;
  caf::scoped_actor self{sys_};
  self->request(vulndb_.rematch, actor_timeout, status_atom::value)
    .receive(
      [&](regscan::rematch_status& st) {
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
        rep = json_ok(w.take());
      },
      [&](caf::error& err) { rep = json_error(500, to_string(err)); });
  return rep;
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
