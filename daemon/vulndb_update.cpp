#include "daemon/vulndb_update.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "daemon/services.hpp"
#include "storage/store.hpp"

namespace regscan {

namespace fs = std::filesystem;

std::string osv_archive_url(const std::string& mirror, const std::string& ecosystem) {
  std::string url = mirror;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  url.push_back('/');
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : ecosystem) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      url.push_back(static_cast<char>(c));
    } else {
      url.push_back('%');
      url.push_back(hex[c >> 4]);
      url.push_back(hex[c & 15]);
    }
  }
  return url + "/all.zip";
}

void add_report(import_report& total, import_report&& part, const std::string& label) {
  total.read += part.read;
  total.written += part.written;
  total.unchanged += part.unchanged;
  total.withdrawn += part.withdrawn;
  total.removed += part.removed;
  for (auto& e : part.errors)
    total.errors.push_back(label.empty() ? std::move(e) : label + ": " + e);
  for (auto& [eco, n] : part.per_ecosystem)
    total.per_ecosystem[eco] += n;
  total.changed_packages.merge(part.changed_packages);
}

namespace {

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

} // namespace

expected<std::string> choose_mirror(const daemon_config& cfg, const std::string& requested) {
  auto mirror = without_trailing_slash(requested.empty() ? cfg.osv_mirror : requested);
  bool known = mirror == without_trailing_slash(cfg.osv_mirror);
  for (auto& m : cfg.osv_allowed_mirrors)
    known = known || mirror == without_trailing_slash(m);
  if (!known)
    return make_error(errc::forbidden, "mirror " + mirror + " is not allowed: regscand downloads "
                                         "from vulndb.mirror or one of vulndb.allowed_mirrors");
  if (mirror.rfind("https://", 0) != 0 && !(cfg.osv_allow_http && mirror.rfind("http://", 0) == 0))
    return make_error(errc::forbidden, "mirror " + mirror + " is not https://: plain http is "
                                         "allowed only with vulndb.allow_http");
  return mirror;
}

