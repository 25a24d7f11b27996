#include "storage/record_codec.hpp"

#include <limits>
#include <map>
#include <optional>
#include <type_traits>

#include <simdjson.h>

#include "scanners/json_writer.hpp"

namespace regscan::codec {

namespace {

// ---- writing ----------------------------------------------------------------

std::string_view safe(std::string_view s, std::string& scratch) {
  if (simdjson::validate_utf8(s.data(), s.size()))
    return s;
  scratch = utf8_safe(s);
  return scratch;
}

void put(json_writer& w, const std::string& v) {
  std::string scratch;
  w.value(safe(v, scratch));
}

void put(json_writer& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (auto& s : v)
    put(w, s);
  w.end_array();
}

void put(json_writer& w, const std::map<std::string, int>& m) {
  w.begin_object();
  std::string scratch;
  for (auto& [k, v] : m)
    w.key(safe(k, scratch)).value(v);
  w.end_object();
}

template <class M>
void put(json_writer& w, const M& v) {
  if constexpr (std::is_enum_v<M>)
    w.value(to_string(v)); // by name (records.hpp's to_string / parse_*)
  else
    w.value(v);
}

template <class M>
void put_field(json_writer& w, std::string_view k, const M& v) {
  put(w.key(k), v);
}

void write_os(json_writer& w, const os_info& os) {
  w.begin_object();
  put_field(w, "id", os.id);
  put_field(w, "version_id", os.version_id);
  put_field(w, "version_codename", os.version_codename);
  put_field(w, "pretty_name", os.pretty_name);
  w.end_object();
}

// Writes what the store keeps of a record: the fields of its fields() list.
template <class T>
void write_fields(json_writer& w, const T& x) {
  w.begin_object();
  fields(x, [&](std::string_view k, const auto& v, field_use u = {}) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
      if (u.omit_empty && v.empty())
        return;
    if (u.stored)
      put_field(w, k, v);
  });
  w.end_object();
}

template <class T>
std::string encode_fields(const T& x) {
  json_writer w;
  write_fields(w, x);
  return w.take();
}

// ---- reading ----------------------------------------------------------------

// Reads the fields of one JSON object. A missing field keeps its default (so
// older records still load); a field of the wrong type is an error.
class reader {
 public:
  reader(simdjson::dom::object o, std::string path) : o_(o), path_(std::move(path)) {}

  bool ok() const { return bad_.empty(); }
  const std::string& bad() const { return bad_; }

  void str(std::string_view k, std::string& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    std::string_view sv;
    if (e.get_string().get(sv))
      return fail(k, "a string");
    out.assign(sv);
  }

  void strs(std::string_view k, std::vector<std::string>& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    simdjson::dom::array a;
    if (e.get_array().get(a))
      return fail(k, "an array of strings");
    out.clear();
    for (auto item : a) {
      std::string_view sv;
      if (item.get_string().get(sv))
        return fail(k, "an array of strings");
      out.emplace_back(sv);
    }
  }

  /// An enum stored by name (records.hpp's to_string / parse_*).
  template <class E>
  void name(std::string_view k, E& out, std::optional<E> (*parse)(std::string_view)) {
    std::string text;
    str(k, text);
    if (!ok() || text.empty())
      return;
    if (auto v = parse(text))
      out = *v;
    else
      fail(k, "a known name");
  }

  void i64(std::string_view k, int64_t& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    if (e.get_int64().get(out))
      return fail(k, "an integer");
  }

  void u64(std::string_view k, uint64_t& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    if (e.get_uint64().get(out))
      return fail(k, "an unsigned integer");
  }

  void i32(std::string_view k, int& out) {
    int64_t v = out;
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    if (e.get_int64().get(v) || v < std::numeric_limits<int>::min()
        || v > std::numeric_limits<int>::max())
      return fail(k, "a 32-bit integer");
    out = static_cast<int>(v);
  }

  void boolean(std::string_view k, bool& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    if (e.get_bool().get(out))
      return fail(k, "a boolean");
  }

