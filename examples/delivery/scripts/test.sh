#!/bin/sh
# test.sh — run the app's tests.
set -eu
out=${GANTRY_OUTPUT:-/dev/null}
./app/hello_test.sh
echo "tests=$(grep -c '^want=' app/hello_test.sh)" >>"$out"
