#!/usr/bin/env bash
# The console's operations end to end (issue 13), against a real registry and
# real (small) images: scans with categories, dedupe by image ID, --latest
# and --from-file; a running scan cancelled (by image and with --all) behind
# a registry that holds a layer; exceptions with the caller's uid; the
# scheduled scan stored, and run once at start after the daemon missed it
# (regscand started under faketime two days later); then a license quota:
# images stored before it count as authorized, new ones are not, the
# authorization at quota + 1 is refused, unauthorize frees a license, and a
# scan of an unauthorized image says so.
#
#   ops_test.sh REGSCAND REGSCANCTL SOURCE_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd openssl curl faketime

random() { /usr/bin/python3 -c "import secrets,sys; a=sys.argv[1]; print(''.join(secrets.choice(a) for _ in range(int(sys.argv[2]))))" "$1" "$2"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# image NAME FILE-CONTENT...: a one-layer OCI image in $WORK/NAME
image() {
  local name=$1; shift
  mkdir -p "$WORK/$name-root/app"
  local i=0
  for content in "$@"; do printf '%s\n' "$content" >"$WORK/$name-root/app/file$i"; i=$((i + 1)); done
  /usr/bin/python3 "$SRC/tools/make_oci_image.py" --out "$WORK/$name" --tag 1 "$WORK/$name-root"
}

step "images: one with an AWS key pair, pushed to two repositories (one image ID); two tags of a web app"
AWS_ID=AKIA$(random ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)
AWS_SECRET=$(random "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+" 40)
image billing "[default]" "aws_access_key_id = $AWS_ID" "aws_secret_access_key = $AWS_SECRET" >/dev/null
image web1 "web one" >/dev/null
image web2 "web two" >/dev/null
SLOW_MANIFEST=$(image slow "$(head -c 60000 /dev/urandom | base64 -w0)")
SLOW_LAYER=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
  "$WORK/slow/blobs/sha256/${SLOW_MANIFEST#sha256:}")
start_registry
push "$WORK/billing:1" team/billing:1
push "$WORK/billing:1" mirror/billing:1
push "$WORK/web1:1" team/web:1
push "$WORK/web2:1" team/web:2
PROXY_PORT=$(free_port)
/usr/bin/python3 "$SRC/tests/e2e/slow_proxy.py" "$PROXY_PORT" "http://127.0.0.1:$REG_PORT" "$SLOW_LAYER" &
PIDS+=($!)

cat >"$WORK/regscan.toml" <<TOML
[schedule]
timezone = "Asia/Shanghai"
[scan]
max_parallel = 1
retry_backoff_seconds = 0
TOML
start_daemon --config "$WORK/regscan.toml"
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD"
ctl sync lab >/dev/null
ctl images list | tee "$WORK/images.txt"
grep -q "AUTH" "$WORK/images.txt" || fail "images list has no AUTH column"
[ "$(grep -c 'lab/' "$WORK/images.txt")" = 4 ] || fail "expected 4 images"

step "scan two images of one image ID: scanned once, the result recorded for both; malware is not available"
ctl scan team/billing:1 mirror/billing:1 --categories vulns,secrets,malware --wait | tee "$WORK/scan1.txt"
grep -q "lab/mirror/billing@.* with lab/team/billing@.*(same image ID)\|lab/team/billing@.* with lab/mirror/billing@.*(same image ID)" "$WORK/scan1.txt" \
  || fail "the two images were not scanned together"
grep -q "not available on this daemon: malware" "$WORK/scan1.txt" || fail "malware not said to be unavailable"
[ "$(grep -c '^task ' "$WORK/scan1.txt")" = 2 ] || fail "expected two lines of one task"
[ "$(grep -o '^task [0-9]*' "$WORK/scan1.txt" | sort -u | wc -l)" = 1 ] || fail "two tasks for one image ID"
for repo in team/billing mirror/billing; do
  ctl image show "$repo:1" --secrets --json >"$WORK/$(basename "$(dirname "$repo")").json"
  [ "$(json 'sum(1 for f in d[0]["secrets"]["findings"] if f["rule_id"]=="aws-access-key")' <"$WORK/$(basename "$(dirname "$repo")").json")" -ge 1 ] \
    || fail "$repo: the AWS key is not found"
done
json '[n for n in d[0]["notes"] if "result shared from" in n]' <"$WORK/mirror.json" | grep -q "shared" \
  || json '[n for n in d[0]["notes"] if "result shared from" in n]' <"$WORK/team.json" | grep -q "shared" \
  || fail "neither image says its result is shared"
ctl scan team/billing:1 mirror/billing:1 --no-dedupe --wait | tee "$WORK/scan2.txt"
[ "$(grep -o '^task [0-9]*' "$WORK/scan2.txt" | sort -u | wc -l)" = 2 ] || fail "--no-dedupe scanned once"
ctl scan team/web:1 --categories secrets --wait >/dev/null
ctl image show team/web:1 | grep -q "vulnerabilities not looked for" || fail "a secrets-only scan does not say vulns were not looked for"

