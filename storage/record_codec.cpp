#include "storage/record_codec.hpp"

#include <limits>
#include <optional>

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

void put_str(json_writer& w, std::string_view k, std::string_view v) {
  std::string scratch;
  w.key(k);
  w.value(safe(v, scratch));
}

void put_strs(json_writer& w, std::string_view k, const std::vector<std::string>& v) {
  w.key(k);
  w.begin_array();
  std::string scratch;
  for (auto& s : v)
    w.value(safe(s, scratch));
  w.end_array();
}

void write_os(json_writer& w, const os_info& os) {
  w.begin_object();
  put_str(w, "id", os.id);
  put_str(w, "version_id", os.version_id);
  put_str(w, "version_codename", os.version_codename);
  put_str(w, "pretty_name", os.pretty_name);
  w.end_object();
}

void write_package(json_writer& w, const package& p) {
  w.begin_object();
  put_str(w, "ecosystem", p.ecosystem);
  put_str(w, "name", p.name);
  put_str(w, "version", p.version);
  put_str(w, "source_name", p.source_name);
  put_str(w, "source_version", p.source_version);
  put_str(w, "file", p.file);
  put_str(w, "layer", p.layer);
  put_str(w, "owner", p.owner);
  if (!p.module.empty())
    put_str(w, "module", p.module);
  w.end_object();
}