  void int_map(std::string_view k, std::map<std::string, int>& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return;
    simdjson::dom::object o;
    if (e.get_object().get(o))
      return fail(k, "an object of integers");
    out.clear();
    for (auto field : o) {
      int64_t v = 0;
      if (field.value.get_int64().get(v) || v < std::numeric_limits<int>::min()
          || v > std::numeric_limits<int>::max())
        return fail(k, "an object of integers");
      out.emplace(std::string{field.key}, static_cast<int>(v));
    }
  }

  bool object(std::string_view k, simdjson::dom::object& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return false;
    if (e.get_object().get(out)) {
      fail(k, "an object");
      return false;
    }
    return true;
  }

  bool array(std::string_view k, simdjson::dom::array& out) {
    simdjson::dom::element e;
    if (!find(k, e))
      return false;
    if (e.get_array().get(out)) {
      fail(k, "an array");
      return false;
    }
    return true;
  }

  void fail(std::string_view k, std::string_view what) {
    if (bad_.empty())
      bad_ = path_ + std::string{k} + " is not " + std::string{what};
  }
  void fail_raw(std::string msg) {
    if (bad_.empty())
      bad_ = std::move(msg);
  }
  const std::string& path() const { return path_; }

 private:
  bool find(std::string_view k, simdjson::dom::element& e) {
    return o_[k].get(e) == simdjson::SUCCESS;
  }

  simdjson::dom::object o_;
  std::string path_;
  std::string bad_;
};

// A parser per thread: the store is used from many threads, and a parser
// reuses its buffers between documents.
simdjson::dom::parser& parser() {
  thread_local simdjson::dom::parser p;
  return p;
}

template <class T, class Fill>
expected<T> decode(std::string_view json, std::string_view what, Fill fill) {
  simdjson::dom::element doc;
  if (auto err = parser().parse(json.data(), json.size()).get(doc))
    return make_error(std::string{what} + ": invalid JSON: " + simdjson::error_message(err));
  simdjson::dom::object o;
  if (doc.get_object().get(o))
    return make_error(std::string{what} + ": not a JSON object");
  reader r{o, ""};
  T out;
  fill(r, out);
  if (!r.ok())
    return make_error(std::string{what} + ": " + r.bad());
  return out;
}

// Reads each element of an array of objects into `out`.
template <class T, class Fill>
void read_objects(reader& r, std::string_view k, std::vector<T>& out, Fill fill) {
  simdjson::dom::array a;
  if (!r.array(k, a))
    return;
  out.clear();
  std::size_t i = 0;
  for (auto item : a) {
    simdjson::dom::object o;
    std::string path = r.path() + std::string{k} + "[" + std::to_string(i++) + "].";
    if (item.get_object().get(o)) {
      r.fail_raw(path + " is not an object");
      return;
    }
    reader sub{o, path};
    T value;
    fill(sub, value);
    if (!sub.ok()) {
      r.fail_raw(sub.bad());
      return;
    }
    out.push_back(std::move(value));
  }
}

void get(reader& r, std::string_view k, std::string& v) { r.str(k, v); }
void get(reader& r, std::string_view k, std::vector<std::string>& v) { r.strs(k, v); }
void get(reader& r, std::string_view k, std::map<std::string, int>& v) { r.int_map(k, v); }
void get(reader& r, std::string_view k, bool& v) { r.boolean(k, v); }
void get(reader& r, std::string_view k, int& v) { r.i32(k, v); }
void get(reader& r, std::string_view k, int64_t& v) { r.i64(k, v); }
void get(reader& r, std::string_view k, uint64_t& v) { r.u64(k, v); }
void get(reader& r, std::string_view k, scan_status& v) { r.name(k, v, parse_scan_status); }
void get(reader& r, std::string_view k, task_state& v) { r.name(k, v, parse_task_state); }
void get(reader& r, std::string_view k, wait_reason& v) { r.name(k, v, parse_wait_reason); }

// Reads every field of the list, stored or not: results of layout 1 kept the
// advisory text of their findings.
template <class T>
void read_fields(reader& r, T& x) {
  fields(x, [&](std::string_view k, auto& v, field_use = {}) { get(r, k, v); });
}

} // namespace

