#!/usr/bin/env bash
# The console's pages end to end, against a real registry and real images:
# the overview's counts equal the sums over `images list`; the list's filter,
# search, sort, pages and saved columns; the CSV export parses back (python's
# csv module) to the rows of the JSON export, with fields holding commas and
# quotes; image show's risk summary, views and one vulnerability's details; a
# failed scan's reason and advice; SARIF and CycloneDX reports valid against
# the published schemas (tests/schemas).
#
#   console_test.sh REGSCAND REGSCANCTL SOURCE_DIR SHARED_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
SHARED=$4
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd curl
PY=/usr/bin/python3

step "images: npm packages with known advisories, a secret, a clean one, one that will fail"
mkdir -p "$WORK/app/app/node_modules/lodash" "$WORK/app/app/node_modules/qs" "$WORK/clean/etc" "$WORK/gone/data"
echo '{"name":"lodash","version":"4.17.4"}' >"$WORK/app/app/node_modules/lodash/package.json"
echo '{"name":"qs","version":"0.6.0"}' >"$WORK/app/app/node_modules/qs/package.json"
echo "hello" >"$WORK/clean/etc/motd"
echo "soon gone" >"$WORK/gone/data/file"
$PY "$SRC/tools/make_oci_image.py" --out "$WORK/oci-app" --tag 1 \
  --env "DATABASE_URL=postgres://billing:Xk29fQm4Lr8sT2vW@db.internal:5432/billing" "$WORK/app" >/dev/null
# A created field with a comma and quotes: the CSV must carry it.
$PY "$SRC/tools/make_oci_image.py" --out "$WORK/oci-clean" --tag 1 \
  --created '2026-02-03 "nightly, retagged"' "$WORK/clean" >/dev/null
GONE=$($PY "$SRC/tools/make_oci_image.py" --out "$WORK/oci-gone" --tag 1 "$WORK/gone")

start_registry
push "$WORK/oci-app:1" team/api:1
push "$WORK/oci-app:1" team/api:latest   # two tags: a comma in the name column
push "$WORK/oci-clean:1" team/clean:1
push "$WORK/oci-gone:1" team/gone:1
# The gone image's layer leaves the registry: its scan fails.
LAYER=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' \
  "$WORK/oci-gone/blobs/sha256/${GONE#sha256:}")
rm -f "$WORK/registry/data/docker/registry/v2/blobs/sha256/${LAYER:0:2}/$LAYER/data"

# A failed scan fails at once: no retries.
printf '[scan]\nmax_retries = 0\n' >"$WORK/regscan.toml"
start_daemon --config "$WORK/regscan.toml" --max-parallel-scans 2
ctl db import "$SHARED/data/osv/npm/all.zip" >/dev/null
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD"
ctl sync lab >/dev/null
ctl scan team/api:1 team/clean:1 --wait
ctl scan team/gone:1 --wait && fail "the scan of an image without its layer succeeded" || true

step "images list: statuses, the failed scan's reason and advice"
ctl images list | tee "$WORK/list.txt"
ctl images list --json >"$WORK/list.json"
$PY - "$WORK/list.json" <<'PY' || fail "images list --json"
import json, sys
imgs = {i["repository"]: i for i in json.load(open(sys.argv[1]))}
assert set(imgs) == {"team/api", "team/clean", "team/gone"}, imgs.keys()
api, clean, gone = imgs["team/api"], imgs["team/clean"], imgs["team/gone"]
assert api["scan_status"] == "scanned" and api["vulnerabilities"] >= 3, api
assert api["security_status"] == "risky" and "vulnerabilities" in api["risks"] and "secrets" in api["risks"], api
assert clean["security_status"] == "safe" and clean["risks"] == "", clean
assert gone["scan_status"] == "failed" and gone["last_error"] and gone["last_error_code"], gone
assert gone["security_status"] == "unknown", gone
assert "rescan" in gone["advice"] or "sync" in gone["advice"], gone["advice"]
assert api["authorization"] == "authorized" and api["malware"] == -1, api
print("failed scan:", gone["last_error_code"], "->", gone["advice"])
PY

