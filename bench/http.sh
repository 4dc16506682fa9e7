#!/usr/bin/env bash
# HTTP figures of `citebot serve` on the seeds: POST /v1/ask throughput and
# latency under 16 concurrent keep-alive connections, as a share of the
# "HTTP ceiling" (bench/ceiling, a bare net/http handler answering a fixed
# body of the ask responses' mean size) measured in the same run with the
# same load generator (bench/httpload); once with the default answer cache
# (the dev questions repeat) and once with --answer-cache 0 (every answer
# computed). Then a live reindex under that load: no request may fail, and a
# document added just before the reindex must be answerable as soon as
# POST /v1/reindex returns.
#
# Run from the repository root: bench/http.sh
# Environment: SHARED (default ../shared), QUESTIONS (default
# $SHARED/eval/dev.jsonl), DURATION (default 10s), CONNS (default 16),
# LOG_LEVEL (default warn; info logs a line per request), QUIET_WAIT
# (default 60: seconds each run may wait for other processes to
# leave the CPU alone).
# Needs curl and jq. Exits non-zero when the reindex check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
questions=${QUESTIONS:-$shared/eval/dev.jsonl}
dur=${DURATION:-10s}
conns=${CONNS:-16}
warmup=2s
# The work folder, the process list cleaned up on exit, free_port,
# wait_quiet and forget.
. bench/lib.sh
need curl jq

echo "building into $work ..."
go build -o "$work/citebot" ./cmd/citebot
go build -o "$work/httpload" ./bench/httpload
go build -o "$work/ceiling" ./bench/ceiling
cp -r seeds "$work/docs"
jq -c '{question: .question, k: 5}' "$questions" >"$work/questions.jsonl"
nq=$(wc -l <"$work/questions.jsonl")

# The admin token goes through the environment: flags show in ps.
export CITEBOT_ADMIN_TOKEN=bench-$RANDOM$RANDOM

