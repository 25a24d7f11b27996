#pragma once
// npm packages (OSV ecosystem "npm") from what an image ships:
// - package-lock.json / npm-shrinkwrap.json, lockfile v1 (nested
//   "dependencies") and v2/v3 ("packages" keyed by node_modules path);
// - node_modules/**/package.json, only a package's own manifest (the file
//   right under node_modules/<name>/ or node_modules/@scope/<name>/);
// - yarn.lock, classic (v1, yarn's own syntax) and berry (v2+, YAML);
// - pnpm-lock.yaml, the key forms of lockfile v5 ("/name/1.0.0_peer",
//   "host/name/1.0.0"), v6 ("/name@1.0.0(peer)") and v9 ("name@1.0.0(peer)",
//   with "snapshots:").
// YAML is read with libyaml's event parser (scanners/lang/yaml_stream.hpp).
// Lockfiles inside node_modules are ignored (node_modules/.package-lock.json
// repeats what the package.json files say). A project that ships both a lock
// file and node_modules lists each package twice, once per file: the records
// differ by `file`. Within one file each name@version is listed once.
// Besides registry packages, each file lists what it knows of the project
// itself, as packages with a kind (scanners/types.hpp): the root and its
// workspace members ("root", "workspace"), and dependencies from git, a
// tarball or a local folder ("git", "tarball", "directory"), each with its
// source_url and the version its package.json gives when the lockfile has
// it (else a git one has its commit, the others none). These are never
// matched against advisories. A lockfile that does not hold a name (pnpm
// names its importers by folder only; a member's name is known when another
// importer links to it) leaves a note instead. Nothing is dropped in silence:
// any entry that cannot be read becomes a note naming the file and the
// record (up to 50 per file, then a count).
#include "scanners/cataloger.hpp"

namespace regscan {

class npm_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "npm"; }
  // 2: skipped records become notes that name them (issue 16);
  // 3: the root, workspaces, git, tarball and folder dependencies listed with a kind.
  int version() const override { return 3; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
