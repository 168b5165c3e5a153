#!/usr/bin/env bash
# Copy the front-end packages npm installed into app/static/vendor/ (git-ignored), served locally (no CDN).
# Layout (templates rely on these paths):
#   vendor/bootstrap/{bootstrap.min.css,bootstrap.bundle.min.js}
#   vendor/bpmn-js/{bpmn-viewer,bpmn-navigated-viewer,bpmn-modeler}.production.min.js + assets/{bpmn-js.css,diagram-js.css,bpmn-font/}
#   vendor/dmn-js/{dmn-viewer,dmn-navigated-viewer,dmn-modeler}.production.min.js + assets/{*.css,dmn-font/}
#   vendor/properties-panel/{properties-panel.css,bpmn-js-properties-panel.umd.js}
#   vendor/modeler.bundle.js (app/static/js/modeler/index.js bundled by esbuild)
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules
out=app/static/vendor
[ -d "$src/bpmn-js" ] || { echo "vendor.sh: run 'npm ci' first" >&2; exit 1; }

rm -rf "$out.tmp"
mkdir -p "$out.tmp"/{bootstrap,bpmn-js,dmn-js,properties-panel}

cp "$src/bootstrap/dist/css/bootstrap.min.css" "$src/bootstrap/dist/js/bootstrap.bundle.min.js" \
  "$out.tmp/bootstrap/"

for kind in viewer navigated-viewer modeler; do
  cp "$src/bpmn-js/dist/bpmn-$kind.production.min.js" "$out.tmp/bpmn-js/"
  cp "$src/dmn-js/dist/dmn-$kind.production.min.js" "$out.tmp/dmn-js/"
done
cp -R "$src/bpmn-js/dist/assets" "$out.tmp/bpmn-js/assets"
cp -R "$src/dmn-js/dist/assets" "$out.tmp/dmn-js/assets"

cp "$src/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$out.tmp/properties-panel/"
cp "$src/bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js" "$out.tmp/properties-panel/"

# The administrators' modeler (bpmn-js + properties panel + our ERFlow provider) is ESM: bundle it.
"$src/.bin/esbuild" app/static/js/modeler/index.js --bundle --minify --format=iife --target=es2019 \
  --log-level=warning --outfile="$out.tmp/modeler.bundle.js"

# Source maps are referenced by the minified files but not shipped: drop the comments so browsers don't ask.
find "$out.tmp" -name '*.map' -delete
find "$out.tmp" \( -name '*.js' -o -name '*.css' \) -exec sed -i -E '/^\/[/*][#@] sourceMappingURL=/d' {} +

rm -rf "$out"
mv "$out.tmp" "$out"
echo "vendor assets copied to $out ($(du -sh "$out" | cut -f1))"
