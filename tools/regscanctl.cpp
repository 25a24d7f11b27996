// regscanctl: the command line of regscand, over its control socket.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

#include "scanners/json_writer.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using regscan::json_writer;

namespace {

std::string socket_path = "var/regscand.sock";

struct reply {
  int status = 0;
  std::string body;
};

[[noreturn]] void die(const std::string& message) {
  std::cerr << "regscanctl: " << message << "\n";
  std::exit(1);
}

reply call(const std::string& method, const std::string& target, const std::string& body = {},
          const char* content_type = "application/json") {
  try {
    asio::io_context io;
    asio::local::stream_protocol::socket sock{io};
    beast::error_code ec;
    sock.connect(asio::local::stream_protocol::endpoint{socket_path}, ec);
    if (ec)
      die("cannot reach regscand at " + socket_path + ": " + ec.message()
          + " (is it running? --socket or REGSCAN_SOCKET name another socket)");
    http::request<http::string_body> req{method == "GET"      ? http::verb::get
                                         : method == "DELETE" ? http::verb::delete_
                                         : method == "PUT"    ? http::verb::put
                                                              : http::verb::post,
                                         target, 11};
    req.set(http::field::host, "regscand");
    req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    http::write(sock, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(sock, buf, parser);
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
  } catch (const std::exception& e) {
    die(std::string("control socket: ") + e.what());
  }
}

// "--new-since": unix seconds, or RFC 3339 ("2026-11-27T10:00:00Z",
// "2026-11-27T12:00:00+02:00", "2026-11-27"); -1 when it is neither.
int64_t parse_time(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19)
    return std::stoll(s);
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
    return -1;
  std::string_view rest{s};
  rest.remove_prefix(10);
  int64_t offset = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ')
      return -1;
    std::string tail{rest.substr(1)};
    if (std::sscanf(tail.c_str(), "%2d:%2d:%2d%n", &h, &mi, &sec, &used) != 3 || used != 8)
      return -1;
    rest = std::string_view{s}.substr(19);
    if (!rest.empty() && rest[0] == '.') { // fractions of a second do not matter here
      rest.remove_prefix(1);
      while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0])))
        rest.remove_prefix(1);
    }
    if (rest == "Z" || rest == "z") {
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
      int oh = 0, om = 0;
      std::string zone{rest.substr(1)};
      if (std::sscanf(zone.c_str(), "%2d:%2d", &oh, &om) != 2)
        return -1;
      offset = (rest[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return -1;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

std::string url_encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

simdjson::dom::parser parser;

/// Parses a reply; a non-2xx status ends the program with the daemon's error.
simdjson::dom::element parse_ok(const reply& r) {
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc))
    die("regscand answered " + std::to_string(r.status) + " with a body that is not JSON");
  if (r.status >= 300) {
    std::string_view msg;
    if (doc["error"].get(msg))
      msg = "request failed";
    die(std::string(msg));
  }
  return doc;
}

// What `db import` sends: the file itself, or every <Ecosystem>/all.zip below
// a folder, in path order.
std::vector<std::string> osv_archives(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec))
      die("cannot read " + path + ": no such file or folder");
    return {path};
  }
  std::vector<std::string> out;
  for (fs::recursive_directory_iterator it{path, fs::directory_options::skip_permission_denied, ec},
       end;
       !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().filename() == "all.zip")
      out.push_back(it->path().string());
  if (ec)
    die("cannot read " + path + ": " + ec.message());
  if (out.empty())
    die("no <Ecosystem>/all.zip below " + path);
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in.is_open())
    die("cannot open " + path);
  std::string data{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad())
    die("cannot read " + path);
  return data;
}

std::string str(simdjson::dom::element e, const char* key) {
  auto v = e[key];
  std::string_view s;
  if (!v.get(s))
    return std::string(s);
  int64_t i;
  if (!v.get(i))
    return std::to_string(i);
  uint64_t u;
  if (!v.get(u))
    return std::to_string(u);
  bool b;
  if (!v.get(b))
    return b ? "yes" : "no";
  return {};
}

// The sum of the import reports of `db import` (one per archive) or `db update`.
struct import_totals {
  uint64_t read = 0, written = 0, unchanged = 0, withdrawn = 0, removed = 0;
  uint64_t changed = 0;    // packages with changed advisories
  uint64_t generation = 0; // the re-match to wait for: the latest
  std::vector<std::string> errors;

  void add(simdjson::dom::element doc, const std::string& label) {
    auto num = [&](const char* key) {
      uint64_t v = 0;
      return doc[key].get(v) ? uint64_t{0} : v;
    };
    read += num("read");
    written += num("written");
    unchanged += num("unchanged");
    withdrawn += num("withdrawn");
    removed += num("removed");
    changed += num("changed_packages");
    generation = std::max(generation, num("rematch"));
    simdjson::dom::array errs;
    if (!doc["errors"].get(errs))
      for (auto e : errs) {
        std::string_view s;
        if (!e.get(s))
          errors.push_back(label + std::string(s));
      }
  }
};

