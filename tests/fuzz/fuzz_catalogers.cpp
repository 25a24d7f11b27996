// Each cataloger's file parser: the first byte picks a (cataloger, path) pair,
// the rest is the file's content. The pairs name the files the catalogers ask
// for in a real layer walk; a pair the cataloger would not ask for aborts at
// start, so the table cannot drift from the catalogers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "scanners/catalogers.hpp"

namespace {

struct target {
  std::string_view cataloger;
  std::string_view path;
  bool executable; // found by wants_executable rather than by name
};

const target targets[] = {
    {"dpkg", "var/lib/dpkg/status", false},
    {"dpkg", "var/lib/dpkg/status.d/base", false},
    {"dpkg", "var/lib/dpkg/info/libc6:amd64.list", false},
    {"apk", "lib/apk/db/installed", false},
    {"rpm", "var/lib/rpm/rpmdb.sqlite", false},
    {"rpm", "var/lib/rpm/Packages", false},
    {"rpm", "usr/lib/sysimage/rpm/Packages.db", false},
    {"npm", "app/package-lock.json", false},
    {"npm", "app/yarn.lock", false},
    {"npm", "app/pnpm-lock.yaml", false},
    {"npm", "app/node_modules/left-pad/package.json", false},
    {"python", "usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA", false},
    {"python", "usr/lib/python3/dist-packages/foo-1.0.egg-info/PKG-INFO", false},
    {"go-binary", "usr/local/bin/app", true},
    {"java", "app/lib/app.jar", false},
    {"gem", "usr/lib/ruby/gems/3.1.0/specifications/foo-1.0.gemspec", false},
    {"composer", "app/vendor/composer/installed.json", false},
    {"dotnet", "app/myservice.deps.json", false},
    {"cargo-auditable", "usr/local/bin/app", true},
    {"runtime", "usr/local/go/VERSION", false},
    {"runtime", "usr/local/include/python3.11/patchlevel.h", false},
    {"runtime", "opt/java/openjdk/release", false},
    {"runtime", "usr/local/bin/node", true},
};
constexpr size_t target_count = sizeof targets / sizeof targets[0];

struct resolved {
  std::vector<std::unique_ptr<regscan::cataloger>> all = regscan::default_catalogers();
  const regscan::cataloger* by_target[target_count] = {};

  resolved() {
    for (size_t i = 0; i < target_count; ++i) {
      const auto& t = targets[i];
      for (auto& c : all)
        if (c->name() == t.cataloger)
          by_target[i] = c.get();
      auto* c = by_target[i];
      bool wanted = c && (t.executable ? c->wants_executable(t.path, 0755, 1 << 20)
                                       : c->wants(t.path));
      if (!wanted) {
        std::fprintf(stderr, "cataloger %.*s does not ask for %.*s\n", int(t.cataloger.size()),
                     t.cataloger.data(), int(t.path.size()), t.path.data());
        std::abort();
      }
    }
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static resolved catalogers;
  if (size == 0)
    return 0;
  size_t pick = data[0] % target_count;
  std::string_view content(reinterpret_cast<const char*>(data + 1), size - 1);
  regscan::os_info os{"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  regscan::inventory out;
  catalogers.by_target[pick]->parse(targets[pick].path, content, "sha256:fuzz", os, out);
  return 0;
}
