// The query workbench: turns the query textarea into a SPARQL editor (CodeMirror 6, vendored in
// static/vendor/codemirror/, see static/vendor/README.md) with syntax highlighting, Ctrl/Cmd+Enter to run,
// and completion of
//   - prefixes (the endpoint's predefined ones, from the page),
//   - classes and properties of the ontology by prefixed name or by their ja/en labels (/api/vocabulary),
//   - resources by label (/api/search, as the site's search box finds them),
// never inside a comment, a string or an IRI. A syntax error the server reported (under the editor, with
// its line and column) is marked in the editor. The queries run are kept in this browser (localStorage,
// the last 50) in a history list that runs, edits or clears them. It keeps the "link to this query" box
// in step with the editor and copies it.
// Without JavaScript the page still works: the textarea is a plain form field, the error is in the page.
// The page's Content-Security-Policy allows no inline script or style: CodeMirror's theme <style> elements
// carry the nonce the page hands this script (data-style-nonce), which the policy allows.
(function () {
  "use strict";
  var script = document.currentScript;
  var styleNonce = script ? script.dataset.styleNonce : "";
  var vocabularyUrl = script ? script.dataset.vocabulary : "";
  var searchUrl = script ? script.dataset.search : "";
  var textarea = document.getElementById("query");
  var form = textarea && textarea.form;
  var share = document.getElementById("share-link");
  var copy = document.getElementById("copy-link");
  var status = document.getElementById("copy-status");
  if (!form || !textarea) return;
  var lang = document.documentElement.lang || "en";

  function readJson(id) {
    var element = document.getElementById(id);
    try { return element ? JSON.parse(element.textContent) : {}; } catch (e) { return {}; }
  }
  var strings = readJson("workbench-strings");

  function runUrl(text) {
    var url = new URL(form.action, window.location.href);
    url.search = new URLSearchParams({ query: text, format: "html" }).toString();
    return url.toString();
  }

  // A query handed over in the fragment (#query=...) opens in the editor without being run.
  var hash = new URLSearchParams(window.location.hash.slice(1));
  if (hash.get("query")) textarea.value = hash.get("query");

  var getText = function () { return textarea.value; };
  var setText = function (text) { textarea.value = text; };

  // --- History: the last 50 queries run, newest first, in this browser only. ---
  var HISTORY_KEY = "mic-lod.workbench.history";
  var HISTORY_MAX = 50;
  function readHistory() {
    try {
      var list = JSON.parse(window.localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (e) { return e && typeof e.query === "string"; }) : [];
    } catch (e) { return []; }
  }
  function writeHistory(list) {
    try { window.localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_MAX))); } catch (e) { /* full or off */ }
  }
  function remember(text) {
    if (!text.trim()) return;
    var list = readHistory().filter(function (e) { return e.query !== text; });
    list.unshift({ query: text, at: new Date().toISOString() });
    writeHistory(list);
  }
  function showHistory() {
    var section = document.getElementById("history");
    var list = document.getElementById("history-list");
    if (!section || !list) return;
    var entries = readHistory();
    section.hidden = false;
    list.textContent = "";
    document.getElementById("history-empty").hidden = entries.length > 0;
    document.getElementById("history-clear").hidden = entries.length === 0;
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var run = document.createElement("a");
      run.className = "button secondary";
      run.href = runUrl(entry.query);
      run.textContent = strings.wb_history_run || "Run";
      var edit = document.createElement("button");
      edit.type = "button";
      edit.className = "secondary";
      edit.textContent = strings.wb_history_edit || "Edit";
      edit.addEventListener("click", function () { setText(entry.query); });
      var code = document.createElement("code");
      code.textContent = entry.query;
      code.title = entry.query;
      var when = document.createElement("small");
      when.textContent = new Date(entry.at).toLocaleString(lang);
      item.append(run, " ", edit, " ", when, code);
      list.appendChild(item);
    });
  }
  var clear = document.getElementById("history-clear");
  if (clear) clear.addEventListener("click", function () { writeHistory([]); showHistory(); });
  form.addEventListener("submit", function () { textarea.value = getText(); remember(textarea.value); });
  showHistory();

  if (window.CM) {
    var CM = window.CM;
    var prefixes = readJson("prefixes");
    var KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "PREFIX", "BASE",
      "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "COUNT", "CONSTRUCT", "DESCRIBE", "ASK", "VALUES",
      "BIND", "LANG", "STR", "CONTAINS", "STRSTARTS", "REGEX", "MINUS", "NOT EXISTS", "SERVICE", "AS"];

    // The ontology's classes and properties, fetched once, when completion first needs them.
    var vocabulary = null;
    function loadVocabulary() {
      if (!vocabulary) {
        vocabulary = fetch(vocabularyUrl, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { classes: [], properties: [] }; })
          .catch(function () { return { classes: [], properties: [] }; });
      }
      return vocabulary;
    }

    // Whether `pos` is inside a comment, a string or an IRI <...>, where nothing is completed.
    function quiet(state, pos) {
      var node = CM.syntaxTree(state).resolveInner(pos, -1);
      for (; node; node = node.parent) {
        if (/comment|string/i.test(node.name)) return true;
      }
      var line = state.doc.lineAt(pos);
      var before = line.text.slice(0, pos - line.from);
      var outside = before.replace(/<[^<>\s]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "");
      return /#/.test(outside) || /"|'/.test(outside) || /<[^<>\s]*$/.test(outside);
    }

    function termLabel(term) {
      var labels = term.labels || {};
      var first = labels[lang] || labels.en || labels.ja || "";
      var second = lang === "ja" ? labels.en : labels.ja;
      return second && second !== first ? first + " / " + second : first;
    }
    function termApply(term) { return term.name || "<" + term.id + ">"; }

    function complete(context) {
      if (quiet(context.state, context.pos)) return null;
      var line = context.state.doc.lineAt(context.pos);
      var before = line.text.slice(0, context.pos - line.from);
      var declaring = /^\s*PREFIX\s+([A-Za-z][\w-]*)?$/i.exec(before);
      var word = context.matchBefore(/[\p{L}\p{N}_][\p{L}\p{N}_.\-]*:?[\p{L}\p{N}_.\-]*/u);
      if (word && /[?$]$/.test(before.slice(0, word.from - line.from))) return null; // a variable
      if (!word && !context.explicit && !declaring) return null;
      var from = word ? word.from : context.pos;
      var typed = word ? word.text : "";
      var options = [];
      Object.keys(prefixes).forEach(function (name) {
        if (declaring) {
          options.push({ label: name + ": <" + prefixes[name] + ">", type: "namespace", detail: "PREFIX" });
        } else {
          options.push({ label: name + ":", type: "namespace", detail: prefixes[name] });
        }
      });
      if (declaring) return { from: from, options: options };
      KEYWORDS.forEach(function (k) { options.push({ label: k, type: "keyword" }); });
      return loadVocabulary().then(function (vocab) {
        var folded = typed.toLowerCase();
        [["classes", "class", strings.wb_class], ["properties", "property", strings.wb_property]].forEach(function (kind) {
          (vocab[kind[0]] || []).forEach(function (term) {
            var name = termApply(term);
            var label = termLabel(term);
            // By prefixed name as typed, or by a label that holds what was typed (組織 finds org:Organization).
            var byLabel = folded.length >= 2 && folded.indexOf(":") < 0 && label.toLowerCase().indexOf(folded) >= 0;
            if (byLabel) {
              options.push({ label: label, apply: name, type: kind[1], detail: name + " · " + kind[2], boost: 1 });
            }
            options.push({ label: name, type: kind[1], detail: label + " · " + kind[2] });
          });
        });
        return { from: from, options: options, validFor: /^[\p{L}\p{N}_.\-]*:?[\p{L}\p{N}_.\-]*$/u };
      });
    }

    // Resources by label, from the search index (two characters or more, not a prefixed name).
    function completeEntities(context) {
      if (quiet(context.state, context.pos)) return null;
      var word = context.matchBefore(/[\p{L}\p{N}_][\p{L}\p{N}_\-]*/u);
      if (!word || word.text.length < 2) return null;
      var line = context.state.doc.lineAt(context.pos);
      var left = line.text.slice(0, word.from - line.from);
      if (/[?$:]$/.test(left) || /^\s*PREFIX\b/i.test(left)) return null;
      var url = new URL(searchUrl, window.location.href);
      url.search = new URLSearchParams({ q: word.text, lang: lang, limit: "8" }).toString();
      return fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (found) {
          var options = (found.results || []).map(function (hit) {
            return {
              label: hit.label || hit.id,
              apply: "<" + hit.id + ">",
              type: "variable",
              detail: (hit.id.split("/id/")[1] || hit.id) + " · " + (strings.wb_entity || "resource"),
              boost: -1
            };
          });
          return { from: word.from, options: options, filter: false };
        })
        .catch(function () { return null; });
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
          CM.lintGutter(),
          CM.history(),
          CM.drawSelection(),
          CM.highlightActiveLine(),
          CM.bracketMatching(),
          CM.closeBrackets(),
          CM.indentOnInput(),
          CM.StreamLanguage.define(CM.sparql),
          CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
          CM.autocompletion({ override: [complete, completeEntities], activateOnTyping: true }),
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
              if (share) share.value = runUrl(textarea.value);
            }
          })
        ]
      })
    });
    textarea.hidden = true;
    textarea.parentNode.insertBefore(view.dom, textarea);
    if (label) label.setAttribute("for", "query-editor");
    getText = function () { return view.state.doc.toString(); };
    setText = function (text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      view.focus();
    };
    window.workbenchEditor = view;

    // The server's syntax error, marked where it says: line and column count characters from 1.
    var error = document.getElementById("query-error");
    if (error && error.dataset.line) {
      var lineNumber = Math.min(parseInt(error.dataset.line, 10), view.state.doc.lines);
      var errorLine = view.state.doc.line(Math.max(lineNumber, 1));
      var chars = Array.from(errorLine.text).slice(0, parseInt(error.dataset.column, 10) - 1).join("");
      var from = errorLine.from + chars.length;
      var to = Math.min(from + 1, errorLine.to);
      if (to <= from) from = Math.max(errorLine.from, errorLine.to - 1);
      var message = error.querySelector("strong").textContent + " " + error.querySelector(".detail").textContent;
      view.dispatch(CM.setDiagnostics(view.state, [{ from: from, to: Math.max(to, from), severity: "error", message: message }]));
      view.dispatch({ selection: { anchor: from }, scrollIntoView: true });
    }
  } else {
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
    });
  }

  if (copy && share) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      share.value = runUrl(getText());
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
