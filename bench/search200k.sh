#!/usr/bin/env bash
# Target figure 4: search latency at 200,000 chunks (bench/search200k: the
# synthetic corpus of retrieval's search benchmarks, built in memory with
# citebot's default ranking, Index.Search for the top 5 passages, one at a
# time), beside the same at 10,000 chunks to show how it grows. Target:
# p50 at most 3 ms at 200,000 chunks.
#
# Run from the repository root: bench/search200k.sh
# Environment: CHUNKS (default 200000), SECONDS_EACH (default 10),
# QUIET_WAIT (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need go jq
chunks=${CHUNKS:-200000}
secs=${SECONDS_EACH:-10}

echo "== search at $chunks chunks =="
go build -o "$work/search200k" ./bench/search200k
wait_quiet
"$work/search200k" -chunks 10000 -seconds "$secs" >"$work/small.json"
wait_quiet
"$work/search200k" -chunks "$chunks" -seconds "$secs" >"$work/large.json"
for f in small large; do
  jq -r '"\(.chunks) chunks (\(.text_mb|round) MB of text, built in \(.build_s*10|round/10) s, heap \(.heap_mb|round) MB): \(.searches) searches, p50 \(.p50_ms) ms, p90 \(.p90_ms) ms, p99 \(.p99_ms) ms, mean \(.mean_ms*1000|round/1000) ms, CPU \(.cpu_ms_per_search*1000|round/1000) ms a search"' "$work/$f.json"
  [ "$(jq .searches_without_results "$work/$f.json")" -eq 0 ] || die "some searches found nothing: the corpus or the questions are broken"
done
p50=$(jq .p50_ms "$work/large.json")
small=$(jq .p50_ms "$work/small.json")
row "search p50 / p99 at $chunks chunks" "$p50 / $(jq .p99_ms "$work/large.json") ms (CPU $(jq '.cpu_ms_per_search*100|round/100' "$work/large.json") ms)" "$small / $(jq .p99_ms "$work/small.json") ms (10,000 chunks)" "$(calc "$p50 / $small" %.1f)x" "p50 <= 3 ms" "$(check "$p50" '<=' 3)"
echo
print_rows
