"""The full-text search index (policysite/search.py) and the engine in
assets/search.js that reads it: words, the stemmer (the same in Python and in
JavaScript, checked with Node), the files written, and queries run by the
JavaScript engine under Node on built sites."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, build_ok, page, read_tree, run

from policysite import search
from policysite.model import Page

NODE_SCRIPT = Path(__file__).resolve().parent / "search_node.js"

# Texts whose words are easy to get wrong: accents, letters NFKD does not
# decompose, compatibility characters, other scripts, marks, digits, joiners.
TRICKY = [
    "Café naïve mañana Ågård", "Straße STRASSE ẞ", "Œuvre Æsir Ørsted Łódź Þór Đorđe", "İstanbul ı",
    "ﬁnance ﬀ ﬆ", "Ｆｕｌｌｗｉｄｔｈ １２３", "x² ½ ① ™ ℡ Ⅻ ¼ ٣", "ΟΔΟΣ οδός Σίσυφος", "Москва",
    "日本語テキスト", "한국어", "العربية", "हिन्दी", "e\u0301cole", "a_b don't co-operate NHS’s",
    "£275 10% 2006–08", "ǅ ǆ Ǆ ŉ", "👍🏽 a\u200db soft\u00adhyphen", "  ", "", "HEALTH Inequalities",
]


def node(request: dict) -> dict:
    """Run tests/search_node.js with `request`; Node is needed (CI has it: npm runs there)."""
    exe = shutil.which("node")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip("node is not installed")
    proc = subprocess.run([exe, str(NODE_SCRIPT)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def query(site_out: Path, *queries: str, root: str = "/") -> list[dict]:
    """Each query run by search.js's full-text engine on a built site: {total, urls, items, fetched}."""
    return node({"site": str(site_out), "root": root, "queries": list(queries)})["results"]


# ---- words --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Health inequalities", ["health", "inequalities"]),
    ("The NHS’s 2006–08 update: 10% (£275m)", ["the", "nhs", "s", "2006", "08", "update", "10", "275m"]),
    ("Café, naïve, ÉCOLE", ["cafe", "naive", "ecole"]),
    ("Straße Œuvre Łódź", ["strasse", "oeuvre", "lodz"]),
    ("ﬁnance Ｆｕｌｌ x²", ["finance", "full", "x2"]),
    ("snake_case co-operate", ["snake", "case", "co", "operate"]),
    ("Москва 日本語", ["москва", "日本語"]),
    ("", []),
])
def test_words_are_folded_runs_of_letters_and_digits(text, expected):
    assert search.words(text) == expected


@pytest.mark.parametrize("text", TRICKY)
def test_quick_words_are_the_plain_definition(text):
    # _tokens skips NFKD for text whose letters are all ASCII after folding: the same words.
    assert search.words(text) == re.findall(r"[^\W_]+", search.fold(text))


# ---- the stemmer ----------------------------------------------------------------------

@pytest.mark.parametrize("group", [
    ["inequality", "inequalities"],
    ["service", "services", "serviced", "servicing"],
    ["plan", "plans", "planned", "planning"],
    ["policy", "policies"],
    ["study", "studies", "studied", "studying"],
    ["include", "includes", "included", "including"],
    ["class", "classes"],
    ["programme", "programmes", "program"],
    ["fund", "funds", "funded", "funding"],
    ["care", "cares", "cared", "caring"],
    ["community", "communities"],
])
def test_forms_of_a_word_share_a_stem(group):
    assert len({search.stem(w) for w in group}) == 1, {w: search.stem(w) for w in group}


@pytest.mark.parametrize("word, expected", [
    ("inequalities", "inequaliti"), ("policy", "polici"), ("police", "polic"), ("planning", "plan"),
    ("services", "servic"), ("health", "health"), ("status", "status"), ("analysis", "analysis"),
    ("need", "need"), ("agreed", "agreed"), ("bring", "bring"), ("string", "string"), ("ties", "ties"),
    ("news", "new"), ("staff", "staf"), ("days", "day"),
    # short words, digits and other scripts stay as they are
    ("the", "the"), ("uses", "use"), ("2010s", "2010s"), ("naïve", "naïve"), ("москва", "москва"),
])
def test_stems(word, expected):
    assert search.stem(word) == expected


