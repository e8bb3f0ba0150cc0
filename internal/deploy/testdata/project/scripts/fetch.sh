#!/bin/sh
set -eu
echo fetched
echo rows=500 >> "$GANTRY_OUTPUT"
