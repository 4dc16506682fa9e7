#!/usr/bin/env bash
# The embedded store and Weaviate side by side on SciFact test, in one run:
# nDCG@10 (parity), index time, query latency (p50, p99, one at a time) and
# throughput (8 at a time). Needs a Weaviate server: CITEBOT_WEAVIATE_URL
# (and CITEBOT_WEAVIATE_GRPC), or one is started with .ci/weaviate.sh.
# Run from the repository root: bench/stores.sh [split]
set -euo pipefail
cd "$(dirname "$0")/.."
split=${1:-test}
scifact=${SCIFACT:-../shared/bench/scifact}
work=$(mktemp -d)
if [ -z "${CITEBOT_WEAVIATE_URL:-}" ]; then
  started=1
  eval "$(.ci/weaviate.sh start)"
fi
trap 'rm -rf "$work"; [ -n "${started:-}" ] && .ci/weaviate.sh stop' EXIT
go build -o "$work/citebot" ./cmd/citebot
"$work/citebot" eval --beir "$scifact" --split "$split" --json >"$work/embedded.json"
# A fresh prefix: the index time is a full build, not a no-change sync.
# Weaviate's BM25 ranks differently until its memtables are flushed (5 s
# with .ci/weaviate.sh's setting; SciFact test 0.670 right after the build,
# 0.682 after), so quality and latency come from a second run on the
# settled store, the index time from the first.
prefix=Bench$(date +%s)
wv() {
  "$work/citebot" eval --beir "$scifact" --split "$split" --json --store weaviate \
    --weaviate-url "$CITEBOT_WEAVIATE_URL" --weaviate-grpc "${CITEBOT_WEAVIATE_GRPC:-}" --weaviate-prefix "$prefix"
}
wv >"$work/weaviate-build.json"
sleep 15
wv >"$work/weaviate.json"
go run ./bench/storestable "$work/embedded.json" "$work/weaviate.json" "$work/weaviate-build.json"
