#include "daemon/image_query.hpp"
#include "daemon/image_selection.hpp"

#include <algorithm>
#include <ctime>
#include <functional>

#include "daemon/exceptions.hpp"
#include "storage/store.hpp"

namespace regscan {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t at = 0;;) {
    auto next = s.find(sep, at);
    out.push_back(s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos)
      return out;
    at = next + 1;
  }
}

bool contains_nocase(std::string_view hay, std::string_view needle_lower) {
  return ascii_lower(hay).find(needle_lower) != std::string::npos;
}

std::string iso_time(int64_t t) {
  if (t <= 0)
    return {};
  char buf[32];
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

int severity_count(const image_record& img, std::string_view severity) {
  for (auto& [sev, n] : img.severity_counts)
    if (ascii_lower(sev) == severity)
      return n;
  return 0;
}

const std::vector<std::string> filter_fields = {
  "status", "security", "registry", "registry_type", "authorization",
  "severity", "has", "repository", "os", "architecture"};

const std::vector<std::string> has_values = {"vulnerabilities", "secrets", "malware", "risk"};

bool has(const image_record& img, std::string_view what) {
  if (what == "vulnerabilities")
    return img.vuln_count > 0;
  if (what == "secrets")
    return img.secret_count > 0;
  if (what == "malware")
    return malware_count(img) > 0;
  return std::string_view{security_status(img)} == "risky"; // "risk"
}

// The image has a vulnerability whose severity stands in `op` to `value`.
bool severity_holds(const image_record& img, std::string_view op, std::string_view value) {
  int want = severity_rank(value);
  for (auto& [sev, n] : img.severity_counts) {
    if (n <= 0)
      continue;
    int r = severity_rank(sev); // lower rank = worse
    bool ok = op == "=" ? r == want
            : op == "!=" ? r != want
            : op == ">=" ? r <= want
            : op == ">"  ? r < want
            : op == "<=" ? r >= want
                         : r > want;
    if (ok)
      return true;
  }
  return false;
}

// The value of a field that conditions compare with = and !=.
std::string field_value(const image_row& row, std::string_view field) {
  auto& img = row.image;
  if (field == "status")
    return to_string(img.scan_status);
  if (field == "security")
    return security_status(img);
  if (field == "registry")
    return ascii_lower(img.registry);
  if (field == "registry_type")
    return ascii_lower(row.registry_type);
  if (field == "authorization")
    return authorization_status(img);
  if (field == "repository")
    return ascii_lower(img.repository);
  if (field == "os")
    return ascii_lower(img.os);
  return ascii_lower(img.architecture);
}

bool holds(const image_condition& c, const image_row& row) {
  auto any = [&](const std::function<bool(const std::string&)>& one) {
    return std::any_of(c.values.begin(), c.values.end(), one);
  };
  if (c.field == "severity")
    return any([&](const std::string& v) { return severity_holds(row.image, c.op, v); });
  if (c.field == "has") {
    bool found = any([&](const std::string& v) { return has(row.image, v); });
    return c.op == "=" ? found : !found;
  }
  auto value = field_value(row, c.field);
  bool found = any([&](const std::string& v) { return v == value; });
  return c.op == "=" ? found : !found;
}

using column_fn = std::function<cell(const image_row&)>;

cell text(std::string s) { return {std::move(s), std::nullopt}; }
cell number(int64_t n) { return {std::to_string(n), n}; }
// A count that may be "not looked for" (-1): "-" then.
cell count_or_dash(int64_t n, bool incomplete = false) {
  if (n < 0)
    return {"-", n};
  return {std::to_string(n) + (incomplete ? "?" : ""), n};
}

struct column {
  std::string name;
  std::string header;
  column_fn value;
};

const std::vector<column>& columns() {
  static const std::vector<column> all = {
    {"name", "IMAGE", [](const image_row& r) { return text(image_name(r.image)); }},
    {"registry", "REGISTRY", [](const image_row& r) { return text(r.image.registry); }},
    {"registry_type", "REGISTRY TYPE", [](const image_row& r) { return text(r.registry_type); }},
    {"registry_address", "REGISTRY ADDRESS", [](const image_row& r) { return text(r.registry_address); }},
    {"repository", "REPOSITORY", [](const image_row& r) { return text(r.image.repository); }},
    {"tags", "TAGS", [](const image_row& r) { return text(join(r.image.tags, ",")); }},
    {"digest", "DIGEST", [](const image_row& r) { return text(r.image.digest); }},
    {"image_id", "IMAGE ID", [](const image_row& r) { return text(r.image.image_id); }},
    {"index_digest", "INDEX", [](const image_row& r) { return text(r.image.index_digest); }},
    {"platform", "PLATFORM",
     [](const image_row& r) {
       if (!r.image.artifact_type.empty()) // listed, never scanned
         return text("artifact " + r.image.artifact_type);
       return text(r.image.os + "/" + r.image.architecture);
     }},
    {"size", "SIZE", [](const image_row& r) { return number(static_cast<int64_t>(r.image.size)); }},
    {"created", "CREATED", [](const image_row& r) { return text(r.image.created); }},
    {"pushed", "PUSHED", [](const image_row& r) { return text(r.image.pushed); }},
    {"synced_at", "SYNCED", [](const image_row& r) { return text(iso_time(r.image.synced_at)); }},
    {"last_scan", "LAST SCAN", [](const image_row& r) { return text(iso_time(r.image.last_scan)); }},
    {"status", "STATUS",
     [](const image_row& r) {
       if (!r.image.artifact_type.empty())
         return text("not an image");
       return text(std::string{to_string(r.image.scan_status)} + (r.image.incomplete ? " (incomplete)" : "")
                   + (r.image.sync_error.empty() ? "" : " (sync failed)"));
     }},
    {"security", "SECURITY", [](const image_row& r) { return text(security_status(r.image)); }},
    {"risks", "RISKS", [](const image_row& r) { return text(risk_kinds(r.image)); }},
    {"authorization", "AUTHORIZATION", [](const image_row& r) { return text(authorization_status(r.image)); }},
    {"vulnerabilities", "VULNS", [](const image_row& r) { return number(r.image.vuln_count); }},
    {"critical", "CRITICAL", [](const image_row& r) { return number(severity_count(r.image, "critical")); }},
    {"high", "HIGH", [](const image_row& r) { return number(severity_count(r.image, "high")); }},
    {"medium", "MEDIUM", [](const image_row& r) { return number(severity_count(r.image, "medium")); }},
    {"low", "LOW", [](const image_row& r) { return number(severity_count(r.image, "low")); }},
    {"risk", "RISK",
     [](const image_row& r) {
       std::string out;
       for (auto& sev : severities())
         if (int n = severity_count(r.image, ascii_lower(sev)); n > 0)
           out += (out.empty() ? "" : " ") + sev.substr(0, 1) + ":" + std::to_string(n);
       if (out.empty())
         out = r.image.last_scan > 0 ? "none" : "-";
       return text(out);
     }},
    {"secrets", "SECRETS",
     [](const image_row& r) { return count_or_dash(r.image.secret_count, r.image.secrets_incomplete); }},
    {"malware", "MALWARE", [](const image_row& r) { return count_or_dash(malware_count(r.image)); }},
    {"last_error", "ERROR", [](const image_row& r) { return text(r.image.last_error); }},
    {"advice", "ADVICE", [](const image_row& r) { return text(failure_advice(r.image)); }},
    {"new", "NEW", [](const image_row& r) { return count_or_dash(r.new_findings); }},
    {"key", "KEY", [](const image_row& r) { return text(r.image.key); }},
  };
  return all;
}

const column* find_column(std::string_view name) {
  for (auto& c : columns())
    if (c.name == name)
      return &c;
  return nullptr;
}

} // namespace