step "--from-file and --latest"
printf '# images\nteam/web:1\n\nteam/web:2\n' >"$WORK/list.txt"
ctl scan --from-file "$WORK/list.txt" --wait | tee "$WORK/scan3.txt"
[ "$(grep -c 'queued for' "$WORK/scan3.txt")" = 2 ] || fail "--from-file did not scan both"
ctl scan --latest --categories vulns --wait | tee "$WORK/scan4.txt"
# One tag per repository: team/billing and mirror/billing (one scan), team/web.
[ "$(grep -c '^task ' "$WORK/scan4.txt")" = 3 ] || fail "--latest did not scan one tag per repository"
[ "$(grep -o '^task [0-9]*' "$WORK/scan4.txt" | sort -u | wc -l)" = 2 ] || fail "--latest did not dedupe"
[ "$(grep -c 'lab/team/web@' "$WORK/scan4.txt")" = 1 ] || fail "--latest scanned more than one tag of team/web"

step "exceptions: an accepted secret still listed, marked, and not counted; the uid recorded"
before=$(ctl images list --json | json '[i["secrets"] for i in d if i["repository"]=="team/billing"][0]')
[ "$before" -ge 1 ] || fail "team/billing has $before secrets (the last scans looked for vulns only: kept?)"
ctl exception add --repository lab/team/billing --finding aws-access-key --reason "rotated test key" --expires 2099-01-01 \
  | tee "$WORK/exc.txt"
grep -q "accepted for lab/team/billing" "$WORK/exc.txt" || fail "exception add"
ctl exception list | tee "$WORK/exc-list.txt"
grep -q "aws-access-key .*lab/team/billing .*$(id -u)" "$WORK/exc-list.txt" || fail "the exception does not record uid $(id -u)"
after=$(ctl images list --json | json '[i["secrets"] for i in d if i["repository"]=="team/billing"][0]')
[ "$after" -lt "$before" ] || fail "the accepted secret still counts ($before -> $after)"
mirror=$(ctl images list --json | json '[i["secrets"] for i in d if i["repository"]=="mirror/billing"][0]')
[ "$mirror" = "$before" ] || fail "the exception of team/billing changed mirror/billing"
ctl image show team/billing:1 --secrets | tee "$WORK/accepted.txt"
grep -q "aws-access-key.*accepted (#1 until 209.*rotated test key)" "$WORK/accepted.txt" || fail "the accepted secret is not marked"
expect_fail "in the future" exception add --image team/web:1 --finding X --reason r --expires 2001-01-01
ctl exception add --image team/web:1 --finding CVE-0 --reason r --expires 2099-01-01 >/dev/null
ctl exception remove 2
expect_fail "no exception 2" exception remove 2

step "scan control: a running scan (its layer held by the registry) is cancelled within a second"
push "$WORK/slow:1" team/slow:1 # after lab's sync: its layer is in no cache
ctl registry add --name lag --address "http://127.0.0.1:$PROXY_PORT" --username alice --password "$REG_PASSWORD" \
  --repositories team/slow
ctl sync lag >/dev/null
ctl scan lag/team/slow:1 | grep -q "queued" || fail "no scan of the held image"
for _ in $(seq 100); do ctl scan list | grep -q "lag/team/slow.* running .*0/1 layers" && break; sleep 0.1; done
ctl scan list | tee "$WORK/running.txt"
grep -q "lag/team/slow.* running .*0/1 layers" "$WORK/running.txt" || fail "scan list does not show the running scan's progress"
t0=$(date +%s.%N)
ctl scan cancel lag/team/slow:1 | grep -q "cancelled" || fail "cancel by image"
for _ in $(seq 50); do grep -q "scan task .* for lag/team/slow.* cancelled" "$WORK/regscand.log" && ctl image show lag/team/slow:1 | grep -q "status:   cancelled" && break; sleep 0.05; done
t1=$(date +%s.%N)
ctl image show lag/team/slow:1 | grep -q "status:   cancelled" || fail "the image is not marked cancelled"
ctl scan list --json | json '[t["state"] for t in d if t["image"].startswith("lag/")]' | grep -q "cancelled" || fail "the task is not cancelled"
/usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 1.5 else 1)" "$t0" "$t1" \
  || fail "cancel took more than a second"
# The slot is free again: another scan runs to the end (max_parallel = 1).
timeout 30 "$REGSCANCTL" scan team/web:2 --wait >/dev/null || fail "the cancelled scan kept its slot"
# A held scan and two queued behind it: --all cancels the three.
ctl scan lag/team/slow:1 >/dev/null
ctl scan team/web:1 team/web:2 >/dev/null
ctl scan cancel --all | tee "$WORK/cancel-all.txt"
[ "$(grep -c ' cancelled$' "$WORK/cancel-all.txt")" = 3 ] || fail "cancel --all did not cancel the three scans"
expect_fail "no queued, waiting or running scan" scan cancel --all

