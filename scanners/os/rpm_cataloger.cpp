#include "scanners/os/rpm_cataloger.hpp"

#include <algorithm>
#include <utility>

#include "scanners/cataloger_util.hpp"
#include "scanners/os/rpm_db.hpp"
#include "scanners/os/rpm_header.hpp"

namespace regscan {

namespace {

constexpr std::string_view dirs[] = {"var/lib/rpm/", "usr/lib/sysimage/rpm/"};
constexpr size_t max_owned_bytes = 256u << 20; // owned file paths of one database

enum class backend { none, sqlite, bdb, ndb };

backend backend_of(std::string_view path) {
  for (auto dir : dirs) {
    if (!path.starts_with(dir))
      continue;
    auto file = path.substr(dir.size());
    if (file == "rpmdb.sqlite")
      return backend::sqlite;
    if (file == "Packages")
      return backend::bdb;
    if (file == "Packages.db")
      return backend::ndb;
  }
  return backend::none;
}

} // namespace

// OSV's names (ossf/osv-schema ecosystems list). Red Hat's records name
// per-product streams ("Red Hat:enterprise_linux:9::appstream"), so the bare
// family is the prefix the matcher has to use; Rocky and Alma use "<name>:<major>".
std::string rpm_ecosystem(const os_info& os) {
  auto major = std::string(util::major(os.version_id));
  auto with_major = [&](std::string name) { return major.empty() ? name : name + ":" + major; };
  if (os.id == "rhel" || os.id == "centos")
    return "Red Hat";
  if (os.id == "rocky")
    return with_major("Rocky Linux");
  if (os.id == "almalinux")
    return with_major("AlmaLinux");
  if (os.id == "sles" || os.id == "sled" || os.id == "sle-micro")
    return "SUSE";
  if (os.id == "opensuse-leap")
    return "openSUSE:Leap " + os.version_id;
  if (os.id == "opensuse-tumbleweed")
    return "openSUSE:Tumbleweed";
  if (os.id == "mageia")
    return with_major("Mageia");
  if (os.id == "openEuler" || os.id == "openeuler")
    return "openEuler";
  if (os.id == "azurelinux" || os.id == "mariner")
    return "Azure Linux";
  if (os.id.empty())
    return "Red Hat"; // an rpmdb without an os-release: the family
  // Fedora, Amazon Linux, Oracle, Photon: no OSV ecosystem of their own yet.
  return os.version_id.empty() ? os.id : os.id + ":" + os.version_id;
}

bool rpm_cataloger::wants(std::string_view path) const {
  return backend_of(path) != backend::none;
}

void rpm_cataloger::rebase_os(const os_info& parsed_with, const os_info& final_os,
                              std::vector<package>& packages) const {
  auto from = rpm_ecosystem(parsed_with), to = rpm_ecosystem(final_os);
  for (auto& p : packages)
    if (p.ecosystem == from)
      p.ecosystem = to;
}

void rpm_cataloger::parse(std::string_view path, std::string_view content,
                          std::string_view layer, const os_info& os, inventory& out) const {
  auto ecosystem = rpm_ecosystem(os);
  size_t bad_headers = 0, owned_bytes = 0;
  bool owned_truncated = false;
  // Headers share directory names, so the joined paths can outgrow the file,
  // but not by much in real databases.
  size_t owned_budget = std::min(max_owned_bytes, 16 * content.size() + (1u << 20));
  size_t record = 0;
  // Each bad header is named by its place among the database's records, up to
  // a limit; past it they are counted.
  constexpr size_t max_named = 20;
  auto bad = [&](const std::string& why) {
    if (bad_headers++ < max_named)
      out.notes.push_back("rpm: " + std::string(path) + ": skipped record #" + std::to_string(record)
                          + ": " + why);
  };
  auto visit = [&](std::string_view blob) {
    if (blob.size() <= 4)
      return; // Berkeley DB's key 0 record: rpm's next instance number
    ++record;
    auto h = parse_rpm_header(blob);
    if (!h) {
      bad(h.err().message);
      return;
    }
    // rpm keeps imported signing keys as pseudo-packages.
    if (h->name == "gpg-pubkey") {
      out.notes.push_back("rpm: " + std::string(path) + ": record #" + std::to_string(record)
                          + " gpg-pubkey-" + h->version + " is a signing key, not a package; not listed");
      return;
    }
    if (!util::valid_token(h->name) || !util::valid_token(h->version)) {
      bad("bad NAME or VERSION (\"" + h->name.substr(0, 100) + "\")");
      return;
    }
    package p;
    p.ecosystem = ecosystem;
    p.name = std::move(h->name);
    p.version = h->version;
    if (!h->release.empty())
      p.version += "-" + h->release;
    if (h->epoch)
      p.version = std::to_string(*h->epoch) + ":" + p.version;
    p.source_name = rpm_source_name(h->source_rpm);
    if (p.source_name.empty())
      p.source_name = p.name;
    p.source_version = p.version;
    p.module = rpm_module_stream(h->modularity_label);
    p.file.assign(path);
    p.layer.assign(layer);
    for (auto& f : h->files) {
      auto norm = util::normalize_path(f);
      owned_bytes += norm.size();
      if (owned_bytes > owned_budget) {
        owned_truncated = true;
        break;
      }
      if (!norm.empty())
        out.owned_files.push_back(owned_file{std::move(norm), p.name});
    }
    out.packages.push_back(std::move(p));
  };
  expected<void> read;
  switch (backend_of(path)) {
  case backend::sqlite: read = read_rpmdb_sqlite(content, visit); break;
  case backend::bdb: read = read_rpmdb_bdb(content, visit); break;
  case backend::ndb: read = read_rpmdb_ndb(content, visit); break;
  case backend::none: return;
  }
  if (!read)
    out.notes.push_back("rpm: " + std::string(path) + ": " + read.err().message);
  if (owned_truncated)
    out.notes.push_back("rpm: " + std::string(path) + ": over " + std::to_string(owned_budget)
                        + " bytes of owned file paths; the rest are not kept");
  if (bad_headers > max_named)
    out.notes.push_back("rpm: " + std::string(path) + ": skipped " + std::to_string(bad_headers - max_named)
                        + " more bad package header(s)");
}

} // namespace regscan