expected<import_report> update_ecosystem(store& db, const std::string& mirror,
                                         const std::string& ecosystem,
                                         const std::string& temp_dir, const http_options& opts,
                                         const download_limits& limits,
                                         const import_options& import) {
  if (ecosystem.empty() || ecosystem.find('/') != std::string::npos || ecosystem == "."
      || ecosystem == "..")
    return make_error("bad ecosystem name '" + ecosystem + "'");
  auto url = osv_archive_url(mirror, ecosystem);
  std::error_code ec;
  fs::create_directories(temp_dir, ec);
  ::chmod(temp_dir.c_str(), 0700); // downloads are private to the daemon
  std::string tmp = (fs::path(temp_dir) / "osv-download-XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return make_error("cannot create a temporary file in " + temp_dir);
  FILE* out = ::fdopen(fd, "wb");
  if (!out) {
    ::close(fd);
    fs::remove(tmp, ec);
    return make_error("cannot open " + tmp);
  }
  struct cleanup {
    std::string path;
    ~cleanup() {
      std::error_code e;
      fs::remove(path, e);
    }
  } remove_tmp{tmp};
  uint64_t bytes = 0;
  bool too_big = false;
  http_options capped = opts;
  capped.total_timeout = limits.max_time; // the whole download, not only each read
  http_client client{capped};
  auto started = std::chrono::steady_clock::now();
  auto res = client.stream("GET", url, {}, [&](const uint8_t* data, size_t size) -> expected<void> {
    if (size > limits.max_bytes - bytes) {
      too_big = true;
      return make_error(errc::limit, "archive larger than " + std::to_string(limits.max_bytes)
                                       + " bytes (vulndb.max_archive_mib)");
    }
    if (std::fwrite(data, 1, size, out) != size)
      return make_error("cannot write " + tmp + " (disk full?)");
    bytes += size;
    return {};
  }, true);
  bool closed = std::fclose(out) == 0;
  if (!res && too_big)
    return make_error(errc::limit, "download of " + url + " stopped: archive larger than "
                                     + std::to_string(limits.max_bytes)
                                     + " bytes (vulndb.max_archive_mib)");
  if (!res && std::chrono::steady_clock::now() - started >= limits.max_time)
    return make_error(errc::limit, "download of " + url + " stopped: it took longer than "
                                     + std::to_string(limits.max_time.count())
                                     + " s (vulndb.download_timeout_seconds)");
  if (!res)
    return wrap_error("download of " + url + " failed", res.err());
  if (res->status / 100 != 2)
    return make_error("download of " + url + " failed: HTTP " + std::to_string(res->status));
  if (!closed)
    return make_error("cannot write " + tmp);
  if (bytes == 0)
    return make_error("download of " + url + " is empty");
  return db.import_osv_zip(tmp, url, import);
}

expected<import_report> import_osv_path(store& db, const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return db.import_osv_zip(path, path);
  std::vector<std::string> archives;
  for (fs::recursive_directory_iterator it{path, fs::directory_options::skip_permission_denied,
                                           ec},
       end;
       !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().filename() == "all.zip")
      archives.push_back(it->path().string());
  if (ec)
    return make_error("cannot read " + path + ": " + ec.message());
  if (archives.empty())
    return make_error("no <Ecosystem>/all.zip below " + path);
  std::sort(archives.begin(), archives.end());
  import_report total;
  for (auto& zip : archives) {
    auto one = db.import_osv_zip(zip, zip);
    if (!one)
      total.errors.push_back(zip + ": " + one.err().message);
    else
      add_report(total, std::move(*one), zip);
  }
  return total;
}

std::vector<std::string> export_names(const std::vector<ecosystem_status>& status) {
  std::set<std::string> names;
  for (auto& s : status)
    names.insert(s.ecosystem.substr(0, s.ecosystem.find(':')));
  return {names.begin(), names.end()};
}

expected<vulndb_update_result> update_vulndb(const services& s, const vulndb_update_request& req) {
  auto mirror = choose_mirror(s.cfg, req.mirror);
  if (!mirror)
    return mirror.err();
  import_options import;
  import.allow_shrink = req.allow_shrink;
  download_limits limits{s.cfg.osv_max_archive_bytes,
                         std::chrono::seconds{s.cfg.osv_download_timeout_seconds}};
  auto ecosystems = req.ecosystems;
  if (ecosystems.empty()) {
    auto status = s.db->db_status();
    if (!status)
      return status.err();
    ecosystems = export_names(*status);
  }
  if (ecosystems.empty())
    return make_error(errc::invalid, "the database is empty: name the ecosystems to download "
                                     "(--ecosystem Debian --ecosystem npm ...)");
  vulndb_update_result out;
  for (auto& eco : ecosystems) {
    archive_outcome a;
    a.ecosystem = eco;
    a.url = osv_archive_url(*mirror, eco);
    auto one = update_ecosystem(*s.db, *mirror, eco, s.cfg.data_dir + "/tmp", {}, limits, import);
    if (!one) {
      spdlog::error("vulnerability update of {} failed: {}", eco, one.err().message);
      a.error = one.err().message;
      out.total.errors.push_back(eco + ": " + one.err().message);
    } else {
      spdlog::info("vulnerability update of {}: {} read, {} written, {} unchanged, {} withdrawn, "
                   "{} removed", eco, one->read, one->written, one->unchanged, one->withdrawn,
                   one->removed);
      a.read = one->read;
      a.written = one->written;
      a.removed = one->removed;
      add_report(out.total, std::move(*one), eco);
    }
    out.archives.push_back(std::move(a));
  }
  return out;
}

expected<import_report> import_vulndb_bytes(const services& s, std::string_view bytes,
                                            const std::string& source, bool allow_shrink) {
  if (bytes.size() > s.cfg.osv_max_archive_bytes)
    return make_error(errc::limit, "the archive is larger than vulndb.max_archive_mib");
  import_options opts;
  opts.allow_shrink = allow_shrink;
  auto report = s.db->import_osv_bytes(bytes, source, opts);
  if (!report) {
    spdlog::error("vulnerability import of {} failed: {}", source, report.err().message);
    return report.err();
  }
  for (auto& e : report->errors)
    spdlog::warn("vulnerability import of {}: {}", source, e);
  spdlog::info("vulnerability import of {}: {} read, {} written, {} unchanged, {} withdrawn, "
               "{} removed", source, report->read, report->written, report->unchanged,
               report->withdrawn, report->removed);
  return report;
}

} // namespace regscan
