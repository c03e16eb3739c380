"""Safety: what editors write can never run code, leave the site or leak a file.

- Front matter and site_config.yaml values are escaped wherever they appear.
- Raw HTML is cleaned: what is removed gets a warning at its line (an error
  under --strict); harmless HTML and HTML in code are kept as written.
- Every dangerous scheme, plainly and obfuscated, in every place an editor can
  write an address: refused with an error at its line (Markdown and front
  matter) or removed with a warning at its line (raw HTML), and never present
  in any attribute of the built output (html-unescaped, whitespace and
  control characters dropped, any case).
- Elements that can run code or restyle the page (`<svg onload>`, `<math>`,
  `<form>`, `<base>`, `<meta http-equiv>`, `<embed>`, comments that end early,
  ...) removed with a warning.
- Quotes in attribute values cannot open a new attribute.
- `"><script>` in every text field of front matter and site_config.yaml:
  escaped in HTML, XML and JSON, and unable to close the JSON-LD `<script>`.
- Nothing is written outside the output folder (nor the build cache), and no
  symbolic link leads a build to read a file outside the site.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PNG_300, REPO, build, build_ok, html_of, page, run

BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
URLISH = {"href", "src", "cite", "action", "formaction", "poster", "srcset", "data", "background", "xlink:href",
          "codebase", "ping", "longdesc", "manifest", "icon", "content"}


P = "content/p.md"
THEME_SCRIPT = re.compile(r'<script src="[^"<>]*/assets/[\w.-]+\.js" defer></script>')
JSON_LD = re.compile(r'<script type="application/(?:ld\+)?json"(?: id="[\w-]+")?>([^<]*)</script>')
# The theme's head style: custom properties only, no markup, no braces but its own, no url() or @import.
THEME_STYLE = re.compile(r"<head>.*?<style>(:root\{(?:(?!url\(|@import|[<>{}]).)*\})</style>", re.S)


def assert_no_script(html_text: str):
    """No script element but the theme's own: its JS files, and JSON data (JSON-LD, search's words) holding no `<` at all
    (so no value from front matter can close the element)."""
    rest = JSON_LD.sub("", THEME_SCRIPT.sub("", html_text))
    assert "<script" not in rest.lower(), re.findall(r".{60}<script.{60}", rest, re.I | re.S)


# ---- looking at the output ----------------------------------------------------------------

class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script, self._text = dict(attrs), []

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def normalised(value: str) -> str:
    """An attribute value as a browser reads its scheme: entities decoded, whitespace and controls dropped."""
    return re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value)).lower()


def assert_output_safe(out: Path) -> None:
    """No dangerous scheme in any attribute, no event handler, no script but the theme's own."""
    for path in sorted(out.rglob("*")):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            parser = _Collect()
            parser.feed(text)
            parser.close()
            # The theme's own: one <style> in the head setting custom properties from escaped values,
            # and decorative icons hidden from assistive technology. Nothing from a page may add either.
            styles = THEME_STYLE.findall(text)
            assert len(styles) <= 1 and text.lower().count("<style") == len(styles), (path, "style")
            for tag, attrs in parser.elements:
                if tag == "svg" and dict(attrs).get("aria-hidden") == "true" and dict(attrs).get("focusable") == "false":
                    continue
                if tag == "style" and styles:
                    continue
                assert tag not in ("base", "embed", "object", "iframe", "svg", "math", "style", "frame", "applet"), (path, tag)
                if tag == "form":   # the theme's own search form only
                    assert normalised(dict(attrs).get("action") or "").startswith("/"), (path, attrs)
                if tag == "meta" and "http-equiv" in dict(attrs):   # the theme's redirect pages only
                    target = normalised(dict(attrs).get("content") or "").partition("url=")[2]
                    assert target.startswith(("/", "https://www.example.gov.uk/")), (path, attrs)
                if tag == "link":
                    assert dict(attrs).get("rel") != "stylesheet" or "/assets/" in (dict(attrs).get("href") or ""), (path, attrs)
                for name, value in attrs:
                    assert not name.startswith("on"), (path, tag, name, value)
                    if value is not None and (name in URLISH or name.startswith("data-")):
                        assert not normalised(value).startswith(BAD_SCHEMES), (path, tag, name, value)
                        assert "javascript:" not in normalised(value), (path, tag, name, value)
            for attrs, code in parser.scripts:
                if attrs.get("type") in ("application/ld+json", "application/json"):   # data, never run
                    assert "<" not in code, (path, code[:200])
                    json.loads(code)
                else:
                    assert re.fullmatch(r"[^\"]*/assets/[\w.-]+\.js", attrs.get("src") or "") and not code.strip(), (path, attrs, code[:200])
        elif path.suffix == ".xml":
            root = ET.parse(path).getroot()     # well-formed: nothing broke out of its element
            assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "script"], path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


