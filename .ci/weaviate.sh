#!/usr/bin/env bash
# A single-node Weaviate on loopback with local storage, for the tests of
# retrieval/weaviatestore and the replica tests (.ci/run starts one; run it
# by hand to test locally):
#
#   eval "$(.ci/weaviate.sh start)"   # builds the server once (~2.5 min), starts it,
#                                     # prints the CITEBOT_WEAVIATE_* exports
#   go test ./...
#   .ci/weaviate.sh stop
#
# The server is built from the Go module proxy (nothing else is reachable
# here); the binary is kept in $WEAVIATE_HOME/bin (~/.cache/citebot-weaviate).
set -euo pipefail
version=v1.35.2
home=${WEAVIATE_HOME:-$HOME/.cache/citebot-weaviate}
bin=$home/bin/weaviate-server
base=${WEAVIATE_PORT_BASE:-18000}
http=$((base + 80)) grpc=$((base + 51))

case ${1:-} in
start)
  if [ ! -x "$bin" ] || [ "$(cat "$home/bin/version" 2>/dev/null)" != "$version" ]; then
    echo "building weaviate-server $version (once)..." >&2
    GOBIN=$home/bin GOFLAGS= go install "github.com/weaviate/weaviate/cmd/weaviate-server@$version" >&2
    echo "$version" >"$home/bin/version"
  fi
  data=$(mktemp -d "${TMPDIR:-/tmp}/weaviate-data.XXXXXX")
  # RAFT_TIMEOUTS_MULTIPLIER=1: a single node elects itself in ~2 s, not ~8.
  # The flush setting keeps BM25 fast soon after a write (unflushed
  # memtables made it 60-90 ms for a minute). Disk checks are off: a full
  # CI disk must fail the tests, not turn the server read-only. Hybrid
  # queries fuse up to 300 candidates from each side, as the embedded
  # store does for document rankings (the default 100 cost 0.015 nDCG@10
  # on SciFact test).
  env PERSISTENCE_DATA_PATH="$data" AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES= DISABLE_TELEMETRY=true AUTOSCHEMA_ENABLED=false \
    DISK_USE_WARNING_PERCENTAGE=0 DISK_USE_READONLY_PERCENTAGE=0 GO_PROFILING_DISABLE=true QUERY_HYBRID_MAXIMUM_RESULTS=300 \
    RAFT_TIMEOUTS_MULTIPLIER=1 PERSISTENCE_MEMTABLES_FLUSH_DIRTY_AFTER_SECONDS=5 LOG_LEVEL=warning \
    CLUSTER_HOSTNAME=node1 CLUSTER_ADVERTISE_ADDR=127.0.0.1 CLUSTER_BIND_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT=$((base + 46)) CLUSTER_DATA_BIND_PORT=$((base + 47)) \
    RAFT_PORT=$((base + 30)) RAFT_INTERNAL_RPC_PORT=$((base + 31)) RAFT_BOOTSTRAP_EXPECT=1 GRPC_PORT=$grpc \
    "$bin" --host 127.0.0.1 --port "$http" --scheme http >"$data/server.log" 2>&1 &
  echo $! >"$home/pid"
  echo "$data" >"$home/data"
  for _ in $(seq 1 300); do
    if curl -fs -o /dev/null "http://127.0.0.1:$http/v1/.well-known/ready"; then
      echo "export CITEBOT_WEAVIATE_URL=http://127.0.0.1:$http CITEBOT_WEAVIATE_GRPC=127.0.0.1:$grpc"
      exit 0
    fi
    if ! kill -0 "$(cat "$home/pid")" 2>/dev/null; then
      echo "weaviate-server died:" >&2; tail -20 "$data/server.log" >&2; exit 1
    fi
    sleep 0.2
  done
  echo "weaviate-server not ready after 60 s:" >&2; tail -20 "$data/server.log" >&2; exit 1
  ;;
stop)
  if [ -f "$home/pid" ]; then
    kill "$(cat "$home/pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$home/pid")" 2>/dev/null || break; sleep 0.1; done
    rm -rf "$(cat "$home/data")" "$home/pid" "$home/data"
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
