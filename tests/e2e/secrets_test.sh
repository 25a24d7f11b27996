#!/usr/bin/env bash
# Secrets end to end, as a user would: an image whose config Env holds a
# database URL with its password, whose build history has a step that
# fetched with a password in the URL, whose first layer holds a real private
# key (openssl) that the second layer deletes, and an AWS key pair that stays.
# It is pushed with skopeo to a real docker-registry, synced and scanned by
# regscand. Every secret is found, with its layer and the deleted flag; none
# is printed, logged or stored whole. A user rule imported in gitleaks' TOML
# format finds a token of its own on the next scan.
#
#   secrets_test.sh REGSCAND REGSCANCTL SOURCE_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd openssl curl

random() { /usr/bin/python3 -c "import secrets,sys; a=sys.argv[1]; print(''.join(secrets.choice(a) for _ in range(int(sys.argv[2]))))" "$1" "$2"; }
ALNUM=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
DB_PASSWORD=$(random "$ALNUM" 20)
FETCH_PASSWORD=$(random "$ALNUM" 18)
AWS_ID=AKIA$(random ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)
AWS_SECRET=$(random "$ALNUM/+" 40)
OWN_TOKEN=acme_$(random abcdef0123456789 32)

step "an image with secrets in its config, its history and its layers"
L1=$WORK/l1 L2=$WORK/l2
mkdir -p "$L1/app" "$L1/root/.aws" "$L2/app"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$L1/app/deploy-key.pem" 2>/dev/null
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ID" "$AWS_SECRET" \
  >"$L1/root/.aws/credentials"
printf 'service:\n  name: billing\n  acme_token: %s\n' "$OWN_TOKEN" >"$L1/app/service.yml"
: >"$L2/app/.wh.deploy-key.pem" # the second layer deletes the key
echo "v2" >"$L2/app/VERSION"
MANIFEST=$(/usr/bin/python3 "$SRC/tools/make_oci_image.py" --out "$WORK/oci" --tag 1 \
  --env "PATH=/usr/local/bin:/usr/bin" \
  --env "DATABASE_URL=postgres://billing:$DB_PASSWORD@db.internal:5432/billing" \
  --step "RUN curl -fsSL https://deploy:$FETCH_PASSWORD@artifacts.internal/billing.tgz | tar -xz" \
  "$L1" "$L2")
LAYERS=$(/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(l["digest"] for l in m["layers"]))' \
  "$WORK/oci/blobs/sha256/${MANIFEST#sha256:}")
read -r LAYER1 LAYER2 <<<"$LAYERS"

start_registry
push "$WORK/oci:1" team/billing:1
start_daemon --max-parallel-scans 1
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD"
ctl sync lab
ctl scan --all --wait

step "image show --secrets: every secret, with its layer and the deleted flag"
ctl image show team/billing:1 --secrets --json >"$WORK/secrets.json"
ctl image show team/billing:1 --secrets | tee "$WORK/secrets.txt"
/usr/bin/python3 - "$WORK/secrets.json" "$LAYER1" "$LAYER2" <<'PY' || fail "secrets not as expected"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
l1, l2 = sys.argv[2], sys.argv[3]
s = doc["secrets"]
assert s["scanned"] and s["complete"], s
found = {(f["rule_id"], f["location"]): f for f in s["findings"]}
print("\n".join(sorted(f"{r} {l}" for r, l in found)))
def one(rule_prefix, location):
    hits = [f for (r, l), f in found.items() if r.startswith(rule_prefix) and l == location]
    assert hits, f"no {rule_prefix} at {location}"
    return hits[0]
key = one("private-key", "app/deploy-key.pem")
assert key["layer"] == l1 and key["deleted"] and key["deleted_by"] == l2, key
aws = one("aws-access-key", "root/.aws/credentials")
assert aws["layer"] == l1 and not aws["deleted"], aws
env = one("connection-string-password", "env:DATABASE_URL")
assert env["layer"] == "", env
hist = one("connection-string-password", "history:1")
for f in s["findings"]:
    assert f["masked"].endswith("*") and len(f["fingerprint"]) == 64, f
img = doc["image"]
assert img["secrets"] == len(s["findings"]) and not img["secrets_incomplete"], img
PY

step "no secret printed, logged or stored whole"
for secret in "$DB_PASSWORD" "$FETCH_PASSWORD" "$AWS_SECRET" "$OWN_TOKEN"; do
  if where=$(grep -lF -- "$secret" "$WORK/secrets.json" "$WORK/secrets.txt" "$WORK/regscand.log"); then
    fail "a secret (${secret:0:4}...) is in $where"
  fi
done
grep -q "MIIEv" "$WORK/secrets.json" && fail "the private key was printed"
grep -qF "https://deploy:${FETCH_PASSWORD:0:4}********@artifacts.internal" "$WORK/secrets.json" \
  || fail "image show does not mask the secret in its build step"
ctl images list | tee "$WORK/images.txt"
grep -q "SECRETS" "$WORK/images.txt" || fail "images list has no SECRETS column"
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true
# RocksDB keeps the image config as the registry serves it (its Env is the
# image's own metadata), but no secret found in a file is stored.
for secret in "$AWS_SECRET" "$OWN_TOKEN"; do
  if grep -rqaF -- "$secret" "$VAR/db"; then fail "a secret from a file is stored whole"; fi
done
start_daemon --max-parallel-scans 1

step "a user rule in gitleaks' TOML format finds its token on the next scan"
cat >"$WORK/rules.toml" <<'TOML'
title = "acme rules"
[[rules]]
id = "acme-service-token"
description = "ACME internal service token"
regex = '''acme_[0-9a-f]{32}'''
keywords = ["acme_"]
TOML
printf '[[rules]]\nid = "broken"\nregex = "(unclosed"\n' >"$WORK/bad.toml"
expect_fail "line 3" secrets rules import "$WORK/bad.toml"
ctl secrets rules import "$WORK/rules.toml"
ctl secrets rules list | grep -q "acme-service-token.*user" || fail "the imported rule is not listed"
ctl secrets rules list --json | /usr/bin/python3 -c 'import json,sys; n=len(json.load(sys.stdin)); assert n >= 101, n' \
  || fail "fewer than 100 built-in rules"
ctl scan team/billing:1 --wait
ctl image show team/billing:1 --secrets --rule acme-service-token --json \
  | /usr/bin/python3 -c 'import json,sys; f=json.load(sys.stdin)[0]["secrets"]["findings"]; assert [x["location"] for x in f] == ["app/service.yml"], f' \
  || fail "the user rule found nothing"

step "metrics count the secrets"
n=$(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk '$1 ~ /^regscan_findings\{kind="secret"/ {s += $2} END {print s+0}')
[ "$n" -ge 5 ] || fail "regscan_findings{kind=\"secret\"} add up to $n"
echo "PASS"
