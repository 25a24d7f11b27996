#include "daemon/front/console_api.hpp"

#include <algorithm>
#include <cstdlib>

#include "daemon/front/reports.hpp"
#include "daemon/front/request.hpp"
#include "daemon/front/views.hpp"
#include "daemon/image_query.hpp"
#include "daemon/image_refs.hpp"
#include "daemon/services.hpp"

namespace regscan {

namespace {

// A positive count from the query; 0 when absent.
expected<size_t> count_param(std::string_view query, std::string_view name) {
  auto v = query_param(query, name);
  if (v.empty())
    return size_t{0};
  char* end = nullptr;
  auto n = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0' || n < 1 || n > 1000000)
    return make_error(errc::invalid, std::string(name) + " must be a number from 1");
  return static_cast<size_t>(n);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    auto comma = s.find(',', at);
    auto part = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!part.empty())
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return out;
}

// The saved columns, or the default when none are saved (or a saved one is
// no longer known).
std::vector<std::string> saved_columns(services& ctx) {
  auto saved = ctx.db->get_image_columns();
  if (saved && !saved->empty())
    if (auto cols = parse_columns(*saved))
      return *cols;
  return default_image_columns();
}

void write_cell(json_writer& w, const cell& c) {
  if (c.number)
    w.value(*c.number);
  else
    w.value(c.text);
}

} // namespace

http_reply overview_reply(services& ctx) {
  auto rows = load_image_rows(*ctx.db);
  if (!rows)
    return error_reply(rows.err());
  auto regs = ctx.db->list_registries();
  if (!regs)
    return error_reply(regs.err());
  auto o = summarize(*rows, *regs);
  json_writer w;
  w.begin_object()
    .field("images", static_cast<uint64_t>(o.images))
    .field("at_risk", static_cast<uint64_t>(o.at_risk))
    .field("unscanned", static_cast<uint64_t>(o.by_status["unscanned"]))
    .field("scanning", static_cast<uint64_t>(o.by_status["scanning"]))
    .field("failed", static_cast<uint64_t>(o.by_status["failed"]))
    .field("unauthorized", static_cast<uint64_t>(o.unauthorized));
  w.key("by_status").begin_object();
  for (auto& [s, n] : o.by_status)
    w.field(s, static_cast<uint64_t>(n));
  w.end_object();
  w.key("by_security").begin_object();
  for (auto& [s, n] : o.by_security)
    w.field(s, static_cast<uint64_t>(n));
  w.end_object();
  w.key("vulnerabilities").begin_object().field("total", o.vulnerabilities);
  for (auto& sev : severities())
    w.field(sev, o.vulnerabilities_by_severity[sev]);
  w.end_object();
  w.field("malware", o.malware).field("secrets", o.secrets);
  w.key("registries").begin_array();
  for (auto& r : o.registries)
    w.begin_object()
      .field("name", r.name)
      .field("type", r.type)
      .field("address", r.address)
      .field("images", static_cast<uint64_t>(r.images))
      .field("last_synced", r.last_synced)
      .end_object();
  w.end_array().end_object();
  return json_ok(w.take());
}

