#!/bin/sh
# rollback.sh TARGET [DEPLOY_ROOT] — switch TARGET back to its previous
# release. Run by hand from the project folder; see runbooks/ship_app.md.
set -eu
target=${1:?usage: rollback.sh TARGET [DEPLOY_ROOT]}
root=${2:-.gantry/deploy}
dir=$root/$target
prev=$(cat "$dir/PREVIOUS" 2>/dev/null || true)
if [ -z "$prev" ] || [ ! -d "$dir/releases/$prev" ]; then
	echo "rollback: $dir has no previous release to return to" >&2
	exit 1
fi
cur=$(cat "$dir/CURRENT" 2>/dev/null || true)
printf '%s\n' "$prev" >"$dir/CURRENT.tmp"
mv -f "$dir/CURRENT.tmp" "$dir/CURRENT"
if [ -n "$cur" ]; then
	printf '%s\n' "$cur" >"$dir/PREVIOUS.tmp"
	mv -f "$dir/PREVIOUS.tmp" "$dir/PREVIOUS"
fi
echo "rollback: $target now runs $prev (was ${cur:-nothing})"
