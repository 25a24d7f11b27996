#include "scanners/match/osv_record.hpp"

#include <simdjson.h>

#include <string>
#include <utility>

namespace regscan {
namespace {

namespace dom = simdjson::dom;

// Walks the DOM and keeps the first problem found, with the path where it
// was found; every method returns false once something is wrong.
class reader {
 public:
  // obj[key] as a string; absent or null leaves out unchanged.
  bool str(dom::object obj, std::string_view key, std::string& out, const std::string& path) {
    dom::element e;
    if (!find(obj, key, e))
      return ok();
    return as_str(e, out, join(path, key));
  }

  // Calls f(element, element_path) for each element of the array obj[key];
  // absent or null is an empty array.
  template <class F>
  bool each(dom::object obj, std::string_view key, const std::string& path, F f) {
    dom::element e;
    if (!find(obj, key, e))
      return ok();
    std::string p = join(path, key);
    dom::array a;
    if (e.get_array().get(a) != simdjson::SUCCESS)
      return fail(p + ": expected an array");
    size_t i = 0;
    for (dom::element item : a)
      if (!f(item, p + "[" + std::to_string(i++) + "]"))
        return false;
    return true;
  }

  bool as_obj(dom::element e, dom::object& out, const std::string& path) {
    if (e.get_object().get(out) != simdjson::SUCCESS)
      return fail(path + ": expected an object");
    return true;
  }

  bool as_str(dom::element e, std::string& out, const std::string& path) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS)
      return fail(path + ": expected a string");
    out.assign(s);
    return true;
  }

  // True when key is present and not null.
  static bool find(dom::object obj, std::string_view key, dom::element& out) {
    if (obj.at_key(key).get(out) != simdjson::SUCCESS)
      return false;
    return !out.is_null();
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string{key} : path + "." + std::string{key};
  }

  bool fail(std::string message) {
    if (error_.empty())
      error_ = std::move(message);
    return false;
  }
  bool ok() const { return error_.empty(); }
  const std::string& error_message() const { return error_; }

 private:
  std::string error_;
};

bool parse_event(reader& r, dom::element e, const std::string& p, std::vector<osv_event>& out) {
  dom::object o;
  osv_event ev;
  if (!r.as_obj(e, o, p) || !r.str(o, "introduced", ev.introduced, p) ||
      !r.str(o, "fixed", ev.fixed, p) || !r.str(o, "last_affected", ev.last_affected, p) ||
      !r.str(o, "limit", ev.limit, p))
    return false;
  out.push_back(std::move(ev));
  return true;
}

bool parse_range(reader& r, dom::element e, const std::string& p, std::vector<osv_range>& out) {
  dom::object o;
  osv_range range;
  if (!r.as_obj(e, o, p) || !r.str(o, "type", range.type, p) ||
      !r.each(o, "events", p, [&](dom::element ev, const std::string& ep) {
        return parse_event(r, ev, ep, range.events);
      }))
    return false;
  out.push_back(std::move(range));
  return true;
}

// Severity words live in different places per database: Debian's urgency,
// ecosystem_specific.severity (Ubuntu and others), GHSA's
// database_specific.severity. Only strings count.
std::string find_severity(dom::object affected) {
  constexpr std::pair<std::string_view, std::string_view> places[] = {
      {"ecosystem_specific", "severity"},
      {"ecosystem_specific", "urgency"},
      {"database_specific", "severity"},
  };
  for (auto [container, key] : places) {
    std::string_view s;
    if (affected.at_key(container).at_key(key).get_string().get(s) == simdjson::SUCCESS &&
        !s.empty())
      return std::string{s};
  }
  return {};
}

bool parse_affected(reader& r, dom::element e, const std::string& p,
                    std::vector<osv_affected>& out) {
  dom::object o;
  osv_affected a;
  if (!r.as_obj(e, o, p))
    return false;
  if (dom::element pe; reader::find(o, "package", pe)) {
    std::string pp = p + ".package";
    dom::object pkg;
    if (!r.as_obj(pe, pkg, pp) || !r.str(pkg, "ecosystem", a.ecosystem, pp) ||
        !r.str(pkg, "name", a.name, pp))
      return false;
  }
  if (!r.each(o, "ranges", p,
              [&](dom::element re, const std::string& rp) {
                return parse_range(r, re, rp, a.ranges);
              }) ||
      !r.each(o, "versions", p, [&](dom::element ve, const std::string& vp) {
        return r.as_str(ve, a.versions.emplace_back(), vp);
      }))
    return false;
  a.severity = find_severity(o);
  out.push_back(std::move(a));
  return true;
}

} // namespace

expected<osv_record> parse_osv_record(std::string_view json) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end, hence the
  // padded copy. One parser per thread keeps its buffers between records.
  simdjson::padded_string padded{json};
  thread_local dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    return make_error(std::string{"OSV record is not valid JSON: "} + simdjson::error_message(err));
  dom::object o;
  if (root.get_object().get(o) != simdjson::SUCCESS)
    return make_error("OSV record is not a JSON object");

  reader r;
  osv_record rec;
  if (!r.str(o, "id", rec.id, ""))
    return make_error("OSV record: " + r.error_message());
  if (rec.id.empty())
    return make_error("OSV record has no \"id\"");

  bool good =
      r.str(o, "modified", rec.modified, "") && r.str(o, "withdrawn", rec.withdrawn, "") &&
      r.str(o, "summary", rec.summary, "") && r.str(o, "details", rec.details, "") &&
      r.each(o, "aliases", "",
             [&](dom::element e, const std::string& p) {
               return r.as_str(e, rec.aliases.emplace_back(), p);
             }) &&
      r.each(o, "severity", "",
             [&](dom::element e, const std::string& p) {
               dom::object so;
               osv_severity& s = rec.severity.emplace_back();
               return r.as_obj(e, so, p) && r.str(so, "type", s.type, p) &&
                      r.str(so, "score", s.score, p);
             }) &&
      r.each(o, "affected", "",
             [&](dom::element e, const std::string& p) {
               return parse_affected(r, e, p, rec.affected);
             }) &&
      r.each(o, "references", "", [&](dom::element e, const std::string& p) {
        dom::object ro;
        osv_reference& ref = rec.references.emplace_back();
        return r.as_obj(e, ro, p) && r.str(ro, "type", ref.type, p) &&
               r.str(ro, "url", ref.url, p);
      });
  if (!good)
    return make_error("OSV record " + rec.id + ": " + r.error_message());
  return rec;
}

} // namespace regscan
