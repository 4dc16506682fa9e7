#!/usr/bin/env bash
# Target figure 1: POST /v1/ask on the seeds with questions that never
# repeat (so the answer cache, on as shipped, never answers), 16 keep-alive
# connections, side by side with a bare net/http handler (bench/ceiling)
# answering a fixed body of the answers' mean size, both loaded by
# bench/httpload with the same settings in one run. Targets: ask req/s at
# least 35% of the bare handler's, ask p99 at most 10 ms.
#
# The questions (bench/questions): the dev and extra question sets of
# testdata/, ../shared/eval/dev.jsonl and the XQuAD questions of
# ../shared/bench/xquad when they are there, each once, then variants of
# them and template questions on the seeds' words; httpload -once sends
# each at most once.
#
# Run from the repository root: bench/askunique.sh
# Environment: SHARED (default ../shared), DURATION (default 10s), CONNS
# (default 16), QUESTIONS_N (default 500000 unique questions), QUIET_WAIT
# (default 60 s to wait for other processes to leave the CPU alone).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need curl jq go
shared=${SHARED:-../shared}
dur=${DURATION:-10s}
conns=${CONNS:-16}
nq=${QUESTIONS_N:-500000}
warmup=2s

echo "== POST /v1/ask, unique questions, $conns connections =="
go build -o "$work/citebot" ./cmd/citebot
go build -o "$work/httpload" ./bench/httpload
go build -o "$work/ceiling" ./bench/ceiling
cp -r seeds "$work/docs"

sets=testdata/seeds-dev.jsonl,testdata/seeds-extra.jsonl
lines=
if [ -f "$shared/eval/dev.jsonl" ]; then
  sets+=,$shared/eval/dev.jsonl
fi
for l in en ru; do
  if [ -f "$shared/bench/xquad/q.$l.txt" ]; then
    lines+=${lines:+,}$shared/bench/xquad/q.$l.txt
  fi
done
[ -n "$lines" ] || echo "(no $shared/bench/xquad: the questions are the testdata sets, their variants and questions on the seeds' words)"
# The last 2,000 only size the ceiling's body; the load never sends them.
go run ./bench/questions -docs seeds -sets "$sets" -lines "$lines" -n "$((nq + 2000))" -out "$work/all.jsonl"
head -n "$nq" "$work/all.jsonl" >"$work/questions.jsonl"
tail -n 2000 "$work/all.jsonl" >"$work/sizing.jsonl"

"$work/citebot" index --docs "$work/docs" --index "$work/index" >/dev/null
port=$(free_port)
base=http://127.0.0.1:$port
"$work/citebot" serve --docs "$work/docs" --index "$work/index" --addr "127.0.0.1:$port" --log-level warn 2>"$work/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$base/readyz" && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; die "citebot serve exited"; }
  sleep 0.1
done
curl -sf -o /dev/null "$base/readyz" || { cat "$work/serve.log" >&2; die "citebot serve not ready after 60 s"; }

"$work/httpload" -url "$base/v1/ask" -bodies "$work/sizing.jsonl" -c 1 -n 2000 -once -fail-on-error -json >"$work/size.json" ||
  die "sizing requests failed: $(jq -c .first_errors "$work/size.json")"
size=$(jq '.mean_bytes | round' "$work/size.json")
found=$(curl -sf -X POST -H 'Content-Type: application/json' --data-binary @<(head -1 "$work/sizing.jsonl") "$base/v1/ask" | jq .found)
echo "mean answer over 2,000 of the questions: $size bytes (first one found: $found)"

"$work/ceiling" -bytes "$size" >"$work/ceiling.out" 2>&1 &
ceiling_pid=$!
pids+=("$ceiling_pid")
for _ in $(seq 1 100); do
  [ -s "$work/ceiling.out" ] && break
  sleep 0.05
done
[ -s "$work/ceiling.out" ] || die "bench/ceiling did not start: $(cat "$work/ceiling.out")"
ceiling=http://$(head -1 "$work/ceiling.out")/v1/ask

echo "load: $conns connections, $warmup warm-up, $dur measured, each ask question sent once ..."
wait_quiet
"$work/httpload" -url "$ceiling" -server-pid "$ceiling_pid" -bodies "$work/questions.jsonl" \
  -c "$conns" -d "$dur" -warmup "$warmup" -json >"$work/ceiling.json"
wait_quiet
"$work/httpload" -url "$base/v1/ask" -server-pid "$serve_pid" -bodies "$work/questions.jsonl" -once \
  -c "$conns" -d "$dur" -warmup "$warmup" -json >"$work/ask.json"

for f in ceiling ask; do
  failed=$(jq '.non_2xx + .transport_errors + .warmup_failed' "$work/$f.json")
  [ "$failed" -eq 0 ] || die "$failed requests to the $f failed: $(jq -c .first_errors "$work/$f.json")"
done
if jq -e .bodies_exhausted "$work/ask.json" >/dev/null; then
  echo "WARNING: the $nq questions ran out after $(jq .seconds "$work/ask.json") s of the $dur: set QUESTIONS_N higher"
fi
jq -r '"bare handler: \(.requests) requests, \(.rps|floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms; CPU server/load generator/other \(.cpu.server)/\(.cpu.loadgen)/\(.cpu.other) cores"' "$work/ceiling.json"
jq -r '"ask:          \(.requests) requests, \(.rps|floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms; CPU server/load generator/other \(.cpu.server)/\(.cpu.loadgen)/\(.cpu.other) cores; \(.mean_bytes|round) bytes an answer"' "$work/ask.json"
others=$(jq -s '[.[].cpu.other // 0] | max' "$work/ceiling.json" "$work/ask.json")
if jq -en --argjson o "$others" '$o > 0.25' >/dev/null; then
  echo "WARNING: other processes used up to $others cores during a run: the figures are disturbed."
fi

ask_rps=$(jq .rps "$work/ask.json")
ceil_rps=$(jq .rps "$work/ceiling.json")
pct=$(calc "100 * $ask_rps / $ceil_rps" %.1f)
row "POST /v1/ask req/s, unique questions, $conns conns" "$(calc "$ask_rps" %.0f)" "$(calc "$ceil_rps" %.0f) (bare net/http)" "$pct%" ">= 35%" "$(check "$pct" '>=' 35)"
p99=$(jq .p99_ms "$work/ask.json")
row "POST /v1/ask p50 / p99 under that load" "$(jq .p50_ms "$work/ask.json") / $p99 ms" "$(jq .p50_ms "$work/ceiling.json") / $(jq .p99_ms "$work/ceiling.json") ms" "-" "p99 <= 10 ms" "$(check "$p99" '<=' 10)"
echo
print_rows
if grep -qE 'level=(WARN|ERROR)' "$work/serve.log"; then
  echo "citebot serve logged warnings or errors:"
  grep -E 'level=(WARN|ERROR)' "$work/serve.log"
fi
