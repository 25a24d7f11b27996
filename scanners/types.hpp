#pragma once
// The data that flows out of scanners/: an image's inventory and its findings.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace regscan {

/// How a record's field is used. Each record lists its fields once, in a
/// fields() template beside its struct; the store's codec and the API's JSON
/// view both walk that list, calling f(name, member) or f(name, member, field_use).
struct field_use {
  bool stored = true;        // the codec writes it (it reads every field)
  bool shown = true;         // the API view writes it
  bool sealed = false;       // a secret: the view writes only whether it is set
  bool omit_empty = false;   // left out of both when empty
  bool null_if_empty = false; // the API view writes null when empty ("unknown")
  std::string_view shown_as = {}; // its name in the API view, when not `name`
};

/// T or const T: one fields() serves reading and writing.
template <class T, class R>
concept maybe_const = std::same_as<std::remove_const_t<T>, R>;

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
  // Where the package comes from when not from its ecosystem's registry:
  //   ""          the registry (the normal case): matched against advisories
  //   "root"      the project a lockfile is for (its own package.json)
  //   "workspace" a workspace member of that project
  //   "git"       a git repository (version: its package.json's, else the commit)
  //   "tarball"   a tarball URL or file
  //   "directory" a local folder (npm/yarn "file:", "link:", "portal:")
  // A package with a kind is listed, never matched: its version says nothing
  // about the registry package of the same name.
  std::string kind;
  std::string source_url;     // with a kind: the git URL and commit, the tarball, the folder
};

template <maybe_const<package> P, class F>
void fields(P& p, F&& f) {
  f("ecosystem", p.ecosystem);
  f("name", p.name);
  f("version", p.version);
  f("source_name", p.source_name);
  f("source_version", p.source_version);
  f("file", p.file);
  f("layer", p.layer);
  f("owner", p.owner);
  f("module", p.module, {.omit_empty = true});
  f("kind", p.kind, {.omit_empty = true});
  f("source_url", p.source_url, {.omit_empty = true});
}

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

/// Sensitive information found in an image: in a file of a layer, or in its
/// config (env, labels, cmd, entrypoint) or build history. Only a masked form
/// and a keyed fingerprint of the secret are kept, never the secret.
struct secret_finding {
  std::string rule_id;     // "aws-access-key"
  std::string rule_name;
  std::string category;    // "cloud", "vcs", "chat", "payment", "saas", "private-key", ...
  std::string severity;    // Critical, High, Medium, Low
  std::string location;    // a file path (no leading '/'), or "env:NAME", "label:KEY",
                           // "cmd", "entrypoint", "history:N" (the N-th build step)
  int line = 0;            // 1-based, in the file or value
  std::string masked;      // the secret's first characters, then '*'
  std::string fingerprint; // keyed hash of the secret: the same secret anywhere has the same one
  std::string layer;       // the layer that added the file, or that the step made
  bool deleted = false;    // a later layer deleted or replaced the file: it is still in the image
  std::string deleted_by;  // that layer
};

template <maybe_const<secret_finding> T, class F>
void fields(T& x, F&& f) {
  f("rule_id", x.rule_id);
  f("rule_name", x.rule_name);
  f("category", x.category);
  f("severity", x.severity);
  f("location", x.location);
  f("line", x.line);
  f("masked", x.masked);
  f("fingerprint", x.fingerprint);
  f("layer", x.layer);
  f("deleted", x.deleted);
  f("deleted_by", x.deleted_by, {.omit_empty = true});
}

/// Malware found in a file of a layer (or inside an archive that file is).
/// Joins a file's path and the members ClamAV unpacked to reach a finding:
/// "srv/bundle.tar.gz!inner/payload.zip!eicar.com". Members without a name
/// (the tar inside a .gz) are left out.
inline constexpr std::string_view archive_member_separator = "!";

struct malware_finding {
  std::string path;       // the file, no leading '/'; for a member of an
                          // archive, the file then the member ("a.tar.gz!x.zip!y")
  std::string member;     // the member part of `path` ("x.zip!y"); empty for the file itself
  std::string sha256;     // of the file's content
  uint64_t size = 0;
  std::string signature;  // "Win.Test.EICAR_HDB-1", a YARA rule, an IOC name
  std::string source;     // "clamav", "yara" (run by libyara), "ioc"
  std::string type;       // trojan, virus, miner, webshell, backdoor, test
  std::string severity;   // Critical, High, Medium, Low
  std::string layer;      // the layer that added the file
  bool deleted = false;   // a later layer deleted or replaced the file
  std::string deleted_by;
  std::string advice;     // what to do
};

template <maybe_const<malware_finding> T, class F>
void fields(T& x, F&& f) {
  f("path", x.path);
  f("member", x.member, {.omit_empty = true});
  f("sha256", x.sha256);
  f("size", x.size);
  f("signature", x.signature);
  f("source", x.source);
  f("type", x.type);
  f("severity", x.severity);
  f("layer", x.layer);
  f("deleted", x.deleted);
  f("deleted_by", x.deleted_by, {.omit_empty = true});
  f("advice", x.advice);
}

/// What the malware scanner says of one content, whatever its path: findings
/// without path, sha256, size and layer (member set for archive members).
struct malware_verdict {
  std::vector<malware_finding> findings;
  std::string incomplete; // why a limit stopped the scan; empty when it did not
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
  /// Set when the walk looked for secrets; false when a limit left some out.
  bool secrets_scanned = false;
  bool secrets_complete = true;
  std::vector<secret_finding> secrets; // layer order, then location
  /// Set when the walk looked for malware; false when a limit left some out.
  bool malware_scanned = false;
  bool malware_complete = true;
  std::string malware_version;             // the signature set's
  std::vector<malware_finding> malware;    // layer order, then path
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

template <maybe_const<finding> T, class F>
void fields(T& x, F&& f) {
  constexpr field_use advisory_text{.stored = false};
  f("id", x.id);
  f("aliases", x.aliases);
  f("ecosystem", x.ecosystem);
  f("package", x.package);
  f("source_package", x.source_package);
  f("installed_version", x.installed_version);
  f("fixed_version", x.fixed_version);
  f("severity", x.severity);
  f("title", x.title, advisory_text);
  f("description", x.description, advisory_text);
  f("references", x.references, advisory_text);
  f("fix_advice", x.fix_advice);
  f("layer", x.layer);
  f("first_seen", x.first_seen);
}

} // namespace regscan