// After an import: waits for the re-match it started (unless --no-wait),
// then fails when records or archives could not be imported.
void wait_rematch_and_report(uint64_t generation, uint64_t changed, bool no_wait,
                             const std::vector<std::string>& import_errors) {
  if (changed > 0 && !no_wait) {
    for (;;) {
      auto st = parse_ok(call("GET", "/db/rematch"));
      uint64_t completed = 0;
      if (st["completed"].get(completed))
        completed = 0;
      if (completed >= generation) {
        double secs = 0;
        if (st["seconds"].get(secs))
          secs = 0;
        char took[32];
        std::snprintf(took, sizeof took, "%.3f", secs);
        std::cout << "re-matched " << str(st, "matched") << " of " << str(st, "inventories")
                  << " stored inventories in " << took << " s: "
                  << str(st, "updated") << " images changed, " << str(st, "new_findings")
                  << " new findings (no image pulled)\n";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else if (changed > 0) {
    std::cout << "stored images are being re-matched: see `regscanctl images list "
                 "--new-since <time>`\n";
  }
  if (!import_errors.empty()) {
    for (auto& e : import_errors)
      std::cerr << "regscanctl: " << e << "\n";
    die(std::to_string(import_errors.size()) + " record(s) or archive(s) could not be imported");
  }
}

std::string join(simdjson::dom::element e, const char* key, const char* sep = ",") {
  std::string out;
  simdjson::dom::array arr;
  if (e[key].get(arr))
    return out;
  for (auto x : arr) {
    std::string_view s;
    if (x.get(s))
      continue;
    if (!out.empty())
      out += sep;
    out += s;
  }
  return out;
}

/// "CVE-1 +12": the first entry of a list and how many more there are.
std::string first_and_count(simdjson::dom::element e, const char* key) {
  simdjson::dom::array arr;
  if (e[key].get(arr) || arr.size() == 0)
    return "-";
  std::string_view first;
  if (arr.at(0).get(first))
    return "-";
  std::string out{first};
  if (arr.size() > 1)
    out += " +" + std::to_string(arr.size() - 1);
  return out;
}

std::string when(simdjson::dom::element e, const char* key) {
  int64_t t = 0;
  if (e[key].get(t) || t == 0)
    return "-";
  char buf[32];
  std::time_t tt = t;
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&tt));
  return buf;
}

std::string or_dash(std::string s) {
  return s.empty() ? "-" : s;
}

std::string human_size(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string short_digest(const std::string& d) {
  auto hex = d.rfind("sha256:", 0) == 0 ? d.substr(7) : d;
  return hex.substr(0, 12);
}

/// Prints rows as aligned columns under a header.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i)
    width[i] = header[i].size();
  for (auto& row : rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size())
        out += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (auto& row : rows)
    line(row);
}

void print_json(const reply& r) {
  parse_ok(r);
  std::cout << r.body << "\n";
}

void registry_table(simdjson::dom::element doc) {
  std::vector<std::vector<std::string>> rows;
  auto add = [&](simdjson::dom::element r) {
    auto limit = str(r, "rate_limit");
    auto type = str(r, "type");
    if (auto v = str(r, "version"); !v.empty())
      type += " " + v;
    rows.push_back({str(r, "name"), type, str(r, "address"), str(r, "region"), str(r, "username"),
                    limit == "0" ? "unlimited" : limit + "/h", str(r, "verify_tls")});
  };
  if (doc.is_array())
    for (auto r : doc.get_array())
      add(r);
  else
    add(doc);
  print_table({"NAME", "TYPE", "ADDRESS", "REGION", "USERNAME", "RATE LIMIT", "VERIFY TLS"}, rows);
}

std::string image_name(simdjson::dom::element img) {
  auto tags = join(img, "tags");
  return str(img, "registry") + "/" + str(img, "repository") + ":" + (tags.empty() ? "<none>" : tags);
}

std::string risk_summary(simdjson::dom::element img) {
  simdjson::dom::object counts;
  if (img["severity_counts"].get(counts))
    return "-";
  std::string out;
  for (const char* sev : {"Critical", "High", "Medium", "Low", "Unknown"}) {
    int64_t n = 0;
    if (!counts[sev].get(n) && n > 0)
      out += (out.empty() ? "" : " ") + std::string(1, sev[0]) + ":" + std::to_string(n);
  }
  return out.empty() ? (str(img, "scan_status") == "scanned" ? "none" : "-") : out;
}

// "-" when the last scan did not look for secrets; "?" marks an incomplete look.
std::string secrets_summary(simdjson::dom::element img) {
  int64_t n = -1;
  if (img["secrets"].get(n) || n < 0)
    return "-";
  return std::to_string(n) + (str(img, "secrets_incomplete") == "yes" ? "?" : "");
}

// A number of seconds with two decimals.
std::string seconds(simdjson::dom::element e, const char* key) {
  double v = 0;
  if (e[key].get(v))
    return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The same for malware.
std::string malware_summary(simdjson::dom::element img) {
  int64_t n = -1;
  if (img["malware"].get(n) || n < 0)
    return "-";
  return std::to_string(n) + (str(img, "malware_incomplete") == "yes" ? "?" : "");
}

// The daemon's "table" answer: it chose, filtered, sorted and paged; digests
// are shortened and sizes made human here only.
void images_table(simdjson::dom::element doc) {
  std::vector<std::string> columns, head;
  for (auto c : doc["columns"].get_array())
    columns.emplace_back(std::string_view(c.get_string().value_unsafe()));
  for (auto h : doc["headers"].get_array())
    head.emplace_back(std::string_view(h.get_string().value_unsafe()));
  std::vector<std::vector<std::string>> rows;
  for (auto r : doc["rows"].get_array()) {
    std::vector<std::string> row;
    size_t i = 0;
    for (auto v : r.get_array()) {
      std::string text{std::string_view(v.get_string().value_unsafe())};
      const auto& col = columns[i++];
      if (col == "digest" || col == "image_id" || col == "index_digest")
        text = text.empty() ? "-" : short_digest(text);
      else if (col == "size")
        text = human_size(std::strtoull(text.c_str(), nullptr, 10));
      row.push_back(text.empty() ? "-" : text);
    }
    rows.push_back(std::move(row));
  }
  print_table(head, rows);
  auto pages = str(doc, "pages");
  if (pages != "1")
    std::cout << "page " << str(doc, "page") << " of " << pages << " (" << str(doc, "total")
              << " images)\n";
}

void wait_for_sync(const std::string& name) {
  std::string last;
  for (;;) {
    auto doc = parse_ok(call("GET", "/sync?registry=" + url_encode(name)));
    auto state = str(doc, "state");
    auto line = name + ": " + state + " — repositories " + str(doc, "repositories_done") + "/"
                + str(doc, "repositories") + ", tags " + str(doc, "tags") + ", images "
                + str(doc, "images");
    if (line != last && isatty(STDERR_FILENO))
      std::cerr << "\r" << line << std::flush;
    last = line;
    if (state == "done") {
      if (isatty(STDERR_FILENO))
        std::cerr << "\n";
      std::cout << name << ": synced " << str(doc, "repositories") << " repositories, "
                << str(doc, "tags") << " tags, " << str(doc, "images") << " images ("
                << str(doc, "resolved") << " new or changed, " << str(doc, "removed")
                << " removed)\n";
      std::cout << "  images ok " << str(doc, "images_ok") << ", artifacts listed but not scanned "
                << str(doc, "images_skipped") << ", failed " << str(doc, "images_failed")
                << ", projects skipped " << str(doc, "projects_skipped") << "\n";
      simdjson::dom::array notes;
      if (!doc["notes"].get(notes))
        for (auto n : notes)
          std::cout << "  note: " << std::string_view(n.get_string().value_unsafe()) << "\n";
      return;
    }
    if (state == "failed") {
      if (isatty(STDERR_FILENO))
        std::cerr << "\n";
      die("sync of " + name + " failed: " + str(doc, "error"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// ---- the console's operations: licenses, scheduled scans, exceptions ----------

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= s.size()) {
    auto comma = s.find(',', from);
    auto part = s.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!part.empty())
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    from = comma + 1;
  }
  return out;
}

/// The non-empty lines of a file, trimmed; "#" starts a comment.
std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in{path == "-" ? std::string{std::istreambuf_iterator<char>{std::cin}, {}}
                                    : read_file(path)};
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    auto b = line.find_first_not_of(" \t\r");
    auto e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos)
      out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

/// "3/7 layers" for a running task.
std::string task_progress(simdjson::dom::element t) {
  int64_t done = 0, total = 0;
  if (t["layers_done"].get(done) || t["layers_total"].get(total) || total == 0)
    return "-";
  return std::to_string(done) + "/" + std::to_string(total) + " layers";
}

std::string date_of(int64_t t) {
  char buf[32];
  std::time_t tt = t;
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&tt));
  return buf;
}

/// "accepted (#3 until 2027-01-01 00:00:00: reason)" for a finding an exception accepts.
std::string accepted_note(simdjson::dom::element f) {
  auto a = f["accepted"];
  if (a.error())
    return "-";
  int64_t expires = 0;
  if (a["expires"].get(expires))
    expires = 0;
  return "accepted (#" + str(a.value(), "exception") + " until " + date_of(expires) + ": "
         + str(a.value(), "reason") + ")";
}

void print_license(simdjson::dom::element doc) {
  if (str(doc, "limited") != "yes") {
    std::cout << "no license quota configured: every image is authorized ("
              << str(doc, "used") << " images)\n";
    return;
  }
  std::cout << "quota:          " << str(doc, "quota") << "\n"
            << "used:           " << str(doc, "used") << "\n"
            << "free:           " << str(doc, "free") << "\n"
            << "auto-authorize: " << str(doc, "auto_authorize") << "\n";
}

void print_schedule(simdjson::dom::element doc) {
  if (str(doc, "enabled") != "yes") {
    std::cout << "scheduled scan: off";
    if (auto last = when(doc, "last_run"); last != "-")
      std::cout << " (last run " << last << ")";
    std::cout << "\n";
    return;
  }
  auto cats = join(doc, "categories");
  std::cout << "scheduled scan: every " << str(doc, "every_days") << " day(s) at "
            << str(doc, "at") << " (" << str(doc, "timezone") << ")\n"
            << "  categories: " << (cats.empty() ? "all available" : cats) << "\n"
            << "  scope:      " << str(doc, "scope") << "\n"
            << "  next run:   " << when(doc, "next_run") << "\n"
            << "  last run:   " << when(doc, "last_run") << "\n";
}

/// What the console's pages add to regscanctl; each runs from its callback.
void add_console_ops(CLI::App& app) {
  static struct {
    std::vector<std::string> images;
    bool all = false, json = false;
    int every = 0;
    std::string at, categories, scope = "all";
    std::string image, repository, finding, reason, expires, id, filter;
  } a;
  auto change = [](bool authorize) {
    if (int(a.all) + int(!a.images.empty()) + int(!a.filter.empty()) != 1)
      die("name the images, or use --all or --filter");
    json_writer w;
    w.begin_object().field("images", a.images);
    if (a.all)
      w.field("all", true);
    if (!a.filter.empty())
      w.field("filter", a.filter);
    w.end_object();
    auto doc = parse_ok(call("POST", authorize ? "/authorize" : "/unauthorize", w.str()));
    simdjson::dom::array changed;
    if (!doc[authorize ? "authorized" : "unauthorized"].get(changed))
      for (auto k : changed)
        std::cout << (authorize ? "authorized " : "unauthorized ")
                  << std::string_view(k.get_string().value_unsafe()) << "\n";
    simdjson::dom::array same;
    if (!doc["unchanged"].get(same))
      for (auto k : same)
        std::cout << "already " << (authorize ? "authorized " : "unauthorized ")
                  << std::string_view(k.get_string().value_unsafe()) << "\n";
    if (str(doc, "limited") == "yes")
      std::cout << str(doc, "used") << " of " << str(doc, "quota") << " licenses used, "
                << str(doc, "free") << " free\n";
  };
  for (bool authorize : {true, false}) {
    auto* cmd = app.add_subcommand(authorize ? "authorize" : "unauthorize",
                                   authorize ? "authorize images for scanning (one license each)"
                                             : "take images' authorization back (frees their licenses)");
    cmd->add_option("images", a.images, "image references");
    cmd->add_flag("--all", a.all, "every image in the inventory");
    cmd->add_option("--filter", a.filter, "the images that match, in `images list --filter`'s grammar");
    cmd->callback([change, authorize] { change(authorize); });
  }
  auto* license = app.add_subcommand("license", "the license quota");
  license->require_subcommand(1);
  auto* license_show = license->add_subcommand("show", "quota, used and free licenses");
  license_show->add_flag("--json", a.json, "print JSON");
  license_show->callback([] {
    auto r = call("GET", "/license");
    if (a.json)
      return print_json(r);
    print_license(parse_ok(r));
  });

  auto* schedule = app.add_subcommand("schedule", "the scheduled scan");
  schedule->require_subcommand(1);
  auto* schedule_show = schedule->add_subcommand("show", "the scheduled scan and its next run");
  schedule_show->add_flag("--json", a.json, "print JSON");
  schedule_show->callback([] {
    auto r = call("GET", "/schedule");
    if (a.json)
      return print_json(r);
    print_schedule(parse_ok(r));
  });
  auto* schedule_set = schedule->add_subcommand("set", "scan every N days at a time of day");
  schedule_set->add_option("--every", a.every, "period in days: 1, 7, 15 or 30")->required();
  schedule_set->add_option("--at", a.at, "time of day, HH:MM in the daemon's time zone")->required();
  schedule_set->add_option("--categories", a.categories,
                           "what to look for, comma-separated: vulns,secrets,malware (default: all)");
  schedule_set->add_option("--scope", a.scope, "all (every image) or latest (newest tag of each repository)");
  schedule_set->callback([] {
    json_writer w;
    w.begin_object().field("every_days", a.every).field("at", a.at).field("scope", a.scope);
    if (!a.categories.empty())
      w.field("categories", split_csv(a.categories));
    w.end_object();
    print_schedule(parse_ok(call("PUT", "/schedule", w.str())));
  });
  auto* schedule_disable = schedule->add_subcommand("disable", "turn the scheduled scan off");
  schedule_disable->callback([] { print_schedule(parse_ok(call("DELETE", "/schedule"))); });

  auto* exception = app.add_subcommand("exception", "accepted findings");
  exception->require_subcommand(1);
  auto* exception_add = exception->add_subcommand(
    "add", "accept a finding for an image or a repository until a date");
  exception_add->add_option("--image", a.image, "image reference");
  exception_add->add_option("--repository", a.repository, "[registry/]repository");
  exception_add->add_option("--finding", a.finding, "advisory id or alias, or secret rule id")->required();
  exception_add->add_option("--reason", a.reason, "why it is accepted")->required();
  exception_add->add_option("--expires", a.expires,
                            "when it expires: YYYY-MM-DD (00:00 UTC), RFC 3339 or unix seconds")
    ->required();
  exception_add->callback([] {
    auto expires = parse_time(a.expires);
    if (expires < 0)
      die("--expires takes YYYY-MM-DD, RFC 3339 (2027-01-31T00:00:00Z) or unix seconds");
    json_writer w;
    w.begin_object()
      .field("image", a.image)
      .field("repository", a.repository)
      .field("finding", a.finding)
      .field("reason", a.reason)
      .field("expires", expires)
      .end_object();
    auto doc = parse_ok(call("POST", "/exceptions", w.str()));
    for (auto e : doc.get_array())
      std::cout << "exception " << str(e, "id") << ": " << str(e, "finding") << " accepted for "
                << (str(e, "image").empty() ? str(e, "repository") : str(e, "image")) << " until "
                << when(e, "expires") << "\n";
  });
  auto* exception_list = exception->add_subcommand("list", "every exception");
  exception_list->add_flag("--json", a.json, "print JSON");
  exception_list->callback([] {
    auto r = call("GET", "/exceptions");
    if (a.json)
      return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (auto e : parse_ok(r).get_array())
      rows.push_back({str(e, "id"), str(e, "finding"),
                      str(e, "image").empty() ? str(e, "repository") : str(e, "image"),
                      when(e, "expires") + (str(e, "expired") == "yes" ? " (expired)" : ""),
                      str(e, "created_by"), when(e, "created_at"), str(e, "reason")});
    print_table({"ID", "FINDING", "FOR", "EXPIRES", "BY UID", "CREATED", "REASON"}, rows);
  });
  auto* exception_remove = exception->add_subcommand("remove", "remove an exception");
  exception_remove->add_option("id", a.id, "exception id")->required();
  exception_remove->callback([] {
    parse_ok(call("DELETE", "/exceptions/" + url_encode(a.id)));
    std::cout << "exception " << a.id << " removed\n";
  });
}

// The details page's risk summary (the reply's "risk").
void print_risk(simdjson::dom::element entry) {
  auto risk = entry["risk"];
  if (risk.error())
    return;
  auto img = entry["image"];
  std::cout << "  security: " << str(img.value(), "security_status");
  if (auto kinds = str(img.value(), "risks"); !kinds.empty())
    std::cout << " (" << kinds << ")";
  // Malware and authorization are on the lines above.
  std::cout << "\n  fixable:  " << str(risk.value(), "fixable") << " vulnerabilities have a fixed version\n";
  if (auto worst = risk["worst"]; !worst.error())
    std::cout << "  worst:    " << str(worst.value(), "severity") << " " << str(worst.value(), "kind") << " "
              << str(worst.value(), "id") << " in " << str(worst.value(), "where") << "\n";
}

// --vuln ID: one advisory, every package of the image it was found in.
void print_vulnerability(simdjson::dom::array found) {
  auto first = found.at(0).value_unsafe();
  std::cout << "\n" << str(first, "id");
  if (auto aliases = join(first, "aliases", ", "); !aliases.empty())
    std::cout << " (" << aliases << ")";
  std::cout << "  " << str(first, "severity") << "\n";
  if (auto title = str(first, "title"); !title.empty())
    std::cout << "  " << title << "\n";
  if (auto details = str(first, "description"); !details.empty())
    std::cout << "\n" << details << "\n";
  std::cout << "\n";
  std::vector<std::vector<std::string>> rows;
  for (auto f : found)
    rows.push_back({str(f, "package"), str(f, "installed_version"),
                    str(f, "fixed_version").empty() ? "-" : str(f, "fixed_version"),
                    short_digest(str(f, "layer")), str(f, "fix_advice")});
  print_table({"PACKAGE", "INSTALLED", "FIXED", "LAYER", "ADVICE"}, rows);
  simdjson::dom::array refs;
  if (!first["references"].get(refs) && refs.size() > 0) {
    std::cout << "\nreferences:\n";
    for (auto r : refs)
      if (std::string_view url; !r.get(url))
        std::cout << "  " << url << "\n";
  }
}

// What `images list` and `images export` ask the daemon: it filters, sorts,
// pages and picks the columns.
struct image_list_options {
  std::string filter, search, sort, columns, format = "table", output;
  std::vector<std::string> registries;
  size_t page = 0, page_size = 0;
  bool save_columns = false;
};

const char* filter_help =
  "comma = AND, | = OR within a field: FIELD OP VALUE[|VALUE...][,...]; OP is = or != "
  "(severity also >= <= > <). Fields: status (unscanned queued scanning scanned cancelled "
  "failed), security (risky safe unknown), registry, registry_type, authorization "
  "(authorized unauthorized), severity (critical high medium low unknown: has one of it), "
  "has (vulnerabilities secrets malware risk), repository, os, architecture. "
  "Example: status=scanned,severity>=high,registry=harbor1|lab,has=secrets";

void add_image_list_options(CLI::App* cmd, image_list_options& o, bool exporting) {
  cmd->add_option("--filter", o.filter, filter_help);
  cmd->add_option("--search", o.search, "images whose name, tag, digest, image ID, OS or architecture holds this text");
  cmd->add_option("--registry", o.registries, "only this registry's images (repeatable)");
  cmd->add_option("--sort", o.sort, "COLUMN or COLUMN:desc (any column; default name)");
  cmd->add_option("--columns", o.columns,
                  "comma-separated columns: name registry registry_type registry_address repository "
                  "tags digest image_id index_digest platform size created pushed synced_at last_scan "
                  "status security risks authorization vulnerabilities critical high medium low risk "
                  "secrets malware last_error advice new key");
  if (exporting) {
    o.format = "csv";
    cmd->add_option("--format", o.format, "csv (RFC 4180) or json")->check(CLI::IsMember({"csv", "json"}));
    cmd->add_option("--output,-o", o.output, "file to write")->required();
    return;
  }
  cmd->add_option("--page", o.page, "page number, from 1 (pages of --page-size, default 50)");
  cmd->add_option("--page-size", o.page_size, "images per page (default: all on one page)");
  cmd->add_flag("--save-columns", o.save_columns,
                "keep --columns as the default of every later list (stored by regscand, for every user)");
  cmd->add_option("--format", o.format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
}

std::string image_list_target(const image_list_options& o) {
  std::string target = "/images?format=" + o.format;
  std::string regs;
  for (auto& r : o.registries)
    regs += (regs.empty() ? "" : ",") + r;
  for (auto [name, value] : {std::pair{"filter", &o.filter}, std::pair{"search", &o.search},
                             std::pair{"sort", &o.sort}, std::pair{"columns", &o.columns},
                             std::pair{"registry", static_cast<const std::string*>(&regs)}})
    if (!value->empty())
      target += std::string("&") + name + "=" + url_encode(*value);
  if (o.page > 0)
    target += "&page=" + std::to_string(o.page);
  if (o.page_size > 0)
    target += "&page_size=" + std::to_string(o.page_size);
  return target;
}

/// The body of a 2xx reply; the daemon's error ends the program otherwise.
std::string ok_body(const reply& r) {
  if (r.status >= 300)
    parse_ok(r);
  return r.body;
}

void write_output(const std::string& path, const std::string& data) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  if (!out.is_open())
    die("cannot write " + path);
  out << data;
  out.close();
  if (!out)
    die("cannot write " + path);
}

void print_overview(simdjson::dom::element o) {
  auto vulns = o["vulnerabilities"];
  std::cout << "images:           " << str(o, "images") << " (" << str(o, "at_risk") << " at risk)\n"
            << "scan status:      ";
  std::string line;
  for (auto [k, v] : o["by_status"].get_object())
    line += (line.empty() ? "" : ", ") + std::string(k) + " " + std::to_string(v.get_uint64().value_unsafe());
  std::cout << line << "\n"
            << "unauthorized:     " << str(o, "unauthorized") << "\n"
            << "vulnerabilities:  " << str(vulns.value(), "total") << " (critical "
            << str(vulns.value(), "Critical") << ", high " << str(vulns.value(), "High") << ", medium "
            << str(vulns.value(), "Medium") << ", low " << str(vulns.value(), "Low") << ", unknown "
            << str(vulns.value(), "Unknown") << ")\n"
            << "malware:          " << str(o, "malware") << "\n"
            << "secrets:          " << str(o, "secrets") << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (auto r : o["registries"].get_array())
    rows.push_back({str(r, "name"), str(r, "type"), str(r, "address"), str(r, "images"), when(r, "last_synced")});
  print_table({"REGISTRY", "TYPE", "ADDRESS", "IMAGES", "LAST SYNCED"}, rows);
}

} // namespace

