#!/bin/sh
# lint.sh — syntax-check every shell script and reject trailing whitespace.
set -eu
out=${GANTRY_OUTPUT:-/dev/null}
n=0
for f in app/*.sh scripts/*.sh; do
	sh -n "$f"
	if grep -n '[[:space:]]$' "$f" >&2; then
		echo "lint: trailing whitespace in $f" >&2
		exit 1
	fi
	n=$((n + 1))
done
echo "lint: $n files clean"
echo "files=$n" >>"$out"
