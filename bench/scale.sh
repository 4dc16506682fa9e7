#!/usr/bin/env bash
# Scale figures on one machine: a synthetic corpus of N documents (default
# 10,000 of about 10 KB: 100 MB): full index time and peak memory, snapshot
# size, load time (a cold `ask`), and the time to reindex after one document
# changes. Run from the repository root: bench/scale.sh [N] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
size=${2:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
echo "snapshot: $(du -h "$work/index/index.snap" | cut -f1)"
measure "reindex, nothing changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"
measure "load + one question (cold ask)" "$work/citebot" ask --docs "$work/docs" --index "$work/index" "How many maps does the archive of Station00042 hold?"
echo "The archive of Station00042 was moved in 2021." >>"$work/docs/part000/doc00042.txt"
measure "reindex after one document changed" "$work/citebot" index --docs "$work/docs" --index "$work/index"
