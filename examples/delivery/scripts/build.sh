#!/bin/sh
# build.sh VERSION RUN_ID — package app/ into an immutable release folder
# .gantry/build/VERSION-RUN_ID with a checksum manifest.
set -eu
version=${1:?usage: build.sh VERSION RUN_ID}
run_id=${2:-0}
out=${GANTRY_OUTPUT:-/dev/null}

release=$version-$run_id
dest=.gantry/build/$release
tmp=.gantry/build/.$release.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cp app/hello.sh "$tmp/"
printf '%s\n' "$release" >"$tmp/VERSION"
(cd "$tmp" && cksum hello.sh VERSION >MANIFEST)
rm -rf "$dest"
mv "$tmp" "$dest"
echo "build: $dest"
echo "release=$release" >>"$out"
echo "bytes=$(cat "$dest"/* | wc -c | tr -d ' ')" >>"$out"
# A content digest of the artefact, as an image digest would be.
if command -v sha256sum >/dev/null 2>&1; then
	digest=sha256:$(cat "$dest/hello.sh" "$dest/VERSION" | sha256sum | cut -c1-64)
else
	digest=cksum:$(cat "$dest/hello.sh" "$dest/VERSION" | cksum | cut -d' ' -f1)
fi
echo "digest=$digest" >>"$out"
