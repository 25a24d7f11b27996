#include "daemon/front/reports.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <tuple>

#include "daemon/front/views.hpp"
#include "daemon/image_details.hpp"
#include "scanners/json_writer.hpp"

#ifndef REGSCAN_VERSION
#define REGSCAN_VERSION "dev"
#endif

namespace regscan {

namespace {

// Percent-encodes all but purl's (and URIs') unreserved characters and `keep`.
std::string pct(std::string_view s, std::string_view keep = {}) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || keep.find(c) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string now_rfc3339() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string osv_url(std::string_view id) {
  return "https://osv.dev/vulnerability/" + pct(id);
}

// One advisory and the packages it was found in.
struct advisory {
  const finding* first = nullptr;
  std::vector<const finding*> all;
};

// Advisories in the order the findings name them first.
std::vector<advisory> group_by_advisory(const std::vector<finding>& findings) {
  std::vector<advisory> out;
  std::map<std::string, size_t> at;
  for (auto& f : findings) {
    auto [it, fresh] = at.emplace(f.id, out.size());
    if (fresh)
      out.push_back({&f, {}});
    out[it->second].all.push_back(&f);
  }
  return out;
}

// The inventory's package a finding is about: (ecosystem, name, version) -> index.
std::map<std::tuple<std::string, std::string, std::string>, size_t> package_index(const inventory& inv) {
  std::map<std::tuple<std::string, std::string, std::string>, size_t> out;
  for (size_t i = 0; i < inv.packages.size(); ++i) {
    auto& p = inv.packages[i];
    out.emplace(std::tuple{p.ecosystem, p.name, p.version}, i);
  }
  return out;
}

const package* package_of(const inventory& inv,
                          const std::map<std::tuple<std::string, std::string, std::string>, size_t>& index,
                          const finding& f) {
  auto it = index.find({f.ecosystem, f.package, f.installed_version});
  return it == index.end() ? nullptr : &inv.packages[it->second];
}

// GitHub code scanning's scale: 9.0 critical, 7.0 high, 4.0 medium, 0.1 low.
const char* security_severity(std::string_view severity) {
  switch (severity_rank(severity)) {
    case 0: return "9.5";
    case 1: return "8.0";
    case 2: return "5.5";
    case 3: return "2.0";
    default: return "0.0";
  }
}

const char* sarif_level(std::string_view severity) {
  switch (severity_rank(severity)) {
    case 0:
    case 1: return "error";
    case 2: return "warning";
    default: return "note";
  }
}

std::string image_ref(const image_row& row) {
  return row.image.registry + "/" + row.image.repository + "@" + row.image.digest;
}

} // namespace

std::string package_url(const package& p) {
  // A purl names a package of its registry; the project's own code and a
  // git, tarball or folder dependency are not one (their kind and source
  // go in the report's properties).
  if (!p.kind.empty())
    return {};
  auto colon = p.ecosystem.find(':');
  auto family = p.ecosystem.substr(0, colon);
  auto release = colon == std::string::npos ? std::string{} : p.ecosystem.substr(colon + 1);
  auto tail = [&](const std::string& type, const std::string& ns_name, std::string qualifiers = {}) {
    return "pkg:" + type + "/" + ns_name + "@" + pct(p.version) + (qualifiers.empty() ? "" : "?" + qualifiers);
  };
  auto distro = [&](const std::string& id) { return release.empty() ? std::string{} : "distro=" + pct(id + "-" + release); };
  if (family == "Debian")
    return tail("deb", "debian/" + pct(p.name), distro("debian"));
  if (family == "Ubuntu")
    return tail("deb", "ubuntu/" + pct(p.name), distro("ubuntu"));
  if (family == "Alpine")
    return tail("apk", "alpine/" + pct(ascii_lower(p.name)), distro("alpine"));
  if (family == "Rocky Linux")
    return tail("rpm", "rocky-linux/" + pct(p.name), distro("rocky"));
  if (family == "AlmaLinux")
    return tail("rpm", "almalinux/" + pct(p.name), distro("almalinux"));
  if (family == "Red Hat")
    return tail("rpm", "redhat/" + pct(p.name), distro("rhel"));
  if (family == "npm") {
    // A scope is the namespace, its '@' percent-encoded.
    if (p.name.starts_with("@") && p.name.find('/') != std::string::npos) {
      auto slash = p.name.find('/');
      return tail("npm", pct(p.name.substr(0, slash)) + "/" + pct(p.name.substr(slash + 1)));
    }
    return tail("npm", pct(p.name));
  }
  if (family == "PyPI") {
    auto name = ascii_lower(p.name);
    for (auto& c : name)
      if (c == '_')
        c = '-';
    return tail("pypi", pct(name));
  }
  if (family == "Go")
    return tail("golang", pct(p.name, "/"));
  if (family == "Maven") {
    auto sep = p.name.find(':');
    if (sep == std::string::npos)
      return tail("maven", pct(p.name));
    return tail("maven", pct(p.name.substr(0, sep)) + "/" + pct(p.name.substr(sep + 1)));
  }
  if (family == "RubyGems")
    return tail("gem", pct(p.name));
  if (family == "crates.io")
    return tail("cargo", pct(p.name));
  if (family == "NuGet")
    return tail("nuget", pct(p.name));
  if (family == "Packagist")
    return tail("composer", pct(ascii_lower(p.name), "/"));
  return {};
}

std::string json_report(const image_row& row, const scan_result& result) {
  json_writer w;
  w.begin_object().field("report", "regscan").field("version", REGSCAN_VERSION).field("generated", now_rfc3339());
  w.key("image");
  write_image_row(w, row);
  w.key("os").begin_object()
    .field("id", result.inv.os.id)
    .field("version_id", result.inv.os.version_id)
    .field("pretty_name", result.inv.os.pretty_name)
    .end_object();
  w.key("risk");
  write_risk(w, summarize_risk(row.image, &result));
  w.field("complete", result.inv.complete).field("notes", result.inv.notes);
  w.key("vulnerabilities").begin_array();
  for (auto& f : result.findings)
    write_finding(w, f);
  w.end_array();
  w.key("secrets").begin_object()
    .field("scanned", result.inv.secrets_scanned)
    .field("complete", result.inv.secrets_complete);
  w.key("findings").begin_array();
  for (auto& s : result.inv.secrets)
    write_secret(w, s);
  w.end_array().end_object();
  w.key("packages").begin_array();
  for (auto& p : result.inv.packages)
    write_package(w, p);
  w.end_array();
  w.end_object();
  return w.take();
}

std::string sarif_report(const image_row& row, const scan_result& result) {
  auto advisories = group_by_advisory(result.findings);
  auto index = package_index(result.inv);
  json_writer w;
  w.begin_object()
    .field("$schema", "https://json.schemastore.org/sarif-2.1.0.json")
    .field("version", "2.1.0");
  w.key("runs").begin_array().begin_object();
  w.key("tool").begin_object().key("driver").begin_object()
    .field("name", "regscan")
    .field("version", REGSCAN_VERSION)
    .field("informationUri", "https://github.com/regscan/regscan");
  // One rule per advisory, then one per secret rule, in the order results use them.
  std::map<std::string, size_t> rule_index;
  w.key("rules").begin_array();
  for (auto& a : advisories) {
    auto& f = *a.first;
    rule_index[f.id] = rule_index.size();
    w.begin_object().field("id", f.id).field("name", f.id);
    w.key("shortDescription").begin_object().field("text", f.title.empty() ? f.id : f.title).end_object();
    if (!f.description.empty())
      w.key("fullDescription").begin_object().field("text", f.description).end_object();
    w.field("helpUri", osv_url(f.id));
    w.key("help").begin_object()
      .field("text", f.fix_advice.empty() ? "No fixed version is known yet." : f.fix_advice)
      .end_object();
    std::vector<std::string> tags{"vulnerability", "security", ascii_lower(f.severity)};
    w.key("properties").begin_object()
      .field("security-severity", security_severity(f.severity))
      .field("tags", tags)
      .field("aliases", f.aliases)
      .end_object();
    w.end_object();
  }
  for (auto& s : result.inv.secrets) {
    auto id = "secret/" + s.rule_id;
    if (rule_index.count(id))
      continue;
    rule_index[id] = rule_index.size();
    w.begin_object().field("id", id).field("name", s.rule_id);
    w.key("shortDescription").begin_object()
      .field("text", s.rule_name.empty() ? s.rule_id : s.rule_name)
      .end_object();
    w.key("help").begin_object()
      .field("text", "Remove the secret from the image (and its build history), rotate it, and pass "
                     "it at run time instead.")
      .end_object();
    std::vector<std::string> tags{"secret", "security", ascii_lower(s.category)};
    w.key("properties").begin_object()
      .field("security-severity", security_severity(s.severity))
      .field("tags", tags)
      .end_object();
    w.end_object();
  }
  w.end_array(); // rules
  w.end_object().end_object(); // driver, tool

  w.key("results").begin_array();
  for (auto& f : result.findings) {
    auto* p = package_of(result.inv, index, f);
    std::string text = f.package + " " + f.installed_version + " is affected by " + f.id + " ("
                       + f.severity + ")";
    text += f.fixed_version.empty() ? "; no fixed version yet" : "; fixed in " + f.fixed_version;
    w.begin_object()
      .field("ruleId", f.id)
      .field("ruleIndex", static_cast<uint64_t>(rule_index[f.id]))
      .field("level", sarif_level(f.severity));
    w.key("message").begin_object().field("text", text).end_object();
    w.key("locations").begin_array().begin_object();
    if (p && !p->file.empty())
      w.key("physicalLocation").begin_object()
        .key("artifactLocation").begin_object().field("uri", pct(p->file, "/")).end_object()
        .end_object();
    w.key("logicalLocations").begin_array().begin_object()
      .field("name", f.package)
      .field("fullyQualifiedName", p ? package_url(*p) : f.ecosystem + "/" + f.package)
      .field("kind", "package")
      .end_object().end_array();
    w.end_object().end_array();
    w.key("partialFingerprints").begin_object()
      .field("regscanFinding/v1", f.id + "|" + f.ecosystem + "|" + f.package + "|" + f.installed_version)
      .end_object();
    w.key("properties").begin_object()
      .field("image", image_ref(row))
      .field("installedVersion", f.installed_version)
      .field("fixedVersion", f.fixed_version)
      .field("layer", f.layer)
      .end_object();
    w.end_object();
  }
  for (auto& s : result.inv.secrets) {
    auto id = "secret/" + s.rule_id;
    bool in_file = s.location.find(':') == std::string::npos && s.location != "cmd" && s.location != "entrypoint";
    std::string text = "A secret (" + (s.rule_name.empty() ? s.rule_id : s.rule_name) + ") in " + s.location
                       + (s.line > 0 ? ":" + std::to_string(s.line) : "") + ": " + s.masked
                       + (s.deleted ? " (deleted by a later layer, still in the image)" : "");
    w.begin_object()
      .field("ruleId", id)
      .field("ruleIndex", static_cast<uint64_t>(rule_index[id]))
      .field("level", sarif_level(s.severity));
    w.key("message").begin_object().field("text", text).end_object();
    w.key("locations").begin_array().begin_object();
    if (in_file) {
      w.key("physicalLocation").begin_object()
        .key("artifactLocation").begin_object().field("uri", pct(s.location, "/")).end_object();
      if (s.line > 0)
        w.key("region").begin_object().field("startLine", s.line).end_object();
      w.end_object();
    } else {
      w.key("logicalLocations").begin_array().begin_object()
        .field("name", s.location).field("kind", "member").end_object().end_array();
    }
    w.end_object().end_array();
    w.key("partialFingerprints").begin_object().field("regscanSecret/v1", s.fingerprint).end_object();
    w.key("properties").begin_object()
      .field("image", image_ref(row))
      .field("layer", s.layer)
      .field("deleted", s.deleted)
      .end_object();
    w.end_object();
  }
  w.end_array(); // results
  w.key("properties").begin_object()
    .field("image", image_ref(row))
    .field("imageId", row.image.image_id)
    .field("platform", row.image.os + "/" + row.image.architecture)
    .field("os", result.inv.os.pretty_name)
    .field("complete", result.inv.complete)
    .end_object();
  w.end_object().end_array(); // run, runs
  w.end_object();
  return w.take();
}

std::string cyclonedx_report(const image_row& row, const scan_result& result) {
  auto& img = row.image;
  // A version-4 style UUID from the manifest digest: the same image gives the same serial.
  std::string hex = img.digest.substr(img.digest.find(':') == std::string::npos ? 0 : img.digest.find(':') + 1);
  hex.resize(32, '0');
  for (auto& c : hex)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      c = '0';
  hex = ascii_lower(hex);
  hex[12] = '4';
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];
  auto serial = "urn:uuid:" + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-"
                + hex.substr(16, 4) + "-" + hex.substr(20, 12);
  auto index = package_index(result.inv);
  auto last_name = img.repository.substr(img.repository.rfind('/') == std::string::npos ? 0 : img.repository.rfind('/') + 1);
  std::string host = row.registry_address;
  if (auto scheme = host.find("://"); scheme != std::string::npos)
    host = host.substr(scheme + 3);
  auto image_purl = "pkg:oci/" + pct(ascii_lower(last_name)) + "@" + pct(img.digest) + "?repository_url="
                    + pct(host + "/" + img.repository, "/") + "&arch=" + pct(img.architecture);