# ---- dangerous schemes everywhere ------------------------------------------------------------

PAYLOADS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&#x3A;alert(1)",
    "javascript&colon;alert(1)",
    "jav&#x09;ascript:alert(1)",
    "  javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:image/svg+xml,<svg onload=alert(1)>",
    "vbscript:msgbox(1)",
]


def _scheme_word(payload: str) -> str:
    return normalised(payload).split(":")[0] + ":"


def _markdown_and_front_matter(payload: str) -> dict:
    q = json.dumps(payload)   # a JSON string is a YAML double-quoted string
    return {
        "content/p.md": (
            "---\n"                         # 1
            "title: P\n"                    # 2
            "description: d\n"              # 3
            "related:\n"                    # 4
            f"  - {q}\n"                    # 5
            "image:\n"                      # 6
            f"  src: {q}\n"                 # 7
            "  alt: An image\n"             # 8
            "aliases:\n"                    # 9
            f"  - {q}\n"                    # 10
            "---\n"                         # 11
            f"[link]({payload})\n"          # 12
            "\n"
            f"![image]({payload})\n"        # 14
            "\n"
            "[reference][r]\n"              # 16
            "\n"
            f"[r]: {payload}\n"             # 18
        ),
        "content/u.md": page("U", extra=f"url: {q}\n"),     # url at line 4
        "content/s.md": page("S", extra=f"slug: {q}\n"),    # slug at line 4
    }


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p) for p in PAYLOADS])
def test_dangerous_address_in_markdown_and_front_matter_is_an_error_at_its_line(make_site, payload):
    site = make_site(_markdown_and_front_matter(payload))
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1, r.err
    assert not (site / "_site").exists()
    expected = [("content/p.md", 5), ("content/p.md", 7), ("content/p.md", 10), ("content/u.md", 4), ("content/s.md", 4)]
    markdown_lines = [12, 14, 18]
    if "\t" in payload or payload.startswith("DATA:image/svg+xml,<"):
        # Markdown expands the tab (`java   script:` is no scheme at all) and the `<` ends an address:
        # a reference definition with either is not a link, only text.
        markdown_lines = [12, 14]
    expected += [("content/p.md", line) for line in markdown_lines]
    for path, line in expected:
        assert any(p == path and n == line for p, n, _m in r.errors()), f"no error at {path}:{line}:\n{r.err}"
    # A scheme is named as such, not as a missing file, wherever it is written as one.
    word = _scheme_word(payload)
    for line in (5, 7, 12):
        if "\t" not in payload:
            assert r.has("content/p.md", line, "error", word), f"`{word}` not named at line {line}:\n{r.err}"


RAW_HTML_FORMS = [
    '<a href="{p}">a</a>',
    "<a href='{p}'>a</a>",
    "<a href={p}>a</a>",
    '<img src="{p}" alt="i">',
    '<blockquote cite="{p}">q</blockquote>',
    '<q cite="{p}">q</q>',
    '<p><a title="t" href="{p}" class="c">a</a></p>',
]
RAW_PAYLOADS = [p for p in PAYLOADS if "\t" not in p and " " not in p and "<" not in p] + \
               ["java&#x0D;script:alert(1)", "java&#x0A;script:alert(1)", "java&#09;script:alert(1)",
                "JAVASCRIPT&#58;alert(1)", "&#0000106avascript:alert(1)"]


