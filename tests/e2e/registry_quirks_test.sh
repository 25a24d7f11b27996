#!/usr/bin/env bash
# Registries as they really behave (issue 17), end to end: a real
# docker-registry holding a Docker manifest list of two platforms and a Helm
# chart pushed as an OCI artifact, synced through the docker-v2 path and
# through a Harbor 1.10 API fixture that fronts the same registry the way
# Harbor 1.10 does (a list's tag carries its amd64 child's digest). Both
# platforms and the list are in the inventory, the chart is listed as an
# artifact and not scanned, and neither sync fails.
#
#   registry_quirks_test.sh REGSCAND REGSCANCTL SOURCE_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
source "$SRC/tests/e2e/lib.sh"
need docker-registry htpasswd curl

start_registry
step "push a manifest list (linux/amd64, linux/arm64/v8) and a Helm chart"
DIGESTS=$(/usr/bin/python3 "$SRC/tests/e2e/push_multiarch.py" "http://127.0.0.1:$REG_PORT" alice "$REG_PASSWORD")
echo "$DIGESTS"

FIXTURE_PORT=$(free_port)
/usr/bin/python3 "$SRC/tests/e2e/harbor110_fixture.py" "$FIXTURE_PORT" "http://127.0.0.1:$REG_PORT" alice "$REG_PASSWORD" \
  >"$WORK/fixture.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$FIXTURE_PORT/api/projects" && break; sleep 0.1; done

step "the fixture is faithful: the list's tag carries the amd64 child's digest, as in Harbor 1.10"
curl -sf -u "alice:$REG_PASSWORD" "http://127.0.0.1:$FIXTURE_PORT/api/repositories/app/tags" >"$WORK/tags.json"
/usr/bin/python3 - "$WORK/tags.json" "$DIGESTS" <<'PY' || fail "the fixture does not answer as Harbor 1.10"
import json, sys
tags = json.load(open(sys.argv[1]))
d = json.loads(sys.argv[2])
assert [t["digest"] for t in tags if t["name"] == "1"] == [d["amd64"]], tags
PY

start_daemon
ctl registry add --name dv2 --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD"
ctl registry add --name h110 --type harbor --version V1 --address "http://127.0.0.1:$REG_PORT" \
  --api-endpoint "http://127.0.0.1:$FIXTURE_PORT" --username alice --password "$REG_PASSWORD"

for reg in dv2 h110; do
  step "sync $reg"
  ctl sync "$reg" | tee "$WORK/sync-$reg.txt" || fail "sync of $reg failed"
  grep -q "images ok 2, artifacts listed but not scanned 1, failed 0" "$WORK/sync-$reg.txt" \
    || fail "sync of $reg: counts not as expected"
done

step "the inventory: both platforms with their list, the chart as an artifact, for both registries"
ctl images list --json >"$WORK/images.json"
ctl images list
/usr/bin/python3 - "$WORK/images.json" "$DIGESTS" <<'PY' || fail "inventory not as expected"
import json, sys
images = json.load(open(sys.argv[1]))
d = json.loads(sys.argv[2])
for reg in ("dv2", "h110"):
    mine = [i for i in images if i["registry"] == reg]
    app = sorted((i["digest"], i["index_digest"], i["architecture"], tuple(i["tags"]), i["artifact_type"])
                 for i in mine if i["repository"] == "app")
    want = sorted([(d["amd64"], d["list"], "amd64", ("1",), ""), (d["arm64"], d["list"], "arm64", ("1",), "")])
    assert app == want, (reg, app, want)
    chart = [i for i in mine if i["repository"] == "charts/demo"]
    assert len(chart) == 1, (reg, chart)
    assert chart[0]["digest"] == d["chart"] and chart[0]["tags"] == ["0.1.0"], chart
    assert chart[0]["artifact_type"] == "application/vnd.cncf.helm.config.v1+json", chart
    assert chart[0]["pushed"] is None, chart  # Harbor's year 1 or no time at all: unknown
print("inventory ok")
PY

step "a scan request for the chart says it is not an image"
expect_fail "not an image" scan charts/demo:0.1.0
echo "PASS"