  json_writer w;
  w.begin_object()
    .field("$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json")
    .field("bomFormat", "CycloneDX")
    .field("specVersion", "1.5")
    .field("serialNumber", serial)
    .field("version", 1);
  w.key("metadata").begin_object().field("timestamp", now_rfc3339());
  w.key("tools").begin_object().key("components").begin_array().begin_object()
    .field("type", "application").field("name", "regscan").field("version", REGSCAN_VERSION)
    .end_object().end_array().end_object();
  w.key("component").begin_object()
    .field("type", "container")
    .field("bom-ref", "image")
    .field("name", img.registry + "/" + img.repository)
    .field("version", img.digest)
    .field("purl", image_purl);
  w.key("properties").begin_array();
  for (auto& t : img.tags)
    w.begin_object().field("name", "regscan:tag").field("value", t).end_object();
  w.begin_object().field("name", "regscan:image_id").field("value", img.image_id).end_object();
  w.begin_object().field("name", "regscan:platform").field("value", img.os + "/" + img.architecture).end_object();
  w.end_array();
  w.end_object(); // component
  w.end_object(); // metadata

  w.key("components").begin_array();
  if (!result.inv.os.id.empty())
    w.begin_object()
      .field("type", "operating-system")
      .field("bom-ref", "os")
      .field("name", result.inv.os.id)
      .field("version", result.inv.os.version_id)
      .field("description", result.inv.os.pretty_name)
      .end_object();
  for (size_t i = 0; i < result.inv.packages.size(); ++i) {
    auto& p = result.inv.packages[i];
    w.begin_object()
      .field("type", "library")
      .field("bom-ref", "pkg-" + std::to_string(i))
      .field("name", p.name)
      .field("version", p.version);
    if (auto purl = package_url(p); !purl.empty())
      w.field("purl", purl);
    w.key("properties").begin_array()
      .begin_object().field("name", "regscan:ecosystem").field("value", p.ecosystem).end_object()
      .begin_object().field("name", "regscan:file").field("value", p.file).end_object()
      .begin_object().field("name", "regscan:layer").field("value", p.layer).end_object();
    if (!p.source_name.empty() && p.source_name != p.name)
      w.begin_object().field("name", "regscan:source").field("value", p.source_name).end_object();
    if (!p.kind.empty())
      w.begin_object().field("name", "regscan:kind").field("value", p.kind).end_object();
    if (!p.source_url.empty())
      w.begin_object().field("name", "regscan:source_url").field("value", p.source_url).end_object();
    w.end_array();
    w.end_object();
  }
  w.end_array();