@pytest.mark.parametrize("payload", RAW_PAYLOADS, ids=[repr(p) for p in RAW_PAYLOADS])
def test_dangerous_address_in_raw_html_is_removed_with_a_warning(make_site, payload):
    body = "Intro.\n\n" + "\n\n".join(form.format(p=payload) for form in RAW_HTML_FORMS) + "\n"
    site = make_site({"content/h.md": page("H", body=body)})
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 0, r.err
    word = _scheme_word(payload)
    for index in range(len(RAW_HTML_FORMS)):
        r.assert_has("content/h.md", 7 + 2 * index, "warning", word, "removed")
    assert_output_safe(site / "_site")
    text = html.unescape((site / "_site/h/index.html").read_text(encoding="utf-8")).lower()
    assert "alert(1)" not in text and "msgbox" not in text


def test_autolinks_with_dangerous_schemes_never_become_links(make_site):
    body = "\n\n".join(f"<{p}>" for p in PAYLOADS if "\t" not in p) + "\n"
    site = make_site({"content/a.md": page("A", body=body)})
    r = build(site)
    r.assert_no_traceback()
    if r.code == 0:
        assert_output_safe(site / "_site")
    else:
        assert r.errors()


def test_a_space_before_a_scheme_in_raw_html_is_warned_and_removed(make_site):
    site = make_site({P: page("P", body='Intro.\n\n<a href=" JaVaScRiPt:alert(1)">x</a>\n')})
    r = build(site)
    r.assert_has(P, 7, "warning", "javascript:")
    html_text = (site / "_site/p/index.html").read_text()
    assert "alert(1)" not in html_text.lower()


@pytest.mark.parametrize("written", ["[x](<javascript:alert(1)>)", "[x]( javascript:alert(1) )", "[x][r]\n\n[r]: javascript:alert(1)",
                                     "<javascript:alert(1)>"])
def test_markdown_javascript_links_in_other_forms(make_site, written):
    site = make_site({P: page("P", body=f"{written}\n")})
    r = build(site)
    html = (site / "_site/p/index.html").read_text() if r.code == 0 else ""
    assert "javascript:" not in html.lower()
    if r.code == 0:
        assert r.warnings(), "removed without a word"
    else:
        r.assert_has(P, 7 if "[r]:" in written else 5, "error", "javascript:")


# ---- elements and attributes -----------------------------------------------------------------