def test_police_is_not_policy():
    assert search.stem("police") != search.stem("policy")


def _word_list() -> list[str]:
    """Every word of the example site and the README, and the tricky texts' words."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "content").rglob("*.md")))
    text += (REPO / "README.md").read_text(encoding="utf-8")
    found = sorted(set(search.words(text)) | {w for t in TRICKY for w in search.words(t)})
    # and endings the rules treat apart
    found += ["ies", "ied", "ing", "eed", "ss", "sss", "yy", "ayy", "boxes", "buses", "crises", "seeing",
              "agreeing", "hopping", "fitted", "dying", "lying", "eyes", "ays", "aaaing", "xyzzy"]
    return found


def test_javascript_words_and_stems_are_the_same_as_python():
    texts = TRICKY + _word_list()
    answer = node({"words": texts})
    assert answer["words"] == [search.words(t) for t in texts]
    mismatched = {t: (s, search.stem(t)) for t, s in zip(texts, answer["stems"], strict=True) if s != search.stem(t)}
    assert not mismatched, mismatched
    assert len(texts) > 500   # the parity is checked on real text, not a handful of words


# ---- the index files ------------------------------------------------------------------

SITE = {
    "content/policy/_index.md": page("Policy", None),
    "content/policy/inequalities.md": page(
        "Health inequalities", "How we narrow the gap.", extra="type: policy\ntopics: [public-health]",
        body="Inequalities start early. Inequality lasts.\n\n%Quarterly figures are late.%\n\n"
             "[The report](files/report.pdf) and [more](other.md).\n"),
    "content/policy/other.md": page("Other plans", "Planning for later.", body="We planned a new service.\n"),
    "content/policy/files/report.pdf": b"%PDF-1.4",
    "content/news/story.md": page("A story", "Nothing to see.", extra="aliases: [/old-story/]",
                                  body="Health services and zanzibarian wombats.\n"),
}


@pytest.fixture
def site_out(make_site):
    return build_ok(make_site(SITE))


def index_files(out: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_tree(out).items() if k.startswith("search/") and k != "search/index.html"}


def terms_in(out: Path) -> dict[str, list[tuple[int, int]]]:
    """term -> [(page number, score)] from every term file."""
    found = {}
    for path in sorted((out / "search" / "terms").iterdir()):
        for term, values in json.loads(path.read_text(encoding="utf-8")).items():
            number, pairs = 0, []
            for value in values:
                number += value >> search.SCORE_BITS
                pairs.append((number, value & ((1 << search.SCORE_BITS) - 1)))
            found[term] = pairs
    return found


def pages_in(out: Path) -> list[list[str]]:
    manifest = json.loads((out / "search" / "index.json").read_text())
    pages = []
    for n in range((manifest["pages"] + manifest["pageGroup"] - 1) // manifest["pageGroup"]):
        pages += json.loads((out / "search" / "pages" / f"{n}.json").read_text(encoding="utf-8"))
    assert len(pages) == manifest["pages"]
    return pages


def test_manifest_and_page_files(site_out):
    manifest = json.loads((site_out / "search" / "index.json").read_text())
    assert manifest["version"] == search.FORMAT and re.fullmatch(r"[0-9a-f]{16}", manifest["id"])
    # Pages in address order; not the search page, the 404 page or redirects.
    urls = [p[0] for p in pages_in(site_out)]
    assert urls == sorted(urls)
    assert "/search/" not in urls and "/404.html" not in urls and "/old-story/" not in urls
    assert {"/", "/policy/", "/policy/inequalities/", "/news/", "/topics/public-health/"} <= set(urls)
    assert ["/policy/inequalities/", "Health inequalities", "Policy paper", "How we narrow the gap."] in pages_in(site_out)
    assert pages_in(site_out)[urls.index("/topics/public-health/")][:3] == ["/topics/public-health/", "Public health", "Topic"]
    # Every term file the manifest names is there, and no other.
    on_disk = sorted(p.name for p in (site_out / "search" / "terms").iterdir())
    assert on_disk == sorted(search.chunk_file(k) for k in manifest["terms"])
    # Compact JSON: no spaces between tokens, UTF-8 rather than escapes.
    for rel, data in index_files(site_out).items():
        assert data == json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":")).encode(), rel


def test_postings_and_scores(site_out):
    urls = [p[0] for p in pages_in(site_out)]
    terms = terms_in(site_out)
    page_of = lambda url: urls.index(url)   # noqa: E731
    inequalities, story = page_of("/policy/inequalities/"), page_of("/news/story/")
    # "inequalities" and "inequality" are one term: twice in the body, and in the title.
    assert (inequalities, 2 + search.TITLE_BONUS) in terms["inequaliti"]
    # "health": in the title, and the topic's name (a label); once in the story's body.
    assert (inequalities, search.TITLE_BONUS + search.LABEL_BONUS) in terms["health"]
    assert (story, 1) in terms["health"]
    assert (page_of("/policy/other/"), search.TITLE_BONUS + search.DESCRIPTION_BONUS + 1) in terms["plan"]
    # Page numbers ascend in every list.
    for term, pairs in terms.items():
        assert [n for n, _ in pairs] == sorted({n for n, _ in pairs}), term
    # Only text the editor wrote: no "Warning:" before a callout, no "(PDF, 8 bytes)" after a link.
    assert "warn" not in terms and "pdf" not in terms and "quarterli" in terms
    # The body of a page is not indexed under the section that lists it.
    assert {n for n, _ in terms["zanzibarian"]} == {story}


def test_index_is_the_same_bytes_every_time(make_site):
    site = make_site(SITE)
    first = index_files(build_ok(site, "--no-cache"))
    second = index_files(build_ok(site, "--no-cache"))
    assert first and first == second


def test_index_is_reused_only_while_nothing_it_reads_changes(make_site):
    site = make_site(SITE)
    manifest = build_ok(site) / "search" / "index.json"
    first = manifest.stat().st_ino
    # Nothing changed: the last build's files are linked in, not made again.
    assert (build_ok(site) / "search" / "index.json").stat().st_ino == first
    # A page's words changed: the index is made again, and has the new word.
    story = site / "content/news/story.md"
    story.write_text(story.read_text() + "\nQuokkas too.\n")
    out = build_ok(site)
    assert (out / "search" / "index.json").stat().st_ino != first
    assert "quokka" in terms_in(out)
    incremental = index_files(out)
    assert incremental == index_files(build_ok(site, "--no-cache"))


def test_check_and_serve_do_not_write_the_index(make_site, tmp_path):
    from policysite.builder import Builder, BuildOptions, FolderSink
    from policysite.cache import BuildCache
    site = make_site(SITE)
    assert run("check", site, "--strict").code == 0
    assert not (site / "_site").exists()
    folder = tmp_path / "served"
    folder.mkdir()
    result = Builder(BuildOptions(site_dir=site, output=folder), BuildCache()).run(FolderSink(folder))
    assert result.ok
    assert (folder / "search" / "index.html").is_file() and (folder / "search-index.json").is_file()
    assert not (folder / "search" / "index.json").exists()


def test_big_term_files_are_split_by_one_more_letter(monkeypatch):
    monkeypatch.setattr(search, "CHUNK_BYTES", 200)
    index = search.IndexBuilder()
    body = " ".join(f"health{c} heal{c}ing he" for c in "abcdefghij")
    for n in range(30):
        index.add(f"/p{n:02}/", f"Page {n}", "", "", [], body + " hello")
    terms = len(index.postings)
    files = index.files()
    manifest = json.loads(files["search/index.json"])
    keys = manifest["terms"]
    assert "he" in keys and any(len(k) > 3 for k in keys)
    seen = set()
    for key in keys:
        chunk = json.loads(files[f"search/terms/{search.chunk_file(key)}"])
        for term in chunk:
            # A term is in the file of the longest key it starts with.
            assert key == max((k for k in keys if term.startswith(k)), key=len), (term, key)
            seen.add(term)
    assert {"he", "hello", "healtha", "heala"} <= seen
    assert len(seen) == terms


def test_chunk_file_names():
    assert search.chunk_file("he") == "he.json"
    assert search.chunk_file("2a") == "2a.json"
    assert search.chunk_file("мо") == "_43c_43e.json"
    assert search.chunk_file("日") == "_65e5.json"


# ---- queries, run by search.js under Node ------------------------------------------

def test_all_words_must_match(site_out):
    both, none, one = query(site_out, "health inequalities", "health quokka", "zanzibarian")
    # The policy page and the topic of the same name (from the default site_config.yaml).
    assert sorted(both["urls"]) == ["/policy/inequalities/", "/topics/health-inequalities/"] and both["total"] == 2
    assert none["total"] == 0 and none["urls"] == []
    assert one["urls"] == ["/news/story/"] and one["total"] == 1
    assert one["items"][0] == {"url": "/news/story/", "title": "A story", "type": "", "description": "Nothing to see.",
                               "status": ""}


def test_ranked_by_score_with_the_exact_title_first(make_site):
    out = build_ok(make_site({
        "content/a.md": page("Wombats", "Small.", body="A wombat.\n"),
        "content/b.md": page("Wombats and their care", "Wombats at home.", body="Wombats. " * 12 + "\n"),
        "content/c.md": page("Other", "Other.", body="Wombats. " * 12 + "\n"),
        "content/d.md": page("Last", "Other.", body="One wombat.\n"),
    }))
    (found,) = query(out, "wombats")
    # b: title, description and the body (counted up to 10 times); c: the body; d: once.
    # a has the least but its title is exactly the words typed.
    assert found["urls"] == ["/a/", "/b/", "/c/", "/d/"]


def test_the_last_word_may_be_unfinished(site_out):
    for typed in ("inequalit", "inequalitie", "health inequ", "Health Inequalities"):
        (found,) = query(site_out, typed)
        assert "/policy/inequalities/" in found["urls"], typed
    planning, planni, plant = query(site_out, "planning", "planni", "plant")
    assert planning["urls"] == planni["urls"] == ["/policy/other/"]
    assert plant["total"] == 0
    # Only the last word: an unfinished first word finds nothing.
    (first,) = query(site_out, "inequalit health")
    assert first["total"] == 0


def test_a_query_fetches_only_the_files_it_needs(site_out):
    manifest = json.loads((site_out / "search" / "index.json").read_text())
    urls = [p[0] for p in pages_in(site_out)]
    first, again, other = query(site_out, "health inequalities", "health inequalities", "zanzibarian")
    terms = [f for f in first["fetched"] if f.startswith("search/terms/")]
    assert sorted(terms) == ["search/terms/he.json", "search/terms/in.json"]
    groups = {f"search/pages/{urls.index(u) // manifest['pageGroup']}.json" for u in first["urls"]}
    assert sorted(f for f in first["fetched"] if f.startswith("search/pages/")) == sorted(groups)
    assert not any(f.endswith("search-index.json") for f in first["fetched"])
    assert again["fetched"] == []                      # kept from the first search
    assert other["fetched"][0] == "search/terms/za.json"


def test_query_under_a_sub_path(make_site):
    site = make_site(SITE)
    out = build_ok(site, "--base-url", "https://example.github.io/health/")
    assert all(p[0].startswith("/health/") for p in pages_in(out))
    (found,) = query(out, "inequalities", root="/health/")
    assert sorted(found["urls"]) == ["/health/policy/inequalities/", "/health/topics/health-inequalities/"]
    assert all(f.startswith("search/") for f in found["fetched"])


# ---- what a result shows, and results past the first page ---------------------------------

STATUS_SITE = {
    "content/news/_index.md": page("News", None),
    "content/news/current.md": page("Current okapi", "Still true.", extra="type: news\ndate: 2024-03-05\n"
                                    "government: new-government\npolitical: true", body="Okapi.\n"),
    "content/news/old.md": page("Old okapi", "From before.", extra="type: speech\ndate: 2008-11-06\n"
                                "updated: 2009-01-02\ngovernment: old-government\npolitical: true", body="Okapi.\n"),
    "content/news/gone.md": page("Gone okapi", "No longer.", extra="type: news\ndate: 2010-02-01\n"
                                 "government: old-government\npolitical: true\n"
                                 "withdrawn:\n  date: 2012-01-01\n  explanation: Superseded.", body="Okapi.\n"),
    "content/news/neutral.md": page("Neutral okapi", "Not political.", extra="date: 2007-01-01T23:30:00-05:00\n"
                                    "government: old-government", body="Okapi.\n"),
}


def test_index_entries_carry_date_type_and_status(make_site):
    out = build_ok(make_site(STATUS_SITE))
    manifest = json.loads((out / "search" / "index.json").read_text())
    # Facts, not words: search.js words them in the search page's language.
    assert manifest["statuses"] == [{"government": "2005 to 2010 Old government", "withdrawn": True},
                                    {"government": "2005 to 2010 Old government"}]
    rows = {row[0]: row for row in pages_in(out)}
    # [url, title, type, description, date, updated, status]: empty values at the end left off.
    assert rows["/news/current/"] == ["/news/current/", "Current okapi", "News story", "Still true.", "2024-03-05"]
    assert rows["/news/old/"] == ["/news/old/", "Old okapi", "Speech", "From before.", "2008-11-06", "2009-01-02", 2]
    # Withdrawn and from the old government: both; a page that is not political has no status.
    assert rows["/news/gone/"][4:] == ["2010-02-01", "", 1]
    assert rows["/news/neutral/"][4:] == ["2007-01-01"]   # the date as written, without its time
    assert rows["/news/"] == ["/news/", "News"]
    # The JavaScript engine gives each result its date, updated date and status by name.
    (found,) = query(out, "okapi")
    items = {item["url"]: item for item in found["items"]}
    assert items["/news/gone/"]["status"] == {"government": "2005 to 2010 Old government", "withdrawn": True}
    assert items["/news/gone/"]["type"] == "News story"
    assert items["/news/old/"]["status"] == {"government": "2005 to 2010 Old government"}
    assert (items["/news/old/"]["date"], items["/news/old/"]["updated"]) == ("2008-11-06", "2009-01-02")
    assert items["/news/current/"]["status"] == "" and items["/news/neutral/"]["status"] == ""


def test_the_small_index_for_serve_carries_them_too(make_site):
    out = build_ok(make_site(STATUS_SITE))
    pages = {p["url"]: p for p in json.loads((out / "search-index.json").read_text())["pages"]}
    assert pages["/news/gone/"]["status"] == {"government": "2005 to 2010 Old government", "withdrawn": True}
    assert pages["/news/gone/"]["date"] == "2010-02-01"
    assert pages["/news/old/"]["status"] == {"government": "2005 to 2010 Old government"}
    assert pages["/news/old/"]["updated"] == "2009-01-02"
    assert "status" not in pages["/news/current/"] and "status" not in pages["/news/neutral/"]


def test_results_past_the_first_twenty_can_be_fetched(make_site):
    files = {f"content/many/p{n:02}.md": page(f"Page {n}", "A page.", body="Capybara. " * (n % 7 + 1) + "\n")
             for n in range(45)}
    out = build_ok(make_site(files))
    found = node({"site": str(out), "queries": ["capybara"], "more": True})["results"][0]
    assert found["total"] == 45 and len(found["urls"]) == 20
    # The later slices hold every other result, once each, in rank order after the first.
    assert len(found["rest"]) == 25 and sorted(found["urls"] + found["rest"]) == sorted(f"/many/p{n:02}/" for n in range(45))


# -- the index made again from the last build's words ----------------------------------

def _page(url: str, title: str, body: str, description: str = "", topics: tuple = ()) -> Page:
    return Page(kind="page", url=url, title=title, description=description, html=f"<p>{body}</p>",
                fields={"topics": list(topics)} if topics else {})


LABELS = search.Labels({"health": "Public health"}, {}, None)


def _pages() -> list:
    return [_page(f"/p{n}/", f"Page {n} about planning", f"Planned services number {n}. Health checks.",
                  "A description.", ("health",) if n % 2 else ()) for n in range(12)]


def test_reused_words_give_the_same_bytes_as_a_clean_index():
    pages = _pages()
    _, record = search.build_index_reusing(pages, "/", LABELS, search.WordRecord())
    record = search.WordRecord.from_json(json.loads(json.dumps(record.to_json())))   # as saved in the cache
    # Edits: a page removed, one added (between others: later pages get new numbers),
    # one body changed, one title changed, one given a topic.
    del pages[3]
    pages.append(_page("/p05a/", "A new page", "Zanzibarian wombats plan ahead."))
    pages[0].html, pages[0].html_sha = "<p>Quokkas instead.</p>", ""
    pages[1].title = "Renamed page"
    pages[2].fields = {"topics": ["health"]}
    files, new_record = search.build_index_reusing(pages, "/", LABELS, record)
    assert files == search.build_index(pages, "/", LABELS)
    assert "quokka" in json.loads(files["search/terms/qu.json"])
    # Unchanged pages' words were taken over, not worked out again; edited ones were.
    assert new_record.pages["/p4/"] is record.pages["/p4/"]
    for url in ("/p0/", "/p1/", "/p2/"):
        assert new_record.pages[url].digest != record.pages[url].digest
    assert "/p3/" not in new_record.pages and "/p05a/" in new_record.pages


def test_words_are_reused_by_address_and_digest():
    pages = _pages()
    _, record = search.build_index_reusing(pages, "/", LABELS, search.WordRecord())
    # A record whose words for /p4/ are different but whose digest matches: they are used,
    # so the page is not read again.
    same = record.pages["/p4/"]
    record.pages["/p4/"] = search.PageWords(same.digest, "unicorn", chr(search.SCORE_ZERO + 7))
    files, _ = search.build_index_reusing(pages, "/", LABELS, record)
    number = sorted(p.url for p in pages).index("/p4/")
    assert json.loads(files["search/terms/un.json"])["unicorn"] == [(number << search.SCORE_BITS) | 7]


def test_a_record_from_other_code_or_damaged_is_ignored():
    _, record = search.build_index_reusing(_pages(), "/", LABELS, search.WordRecord())
    saved = record.to_json()
    assert search.WordRecord.from_json(saved).pages == record.pages
    assert search.WordRecord.from_json(dict(saved, code="other")).pages == {}
    assert search.WordRecord.from_json(dict(saved, pages=[1, 2])).pages == {}
    assert search.WordRecord.from_json(None).pages == {}


def test_index_after_edits_with_the_disk_cache_is_a_clean_index(make_site):
    from policysite.cache import BuildCache
    site = make_site(SITE)
    build_ok(site)
    # Change a page's words, remove one, add one: the cache's record is used for the rest.
    other = site / "content/policy/other.md"
    other.write_text(other.read_text() + "\nQuokkas too.\n")
    (site / "content/news/story.md").unlink()
    (site / "content/news/later.md").write_text(page("Later news", "Wombats.", body="Zebras plan.\n"))
    incremental = index_files(build_ok(site))
    cache = BuildCache.read(site / ".policysite-cache" / "build.json")
    recorded = set(cache.search.words["pages"])
    assert "/news/later/" in recorded and "/news/story/" not in recorded and "/policy/inequalities/" in recorded
    assert incremental == index_files(build_ok(site, "--no-cache"))
    assert "quokka" in terms_in(site / "_site") and "zebra" in terms_in(site / "_site")


def test_search_js_words_a_status_and_a_date_with_the_strings_it_is_given():
    from policysite.strings import strings_for
    items = [{"status": {"withdrawn": True, "government": "2005 to 2010 Old government"}, "date": "2008-11-06"},
             {"status": "", "date": "nonsense"}]
    welsh = node({"strings": strings_for("cy"), "shown": items})["shown"]
    assert welsh[0] == {"status": ["Wedi'i dynnu'n ôl", "Cyhoeddwyd o dan 2005 to 2010 Old government"],
                        "date": "6 Tachwedd 2008"}
    assert welsh[1] == {"status": [], "date": ""}
    own = node({"strings": strings_for("en", {"withdrawn": "BBB"}), "shown": items[:1]})["shown"]
    assert own[0]["status"] == ["BBB", "Published under the 2005 to 2010 Old government"]


# -- the last build's index updated where pages changed ---------------------------------

def _digests(pages: list) -> list[str]:
    """A digest of each searchable page that changes with anything its words or result come from."""
    return [json.dumps([p.url, p.title, p.description, p.html, p.fields.get("topics", []), str(p.status)])
            for p in search.searchable(pages)]


def _update(pages: list, before_pages: list, before: dict, record, damage=None):
    """update_index over `pages`, with the files `before` as the last build's."""
    files = dict(before)
    if damage:
        damage(files)
    return search.update_index(search.searchable(pages), "/", LABELS, _digests(pages), record, files.get)