serve_pid=
base=
# start_serve ANSWER_CACHE starts citebot serve and waits for /readyz.
start_serve() {
  local port
  port=$(free_port)
  base=http://127.0.0.1:$port
  "$work/citebot" serve --docs "$work/docs" --index "$work/index" --addr "127.0.0.1:$port" \
    --log-level "${LOG_LEVEL:-warn}" --answer-cache "$1" 2>>"$work/serve.log" &
  serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$base/readyz"; then
      return
    fi
    kill -0 "$serve_pid" 2>/dev/null || { echo "citebot serve exited; its log:" >&2; cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "citebot serve not ready after 60 s; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
}
stop_serve() {
  kill "$serve_pid"
  wait "$serve_pid" || true
  forget "$serve_pid"
}
# load URL PID OUT [FLAGS...] runs the load generator with the common
# flags against the server with process id PID, writing its JSON result to
# OUT.
load() {
  local url=$1 pid=$2 out=$3
  shift 3
  wait_quiet
  "$work/httpload" -url "$url" -server-pid "$pid" -bodies "$work/questions.jsonl" \
    -c "$conns" -d "$dur" -warmup "$warmup" -json "$@" >"$out"
}

start_serve 1024

# Mean size of an answer over the question set, each question once.
"$work/httpload" -url "$base/v1/ask" -bodies "$work/questions.jsonl" -c 1 -n "$nq" -fail-on-error -json >"$work/size.json"
size=$(jq '.mean_bytes | round' "$work/size.json")
echo "mean ask response over the $nq questions: $size bytes"

"$work/ceiling" -bytes "$size" >"$work/ceiling.out" 2>&1 &
ceiling_pid=$!
pids+=("$ceiling_pid")
for _ in $(seq 1 100); do
  [ -s "$work/ceiling.out" ] && break
  sleep 0.05
done
ceiling=http://$(head -1 "$work/ceiling.out")/v1/ask

echo "load: $conns connections, $warmup warm-up, $dur measured per run ..."
load "$ceiling" "$ceiling_pid" "$work/ceil-cache.json"
load "$base/v1/ask" "$serve_pid" "$work/ask-cache.json"
stop_serve
start_serve 0
load "$ceiling" "$ceiling_pid" "$work/ceil-nocache.json"
load "$base/v1/ask" "$serve_pid" "$work/ask-nocache.json"
stop_serve

# row LABEL CEILING.json ASK.json prints one line of the table.
# "ratio/CPU" compares requests per CPU-second of server plus load
# generator, a figure other processes on the machine disturb less than
# requests per second.
row() {
  local label=$1 c=$2 a=$3
  jq -nr --arg name "$label" --slurpfile c "$c" --slurpfile a "$a" '
    def cpu(r): if r.cpu then "\(r.cpu.server)/\(r.cpu.loadgen)/\(r.cpu.other)" else "-" end;
    def pct(x): x*1000|round/10|tostring+"%";
    def eff(r): r.rps/(r.cpu.server+r.cpu.loadgen);
    $c[0] as $c | $a[0] as $a |
    [$name, ($c.rps|floor), ($a.rps|floor), pct($a.rps/$c.rps),
     (if $c.cpu and $a.cpu then pct(eff($a)/eff($c)) else "-" end),
     $a.p50_ms, $a.p99_ms, $a.max_ms, $c.p99_ms, ($a.mean_bytes|round),
     ($a.non_2xx+$a.transport_errors+$c.non_2xx+$c.transport_errors), cpu($c), cpu($a)]
    | @tsv'
}
echo
echo "POST /v1/ask on the seeds, $conns connections (targets: ratio >= 50%, ask p99 <= 10 ms)"
{
  printf 'answer cache\tceiling req/s\task req/s\tratio\tratio/CPU\task p50 ms\task p99 ms\task max ms\tceiling p99 ms\task bytes\tfailed\tCPU ceiling run\tCPU ask run\n'
  row "default (1024)" "$work/ceil-cache.json" "$work/ask-cache.json"
  row "off (0)" "$work/ceil-nocache.json" "$work/ask-nocache.json"
} | column -t -s $'\t'
echo "CPU columns: cores used by the server/load generator/other processes while measuring ($(nproc) cores)."
others=$(jq -s '[.[].cpu.other // 0] | max' "$work"/ceil-*.json "$work"/ask-*.json)
if jq -en --argjson o "$others" '$o > 0.25' >/dev/null; then
  echo "WARNING: other processes used up to $others cores during a run: req/s and latencies are disturbed; rerun on a quiet machine."
fi

echo
echo "live reindex under load (default answer cache, $conns connections, ${dur}) ..."
start_serve 1024
fail=0
wait_quiet
"$work/httpload" -url "$base/v1/ask" -server-pid "$serve_pid" -bodies "$work/questions.jsonl" -c "$conns" -d "$dur" -warmup 0 \
  -fail-on-error -progress -json >"$work/reindex-load.json" 2>"$work/reindex-progress.txt" &
load_pid=$!
pids+=("$load_pid")
sleep 3
newdoc=zz_vardo_harbour.txt
printf 'Winters in Finnmark\n\nThe harbour of Vardø froze in 1966.\n' >"$work/docs/$newdoc"
t0=$(date +%s%N)
curl -sS -f -X POST -H "Authorization: Bearer $CITEBOT_ADMIN_TOKEN" "$base/v1/reindex" >"$work/reindex.json"
t1=$(date +%s%N)
curl -sS -X POST -H 'Content-Type: application/json' \
  -d '{"question": "When did the harbour of Vardø freeze?", "k": 5}' "$base/v1/ask" >"$work/newdoc.json"
load_rc=0
wait "$load_pid" || load_rc=$?
forget "$load_pid"

echo "reindex summary: $(jq -c . "$work/reindex.json")"
echo "POST /v1/reindex took $(((t1 - t0) / 1000000)) ms wall, took_ms $(jq .took_ms "$work/reindex.json")"
jq -r '"load during the reindex: \(.requests) requests, \(.rps|floor) req/s, p99 \(.p99_ms) ms, max \(.max_ms) ms, failed: non-2xx \(.non_2xx), transport errors \(.transport_errors); CPU server/load generator/others \(.cpu.server)/\(.cpu.loadgen)/\(.cpu.other)"' "$work/reindex-load.json"
failed=$(jq '.non_2xx + .transport_errors + .warmup_failed' "$work/reindex-load.json")
if [ "$failed" -ne 0 ] || [ "$load_rc" -ne 0 ]; then
  echo "FAIL: $failed requests failed during the reindex (httpload exit $load_rc): $(jq -c .first_errors "$work/reindex-load.json")"
  fail=1
else
  echo "ok: 0 failed requests during the reindex"
fi
if jq -e --arg d "$newdoc" '.found and any(.citations[]; .document == $d)' "$work/newdoc.json" >/dev/null; then
  echo "ok: the new document answers at once: $(jq -r '.answer' "$work/newdoc.json")"
else
  echo "FAIL: the question about the new document was not answered from it: $(jq -c '{found, answer, citations: [.citations[].document]}' "$work/newdoc.json")"
  fail=1
fi
echo "per second during that load (the reindex started at about t=3s):"
cat "$work/reindex-progress.txt"
if grep -qE 'level=(WARN|ERROR)' "$work/serve.log"; then
  echo "citebot serve logged warnings or errors:"
  grep -E 'level=(WARN|ERROR)' "$work/serve.log"
fi
exit "$fail"