@pytest.mark.parametrize("raw,words", [
    ("<script>alert(1)</script>", ("<script>",)),
    ('<iframe src="javascript:alert(1)"></iframe>', ("<iframe>",)),   # with a web address: a link (test_raw_html_content)
    ('<p onclick="alert(1)">Click</p>', ("onclick",)),
    ('<div>\n<span onmouseover="alert(1)">x</span>\n</div>', ("onmouseover",)),   # reported at the span's own line
    ('<svg onload="alert(1)"><circle r="1"/></svg>', ("<svg>",)),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ("<math>",)),
    ('<form action="https://evil.example/"><input name="q"><button formaction="javascript:alert(1)">Go</button></form>', ("<form>",)),
    ("<style>body { background: url(javascript:alert(1)) }</style>", ("<style>",)),
    ('<base href="https://evil.example/">', ("<base>",)),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ("<meta>",)),
    ('<object data="x.swf"></object>', ("<object>",)),   # with a web address: a link (test_raw_html_content)
    ('<embed src="javascript:alert(1)">', ("<embed>",)),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', ("<link>",)),
    ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', ("<iframe>",)),
    ('<details open ontoggle="alert(1)"><summary>s</summary>d</details>', ("ontoggle",)),
    ('<img src="files/x.png" srcset="javascript:alert(1) 1x" alt="x">', ("srcset",)),
    ('<a href="https://example.org/" style="position:fixed;top:0">x</a>', ("style",)),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>', ("<noscript>",)),
    ("<!--><img src=x onerror=alert(1)>-->", ("onerror",)),
    ("<!---><img src=x onerror=alert(1)>", ("onerror",)),
    ("<svg><style><img src=x onerror=alert(1)></style></svg>", ("<svg>",)),
    ('<video poster="javascript:alert(1)"></video>', ("<video>",)),
    ("<template><img src=x onerror=alert(1)></template>", ("<template>",)),
    ("<textarea><img src=x onerror=alert(1)></textarea>", ("<textarea>",)),
    ('<table><tr><td background="javascript:alert(1)">x</td></tr></table>', ("background",)),
    ('<a href="https://example.org/" target="_blank">x</a>', ("target",)),
    ("<scr<script>ipt>alert(1)</script>", ("<script>",)),
    ('<div id="x" class="y" onclick="alert(1)" onmouseover="alert(2)">d</div>', ("onclick",)),
])
def test_dangerous_elements_removed_with_a_warning(make_site, raw, words):
    site = make_site({"content/p.md": page("P", body=f"Intro.\n\n{raw}\n\nAfter.\n"), "content/files/x.png": b"\x89PNG"})
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 0, r.err
    r.assert_has("content/p.md", 7 + raw.count("<div>\n"), "warning", *words)
    assert_output_safe(site / "_site")
    html_text = (site / "_site/p/index.html").read_text(encoding="utf-8")
    body = html_text[html_text.index('<div class="govspeak">'):html_text.index("</main>")]
    assert "After." in body
    for bad in ("alert(", "evil.example", "http-equiv", "position:fixed", "<form", "<input", "<button", "<textarea"):
        assert bad not in html.unescape(body), body


@pytest.mark.parametrize("raw,tag,attr,value", [
    ("<abbr title='He said \"hi\" onmouseover=alert(1)'>HI</abbr>", "abbr", "title", 'He said "hi" onmouseover=alert(1)'),
    ("<abbr title=\"it's' onmouseover='alert(1)\">A</abbr>", "abbr", "title", "it's' onmouseover='alert(1)"),
    ('<span title="a&quot; onmouseover=&quot;alert(1)">s</span>', "span", "title", 'a" onmouseover="alert(1)'),
    ('[x](https://example.org/ "a\\" onmouseover=\\"alert(1)")', "a", "title", None),
    ("![a\" onerror=\"alert(1)](files/x.png)", "img", "alt", 'a" onerror="alert(1)'),
    ('[x](https://example.org/?q="onmouseover="alert(1))', "a", "href", None),
    ('[x](https://example.org/"onmouseover="alert(1))', "a", "href", None),
])
def test_quotes_in_attribute_values_cannot_open_an_attribute(make_site, raw, tag, attr, value):
    site = make_site({"content/p.md": page("P", body=f"Intro.\n\n{raw}\n"), "content/files/x.png": b"\x89PNG"})
    r = build(site)
    r.assert_no_traceback()
    if r.code != 0:      # refused outright is safe too
        assert r.errors()
        return
    assert_output_safe(site / "_site")
    parser = _Collect()
    text = (site / "_site/p/index.html").read_text(encoding="utf-8")
    parser.feed(text[text.index('<div class="govspeak">'):])
    found = [dict(attrs) for t, attrs in parser.elements if t == tag and attr in dict(attrs)]
    assert found, text
    if value is not None:
        assert html.unescape(found[0][attr]) == value


def test_raw_html_warning_is_error_under_strict(make_site):
    site = make_site({P: page("P", body="<script>alert(1)</script>\n")})
    r = build(site, "--strict")
    assert r.code == 1
    r.assert_has(P, 5, "error", "<script>")


