#!/usr/bin/env bash
# Rebuild server/web/static/vendor/codemirror/ from the npm registry.
#
# The query workbench's editor is CodeMirror 6 with the SPARQL mode of
# @codemirror/legacy-modes and prefix completion from @codemirror/autocomplete,
# bundled by esbuild into one file the app serves itself (no CDN). The built
# file is committed, so neither CI nor a deployment needs node; run this only
# to upgrade the editor. Needs node and npm (registry access only).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/server/web/static/vendor/codemirror"
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
  @codemirror/legacy-modes@6.5.5 \
  esbuild@0.28.2

cat > entry.js <<'JS'
export { EditorState } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, placeholder } from "@codemirror/view";
export { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput } from "@codemirror/language";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
export { sparql } from "@codemirror/legacy-modes/mode/sparql";
JS

npx esbuild entry.js --bundle --minify --format=iife --global-name=CM \
  --legal-comments=none --target=es2020 --outfile=codemirror.min.js

rm -rf "$dest"
mkdir -p "$dest"
cp codemirror.min.js "$dest/"
cp node_modules/@codemirror/view/LICENSE "$dest/LICENSE"
{
  echo "codemirror.min.js bundles these npm packages (all MIT, LICENSE beside this file):"
  node -e '
    const fs = require("fs");
    for (const name of ["@codemirror/state", "@codemirror/view", "@codemirror/language", "@codemirror/commands",
                        "@codemirror/autocomplete", "@codemirror/legacy-modes", "@lezer/common", "@lezer/highlight",
                        "@lezer/lr", "style-mod", "w3c-keyname", "crelt", "@marijn/find-cluster-break"]) {
      try {
        const p = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`));
        console.log(`${p.name}@${p.version} (${p.license})`);
      } catch (e) {}
    }'
} > "$dest/PACKAGES.txt"
ls -l "$dest"
