#!/bin/sh
# hello_test.sh — the app's tests; exits non-zero on the first failure.
set -eu
here=$(dirname "$0")
fail=0
check() {
	got=$("$here/hello.sh" "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL: hello.sh $*: got '$got', want '$want'" >&2
		fail=1
	else
		echo "ok: hello.sh $*"
	fi
}
want='hello, world'; check
want='hello, gantry'; check gantry
want='hello, a b'; check 'a b'
exit $fail