def test_allowed_raw_html_kept(make_site):
    site = make_site({P: page("P", body='<div class="box" id="b"><abbr title="x">X</abbr> <strong>s</strong></div>\n')})
    out = build_ok(site)
    html = (out / "p/index.html").read_text()
    assert '<div class="box" id="b"><abbr title="x">X</abbr> <strong>s</strong></div>' in html


def test_html_in_code_is_shown_not_run_and_not_warned(make_site):
    site = make_site({P: page("P", body="Use `<script>` tags.\n\n```html\n<script>alert(1)</script>\n```\n")})
    out = build_ok(site)
    html = (out / "p/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_no_script(html)


def test_html_in_indented_code_block_is_not_warned(make_site):
    site = make_site({P: page("P", body="Example:\n\n    <script>alert(1)</script>\n    <p onclick=\"x\">\n\nAfter.\n")})
    r = build(site, "--strict")
    assert r.code == 0, r.err
    html = (site / "_site/p/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_in_list_continuation_is_still_warned(make_site):
    site = make_site({P: page("P", body="- item\n\n    <p onclick=\"x\">continued</p>\n")})
    r = build(site)
    r.assert_has(P, 7, "warning", "onclick")
    assert "onclick" not in (site / "_site/p/index.html").read_text()


# ---- "><script> in every text field -------------------------------------------------------------

def _evil(field: str) -> str:
    return f'"><script>alert("{field}")</script><b x=\'{field}\' onclick=alert(1)>&amp;'


def test_breakout_text_in_every_front_matter_and_config_field_is_escaped(make_site):
    q = lambda field: json.dumps(_evil(field))
    config = (
        f"title: {q('site-title')}\n"
        f"description: {q('site-description')}\n"
        "base_url: https://www.example.gov.uk/\n"
        "organisations:\n"
        f"  department-of-testing:\n    name: {q('org-name')}\n    description: {q('org-description')}\n"
        "governments:\n"
        f"  old-government:\n    name: {q('old-government')}\n"
        f"  new-government:\n    name: {q('new-government')}\n"
        "current_government: new-government\n"
        "topics:\n"
        f"  public-health:\n    name: {q('topic-name')}\n    description: {q('topic-description')}\n"
    )
    front = (
        f"title: {q('title')}\n"
        f"description: {q('description')}\n"
        "type: news\n"
        "date: 2008-01-01\n"
        "updated: 2009-01-01\n"
        "organisations: [department-of-testing]\n"
        "topics: [public-health]\n"
        "government: old-government\n"
        "political: true\n"
        "change_history:\n"
        f"  - date: 2009-01-01\n    note: {q('change-note')}\n"
        "withdrawn:\n"
        f"  date: 2010-01-01\n  explanation: {q('withdrawn-explanation')}\n"
        "image:\n"
        f"  src: files/x.png\n  alt: {q('image-alt')}\n  caption: {q('image-caption')}\n  credit: {q('image-credit')}\n"
        "related: [q.md]\n"
        "aliases: [/old/p/]\n"
    )
    site = make_site({
        "site_config.yaml": config,
        "content/p.md": f"---\n{front}---\n## {_evil('heading')}\n\n[]({'q.md'})\n\n*[HTML]: {_evil('abbr')}\n\nHTML here.\n",
        "content/q.md": f"---\ntitle: {q('q-title')}\ndescription: Plain.\n---\n[](p.md)\n",
        "content/section/_index.md": f"---\ntitle: {q('section-title')}\n---\n",
        "content/section/c.md": page("C", "c", extra="type: organisation\n"),
        "content/files/x.png": PNG_300,
    })
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 0, r.err
    out = site / "_site"
    assert_output_safe(out)
    for path in out.rglob("*.html"):
        parser = _Collect()
        parser.feed(path.read_text(encoding="utf-8"))
        injected = [(t, a) for t, a in parser.elements if t == "b" and any(name == "x" for name, _ in a)]
        assert not injected, (path, injected)
    # The text itself survives, escaped: the editor sees what they wrote, except that a
    # character reference in a front matter text field (`&amp;`) is shown as its character.
    doc = html_of(out, "p/index.html")
    shown = lambda field: _evil(field).replace("&amp;", "&")
    assert doc.find("h1").text() == shown("title")
    assert doc.find("title").text().startswith(f"[Withdrawn] {shown('title')} - ")
    assert doc.find("meta", name="description").attrs["content"] == shown("description")
    assert doc.find("figure").find("img").attrs["alt"] == shown("image-alt")
    assert doc.find("figcaption").text() == f"{shown('image-caption')} Credit: {shown('image-credit')}"
    assert doc.find("section", id="full-history").find("p").text() == shown("change-note")
    assert doc.find("div", class_="govuk-notification-banner app-notice--withdrawn").find_all("p")[1].text() == shown("withdrawn-explanation")
    assert doc.find("section", aria_labelledby="related-title").find("a").text() == shown("q-title")
    # A link with no text takes the page's title, escaped too.
    assert html_of(out, "q/index.html").find("div", class_="govspeak").find("a").text() == shown("title")
    assert "&lt;script&gt;alert(" in (out / "p/index.html").read_text(encoding="utf-8")
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<script" not in feed and "&lt;script&gt;" in feed
    # HTML and XML carry it escaped; JSON (the search index) carries it as data, which the
    # theme's scripts only ever put into the page as text (see the next test).
    assert "<script>alert(" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()
                                             and p.suffix in (".html", ".xml", ".txt"))
    index = json.loads((out / "search-index.json").read_text(encoding="utf-8"))
    values = {v for entry in index["pages"] for v in entry.values() if isinstance(v, str)}
    assert _evil("topic-name") in values   # kept as written: the script shows it as text


def test_theme_scripts_never_parse_data_as_html():
    """The search index holds editors' text unescaped: the scripts must insert it as text only."""
    for path in sorted((REPO / "policysite" / "theme" / "assets").rglob("*.js")):
        code = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                     "createContextualFragment", "srcdoc"):
            assert sink not in code, f"{path.name} uses {sink}"


