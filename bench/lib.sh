# Shared by the bench/ scripts of the targets (bench/targets.sh): sourced,
# not run. It gives each script a work folder and a process list cleaned up
# on exit, a free port, a wait for a quiet machine, and the rows of the
# targets table: printed, and appended to $TARGETS_OUT when bench/targets.sh
# collects them.

# Programs are built as the Dockerfile builds what ships: without cgo,
# statically linked (a binary linked against the C library pays about
# 0.7 ms more at every start for the dynamic loader).
export CGO_ENABLED=0

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in ${pids[@]+"${pids[@]}"}; do
    kill "$p" 2>/dev/null || true
  done
  for p in ${pids[@]+"${pids[@]}"}; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# die prints why the script cannot go on and exits non-zero.
die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# need TOOL... exits unless every tool is on the PATH.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || die "needs $t on the PATH"
  done
}

# forget PID drops a process that has ended from the cleanup list.
forget() {
  local p keep=()
  for p in ${pids[@]+"${pids[@]}"}; do
    [ "$p" = "$1" ] || keep+=("$p")
  done
  pids=(${keep[@]+"${keep[@]}"})
}

# free_port prints a loopback port nothing listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

# cpu_ticks prints the machine's busy and total clock ticks so far.
cpu_ticks() {
  local _ u n s i w irq sirq st
  read -r _ u n s i w irq sirq st _ </proc/stat
  echo "$((u + n + s + irq + sirq + st)) $((u + n + s + i + w + irq + sirq + st))"
}

# wait_quiet waits, up to QUIET_WAIT seconds (default 60), until other
# processes use less than a third of a core: the machine may be shared.
wait_quiet() {
  local b0 t0 b1 t1 cores busy waited=0 limit=${QUIET_WAIT:-60}
  cores=$(nproc)
  while :; do
    read -r b0 t0 < <(cpu_ticks)
    sleep 1
    read -r b1 t1 < <(cpu_ticks)
    busy=$(((b1 - b0) * cores * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
    if [ "$busy" -lt 33 ]; then
      return
    fi
    if [ "$waited" -ge "$limit" ]; then
      echo "  (other processes still use $((busy / 100)).$((busy % 100 / 10)) cores; measuring anyway)"
      return
    fi
    [ "$waited" -eq 0 ] && echo "  (waiting up to ${limit} s for other processes to quiet down: $((busy / 100)).$((busy % 100 / 10)) cores busy)"
    waited=$((waited + 1))
  done
}

# check VALUE OP LIMIT prints pass or FAIL: OP is <= or >=.
check() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
    print (ok ? "pass" : "FAIL")
  }'
}

# calc EXPR prints a floating-point expression's value with awk's %.4g,
# or with the printf format given as the second argument.
calc() {
  awk "BEGIN { printf \"${2:-%.4g}\", $1 }"
}

rows=()
# row FIGURE CITEBOT COMPARISON RATIO TARGET RESULT adds a row of the
# targets table.
row() {
  local line
  line=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$@")
  rows+=("$line")
  if [ -n "${TARGETS_OUT:-}" ]; then
    echo "$line" >>"$TARGETS_OUT"
  fi
}

# print_rows prints the rows this script added as a table.
print_rows() {
  {
    printf 'figure\tcitebot\tcomparison\tratio\ttarget\tresult\n'
    printf '%s\n' ${rows[@]+"${rows[@]}"}
  } | column -t -s $'\t'
}
