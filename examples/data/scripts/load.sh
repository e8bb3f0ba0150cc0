#!/bin/sh
# load.sh DATA_DIR — publish the staged day into the warehouse folder.
#
# The partition is replaced atomically (rename), so re-running a day —
# a retry, a replay or a backfill — leaves exactly one copy of it.
set -eu

data_dir=${1:?usage: load.sh DATA_DIR}
start=${GANTRY_INTERVAL_START:-$(date -u +%Y-%m-%dT00:00:00Z)}
out=${GANTRY_OUTPUT:-/dev/null}
day=$(printf '%s' "$start" | cut -c1-10)

staged=$data_dir/staged/date=$day/orders.csv
table_dir=$data_dir/warehouse/orders
partition=$table_dir/date=$day

if [ ! -s "$staged" ]; then
	echo "load: $staged is missing; run transform first" >&2
	exit 66
fi

mkdir -p "$table_dir"
tmp=$table_dir/.date=$day.tmp.$$
rm -rf "$tmp"
mkdir "$tmp"
cp "$staged" "$tmp/orders.csv"
rm -rf "$partition.old"
if [ -d "$partition" ]; then
	mv "$partition" "$partition.old"
fi
mv "$tmp" "$partition"
rm -rf "$partition.old"

rows=$(($(wc -l <"$partition/orders.csv") - 1))
date -u +%Y-%m-%dT%H:%M:%SZ >"$table_dir/_last_loaded"
echo "load: $rows rows -> $partition"
echo "rows=$rows" >>"$out"
