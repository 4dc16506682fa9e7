#!/usr/bin/env bash
# Scale figures on one machine (target figure 3 of bench/targets.sh): a
# corpus of N documents (default 10,000 of about 10 KB: 100 MB) made by
# bench/scalecorpus of real scientific sentences (SciFact's abstracts, when
# $SHARED/bench/scifact is there; else English-like sentences of common
# words, as CORPUS=words always does); full index time and peak memory,
# index size, load time (a cold `ask`), the time to reindex after one
# document changes, by `citebot index` and by a running server (POST
# /v1/reindex), the server's start, steady and peak memory. Memory is also
# given as a multiple of the text's size (the bytes of the documents).
# Targets (10,000 documents): full index at most 8 s with a peak of at most
# 4x the text; cold ask at most 0.5 s with a peak of at most 3x the text;
# serve's steady memory (resident, after loading and 500 questions) at
# most 3x the text.
#
# Run from the repository root: bench/scale.sh [N] [SIZE]
# Environment: SHARED (default ../shared), CORPUS (scifact or words).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need go curl jq bc /usr/bin/time
n=${1:-10000}
size=${2:-10000}
shared=${SHARED:-../shared}
sentences=$shared/bench/scifact/corpus.jsonl
corpus=${CORPUS:-}
if [ -z "$corpus" ]; then
  corpus=words
  [ -f "$sentences" ] && corpus=scifact
fi
case $corpus in
scifact)
  [ -f "$sentences" ] || die "CORPUS=scifact needs $sentences"
  corpus_flags=(-sentences "$sentences")
  ;;
words) corpus_flags=() ;;
*) die "CORPUS is scifact or words, not $corpus" ;;
esac

case $corpus in
scifact) label="SciFact's sentences" ;;
*) label="sentences of common words" ;;
esac
echo "== $n documents of ~$size bytes ($label) =="
go build -o "$work/citebot" ./cmd/citebot
go build -o "$work/httpload" ./bench/httpload
go run ./bench/scalecorpus -n "$n" -size "$size" -out "$work/docs" ${corpus_flags[@]+"${corpus_flags[@]}"}
text=$(find "$work/docs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
text_mb=$(calc "$text / 1e6" %.0f)
echo "corpus: $n documents, $text bytes of text ($text_mb MB), $(du -sh "$work/docs" | cut -f1) on disk"

secs= kb= cpu=
# measure LABEL COMMAND...: wall seconds, CPU seconds (user + system, which
# other processes on the machine disturb less) and peak resident memory,
# also left in secs, cpu and kb.
measure() {
  local label=$1 user sys
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null
  read -r secs kb user sys <"$work/time"
  cpu=$(calc "$user + $sys" %.2f)
  echo "$label: ${secs} s (CPU $cpu s), peak memory $((kb / 1024)) MB ($(calc "$kb * 1024 / $text" %.2f)x the text)"
}
wait_quiet
measure "full index" "$work/citebot" index --docs "$work/docs" --index "$work/index"
index_secs=$secs index_kb=$kb index_cpu=$cpu
echo "index: $(du -sh "$work/index" | cut -f1) in $(find "$work/index" -name 'seg-*.snap' | wc -l) segments and a root of $(du -h "$work/index/index.snap" | cut -f1)"
measure "reindex, nothing changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"
measure "load + one question (cold ask)" "$work/citebot" ask --docs "$work/docs" --index "$work/index" "How many maps does the archive of Station00042 hold?"
ask_secs=$secs ask_kb=$kb ask_cpu=$cpu
echo "The archive of Station00042 was moved in 2021." >>"$work/docs/part000/doc00042.txt"
measure "reindex after one document changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"

# The live path: a server holding the index reindexes one change.
port=$(free_port)
start=$(date +%s.%N)
"$work/citebot" serve --docs "$work/docs" --index "$work/index" --addr "127.0.0.1:$port" --admin-token bench --log-level warn 2>"$work/serve.log" &
server=$!
pids+=("$server")
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; die "citebot serve exited"; }
  sleep 0.1
done
echo "serve: ready in $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.2f') s, resident $(($(awk '/VmRSS/ {print $2}' "/proc/$server/status") / 1024)) MB"
echo "The archive of Station00043 was moved in 2022." >>"$work/docs/part000/doc00043.txt"
reindex() {
  local t0 t1 body
  t0=$(date +%s.%N)
  body=$(curl -fs -X POST -H "Authorization: Bearer bench" "http://127.0.0.1:$port/v1/reindex")
  t1=$(date +%s.%N)
  echo "$1: $(echo "$t1 - $t0" | bc | xargs printf '%.2f') s ($(echo "$body" | grep -o '"changed":[0-9]*'))"
}
reindex "live reindex after one document changed (POST /v1/reindex)"
reindex "live reindex, nothing changed"
# Steady memory: resident after the load, the reindexes and 500 different
# questions, and a second for the collector to settle.
for i in $(seq 1 500); do
  printf '{"question": "How many maps does the archive of Station%05d hold?", "k": 5}\n' $(((i * 7919) % n))
done >"$work/questions.jsonl"
"$work/httpload" -url "http://127.0.0.1:$port/v1/ask" -bodies "$work/questions.jsonl" -once -c 4 -n 500 -fail-on-error -json >"$work/load.json" ||
  die "questions to the server failed: $(jq -c .first_errors "$work/load.json")"
sleep 1
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
echo "serve: 500 questions, p50 $(jq .p50_ms "$work/load.json") ms; then resident $((rss_kb / 1024)) MB ($(calc "$rss_kb * 1024 / $text" %.2f)x the text), peak $((peak_kb / 1024)) MB ($(calc "$peak_kb * 1024 / $text" %.2f)x)"
kill "$server"
wait "$server" || true
forget "$server"

what="$n docs, $text_mb MB"
x() { calc "$1 * 1024 / $text" %.2f; }
row "$what: full index time" "$index_secs s (CPU $index_cpu s)" "-" "-" "<= 8 s" "$(check "$index_secs" '<=' 8)"
row "$what: full index peak memory" "$((index_kb / 1024)) MB" "$text_mb MB text" "$(x "$index_kb")x" "<= 4x" "$(check "$(x "$index_kb")" '<=' 4)"
row "$what: cold ask time" "$ask_secs s (CPU $ask_cpu s)" "-" "-" "<= 0.5 s" "$(check "$ask_secs" '<=' 0.5)"
row "$what: cold ask peak memory" "$((ask_kb / 1024)) MB" "$text_mb MB text" "$(x "$ask_kb")x" "<= 3x" "$(check "$(x "$ask_kb")" '<=' 3)"
row "$what: serve steady memory (RSS)" "$((rss_kb / 1024)) MB" "$text_mb MB text" "$(x "$rss_kb")x" "<= 3x" "$(check "$(x "$rss_kb")" '<=' 3)"
echo
print_rows
