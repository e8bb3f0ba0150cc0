#!/bin/sh
# deploy.sh TARGET DEPLOY_ROOT RELEASE — install a built release into
# DEPLOY_ROOT/TARGET/releases and switch TARGET to it.
#
# DEPLOY_ROOT/TARGET/CURRENT names the live release; it is replaced by an
# atomic rename, and the release it replaces is recorded in PREVIOUS.
# A release already installed there (a rollback ships one again, without a
# new build) is switched to as it is. Re-running the same release is a
# no-op switch, so retries and replays are safe.
set -eu
target=${1:?usage: deploy.sh TARGET DEPLOY_ROOT RELEASE}
root=${2:?usage: deploy.sh TARGET DEPLOY_ROOT RELEASE}
release=${3:?usage: deploy.sh TARGET DEPLOY_ROOT RELEASE}
out=${GANTRY_OUTPUT:-/dev/null}

dir=$root/$target
build=.gantry/build/$release
mkdir -p "$dir/releases"
if [ -f "$build/MANIFEST" ]; then
	(cd "$build" && cksum hello.sh VERSION | cmp -s - MANIFEST) || {
		echo "deploy: $build does not match its MANIFEST; rebuild" >&2
		exit 65
	}
	rm -rf "$dir/releases/$release"
	cp -R "$build" "$dir/releases/$release"
elif [ ! -f "$dir/releases/$release/MANIFEST" ]; then
	echo "deploy: no build at $build and $target never ran $release; run build first" >&2
	exit 66
fi

old=$(cat "$dir/CURRENT" 2>/dev/null || true)
if [ -n "$old" ] && [ "$old" != "$release" ]; then
	printf '%s\n' "$old" >"$dir/PREVIOUS.tmp"
	mv -f "$dir/PREVIOUS.tmp" "$dir/PREVIOUS"
fi
printf '%s\n' "$release" >"$dir/CURRENT.tmp"
mv -f "$dir/CURRENT.tmp" "$dir/CURRENT"
echo "deploy: ${GANTRY_ENV_NAME:-$target} now runs $release (was ${old:-nothing})"
echo "release=$release" >>"$out"
