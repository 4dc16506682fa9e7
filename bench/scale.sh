#!/usr/bin/env bash
# Scale figures on one machine: a synthetic corpus of N documents (default
# 10,000 of about 10 KB: 100 MB): full index time and peak memory, index
# size, load time (a cold `ask`), the time to reindex after one document
# changes, by `citebot index` and by a running server (POST /v1/reindex),
# and the server's start and peak memory. Run from the repository root:
# bench/scale.sh [N] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
size=${2:-10000}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/citebot" ./cmd/citebot
go run ./bench/scalecorpus -n "$n" -size "$size" -out "$work/docs"
echo "corpus: $n documents, $(du -sh "$work/docs" | cut -f1) on disk"

measure() { # label, command...: wall seconds and peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r secs kb <"$work/time"
  echo "$label: ${secs} s, peak memory $((kb / 1024)) MB"
}
measure "full index" "$work/citebot" index --docs "$work/docs" --index "$work/index"
echo "index: $(du -sh "$work/index" | cut -f1) in $(find "$work/index" -name 'seg-*.snap' | wc -l) segments and a root of $(du -h "$work/index/index.snap" | cut -f1)"
measure "reindex, nothing changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"
measure "load + one question (cold ask)" "$work/citebot" ask --docs "$work/docs" --index "$work/index" "How many maps does the archive of Station00042 hold?"
echo "The archive of Station00042 was moved in 2021." >>"$work/docs/part000/doc00042.txt"
measure "reindex after one document changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"

# The live path: a server holding the index reindexes one change.
port=$((20000 + RANDOM % 20000))
start=$(date +%s.%N)
"$work/citebot" serve --docs "$work/docs" --index "$work/index" --addr "127.0.0.1:$port" --admin-token bench 2>"$work/serve.log" &
server=$!
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.1; done
echo "serve: ready in $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.2f') s"
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
echo "serve: peak memory $(($(awk '/VmHWM/ {print $2}' "/proc/$server/status") / 1024)) MB"
kill "$server"
wait "$server" || true
server=
