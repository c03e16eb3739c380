/* policysite site search (progressive enhancement).

   Without JavaScript the search page offers lists of topics and sections to
   browse, and the form stays hidden (a static site cannot answer it). With
   JavaScript this script shows the form and lists results as you type:

   - from Pagefind's full-text index (pagefind/pagefind.js, named by the
     data-pagefind-url attribute of #search-results), which fetches only the
     parts of the index for the words typed;
   - else (no WebAssembly, or a site built by `serve` without the index) from
     the small titles-and-descriptions index named by data-index-url.

   #search-results is a polite live region holding only the count, so a
   screen reader announces "3 results for ..." once typing pauses, not the
   whole list; the list goes in #search-hits. ?q= in the address is kept in
   step with the box, so a search can be shared and the back button works. */
(function () {
  "use strict";
  var status = document.getElementById("search-results");
  var hits = document.getElementById("search-hits");
  var input = document.getElementById("search-input");
  var form = input && input.form;
  if (!status || !hits || !form || !window.fetch || !window.Promise || !window.URLSearchParams) { return; }

  var LIMIT = 20;
  var DELAY = 250;
  var root = status.getAttribute("data-root") || "/";
  var engine = null;
  var latest = 0;
  var timer = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }
  function words(text) {
    return String(text || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }
  function safeUrl(url) {
    return typeof url === "string" && /^\/(?!\/)/.test(url) ? url : null;
  }

  /* Pagefind: its excerpt is text with <mark> around the words found. */
  function pagefindEngine() {
    var url = status.getAttribute("data-pagefind-url");
    if (!url || typeof WebAssembly !== "object") { return Promise.reject(new Error("no pagefind")); }
    return import(url).then(function (pagefind) {
      return Promise.resolve(pagefind.options({ baseUrl: root, excerptLength: 24 }))
        .then(function () { return pagefind.init ? pagefind.init() : null; })
        .then(function () {
          return function (query) {
            return pagefind.search(query).then(function (found) {
              var all = (found && found.results) || [];
              return Promise.all(all.slice(0, LIMIT).map(function (r) { return r.data(); })).then(function (data) {
                var items = data.map(function (d) {
                  var meta = d.meta || {};
                  return { title: meta.title || d.url, url: d.url, description: meta.description,
                           type: meta.type, excerpt: d.excerpt };
                });
                /* A page whose title is exactly what was typed comes first. */
                var wanted = words(query).join(" ");
                var exact = items.filter(function (i) { return words(i.title).join(" ") === wanted; });
                return { total: all.length, items: exact.concat(items.filter(function (i) { return exact.indexOf(i) === -1; })) };
              });
            });
          };
        });
    });
  }

  /* The small JSON index: every word typed must be in the title, description, type or topics. */
  function jsonEngine() {
    return fetch(status.getAttribute("data-index-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("index not found"); }
        return response.json();
      })
      .then(function (index) {
        var pages = Array.isArray(index) ? index : index && index.pages;
        if (!Array.isArray(pages)) { throw new Error("bad index"); }
        return function (query) {
          var terms = words(query);
          var scored = [];
          pages.forEach(function (doc) {
            if (!doc || typeof doc.title !== "string") { return; }
            var title = doc.title.toLowerCase();
            var rest = [doc.description, doc.type, (doc.topics || []).join(" ")].join(" ").toLowerCase();
            var score = 0;
            for (var i = 0; i < terms.length; i++) {
              var inTitle = title.indexOf(terms[i]) !== -1;
              if (!inTitle && rest.indexOf(terms[i]) === -1) { return; }
              score += inTitle ? 3 : 1;
            }
            if (title === terms.join(" ")) { score += 10; }
            scored.push({ doc: doc, score: score });
          });
          scored.sort(function (a, b) { return b.score - a.score || a.doc.title.localeCompare(b.doc.title); });
          return Promise.resolve({
            total: scored.length,
            items: scored.slice(0, LIMIT).map(function (hit) {
              return { title: hit.doc.title, url: hit.doc.url, description: hit.doc.description, type: hit.doc.type };
            })
          });
        };
      });
  }

  function getEngine() {
    if (!engine) {
      engine = pagefindEngine().catch(jsonEngine);
      engine.catch(function () { engine = null; });   // try again on the next search
    }
    return engine;
  }

  function excerpt(item) {
    /* Where the words were found in the page's text, when that is not its title or
       description (already shown). Only <mark> is kept; everything else becomes text. */
    var doc = new DOMParser().parseFromString("<body>" + String(item.excerpt) + "</body>", "text/html");
    var marked = [];
    doc.body.querySelectorAll("mark").forEach(function (m) { marked = marked.concat(words(m.textContent)); });
    var shown = words(item.title + " " + (item.description || ""));
    if (!marked.length || marked.every(function (w) { return shown.indexOf(w) !== -1; })) { return null; }
    var p = el("p", "document-list__excerpt");
    doc.body.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.nodeName === "MARK") {
        p.appendChild(el("mark", null, node.textContent));
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    p.insertBefore(document.createTextNode("\u2026 "), p.firstChild);
    p.appendChild(document.createTextNode(" \u2026"));
    return p;
  }

  function say(text) {
    status.textContent = "";
    if (text) { status.appendChild(el("p", null, text)); }
  }

  function show(query, found) {
    hits.textContent = "";
    var quoted = "\u201c" + query + "\u201d";
    if (!found.total) {
      say("No results for " + quoted + ". Check your spelling or use fewer words, or browse by topic or section below.");
      return;
    }
    var count = found.total + (found.total === 1 ? " result" : " results") + " for " + quoted;
    if (found.total > found.items.length) { count += ", showing the first " + found.items.length; }
    var list = el("ul", "document-list");
    found.items.forEach(function (item) {
      var url = safeUrl(item.url);
      if (!url) { return; }
      var li = el("li", "document-list__item");
      var link = el("a", "document-list__link", item.title);
      link.href = url;
      li.appendChild(link);
      if (item.type) { li.appendChild(el("p", "document-list__meta", item.type)); }
      if (item.description) { li.appendChild(el("p", "document-list__description", item.description)); }
      var context = item.excerpt ? excerpt(item) : null;
      if (context) { li.appendChild(context); }
      list.appendChild(li);
    });
    hits.appendChild(list);
    say(count);
  }

  function remember(query) {
    if (!window.history || !window.history.replaceState) { return; }
    var params = new URLSearchParams(window.location.search);
    if (query) { params.set("q", query); } else { params.delete("q"); }
    var search = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : "") + window.location.hash);
  }

  function run(raw) {
    var query = raw.trim();
    var ticket = ++latest;
    remember(query);
    if (!query) {
      say("");
      hits.textContent = "";
      return;
    }
    getEngine()
      .then(function (search) { return search(query); })
      .then(function (found) { if (ticket === latest) { show(query, found); } })
      .catch(function () {
        if (ticket === latest) {
          hits.textContent = "";
          say("Search is not available at the moment. You can browse by topic or section below.");
        }
      });
  }

  form.hidden = false;
  /* Start fetching the search code when the box is focused, not after the first word. */
  input.addEventListener("focus", function () { getEngine().catch(function () {}); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, DELAY);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value);
  });
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  if (initial.trim()) {
    input.value = initial;
    run(initial);
  }
})();