expected<std::vector<image_row>> load_image_rows(store& db, int64_t new_since) {
  auto images = db.list_images();
  if (!images)
    return images.err();
  auto regs = db.list_registries();
  if (!regs)
    return regs.err();
  std::map<std::string, const registry_record*> by_name;
  for (auto& r : *regs)
    by_name[r.name] = &r;
  // Accepted findings do not count while their exception lives.
  std::vector<exception_record> exceptions;
  if (auto list = db.list_exceptions())
    exceptions = std::move(*list);
  auto now = std::time(nullptr);
  std::vector<image_row> rows;
  rows.reserve(images->size());
  for (auto& img : *images) {
    img = without_accepted(db, img, exceptions, now);
    int64_t fresh = -1;
    if (new_since >= 0) {
      auto result = db.get_findings(img.key);
      if (!result)
        continue;
      fresh = 0;
      for (auto& f : result->findings)
        fresh += f.first_seen > new_since;
      if (fresh == 0)
        continue;
    }
    auto r = by_name.find(img.registry);
    bool known = r != by_name.end();
    rows.push_back({std::move(img), known ? r->second->type : "", known ? r->second->address : "", fresh});
  }
  return rows;
}

std::string ascii_lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

const std::vector<std::string>& severities() {
  static const std::vector<std::string> all = {"Critical", "High", "Medium", "Low", "Unknown"};
  return all;
}

