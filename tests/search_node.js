/* Runs policysite/theme/assets/search.js under Node for tests/test_search.py.

   Reads one JSON request on stdin and writes one JSON answer on stdout:
     {"words": [text, ...]}   -> {"words": [[word, ...], ...], "stems": [stem, ...]}
                                 (words(text) of each text; stem(text) of each text)
     {"site": FOLDER, "root": "/", "queries": [q, ...], "more": false}
                              -> {"results": [{total, urls, items, fetched, rest}, ...]}
        runs each query with the full-text engine on the built site in FOLDER,
        reading files from disk as a browser would fetch them from `root`;
        `fetched` lists the files each query read that earlier ones had not.
        With "more", `rest` holds the URLs of the results after the first
        ones, fetched a page of results at a time as "Show more" does.
     {"strings": {key: text}, "shown": [{status, date}, ...]}
                              -> {"shown": [{"status": [words], "date": text}, ...]}
        what a result says of its status and date, in those strings' words. */
"use strict";
const fs = require("fs");
const path = require("path");
const search = require(path.join(__dirname, "..", "policysite", "theme", "assets", "search.js"));

function main(request) {
  if (request.words) {
    return {
      words: request.words.map((text) => search.words(text)),
      stems: request.words.map((text) => search.stem(text)),
    };
  }
  if (request.shown) {
    const text = search.wording(request.strings);
    return { shown: request.shown.map((item) => ({ status: search.statusWords(item.status, text),
                                                   date: search.longDate(item.date, text) })) };
  }
  const root = request.root || "/";
  let fetched = [];
  function load(url) {
    if (!url.startsWith(root)) { return Promise.reject(new Error("outside the site: " + url)); }
    const rel = url.slice(root.length).split("?")[0];
    fetched.push(rel);
    return fs.promises.readFile(path.join(request.site, rel), "utf8").then(JSON.parse);
  }
  return search.indexEngine(root + "search/", load).then(async (engine) => {
    const results = [];
    for (const query of request.queries) {
      fetched = [];
      const found = await engine(query);
      const result = { total: found.total, urls: found.items.map((i) => i.url), items: found.items, fetched };
      if (request.more) {
        result.rest = [];
        for (let start = found.items.length; start < found.total; start += search.LIMIT) {
          result.rest.push(...(await found.slice(start, start + search.LIMIT)).map((i) => i.url));
        }
      }
      results.push(result);
    }
    return { results };
  });
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  Promise.resolve(main(JSON.parse(input))).then(
    (answer) => { process.stdout.write(JSON.stringify(answer)); },
    (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
});
