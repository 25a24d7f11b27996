#pragma once
// npm packages (OSV ecosystem "npm") from what an image ships:
// - package-lock.json / npm-shrinkwrap.json, lockfile v1 (nested
//   "dependencies") and v2/v3 ("packages" keyed by node_modules path);
// - node_modules/**/package.json, only a package's own manifest (the file
//   right under node_modules/<name>/ or node_modules/@scope/<name>/);
// - yarn.lock, classic (v1) and berry (v2+);
// - pnpm-lock.yaml, key formats of lockfile v5 ("/name/1.0.0_peer"),
//   v6 ("/name@1.0.0(peer)") and v9 ("name@1.0.0(peer)").
// Lockfiles inside node_modules are ignored (node_modules/.package-lock.json
// repeats what the package.json files say). A project that ships both a lock
// file and node_modules lists each package twice, once per file: the records
// differ by `file`.
// Entries that are the project's own code (the root, workspace members,
// "link": true entries, yarn workspace:/link:/portal: resolutions) are not
// packages and are skipped.
#include "scanners/cataloger.hpp"

namespace regscan {

class npm_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "npm"; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
