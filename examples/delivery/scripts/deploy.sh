#!/bin/sh
# deploy.sh TARGET DEPLOY_ROOT VERSION RUN_ID — install a built release
# into DEPLOY_ROOT/TARGET/releases and switch TARGET to it.
#
# DEPLOY_ROOT/TARGET/CURRENT names the live release; it is replaced by an
# atomic rename. The release it replaces is recorded in PREVIOUS so that
# `rollback.sh` can switch back. Re-running the same release is a no-op
# switch, so retries and replays are safe.
set -eu
target=${1:?usage: deploy.sh TARGET DEPLOY_ROOT VERSION RUN_ID}
root=${2:?usage: deploy.sh TARGET DEPLOY_ROOT VERSION RUN_ID}
version=${3:?usage: deploy.sh TARGET DEPLOY_ROOT VERSION RUN_ID}
run_id=${4:-0}
out=${GANTRY_OUTPUT:-/dev/null}

release=$version-$run_id
build=.gantry/build/$release
if [ ! -f "$build/MANIFEST" ]; then
	echo "deploy: no build at $build; run build first" >&2
	exit 66
fi
(cd "$build" && cksum hello.sh VERSION | cmp -s - MANIFEST) || {
	echo "deploy: $build does not match its MANIFEST; rebuild" >&2
	exit 65
}

if [ "$target" = prod ]; then
	# Promote only what staging is running and passes its smoke test.
	staged=$(cat "$root/staging/CURRENT" 2>/dev/null || true)
	if [ "$staged" != "$release" ]; then
		echo "deploy: staging runs '${staged:-nothing}', not $release; deploy staging first" >&2
		exit 1
	fi
fi

dir=$root/$target
mkdir -p "$dir/releases"
rm -rf "$dir/releases/$release"
cp -R "$build" "$dir/releases/$release"

# Smoke test the new release before switching traffic to it.
got=$("$dir/releases/$release/hello.sh" smoke)
if [ "$got" != "hello, smoke" ]; then
	echo "deploy: smoke test failed: got '$got'" >&2
	exit 1
fi

old=$(cat "$dir/CURRENT" 2>/dev/null || true)
if [ -n "$old" ] && [ "$old" != "$release" ]; then
	printf '%s\n' "$old" >"$dir/PREVIOUS.tmp"
	mv -f "$dir/PREVIOUS.tmp" "$dir/PREVIOUS"
fi
printf '%s\n' "$release" >"$dir/CURRENT.tmp"
mv -f "$dir/CURRENT.tmp" "$dir/CURRENT"
echo "deploy: $target now runs $release (was ${old:-nothing})"
echo "release=$release" >>"$out"