int severity_rank(std::string_view severity) {
  auto s = ascii_lower(severity);
  for (size_t i = 0; i < severities().size(); ++i)
    if (ascii_lower(severities()[i]) == s)
      return static_cast<int>(i);
  return 4;
}

const char* security_status(const image_record& img) {
  if (img.last_scan <= 0)
    return "unknown";
  bool risky = img.vuln_count > 0 || img.secret_count > 0 || malware_count(img) > 0;
  return risky ? "risky" : "safe";
}

const char* authorization_status(const image_record& img) {
  return img.authorized ? "authorized" : "unauthorized";
}

int malware_count(const image_record& img) {
  return img.malware_count;
}

std::string risk_kinds(const image_record& img) {
  std::vector<std::string> kinds;
  for (auto& k : {"vulnerabilities", "secrets", "malware"})
    if (has(img, k))
      kinds.push_back(k);
  return join(kinds, ",");
}

std::string image_name(const image_record& img) {
  auto tags = join(img.tags, ",");
  return img.registry + "/" + img.repository + ":" + (tags.empty() ? "<none>" : tags);
}

std::string failure_advice(const image_record& img) {
  if (img.scan_status != scan_status::failed && img.scan_status != scan_status::cancelled)
    return {};
  auto first_tag = img.tags.empty() ? "@" + img.digest : ":" + img.tags.front();
  const std::string rescan = "rescan it (regscanctl scan " + img.registry + "/" + img.repository
                             + first_tag + ")";
  if (img.scan_status == scan_status::cancelled)
    return rescan;
  const auto& code = img.last_error_code;
  if (code == "unauthorized")
    return "check the registry's credentials (regscanctl registry test " + img.registry
           + "), then " + rescan;
  if (code == "forbidden")
    return "the registry's user may not pull this repository: grant it pull access, then " + rescan;
  if (code == "not_found")
    return "the image or one of its layers is gone from the registry: sync it (regscanctl sync "
           + img.registry + "), then " + rescan;
  if (code == "transport")
    return "the registry did not answer: check its address and network (regscanctl registry test "
           + img.registry + "), then " + rescan;
  if (code == "unavailable")
    return "the registry or regscand was busy: " + rescan + " later";
  if (code == "limit")
    return "the image is over a scan limit of regscand.toml: raise the limit, then " + rescan;
  if (code == "corrupt")
    return "the image's data is malformed: push it again, then " + rescan;
  return rescan + "; if it fails again, see regscand's log";
}

expected<image_filter> parse_image_filter(std::string_view expr) {
  image_filter out;
  if (trim(expr).empty())
    return out;
  for (auto part : split(expr, ',')) {
    part = trim(part);
    auto at = part.find_first_of("=!<>");
    if (at == std::string_view::npos || at == 0)
      return make_error(errc::invalid, "filter: '" + std::string(part)
                                         + "' is not field=value (fields: status, security, registry, "
                                           "registry_type, authorization, severity, has, repository, os, architecture)");
    image_condition c;
    c.field = ascii_lower(trim(part.substr(0, at)));
    auto rest = part.substr(at);
    for (const char* op : {"!=", ">=", "<=", "=", ">", "<"})
      if (rest.starts_with(op)) {
        c.op = op;
        break;
      }
    if (c.op.empty())
      return make_error(errc::invalid, "filter: '" + std::string(part) + "' has no operator (= != >= <= > <)");
    if (std::find(filter_fields.begin(), filter_fields.end(), c.field) == filter_fields.end())
      return make_error(errc::invalid, "filter: unknown field '" + c.field
                                         + "' (status, security, registry, registry_type, authorization, "
                                           "severity, has, repository, os, architecture)");
    if (c.field != "severity" && c.op != "=" && c.op != "!=")
      return make_error(errc::invalid, "filter: " + c.field + " takes = or !=, not " + c.op);
    for (auto v : split(rest.substr(c.op.size()), '|')) {
      auto value = ascii_lower(trim(v));
      if (value.empty())
        return make_error(errc::invalid, "filter: '" + std::string(part) + "' has an empty value");
      auto one_of = [&](const std::vector<std::string>& allowed) {
        return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
      };
      auto allowed_list = [&](const std::vector<std::string>& allowed) {
        return make_error(errc::invalid, "filter: " + c.field + " is one of " + join(allowed, ", ")
                                           + ", not '" + value + "'");
      };
      static const std::vector<std::string> statuses = {"unscanned", "queued",    "scanning",
                                                        "scanned",   "cancelled", "failed"};
      static const std::vector<std::string> security = {"risky", "safe", "unknown"};
      static const std::vector<std::string> authorization = {"authorized", "unauthorized"};
      std::vector<std::string> sev_lower;
      for (auto& s : severities())
        sev_lower.push_back(ascii_lower(s));
      if (c.field == "status" && !one_of(statuses))
        return allowed_list(statuses);
      if (c.field == "security" && !one_of(security))
        return allowed_list(security);
      if (c.field == "authorization" && !one_of(authorization))
        return allowed_list(authorization);
      if (c.field == "has" && !one_of(has_values))
        return allowed_list(has_values);
      if (c.field == "severity" && !one_of(sev_lower))
        return allowed_list(sev_lower);
      c.values.push_back(value);
    }
    out.all.push_back(std::move(c));
  }
  return out;
}