def test_an_updated_index_is_the_index_made_from_scratch():
    pages = [_page(f"/p{n:02}/", f"Page {n} about planning", f"Planned services number {n}. Health checks {n * 7}.",
                   "A description.", ("health",) if n % 2 else ()) for n in range(45)]
    before, record = search.build_index_reusing(pages, "/", LABELS, search.WordRecord(), _digests(pages))
    # A body with new and fewer words, a title, a topic: three pages of three page files.
    pages[0].html = "<p>Quokkas instead, and zebras.</p>"
    pages[17].title = "Renamed page"
    pages[33].fields = {"topics": ["health"]} if not pages[33].fields else {}
    made = _update(pages, pages, before, record)
    assert made is not None
    files, new_record = made
    assert files == search.build_index(pages, "/", LABELS)
    assert "quokka" in json.loads(files["search/terms/qu.json"]) and "quokka" not in json.dumps(
        {k: v.decode() for k, v in before.items()})
    # Only the changed pages' words were worked out again; the untouched files are the last ones.
    assert new_record.pages["/p04/"] is record.pages["/p04/"]
    assert new_record.pages["/p00/"].digest != record.pages["/p00/"].digest
    assert files["search/pages/2.json"] is before["search/pages/2.json"]
    assert files["search/index.json"] != before["search/index.json"]


def test_an_index_is_not_updated_when_pages_come_or_go_or_a_file_is_missing():
    pages = _pages()
    before, record = search.build_index_reusing(pages, "/", LABELS, search.WordRecord(), _digests(pages))
    fewer = pages[:-1]
    assert _update(fewer, pages, before, record) is None
    pages[0].html = "<p>Quokkas.</p>"
    assert _update(pages, pages, before, record, damage=lambda files: files.pop("search/pages/1.json")) is None
    assert _update(pages, pages, before, record, damage=lambda files: files.pop("search/index.json")) is None
    assert _update(pages, pages, before, record) is not None
