/* policysite site search (progressive enhancement).

   Without JavaScript the search page offers lists of topics and sections to
   browse, and the form stays hidden (a static site cannot answer it). With
   JavaScript this script shows the form and lists results as you type:

   - from the site's full-text index in search/ (written by `build`, see
     policysite/search.py), named by the data-search-url attribute of
     #search-results. A search downloads the small manifest, one file of
     terms per word typed, and the page details of the results it shows;
     every file is fetched once and kept for the next search;
   - else (a site previewed with `serve`, which does not write that index)
     from the small titles-and-descriptions index named by data-index-url.

   #search-results is a polite live region holding only the count, so a
   screen reader announces "3 results for ..." once typing pauses, not the
   whole list; the list goes in #search-hits. ?q= in the address is kept in
   step with the box, so a search can be shared and the back button works.

   Results come LIMIT at a time. Below them a "Show more results" button adds
   the next LIMIT, announces "Showing 40 of 57 results ..." in the live region
   and moves focus to the first new result, so a keyboard user carries on
   reading where the list grew. Each result shows its type, its date (or the
   date it was updated) and its status: withdrawn, or the previous
   government it was published under. The indexes hold only those facts;
   every word this script shows comes from the JSON in #search-words, which
   the search page's layout writes from the theme's strings table in the
   page's language; a page without it keeps the form hidden.

   The word rules (fold, words, stem) are the same as in policysite/search.py;
   tests run both over one list of words. Under Node (for those tests) this
   file exports them and the index engine instead of touching the page. */