http_reply image_list_reply(services& ctx, std::string_view query) {
  image_query q;
  auto filter = parse_image_filter(query_param(query, "filter"));
  if (!filter)
    return error_reply(filter.err());
  q.filter = std::move(*filter);
  q.search = query_param(query, "search");
  q.registries = split_list(query_param(query, "registry"));
  for (auto& name : q.registries)
    if (auto reg = ctx.db->get_registry(name); !reg)
      return error_reply(reg.err());
  if (auto sort = query_param(query, "sort"); !sort.empty())
    if (auto ok = parse_sort(sort, q); !ok)
      return error_reply(ok.err());
  auto page = count_param(query, "page");
  auto page_size = count_param(query, "page_size");
  if (!page || !page_size)
    return error_reply(page ? page_size.err() : page.err());
  q.page = std::max<size_t>(1, *page);
  q.page_size = *page_size;
  if (*page > 0 && q.page_size == 0)
    q.page_size = 50;
  auto format = query_param(query, "format");
  if (format.empty())
    format = "json";
  if (format != "json" && format != "csv" && format != "table")
    return json_error(400, "format is json, csv or table");
  auto columns_param = query_param(query, "columns");
  std::vector<std::string> columns;
  if (!columns_param.empty()) {
    auto cols = parse_columns(columns_param);
    if (!cols)
      return error_reply(cols.err());
    columns = std::move(*cols);
  }
  int64_t since = -1;
  if (auto s = query_param(query, "new_since"); !s.empty()) {
    char* end = nullptr;
    since = std::strtoll(s.c_str(), &end, 10);
    if (*end != '\0' || since < 0)
      return json_error(400, "new_since must be unix seconds");
  }
  auto rows = load_image_rows(*ctx.db, since);
  if (!rows)
    return error_reply(rows.err());
  auto result = run_query(q, std::move(*rows));

  if (format == "json" && columns.empty()) { // the whole record of each image
    json_writer w;
    w.begin_array();
    for (auto& r : result.rows)
      write_image_row(w, r);
    w.end_array();
    return json_ok(w.take());
  }
  if (columns.empty()) {
    columns = saved_columns(ctx);
    if (since >= 0)
      columns.push_back("new");
  }
  if (format == "csv")
    return {200, to_csv(columns, result.rows), "text/csv; charset=utf-8"};
  json_writer w;
  if (format == "json") {
    w.begin_array();
    for (auto& r : result.rows) {
      w.begin_object();
      for (auto& c : columns) {
        w.key(c);
        write_cell(w, column_value(r, c));
      }
      w.end_object();
    }
    w.end_array();
    return json_ok(w.take());
  }
  // table: the cells as text, for regscanctl to align.
  w.begin_object()
    .field("total", static_cast<uint64_t>(result.total))
    .field("page", static_cast<uint64_t>(q.page))
    .field("pages", static_cast<uint64_t>(result.pages))
    .field("columns", columns);
  w.key("headers").begin_array();
  for (auto& c : columns)
    w.value(column_header(c));
  w.end_array();
  w.key("rows").begin_array();
  for (auto& r : result.rows) {
    w.begin_array();
    for (auto& c : columns)
      w.value(column_value(r, c).text);
    w.end_array();
  }
  w.end_array().end_object();
  return json_ok(w.take());
}

http_reply image_columns_reply(services& ctx) {
  auto saved = ctx.db->get_image_columns();
  if (!saved)
    return error_reply(saved.err());
  json_writer w;
  w.begin_object()
    .field("columns", saved_columns(ctx))
    .field("saved", !saved->empty())
    .field("available", image_columns())
    .end_object();
  return json_ok(w.take());
}

http_reply save_image_columns(services& ctx, const std::string& body) {
  json_body req{body};
  if (!req.error.empty())
    return json_error(400, req.error);
  auto list = req.strs_or_csv("columns");
  std::string joined;
  for (auto& c : list)
    joined += (joined.empty() ? "" : ",") + c;
  if (!joined.empty()) {
    auto cols = parse_columns(joined);
    if (!cols)
      return error_reply(cols.err());
    joined.clear();
    for (auto& c : *cols)
      joined += (joined.empty() ? "" : ",") + c;
  }
  if (auto ok = ctx.db->put_image_columns(joined); !ok)
    return error_reply(ok.err());
  return image_columns_reply(ctx);
}

http_reply report_reply(services& ctx, std::string_view query) {
  auto format = query_param(query, "format");
  if (format.empty())
    format = "json";
  if (format != "json" && format != "sarif" && format != "cyclonedx")
    return json_error(400, "format is json, sarif or cyclonedx");
  auto images = find_images(*ctx.db, query_param(query, "ref"));
  if (!images)
    return error_reply(images.err());
  if (images->size() > 1) {
    std::string which;
    for (auto& img : *images)
      which += "\n  " + img.registry + "/" + img.repository + "@" + img.digest + " (" + img.os + "/"
               + img.architecture + ")";
    return json_error(409, "the reference names " + std::to_string(images->size())
                             + " images; name one by digest:" + which);
  }
  auto& img = images->front();
  auto result = ctx.db->get_result(img.key);
  if (!result)
    return json_error(409, "image " + img.registry + "/" + img.repository + "@" + img.digest
                             + " has no scan result yet: scan it first");
  image_row row{img, "", "", -1};
  if (auto reg = ctx.db->get_registry(img.registry)) {
    row.registry_type = reg->type;
    row.registry_address = reg->address;
  }
  if (format == "sarif")
    return json_ok(sarif_report(row, *result));
  if (format == "cyclonedx")
    return json_ok(cyclonedx_report(row, *result));
  return json_ok(json_report(row, *result));
}

} // namespace regscan
