#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs what is missing, configures, builds, runs.
#   ./run.sh demo     set up, build and run the main job: LEMONADE on Fashion-MNIST (~10 min, 2 cores;
#                     options after `demo` go to it, e.g. --minutes 60 --seed 2 --out out/run2 --resume)
#   ./run.sh test     set up, build and run the whole test suite, then again under ASan + UBSan, then
#                     each fuzz target for MOO_FUZZ_SECONDS (default 10) on its committed corpus
#   ./run.sh sanitize only the ASan + UBSan build and run of the test suite (build-asan/)
#   ./run.sh fuzz [S] build the libFuzzer targets (clang) and run each S seconds (default 30) on its corpus
#   ./run.sh bench    set up, build and run the benchmarks (bench/README.md)
#   ./run.sh setup    only install the Debian packages the project needs
#   ./run.sh build    only configure and build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

BUILD_DIR=${BUILD_DIR:-build}
SANITIZE_DIR=${SANITIZE_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}

# Debian packages the project needs: libraries, tools, the data set. Benchmarks add the baselines.
PACKAGES=(build-essential cmake pkg-config libboost-dev libboost-graph-dev libxtensor-dev
          libxtensor-blas-dev libopenblas-dev liblapack-dev zlib1g-dev doctest-dev
          libopenmpi-dev openmpi-bin dataset-fashion-mnist gnuplot-nox graphviz)
# The fuzz targets (fuzz/README.md): clang with libFuzzer and the sanitizers' runtime, llvm's symbolizer.
FUZZ_PACKAGES=(clang libclang-rt-14-dev llvm-14)
BENCH_PACKAGES=(libbenchmark-dev libpagmo-dev libtorch-dev)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "run.sh: installing ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# configure_and_build <benchmarks ON|OFF> <examples only for tests ON|OFF> [build arguments...]
configure_and_build() {
  local bench=$1 for_tests=$2
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMOO_BUILD_BENCHMARKS="$bench" -DMOO_EXAMPLES_FOR_TESTS="$for_tests"
  cmake --build "$BUILD_DIR" -j "$JOBS" "${@:3}"
}

# The whole suite once more, built with AddressSanitizer + UndefinedBehaviorSanitizer (-O1, every
# finding aborts the test): a second build tree, without the compile-only header and install checks.
sanitize() {
  cmake -S . -B "$SANITIZE_DIR" -DCMAKE_BUILD_TYPE=Release -DMOO_SANITIZE=ON -DMOO_BUILD_BENCHMARKS=OFF
  cmake --build "$SANITIZE_DIR" -j "$JOBS"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:check_initialization_order=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ctest --test-dir "$SANITIZE_DIR" --output-on-failure -j "$JOBS" "$@"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  setup) install_missing "${PACKAGES[@]}" ;;
  build)
    install_missing "${PACKAGES[@]}"
    configure_and_build OFF OFF ;;
  test)
    # Each stage's wall time is printed at its end ("run.sh: <stage> took N s"), for the CI budget.
    stage() { echo "run.sh: $1 took $((SECONDS - stage_start)) s (total $SECONDS s)"; stage_start=$SECONDS; }
    stage_start=$SECONDS
    install_missing "${PACKAGES[@]}"
    stage setup
    configure_and_build OFF ON
    stage "Release build"
    # mpirun refuses root unless told; CI runs as root.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
    stage "Release tests"
    if [[ ${MOO_SKIP_SANITIZE:-0} != 1 ]]; then
      sanitize "$@"
      stage "ASan + UBSan build and tests"
    fi
    # The fuzz targets (libFuzzer + ASan + UBSan, clang) briefly on top of the committed corpus: every
    # corpus input replays, and new inputs are tried for MOO_FUZZ_SECONDS per target (fuzz/README.md).
    if [[ ${MOO_SKIP_FUZZ:-0} != 1 ]]; then
      install_missing "${FUZZ_PACKAGES[@]}"
      JOBS=$JOBS fuzz/run.sh "${MOO_FUZZ_SECONDS:-10}"
      stage "fuzz build and runs"
    fi ;;
  sanitize)
    install_missing "${PACKAGES[@]}"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    sanitize "$@" ;;
  demo)
    install_missing "${PACKAGES[@]}"
    configure_and_build OFF OFF --target lemonade_fashion_mnist
    "$BUILD_DIR"/examples/lemonade_fashion_mnist "$@" ;;
  fuzz)
    install_missing "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
    JOBS=$JOBS fuzz/run.sh "${@:-30}" ;;
  bench)
    install_missing "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    configure_and_build ON OFF --target moo_bench
    "$BUILD_DIR"/bench/moo_bench "$@" ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    [[ $cmd == help ]] || exit 2 ;;
esac
