#!/usr/bin/env bash
# Checks the Dockerfile where there is no Docker engine: its build stages
# run here, step by step in its order, in a context made as docker build
# makes it (the files of a commit, by git archive, less what .dockerignore
# leaves out). A file copied after the step that needs it, or left out of
# the context, fails here as it would fail the real build. Then the last
# stage is checked against what the build stages made: every COPY --from
# source exists; every absolute path in ENV and VOLUME is one the stage
# copies (or lies under one); the HEALTHCHECK command runs and, with no
# server to ask, says so (exit 1; exit 2 would be a command it does not
# know); the ENTRYPOINT's binary prints its version and, with the image's
# environment, indexes the documents the image ships.
#
# Usage: .ci/dockerfile-check.sh [DOCKERFILE [REV]]
# DOCKERFILE defaults to REV's own; REV to HEAD (a commit: uncommitted
# changes are not in the context, as they are not in a clone).
#
# What it cannot check: the base images. The RUN steps use this machine's
# shell and go (GOTOOLCHAIN=local, as the golang image sets), so the check
# also insists that a golang:X.Y image is at least go.mod's go version.
# Supported: FROM [AS], WORKDIR, COPY and ADD of files (--from= a stage;
# --chown, --chmod and --link have no effect here), RUN in shell form, ENV
# and ARG (defaults only), and the instructions that change no file (USER,
# EXPOSE, VOLUME, LABEL, HEALTHCHECK, ENTRYPOINT, CMD, STOPSIGNAL);
# .dockerignore patterns with * ? [] and **, without ! exceptions. Anything
# else fails the check rather than being passed over.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "dockerfile-check: $*" >&2
  exit 1
}

rev=${2:-HEAD}
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
ctx=$work/context
mkdir "$ctx"
git archive --format=tar "$rev" | tar -xf - -C "$ctx"
# Read before .dockerignore, which may leave the Dockerfile out of the
# context, as Docker reads it before too.
[ -f "${1:-$ctx/Dockerfile}" ] || die "no Dockerfile at ${1:-$ctx/Dockerfile}"
cp "${1:-$ctx/Dockerfile}" "$work/Dockerfile"
dockerfile=$work/Dockerfile