step "overview: its counts are the sums over the list"
ctl overview | tee "$WORK/overview.txt"
ctl overview --json >"$WORK/overview.json"
$PY - "$WORK/overview.json" "$WORK/list.json" <<'PY' || fail "the overview does not add up"
import json, sys
o = json.load(open(sys.argv[1])); imgs = json.load(open(sys.argv[2]))
assert o["images"] == len(imgs) == 3, o
assert o["at_risk"] == sum(i["security_status"] == "risky" for i in imgs) == 1, o
for s in ("unscanned", "queued", "scanning", "scanned", "cancelled", "failed"):
    assert o["by_status"][s] == sum(i["scan_status"] == s for i in imgs), s
assert o["failed"] == 1 and o["unscanned"] == 0 and o["unauthorized"] == 0, o
v = o["vulnerabilities"]
assert v["total"] == sum(i["vulnerabilities"] for i in imgs) > 0, v
for sev in ("Critical", "High", "Medium", "Low", "Unknown"):
    assert v[sev] == sum(i["severity_counts"].get(sev, 0) for i in imgs), sev
assert o["secrets"] == sum(max(0, i["secrets"]) for i in imgs) > 0, o
assert o["malware"] == sum(max(0, i["malware"]) for i in imgs) == 0, o
[reg] = o["registries"]
assert reg["name"] == "lab" and reg["images"] == 3 and reg["last_synced"] > 0, reg
PY

step "filter, search, sort, pages"
names() { ctl images list --format json --columns repository "$@" | $PY -c 'import json,sys; print(" ".join(r["repository"] for r in json.load(sys.stdin)))'; }
[ "$(names --filter status=scanned --sort name)" = "team/api team/clean" ] || fail "filter status=scanned"
[ "$(names --filter 'status=failed|unscanned')" = "team/gone" ] || fail "filter on OR"
[ "$(names --filter security=risky,has=secrets,registry=lab,registry_type=docker-v2)" = "team/api" ] || fail "filter on AND"
[ "$(names --filter 'severity>=unknown')" = "team/api" ] || fail "filter on severity"
[ "$(names --filter has=malware)" = "" ] || fail "filter has=malware"
[ "$(names --search CLEAN)" = "team/clean" ] || fail "search by name"
DIGEST=$($PY -c 'import json,sys; print([i for i in json.load(open(sys.argv[1])) if i["repository"]=="team/gone"][0]["digest"][7:23])' "$WORK/list.json")
[ "$(names --search "$DIGEST")" = "team/gone" ] || fail "search by digest"
[ "$(names --sort vulnerabilities:desc)" = "team/api team/clean team/gone" ] || fail "sort by vulnerabilities"
[ "$(names --sort name:desc)" = "team/gone team/clean team/api" ] || fail "sort by name, descending"
[ "$(names --sort name --page 2 --page-size 2)" = "team/gone" ] || fail "page 2"
ctl images list --page 1 --page-size 2 | grep -q "page 1 of 2 (3 images)" || fail "the table does not say which page"
expect_fail "unknown field 'colour'" images list --filter colour=red
expect_fail "unknown column" images list --columns name,colour

step "saved columns survive a restart"
ctl images list --columns name,status,security,vulnerabilities --save-columns >/dev/null
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true
start_daemon
head -1 <(ctl images list) | grep -q "^IMAGE *STATUS *SECURITY *VULNS$" || fail "saved columns lost: $(ctl images list | head -1)"

step "export: the CSV parses back to the rows of the JSON"
COLS=name,registry,repository,tags,digest,image_id,size,created,status,security,risks,vulnerabilities,critical,high,medium,low,secrets,malware,last_error,advice
ctl images export --registry lab --columns "$COLS" --format csv --output "$WORK/images.csv"
ctl images export --registry lab --columns "$COLS" --format json --output "$WORK/images.json"
$PY - "$WORK/images.csv" "$WORK/images.json" "$COLS" <<'PY' || fail "the CSV export"
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "lines must end in CRLF"
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
want = json.load(open(sys.argv[2]))
cols = sys.argv[3].split(",")
assert rows and len(rows) == len(want) == 3, (len(rows), len(want))
def text(v):
    return "" if v is None or (isinstance(v, int) and v < 0) else str(v)
for got, exp in zip(rows, want):
    assert list(got) == cols, list(got)
    assert got == {c: text(exp[c]) for c in cols}, (got, exp)