int main(int argc, char** argv) {
  if (auto env = std::getenv("REGSCAN_SOCKET"); env && *env)
    socket_path = env;
  CLI::App app{"regscanctl: drive regscand"};
  app.set_version_flag("--version", std::string("regscanctl ") + REGSCAN_VERSION);
  app.add_option("--socket", socket_path, "regscand's control socket (or REGSCAN_SOCKET)");
  app.require_subcommand(1);
  bool as_json = false;

  // registry
  auto* reg = app.add_subcommand("registry", "add, list, show, delete or test registries");
  reg->require_subcommand(1);
  std::string name, type = "docker-v2", address, username, password;
  std::string rate = "unlimited";
  bool insecure = false, password_stdin = false;
  std::string version, network_type, region, instance_id, api_endpoint, secret_id, secret_key, repositories;
  bool secret_key_stdin = false, verify = false;
  std::string projects, namespaces, secret_token; // issue 17: listing scope, temporary credentials
  bool include_proxy_cache = false, no_proxy_cache = false, secret_token_stdin = false;
  // The registry form: the same options for add and edit; edit sends only
  // the ones given.
  auto form = [&](CLI::App* cmd, bool adding) {
    auto* n = cmd->add_option("--name", name, "unique instance name");
    if (adding)
      n->required();
    cmd->add_option("--type", type, "registry type: docker-v2|harbor|tcr|ccr");
    auto* a = cmd->add_option("--address", address, "registry endpoint, http(s)://host[:port]");
    if (adding)
      a->required();
    cmd->add_option("--version", version, "Harbor version: V1 (1.x) or V2 (2.x and later)");
    cmd->add_option("--network-type", network_type, "network type: public");
    cmd->add_option("--region", region, "region (Harbor: default; TCR/CCR: e.g. ap-guangzhou)");
    cmd->add_option("--username", username, "user name");
    cmd->add_option("--password", password, "password (prefer --password-stdin)");
    cmd->add_flag("--password-stdin", password_stdin, "read the password from standard input");
    cmd->add_option("--rate-limit", rate, "images pulled per hour: 5|10|20|50|100|500|1000|unlimited");
    cmd->add_flag("--insecure-skip-verify", insecure, "do not verify the registry's TLS certificate");
    if (!adding)
      cmd->add_flag("--verify-tls", verify, "verify the registry's TLS certificate again");
    cmd->add_option("--repositories", repositories,
                    "docker-v2 without a catalog (Docker Hub, GHCR): comma-separated repositories;"
                    " ns/ or ns/* for every repository of a namespace");
    cmd->add_option("--instance-id", instance_id, "TCR instance id (RegistryId)");
    cmd->add_option("--api-endpoint", api_endpoint, "Harbor/Tencent Cloud/Docker Hub API base URL override");
    cmd->add_option("--secret-id", secret_id, "Tencent Cloud API SecretId (TCR/CCR)");
    cmd->add_option("--secret-key", secret_key, "Tencent Cloud API SecretKey (prefer --secret-key-stdin)");
    cmd->add_flag("--secret-key-stdin", secret_key_stdin, "read the SecretKey from standard input");
    cmd->add_option("--projects", projects,
                    "Harbor: comma-separated projects to list (a robot account sees only public ones otherwise)");
    cmd->add_option("--namespaces", namespaces, "TCR: comma-separated namespaces to list");
    cmd->add_flag("--include-proxy-cache", include_proxy_cache, "Harbor: list proxy-cache projects too");
    if (!adding)
      cmd->add_flag("--no-proxy-cache", no_proxy_cache, "Harbor: skip proxy-cache projects again");
    cmd->add_option("--secret-token", secret_token,
                    "Tencent Cloud session token of temporary credentials (prefer --secret-token-stdin)");
    cmd->add_flag("--secret-token-stdin", secret_token_stdin,
                  "read the session token from standard input (after the SecretKey if both)");
  };
  auto* reg_add = reg->add_subcommand("add", "add a registry");
  form(reg_add, true);
  auto* reg_edit = reg->add_subcommand("edit", "change a registry's settings (only the options given)");
  reg_edit->add_option("registry", name, "registry name")->required();
  form(reg_edit, false);
  auto* reg_list = reg->add_subcommand("list", "list registries");
  reg_list->add_flag("--json", as_json, "print JSON");
  auto* reg_show = reg->add_subcommand("show", "show one registry");
  reg_show->add_option("name", name)->required();
  reg_show->add_flag("--json", as_json, "print JSON");
  auto* reg_delete = reg->add_subcommand("delete", "delete a registry and its images");
  reg_delete->add_option("name", name)->required();
  auto* reg_test = reg->add_subcommand("test", "test a registry's address and credentials");
  reg_test->add_option("name", name)->required();

  // sync
  auto* sync = app.add_subcommand("sync", "list a registry's repositories and tags now");
  bool all = false, no_wait = false;
  sync->add_option("name", name, "registry name");
  sync->add_flag("--all", all, "every registry");
  sync->add_flag("--no-wait", no_wait, "return once the sync started");

  // images / image
  auto* images = app.add_subcommand("images", "the image inventory");
  images->require_subcommand(1);
  auto* images_list = images->add_subcommand("list", "list images");
  images_list->add_flag("--json", as_json, "print JSON (the same as --format json)");
  std::string new_since;
  images_list->add_option("--new-since", new_since,
                          "only images with findings first seen after this time "
                          "(RFC 3339 or unix seconds)");
  image_list_options list_opts;
  add_image_list_options(images_list, list_opts, false);
  auto* images_export = images->add_subcommand(
    "export", "write the image assets (of the chosen registries) to a CSV or JSON file");
  image_list_options export_opts;
  add_image_list_options(images_export, export_opts, true);
  auto* image = app.add_subcommand("image", "one image");
  image->require_subcommand(1);
  auto* image_show = image->add_subcommand("show", "show an image, its vulnerabilities or packages");
  std::string ref;
  bool vulns = false, packages = false, history = false, secrets = false, malware = false;
  std::string severity, rule, category;
  image_show->add_option("image", ref, "[registry/]repository[:tag|@digest], digest or image ID")
    ->required();
  image_show->add_flag("--vulns", vulns, "list vulnerabilities");
  image_show->add_flag("--packages", packages, "list installed packages");
  image_show->add_flag("--history", history, "list the build steps and the layers they made");
  image_show->add_flag("--secrets", secrets,
                       "list the secrets found in the layers' files, the config and the history");
  image_show->add_option("--severity", severity,
                         "with --vulns, --secrets or --malware: only this severity (high, critical|high, >=high)");
  std::string vuln_search, vuln_id;
  bool fixable = false;
  image_show->add_option("--search", vuln_search,
                         "with --vulns: only those whose id, alias, package or title holds this text; "
                         "with --malware: only files whose path holds it");
  image_show->add_flag("--fixable", fixable, "with --vulns: only those with a fixed version");
  image_show->add_option("--vuln", vuln_id,
                         "one vulnerability's details (an advisory id or alias): references, fix advice");
  image_show->add_flag("--malware", malware,
                       "list the malware found in every layer's files, deleted ones too (--severity, --search FILE)");
  image_show->add_option("--rule", rule, "with --secrets: only this rule id");
  image_show->add_option("--category", category, "with --secrets: only this category");

  // overview, report
  auto* overview = app.add_subcommand("overview", "images at risk, scan states, findings, registries");
  overview->add_flag("--json", as_json, "print JSON");
  auto* report = app.add_subcommand("report", "write one image's scan report: JSON, SARIF or CycloneDX");
  std::string report_format = "json", report_output;
  report->add_option("image", ref, "[registry/]repository[:tag|@digest], digest or image ID")->required();
  report->add_option("--format", report_format, "json|sarif|cyclonedx")
    ->check(CLI::IsMember({"json", "sarif", "cyclonedx"}));
  report->add_option("--output,-o", report_output, "file to write (default: standard output)");
  image_show->add_option("--new-since", new_since,
                         "mark findings first seen after this time (RFC 3339 or unix seconds)");
  image_show->add_flag("--json", as_json, "print JSON");

  // secrets
  auto* secrets_cmd = app.add_subcommand("secrets", "the secret-scanning rules");
  secrets_cmd->require_subcommand(1);
  auto* rules_cmd = secrets_cmd->add_subcommand("rules", "list or import rules");
  rules_cmd->require_subcommand(1);
  auto* rules_list = rules_cmd->add_subcommand("list", "every rule in force, built-in and yours");
  rules_list->add_flag("--json", as_json, "print JSON");
  // malware
  auto* malware_cmd = app.add_subcommand("malware", "the malware signatures");
  malware_cmd->require_subcommand(1);
  auto* malware_db = malware_cmd->add_subcommand("db", "the signature database");
  malware_db->require_subcommand(1);
  auto* malware_status = malware_db->add_subcommand(
    "status", "signature counts per file, database versions and ages, load time");
  malware_status->add_flag("--json", as_json, "print JSON");
  auto* malware_reload = malware_db->add_subcommand("reload", "load the signature directory again");
  auto* malware_import = malware_db->add_subcommand(
    "import", "check signature, YARA or IOC files, copy them into the signature directory, reload");
  std::vector<std::string> malware_files;
  malware_import->add_option("files", malware_files,
                             ".hdb .hsb .ndb .ldb .cvd .cld (ClamAV), .yar (YARA), .ioc (sha256 name)")
    ->required();
  auto* rules_import = rules_cmd->add_subcommand(
    "import", "replace your rules with those of a gitleaks TOML file (the built-in rules stay)");
  std::string rules_file;
  rules_import->add_option("file", rules_file, "gitleaks config (.toml)")->required();

  // scan
  auto* scan = app.add_subcommand("scan", "scan images, list or cancel scan tasks");
  std::vector<std::string> refs;
  bool wait = false;
  scan->add_option("images", refs, "images to scan");
  scan->add_flag("--all", all, "every image in the inventory");
  scan->add_flag("--wait", wait, "wait until the scans end");
  bool latest = false, no_dedupe = false;
  std::string from_file, categories;
  scan->add_flag("--latest", latest, "the newest tag of each repository (by push time)");
  scan->add_option("--from-file", from_file, "the images to scan, one reference a line");
  scan->add_option("--categories", categories,
                   "what to look for, comma-separated: vulns,secrets,malware (default: all)");
  std::string scan_filter;
  scan->add_option("--filter", scan_filter,
                   "only images that match, in `images list --filter`'s grammar (alone: among every image)");
  scan->add_flag("--no-dedupe", no_dedupe,
                 "scan each image itself, also those that share an image ID");
  auto* scan_cancel = scan->add_subcommand("cancel", "cancel queued, waiting or running scans");
  std::vector<std::string> cancel_refs;
  bool cancel_all = false;
  scan_cancel->add_option("targets", cancel_refs, "images or task ids");
  scan_cancel->add_flag("--all", cancel_all, "every queued, waiting or running scan");
  auto* scan_list = scan->add_subcommand("list", "list scan tasks");
  scan_list->add_flag("--json", as_json, "print JSON");

  auto* workers = app.add_subcommand("workers", "the remote scan workers joined to the daemon");
  workers->require_subcommand(1);
  auto* workers_list = workers->add_subcommand("list", "id, address, slots, running tasks, last heartbeat, version");
  workers_list->add_flag("--json", as_json, "print JSON");

  add_console_ops(app);

  // db
  auto* db = app.add_subcommand("db", "the vulnerability database");
  db->require_subcommand(1);
  auto* db_import = db->add_subcommand("import", "import an OSV all.zip, or a folder of them");
  std::string path;
  bool no_rematch_wait = false;
  db_import->add_option("path", path, "OSV all.zip, or a folder of <Ecosystem>/all.zip")
    ->required();
  db_import->add_flag("--no-wait", no_rematch_wait, "return before stored images are re-matched");
  bool allow_shrink = false;
  db_import->add_flag("--allow-shrink", allow_shrink,
                      "accept an archive that removes more than 10% of an ecosystem's records");
  auto* db_update = db->add_subcommand("update", "download OSV all.zip files from the mirror");
  std::vector<std::string> ecosystems;
  std::string mirror;
  db_update->add_option("--ecosystem", ecosystems,
                        "OSV ecosystem to download (repeatable; default: those already imported)");
  db_update->add_option("--mirror", mirror,
                        "base URL: <mirror>/<ecosystem>/all.zip (default: regscand's vulndb.mirror)");
  db_update->add_flag("--no-wait", no_rematch_wait, "return before stored images are re-matched");
  db_update->add_flag("--allow-shrink", allow_shrink,
                      "accept an archive that removes more than 10% of an ecosystem's records");
  auto* db_status = db->add_subcommand("status", "records per ecosystem");
  db_status->add_flag("--json", as_json, "print JSON");

  CLI11_PARSE(app, argc, argv);

  if (*reg_add || *reg_edit) {
    auto* cmd = *reg_add ? reg_add : reg_edit;
    auto given = [&](const char* opt) { return *reg_add || cmd->count(opt) > 0; };
    int limit = 0;
    if (rate != "unlimited") {
      char* end = nullptr;
      limit = static_cast<int>(std::strtol(rate.c_str(), &end, 10));
      if (*end != '\0' || limit <= 0)
        die("--rate-limit must be 5, 10, 20, 50, 100, 500, 1000 or unlimited");
    }
    if (password_stdin && !std::getline(std::cin, password))
      die("no password on standard input");
    if (secret_key_stdin && !std::getline(std::cin, secret_key))
      die("no SecretKey on standard input");
    if (secret_token_stdin && !std::getline(std::cin, secret_token))
      die("no session token on standard input");
    json_writer w;
    w.begin_object();
    if (*reg_add)
      w.field("name", name);
    auto opt = [&](const char* flag, const char* key, const std::string& v) {
      if (given(flag))
        w.field(key, v);
    };
    opt("--type", "type", type);
    opt("--address", "address", address);
    opt("--version", "version", version);
    opt("--network-type", "network_type", network_type);
    opt("--region", "region", region);
    opt("--username", "username", username);
    if (given("--password") || password_stdin)
      w.field("password", password);
    if (given("--rate-limit"))
      w.field("rate_limit", limit);
    if (*reg_add || insecure || verify)
      w.field("verify_tls", !insecure);
    opt("--repositories", "repositories", repositories);
    opt("--instance-id", "instance_id", instance_id);
    opt("--api-endpoint", "api_endpoint", api_endpoint);
    opt("--secret-id", "secret_id", secret_id);
    if (given("--secret-key") || secret_key_stdin)
      w.field("secret_key", secret_key);
    if (given("--secret-token") || secret_token_stdin)
      w.field("secret_token", secret_token);
    // One stored list: Harbor projects or TCR namespaces.
    if (cmd->count("--projects") > 0)
      w.field("projects", projects);
    else if (cmd->count("--namespaces") > 0)
      w.field("namespaces", namespaces);
    if (*reg_add || include_proxy_cache || no_proxy_cache)
      w.field("include_proxy_cache", include_proxy_cache);
    w.end_object();
    if (*reg_add) {
      auto doc = parse_ok(call("POST", "/registries", w.str()));
      std::cout << "registry " << str(doc, "name") << " added\n";
    } else {
      auto doc = parse_ok(call("PUT", "/registries/" + url_encode(name), w.str()));
      std::cout << "registry " << str(doc, "name") << " updated\n";
      simdjson::dom::array dropped;
      if (!doc["credentials_dropped"].get(dropped) && dropped.size() > 0) {
        // Secrets given for one host are never sent to another: ask again.
        std::cerr << "regscanctl: the registry's destination changed, so its stored";
        for (auto d : dropped)
          std::cerr << " " << std::string_view(d.get_string().value_unsafe());
        std::cerr << " was dropped; set it again with --password-stdin"
                  << " (and --secret-key-stdin for Tencent registries)\n";
      }
    }
  } else if (*reg_list || *reg_show) {
    auto r = call("GET", *reg_list ? "/registries" : "/registries/" + url_encode(name));
    if (as_json)
      print_json(r);
    else
      registry_table(parse_ok(r));
  } else if (*reg_delete) {
    parse_ok(call("DELETE", "/registries/" + url_encode(name)));
    std::cout << "registry " << name << " deleted\n";
  } else if (*reg_test) {
    auto doc = parse_ok(call("POST", "/registries/" + url_encode(name) + "/test"));
    for (auto check : doc["checks"].get_array()) {
      bool ok = str(check, "ok") == "yes";
      std::cout << (ok ? "ok      " : "FAILED  ") << str(check, "check") << "\n";
      if (!ok)
        std::cout << "        " << str(check, "error") << "\n";
    }
    if (str(doc, "ok") != "yes")
      die("registry " + name + ": a sync would fail (see above)");
    std::cout << "registry " << name << ": everything a sync needs works\n";
  } else if (*sync) {
    if (all == !name.empty())
      die("name one registry, or use --all");
    json_writer w;
    w.begin_object();
    if (all)
      w.field("all", true);
    else
      w.field("registry", name);
    w.end_object();
    auto doc = parse_ok(call("POST", "/sync", w.str()));
    // Copied out first: waiting re-uses the parser, which invalidates `doc`.
    std::vector<std::pair<std::string, std::string>> started;
    for (auto entry : doc.get_array())
      started.emplace_back(str(entry, "registry"), str(entry, "sync"));
    for (auto& [reg_name, state] : started) {
      if (no_wait)
        std::cout << reg_name << ": sync " << state << "\n";
      else
        wait_for_sync(reg_name);
    }
  } else if (*images_list) {
    if (as_json)
      list_opts.format = "json";
    if (list_opts.save_columns) {
      if (list_opts.columns.empty())
        die("--save-columns saves the --columns given");
      json_writer w;
      w.begin_object().field("columns", list_opts.columns).end_object();
      parse_ok(call("PUT", "/settings/image-columns", w.str()));
      std::cerr << "columns saved: " << list_opts.columns << "\n";
    }
    std::string target = image_list_target(list_opts);
    if (!new_since.empty()) {
      auto t = parse_time(new_since);
      if (t < 0)
        die("--new-since takes RFC 3339 (2026-11-27T10:00:00Z) or unix seconds");
      target += "&new_since=" + std::to_string(t);
    }
    auto r = call("GET", target);
    if (list_opts.format == "table")
      images_table(parse_ok(r));
    else if (list_opts.format == "csv")
      std::cout << ok_body(r);
    else
      print_json(r);
  } else if (*images_export) {
    auto r = call("GET", image_list_target(export_opts));
    write_output(export_opts.output, ok_body(r));
    std::cerr << "exported to " << export_opts.output << "\n";
  } else if (*overview) {
    auto r = call("GET", "/overview");
    if (as_json)
      print_json(r);
    else
      print_overview(parse_ok(r));
  } else if (*report) {
    auto r = call("GET", "/report?ref=" + url_encode(ref) + "&format=" + report_format);
    auto body = ok_body(r);
    if (report_output.empty())
      std::cout << body << "\n";
    else {
      write_output(report_output, body + "\n");
      std::cerr << report_format << " report of " << ref << " written to " << report_output << "\n";
    }
  } else if (*image_show) {
    std::string target = "/image?ref=" + url_encode(ref);
    if (vulns)
      target += "&vulns=1";
    if (packages)
      target += "&packages=1";
    if (secrets)
      target += "&secrets=1";
    if (malware)
      target += "&malware=1";
    for (auto [name, value] : {std::pair{"rule", &rule}, std::pair{"category", &category}})
      if (!value->empty()) {
        if (!secrets)
          die(std::string("--") + name + " filters --secrets");
        target += std::string("&") + name + "=" + url_encode(*value);
      }
    if (!severity.empty() && !secrets && !vulns && !malware)
      die("--severity filters --vulns, --secrets or --malware");
    if (!vuln_search.empty() && !vulns && !malware)
      die("--search filters --vulns or --malware");
    if (fixable && !vulns)
      die("--fixable filters --vulns");
    if (!severity.empty())
      target += "&severity=" + url_encode(severity);
    if (!vuln_search.empty())
      target += "&search=" + url_encode(vuln_search);
    if (fixable)
      target += "&fixable=1";
    if (!vuln_id.empty())
      target += "&vuln=" + url_encode(vuln_id);
    auto r = call("GET", target);
    if (as_json) {
      print_json(r);
      return 0;
    }
    auto doc = parse_ok(r);
    for (auto entry : doc.get_array()) {
      auto img = entry["image"];
      std::cout << image_name(img.value()) << "\n"
                << "  digest:   " << str(img.value(), "digest") << "\n"
                << "  image id: " << str(img.value(), "image_id") << "\n"
                << "  type:     " << str(img.value(), "media_type") << "\n";
      if (auto index = str(img.value(), "index_digest"); !index.empty())
        std::cout << "  index:    " << index << " (" << str(img.value(), "index_media_type") << ")\n";
      uint64_t size = 0;
      if (img.value()["size"].get(size))
        size = 0;
      std::cout << "  platform: " << str(img.value(), "os") << "/" << str(img.value(), "architecture")
                << "\n"
                << "  size:     " << human_size(size) << " (layers)\n"
                << "  created:  " << or_dash(str(img.value(), "created")) << "\n"
                << "  pushed:   " << or_dash(str(img.value(), "pushed")) << "\n"
                << "  status:   " << str(img.value(), "scan_status")
                << (str(img.value(), "incomplete") == "yes" ? " (incomplete)" : "") << "\n"
                << "  scanned:  " << when(img.value(), "last_scan") << "\n"
                << "  authorized: " << str(img.value(), "authorized") << "\n";
      if (auto err = str(img.value(), "last_error"); !err.empty())
        std::cout << "  error:    " << err << "\n";
      if (auto advice = str(img.value(), "advice"); !advice.empty())
        std::cout << "  advice:   " << advice << "\n";
      if (auto os = entry["os"]; !os.error())
        std::cout << "  os:       " << str(os.value(), "pretty_name") << "\n";
      std::cout << "  risk:     " << str(img.value(), "vulnerabilities") << " vulnerabilities ("
                << risk_summary(img.value()) << ")\n"
                << "  secrets:  " << secrets_summary(img.value()) << "\n"
                << "  malware:  " << malware_summary(img.value()) << "\n";
      print_risk(entry);
      // Why a scan is incomplete (or which files were bad) must be visible.
      if (simdjson::dom::array notes; !entry["notes"].get(notes))
        for (auto n : notes)
          if (std::string_view text; !n.get(text))
            std::cout << "  note:     " << text << "\n";
      if (history) {
        std::vector<std::vector<std::string>> rows;
        simdjson::dom::array arr;
        if (!entry["history"].get(arr))
          for (auto h : arr)
            rows.push_back({str(h, "empty_layer") == "yes" ? "-" : short_digest(str(h, "layer")),
                            str(h, "created"), str(h, "packages"), str(h, "vulnerabilities"),
                            str(h, "secrets"), str(h, "created_by")});
        std::cout << "\n";
        if (auto n = str(entry, "history_note"); !n.empty())
          std::cout << "  (" << n << ")\n";
        print_table({"LAYER", "CREATED", "PKGS", "VULNS", "SECRETS", "STEP"}, rows);
      }
      if (!vuln_id.empty()) {
        simdjson::dom::array arr;
        if (entry["vulnerability"].get(arr) || arr.size() == 0)
          die("no vulnerability " + vuln_id + " in " + ref);
        print_vulnerability(arr);
      }
      if (vulns) {
        std::vector<std::vector<std::string>> rows;
        simdjson::dom::array arr;
        int64_t since = new_since.empty() ? -1 : parse_time(new_since);
        if (!new_since.empty() && since < 0)
          die("--new-since takes RFC 3339 (2026-11-27T10:00:00Z) or unix seconds");
        if (!entry["vulnerabilities"].get(arr))
          for (auto f : arr) {
            int64_t first_seen = 0;
            if (f["first_seen"].get(first_seen))
              first_seen = 0;
            rows.push_back({str(f, "id"), first_and_count(f, "aliases"), str(f, "package"),
                            str(f, "installed_version"),
                            str(f, "fixed_version").empty() ? "-" : str(f, "fixed_version"),
                            str(f, "severity"), str(f, "fix_advice"), accepted_note(f)});
            if (since >= 0)
              rows.back().insert(rows.back().begin(), first_seen > since ? "NEW" : "");
          }
        std::cout << "\n";
        std::vector<std::string> head{"ADVISORY", "ALIASES", "PACKAGE", "INSTALLED", "FIXED",
                                      "SEVERITY", "ADVICE", "ACCEPTED"};
        if (since >= 0)
          head.insert(head.begin(), "");
        print_table(head, rows);
      }
      if (secrets) {
        auto found = entry["secrets"];
        std::vector<std::vector<std::string>> rows;
        simdjson::dom::array arr;
        if (!found["findings"].get(arr))
          for (auto f : arr) {
            auto where = str(f, "location");
            if (auto line = str(f, "line"); line != "0")
              where += ":" + line;
            auto layer = str(f, "layer").empty() ? "config" : short_digest(str(f, "layer"));
            if (str(f, "deleted") == "yes")
              layer += " (deleted by " + short_digest(str(f, "deleted_by")) + ")";
            rows.push_back({str(f, "severity"), str(f, "rule_id"), str(f, "category"), where,
                            layer, str(f, "masked"), accepted_note(f)});
          }
        std::cout << "\n";
        if (str(found.value(), "scanned") != "yes")
          std::cout << "  (the last scan did not look for secrets)\n";
        else if (str(found.value(), "complete") != "yes")
          std::cout << "  (incomplete: some files were not read; see the notes)\n";
        print_table({"SEVERITY", "RULE", "CATEGORY", "WHERE", "LAYER", "SECRET", "ACCEPTED"}, rows);
      }
      if (malware) {
        auto found = entry["malware"];
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> advice;
        simdjson::dom::array arr;
        if (!found["findings"].get(arr))
          for (auto f : arr) {
            auto layer = short_digest(str(f, "layer"));
            if (str(f, "deleted") == "yes")
              layer += " (deleted by " + short_digest(str(f, "deleted_by")) + ")";
            rows.push_back({str(f, "severity"), str(f, "type"), str(f, "signature"),
                            str(f, "source"), str(f, "path"), layer,
                            short_digest("sha256:" + str(f, "sha256"))});
            if (std::find(advice.begin(), advice.end(), str(f, "advice")) == advice.end())
              advice.push_back(str(f, "advice"));
          }
        std::cout << "\n";
        if (str(found.value(), "scanned") != "yes")
          std::cout << "  (the last scan did not look for malware)\n";
        else if (str(found.value(), "complete") != "yes")
          std::cout << "  (incomplete: some files hit a limit; see the notes)\n";
        print_table({"SEVERITY", "TYPE", "SIGNATURE", "SOURCE", "FILE", "LAYER", "SHA256"}, rows);
        for (auto& a : advice)
          std::cout << "  advice: " << a << "\n";
      }
      if (packages) {
        std::vector<std::vector<std::string>> rows;
        simdjson::dom::array arr;
        if (!entry["packages"].get(arr))
          for (auto p : arr)
            // KIND: "-" for a registry package, else root, workspace, git,
            // tarball or directory (never matched; --json adds source_url).
            rows.push_back({str(p, "ecosystem"), str(p, "name"),
                            str(p, "version").empty() ? "-" : str(p, "version"),
                            str(p, "kind").empty() ? "-" : str(p, "kind"),
                            str(p, "source_name"), str(p, "file"),
                            short_digest(str(p, "layer")),
                            str(p, "owner").empty() ? "-" : str(p, "owner"), str(p, "step")});
        std::cout << "\n";
        print_table({"ECOSYSTEM", "NAME", "VERSION", "KIND", "SOURCE", "FILE", "LAYER", "OWNER",
                     "STEP"},
                    rows);
      }
    }
  } else if (*rules_list) {
    auto r = call("GET", "/secrets/rules");
    if (as_json) {
      print_json(r);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto rule : parse_ok(r).get_array())
      rows.push_back({str(rule, "id"), str(rule, "category"), str(rule, "severity"),
                      str(rule, "source"), str(rule, "name")});
    print_table({"RULE", "CATEGORY", "SEVERITY", "SOURCE", "NAME"}, rows);
  } else if (*malware_status || *malware_reload) {
    auto r = *malware_reload ? call("POST", "/malware/db/reload") : call("GET", "/malware/db");
    if (as_json) {
      print_json(r);
      return 0;
    }
    auto doc = parse_ok(r);
    if (str(doc, "enabled") != "yes") {
      std::cout << "malware scanning is off ([malware] enabled = false)\n";
      return 0;
    }
    std::cout << "directory:  " << str(doc, "dir") << "\n";
    if (str(doc, "loaded") != "yes") {
      std::cout << "loaded:     no (no signature file in the directory, or it does not load; see the log)\n";
      return 0;
    }
    std::cout << "signatures: " << str(doc, "version") << ", loaded " << when(doc, "loaded_at")
              << " in " << seconds(doc, "load_seconds") << " s\n"
              << "scanned:    " << str(doc, "files_scanned") << " files, "
              << str(doc, "verdict_cache_hits") << " from the verdict cache ("
              << str(doc, "verdict_store_hits") << " kept from before the last load)\n\n";
    std::vector<std::vector<std::string>> rows;
    auto now = std::time(nullptr);
    for (auto f : doc["files"].get_array()) {
      int64_t built = 0;
      if (f["built"].get(built))
        built = 0;
      auto engine = str(f, "source") == "yara" ? "libyara" : str(f, "source") == "ioc" ? "sha256" : "libclamav";
      rows.push_back({str(f, "file"), str(f, "source"), engine, str(f, "signatures"),
                      str(f, "version") == "0" ? "-" : str(f, "version"),
                      built > 0 ? std::to_string((now - built) / 86400) + " days" : "-"});
    }
    print_table({"FILE", "SOURCE", "ENGINE", "SIGNATURES", "VERSION", "AGE"}, rows);
  } else if (*malware_import) {
    for (auto& file : malware_files) {
      auto name = file.substr(file.find_last_of('/') + 1);
      auto doc = parse_ok(call("POST", "/malware/db/import?name=" + url_encode(name), read_file(file),
                               "application/octet-stream"));
      std::cout << "imported " << file << "; signatures " << str(doc, "version") << " in force\n";
    }
  } else if (*rules_import) {
    auto doc = parse_ok(call("POST", "/secrets/rules", read_file(rules_file), "application/toml"));
    std::cout << "imported " << str(doc, "user_rules") << " rules from " << rules_file << "; "
              << str(doc, "rules") << " rules in force\n"
              << "images scanned before keep their secret results until they are scanned again "
                 "(regscanctl scan --all)\n";
  } else if (*scan_cancel) {
    if (cancel_all == !cancel_refs.empty())
      die("name the tasks or images whose scans to cancel, or use --all");
    json_writer w;
    w.begin_object().field("refs", cancel_refs);
    if (cancel_all)
      w.field("all", true);
    w.end_object();
    auto doc = parse_ok(call("POST", "/scans/cancel", w.str()));
    for (auto t : doc.get_array())
      std::cout << "task " << str(t, "task")
                << (str(t, "cancelled") == "yes" ? " cancelled" : " was not active") << "\n";
  } else if (*workers_list) {
    auto r = call("GET", "/workers");
    if (as_json) {
      print_json(r);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto w : parse_ok(r).get_array())
      rows.push_back({str(w, "id"), str(w, "address"), str(w, "host"), str(w, "slots"),
                      str(w, "running"), when(w, "last_heartbeat"), when(w, "joined_at"),
                      str(w, "version")});
    print_table({"ID", "ADDRESS", "HOST", "SLOTS", "RUNNING", "LAST HEARTBEAT", "JOINED", "VERSION"},
                rows);
  } else if (*scan_list) {
    auto r = call("GET", "/scans");
    if (as_json) {
      print_json(r);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto t : parse_ok(r).get_array()) {
      // Why a task waits, and until when: the registry's pull budget or a retry's backoff.
      auto waits = str(t, "waits_for");
      if (!waits.empty())
        waits += " until " + when(t, "not_before");
      auto on = str(t, "runs_on");
      rows.push_back({str(t, "id"), str(t, "image"), str(t, "state"), waits.empty() ? "-" : waits,
                      task_progress(t), on.empty() ? "-" : on, str(t, "attempts"),
                      when(t, "updated_at"), str(t, "error")});
    }
    print_table({"TASK", "IMAGE", "STATE", "WAITS FOR", "PROGRESS", "RUNS ON", "ATTEMPTS", "UPDATED",
                 "ERROR"},
                rows);
  } else if (*scan) {
    if (!from_file.empty())
      for (auto& line : read_lines(from_file))
        refs.push_back(line);
    int scopes = int(all) + int(latest) + int(!refs.empty());
    if (scopes > 1 || (scopes == 0 && scan_filter.empty()))
      die("name the images to scan (or --from-file F), or use --all, --latest or --filter");
    json_writer w;
    w.begin_object();
    if (all)
      w.field("all", true);
    else if (latest)
      w.field("latest", true);
    else if (!refs.empty())
      w.field("images", refs);
    if (!scan_filter.empty())
      w.field("filter", scan_filter);
    if (!categories.empty())
      w.field("categories", split_csv(categories));
    if (no_dedupe)
      w.field("dedupe", false);
    w.end_object();
    auto doc = parse_ok(call("POST", "/scans", w.str()));
    std::vector<std::string> ids;
    size_t refused = 0;
    std::string not_available;
    for (auto t : doc.get_array()) {
      if (auto why = str(t, "refused"); !why.empty()) {
        std::cout << "not scanned: " << str(t, "image") << ": " << why << "\n";
        ++refused;
        continue;
      }
      not_available = join(t, "not_available");
      if (auto leader = str(t, "shares_result_of"); !leader.empty())
        std::cout << "task " << str(t, "task") << " scans " << str(t, "image")
                  << " with " << leader << " (same image ID)\n";
      else
        std::cout << "task " << str(t, "task") << " queued for " << str(t, "image") << "\n";
      ids.push_back(str(t, "task"));
    }
    if (!not_available.empty())
      std::cout << "not available on this daemon: " << not_available << " (no engine)\n";
    if (ids.empty() && refused > 0)
      die("no image was scanned: " + std::to_string(refused) + " not authorized");
    if (!wait)
      return 0;
    int failed = 0;
    for (;;) {
      size_t active = 0;
      failed = 0;
      auto tasks = parse_ok(call("GET", "/scans"));
      for (auto t : tasks.get_array()) {
        auto id = str(t, "id");
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
          continue;
        auto state = str(t, "state");
        if (state == "queued" || state == "waiting" || state == "running")
          ++active;
        else if (state != "done")
          ++failed;
      }
      if (active == 0)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (failed > 0)
      die(std::to_string(failed) + " scan(s) did not complete: see `regscanctl scan list`");
    std::cout << "all scans done\n";
  } else if (*db_import) {
    // regscand opens no path a client names: the archives' bytes go over the socket.
    auto archives = osv_archives(path);
    import_totals total;
    for (auto& file : archives) {
      auto target = "/db/import?source=" + url_encode(std::filesystem::absolute(file).string())
                    + (allow_shrink ? "&allow_shrink=1" : "");
      auto r = call("POST", target, read_file(file), "application/zip");
      if (r.status >= 300 && archives.size() > 1) { // the other archives go on
        std::string msg = "HTTP " + std::to_string(r.status);
        simdjson::dom::element doc;
        std::string_view text;
        if (!parser.parse(r.body).get(doc) && !doc["error"].get(text))
          msg = text;
        total.errors.push_back(file + ": " + msg);
        continue;
      }
      total.add(parse_ok(r), archives.size() > 1 ? file + ": " : "");
    }
    std::cout << "imported " << path << ": " << total.read << " records read, " << total.written
              << " written, " << total.unchanged << " unchanged, " << total.withdrawn
              << " withdrawn, " << total.removed << " removed\n";
    wait_rematch_and_report(total.generation, total.changed, no_rematch_wait, total.errors);
  } else if (*db_update) {
    json_writer w;
    w.begin_object();
    if (!mirror.empty())
      w.field("mirror", mirror);
    w.field("ecosystems", ecosystems);
    if (allow_shrink)
      w.field("allow_shrink", true);
    w.end_object();
    auto doc = parse_ok(call("POST", "/db/update", w.str()));
    simdjson::dom::array archives;
    if (!doc["archives"].get(archives))
      for (auto a : archives)
        std::cout << str(a, "ecosystem") << ": "
                  << (str(a, "error").empty() ? "downloaded " + str(a, "url")
                                              : "failed: " + str(a, "error"))
                  << "\n";
    import_totals total;
    total.add(doc, "");
    std::cout << "updated: " << total.read << " records read, " << total.written << " written, "
              << total.unchanged << " unchanged, " << total.withdrawn << " withdrawn, "
              << total.removed << " removed\n";
    wait_rematch_and_report(total.generation, total.changed, no_rematch_wait, total.errors);
  } else if (*db_status) {
    auto r = call("GET", "/db/status");
    if (as_json) {
      print_json(r);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto s : parse_ok(r).get_array())
      rows.push_back({str(s, "ecosystem"), str(s, "records"), when(s, "imported_at"),
                      str(s, "source")});
    print_table({"ECOSYSTEM", "RECORDS", "IMPORTED", "SOURCE"}, rows);
  }
  return 0;
}
