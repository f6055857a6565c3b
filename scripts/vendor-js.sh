#!/usr/bin/env bash
# Rebuild server/web/static/vendor/ from the npm registry: codemirror/ and d3/.
#
# - codemirror/: the query workbench's editor, CodeMirror 6 with the SPARQL mode of
#   @codemirror/legacy-modes, completion from @codemirror/autocomplete and error marks from
#   @codemirror/lint, bundled by esbuild into one IIFE exposing `window.CM`.
# - d3/: the workbench's node-link graph: d3-force (layout), d3-zoom and d3-drag (pan, zoom,
#   moving nodes) and d3-selection, bundled into one IIFE exposing `window.d3`.
#
# The app serves both files itself (no CDN). They are committed, so neither CI nor a deployment
# needs node; run this only to upgrade. Needs node and npm (registry access only).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$here/server/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

npm init -y >/dev/null
npm install --no-audit --no-fund --save-exact \
  codemirror@6.0.2 \
  @codemirror/state@6.7.6 \
  @codemirror/view@6.43.15 \
  @codemirror/language@6.13.1 \
  @codemirror/commands@6.11.1 \
  @codemirror/autocomplete@6.20.4 \
  @codemirror/lint@6.9.8 \
  @codemirror/legacy-modes@6.5.5 \
  d3-force@3.0.1 \
  d3-zoom@3.0.1 \
  d3-drag@3.0.1 \
  d3-selection@3.0.1 \
  esbuild@0.28.2

cat > codemirror.js <<'JS'
export { EditorState } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, placeholder } from "@codemirror/view";
export { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput, syntaxTree } from "@codemirror/language";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
export { setDiagnostics, lintGutter } from "@codemirror/lint";
export { sparql } from "@codemirror/legacy-modes/mode/sparql";
JS
cat > d3.js <<'JS'
export { forceSimulation, forceLink, forceManyBody, forceCenter, forceCollide, forceX, forceY } from "d3-force";
export { zoom, zoomIdentity } from "d3-zoom";
export { drag } from "d3-drag";
export { select } from "d3-selection";
JS

bundle() {  # bundle <entry> <global name> <output>
  npx esbuild "$1" --bundle --minify --format=iife --global-name="$2" \
    --legal-comments=none --target=es2020 --outfile="$3"
}
bundle codemirror.js CM codemirror.min.js
bundle d3.js d3 d3-graph.min.js

# list <folder> <package>...: "name@version (licence)" of each installed package
list() {
  node -e '
    const fs = require("fs");
    for (const name of process.argv.slice(1)) {
      try {
        const p = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`));
        console.log(`${p.name}@${p.version} (${p.license})`);
      } catch (e) {}
    }' "$@"
}

rm -rf "$vendor/codemirror" "$vendor/d3"
mkdir -p "$vendor/codemirror" "$vendor/d3"
cp codemirror.min.js "$vendor/codemirror/"
cp node_modules/@codemirror/view/LICENSE "$vendor/codemirror/LICENSE"
{
  echo "codemirror.min.js bundles these npm packages (all MIT, LICENSE beside this file):"
  list @codemirror/state @codemirror/view @codemirror/language @codemirror/commands @codemirror/autocomplete \
       @codemirror/lint @codemirror/legacy-modes @lezer/common @lezer/highlight @lezer/lr style-mod w3c-keyname \
       crelt @marijn/find-cluster-break
} > "$vendor/codemirror/PACKAGES.txt"

cp d3-graph.min.js "$vendor/d3/"
{
  echo "d3-force, d3-zoom, d3-drag, d3-selection, d3-quadtree, d3-dispatch, d3-timer, d3-interpolate,"
  echo "d3-transition, d3-color (ISC):"
  echo
  cat node_modules/d3-force/LICENSE
  echo
  echo "d3-ease (BSD-3-Clause):"
  echo
  cat node_modules/d3-ease/LICENSE
} > "$vendor/d3/LICENSE"
{
  echo "d3-graph.min.js bundles these npm packages (ISC, d3-ease BSD-3-Clause; both texts in LICENSE beside this file):"
  list d3-force d3-zoom d3-drag d3-selection d3-quadtree d3-dispatch d3-timer d3-interpolate d3-transition d3-color d3-ease
} > "$vendor/d3/PACKAGES.txt"
ls -l "$vendor/codemirror" "$vendor/d3"
