#!/bin/sh
# extract.sh DATA_DIR — copy the day's orders export into the raw area.
#
# The "source system" is simulated: when the day's export does not exist yet
# it is generated deterministically from the date, as an upstream export job
# would. Create DATA_DIR/source/UNAVAILABLE to simulate a source outage.
set -eu

data_dir=${1:?usage: extract.sh DATA_DIR}
start=${GANTRY_INTERVAL_START:-$(date -u +%Y-%m-%dT00:00:00Z)}
out=${GANTRY_OUTPUT:-/dev/null}
day=$(printf '%s' "$start" | cut -c1-10)

case $day in
[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
*) echo "extract: bad interval start '$start'" >&2; exit 64 ;;
esac

src_dir=$data_dir/source
raw_dir=$data_dir/raw/date=$day
mkdir -p "$src_dir" "$raw_dir"

if [ -e "$src_dir/UNAVAILABLE" ]; then
	echo "extract: source unavailable ($src_dir/UNAVAILABLE exists); will be retried" >&2
	exit 75
fi

export_file=$src_dir/orders_$day.csv
if [ ! -s "$export_file" ]; then
	seed=$(printf '%s' "$day" | tr -d '-')
	awk -v day="$day" -v seed="$seed" 'BEGIN {
		srand(seed)
		n = 1200 + int(rand() * 300)
		print "order_id,customer_id,amount_cents,currency,created_at"
		for (i = 1; i <= n; i++) {
			printf "%s-%05d,c%04d,%d,EUR,%sT%02d:%02d:%02dZ\n", day, i, int(rand() * 5000), int(rand() * 20000), day, int(rand() * 24), int(rand() * 60), int(rand() * 60)
		}
	}' >"$export_file.tmp"
	mv "$export_file.tmp" "$export_file"
fi

cp "$export_file" "$raw_dir/orders.csv.tmp"
mv "$raw_dir/orders.csv.tmp" "$raw_dir/orders.csv"
rows=$(($(wc -l <"$raw_dir/orders.csv") - 1))
echo "extract: $rows orders for $day -> $raw_dir/orders.csv"
echo "rows=$rows" >>"$out"
echo "bytes=$(wc -c <"$raw_dir/orders.csv" | tr -d ' ')" >>"$out"
