#!/bin/sh
# teardown.sh TARGET DEPLOY_ROOT — stop a throwaway TARGET and remove what
# its deploy installed. Gantry runs it however the deploy and the smoke
# test ended, even when the run was cancelled, then removes the folder.
set -eu
target=${1:?usage: teardown.sh TARGET DEPLOY_ROOT}
root=${2:?usage: teardown.sh TARGET DEPLOY_ROOT}
live=$(cat "$root/$target/CURRENT" 2>/dev/null || echo nothing)
rm -rf "${root:?}/$target"
echo "teardown: ${GANTRY_ENV_NAME:-$target} stopped (it ran $live)"
