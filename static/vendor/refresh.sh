#!/usr/bin/env bash
# Re-vendor the chart libraries into static/vendor/ from the npm registry.
# Why vendored: the site serves every script itself (no CDN, CSP 'self'), and the
# minified builds are plain files, so `make serve` needs no Node at all.
# Usage: static/vendor/refresh.sh   (edit VERSIONS below to upgrade; then run the
# browser tests, which check that charts still draw under the site's CSP).
set -euo pipefail
VERSIONS=("vega@6.4.0" "vega-lite@6.5.0" "vega-embed@7.3.0")
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for spec in "${VERSIONS[@]}"; do
  name="${spec%@*}"
  # npm pack checks the tarball against the registry's published integrity hash.
  tarball="$(npm pack "$spec" --silent)"
  mkdir -p "$name" && tar xzf "$tarball" -C "$name"
  cp "$name/package/build/$name.min.js" "$here/$name.min.js"
  cp "$name/package/LICENSE" "$here/LICENSE-$name"
done
cd "$here"
sha256sum vega.min.js vega-lite.min.js vega-embed.min.js > SHA256SUMS
echo "Vendored ${VERSIONS[*]} into $here"
