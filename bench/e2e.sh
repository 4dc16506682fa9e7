#!/usr/bin/env bash
# End-to-end speed figures (README, "Measured"): SciFact indexed from files,
# a reindex with nothing changed, and a cold `citebot ask` on the seeds.
# Run from the repository root: bench/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/citebot" ./cmd/citebot
go run ./bench/scifactfiles -corpus "$shared/bench/scifact/corpus.jsonl" -out "$work/scifact"

ms() { local s=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 )); }

echo "SciFact ($(ls "$work/scifact" | wc -l) files), full index:  $(ms "$work/citebot" index --docs "$work/scifact" --index "$work/sf-index") ms"
echo "SciFact, reindex with nothing changed:  $(ms "$work/citebot" index --docs "$work/scifact" --index "$work/sf-index") ms"
echo "snapshot size: $(du -h "$work/sf-index/index.snap" | cut -f1)"

"$work/citebot" index --docs seeds --index "$work/seed-index" >/dev/null
q="When was the SCO Information Security Working Group established?"
times=()
for _ in $(seq 1 21); do
  sync; times+=("$(ms "$work/citebot" ask --docs seeds --index "$work/seed-index" "$q")")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "cold ask on the seeds (new process, index load included), 21 runs: p50 $(echo "$sorted" | sed -n 11p) ms, max $(echo "$sorted" | tail -1) ms"
