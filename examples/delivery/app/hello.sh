#!/bin/sh
# hello.sh [NAME] — the example app: greets NAME (default: world).
set -eu
name=${1:-world}
printf 'hello, %s\n' "$name"