(function () {
  "use strict";

  var LIMIT = 20;
  var FORMAT = 2;
  var SCORE_BITS = 6;

  /* -- words: the same steps as policysite/search.py ----------------------- */

  var LETTERS = { "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i" };

  /* Lower case without accents: NFKD, lower case, combining marks dropped, LETTERS replaced. */
  function fold(text) {
    return String(text || "").normalize("NFKD").toLowerCase().replace(/\p{M}/gu, "")
      .replace(/[ßæœøđðłþı]/g, function (c) { return LETTERS[c]; });
  }

  /* The words of a text, folded: runs of Unicode letters and digits. */
  function words(text) {
    return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  var MIN_STEM = 3;
  function vowel(c) { return "aeiouy".indexOf(c) !== -1; }
  function hasVowel(text) { return /[aeiouy]/.test(text); }

  /* The light English stemmer; its rules are explained in policysite/search.py. */
  function stem(word) {
    if (word.length <= MIN_STEM || !/^[a-z]+$/.test(word)) { return word; }
    var n = word.length;
    /* 1: inflections */
    if (/(ies|ied)$/.test(word)) {
      if (n - 2 >= MIN_STEM) { word = word.slice(0, -2); }
    } else if (/ing$/.test(word)) {
      if (n - 3 >= MIN_STEM && hasVowel(word.slice(0, -3))) { word = word.slice(0, -3); }
    } else if (/ed$/.test(word)) {
      if (n - 2 >= MIN_STEM && word.charAt(n - 3) !== "e" && hasVowel(word.slice(0, -2))) { word = word.slice(0, -2); }
    } else if (/s$/.test(word)) {
      if (n - 1 >= MIN_STEM && "sui".indexOf(word.charAt(n - 2)) === -1) { word = word.slice(0, -1); }
    }
    /* 2: final y or e */
    n = word.length;
    if (n > MIN_STEM) {
      if (word.charAt(n - 1) === "y" && !vowel(word.charAt(n - 2))) {
        word = word.slice(0, -1) + "i";
      } else if (word.charAt(n - 1) === "e") {
        word = word.slice(0, -1);
      }
    }
    /* 3: double consonant */
    n = word.length;
    if (n > MIN_STEM && word.charAt(n - 1) === word.charAt(n - 2) && !vowel(word.charAt(n - 1))) {
      word = word.slice(0, -1);
    }
    return word;
  }

  /* Endings the stemmer removes after a stem: a last word typed as far as
     "inequalitie" or "planni" already finds "inequaliti" and "plan". */
  var ENDINGS = ["s", "e", "es", "ed", "ing"];
  function typingEnding(term, typed) {
    if (typed.length <= term.length || typed.slice(0, term.length) !== term) { return false; }
    var rest = typed.slice(term.length);
    var doubled = rest.charAt(0) === term.charAt(term.length - 1) ? rest.slice(1) : null;
    return ENDINGS.some(function (ending) {
      return ending.indexOf(rest) === 0 || (doubled !== null && ending.indexOf(doubled) === 0);
    });
  }

  function chars(text) { return Array.from(text); }
  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  /* A term file's name: the key when it is plain a-z and 0-9, else "_" and each
     character's code point in hex (as chunk_file in policysite/search.py). */
  function chunkFile(key) {
    if (/^[a-z0-9]+$/.test(key)) { return key + ".json"; }
    return chars(key).map(function (c) { return "_" + c.codePointAt(0).toString(16); }).join("") + ".json";
  }

  /* -- the full-text index -------------------------------------------------

     folder: the index's URL, ending in "/"; load(url, fresh): a promise of the
     JSON at url (fresh: check with the server even if cached). */
  function indexEngine(folder, load) {
    return load(folder + "index.json", true).then(function (manifest) {
      if (!manifest || manifest.version !== FORMAT || !Array.isArray(manifest.terms)) { throw new Error("unknown index"); }
      var keys = new Set(manifest.terms);
      var longest = manifest.terms.reduce(function (most, key) { return Math.max(most, chars(key).length); }, 1);
      var version = "?v=" + encodeURIComponent(manifest.id);
      var files = new Map();

      function file(path) {
        if (!files.has(path)) {
          var loading = load(folder + path + version, false);
          files.set(path, loading);
          loading.catch(function () { files.delete(path); });   // try again on the next search
        }
        return files.get(path);
      }
      /* The key of the file that holds a term: the longest key the term starts with. */
      function keyOf(term) {
        var letters = chars(term);
        for (var n = Math.min(letters.length, longest); n > 0; n--) {
          var key = letters.slice(0, n).join("");
          if (keys.has(key)) { return key; }
        }
        return null;
      }
      /* page number -> score of the terms that `match` accepts in the given files (the best one on a page). */
      function postings(wantedKeys, match) {
        var list = [];
        wantedKeys.forEach(function (key) { if (key !== null && list.indexOf(key) === -1) { list.push(key); } });
        return Promise.all(list.map(function (key) { return file("terms/" + chunkFile(key)); })).then(function (chunks) {
          var found = new Map();
          chunks.forEach(function (chunk) {
            Object.keys(chunk).forEach(function (term) {
              if (!match(term)) { return; }
              var page = 0;
              chunk[term].forEach(function (value) {
                var score = value % (1 << SCORE_BITS);
                page += (value - score) / (1 << SCORE_BITS);
                if (!(found.get(page) >= score)) { found.set(page, score); }
              });
            });
          });
          return found;
        });
      }
      function exact(word) {
        var term = stem(word);
        return postings([keyOf(term)], function (t) { return t === term; });
      }
      /* The last word may be unfinished: terms that start with it match too. */
      function prefix(word) {
        var term = stem(word);
        var wantedKeys = [keyOf(word), keyOf(term)];
        for (var cut = 1; cut <= 4 && cut < word.length; cut++) { wantedKeys.push(keyOf(word.slice(0, -cut))); }
        manifest.terms.forEach(function (key) { if (key.length > word.length && key.indexOf(word) === 0) { wantedKeys.push(key); } });
        return postings(wantedKeys, function (t) { return t === term || t.indexOf(word) === 0 || typingEnding(t, word); });
      }
      var statuses = Array.isArray(manifest.statuses) ? manifest.statuses : [];
      /* A page file's row: [url, title, type, description, date, updated, status number, lang]. */
      function details(numbers) {
        return Promise.all(numbers.map(function (n) {
          return file("pages/" + Math.floor(n / manifest.pageGroup) + ".json").then(function (group) {
            var d = group[n % manifest.pageGroup] || [];
            var item = { url: d[0], title: d[1], type: d[2], description: d[3], date: d[4], updated: d[5],
                         status: d[6] ? statuses[d[6] - 1] || "" : "" };
            if (d[7]) { item.lang = d[7]; }   /* a translated page's language */
            return item;
          });
        }));
      }

      return function (query) {
        var typed = words(query);
        if (!typed.length) { return Promise.resolve(results([], null)); }
        var last = typed.length - 1;
        return Promise.all(typed.map(function (word, i) {
          /* A one-letter last word is taken as it is: as a start, it would need a file for every term. */
          return i === last && chars(word).length > 1 ? prefix(word) : exact(word);
        })).then(function (found) {
          found.sort(function (a, b) { return a.size - b.size; });
          var ranked = [];
          found[0].forEach(function (score, page) {
            for (var i = 1; i < found.length; i++) {
              if (!found[i].has(page)) { return; }
              score += found[i].get(page);
            }
            ranked.push([page, score]);
          });
          ranked.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
          var numbers = ranked.map(function (r) { return r[0]; });
          var found = results(numbers, function (start, end) { return details(numbers.slice(start, end)); });
          return found.slice(0, LIMIT).then(function (items) {
            found.items = exactTitleFirst(items, typed);
            return found;
          });
        });
      };
    });
  }

  /* What an engine answers: the total, the first LIMIT items, and slice(start,
     end), a promise of the items from start to end (fetching their details
     only then). */
  function results(list, fetch) {
    return {
      total: list.length,
      items: [],
      slice: function (start, end) { return fetch && start < list.length ? fetch(start, Math.min(end, list.length)) : Promise.resolve([]); }
    };
  }

  /* A page whose title is exactly what was typed comes first. */
  function exactTitleFirst(items, typed) {
    var wanted = typed.join(" ");
    var exact = items.filter(function (i) { return words(i.title).join(" ") === wanted; });
    return exact.concat(items.filter(function (i) { return exact.indexOf(i) === -1; }));
  }

  /* The small JSON index: every word typed must be in the title, description, type or topics. */
  function jsonEngine(url, load) {
    return load(url, false).then(function (index) {
      var pages = Array.isArray(index) ? index : index && index.pages;
      if (!Array.isArray(pages)) { throw new Error("bad index"); }
      return function (query) {
        var terms = words(query);
        var scored = [];
        pages.forEach(function (doc) {
          if (!doc || typeof doc.title !== "string") { return; }
          var title = fold(doc.title);
          var rest = fold([doc.description, doc.type, (doc.topics || []).join(" ")].join(" "));
          var score = 0;
          for (var i = 0; i < terms.length; i++) {
            var inTitle = title.indexOf(terms[i]) !== -1;
            if (!inTitle && rest.indexOf(terms[i]) === -1) { return; }
            score += inTitle ? 3 : 1;
          }
          if (words(doc.title).join(" ") === terms.join(" ")) { score += 10; }
          scored.push({ doc: doc, score: score });
        });
        scored.sort(function (a, b) { return b.score - a.score || a.doc.title.localeCompare(b.doc.title); });
        var items = scored.map(function (hit) {
          var d = hit.doc;
          var item = { title: d.title, url: d.url, description: d.description, type: d.type,
                       date: d.date, updated: d.updated, status: d.status };
          if (d.lang) { item.lang = d.lang; }
          return item;
        });
        var found = results(items, function (start, end) { return Promise.resolve(items.slice(start, end)); });
        found.items = items.slice(0, LIMIT);
        return Promise.resolve(found);
      };
    });
  }

  /* -- words shown: the theme's strings, as the search page gives them ------ */

  /* text(key, values): the page's wording of `key` (a strings table: key -> text), with each {name} replaced. */
  function wording(strings) {
    return function (key, values) {
      var text = has(strings, key) && typeof strings[key] === "string" ? strings[key] : key;
      return text.replace(/\{(\w+)\}/g, function (whole, name) {
        return values && has(values, name) ? String(values[name]) : whole;
      });
    };
  }

  /* "2008-11-06" as GOV.UK writes it, with the page's month names: "6 November 2008" ("" for anything else). */
  function longDate(iso, text) {
    var months = text("months").split(/\s+/);
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typeof iso === "string" ? iso : "");
    return m && months.length === 12 && months[+m[2] - 1] ? (+m[3]) + " " + months[+m[2] - 1] + " " + m[1] : "";
  }

  /* The words of a result's status: withdrawn, then the earlier government. */
  function statusWords(status, text) {
    var out = [];
    if (status && typeof status === "object") {
      if (status.withdrawn === true) { out.push(text("withdrawn")); }
      if (typeof status.government === "string" && status.government) {
        out.push(text("previous_government", { government: status.government }));
      }
    }
    return out;
  }

  var lib = { fold: fold, words: words, stem: stem, chunkFile: chunkFile, indexEngine: indexEngine, jsonEngine: jsonEngine,
              longDate: longDate, wording: wording, statusWords: statusWords, LIMIT: LIMIT };
  if (typeof module === "object" && module.exports) { module.exports = lib; }
  if (typeof document === "undefined") { return; }

  /* -- the search page ------------------------------------------------------ */

  var status = document.getElementById("search-results");
  var hits = document.getElementById("search-hits");
  var input = document.getElementById("search-input");
  var form = input && input.form;
  if (!status || !hits || !form || !window.fetch || !window.Promise || !window.URLSearchParams ||
      !window.Map || !window.Set || !Array.from || !String.prototype.normalize) { return; }

  var strings = null;
  var wordsElement = document.getElementById("search-words");
  try { strings = wordsElement ? JSON.parse(wordsElement.textContent) : null; } catch (e) { strings = null; }
  if (!strings || typeof strings !== "object") { return; }
  var text = wording(strings);

  var DELAY = 250;
  var engine = null;
  var latest = 0;
  var timer = null;

  function load(url, fresh) {
    return fetch(url, { credentials: "same-origin", cache: fresh ? "no-cache" : "default" }).then(function (response) {
      if (!response.ok) { throw new Error(url + ": " + response.status); }
      return response.json();
    });
  }

  function getEngine() {
    if (!engine) {
      var full = status.getAttribute("data-search-url");
      engine = (full ? indexEngine(full, load) : Promise.reject(new Error("no index")))
        .catch(function () { return jsonEngine(status.getAttribute("data-index-url"), load); });
      engine.catch(function () { engine = null; });   // try again on the next search
    }
    return engine;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }
  function safeUrl(url) {
    return typeof url === "string" && /^\/(?!\/)/.test(url) ? url : null;
  }

  function say(text) {
    status.textContent = "";
    if (text) { status.appendChild(el("p", null, text)); }
  }

  /* One result: its link, then type, date and status, then its description. */
  function resultItem(item) {
    var url = safeUrl(item.url);
    if (!url || typeof item.title !== "string") { return null; }
    var li = el("li", "document-list__item");
    var link = el("a", "document-list__link", item.title);
    link.href = url;
    /* A translated page's title and description are in its language; the rest is the search page's. */
    var lang = typeof item.lang === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(item.lang) ? item.lang : "";
    if (lang) { link.setAttribute("lang", lang); link.setAttribute("hreflang", lang); }
    li.appendChild(link);
    var meta = [];
    if (item.type) { meta.push(el("span", null, String(item.type))); }
    var published = longDate(item.date, text), updated = longDate(item.updated, text);
    if (updated || published) {
      var time = el("time", null, updated ? text("search_updated", { date: updated }) : published);
      time.setAttribute("datetime", updated ? item.updated : item.date);
      meta.push(time);
    }
    statusWords(item.status, text).forEach(function (words) { meta.push(el("strong", "document-list__status", words)); });
    if (meta.length) {
      var line = el("p", "document-list__meta");
      meta.forEach(function (part, i) {
        if (i) {
          var dot = el("span", null, " \u00b7 ");
          dot.setAttribute("aria-hidden", "true");
          line.appendChild(dot);
        }
        line.appendChild(part);
      });
      li.appendChild(line);
    }
    if (item.description) {
      var description = el("p", "document-list__description", String(item.description));
      if (lang) { description.setAttribute("lang", lang); }
      li.appendChild(description);
    }
    return li;
  }

  function counted(found, shown, query) {
    if (shown < found.total) { return text("search_showing", { shown: shown, count: found.total, query: query }); }
    return text(found.total === 1 ? "search_results_one" : "search_results_many", { count: found.total, query: query });
  }

  function show(query, found, ticket) {
    hits.textContent = "";
    if (!found.total) {
      say(text("search_no_results", { query: query }));
      return;
    }
    var list = el("ul", "document-list");
    var shown = 0;
    function append(items) {
      var first = null;
      items.forEach(function (item) {
        var li = resultItem(item);
        if (!li) { return; }
        list.appendChild(li);
        first = first || li;
      });
      shown += items.length;
      return first;
    }
    append(found.items);
    hits.appendChild(list);
    var more = el("button", "button button--secondary search-more");
    more.type = "button";
    function label() {
      var next = Math.min(LIMIT, found.total - shown);
      more.textContent = text(next === 1 ? "search_show_more_one" : "search_show_more_many", { count: next });
      /* Removed, not hidden, when all are shown: the theme's button style would override `hidden`. */
      if (shown >= found.total && more.parentNode) { more.parentNode.removeChild(more); }
    }
    more.addEventListener("click", function () {
      more.disabled = true;
      found.slice(shown, shown + LIMIT).then(function (items) {
        if (ticket !== latest) { return; }
        var first = append(items);
        more.disabled = false;
        label();
        say(counted(found, shown, query));
        /* Focus the first new result, so reading (and tabbing) goes on from there. */
        var link = first && first.querySelector("a");
        if (link) { link.focus(); } else if (!more.parentNode) { input.focus(); }
      }).catch(function () {
        more.disabled = false;
        if (ticket === latest) { say(text("search_more_unavailable")); }
      });
    });
    hits.appendChild(more);
    label();
    say(counted(found, shown, query));
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
      .then(function (found) { if (ticket === latest) { show(query, found, ticket); } })
      .catch(function () {
        if (ticket === latest) {
          hits.textContent = "";
          say(text("search_unavailable"));
        }
      });
  }

  form.hidden = false;
  /* Fetch the index's manifest when the box is focused, not after the first word. */
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
