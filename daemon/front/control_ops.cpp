// The console's operations on the control socket: authorization and
// licenses, the scheduled scan, exceptions. Parse, delegate to the
// use-cases, render.
#include <cstdlib>
#include <ctime>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "daemon/exceptions.hpp"
#include "daemon/front/control_api.hpp"
#include "daemon/front/request.hpp"
#include "daemon/front/views.hpp"
#include "daemon/image_refs.hpp"
#include "daemon/image_selection.hpp"
#include "daemon/license.hpp"
#include "daemon/schedule.hpp"

namespace regscan {

namespace {

void write_license(json_writer& w, const license_status& st) {
  w.field("limited", st.limited)
    .field("quota", st.quota)
    .field("used", st.used)
    .field("free", st.free)
    .field("auto_authorize", st.auto_authorize);
}

void write_schedule(json_writer& w, const schedule_record& s) {
  w.begin_object()
    .field("enabled", s.enabled)
    .field("every_days", s.every_days)
    .field("at", s.at)
    .field("categories", s.categories)
    .field("scope", s.scope)
    .field("next_run", s.next_run)
    .field("last_run", s.last_run)
    .field("updated_at", s.updated_at);
  // The zone the times of day are in: the daemon's.
  std::time_t now = std::time(nullptr);
  std::tm t{};
  localtime_r(&now, &t);
  auto tz = std::getenv("TZ");
  w.field("timezone", tz && *tz ? std::string{tz} : std::string{"system"})
    .field("utc_offset_seconds", static_cast<int64_t>(t.tm_gmtoff))
    .end_object();
}

} // namespace

std::optional<http_reply> control_api::route_ops(const http_exchange& ex, const std::string& path,
                                                 std::string_view) {
  const auto& m = ex.method;
  if (path == "/authorize" && m == "POST")
    return change_authorization(ex.body, true);
  if (path == "/unauthorize" && m == "POST")
    return change_authorization(ex.body, false);
  if (path == "/license" && m == "GET")
    return license_show();
  if (path == "/schedule" && m == "GET")
    return schedule_show();
  if (path == "/schedule" && (m == "PUT" || m == "POST"))
    return schedule_set(ex.body);
  if (path == "/schedule" && m == "DELETE")
    return schedule_disable();
  if (path == "/exceptions" && m == "GET")
    return list_exceptions();
  if (path == "/exceptions" && m == "POST")
    return add_exception(ex);
  if (const std::string prefix = "/exceptions/"; path.rfind(prefix, 0) == 0 && m == "DELETE")
    return remove_exception(path.substr(prefix.size()));
  return std::nullopt;
}

http_reply control_api::change_authorization(const std::string& body, bool authorize) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  std::vector<std::string> keys;
  auto expr = req.str("filter");
  if (req.boolean("all", false) || !expr.empty()) {
    std::function<bool(const image_record&)> wanted = [](const image_record&) { return true; };
    if (!expr.empty()) {
      auto pred = image_predicate(*ctx_.db, expr);
      if (!pred)
        return error_reply(pred.err());
      wanted = std::move(*pred);
    }
    auto images = ctx_.db->list_images();
    if (!images)
      return error_reply(images.err());
    for (auto& img : *images)
      if (wanted(img))
        keys.push_back(img.key);
  } else {
    for (auto& ref : req.strings("images")) {
      auto found = find_images(*ctx_.db, ref);
      if (!found)
        return error_reply(found.err());
      for (auto& img : *found)
        keys.push_back(img.key);
    }
  }
  if (keys.empty())
    return json_error(400, expr.empty() ? "no images: name them, or use --all or --filter"
                                        : "no image matches the filter");
  auto change = authorize ? authorize_images(ctx_, keys) : unauthorize_images(ctx_, keys);
  if (!change)
    return error_reply(change.err());
  json_writer w;
  w.begin_object()
    .field(authorize ? "authorized" : "unauthorized", change->changed)
    .field("unchanged", change->unchanged);
  write_license(w, change->after);
  w.end_object();
  return json_ok(w.take());
}

