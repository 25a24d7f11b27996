#!/usr/bin/env bash
# Regenerates the lockfiles and listings under this folder with the
# ecosystems' own tools, for tests/scanners/npm_lockfiles_test.cpp (which
# reads only what is committed here, offline). Needs the npm registry.
#
# Two projects:
#   mix/  registry packages (one nested: debug's own ms), a prerelease
#         (ms@3.0.0-canary.1), an alias (escape-old -> escape-html@1.0.0),
#         peer dependencies (use-sync-external-store peers react), a git
#         dependency (git+http:// to a local repository served as static
#         files: GitHub is not reachable here, and yarn 4 refuses git+file://), a local tarball (file:*.tgz), a local folder
#         (file:localdir), and a second registry: @local/hello@2.0.0-beta.1
#         from a static registry that python3's http.server serves on
#         127.0.0.1:48731 (packument + tarball, no verdaccio).
#   ws/   workspaces: @ws/a and @ws/b (b depends on a), the root on escape-html.
# Tools: npm 6 (lock v1), npm 9 --lockfile-version 2, npm 10 (v3), yarnpkg
# 1.22 from Debian (yarn v1), yarn 4 (berry), pnpm 7 (lock 5.4), 8 (6.0),
# 9 (9.0), each from the npm registry into $tools; each tool's own listing
# of what it installed beside its lockfile: listing.json.
# Usage: generate.sh   (run from anywhere; rewrites the tool folders here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=${REGSCAN_LOCKGEN_TOOLS:-$HOME/.cache/regscan/lockgen}
work=/tmp/regscan-lockgen   # a fixed path: lockfiles record the git URL
port=48731
rm -rf "$work" && mkdir -p "$work"

install_tool() { # folder package
  [ -d "$tools/$1/node_modules" ] ||
    npm install --prefix "$tools/$1" --no-save --no-audit --no-fund "$2" >/dev/null
}
install_tool npm6 npm@6; install_tool npm9 npm@9; install_tool npm10 npm@10
install_tool pnpm7 pnpm@7; install_tool pnpm8 pnpm@8; install_tool pnpm9 pnpm@9
install_tool berry @yarnpkg/cli-dist@4
npm6() { node "$tools/npm6/node_modules/npm/bin/npm-cli.js" "$@"; }
npm9() { node "$tools/npm9/node_modules/npm/bin/npm-cli.js" "$@"; }
npm10() { node "$tools/npm10/node_modules/npm/bin/npm-cli.js" "$@"; }
pnpm7() { node "$tools/pnpm7/node_modules/pnpm/bin/pnpm.cjs" "$@"; }
pnpm8() { node "$tools/pnpm8/node_modules/pnpm/bin/pnpm.cjs" "$@"; }
pnpm9() { node "$tools/pnpm9/node_modules/pnpm/bin/pnpm.cjs" "$@"; }
export YARN_GLOBAL_FOLDER="$work/yarn-global" # no metadata cached from another run
berry() { node "$tools/berry/node_modules/@yarnpkg/cli-dist/bin/yarn.js" "$@"; }
# Debian's yarnpkg looks for its modules on Debian's node path.
yarn1() { NODE_PATH=/usr/share/nodejs yarnpkg "$@"; }

# The git dependency: a local repository with a tag.
git init -q "$work/gitpkg-src"
(cd "$work/gitpkg-src" && printf '{"name":"gitpkg","version":"1.2.0"}\n' > package.json &&
  git add package.json && git -c user.name=t -c user.email=t@t commit -qm v1.2.0 && git tag v1.2.0)

# The second registry: one scoped package, two versions, a prerelease.
reg="$work/registry"; mkdir -p "$reg/@local" "$reg/tarballs" "$work/hello/package"
for v in 1.0.0 2.0.0-beta.1; do
  printf '{"name":"@local/hello","version":"%s"}\n' "$v" > "$work/hello/package/package.json"
  tar -czf "$reg/tarballs/hello-$v.tgz" -C "$work/hello" package
done
# The git repository is served by the same server (git's "dumb" HTTP):
# yarn berry takes no git+file:// URL.
git clone -q --bare "$work/gitpkg-src" "$reg/gitpkg.git"
git -C "$reg/gitpkg.git" update-server-info
python3 - "$reg" "$port" <<'PY'
import hashlib, base64, json, sys
reg, port = sys.argv[1], sys.argv[2]
versions = {}
for v in ["1.0.0", "2.0.0-beta.1"]:
    data = open(f"{reg}/tarballs/hello-{v}.tgz", "rb").read()
    versions[v] = {"name": "@local/hello", "version": v, "dist": {
        "tarball": f"http://127.0.0.1:{port}/tarballs/hello-{v}.tgz",
        "shasum": hashlib.sha1(data).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}}
# yarn 4 quarantines versions without a publish time.
when = "2020-01-01T00:00:00.000Z"
doc = {"name": "@local/hello", "dist-tags": {"latest": "1.0.0", "beta": "2.0.0-beta.1"},
       "versions": versions, "time": {"created": when, "modified": when, **{v: when for v in versions}}}
open(f"{reg}/@local/hello", "w").write(json.dumps(doc))
PY
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$reg" >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1

