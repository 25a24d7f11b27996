#pragma once
// The data that flows out of scanners/: an image's inventory and its findings.
#include <cstdint>
#include <string>
#include <vector>

namespace regscan {

/// What /etc/os-release (or its fallbacks) says.
struct os_info {
  std::string id;               // "debian"
  std::string version_id;       // "12"
  std::string version_codename; // "bookworm"
  std::string pretty_name;
};

/// One installed package.
struct package {
  std::string ecosystem;      // OSV ecosystem: "Debian:12", "npm", ...
  std::string name;           // binary package name
  std::string version;        // installed version
  std::string source_name;    // source package; equals name when none is given
  std::string source_version; // source version; equals version when none is given
  std::string file;           // the file the record came from
  std::string layer;          // digest of the layer that introduced it
  std::string owner;          // for a language package: the OS package that owns its file
  std::string module;         // rpm: the module stream it was built in ("nodejs:18"), if any
};

/// A file an OS package installed (dpkg's info/*.list, apk's R: lines, rpm's file list).
struct owned_file {
  std::string path;    // normalized, no leading '/'
  std::string package; // the OS package's name
};

/// A file that more than one path of the image reaches (symlinks, hardlinks):
/// it is parsed once, its packages name `file`, and it is also at `also_at`.
struct linked_file {
  std::string file;
  std::vector<std::string> also_at; // sorted
};

/// Everything the catalogers found in one image.
struct inventory {
  os_info os;
  std::vector<package> packages;
  // From OS catalogers while parsing; the analyzer turns it into package.owner
  // and leaves it empty in the inventory it returns.
  std::vector<owned_file> owned_files;
  std::vector<linked_file> linked_files; // sorted by file
  bool complete = true;            // false when a limit or a bad file stopped some work
  std::vector<std::string> notes;  // why it is incomplete, bad files, ...
};

/// One OSV range event: exactly one of the fields is set.
struct osv_event {
  std::string introduced;
  std::string fixed;
  std::string last_affected;
  std::string limit;
};

struct osv_range {
  std::string type; // ECOSYSTEM, SEMVER, GIT
  std::vector<osv_event> events;
};

struct osv_affected {
  std::string ecosystem;
  std::string name;
  std::vector<osv_range> ranges;
  std::vector<std::string> versions;
  std::string severity; // ecosystem_specific/database_specific severity or urgency
};

struct osv_severity {
  std::string type;  // CVSS_V3, CVSS_V4, ...
  std::string score; // the vector
};

struct osv_reference {
  std::string type;
  std::string url;
};

/// One OSV record, as much of it as regscan uses.
struct osv_record {
  std::string id;
  std::string modified;
  std::string withdrawn;
  std::vector<std::string> aliases;
  std::string summary;
  std::string details;
  std::vector<osv_severity> severity;
  std::vector<osv_affected> affected;
  std::vector<osv_reference> references;
};

/// One vulnerability found in one package of an image.
struct finding {
  std::string id;                   // advisory id
  std::vector<std::string> aliases; // CVEs
  std::string ecosystem;            // the package's, e.g. "Debian:12"
  std::string package;              // binary package name
  std::string source_package;
  std::string installed_version;
  std::string fixed_version;        // lowest fix above the installed version, or empty
  std::string severity;             // Critical, High, Medium, Low, Unknown
  // From the advisory record `id`. The store keeps findings without these
  // three and fills them in from the record when a result is read.
  std::string title;
  std::string description;
  std::vector<std::string> references;
  std::string fix_advice;
  std::string layer;
  int64_t first_seen = 0;           // unix seconds: when a match first reported it for this image
};

} // namespace regscan
