#include "daemon/front/views.hpp"

#include <map>
#include <type_traits>

namespace regscan {

int http_status(errc code) {
  switch (code) {
    case errc::invalid: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::conflict: return 409;
    case errc::limit: return 413;
    case errc::corrupt: return 422;
    case errc::cancelled: return 409;
    case errc::transport: return 502;
    case errc::unavailable: return 503;
    case errc::internal: return 500;
  }
  return 500;
}

http_reply json_error(int status, const std::string& message, errc code) {
  json_writer w;
  w.begin_object().field("error", message).field("code", to_string(code)).end_object();
  return {status, w.take()};
}

http_reply json_error(int status, const std::string& message) {
  errc code = errc::internal;
  for (auto c : {errc::invalid, errc::unauthorized, errc::forbidden, errc::not_found,
                 errc::conflict, errc::limit, errc::unavailable})
    if (http_status(c) == status)
      code = c;
  return json_error(status, message, code);
}

http_reply error_reply(const error& e) {
  return json_error(http_status(e.code), e.message, e.code);
}

http_reply json_ok(std::string body) {
  return {200, std::move(body)};
}

namespace {

// Writes one field of a record's fields() list as the API shows it.
template <class M>
void show(json_writer& w, std::string_view k, const M& v, field_use u) {
  if (!u.shown)
    return;
  auto name = u.shown_as.empty() ? k : u.shown_as;
  if constexpr (std::is_enum_v<M>) {
    w.field(name, to_string(v));
  } else if constexpr (std::is_same_v<M, std::map<std::string, int>>) {
    w.key(name).begin_object();
    for (auto& [key, n] : v)
      w.field(key, n);
    w.end_object();
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (u.sealed)
      w.field(name, !v.empty());
    else if (u.null_if_empty && v.empty())
      w.key(name).null();
    else if (!u.omit_empty || !v.empty())
      w.field(name, v);
  } else {
    w.field(name, v);
  }
}

// The shown fields of a record, inside an object the caller opened.
template <class T>
void show_fields(json_writer& w, const T& x) {
  fields(x, [&](std::string_view k, const auto& v, field_use u = {}) { show(w, k, v, u); });
}

} // namespace

void write_registry(json_writer& w, const registry_record& r,
                    const std::vector<std::string>* dropped) {
  w.begin_object();
  show_fields(w, r);
  if (dropped)
    w.field("credentials_dropped", *dropped);
  w.end_object();
}

namespace {

void image_fields(json_writer& w, const image_record& img, const std::string& registry_type,
                  const std::string& address, int64_t new_findings) {
  fields(img, [&](std::string_view k, const auto& v, field_use u = {}) {
    show(w, k, v, u);
    if (k == "registry")
      w.field("registry_type", registry_type).field("registry_address", address);
  });
  if (new_findings >= 0)
    w.field("new_findings", new_findings);
}

} // namespace

void write_image(json_writer& w, const image_record& img, const std::string& registry_type,
                 const std::string& address, int64_t new_findings) {
  w.begin_object();
  image_fields(w, img, registry_type, address, new_findings);
  w.end_object();
}

void write_image_row(json_writer& w, const image_row& row) {
  w.begin_object();
  image_fields(w, row.image, row.registry_type, row.registry_address, row.new_findings);
  w.field("security_status", security_status(row.image))
    .field("risks", risk_kinds(row.image))
    .field("authorization", authorization_status(row.image))
    .field("malware", malware_count(row.image))
    .field("advice", failure_advice(row.image));
  w.end_object();
}

void write_risk(json_writer& w, const risk_summary& r) {
  auto counts = [&](const char* key, const std::map<std::string, int>& by) {
    w.key(key).begin_object();
    for (auto& [sev, n] : by)
      w.field(sev, n);
    w.end_object();
  };
  w.begin_object()
    .field("scanned", r.scanned)
    .field("vulnerabilities", r.vulnerabilities)
    .field("fixable", r.fixable);
  counts("vulnerabilities_by_severity", r.vulnerabilities_by_severity);
  w.field("secrets", r.secrets);
  counts("secrets_by_severity", r.secrets_by_severity);
  w.field("malware", r.malware);
  if (r.worst)
    w.key("worst").begin_object()
      .field("kind", r.worst->kind)
      .field("id", r.worst->id)
      .field("severity", r.worst->severity)
      .field("where", r.worst->where)
      .end_object();
  w.end_object();
}

void write_finding(json_writer& w, const finding& f) {
  w.begin_object();
  show_fields(w, f);
  w.end_object();
}

void write_secret(json_writer& w, const secret_finding& f) {
  w.begin_object();
  show_fields(w, f);
  w.end_object();
}

namespace {

void write_accepted(json_writer& w, const exception_record* accepted) {
  if (!accepted)
    return;
  w.key("accepted").begin_object()
    .field("exception", accepted->id)
    .field("reason", accepted->reason)
    .field("expires", accepted->expires)
    .end_object();
}

} // namespace

void write_finding(json_writer& w, const finding& f, const exception_record* accepted) {
  w.begin_object();
  show_fields(w, f);
  write_accepted(w, accepted);
  w.end_object();
}

void write_secret(json_writer& w, const secret_finding& f, const exception_record* accepted) {
  w.begin_object();
  show_fields(w, f);
  write_accepted(w, accepted);
  w.end_object();
}

void write_exception(json_writer& w, const exception_record& e, int64_t now) {
  w.begin_object();
  show_fields(w, e);
  w.field("expired", e.expires <= now);
  w.end_object();
}

void write_malware(json_writer& w, const malware_finding& f) {
  w.begin_object();
  show_fields(w, f);
  w.end_object();
}

std::string mask_secrets(std::string text, const std::vector<const secret_finding*>& found) {
  const std::string hidden = "(hidden: it holds a secret, see --secrets)";
  for (const auto* f : found) {
    // The finding keeps only the secret's first characters: the secret runs
    // from there to the next delimiter.
    auto prefix = f->masked.substr(0, f->masked.find('*'));
    if (prefix.size() < 4)
      return hidden;
    auto at = text.find(prefix);
    if (at == std::string::npos)
      return hidden;
    for (; at != std::string::npos; at = text.find(prefix, at + f->masked.size())) {
      auto end = text.find_first_of(" \t\r\n'\"@&;|,()<>`", at);
      text.replace(at, (end == std::string::npos ? text.size() : end) - at, f->masked);
    }
  }
  return text;
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

void write_package(json_writer& w, const package& p, std::string_view step) {
  w.begin_object();
  show_fields(w, p);
  w.field("step", step);
  w.end_object();
}

void write_task(json_writer& w, const task_record& t) {
  w.begin_object();
  show_fields(w, t);
  w.end_object();
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
  w.field("images_ok", p.images_ok)
    .field("images_skipped", p.images_skipped)
    .field("images_failed", p.images_failed)
    .field("projects_skipped", p.projects_skipped)
    .field("notes", p.notes);
  w.end_object();
  return w.take();
}

} // namespace regscan