# A project folder for one tool: mix/ or ws/ with that tool's spellings.
make_mix() { # dir git-spec
  local d=$1
  mkdir -p "$d/localdir" "$d/vendor"
  printf '{"name":"localdir","version":"0.0.1"}\n' > "$d/localdir/package.json"
  mkdir -p "$work/tarpkg/package"
  printf '{"name":"tarpkg","version":"0.3.0"}\n' > "$work/tarpkg/package/package.json"
  tar -czf "$d/vendor/tarpkg-0.3.0.tgz" -C "$work/tarpkg" package
  cat > "$d/package.json" <<JSON
{"name": "mix", "version": "1.0.0", "private": true,
 "dependencies": {
  "debug": "4.3.4", "ms": "3.0.0-canary.1", "escape-html": "1.0.3",
  "escape-old": "npm:escape-html@1.0.0",
  "react": "18.2.0", "use-sync-external-store": "1.2.0",
  "gitpkg": "$2",
  "tarpkg": "file:vendor/tarpkg-0.3.0.tgz",
  "localdir": "file:localdir",
  "@local/hello": "2.0.0-beta.1"}}
JSON
  printf '@local:registry=http://127.0.0.1:%s/\n' "$port" > "$d/.npmrc"
}
make_ws() { # dir workspace-spec
  local d=$1
  mkdir -p "$d/packages/a" "$d/packages/b"
  printf '{"name":"ws","version":"1.0.0","private":true,"workspaces":["packages/*"],"dependencies":{"escape-html":"1.0.3"}}\n' > "$d/package.json"
  printf '{"name":"@ws/a","version":"0.1.0","dependencies":{"ms":"2.1.3"}}\n' > "$d/packages/a/package.json"
  printf '{"name":"@ws/b","version":"0.2.0","dependencies":{"@ws/a":"%s"}}\n' "$2" > "$d/packages/b/package.json"
  printf 'packages:\n  - "packages/*"\n' > "$d/pnpm-workspace.yaml"
}
# Keeps the manifests, the lockfile and the listing; drops node_modules.
keep() { # tool project lockfile
  local out="$here/$1/$2"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$work/$1/$2" && find . -name node_modules -prune -o -name .yarn -prune -o \
     \( -name package.json -o -name "$3" -o -name listing.json -o -name .npmrc \
        -o -name .yarnrc.yml -o -name pnpm-workspace.yaml -o -name '*.tgz' \) -print |
     while read -r f; do mkdir -p "$out/$(dirname "$f")"; cp "$f" "$out/$f"; done)
}
git_url="git+http://127.0.0.1:$port/gitpkg.git#v1.2.0"

for t in npm6 npm9 npm10; do
  d="$work/$t/mix"; make_mix "$d" "$git_url"
  extra=(); [ $t = npm9 ] && extra=(--lockfile-version 2)
  (cd "$d" && $t install --no-audit --no-fund --ignore-scripts "${extra[@]}" >/dev/null 2>&1 &&
    $t ls --all --json > listing.json 2>/dev/null || true)
  keep $t mix package-lock.json
  [ $t = npm6 ] && continue # npm 6 has no workspaces
  d="$work/$t/ws"; make_ws "$d" "*"
  (cd "$d" && $t install --no-audit --no-fund --ignore-scripts "${extra[@]}" >/dev/null 2>&1 &&
    $t ls --all --json > listing.json 2>/dev/null || true)
  keep $t ws package-lock.json
done

d="$work/yarn1/mix"; make_mix "$d" "$git_url"
(cd "$d" && yarn1 install --ignore-scripts --non-interactive >/dev/null 2>&1 &&
  yarn1 list --json --non-interactive > listing.json)
keep yarn1 mix yarn.lock
d="$work/yarn1/ws"; make_ws "$d" "0.1.0"
(cd "$d" && yarn1 install --ignore-scripts --non-interactive >/dev/null 2>&1 &&
  yarn1 list --json --non-interactive > listing.json)
keep yarn1 ws yarn.lock

berry_rc() {
  cat > "$1/.yarnrc.yml" <<YML
nodeLinker: node-modules
enableTelemetry: false
enableGlobalCache: false
unsafeHttpWhitelist: ["127.0.0.1"]
approvedGitRepositories: ["**"]
npmScopes:
  local:
    npmRegistryServer: "http://127.0.0.1:$port"
YML
}
d="$work/berry/mix"; make_mix "$d" "$git_url"; berry_rc "$d"; touch "$d/yarn.lock"
(cd "$d" && { berry install --mode=skip-build >/dev/null 2>&1 || true; } && berry info -AR --json > listing.json)
keep berry mix yarn.lock
d="$work/berry/ws"; make_ws "$d" "workspace:*"; berry_rc "$d"; touch "$d/yarn.lock"
(cd "$d" && { berry install --mode=skip-build >/dev/null 2>&1 || true; } && berry info -AR --json > listing.json)
keep berry ws yarn.lock

for t in pnpm7 pnpm8 pnpm9; do
  d="$work/$t/mix"; make_mix "$d" "$git_url"
  (cd "$d" && $t install --ignore-scripts >/dev/null 2>&1 &&
    $t ls --depth Infinity --json > listing.json || true)
  keep $t mix pnpm-lock.yaml
  d="$work/$t/ws"; make_ws "$d" "workspace:*"
  (cd "$d" && $t install --ignore-scripts >/dev/null 2>&1 &&
    $t ls -r --depth Infinity --json > listing.json || true)
  keep $t ws pnpm-lock.yaml
done
