#!/usr/bin/env bash
# The axios floor: runs the real-socket tests and the packed-package consumer tests against the
# oldest axios our peerDependencies admit (or the exact version given), in a scratch copy of the
# project, so that the suite's own axios (the devDependency) cannot hide what older axios does.
#
#   scripts/axios-floor.sh            # the floor of package.json's peerDependencies.axios
#   scripts/axios-floor.sh 1.12.2     # any exact version
#
# One mocha run, so its "N passing / N failing" summary is the one .ci/run counts. The packed
# package test builds lib/ against this axios's types (npm pack's prepack, ESM and CommonJS
# declarations both) and links the consumers' axios to this project's node_modules/axios, so
# its ESM, CommonJS and TypeScript consumers use this version too.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The tests that talk to real sockets, where axios's own adapter code runs; optional ones are
# used when present. Then the consumers of the packed package.
socket_tests=(test/axios/real-server.test.ts test/axios/faults.test.ts test/axios/adapters.test.ts test/axios/cooldown-real.test.ts test/axios/rate-limit.test.ts)
package_tests=(test/package.test.ts)
# Bounds, so a hung install or a leaked socket fails the run instead of stalling CI. (timeout's
# --foreground keeps Ctrl-C working when a person runs this.)
install_limit=240
test_limit=240
bounded() {
  local limit=$1
  shift
  timeout --foreground --kill-after=10 "$limit" "$@"
}

fail() {
  echo "axios-floor: $*" >&2
  exit 1
}

if [ $# -gt 0 ]; then
  version="$1"
else
  version=$(node -e '
    const range = require(process.argv[1]).peerDependencies?.axios ?? "";
    const floor = /\d+\.\d+\.\d+/.exec(range);
    if (!floor) { console.error(`no version in peerDependencies.axios "${range}"`); process.exit(1); }
    console.log(floor[0]);
  ' "$root/package.json") || fail "cannot read the floor from package.json"
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "give an exact axios version (x.y.z), not '$version'"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/axios-floor.XXXXXX") || fail "cannot make a scratch folder"
# The tests' own scratch folders (the packed package's consumers) go beside ours, not inside it:
# inside, Node would resolve the consumers' imports from our node_modules too, and a consumer
# that must run without a dev dependency (@opentelemetry/api) would find it there.
consumers=$(mktemp -d "${TMPDIR:-/tmp}/axios-floor-consumers.XXXXXX") || fail "cannot make a scratch folder"
trap 'rm -rf "$scratch" "$consumers"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What npm ci, the build (npm pack's prepack) and the tests read; never node_modules or dist.
for entry in lib test package.json package-lock.json tsconfig.json tsconfig.build.json tsconfig.cjs.json \
  .mocharc.json README.md LICENSE .npmrc; do
  if [ -e "$root/$entry" ]; then cp -R "$root/$entry" "$scratch/" || fail "cannot copy $entry"; fi
done
cd "$scratch" || fail "cannot enter $scratch"

echo "axios-floor: axios@$version in $scratch"
bounded "$install_limit" npm ci --no-audit --no-fund || fail "npm ci failed"
bounded "$install_limit" npm install --no-save --no-audit --no-fund "axios@$version" || fail "cannot install axios@$version"
installed=$(node -p 'require("./node_modules/axios/package.json").version') || fail "no axios installed"
[ "$installed" = "$version" ] || fail "asked for axios@$version, node_modules has axios@$installed"
echo "axios-floor: node_modules/axios is $installed"

# lib/ against this axios's types, as npm pack's build will compile it (ESM, then CommonJS, which
# reads axios's index.d.cts); shown here because the package test reports only that npm pack failed.
types=0
for config in tsconfig.build.json tsconfig.cjs.json; do
  echo "axios-floor: tsc -p $config --noEmit"
  node_modules/.bin/tsc -p "$config" --noEmit || types=1
done

tests=()
for file in "${socket_tests[@]}" "${package_tests[@]}"; do
  if [ -f "$file" ]; then tests+=("$file"); fi
done
[ ${#tests[@]} -gt 0 ] || fail "none of the tests to run is there"

# .mocharc.json without its "spec": mocha adds a config's spec to the files it is given.
node -e '
  const fs = require("node:fs");
  const config = JSON.parse(fs.readFileSync(".mocharc.json", "utf8"));
  delete config.spec;
  fs.writeFileSync(".mocharc.floor.json", JSON.stringify(config));
' || fail "cannot read .mocharc.json"

TMPDIR="$consumers" bounded "$test_limit" node_modules/.bin/mocha --config .mocharc.floor.json "${tests[@]}"
code=$?
[ "$code" -eq 124 ] && echo "axios-floor: the tests did not finish within ${test_limit}s" >&2
[ "$types" -eq 0 ] || echo "axios-floor: lib/ does not type-check against axios@$version (above)" >&2
if [ "$code" -eq 0 ] && [ "$types" -ne 0 ]; then code=1; fi
exit "$code"