# The context: the commit's files less .dockerignore's patterns (anchored
# at the root, as Docker reads them; a folder goes with all it holds).
if [ -f "$ctx/.dockerignore" ]; then
  exec 3<"$ctx/.dockerignore"
  while IFS= read -r pat <&3 || [ -n "$pat" ]; do
    pat=${pat%$'\r'}
    pat=${pat#"${pat%%[![:space:]]*}"}
    pat=${pat%"${pat##*[![:space:]]}"}
    case $pat in
    '' | '#'*) continue ;;
    '!'*) die ".dockerignore: exceptions (!) are not supported here: $pat" ;;
    esac
    pat=${pat#/}
    (
      cd "$ctx"
      shopt -s globstar dotglob nullglob
      IFS=$'\n'
      # shellcheck disable=SC2086 # the pattern is meant to glob
      for f in $pat; do rm -rf -- "$f"; done
    )
  done
  exec 3<&-
fi

# The instructions, one per logical line: comment lines dropped, lines
# ending in a backslash joined to the next.
instructions=()
line=""
cont='^(.*)\\[[:space:]]*$'
blank='^[[:space:]]*$'
comment='^[[:space:]]*#'
while IFS= read -r raw || [ -n "$raw" ]; do
  raw=${raw%$'\r'}
  [[ $raw =~ $comment ]] && continue
  [[ -z $line && $raw =~ $blank ]] && continue
  if [[ $raw =~ $cont ]]; then
    line+="${BASH_REMATCH[1]} "
    continue
  fi
  instructions+=("$line$raw")
  line=""
done <"$dockerfile"
[[ $line =~ $blank ]] || instructions+=("$line")

# The build stages' own folders (the first part of every absolute path a
# build stage works in, or the last stage copies from), which each stage
# has here under a folder of its own; RUN commands name them.
stages=0
declare -A roots=()
for ins in "${instructions[@]}"; do
  read -r kw rest <<<"$ins"
  case ${kw^^} in
  FROM) stages=$((stages + 1)) ;;
  WORKDIR) [[ $rest == /* ]] && roots[/$(cut -d/ -f2 <<<"$rest")]=1 ;;
  COPY | ADD)
    read -ra words <<<"$rest"
    for w in "${words[@]}"; do
      [[ $w == /* ]] && roots[/$(cut -d/ -f2 <<<"$w")]=1
    done
    ;;
  esac
done
[ "$stages" -ge 1 ] || die "no FROM in ${1:-the Dockerfile}"
rootlist=$(printf '%s\n' "${!roots[@]}")

go_mod_version=$(sed -n 's/^go \([0-9]*\.[0-9]*\).*/\1/p' "$ctx/go.mod")
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# json_words prints the strings of a JSON array, one per line.
json_words() {
  perl -MJSON::PP -e 'my $a = eval { decode_json($ARGV[0]) }; ref $a eq "ARRAY" or exit 1; print "$_\n" for @$a' "$1" ||
    die "not a JSON array of strings: $1"
}

# mapped is where a path of the last stage's file system is here: under
# the COPY that put it there (the longest destination it lies under).
declare -A copied=()
mapped() {
  local p=$1 best=""
  for d in "${!copied[@]}"; do
    if [[ $p == "$d" || $p == "${d%/}/"* ]] && [ ${#d} -gt ${#best} ]; then best=$d; fi
  done
  [ -n "$best" ] || return 1
  echo "${copied[$best]}${p#"$best"}"
}

declare -A stage_root=()
stage=0
last=false
health=()
entrypoint=()
final_env=()
volumes=()
for ins in "${instructions[@]}"; do
  read -r kw rest <<<"$ins"
  kw=${kw^^}
  case $kw in
  FROM)
    stage=$((stage + 1))
    [ "$stage" -eq "$stages" ] && last=true
    read -ra words <<<"$rest"
    while [[ ${words[0]} == --* ]]; do words=("${words[@]:1}"); done # --platform
    image=${words[0]}
    sroot=$work/stage$stage
    mkdir -p "$sroot"
    stage_root[$stage]=$sroot
    if [ ${#words[@]} -ge 3 ] && [ "${words[1]^^}" = AS ]; then stage_root[${words[2]}]=$sroot; fi
    cwd=/
    stage_env=()
    if [[ $image =~ ^golang:([0-9]+\.[0-9]+) ]]; then
      version_ge "${BASH_REMATCH[1]}" "$go_mod_version" ||
        die "FROM $image: go.mod asks for go $go_mod_version, and the image (GOTOOLCHAIN=local) has ${BASH_REMATCH[1]}"
    fi
    echo "dockerfile-check: FROM $rest"
    ;;
  WORKDIR)
    [[ $rest == /* ]] || rest=$cwd/$rest
    cwd=$rest
    $last || mkdir -p "$sroot$cwd"
    ;;
  ENV | ARG)
    read -ra words <<<"$rest"
    if [ "$kw" = ENV ] && [[ ${words[0]} != *=* ]]; then
      words=("${words[0]}=${rest#"${words[0]}"}")
    fi
    for w in "${words[@]}"; do
      [[ $w == *=* ]] || continue # an ARG without a default is unset
      k=${w%%=*} v=${w#*=}
      v=${v#[\"\']} v=${v%[\"\']}
      v=${v#"${v%%[![:space:]]*}"}
      stage_env+=("$k=$v")
      if $last && [ "$kw" = ENV ]; then final_env+=("$k=$v"); fi
    done
    ;;
  COPY | ADD)
    read -ra words <<<"$rest"
    base=$ctx
    while [[ ${words[0]} == --* ]]; do
      case ${words[0]} in
      --from=*)
        from=${words[0]#--from=}
        [ -n "${stage_root[$from]:-}" ] || die "$kw --from=$from: no such stage before it"
        base=${stage_root[$from]}
        ;;
      --chown=* | --chmod=* | --link | --link=*) ;;
      *) die "$kw ${words[0]}: not supported here" ;;
      esac
      words=("${words[@]:1}")
    done
    [[ ${words[0]} == \[* ]] && die "$kw in JSON form is not supported here"
    [ ${#words[@]} -ge 2 ] || die "$kw $rest: want sources and a destination"
    dest=${words[-1]}
    srcs=("${words[@]:0:${#words[@]}-1}")
    [[ $dest == /* ]] || dest=$cwd/$dest
    matches=()
    for s in "${srcs[@]}"; do
      [[ $s == *://* ]] && die "$kw $s: URLs are not supported here"
      shopt -s nullglob dotglob
      # shellcheck disable=SC2206 # the source is meant to glob
      m=("$base"/${s#/})
      shopt -u nullglob dotglob
      # A name without wildcards is kept whether or not it exists.
      for i in "${!m[@]}"; do [ -e "${m[$i]}" ] || unset 'm[i]'; done
      m=("${m[@]}")
      if [ ${#m[@]} -eq 0 ]; then
        if [ "$base" = "$ctx" ]; then
          die "$kw $s: not in the build context (not committed, or left out by .dockerignore)"
        fi
        die "$kw --from: $s: the stage did not make it"
      fi
      matches+=("${m[@]}")
    done
    if $last; then
      # Nothing to build: remember where each destination's files are.
      if [ ${#matches[@]} -eq 1 ] && [[ $dest != */ ]]; then
        copied[$dest]=${matches[0]}
      else
        for m in "${matches[@]}"; do copied[${dest%/}/$(basename "$m")]=$m; done
      fi
      continue
    fi
    into=false
    if [[ $dest == */ ]] || [ ${#matches[@]} -gt 1 ] || [ -d "$sroot$dest" ]; then into=true; fi
    for m in "${matches[@]}"; do
      if [ -d "$m" ]; then
        mkdir -p "$sroot$dest"
        cp -a "$m/." "$sroot$dest/"
      elif $into; then
        mkdir -p "$sroot$dest"
        cp -a "$m" "$sroot$dest/"
      else
        mkdir -p "$(dirname "$sroot$dest")"
        cp -a "$m" "$sroot$dest"
      fi
    done
    echo "dockerfile-check: $kw $rest"
    ;;
  RUN)
    $last && die "RUN in the last stage is not supported here"
    [[ $rest == \[* ]] && die "RUN in JSON form is not supported here"
    [[ $rest == --* ]] && die "RUN $rest: options are not supported here"
    # The stage's own folders are under its folder here.
    cmd=$(ROOTS=$rootlist SROOT=$sroot perl -e '
      my $c = $ARGV[0];
      for my $r (split /\n/, $ENV{ROOTS}) {
        next if $r eq "";
        $c =~ s{(?<![^\s=:"\x27])\Q$r\E(?=[/\s"\x27;&|)]|$)}{$ENV{SROOT}$r}g;
      }
      print $c;' "$rest")
    echo "dockerfile-check: RUN $rest"
    (cd "$sroot$cwd" && env "${stage_env[@]}" GOTOOLCHAIN=local GOWORK=off sh -c "$cmd") ||
      die "RUN failed: $rest"
    ;;
  HEALTHCHECK)
    read -ra words <<<"$rest"
    while [[ ${words[0]} == --* ]]; do words=("${words[@]:1}"); done
    [ "${words[0]^^}" = CMD ] || die "HEALTHCHECK $rest: want CMD"
    json=${rest#*[Cc][Mm][Dd]}
    mapfile -t health < <(json_words "$json")
    ;;
  ENTRYPOINT)
    mapfile -t entrypoint < <(json_words "$rest")
    ;;
  VOLUME)
    read -ra words <<<"$rest"
    volumes+=("${words[@]}")
    ;;
  USER | EXPOSE | LABEL | CMD | STOPSIGNAL) ;;
  *) die "$kw: not supported here" ;;
  esac
done

# The last stage, against what the build stages made.
for kv in "${final_env[@]}"; do
  v=${kv#*=}
  [[ $v == /* ]] || continue
  mapped "$v" >/dev/null || die "ENV ${kv%%=*}=$v: nothing is copied there"
done
for v in "${volumes[@]}"; do
  v=${v#[\"\[]} v=${v%[\"\]]}
  mapped "$v" >/dev/null || die "VOLUME $v: nothing is copied there, so it would start empty and root-owned"
done
[ ${#entrypoint[@]} -ge 1 ] || die "no ENTRYPOINT"
bin=$(mapped "${entrypoint[0]}") || die "ENTRYPOINT ${entrypoint[0]}: nothing is copied there"
[ -x "$bin" ] || die "ENTRYPOINT ${entrypoint[0]}: not an executable"

# The image's environment, with its paths where they are here, and an
# address nobody listens on for the health check.
image_env=()
for kv in "${final_env[@]}"; do
  v=${kv#*=}
  if [[ $v == /* ]]; then v=$(mapped "$v"); fi
  image_env+=("${kv%%=*}=$v")
done
run_image() { env -i PATH="$PATH" HOME="$work" "${image_env[@]}" "$@"; }

echo "dockerfile-check: ${entrypoint[*]} version"
run_image "$bin" "${entrypoint[@]:1}" version || die "${entrypoint[*]} version failed"

[ ${#health[@]} -ge 1 ] || die "no HEALTHCHECK CMD"
hbin=$(mapped "${health[0]}") || die "HEALTHCHECK ${health[0]}: nothing is copied there"
set +e
out=$(run_image CITEBOT_ADDR=127.0.0.1:1 "$hbin" "${health[@]:1}" 2>&1)
rc=$?
set -e
echo "dockerfile-check: HEALTHCHECK ${health[*]} with nothing listening: exit $rc: $out"
[ "$rc" -eq 1 ] || die "HEALTHCHECK ${health[*]}: exit $rc with no server to ask, want 1 (unhealthy)"

echo "dockerfile-check: ${entrypoint[*]} index, in the image's environment"
run_image "$bin" "${entrypoint[@]:1}" index || die "${entrypoint[*]} index failed in the image's environment"
echo "dockerfile-check: ok"
