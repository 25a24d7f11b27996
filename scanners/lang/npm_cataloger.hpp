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
// Git and tarball dependencies are listed with the version their
// package.json gives, when the lockfile has it. Nothing is dropped in silence:
// the project's own code (the root, workspace members, file:/link: folders),
// a dependency whose version the lockfile does not give, and any entry that
// cannot be read become a note naming the file and the record (up to 50 per
// file, then a count).
#include "scanners/cataloger.hpp"

namespace regscan {

class npm_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "npm"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
