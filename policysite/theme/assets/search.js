/* policysite search hook (progressive enhancement).
   Reads ?q= from the address, loads the JSON index named by the
   data-index-url attribute of #search-results, and lists matches there.
   Expected index: an array of {title, url, description, type_label?, text?};
   `url` is used as given. If the index is missing or broken, nothing changes
   except a short message, and the browse lists on the page still work. */
(function () {
  "use strict";
  var results = document.getElementById("search-results");
  var input = document.getElementById("search-input");
  if (!results || !input || !window.fetch || !window.URLSearchParams) { return; }
  var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  if (!query) { return; }
  input.value = query;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }
  function message(text) {
    results.textContent = "";
    results.appendChild(el("p", null, text));
  }
  function words(text) {
    return String(text || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  fetch(results.getAttribute("data-index-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("index not found"); }
      return response.json();
    })
    .then(function (index) {
      if (!Array.isArray(index)) { throw new Error("bad index"); }
      var terms = words(query);
      var scored = [];
      index.forEach(function (doc) {
        if (!doc || typeof doc.url !== "string" || typeof doc.title !== "string") { return; }
        if (!/^(\/|https?:\/\/)/.test(doc.url)) { return; }
        var title = doc.title.toLowerCase();
        var rest = (String(doc.description || "") + " " + String(doc.text || "")).toLowerCase();
        var score = 0;
        for (var i = 0; i < terms.length; i++) {
          var inTitle = title.indexOf(terms[i]) !== -1;
          var inRest = rest.indexOf(terms[i]) !== -1;
          if (!inTitle && !inRest) { return; }
          score += (inTitle ? 3 : 0) + (inRest ? 1 : 0);
        }
        scored.push({ doc: doc, score: score });
      });
      scored.sort(function (a, b) { return b.score - a.score || a.doc.title.localeCompare(b.doc.title); });
      results.textContent = "";
      var heading = el("h2", null, scored.length + (scored.length === 1 ? " result" : " results") + " for \u201c" + query + "\u201d");
      results.appendChild(heading);
      if (!scored.length) {
        results.appendChild(el("p", null, "Check your spelling or use fewer words. You can also browse by topic or section below."));
        return;
      }
      var list = el("ul", "document-list");
      scored.slice(0, 50).forEach(function (hit) {
        var item = el("li", "document-list__item");
        var link = el("a", "document-list__link", hit.doc.title);
        link.href = hit.doc.url;
        item.appendChild(link);
        if (hit.doc.type_label) { item.appendChild(el("p", "document-list__meta", hit.doc.type_label)); }
        if (hit.doc.description) { item.appendChild(el("p", "document-list__description", hit.doc.description)); }
        list.appendChild(item);
      });
      results.appendChild(list);
    })
    .catch(function () {
      message("Search is not available at the moment. You can browse by topic or section below.");
    });
})();
