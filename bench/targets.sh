#!/usr/bin/env bash
# The figures of the performance targets, each beside its comparison, in
# one run, ending with one table (figure, citebot, comparison, ratio,
# target, pass or FAIL):
#
#   ask        bench/askunique.sh   POST /v1/ask, questions that never repeat, 16 connections, vs a bare net/http handler
#   scifact    bench/scifact.sh     SciFact test, 8 clients, vs Bleve (BM25, same k1/b): q/s and nDCG@10
#   scale      bench/scale.sh       10,000 documents of ~10 KB: index, cold ask, serve memory as multiples of the text
#   search     bench/search200k.sh  search p50 at 200,000 chunks
#   coldask    bench/coldask.sh     cold `citebot ask` on the seeds vs a hello-world Go binary
#
# Each script also runs alone. Run from the repository root:
#   bench/targets.sh                 all of them
#   bench/targets.sh ask coldask     some of them
# The machine should be otherwise idle: each measurement waits up to
# QUIET_WAIT seconds (default 60) for other processes to quiet down, and
# says so when they did not. Needs go, curl, jq, bc and /usr/bin/time;
# SciFact and the larger question sets come from ../shared (SHARED).
# Exit status: 0 when every target is met, 1 when some are not, 2 when a
# script could not measure (its error is shown and the others still run).
set -euo pipefail
cd "$(dirname "$0")/.."
all=(ask scifact scale search coldask)
declare -A script=([ask]=askunique.sh [scifact]=scifact.sh [scale]=scale.sh [search]=search200k.sh [coldask]=coldask.sh)
chosen=("$@")
[ ${#chosen[@]} -gt 0 ] || chosen=("${all[@]}")
for name in "${chosen[@]}"; do
  [ -n "${script[$name]:-}" ] || { echo "bench/targets.sh: unknown figure $name (one of: ${all[*]})" >&2; exit 2; }
done

out=$(mktemp)
trap 'rm -f "$out"' EXIT
export TARGETS_OUT=$out
started=$(date +%s)
echo "citebot $(git describe --always --dirty 2>/dev/null || echo '(no git)'), $(go version | cut -d' ' -f3), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
broken=()
for name in "${chosen[@]}"; do
  echo
  t0=$(date +%s)
  if ! "bench/${script[$name]}"; then
    broken+=("$name")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name: bench/${script[$name]} failed" "-" "-" "-" "-" "ERROR" >>"$out"
  fi
  echo "(bench/${script[$name]}: $(($(date +%s) - t0)) s)"
done

echo
echo "Targets ($(($(date +%s) - started)) s in all; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
{
  printf 'figure\tcitebot\tcomparison\tratio\ttarget\tresult\n'
  cat "$out"
} | column -t -s $'\t'
if [ ${#broken[@]} -gt 0 ]; then
  echo "could not measure: ${broken[*]}" >&2
  exit 2
fi
if cut -f6 "$out" | grep -qx FAIL; then
  exit 1
fi