bool matches(const image_filter& filter, const image_row& row) {
  return std::all_of(filter.all.begin(), filter.all.end(),
                     [&](const image_condition& c) { return holds(c, row); });
}

bool matches_search(std::string_view text, const image_row& row) {
  auto needle = ascii_lower(trim(text));
  if (needle.empty())
    return true;
  auto& img = row.image;
  if (contains_nocase(image_name(img), needle) || contains_nocase(img.digest, needle)
      || contains_nocase(img.index_digest, needle) || contains_nocase(img.image_id, needle)
      || contains_nocase(img.os, needle) || contains_nocase(img.architecture, needle))
    return true;
  return std::any_of(img.tags.begin(), img.tags.end(),
                     [&](const std::string& t) { return contains_nocase(t, needle); });
}

const std::vector<std::string>& image_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto& c : columns())
      out.push_back(c.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& default_image_columns() {
  static const std::vector<std::string> names = {"name", "digest", "image_id", "platform", "size", "status",
                                                 "last_scan", "vulnerabilities", "risk", "secrets",
                                                 "malware", "authorization"};
  return names;
}

expected<std::vector<std::string>> parse_columns(std::string_view list) {
  std::vector<std::string> out;
  for (auto part : split(list, ',')) {
    auto name = ascii_lower(trim(part));
    if (name.empty())
      continue;
    if (!find_column(name))
      return make_error(errc::invalid, "unknown column '" + name + "'; columns: " + join(image_columns(), ","));
    out.push_back(name);
  }
  if (out.empty())
    return make_error(errc::invalid, "no columns named");
  return out;
}

std::string column_header(std::string_view column) {
  auto* c = find_column(column);
  return c ? c->header : std::string{column};
}

cell column_value(const image_row& row, std::string_view column) {
  auto* c = find_column(column);
  return c ? c->value(row) : cell{};
}

expected<void> parse_sort(std::string_view spec, image_query& q) {
  auto name = spec;
  q.descending = false;
  if (auto colon = spec.rfind(':'); colon != std::string_view::npos) {
    auto dir = ascii_lower(spec.substr(colon + 1));
    if (dir != "desc" && dir != "asc")
      return make_error(errc::invalid, "sort: '" + std::string(spec) + "' is COLUMN, COLUMN:asc or COLUMN:desc");
    q.descending = dir == "desc";
    name = spec.substr(0, colon);
  }
  auto column = ascii_lower(trim(name));
  if (!find_column(column))
    return make_error(errc::invalid, "sort: unknown column '" + column + "'; columns: " + join(image_columns(), ","));
  q.sort = column;
  return {};
}

image_page run_query(const image_query& q, std::vector<image_row> rows) {
  std::erase_if(rows, [&](const image_row& r) {
    if (!q.registries.empty()
        && std::find(q.registries.begin(), q.registries.end(), r.image.registry) == q.registries.end())
      return true;
    return !matches(q.filter, r) || !matches_search(q.search, r);
  });
  auto* col = find_column(q.sort);
  if (!col)
    col = find_column("name");
  using sort_key = std::pair<cell, size_t>;
  std::vector<sort_key> keys;
  keys.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    keys.emplace_back(col->value(rows[i]), i);
  // Numbers compare as numbers; ties go by image key, so pages are stable.
  std::sort(keys.begin(), keys.end(), [&](const sort_key& a, const sort_key& b) {
    int c = 0;
    if (a.first.number && b.first.number)
      c = *a.first.number < *b.first.number ? -1 : *a.first.number > *b.first.number;
    else
      c = a.first.text.compare(b.first.text) < 0 ? -1 : a.first.text != b.first.text;
    if (q.descending)
      c = -c;
    if (c != 0)
      return c < 0;
    return rows[a.second].image.key < rows[b.second].image.key;
  });
  image_page out;
  out.total = rows.size();
  size_t begin = 0, end = rows.size();
  if (q.page_size > 0) {
    out.pages = std::max<size_t>(1, (rows.size() + q.page_size - 1) / q.page_size);
    begin = std::min(rows.size(), (std::max<size_t>(q.page, 1) - 1) * q.page_size);
    end = std::min(rows.size(), begin + q.page_size);
  }
  for (size_t i = begin; i < end; ++i)
    out.rows.push_back(std::move(rows[keys[i].second]));
  return out;
}

std::string csv_field(std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos
               || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote)
    return std::string{s};
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string to_csv(const std::vector<std::string>& columns, const std::vector<image_row>& rows) {
  std::string out;
  auto line = [&](const std::function<std::string(const std::string&)>& value) {
    for (size_t i = 0; i < columns.size(); ++i)
      out += (i ? "," : "") + csv_field(value(columns[i]));
    out += "\r\n";
  };
  line([](const std::string& c) { return c; });
  for (auto& r : rows)
    line([&](const std::string& c) {
      auto v = column_value(r, c);
      // A count not looked for is empty in CSV, not "-".
      return v.number && *v.number < 0 ? std::string{} : v.text;
    });
  return out;
}

overview summarize(const std::vector<image_row>& rows, const std::vector<registry_record>& registries) {
  overview o;
  for (auto s : {scan_status::unscanned, scan_status::queued, scan_status::scanning, scan_status::scanned,
                 scan_status::cancelled, scan_status::failed})
    o.by_status[to_string(s)] = 0;
  for (auto s : {"risky", "safe", "unknown"})
    o.by_security[s] = 0;
  for (auto& sev : severities())
    o.vulnerabilities_by_severity[sev] = 0;
  std::map<std::string, overview::registry_line> regs;
  for (auto& r : registries)
    regs[r.name] = {r.name, r.type, r.address, 0, 0};
  for (auto& row : rows) {
    auto& img = row.image;
    ++o.images;
    ++o.by_status[to_string(img.scan_status)];
    std::string security = security_status(img);
    ++o.by_security[security];
    o.at_risk += security == "risky";
    o.unauthorized += std::string_view{authorization_status(img)} == "unauthorized";
    o.vulnerabilities += img.vuln_count;
    for (auto& sev : severities())
      o.vulnerabilities_by_severity[sev] += severity_count(img, ascii_lower(sev));
    o.malware += std::max(0, malware_count(img));
    o.secrets += std::max(0, img.secret_count);
    auto& line = regs[img.registry];
    line.name = img.registry;
    ++line.images;
    line.last_synced = std::max(line.last_synced, img.synced_at);
  }
  for (auto& [name, line] : regs)
    o.registries.push_back(line);
  return o;
}

} // namespace regscan

namespace regscan {

expected<std::function<bool(const image_record&)>> image_predicate(store& db, std::string_view expr) {
  auto filter = parse_image_filter(expr);
  if (!filter)
    return filter.err();
  auto regs = db.list_registries();
  if (!regs)
    return regs.err();
  // The registry's type and address, as the list's rows have them.
  std::map<std::string, std::pair<std::string, std::string>> by_name;
  for (auto& r : *regs)
    by_name[r.name] = {r.type, r.address};
  return std::function<bool(const image_record&)>{
    [filter = std::move(*filter), by_name = std::move(by_name)](const image_record& img) {
      auto r = by_name.find(img.registry);
      image_row row{img, r == by_name.end() ? "" : r->second.first,
                    r == by_name.end() ? "" : r->second.second, -1};
      return matches(filter, row);
    }};
}

} // namespace regscan