  w.key("vulnerabilities").begin_array();
  auto advisories = group_by_advisory(result.findings);
  for (size_t i = 0; i < advisories.size(); ++i) {
    auto& f = *advisories[i].first;
    w.begin_object()
      .field("bom-ref", "vuln-" + std::to_string(i))
      .field("id", f.id);
    w.key("source").begin_object().field("name", "OSV").field("url", osv_url(f.id)).end_object();
    if (!f.aliases.empty()) {
      w.key("references").begin_array();
      for (auto& a : f.aliases) {
        bool cve = a.starts_with("CVE-");
        w.begin_object().field("id", a).key("source").begin_object()
          .field("name", cve ? "NVD" : "OSV")
          .field("url", cve ? "https://nvd.nist.gov/vuln/detail/" + pct(a) : osv_url(a))
          .end_object().end_object();
      }
      w.end_array();
    }
    auto severity = ascii_lower(f.severity);
    if (severity != "critical" && severity != "high" && severity != "medium" && severity != "low")
      severity = "unknown";
    w.key("ratings").begin_array().begin_object()
      .key("source").begin_object().field("name", "OSV").end_object()
      .field("severity", severity)
      .field("method", "other")
      .end_object().end_array();
    if (!f.title.empty())
      w.field("description", f.title);
    if (!f.description.empty())
      w.field("detail", f.description);
    if (!f.fix_advice.empty())
      w.field("recommendation", f.fix_advice);
    if (!f.references.empty()) {
      w.key("advisories").begin_array();
      for (auto& url : f.references)
        w.begin_object().field("url", url).end_object();
      w.end_array();
    }
    w.key("affects").begin_array();
    for (auto* each : advisories[i].all) {
      auto it = index.find({each->ecosystem, each->package, each->installed_version});
      if (it == index.end())
        continue;
      w.begin_object().field("ref", "pkg-" + std::to_string(it->second));
      w.key("versions").begin_array().begin_object()
        .field("version", each->installed_version).field("status", "affected").end_object();
      if (!each->fixed_version.empty())
        w.begin_object().field("version", each->fixed_version).field("status", "unaffected").end_object();
      w.end_array().end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

} // namespace regscan
