#!/usr/bin/env bash
# A checkpointing NSGA-II process killed with SIGKILL and resumed ends byte-identical to an
# uninterrupted run; a truncated checkpoint is refused with an error naming the file, and the previous
# checkpoint it leaves intact resumes to the same result.
#   kill_resume.sh <checkpointed_nsga2 binary> <scratch directory>
set -euo pipefail
helper=$1
work=$2
rm -rf "$work"
mkdir -p "$work"

fail() {
  echo "kill_resume: FAIL: $*" >&2
  exit 1
}

# Waits (up to ~30 s) until the log of a running helper shows generation $2 or later.
wait_for_generation() {
  local log=$1 want=$2
  for _ in $(seq 1 600); do
    local g
    g=$(grep -o '^generation [0-9]*' "$log" 2>/dev/null | tail -n 1 | cut -d' ' -f2 || true)
    if [[ -n $g && $g -ge $want ]]; then return 0; fi
    sleep 0.05
  done
  fail "the helper never reached generation $want"
}

seed=7
echo "kill_resume: seed $seed"
common=(--generations 60 --population 40 --seed "$seed")

# 1. The uninterrupted reference.
"$helper" "${common[@]}" --every 4 --checkpoint "$work/reference.ckpt" --out "$work/reference.csv" >"$work/reference.log"
[[ -s $work/reference.csv ]] || fail "the reference run wrote no front"

# 2. Killed with SIGKILL at generation >= 21 (checkpoints every 4), then resumed to the end.
"$helper" "${common[@]}" --every 4 --delay-ms 20 --checkpoint "$work/run.ckpt" --out "$work/resumed.csv" \
  >"$work/killed.log" &
pid=$!
wait_for_generation "$work/killed.log" 21
kill -9 "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 137 ]] || fail "expected the helper to die of SIGKILL (137), got status $status"
[[ ! -e $work/resumed.csv ]] || fail "the killed run finished before it was killed"
[[ -e $work/run.ckpt ]] || fail "no checkpoint after generation 21"
"$helper" "${common[@]}" --every 4 --checkpoint "$work/run.ckpt" --resume "$work/run.ckpt" --out "$work/resumed.csv" \
  >"$work/resumed.log"
read -r _ from resumed <"$work/resumed.log"
[[ $resumed -eq 1 && $from -ge 20 ]] || fail "expected a resume from generation >= 20, got '$from $resumed'"
cmp "$work/reference.csv" "$work/resumed.csv" || fail "the resumed front differs from the uninterrupted one"
echo "kill_resume: killed after generation 21, resumed from generation $from: identical"

# 3. Killed three times at arbitrary moments with a checkpoint every generation (kills can land while a
#    checkpoint is being written), resuming each time.
rm -f "$work/many.ckpt" "$work/many.ckpt.prev" "$work/many.csv"
for round in 1 2 3; do
  resume=()
  [[ -e $work/many.ckpt ]] && resume=(--resume "$work/many.ckpt")
  "$helper" "${common[@]}" --every 1 --delay-ms 10 --checkpoint "$work/many.ckpt" "${resume[@]}" \
    --out "$work/many.csv" >"$work/many$round.log" &
  pid=$!
  wait_for_generation "$work/many$round.log" $((round * 10))
  sleep "0.0$((RANDOM % 5))"
  kill -9 "$pid"
  wait "$pid" || true
done
[[ ! -e $work/many.csv ]] || fail "a killed run finished before it was killed"
"$helper" "${common[@]}" --every 1 --checkpoint "$work/many.ckpt" --resume "$work/many.ckpt" --out "$work/many.csv" \
  >"$work/many_end.log"
cmp "$work/reference.csv" "$work/many.csv" || fail "the front after three kills differs from the uninterrupted one"
echo "kill_resume: killed three times, resumed each time: identical"

# 4. A truncated checkpoint is refused, naming the file; the previous one is intact and resumes.
cp "$work/run.ckpt" "$work/damaged.ckpt"
cp "$work/run.ckpt.prev" "$work/damaged.ckpt.prev"
truncate -s -7 "$work/damaged.ckpt"
status=0
"$helper" "${common[@]}" --checkpoint "$work/after.ckpt" --resume "$work/damaged.ckpt" --out "$work/never.csv" \
  >/dev/null 2>"$work/damaged.err" || status=$?
[[ $status -ne 0 ]] || fail "a truncated checkpoint was accepted"
grep -q "damaged.ckpt' is refused: truncated" "$work/damaged.err" || fail "unclear error: $(cat "$work/damaged.err")"
grep -q "previous checkpoint .*damaged.ckpt.prev' is intact" "$work/damaged.err" || fail "no word on the previous checkpoint"
[[ ! -e $work/never.csv ]] || fail "a run went ahead from a truncated checkpoint"
echo "kill_resume: $(cat "$work/damaged.err")"
"$helper" "${common[@]}" --every 4 --checkpoint "$work/prev.ckpt" --resume "$work/damaged.ckpt.prev" \
  --out "$work/from_prev.csv" >/dev/null
cmp "$work/reference.csv" "$work/from_prev.csv" || fail "the run resumed from the previous checkpoint differs"
echo "kill_resume: resumed from the previous checkpoint: identical"
echo "kill_resume: PASS"
