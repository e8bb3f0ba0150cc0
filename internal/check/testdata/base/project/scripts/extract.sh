#!/bin/sh
set -eu
cp raw.csv "extract-$1.csv"
