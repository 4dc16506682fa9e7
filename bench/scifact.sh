#!/usr/bin/env bash
# Target figure 2: SciFact test against Bleve, in one run. Both engines
# index the same documents (the title, a blank line and the abstract of each
# entry of corpus.jsonl, as `citebot eval --beir` reads them), answer the
# same test queries (top 100 documents each) and are measured the same way:
# the queries round and round from 8 goroutines for SECONDS, in process.
# nDCG@10 of both comes from one scorer (bench/beirscore) over their TREC
# run files. Targets: citebot at least 1.5x Bleve's queries per second,
# with nDCG@10 at least 0.69. ROUNDS rounds (default 3), each citebot then
# Bleve, each a new process that indexes anew; the table gives the median
# queries per second of each, and per CPU-second of the process (on a
# shared machine the fairer comparison: other processes take wall time).
#
# citebot (bench/beircitebot): its default configuration, the one
# `citebot eval --beir` and `citebot serve` use. Bleve (bench/beirbleve, a
# module of its own so that citebot does not depend on Bleve; built here
# outside the repository, Bleve v2 from the Go module proxy at the version
# its go.mod pins, or BLEVE_VERSION): Bleve's English analyzer and BM25
# with citebot's k1 and b; see bench/beirbleve/main.go.
#
# Run from the repository root: bench/scifact.sh
# Environment: SCIFACT (default ../shared/bench/scifact), SECONDS_EACH
# (default 5), CLIENTS (default 8), ROUNDS (default 3), BLEVE_VERSION
# (default: go.mod's),
# QUIET_WAIT (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need go jq
scifact=${SCIFACT:-../shared/bench/scifact}
secs=${SECONDS_EACH:-5}
clients=${CLIENTS:-8}
rounds=${ROUNDS:-3}
for f in corpus.jsonl queries.jsonl qrels/test.tsv; do
  [ -f "$scifact/$f" ] || die "no $scifact/$f: SciFact in the BEIR layout is needed (set SCIFACT)"
done

echo "== SciFact test, $clients clients: citebot and Bleve =="
go build -o "$work/beircitebot" ./bench/beircitebot
go build -o "$work/beirscore" ./bench/beirscore
cp -r bench/beirbleve "$work/beirbleve-src"
(
  cd "$work/beirbleve-src"
  if [ -n "${BLEVE_VERSION:-}" ]; then
    go get "github.com/blevesearch/bleve/v2@$BLEVE_VERSION" && go mod tidy
  fi
  go build -o "$work/beirbleve" .
) || die "could not build bench/beirbleve (Bleve from the Go module proxy)"
bleve_version=$(cd "$work/beirbleve-src" && go list -m -f '{{.Version}}' github.com/blevesearch/bleve/v2)

for r in $(seq 1 "$rounds"); do
  wait_quiet
  "$work/beircitebot" -beir "$scifact" -split test -clients "$clients" -seconds "$secs" -run "$work/citebot-$r.run" >"$work/citebot-$r.json"
  k1=$(jq .k1 "$work/citebot-$r.json")
  b=$(jq .b "$work/citebot-$r.json")
  wait_quiet
  "$work/beirbleve" -beir "$scifact" -split test -clients "$clients" -seconds "$secs" -k1 "$k1" -b "$b" \
    -run "$work/bleve-$r.run" -index "$work/bleve-index-$r" >"$work/bleve-$r.json"
  rm -rf "$work/bleve-index-$r"
  qs='"\(.queries_per_second | round) q/s (\(.queries_per_cpu_second | round) per CPU-second)"'
  echo "round $r: citebot $(jq -r "$qs" "$work/citebot-$r.json"), Bleve $(jq -r "$qs" "$work/bleve-$r.json")"
done
# Round 1's rankings are scored; the other rounds' must score the same
# (Bleve's may differ in ties and in the last bit of a score).
"$work/beirscore" -qrels "$scifact/qrels/test.tsv" "$work/citebot-1.run" "$work/bleve-1.run" >"$work/scores.jsonl"
for e in citebot bleve; do
  "$work/beirscore" -qrels "$scifact/qrels/test.tsv" "$work/$e"-*.run |
    jq -se '(map(.ndcg_at_10) | max - min) < 1e-9' >/dev/null || echo "WARNING: $e's nDCG@10 differs between rounds"
done
# the rounds' medians, in a JSON file like a round's
for e in citebot bleve; do
  jq -s 'def med(f): map(f) | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    .[0] + {queries_per_second: med(.queries_per_second), queries_per_cpu_second: med(.queries_per_cpu_second), index_ms: med(.index_ms)}' \
    "$work/$e"-[0-9]*.json >"$work/$e.json"
done

show() { # engine json, scores line
  jq -rn --slurpfile r "$1" --argjson s "$2" '$r[0] as $r |
    "\($r.engine): \($r.documents) documents indexed in \($r.index_ms) ms; \($r.queries) queries; median \($r.queries_per_second|round) q/s, \($r.queries_per_cpu_second|round) per CPU-second; nDCG@10 \($s.ndcg_at_10*10000|round/10000), Recall@100 \($s.recall_at_100*10000|round/10000)\n  (\($r.config))"'
}
show "$work/citebot.json" "$(sed -n 1p "$work/scores.jsonl")"
show "$work/bleve.json" "$(sed -n 2p "$work/scores.jsonl")"
echo "Bleve $bleve_version"

cq=$(jq .queries_per_second "$work/citebot.json")
bq=$(jq .queries_per_second "$work/bleve.json")
cn=$(sed -n 1p "$work/scores.jsonl" | jq .ndcg_at_10)
bn=$(sed -n 2p "$work/scores.jsonl" | jq .ndcg_at_10)
ratio=$(calc "$cq / $bq" %.2f)
row "SciFact test q/s, $clients clients (median of $rounds)" "$(calc "$cq" %.0f)" "$(calc "$bq" %.0f) (Bleve $bleve_version BM25)" "${ratio}x" ">= 1.5x" "$(check "$ratio" '>=' 1.5)"
cc=$(jq .queries_per_cpu_second "$work/citebot.json")
bc=$(jq .queries_per_cpu_second "$work/bleve.json")
cratio=$(calc "$cc / $bc" %.2f)
row "SciFact test q per CPU-second (median of $rounds)" "$(calc "$cc" %.0f)" "$(calc "$bc" %.0f) (Bleve)" "${cratio}x" "(>= 1.5x)" "$(check "$cratio" '>=' 1.5)"
row "SciFact test nDCG@10" "$(calc "$cn" %.4f)" "$(calc "$bn" %.4f) (Bleve)" "$(calc "$cn - $bn" %+.4f)" ">= 0.69" "$(check "$cn" '>=' 0.69)"
echo
print_rows
