// The query workbench: turns the query textarea into a SPARQL editor (CodeMirror 6, vendored in
// static/vendor/codemirror/, see static/vendor/README.md) with syntax highlighting, prefix completion
// and Ctrl/Cmd+Enter to run; keeps the "link to this query" box in step with the editor; copies it.
// Without JavaScript the page still works: the textarea is a plain form field.
// The page's Content-Security-Policy allows no inline script or style: CodeMirror's theme <style> elements
// carry the nonce the page hands this script (data-style-nonce), which the policy allows.
(function () {
  "use strict";
  var styleNonce = document.currentScript ? document.currentScript.dataset.styleNonce : "";
  var textarea = document.getElementById("query");
  var form = textarea && textarea.form;
  var share = document.getElementById("share-link");
  var copy = document.getElementById("copy-link");
  var status = document.getElementById("copy-status");
  if (!form || !textarea) return;

  function shareUrl(text) {
    var url = new URL(form.action, window.location.href);
    url.search = new URLSearchParams({ query: text, format: "html" }).toString();
    return url.toString();
  }

  // A query handed over in the fragment (#query=...) opens in the editor without being run.
  var hash = new URLSearchParams(window.location.hash.slice(1));
  if (hash.get("query")) textarea.value = hash.get("query");

  var getText = function () { return textarea.value; };

  if (window.CM) {
    var CM = window.CM;
    var prefixes = {};
    try { prefixes = JSON.parse(document.getElementById("prefixes").textContent); } catch (e) { /* none */ }
    var KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "PREFIX", "BASE",
      "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "COUNT", "CONSTRUCT", "DESCRIBE", "ASK", "VALUES",
      "BIND", "LANG", "STR", "CONTAINS", "STRSTARTS", "REGEX", "MINUS", "NOT EXISTS", "SERVICE", "AS"];

    function complete(context) {
      var line = context.state.doc.lineAt(context.pos);
      var before = line.text.slice(0, context.pos - line.from);
      var declaring = /^\s*PREFIX\s+([A-Za-z][\w-]*)?$/i.exec(before);
      var word = context.matchBefore(/[A-Za-z][\w-]*:?/);
      if (!word && !context.explicit && !declaring) return null;
      var from = word ? word.from : context.pos;
      var options = [];
      Object.keys(prefixes).forEach(function (name) {
        if (declaring) {
          options.push({ label: name + ": <" + prefixes[name] + ">", type: "namespace", detail: "PREFIX" });
        } else {
          options.push({ label: name + ":", type: "namespace", detail: prefixes[name] });
        }
      });
      if (!declaring) {
        KEYWORDS.forEach(function (k) { options.push({ label: k, type: "keyword" }); });
      }
      return { from: from, options: options, validFor: /^[\w-]*:?$/ };
    }

    var run = function () {
      textarea.value = view.state.doc.toString();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
      return true;
    };
    var label = document.querySelector('label[for="query"]');
    var view = new CM.EditorView({
      state: CM.EditorState.create({
        doc: textarea.value,
        extensions: [
          CM.lineNumbers(),
          CM.history(),
          CM.drawSelection(),
          CM.highlightActiveLine(),
          CM.bracketMatching(),
          CM.closeBrackets(),
          CM.indentOnInput(),
          CM.StreamLanguage.define(CM.sparql),
          CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
          CM.autocompletion({ override: [complete], activateOnTyping: true }),
          CM.keymap.of([{ key: "Mod-Enter", run: run }].concat(
            CM.closeBracketsKeymap, CM.defaultKeymap, CM.historyKeymap, CM.completionKeymap)),
          CM.EditorView.lineWrapping,
          styleNonce ? CM.EditorView.cspNonce.of(styleNonce) : [],
          CM.EditorView.contentAttributes.of({
            "aria-label": label ? label.textContent : "SPARQL",
            "aria-multiline": "true",
            id: "query-editor"
          }),
          CM.EditorView.updateListener.of(function (update) {
            if (update.docChanged) {
              textarea.value = update.state.doc.toString();
              if (share) share.value = shareUrl(textarea.value);
            }
          })
        ]
      })
    });
    textarea.hidden = true;
    textarea.parentNode.insertBefore(view.dom, textarea);
    if (label) label.setAttribute("for", "query-editor");
    getText = function () { return view.state.doc.toString(); };
    form.addEventListener("submit", function () { textarea.value = getText(); });
    window.workbenchEditor = view;
  } else {
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.submit(); }
    });
  }

  if (copy && share) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      share.value = shareUrl(getText());
      var done = function () { if (status) status.textContent = copy.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(share.value).then(done, function () { share.select(); });
      } else {
        share.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* the link stays selected */ }
      }
    });
  }
})();
