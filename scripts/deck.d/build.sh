#!/usr/bin/env bash
# The pinned decK (versions.json "deck"), built from the Go module proxy by scripts/toolchain
# (one recipe and one cache for every Go tool: ${COEXIST_CACHE:-~/.cache/coexist}/tools/deck/).
#   build.sh ensure   build when missing (idempotent; parallel callers wait for one build);
#                     print the binary's path on stdout
#   build.sh path     print the path; exit 1 when it is not built yet
# Progress goes to stderr, the Go output to build.log in the tool's cache dir.
set -euo pipefail

toolchain="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/toolchain"

case "${1:-ensure}" in
  path)
    # `toolchain path` prints the bin dir, then fails when the tool is not built yet.
    if dir=$("$toolchain" path deck); then echo "$dir/deck"; else echo "$dir/deck"; exit 1; fi
    ;;
  ensure)
    line=$("$toolchain" ensure deck)
    echo "${line#deck }/deck"
    ;;
  *)
    echo "usage: $0 ensure|path" >&2
    exit 2
    ;;
esac