def test_site_config_values_are_escaped(make_site):
    config = ("title: 'Dept <script>x</script>'\nbase_url: https://x.example/\n"
              "topics:\n  t:\n    name: 'Topic <b>bold</b>'\n    description: '<img src=x onerror=alert(1)>'\n")
    site = make_site({"site_config.yaml": config, P: page("P", extra="topics:\n  - t")})
    out = build_ok(site)
    for p in out.rglob("*.html"):
        text = p.read_text()
        assert_no_script(text)
        assert "<b>bold" not in text and "<img src=x" not in text, p


# ---- nothing outside the site ---------------------------------------------------

def _snapshot(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize("extra,line", [
    ("url: /../../escaped/", 4),
    ("slug: ../../escaped", 4),
    ("aliases:\n  - /../../escaped/", 5),
    ("aliases:\n  - ../escaped", 5),
])
def test_paths_that_leave_the_output_are_refused(make_site, tmp_path, extra, line):
    site = make_site({P: page("P", extra=extra)})
    before = _snapshot(tmp_path)
    r = build(site)
    assert r.code == 1
    r.assert_has(P, line, "error")
    r.assert_no_traceback()
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("cache", [False, True])
def test_build_writes_only_inside_output(make_site, tmp_path, cache):
    site = make_site({
        P: page("P", extra="aliases:\n  - /old/p/\n  - /legacy.html"),
        "content/files/a.pdf": b"%PDF",
        "assets/x.css": "body{}",
    })
    before = _snapshot(tmp_path)
    build_ok(site, *([] if cache else ["--no-cache"]))
    new = _snapshot(tmp_path) - before
    # The build cache (README: `SITE/.policysite-cache/`) is the one thing besides the output.
    allowed = ("site1/_site",) + (("site1/.policysite-cache",) if cache else ())
    assert new and all(p in allowed or p.startswith(tuple(a + "/" for a in allowed)) for p in new), new
    out = site / "_site"
    assert (out / "old/p/index.html").is_file()
    assert (out / "legacy.html").is_file()


def test_symlinked_file_outside_content_is_reported_not_followed(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    site = make_site({"content/a.md": page("A")})
    os.symlink(secret, site / "content/leak.txt")
    os.symlink(secret, site / "content/leak.md")
    r = build(site)
    assert r.code == 1
    r.assert_has("content/leak.txt", 1, "error", "outside content/")
    r.assert_has("content/leak.md", 1, "error", "outside content/")
    r.assert_no_traceback()
    assert not (site / "_site").exists()
    assert "TOP SECRET" not in r.err


def test_symlinked_folder_outside_content_is_reported_not_followed(make_site, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text(page("Private"))
    site = make_site({"content/a.md": page("A")})
    os.symlink(outside, site / "content/linked", target_is_directory=True)
    r = build(site)
    assert r.code == 1
    r.assert_has("content/linked", 1, "error", "outside content/")
    assert "private.md" not in r.err


@pytest.mark.parametrize("folder", ["content", "assets", "layouts"])
def test_a_site_folder_that_is_itself_a_link_away_is_reported_not_used(make_site, tmp_path, folder):
    # Each folder's entries are checked for links that leave it; the folder itself must be checked too.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET\n")
    (outside / "page.html").write_text("EVIL LAYOUT\n")
    if folder == "content":
        (outside / "_index.md").write_text(page("Home"))
    site = make_site({"content/a.md": page("A")})
    if folder == "content":
        shutil.rmtree(site / "content")
    os.symlink(outside, site / folder, target_is_directory=True)
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has(folder, 1, "error", "outside the site's folder")
    assert not (site / "_site").exists()
    assert run("check", site).code == 1


def test_a_folder_linked_from_inside_the_site_is_fine(make_site):
    site = make_site({"content/a.md": page("A"), "shared/style.css": "body{}"})
    os.symlink("shared", site / "assets", target_is_directory=True)
    out = build_ok(site)
    assert (out / "assets/style.css").read_text() == "body{}"


def test_a_cache_folder_that_is_a_link_is_refused_and_left_alone(make_site, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "build.json").write_text("precious")
    (elsewhere / "build.json-precious.pack").write_text("precious")
    site = make_site({"content/a.md": page("A")})
    os.symlink(elsewhere, site / ".policysite-cache", target_is_directory=True)
    for command in ("build", "check"):
        r = run(command, site)
        assert r.code == 2, r.err
        assert ".policysite-cache is a link" in r.err and "--no-cache" in r.err
    assert sorted(p.name for p in elsewhere.iterdir()) == ["build.json", "build.json-precious.pack"]
    assert (elsewhere / "build.json").read_text() == "precious"
    assert build(site, "--no-cache").code == 0


def test_new_refuses_an_archetype_linked_from_outside(make_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: x\n---\nTOP SECRET\n")
    site = make_site({"content/a.md": page("A")})
    (site / "archetypes").mkdir()
    os.symlink(secret, site / "archetypes/news.md")
    r = run("new", site, "content/n.md", "--type", "news")
    assert r.code == 2 and "outside the site's folder" in r.err, r.err
    assert not (site / "content/n.md").exists()


@pytest.mark.parametrize("name, text, line, words", [
    ("files/evil.html", "<!DOCTYPE html>\n<p>Report</p>\n<script>alert(document.domain)</script>\n", 3, "a script"),
    ("files/evil.svg", '<svg xmlns="http://www.w3.org/2000/svg">\n\n<rect onload="alert(1)"/></svg>\n', 3, "`onload`"),
    ("files/link.htm", '<p>\n<a href="java&#115;cript:alert(1)">x</a></p>\n', 2, "character reference"),
    ("files/go.html", '<meta http-equiv="refresh" content="0; url=https://example.com/">\n', 1, "redirect"),
    ("files/frame.xhtml", "<html>\n<body><iframe src=\"https://example.com/\"></iframe></body></html>\n", 2, "<iframe>"),
])
def test_a_file_under_content_that_would_run_a_script_is_an_error_at_its_line(make_site, name, text, line, words):
    # Published as it is, on the site's own address: past the layouts and the raw HTML allow-list.
    site = make_site({"content/a.md": page("A"), f"content/{name}": text})
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has(f"content/{name}", line, "error", words)
    assert not (site / "_site").exists()


def test_markup_files_that_run_nothing_are_published(make_site):
    files = {"content/a.md": page("A"),
             "content/files/export.html": '<html><head><meta http-equiv="Content-Type" content="text/html; '
                                          'charset=utf-8"><title>Tom &amp; Jerry</title></head>'
                                          '<body><p title="Q &#38; A">Go on = then, javascript: a language</p></body></html>',
             "content/files/map.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
             "content/google0123456789abcdef.html": "google-site-verification: google0123456789abcdef.html"}
    out = build_ok(make_site(files))
    for name in ("files/export.html", "files/map.svg", "google0123456789abcdef.html"):
        assert (out / name).read_text() == files[f"content/{name}"]


@pytest.mark.parametrize("expression", [
    "lipsum.__globals__['os'].system('touch MARKER')",
    "cycler.__init__.__globals__.__builtins__['open']('MARKER', 'w').write('x')",
    "page.__class__.__mro__[-1].__subclasses__()",
])
def test_a_layout_cannot_reach_python(make_site, tmp_path, expression):
    # Layouts show what they are given; they cannot run commands or read files, whoever edits them.
    marker = tmp_path / "marker"
    layout = ('{% extends "theme/page.html" %}{% block content %}\n'
              + "{{ " + expression.replace("MARKER", str(marker)) + " }}\n{% endblock %}\n")
    site = make_site({"content/a.md": page("A"), "layouts/page.html": layout})
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has("layouts/page.html", 2, "error", "unsafe")
    assert not marker.exists()


def test_symlink_inside_content_is_fine(make_site):
    site = make_site({"content/a.md": page("A", body="[f](files/copy.txt)\n"), "content/files/real.txt": "same\n"})
    os.symlink("real.txt", site / "content/files/copy.txt")
    out = build_ok(site)
    assert (out / "files/copy.txt").read_text() == "same\n"


def test_dangling_symlink_reported(make_site, tmp_path):
    site = make_site()
    os.symlink(tmp_path / "does-not-exist.md", site / "content/gone.md")
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    assert any(p == "content/gone.md" for p, _, _ in r.errors()), r.err


def test_layout_symlink_outside_layouts_not_used(make_site, tmp_path):
    outside = tmp_path / "evil.html"
    outside.write_text("EVIL LAYOUT {{ page.title }}")
    site = make_site({P: page("P")})
    (site / "layouts").mkdir()
    os.symlink(outside, site / "layouts/page.html")
    r = build(site)
    r.assert_no_traceback()
    if r.code == 0:
        assert "EVIL LAYOUT" not in (site / "_site/p/index.html").read_text()


def test_links_under_assets_that_lead_nowhere_or_to_folders_are_reported(make_site, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.css").write_text("SECRET")
    site = make_site({"assets/ok.css": "ok", "assets/real/x.css": "x"})
    os.symlink(tmp_path / "gone.css", site / "assets/gone.css")
    os.symlink(outside, site / "assets/away", target_is_directory=True)
    os.symlink("real", site / "assets/again", target_is_directory=True)
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has("assets/gone.css", 1, "error", "which does not exist")
    r.assert_has("assets/away", 1, "error", "outside assets/")
    r.assert_has("assets/again", 1, "error", "a link to a folder")


def test_asset_symlink_outside_not_copied(make_site, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("SECRET")
    site = make_site({"assets/ok.css": "ok"})
    os.symlink(secret, site / "assets/leak.css")
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has("assets/leak.css", 1, "error", "outside assets/")
    assert not (site / "_site").exists()
