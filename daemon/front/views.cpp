#include "daemon/front/views.hpp"

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

void write_registry(json_writer& w, const registry_record& r,
                    const std::vector<std::string>* dropped) {
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

void write_image(json_writer& w, const image_record& img, const std::string& registry_type,
                 const std::string& address, int64_t new_findings) {
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

void write_package(json_writer& w, const package& p, std::string_view step) {
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

} // namespace regscan