std::string utf8_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = byte(i);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool good = len != 0 && i + len <= s.size();
    for (std::size_t j = 1; good && j < len; ++j)
      good = (byte(i + j) & 0xc0) == 0x80;
    // Reject overlong forms, surrogates and code points above U+10FFFF.
    if (good && len > 1 && !simdjson::validate_utf8(s.data() + i, len))
      good = false;
    if (good) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

// ---- registry, image, task: their fields() lists ---------------------------

std::string encode(const registry_record& r) { return encode_fields(r); }
std::string encode(const image_record& r) { return encode_fields(r); }
std::string encode(const task_record& r) { return encode_fields(r); }

expected<registry_record> decode_registry(std::string_view json) {
  return decode<registry_record>(json, "registry record", read_fields<registry_record>);
}

expected<image_record> decode_image(std::string_view json) {
  return decode<image_record>(json, "image record", read_fields<image_record>);
}

expected<task_record> decode_task(std::string_view json) {
  return decode<task_record>(json, "task record", read_fields<task_record>);
}

// ---- scan result ------------------------------------------------------------

std::string encode(const scan_result& r) {
  json_writer w;
  w.begin_object();
  put_field(w, "image_key", r.image_key);
  w.field("scanned_at", r.scanned_at);
  w.field("matched_at", r.matched_at);
  w.key("inventory");
  w.begin_object();
  w.key("os");
  write_os(w, r.inv.os);
  w.key("packages");
  w.begin_array();
  for (auto& p : r.inv.packages)
    write_fields(w, p);
  w.end_array();
  if (!r.inv.linked_files.empty()) {
    w.key("linked_files");
    w.begin_array();
    for (auto& l : r.inv.linked_files) {
      w.begin_object();
      put_field(w, "file", l.file);
      put_field(w, "also_at", l.also_at);
      w.end_object();
    }
    w.end_array();
  }
  w.field("complete", r.inv.complete);
  put_field(w, "notes", r.inv.notes);
  if (r.inv.secrets_scanned) {
    w.field("secrets_scanned", true);
    w.field("secrets_complete", r.inv.secrets_complete);
    w.key("secrets");
    w.begin_array();
    for (auto& f : r.inv.secrets)
      write_fields(w, f);
    w.end_array();
  }
  if (r.inv.malware_scanned) {
    w.field("malware_scanned", true);
    w.field("malware_complete", r.inv.malware_complete);
    w.field("malware_version", r.inv.malware_version);
    w.key("malware");
    w.begin_array();
    for (auto& f : r.inv.malware)
      write_fields(w, f);
    w.end_array();
  }
  w.end_object();
  w.end_object();
  return w.take();
}

expected<scan_result> decode_result(std::string_view json) {
  return decode<scan_result>(json, "scan result", [](reader& r, scan_result& v) {
    r.str("image_key", v.image_key);
    r.i64("scanned_at", v.scanned_at);
    r.i64("matched_at", v.matched_at);
    simdjson::dom::object inv;
    if (r.object("inventory", inv)) {
      reader ir{inv, "inventory."};
      simdjson::dom::object os;
      if (ir.object("os", os)) {
        reader osr{os, "inventory.os."};
        osr.str("id", v.inv.os.id);
        osr.str("version_id", v.inv.os.version_id);
        osr.str("version_codename", v.inv.os.version_codename);
        osr.str("pretty_name", v.inv.os.pretty_name);
        if (!osr.ok())
          ir.fail_raw(osr.bad());
      }
      read_objects(ir, "packages", v.inv.packages, read_fields<package>);
      read_objects(ir, "linked_files", v.inv.linked_files, [](reader& lr, linked_file& l) {
        lr.str("file", l.file);
        lr.strs("also_at", l.also_at);
      });
      ir.boolean("complete", v.inv.complete);
      ir.strs("notes", v.inv.notes);
      ir.boolean("secrets_scanned", v.inv.secrets_scanned);
      ir.boolean("secrets_complete", v.inv.secrets_complete);
      read_objects(ir, "secrets", v.inv.secrets, read_fields<secret_finding>);
      ir.boolean("malware_scanned", v.inv.malware_scanned);
      ir.boolean("malware_complete", v.inv.malware_complete);
      ir.str("malware_version", v.inv.malware_version);
      read_objects(ir, "malware", v.inv.malware, read_fields<malware_finding>);
      if (!ir.ok())
        r.fail_raw(ir.bad());
    }
    // Results of layout 1 kept their findings here, with the advisory text.
    read_objects(r, "findings", v.findings, read_fields<finding>);
  });
}

