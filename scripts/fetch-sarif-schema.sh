#!/usr/bin/env bash
# Puts the SARIF 2.1.0 JSON schema where tests/sarif.rs reads it
# (target/sarif-schema/sarif-2.1.0.json), from the npm package
# @microsoft/jest-sarif, which ships it. Needs npm; run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/sarif-schema
[ -s "$dest/sarif-2.1.0.json" ] && exit 0
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$tmp"/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$tmp" package/lib/schemas/sarif-2.1.0-rtm.5.json
mv "$tmp"/package/lib/schemas/sarif-2.1.0-rtm.5.json "$dest/sarif-2.1.0.json"
