#!/bin/sh
# smoke.sh TARGET DEPLOY_ROOT — ask the live release of TARGET to greet
# "smoke"; fail unless it answers as it should.
set -eu
target=${1:?usage: smoke.sh TARGET DEPLOY_ROOT}
root=${2:?usage: smoke.sh TARGET DEPLOY_ROOT}
out=${GANTRY_OUTPUT:-/dev/null}
dir=$root/$target
live=$(cat "$dir/CURRENT" 2>/dev/null || true)
if [ -z "$live" ]; then
	echo "smoke: $target runs nothing" >&2
	exit 1
fi
got=$("$dir/releases/$live/hello.sh" smoke)
if [ "$got" != "hello, smoke" ]; then
	echo "smoke: $target ($live) answered '$got', want 'hello, smoke'" >&2
	exit 1
fi
echo "smoke: ${GANTRY_ENV_NAME:-$target} ($live) answers"
echo "smoke_ok=$live" >>"$out"