tricky = [r for r in rows if "," in r["created"] and '"' in r["created"]]
assert tricky and tricky[0]["repository"] == "team/clean", "no field with a comma and quotes"
assert any("," in r["name"] for r in rows), "no name with a comma (two tags)"
PY
expect_fail "no registry named nowhere" images export --registry nowhere --format csv --output "$WORK/none.csv"

step "image show: risk summary, vulnerability views, one vulnerability"
ctl image show team/api:1 | tee "$WORK/show.txt"
grep -q "security: risky" "$WORK/show.txt" || fail "no security status"
grep -q "worst:" "$WORK/show.txt" || fail "no worst finding"
ctl image show team/api:1 --json --vulns >"$WORK/show.json"
ctl image show team/api:1 --json --vulns --search lodash --fixable >"$WORK/lodash.json"
ctl image show team/api:1 --json --vulns --severity '>=high' >"$WORK/high.json"
$PY - "$WORK/show.json" "$WORK/lodash.json" "$WORK/high.json" <<'PY' || fail "image show's views"
import json, sys
full, lodash, high = (json.load(open(p))[0] for p in sys.argv[1:4])
risk = full["risk"]
assert risk["vulnerabilities"] == len(full["vulnerabilities"]) == full["image"]["vulnerabilities"], risk
assert risk["worst"]["severity"] in ("Critical", "High", "Medium", "Low"), risk
assert risk["secrets"] >= 1 and risk["malware"] == -1, risk
pk = {v["package"] for v in lodash["vulnerabilities"]}
assert pk == {"lodash"} and all(v["fixed_version"] for v in lodash["vulnerabilities"]), lodash["vulnerabilities"]
want = [v["id"] for v in full["vulnerabilities"] if v["severity"] in ("Critical", "High")]
assert [v["id"] for v in high["vulnerabilities"]] == want, (high["vulnerabilities"], want)
PY
ID=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["vulnerabilities"][0]["id"])' "$WORK/lodash.json")
ctl image show team/api:1 --vuln "$ID" | tee "$WORK/vuln.txt"
grep -q "^$ID" "$WORK/vuln.txt" && grep -q "references:" "$WORK/vuln.txt" && grep -q "lodash" "$WORK/vuln.txt" \
  || fail "--vuln $ID lacks its details"
ctl image show team/api:1 --history | grep -q "PKGS *VULNS *SECRETS" || fail "--history does not count findings per step"
ctl image show team/gone:1 | grep -q "advice:" || fail "image show hides the failed scan's advice"

step "reports: SARIF 2.1.0 and CycloneDX 1.5, valid against the published schemas"
ctl report team/api:1 --format sarif --output "$WORK/api.sarif"
ctl report team/api:1 --format cyclonedx --output "$WORK/api.cdx.json"
ctl report team/api:1 --format json --output "$WORK/api.report.json"
$PY "$SRC/tests/schemas/validate.py" sarif "$WORK/api.sarif" || fail "SARIF not valid"
$PY "$SRC/tests/schemas/validate.py" cyclonedx "$WORK/api.cdx.json" || fail "CycloneDX not valid"
$PY - "$WORK/api.sarif" "$WORK/api.cdx.json" "$WORK/show.json" <<'PY' || fail "report contents"
import json, sys
sarif, cdx, show = (json.load(open(p)) for p in sys.argv[1:4])
vulns = show[0]["vulnerabilities"]
results = sarif["runs"][0]["results"]
assert sum(not r["ruleId"].startswith("secret/") for r in results) == len(vulns), len(results)
assert any(r["ruleId"].startswith("secret/") for r in results), "no secret in SARIF"
refs = {c["bom-ref"]: c for c in cdx["components"]}
assert any(c.get("purl") == "pkg:npm/lodash@4.17.4" for c in cdx["components"]), "no lodash purl"
assert {v["id"] for v in cdx["vulnerabilities"]} == {v["id"] for v in vulns}
for v in cdx["vulnerabilities"]:
    assert v["ratings"] and v["source"]["name"] == "OSV"
    for a in v["affects"]:
        assert a["ref"] in refs, a
assert cdx["metadata"]["component"]["type"] == "container"
PY
expect_fail "no scan result" report team/gone:1 --format sarif
echo "PASS"