step "schedule: set in Asia/Shanghai, shown, kept across a restart"
AT=$(TZ=Asia/Shanghai date -d '+2 hours' +%H:%M)
ctl schedule set --every 1 --at "$AT" --categories vulns --scope latest | tee "$WORK/sched.txt"
grep -q "every 1 day(s) at $AT (Asia/Shanghai)" "$WORK/sched.txt" || fail "schedule set"
expect_fail "1, 7, 15 or 30" schedule set --every 2 --at 01:00
NEXT=$(ctl schedule show --json | json 'd["next_run"]')
now=$(date +%s)
[ "$NEXT" -gt "$now" ] && [ "$NEXT" -le $((now + 2 * 3600 + 60)) ] || fail "next run $NEXT is not at $AT Shanghai time"
kill -TERM "$DAEMON"; wait "$DAEMON" 2>/dev/null || true

step "restart two days later (faketime): the missed run runs once at start"
cat >>"$WORK/regscan.toml" <<TOML
[license]
quota = 5
TOML
FAKETIME="+2d" FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 \
  start_daemon --config "$WORK/regscan.toml"
for _ in $(seq 50); do grep -q "missed while the daemon was down" "$WORK/regscand.log" && break; sleep 0.1; done
grep -q "scheduled scan (planned for $NEXT, missed while the daemon was down)" "$WORK/regscand.log" || fail "the missed run did not run at start"
[ "$(grep -c 'scheduled scan (planned' "$WORK/regscand.log")" = 1 ] || fail "the missed runs ran more than once"
ctl schedule show --json >"$WORK/sched2.json"
[ "$(json 'd["last_run"] > '"$now"' + 86400' <"$WORK/sched2.json")" = True ] || fail "last run is not the (fake) start time"
[ "$(json 'd["next_run"] > d["last_run"]' <"$WORK/sched2.json")" = True ] || fail "the next run is not after the start"
ctl scan list --json | json '[t for t in d if t["categories"]==["vulns"] and t["created_at"] > '"$now"' + 86400]' | grep -q "image" \
  || fail "the scheduled scan queued nothing"
ctl scan cancel --all >/dev/null 2>&1 || true

step "licenses: the 5 images stored before the quota count as authorized; new ones do not"
ctl license show | tee "$WORK/license.txt"
grep -q "used: *5" "$WORK/license.txt" && grep -q "free: *0" "$WORK/license.txt" || fail "license show after the migration"
image new1 "one" >/dev/null
image new2 "two" >/dev/null
push "$WORK/new1:1" new/one:1
push "$WORK/new2:1" new/two:1
ctl sync lab >/dev/null
ctl images list | grep "lab/new/" | tee "$WORK/new.txt"
[ "$(grep -c ' unauthorized$' "$WORK/new.txt")" = 2 ] || fail "new images are authorized without a license"
expect_fail "not authorized" scan new/one:1
ctl unauthorize team/web:1 team/web:2 | tee "$WORK/unauth.txt"
grep -q "3 of 5 licenses used, 2 free" "$WORK/unauth.txt" || fail "unauthorize did not free two licenses"
ctl authorize new/one:1 new/two:1 | grep -q "5 of 5 licenses used, 0 free" || fail "authorize of two within the quota"
expect_fail "only 0 of 5 remain" authorize team/web:1
ctl license show | grep -q "used: *5" || fail "the refused authorization used a license"
ctl unauthorize new/one:1 >/dev/null
ctl authorize team/web:1 | grep -q "authorized lab/team/web@" || fail "the freed license was not usable"
ctl scan new/one:1 team/web:1 --wait | tee "$WORK/mixed.txt" || true
grep -q "not scanned: lab/new/one@.*not authorized.*0 of 5 licenses free" "$WORK/mixed.txt" || fail "the unauthorized image is not named"
grep -q "queued for lab/team/web@" "$WORK/mixed.txt" || fail "the authorized image was not scanned"
ctl images list | grep "lab/new/one" | grep -q " unauthorized$" || fail "AUTHORIZATION column"
step "--filter selects for authorize and scan"
ctl unauthorize --filter "repository=new/two" | grep -q "unauthorized lab/new/two@" || fail "unauthorize --filter"
ctl license show | grep -q "used: *4" || fail "unauthorize --filter did not free one license"
expect_fail "only 1 of 5 remain" authorize --filter "authorization=unauthorized"
ctl scan --filter "repository=team/web" --wait | tee "$WORK/filtered.txt"
grep -q "queued for lab/team/web@" "$WORK/filtered.txt" || fail "scan --filter did not scan team/web"
grep -q "lab/new/" "$WORK/filtered.txt" && fail "scan --filter took images outside the filter"
expect_fail "filter" scan --filter "colour=blue"
ctl image show team/web:1 | tee "$WORK/show.txt" | grep -q "authorized: yes" || { cat "$WORK/show.txt"; fail "image show: authorized"; }

echo "end-to-end: all checks passed"
