#!/bin/sh
# transform.sh DATA_DIR MIN_AMOUNT_CENTS — validate the raw export's schema,
# drop test orders and bad rows, and convert amounts to decimal euros.
set -eu

data_dir=${1:?usage: transform.sh DATA_DIR MIN_AMOUNT_CENTS}
min_amount=${2:-1}
start=${GANTRY_INTERVAL_START:-$(date -u +%Y-%m-%dT00:00:00Z)}
out=${GANTRY_OUTPUT:-/dev/null}
day=$(printf '%s' "$start" | cut -c1-10)

raw=$data_dir/raw/date=$day/orders.csv
stage_dir=$data_dir/staged/date=$day
expected='order_id,customer_id,amount_cents,currency,created_at'

if [ ! -s "$raw" ]; then
	echo "transform: $raw is missing; run extract first" >&2
	exit 66
fi

header=$(head -n 1 "$raw" | tr -d '\r')
if [ "$header" != "$expected" ]; then
	echo "transform: schema drift in $raw" >&2
	echo "  expected: $expected" >&2
	echo "  found:    $header" >&2
	exit 65
fi

mkdir -p "$stage_dir"
awk -F, -v min="$min_amount" -v rejects="$stage_dir/rejected.csv.tmp" '
	NR == 1 { print "order_id,customer_id,amount_eur,currency,created_at"; next }
	NF != 5 || $3 !~ /^[0-9]+$/ || $1 == "" { print > rejects; next }
	$3 + 0 < min + 0 { next }
	{ printf "%s,%s,%d.%02d,%s,%s\n", $1, $2, int($3 / 100), $3 % 100, $4, $5 }
' "$raw" >"$stage_dir/orders.csv.tmp"
touch "$stage_dir/rejected.csv.tmp"
mv "$stage_dir/rejected.csv.tmp" "$stage_dir/rejected.csv"
mv "$stage_dir/orders.csv.tmp" "$stage_dir/orders.csv"

rows=$(($(wc -l <"$stage_dir/orders.csv") - 1))
rejected=$(wc -l <"$stage_dir/rejected.csv" | tr -d ' ')
echo "transform: $rows rows kept, $rejected rejected -> $stage_dir/orders.csv"
echo "rows=$rows" >>"$out"
echo "rejected=$rejected" >>"$out"
