#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer + ASan + UBSan) and runs each for a number of seconds on top
# of its committed corpus; fails (exit 1) if any target finds a crash, leak, timeout or out-of-memory.
#   fuzz/run.sh [SECONDS] [TARGET...]   run each target SECONDS (default 30); all targets by default
#   fuzz/run.sh replay [TARGET...]      run each target once on its saved findings (fuzz/findings/<target>/)
#                                       and say which still crash
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CXX (default clang++ or clang++-14), JOBS (default 1:
# build jobs, and targets fuzzed at the same time),
# FUZZ_CMAKE_ARGS (extra cmake arguments, e.g. -DMOO_INCLUDE_DIR=...).
# New corpus entries go to $FUZZ_BUILD_DIR/corpus/<target>, crashes to $FUZZ_BUILD_DIR/artifacts/<target>/.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${FUZZ_BUILD_DIR:-$here/../build-fuzz}
all_targets=(checkpoint_nsga2 checkpoint_moead checkpoint_lemonade idx graph report supernet measurement_cache modnas)

mode=run
seconds=30
if [[ ${1:-} == replay ]]; then
  mode=replay
  shift
elif [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

cxx=${CXX:-}
if [[ -z $cxx ]]; then
  cxx=clang++
  command -v clang++ >/dev/null || cxx=clang++-14
fi
# shellcheck disable=SC2086
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" ${FUZZ_CMAKE_ARGS:-} >/dev/null || exit 1
# All targets: one build of `all`, so JOBS compile in parallel (several --target options build one after
# the other).
build_targets=()
if [[ "${targets[*]}" != "${all_targets[*]}" ]]; then
  for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
fi
cmake --build "$build" -j "${JOBS:-1}" "${build_targets[@]}" || exit 1

export OPENBLAS_NUM_THREADS=1
# Symbolized stacks: llvm-symbolizer comes with Debian's llvm-14 (as llvm-symbolizer-14).
if ! command -v llvm-symbolizer >/dev/null && command -v llvm-symbolizer-14 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-14)
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()

if [[ $mode == replay ]]; then
  for t in "${targets[@]}"; do
    shopt -s nullglob
    files=("$here/findings/$t"/*)
    shopt -u nullglob
    for f in "${files[@]}"; do
      [[ $f == *.md || $f == *.txt ]] && continue
      if "$build/fuzz_$t" -runs=1 "$f" >"$build/replay.log" 2>&1; then
        echo "replay $t $(basename "$f"): no crash (fixed)"
      else
        echo "replay $t $(basename "$f"): CRASH: $(grep -m1 -E 'ERROR|runtime error|==[0-9]+==|terminate|abort' "$build/replay.log")"
        failed+=("$t/$(basename "$f")")
      fi
    done
  done
  ((${#failed[@]})) && { echo "still crashing: ${failed[*]}"; exit 1; }
  exit 0
fi

# Runs one target; its one-line report goes to $build/<target>.status, its exit status to .rc.
run_one() {
  local t=$1 work="$build/corpus/$1" art="$build/artifacts/$1" log="$build/$1.log" dict=() rc runs rate cov
  mkdir -p "$work" "$art"
  [[ -f $here/$t.dict ]] && dict=(-dict="$here/$t.dict")
  # The work corpus comes first, so new inputs land there and the committed corpus stays as it is.
  "$build/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -m1 '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  [[ -n $runs ]] || runs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  if ((rc == 0)); then
    echo "fuzz $t: ok, ${runs:-?} runs in ${seconds} s (${rate:-?}/s, ${cov:-cov: ?})" >"$build/$t.status"
  else
    { echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs; log $log, reproducer in $art/"
      grep -m3 -E 'ERROR: |runtime error|SUMMARY|terminate called|what\(\)' "$log" | sed 's/^/  /'; } >"$build/$t.status"
  fi
  echo "$rc" >"$build/$t.rc"
}

# JOBS targets at a time (each libFuzzer process is single-threaded).
jobs=${JOBS:-1}
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
for t in "${targets[@]}"; do
  cat "$build/$t.status"
  [[ $(cat "$build/$t.rc") == 0 ]] || failed+=("$t")
done
((${#failed[@]})) && { echo "fuzz: findings in ${failed[*]}"; exit 1; }
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without a finding"
