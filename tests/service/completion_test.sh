#!/usr/bin/env bash
# The bash completion against regscanctl's own --help: every subcommand and
# option it lists must be offered, and the script must load and complete in
# a real bash with bash-completion's helpers (when they are installed).
#
#   completion_test.sh REGSCANCTL COMPLETION
set -euo pipefail
CTL=$1 COMPLETION=$2
fail() { echo "FAIL: $*"; exit 1; }
paths=("" registry "registry add" "registry edit" "registry list" "registry show" "registry delete"
       "registry test" sync overview images "images list" "images export" image "image show" report scan "scan cancel" "scan list"
       db "db import" "db update" "db status" authorize unauthorize license "license show" schedule
       "schedule show" "schedule set" "schedule disable" exception "exception add" "exception list"
       "exception remove" workers "workers list")
missing=0
for p in "${paths[@]}"; do
  # shellcheck disable=SC2086
  help=$("$CTL" $p --help 2>&1) || fail "regscanctl $p --help"
  for word in $(echo "$help" | grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | tr -d ' ,' | sort -u) \
              $(echo "$help" | awk '/^Subcommands:/{s=1; next} s && /^  [a-z]/{print $1} /^$/{s=0}'); do
    [ "$word" = --help ] && continue
    grep -qE -- "(^|[ \"])$word([ \"]|$)" "$COMPLETION" || { echo "regscanctl $p: $word is not completed"; missing=1; }
  done
done
[ $missing = 0 ] || fail "the completion lags behind regscanctl"
bash -n "$COMPLETION" || fail "syntax"
if [ -f /usr/share/bash-completion/bash_completion ]; then
  got=$(bash -c '. /usr/share/bash-completion/bash_completion; . "$1"
    COMP_WORDS=(regscanctl registry a); COMP_CWORD=2; COMP_LINE="regscanctl registry a"; COMP_POINT=${#COMP_LINE}
    _regscanctl; echo "${COMPREPLY[*]}"' _ "$COMPLETION")
  [ "$got" = add ] || fail "regscanctl registry a<TAB> gave '$got'"
  got=$(bash -c '. /usr/share/bash-completion/bash_completion; . "$1"
    COMP_WORDS=(regscanctl db update --eco); COMP_CWORD=3; COMP_LINE="regscanctl db update --eco"; COMP_POINT=${#COMP_LINE}
    _regscanctl; echo "${COMPREPLY[*]}"' _ "$COMPLETION")
  [ "$got" = --ecosystem ] || fail "regscanctl db update --eco<TAB> gave '$got'"
fi
echo PASS