// Without the advisory text: the store reads it from the advisory.
void write_finding(json_writer& w, const finding& f) {
  w.begin_object();
  put_str(w, "id", f.id);
  put_strs(w, "aliases", f.aliases);
  put_str(w, "ecosystem", f.ecosystem);
  put_str(w, "package", f.package);
  put_str(w, "source_package", f.source_package);
  put_str(w, "installed_version", f.installed_version);
  put_str(w, "fixed_version", f.fixed_version);
  put_str(w, "severity", f.severity);
  put_str(w, "fix_advice", f.fix_advice);
  put_str(w, "layer", f.layer);
  w.field("first_seen", f.first_seen);
  w.end_object();
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

void read_package(reader& r, package& p) {
  r.str("ecosystem", p.ecosystem);
  r.str("name", p.name);
  r.str("version", p.version);
  r.str("source_name", p.source_name);
  r.str("source_version", p.source_version);
  r.str("file", p.file);
  r.str("layer", p.layer);
  r.str("owner", p.owner);
  r.str("module", p.module);
}

void read_finding(reader& r, finding& f) {
  r.str("id", f.id);
  r.strs("aliases", f.aliases);
  r.str("ecosystem", f.ecosystem);
  r.str("package", f.package);
  r.str("source_package", f.source_package);
  r.str("installed_version", f.installed_version);
  r.str("fixed_version", f.fixed_version);
  r.str("severity", f.severity);
  r.str("title", f.title);
  r.str("description", f.description);
  r.strs("references", f.references);
  r.str("fix_advice", f.fix_advice);
  r.str("layer", f.layer);
  r.i64("first_seen", f.first_seen);
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

// ---- registry ---------------------------------------------------------------

std::string encode(const registry_record& r) {
  json_writer w;
  w.begin_object();
  put_str(w, "name", r.name);
  put_str(w, "type", r.type);
  put_str(w, "address", r.address);
  put_str(w, "username", r.username);
  put_str(w, "password_sealed", r.password_sealed);
  w.field("verify_tls", r.verify_tls);
  w.field("rate_limit", r.rate_limit);
  w.field("created_at", r.created_at);
  put_str(w, "version", r.version);
  put_str(w, "network_type", r.network_type);
  put_str(w, "region", r.region);
  put_str(w, "instance_id", r.instance_id);
  put_str(w, "api_endpoint", r.api_endpoint);
  put_str(w, "secret_id", r.secret_id);
  put_str(w, "secret_key_sealed", r.secret_key_sealed);
  put_strs(w, "repositories", r.repositories);
  w.end_object();
  return w.take();
}

expected<registry_record> decode_registry(std::string_view json) {
  return decode<registry_record>(json, "registry record", [](reader& r, registry_record& v) {
    r.str("name", v.name);
    r.str("type", v.type);
    r.str("address", v.address);
    r.str("username", v.username);
    r.str("password_sealed", v.password_sealed);
    r.boolean("verify_tls", v.verify_tls);
    r.i32("rate_limit", v.rate_limit);
    r.i64("created_at", v.created_at);
    r.str("version", v.version);
    r.str("network_type", v.network_type);
    r.str("region", v.region);
    r.str("instance_id", v.instance_id);
    r.str("api_endpoint", v.api_endpoint);
    r.str("secret_id", v.secret_id);
    r.str("secret_key_sealed", v.secret_key_sealed);
    r.strs("repositories", v.repositories);
  });
}

// ---- image ------------------------------------------------------------------

std::string encode(const image_record& r) {
  json_writer w;
  w.begin_object();
  put_str(w, "key", r.key);
  put_str(w, "registry", r.registry);
  put_str(w, "repository", r.repository);
  put_strs(w, "tags", r.tags);
  put_str(w, "digest", r.digest);
  put_str(w, "index_digest", r.index_digest);
  put_str(w, "image_id", r.image_id);
  put_str(w, "media_type", r.media_type);
  put_str(w, "os", r.os);
  put_str(w, "architecture", r.architecture);
  w.field("size", r.size);
  put_str(w, "created", r.created);
  put_str(w, "pushed", r.pushed);
  put_str(w, "index_media_type", r.index_media_type);
  w.field("synced_at", r.synced_at);
  put_str(w, "scan_status", to_string(r.scan_status));
  w.field("last_scan", r.last_scan);
  put_str(w, "last_error", r.last_error);
  w.field("incomplete", r.incomplete);
  w.key("severity_counts");
  w.begin_object();
  std::string scratch;
  for (auto& [k, v] : r.severity_counts)
    w.key(safe(k, scratch)).value(v);
  w.end_object();
  w.field("vuln_count", r.vuln_count);
  put_strs(w, "layers", r.layers);
  // Kept as a string, not inlined: it must come back byte for byte.
  put_str(w, "config_json", r.config_json);
  w.end_object();
  return w.take();
}

expected<image_record> decode_image(std::string_view json) {
  return decode<image_record>(json, "image record", [](reader& r, image_record& v) {
    r.str("key", v.key);
    r.str("registry", v.registry);
    r.str("repository", v.repository);
    r.strs("tags", v.tags);
    r.str("digest", v.digest);
    r.str("index_digest", v.index_digest);
    r.str("image_id", v.image_id);
    r.str("media_type", v.media_type);
    r.str("os", v.os);
    r.str("architecture", v.architecture);
    r.u64("size", v.size);
    r.str("created", v.created);
    r.str("pushed", v.pushed);
    r.str("index_media_type", v.index_media_type);
    r.i64("synced_at", v.synced_at);
    r.name("scan_status", v.scan_status, parse_scan_status);
    r.i64("last_scan", v.last_scan);
    r.str("last_error", v.last_error);
    r.boolean("incomplete", v.incomplete);
    r.int_map("severity_counts", v.severity_counts);
    r.i32("vuln_count", v.vuln_count);
    r.strs("layers", v.layers);
    r.str("config_json", v.config_json);
  });
}

// ---- task -------------------------------------------------------------------

std::string encode(const task_record& r) {
  json_writer w;
  w.begin_object();
  w.field("id", r.id);
  put_str(w, "image_key", r.image_key);
  put_str(w, "registry", r.registry);
  put_str(w, "state", to_string(r.state));
  w.field("attempts", r.attempts);
  w.field("interruptions", r.interruptions);
  w.field("created_at", r.created_at);
  w.field("updated_at", r.updated_at);
  put_str(w, "waits_for", to_string(r.waits_for));
  w.field("not_before", r.not_before);
  put_str(w, "error", r.error);
  put_str(w, "error_code", r.error_code);
  w.end_object();
  return w.take();
}

expected<task_record> decode_task(std::string_view json) {
  return decode<task_record>(json, "task record", [](reader& r, task_record& v) {
    r.u64("id", v.id);
    r.str("image_key", v.image_key);
    r.str("registry", v.registry);
    r.name("state", v.state, parse_task_state);
    r.i32("attempts", v.attempts);
    r.i32("interruptions", v.interruptions);
    r.i64("created_at", v.created_at);
    r.i64("updated_at", v.updated_at);
    r.name("waits_for", v.waits_for, parse_wait_reason);
    r.i64("not_before", v.not_before);
    r.str("error", v.error);
    r.str("error_code", v.error_code);
  });
}

// ---- scan result ------------------------------------------------------------

std::string encode(const scan_result& r) {
  json_writer w;
  w.begin_object();
  put_str(w, "image_key", r.image_key);
  w.field("scanned_at", r.scanned_at);
  w.field("matched_at", r.matched_at);
  w.key("inventory");
  w.begin_object();
  w.key("os");
  write_os(w, r.inv.os);
  w.key("packages");
  w.begin_array();
  for (auto& p : r.inv.packages)
    write_package(w, p);
  w.end_array();
  if (!r.inv.linked_files.empty()) {
    w.key("linked_files");
    w.begin_array();
    for (auto& l : r.inv.linked_files) {
      w.begin_object();
      put_str(w, "file", l.file);
      put_strs(w, "also_at", l.also_at);
      w.end_object();
    }
    w.end_array();
  }
  w.field("complete", r.inv.complete);
  put_strs(w, "notes", r.inv.notes);
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
      read_objects(ir, "packages", v.inv.packages, read_package);
      read_objects(ir, "linked_files", v.inv.linked_files, [](reader& lr, linked_file& l) {
        lr.str("file", l.file);
        lr.strs("also_at", l.also_at);
      });
      ir.boolean("complete", v.inv.complete);
      ir.strs("notes", v.inv.notes);
      if (!ir.ok())
        r.fail_raw(ir.bad());
    }
    // Results of layout 1 kept their findings here, with the advisory text.
    read_objects(r, "findings", v.findings, read_finding);
  });
}