// ---- malware verdicts ---------------------------------------------------------

std::string encode(const malware_verdict& v) {
  json_writer w;
  w.begin_object();
  if (!v.incomplete.empty())
    put_field(w, "incomplete", v.incomplete);
  w.key("findings");
  w.begin_array();
  for (auto& f : v.findings)
    write_fields(w, f);
  w.end_array();
  w.end_object();
  return w.take();
}

expected<malware_verdict> decode_malware_verdict(std::string_view json) {
  return decode<malware_verdict>(json, "malware verdict", [](reader& r, malware_verdict& v) {
    r.str("incomplete", v.incomplete);
    read_objects(r, "findings", v.findings, read_fields<malware_finding>);
  });
}

// ---- findings and the package index -----------------------------------------

std::string encode(const findings_record& r) {
  json_writer w;
  w.begin_object();
  put_field(w, "image_key", r.image_key);
  w.field("scanned_at", r.scanned_at);
  w.field("matched_at", r.matched_at);
  w.field("result_seq", r.result_seq);
  w.key("findings");
  w.begin_array();
  for (auto& f : r.findings)
    write_fields(w, f);
  w.end_array();
  w.end_object();
  return w.take();
}

expected<findings_record> decode_findings(std::string_view json) {
  return decode<findings_record>(json, "findings record", [](reader& r, findings_record& v) {
    r.str("image_key", v.image_key);
    r.i64("scanned_at", v.scanned_at);
    r.i64("matched_at", v.matched_at);
    r.u64("result_seq", v.result_seq);
    read_objects(r, "findings", v.findings, read_fields<finding>);
  });
}

std::string encode_packages(const std::vector<const package*>& packages) {
  json_writer w;
  w.begin_object();
  w.key("packages");
  w.begin_array();
  for (auto* p : packages)
    write_fields(w, *p);
  w.end_array();
  w.end_object();
  return w.take();
}

expected<std::vector<package>> decode_packages(std::string_view json) {
  struct list {
    std::vector<package> packages;
  };
  auto got = decode<list>(json, "package index entry", [](reader& r, list& v) {
    read_objects(r, "packages", v.packages, read_fields<package>);
  });
  if (!got)
    return got.err();
  return std::move(got->packages);
}

// ---- ecosystem status -------------------------------------------------------

std::string encode(const ecosystem_status& r) {
  json_writer w;
  w.begin_object();
  put_field(w, "ecosystem", r.ecosystem);
  w.field("records", r.records);
  w.field("imported_at", r.imported_at);
  put_field(w, "source", r.source);
  w.end_object();
  return w.take();
}

expected<ecosystem_status> decode_ecosystem_status(std::string_view json) {
  return decode<ecosystem_status>(json, "ecosystem status", [](reader& r, ecosystem_status& v) {
    r.str("ecosystem", v.ecosystem);
    r.u64("records", v.records);
    r.i64("imported_at", v.imported_at);
    r.str("source", v.source);
  });
}

// ---- schedule, exception: their fields() lists ------------------------------

std::string encode(const schedule_record& r) { return encode_fields(r); }
std::string encode(const exception_record& r) { return encode_fields(r); }

expected<schedule_record> decode_schedule(std::string_view json) {
  return decode<schedule_record>(json, "schedule record", read_fields<schedule_record>);
}

expected<exception_record> decode_exception(std::string_view json) {
  return decode<exception_record>(json, "exception record", read_fields<exception_record>);
}

} // namespace regscan::codec
