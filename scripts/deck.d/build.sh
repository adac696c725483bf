#!/usr/bin/env bash
# Builds the pinned decK (versions.json "deck") from the Go module proxy into
# ${COEXIST_CACHE:-$HOME/.cache/coexist}/deck/<version>/bin/deck.
#   build.sh ensure   build when missing (idempotent); print the binary's path on stdout
#   build.sh path     print the path; exit 1 when it is not built yet
# Progress goes to stderr, the Go output to build.log beside the binary.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=$(sed -n 's/^ *"deck": *"\([^"]*\)".*/\1/p' "$root/versions.json")
if [[ -z $version ]]; then
  echo "scripts/deck: versions.json has no \"deck\" key; fix: add e.g. \"deck\": \"v1.55.0\"" >&2
  exit 1
fi
dir="${COEXIST_CACHE:-$HOME/.cache/coexist}/deck/$version"
bin="$dir/bin/deck"

say() { echo "[deck $(date +%H:%M:%S)] $*" >&2; }

usable() { [[ -x $bin ]] && "$bin" version 2>/dev/null | grep -q "$version"; }

build() {
  if ! command -v go >/dev/null 2>&1; then
    echo "scripts/deck: decK $version is built from source with Go, and \`go\` is not on PATH." >&2
    echo "  Fix: install Go (https://go.dev/doc/install; any recent release: an older one fetches the toolchain decK needs" >&2
    echo "  from the Go module proxy), then rerun. Cache: $dir" >&2
    exit 1
  fi
  mkdir -p "$dir"
  local log="$dir/build.log" work
  work=$(mktemp -d "$dir/work.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  say "building decK $version from the Go module proxy ($(go version | cut -d' ' -f3)); takes a few minutes the first time; log: $log"
  (
    set -euo pipefail
    cd "$work"
    # decK honours go.mod `replace` lines that `go install pkg@version` refuses, so it is built
    # from a throwaway module that carries them over.
    export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS="${GOFLAGS:-} -mod=mod"
    go mod init coexist.local/deck-build
    echo "== 1/4 fetch github.com/kong/deck@$version"
    src=$(go mod download -json "github.com/kong/deck@$version" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir ?? "")')
    [[ -d $src ]] || { echo "module source not found after download"; exit 1; }
    echo "== 2/4 pin dependencies to decK's own go.sum and replace directives"
    # decK's go.sum is verified through the checksum database with decK itself, so its lines
    # vouch for dependencies the checksum database may not answer for directly.
    cp "$src/go.sum" go.sum
    go mod edit -json "$src/go.mod" | node -e '
      const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const at = (v) => v.Path + (v.Version ? "@" + v.Version : "");
      for (const r of m.Replace ?? []) console.log(at(r.Old) + "=" + at(r.New));' |
      while read -r rep; do
        echo "replace $rep"
        go mod edit -replace "$rep"
      done
    echo "== 3/4 resolve the module graph"
    go get -tool "github.com/kong/deck@$version"
    echo "== 4/4 compile"
    GOBIN="$work/bin" go install -ldflags "-X github.com/kong/deck/cmd.VERSION=$version" github.com/kong/deck
  ) >"$log" 2>&1 &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && say "still building ($((SECONDS - start))s): $(grep '^== ' "$log" | tail -1 | cut -c4-)"
  done
  if ! wait "$pid"; then
    echo "scripts/deck: building decK $version failed; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  mkdir -p "$dir/bin"
  mv -f "$work/bin/deck" "$bin"
  say "built $bin in $((SECONDS - start))s"
}

case "${1:-ensure}" in
  path)
    echo "$bin"
    usable
    ;;
  ensure)
    if ! usable; then
      mkdir -p "$dir"
      # Parallel callers (tests) wait for one build instead of racing.
      exec 9>"$dir/.lock"
      flock 9
      usable || build
    fi
    echo "$bin"
    ;;
  *)
    echo "usage: $0 ensure|path" >&2
    exit 2
    ;;
esac
