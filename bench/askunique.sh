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
# each at most once, over all the rounds.
#
# ROUNDS rounds (default 3), each the bare handler then citebot; the table
# gives the median of each (req/s, p50, p99) and the ratio of the medians.
#
# Run from the repository root: bench/askunique.sh
# Environment: SHARED (default ../shared), DURATION (default 10s), CONNS
# (default 16), ROUNDS (default 3), QUESTIONS_N (default 300000 unique
# questions a round), QUIET_WAIT
# (default 60 s to wait for other processes to leave the CPU alone).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need curl jq go
shared=${SHARED:-../shared}
dur=${DURATION:-10s}
conns=${CONNS:-16}
nq=${QUESTIONS_N:-300000}
rounds=${ROUNDS:-3}
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
go run ./bench/questions -docs seeds -sets "$sets" -lines "$lines" -n "$((rounds * nq + 2000))" -out "$work/all.jsonl"
for r in $(seq 1 "$rounds"); do
  sed -n "$(((r - 1) * nq + 1)),$((r * nq))p" "$work/all.jsonl" >"$work/questions-$r.jsonl"
done
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
# How many get an answer rather than a refusal (their answers are cached
# by now, which does not matter here).
found=0
while read -r body; do
  if curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$base/v1/ask" | jq -e .found >/dev/null; then
    found=$((found + 1))
  fi
done < <(head -n 200 "$work/sizing.jsonl")
echo "mean answer over 2,000 of the questions: $size bytes; $found of 200 of them answered, the rest refused"

"$work/ceiling" -bytes "$size" >"$work/ceiling.out" 2>&1 &
ceiling_pid=$!
pids+=("$ceiling_pid")
for _ in $(seq 1 100); do
  [ -s "$work/ceiling.out" ] && break
  sleep 0.05
done
[ -s "$work/ceiling.out" ] || die "bench/ceiling did not start: $(cat "$work/ceiling.out")"
ceiling=http://$(head -1 "$work/ceiling.out")/v1/ask

echo "load: $conns connections, $warmup warm-up, $dur measured, $rounds rounds; each ask question sent once ..."
for r in $(seq 1 "$rounds"); do
  wait_quiet
  "$work/httpload" -url "$ceiling" -server-pid "$ceiling_pid" -bodies "$work/questions-$r.jsonl" \
    -c "$conns" -d "$dur" -warmup "$warmup" -json >"$work/ceiling-$r.json"
  wait_quiet
  "$work/httpload" -url "$base/v1/ask" -server-pid "$serve_pid" -bodies "$work/questions-$r.jsonl" -once \
    -c "$conns" -d "$dur" -warmup "$warmup" -json >"$work/ask-$r.json"
  for f in ceiling ask; do
    failed=$(jq '.non_2xx + .transport_errors + .warmup_failed' "$work/$f-$r.json")
    [ "$failed" -eq 0 ] || die "$failed requests to the $f failed: $(jq -c .first_errors "$work/$f-$r.json")"
  done
  if jq -e .bodies_exhausted "$work/ask-$r.json" >/dev/null; then
    echo "WARNING: the $nq questions of round $r ran out after $(jq .seconds "$work/ask-$r.json") s of the $dur: set QUESTIONS_N higher"
  fi
  line='"\(.requests) requests, \(.rps|floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms; CPU server/load generator/other \(.cpu.server)/\(.cpu.loadgen)/\(.cpu.other) cores"'
  echo "round $r: bare handler: $(jq -r "$line" "$work/ceiling-$r.json")"
  echo "round $r: ask:          $(jq -r "$line"' + "; \(.mean_bytes|round) bytes an answer"' "$work/ask-$r.json")"
done
others=$(jq -s '[.[].cpu.other // 0] | max' "$work"/ceiling-*.json "$work"/ask-*.json)
if jq -en --argjson o "$others" '$o > 0.25' >/dev/null; then
  echo "WARNING: other processes used up to $others cores during a run: the figures are disturbed."
fi

# med FIELD FILES... prints the median of a field over the rounds.
med() {
  local field=$1
  shift
  jq -s "[.[].$field] | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end" "$@"
}
ask_rps=$(med rps "$work"/ask-*.json)
ceil_rps=$(med rps "$work"/ceiling-*.json)
pct=$(calc "100 * $ask_rps / $ceil_rps" %.1f)
of="median of $rounds"
row "POST /v1/ask req/s, unique questions, $conns conns ($of)" "$(calc "$ask_rps" %.0f)" "$(calc "$ceil_rps" %.0f) (bare net/http)" "$pct%" ">= 35%" "$(check "$pct" '>=' 35)"
p99=$(med p99_ms "$work"/ask-*.json)
# Requests per CPU-second of server and load generator together, which
# other processes on the machine disturb less than requests per second.
eff() { jq -s 'map(.rps / (.cpu.server + .cpu.loadgen)) | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$work/$1"-*.json; }
ask_eff=$(eff ask)
ceil_eff=$(eff ceiling)
epct=$(calc "100 * $ask_eff / $ceil_eff" %.1f)
row "POST /v1/ask req per CPU-second, server + load generator ($of)" "$(calc "$ask_eff" %.0f)" "$(calc "$ceil_eff" %.0f) (bare net/http)" "$epct%" "(>= 35%)" "$(check "$epct" '>=' 35)"
ms() { calc "$(med "$1" "$work/$2"-*.json)" %.2f; }
row "POST /v1/ask p50 / p99 under that load ($of)" "$(ms p50_ms ask) / $(ms p99_ms ask) ms" "$(ms p50_ms ceiling) / $(ms p99_ms ceiling) ms" "-" "p99 <= 10 ms" "$(check "$p99" '<=' 10)"
echo
print_rows
if grep -qE 'level=(WARN|ERROR)' "$work/serve.log"; then
  echo "citebot serve logged warnings or errors:"
  grep -E 'level=(WARN|ERROR)' "$work/serve.log"
fi