http_reply control_api::license_show() {
  auto st = license_status_of(ctx_);
  if (!st)
    return error_reply(st.err());
  json_writer w;
  w.begin_object();
  write_license(w, *st);
  w.end_object();
  return json_ok(w.take());
}

http_reply control_api::schedule_show() {
  auto s = ctx_.db->get_schedule();
  if (!s)
    return error_reply(s.err());
  json_writer w;
  write_schedule(w, *s);
  return json_ok(w.take());
}

http_reply control_api::schedule_set(const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto s = make_schedule(static_cast<int>(req.integer("every_days", 0)), req.str("at"),
                         req.strings("categories"), req.has("scope") ? req.str("scope") : "all",
                         std::time(nullptr));
  if (!s)
    return error_reply(s.err());
  if (auto old = ctx_.db->get_schedule())
    s->last_run = old->last_run;
  if (auto ok = ctx_.db->put_schedule(*s); !ok)
    return error_reply(ok.err());
  spdlog::info("scheduled scan set: every {} day(s) at {}, scope {}, next run {}", s->every_days,
               s->at, s->scope, s->next_run);
  json_writer w;
  write_schedule(w, *s);
  return json_ok(w.take());
}

http_reply control_api::schedule_disable() {
  auto s = ctx_.db->get_schedule();
  if (!s)
    return error_reply(s.err());
  s->enabled = false;
  s->next_run = 0;
  s->updated_at = std::time(nullptr);
  if (auto ok = ctx_.db->put_schedule(*s); !ok)
    return error_reply(ok.err());
  spdlog::info("scheduled scan disabled");
  json_writer w;
  write_schedule(w, *s);
  return json_ok(w.take());
}

http_reply control_api::list_exceptions() {
  auto list = ctx_.db->list_exceptions();
  if (!list)
    return error_reply(list.err());
  auto now = std::time(nullptr);
  json_writer w;
  w.begin_array();
  for (auto& e : *list)
    write_exception(w, e, now);
  w.end_array();
  return json_ok(w.take());
}

http_reply control_api::add_exception(const http_exchange& ex) {
  json_body req{ex.body};
  if (!req.error.empty())
    return json_error(400, req.error);
  exception_form form;
  form.image = req.str("image");
  form.repository = req.str("repository");
  form.finding = req.str("finding");
  form.reason = req.str("reason");
  form.expires = req.integer("expires", 0);
  // Who made it: the socket peer, as the kernel tells it (SO_PEERCRED).
  form.created_by = ex.peer ? static_cast<int64_t>(ex.peer->uid) : -1;
  auto added = regscan::add_exception(ctx_, form, std::time(nullptr));
  if (!added)
    return error_reply(added.err());
  auto now = std::time(nullptr);
  json_writer w;
  w.begin_array();
  for (auto& e : *added)
    write_exception(w, e, now);
  w.end_array();
  return {201, w.take()};
}

http_reply control_api::remove_exception(const std::string& id) {
  char* end = nullptr;
  auto n = std::strtoull(id.c_str(), &end, 10);
  if (id.empty() || *end != '\0')
    return json_error(400, "an exception id is a number");
  if (auto ok = ctx_.db->delete_exception(n); !ok)
    return error_reply(ok.err());
  spdlog::info("exception {} removed", n);
  return json_ok(R"({"removed":true})");
}

std::vector<exception_record> control_api::exceptions_now() {
  auto list = ctx_.db->list_exceptions();
  if (!list) {
    spdlog::warn("exceptions: {}", list.err().message);
    return {};
  }
  return std::move(*list);
}

image_record control_api::shown_image(const image_record& img,
                                      const std::vector<exception_record>& exceptions) {
  return without_accepted(*ctx_.db, img, exceptions, std::time(nullptr));
}

} // namespace regscan
