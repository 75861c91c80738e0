#!/usr/bin/env bash
# The LEMONADE demo killed with SIGKILL at arbitrary moments (also while it trains or writes its
# checkpoint) and resumed each time ends with the same front and history as an uninterrupted run, bit
# for bit (latency, a timing, is the one column left out of the comparison).
#   lemonade_kill_resume.sh <lemonade_fashion_mnist binary> <scratch directory> [small]
set -euo pipefail
demo=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
fail() {
  echo "lemonade_kill_resume: FAIL: $*" >&2
  exit 1
}
common=(--seed 3 --generations 6 --train-limit 600 --validation 200 --test-limit 200 --children 6 --accepted 2
        --initial 2 --epochs 0.5 --initial-epochs 0.5 --workers 2)
# "small" (the sanitizer tree, ~10x slower): the same kills on a smaller run.
if [[ ${3:-} == small ]]; then
  common=(--seed 3 --generations 4 --train-limit 150 --validation 100 --test-limit 100 --children 4 --accepted 2
          --initial 2 --epochs 0.3 --initial-epochs 0.3 --workers 2)
fi
# front.csv without latency_ms (column 8).
strip() { cut -d, -f1-7,9- "$1"; }

"$demo" "${common[@]}" --out "$work/reference" >"$work/reference.log" || fail "the reference run failed"
[[ -s $work/reference/front.csv ]] || fail "the reference run wrote no front"

# Waits (up to ~120 s) until the log shows a generation line, then a random moment more.
wait_for_progress() {
  for _ in $(seq 1 1200); do
    grep -q '^gen ' "$1" 2>/dev/null && { sleep "0.$((RANDOM % 10))"; return 0; }
    sleep 0.1
  done
  fail "the demo printed no generation within 120 s"
}
for round in 1 2 3 4; do
  resume=()
  [[ -e $work/run/lemonade.ckpt ]] && resume=(--resume)
  "$demo" "${common[@]}" --out "$work/run" "${resume[@]}" >"$work/killed_$round.log" 2>&1 &
  pid=$!
  wait_for_progress "$work/killed_$round.log"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -e $work/run/lemonade.ckpt ]] || fail "no checkpoint after round $round"
done
resume=()
[[ -e $work/run/lemonade.ckpt ]] && resume=(--resume)
"$demo" "${common[@]}" --out "$work/run" "${resume[@]}" >"$work/final.log" || fail "the resumed run failed"
cmp <(strip "$work/reference/front.csv") <(strip "$work/run/front.csv") || fail "front.csv differs"
cmp "$work/reference/history.csv" "$work/run/history.csv" || fail "history.csv differs"
grep -q '^gen ' "$work/final.log" || fail "the final run printed no generation"
echo "lemonade_kill_resume: killed at: $(for r in 1 2 3 4; do grep '^gen' "$work/killed_$r.log" | tail -n 1 | cut -c1-7; done | tr '\n' ' ')"
echo "lemonade_kill_resume: killed 4 times, resumed: front and history identical"