// ---- findings and the package index -----------------------------------------

std::string encode(const findings_record& r) {
  json_writer w;
  w.begin_object();
  put_str(w, "image_key", r.image_key);
  w.field("scanned_at", r.scanned_at);
  w.field("matched_at", r.matched_at);
  w.field("result_seq", r.result_seq);
  w.key("findings");
  w.begin_array();
  for (auto& f : r.findings)
    write_finding(w, f);
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
    read_objects(r, "findings", v.findings, read_finding);
  });
}

std::string encode_packages(const std::vector<const package*>& packages) {
  json_writer w;
  w.begin_object();
  w.key("packages");
  w.begin_array();
  for (auto* p : packages)
    write_package(w, *p);
  w.end_array();
  w.end_object();
  return w.take();
}

expected<std::vector<package>> decode_packages(std::string_view json) {
  struct list {
    std::vector<package> packages;
  };
  auto got = decode<list>(json, "package index entry", [](reader& r, list& v) {
    read_objects(r, "packages", v.packages, read_package);
  });
  if (!got)
    return got.err();
  return std::move(got->packages);
}

// ---- ecosystem status -------------------------------------------------------

std::string encode(const ecosystem_status& r) {
  json_writer w;
  w.begin_object();
  put_str(w, "ecosystem", r.ecosystem);
  w.field("records", r.records);
  w.field("imported_at", r.imported_at);
  put_str(w, "source", r.source);
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

} // namespace regscan::codec
