#!/usr/bin/env bash
# Runs an MPI program on N local ranks: `<mpiexec> -np N [flags] program args...`. With Open MPI it adds
# --oversubscribe (more ranks than cores) and, as root, --allow-run-as-root.
#   mpirun.sh <mpiexec> <N> <program> [args...]
set -euo pipefail
mpiexec=$1
ranks=$2
shift 2
flags=()
if "$mpiexec" --version 2>&1 | grep -qiE "open ?mpi|openrte|open-mpi"; then
  flags+=(--oversubscribe)
  if [[ $(id -u) -eq 0 ]]; then flags+=(--allow-run-as-root); fi
fi
echo "mpirun.sh: $mpiexec -np $ranks ${flags[*]} $*"
exec "$mpiexec" -np "$ranks" "${flags[@]}" "$@"
