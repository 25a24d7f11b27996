#!/usr/bin/env bash
# The measurement behind scanners/lang/yaml_stream.hpp: has pnpm 9 resolve a
# large real project (network: the npm registry), then reads its
# pnpm-lock.yaml with libyaml and yaml-cpp under /usr/bin/time.
# Usage: yaml_lock_bench.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/package.json" <<'JSON'
{"name":"big","version":"1.0.0","private":true,
 "dependencies":{"react-scripts":"5.0.1","gatsby":"5.13.3","@angular/cli":"17.3.0","@angular-devkit/build-angular":"17.3.0","@nestjs/cli":"10.3.2",
 "storybook":"7.6.17","@storybook/react":"7.6.17","next":"14.1.3","webpack":"5.90.3","eslint":"8.57.0","jest":"29.7.0",
 "@babel/core":"7.24.0","typescript":"5.4.2","aws-cdk-lib":"2.133.0","firebase-tools":"13.5.1","@vue/cli-service":"5.0.8","expo":"50.0.14",
 "serverless":"3.38.0","hardhat":"2.22.0","@docusaurus/core":"3.1.1","nuxt":"3.10.3","@remix-run/dev":"2.8.1",
 "react-native":"0.73.6","electron":"29.1.4","lerna":"8.1.2","nx":"18.1.2","@graphql-codegen/cli":"5.0.2",
 "@aws-amplify/cli":"12.10.1","@ionic/cli":"7.2.0","@sveltejs/kit":"2.5.4","antd":"5.15.3","@mui/material":"5.15.13","prisma":"5.11.0"}}
JSON
(cd "$work" && npx --yes pnpm@9 install --lockfile-only --ignore-scripts --config.auto-install-peers=true >/dev/null)
ls -l "$work/pnpm-lock.yaml"
for mode in libyaml yaml-cpp-load yaml-cpp-events; do
  /usr/bin/time -f "  peak %M KB, %e s" "$build/tests/scanners/yaml_lock_bench" "$mode" "$work/pnpm-lock.yaml"
done
