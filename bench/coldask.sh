#!/usr/bin/env bash
# Target figure 5: a cold `citebot ask` on the seeds (a new process that
# loads the index and answers one question), the median of 20 runs, side by
# side with a hello-world Go binary built by this script with the same Go,
# timed the same way (bench/coldstart). Target: at most 8 ms.
#
# Run from the repository root: bench/coldask.sh
# Environment: RUNS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need go jq
runs=${RUNS:-20}

echo "== cold citebot ask on the seeds, $runs runs =="
go build -o "$work/citebot" ./cmd/citebot
go build -o "$work/coldstart" ./bench/coldstart
mkdir "$work/hello"
cat >"$work/hello/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("hello, world") }
GO
(cd "$work/hello" && go mod init hello >/dev/null 2>&1 && go build -o "$work/hello-world" .) || die "could not build the hello-world binary"
"$work/citebot" index --docs seeds --index "$work/index" >/dev/null
q="When was the SCO Information Security Working Group established?"
"$work/citebot" ask --docs seeds --index "$work/index" "$q" >"$work/answer.txt" || die "citebot ask failed"
echo "answer: $(head -c 200 "$work/answer.txt" | tr '\n' ' ')"
wait_quiet
"$work/coldstart" -n "$runs" -json -- "$work/hello-world" >"$work/hello.json"
"$work/coldstart" -n "$runs" -json -- "$work/citebot" ask --docs seeds --index "$work/index" "$q" >"$work/ask.json"
show='def r: . * 100 | round / 100; "median \(.median_ms|r) ms (min \(.min_ms|r), max \(.max_ms|r); CPU \(.cpu_ms|r) ms), peak memory \(.peak_mb|r) MB"'
echo "hello world: $(jq -r "$show" "$work/hello.json")"
echo "citebot ask: $(jq -r "$show" "$work/ask.json")"
ask=$(jq .median_ms "$work/ask.json")
hello=$(jq .median_ms "$work/hello.json")
row "cold citebot ask, seeds (median of $runs)" "$(calc "$ask" %.1f) ms (CPU $(jq '.cpu_ms * 10 | round / 10' "$work/ask.json") ms)" "$(calc "$hello" %.1f) ms (hello world)" "$(calc "$ask / $hello" %.1f)x" "<= 8 ms" "$(check "$ask" '<=' 8)"
echo
print_rows
