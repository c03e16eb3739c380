"""A base_url with a path (a project Pages site): every link, asset, feed and
sitemap entry of the example site lives under it and resolves to a built file."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO, build_ok, html_of, page, parse_html, run

BASE = "https://example.github.io/health/"
ROOT = "/health/"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
EXTERNAL = ("http:", "https:", "mailto:", "tel:")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subpath") / "_site"
    r = run("build", REPO, "--output", folder, "--base-url", BASE, "--no-cache", "--quiet")
    assert r.code == 0, r.err
    return folder


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def ids_in(path: Path) -> set[str]:
    return {e.attrs["id"] for e in parse_html(path.read_text(encoding="utf-8")).iter() if e.attrs.get("id")}


def resolve(out: Path, url: str, where: str) -> Path:
    """The built file an internal URL names; fails when the URL leaves /health/ or names nothing."""
    if url.startswith(BASE):
        path = "/" + url[len(BASE):]
    elif url.startswith(ROOT):
        path = "/" + url[len(ROOT):]
    else:
        pytest.fail(f"{where}: `{url}` is not under {ROOT} or {BASE}")
    path = unquote(urlsplit(path).path)
    target = out / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    assert target.is_file(), f"{where}: `{url}` names {target.relative_to(out)}, which was not built"
    return target


def check_url(out: Path, url: str, where: str, here: Path) -> None:
    if url.startswith("#"):
        assert url[1:] in ids_in(here), f"{where}: no id for `{url}`"
        return
    if url.startswith(EXTERNAL) and not url.startswith(BASE):
        assert not url.startswith(("http://example.github.io", "https://example.github.io/") ), f"{where}: `{url}`"
        return
    assert not re.match(r"^[a-z][a-z0-9+.-]*:", url) or url.startswith(BASE), f"{where}: odd scheme in `{url}`"
    target = resolve(out, url, where)
    fragment = urlsplit(url).fragment
    if fragment:
        assert fragment in ids_in(target), f"{where}: `{url}`: no id `{fragment}` in {target.relative_to(out)}"


def urls_of(doc) -> list[tuple[str, str]]:
    """(what, URL) for every attribute of the page that holds an address."""
    found = []
    for el in doc.iter():
        a = el.attrs
        for attr in ("href", "src", "action", "poster", "data-index-url", "data-search-url"):
            if a.get(attr) is not None:
                found.append((f"<{el.tag} {attr}>", a[attr]))
        if el.tag == "meta" and a.get("property") in ("og:url", "og:image"):
            found.append((a["property"], a["content"]))
        if el.tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            found.append(("meta refresh", a["content"].split("url=", 1)[1]))
        if el.tag == "script" and a.get("type") == "application/ld+json":
            def walk(node):
                if isinstance(node, dict):
                    for key, value in node.items():
                        if key in ("url", "item", "mainEntityOfPage", "image") and isinstance(value, str):
                            found.append((f"JSON-LD {key}", value))
                        elif key == "target":
                            found.append(("JSON-LD SearchAction", value.split("?", 1)[0]))
                        else:
                            walk(value)
                elif isinstance(node, list):
                    for item in node:
                        walk(item)
            walk(json.loads(el.text()))
    return found


def test_every_internal_url_is_under_the_sub_path_and_resolves(out):
    files = html_files(out)
    assert len(files) > 30
    checked = 0
    for path in files:
        rel = path.relative_to(out).as_posix()
        doc = parse_html(path.read_text(encoding="utf-8"))
        for what, url in urls_of(doc):
            check_url(out, url, f"{rel} {what}", path)
            checked += 1
    assert checked > 1000


def test_canonical_and_og_url_are_the_page_itself(out):
    for path in html_files(out):
        rel = path.relative_to(out).as_posix()
        doc = parse_html(path.read_text(encoding="utf-8"))
        if doc.find("meta", http_equiv="refresh") is not None or rel == "404.html":
            continue
        own = BASE + rel.removesuffix("index.html")
        assert doc.find("link", rel="canonical").attrs["href"] == own, rel
        assert doc.find("meta", property="og:url").attrs["content"] == own, rel


def test_redirects_point_into_the_sub_path(out):
    doc = html_of(out, "en/Policyandguidance/Healthandsocialcaretopics/Healthinequalities/index.html")
    assert doc.find("meta", http_equiv="refresh").attrs["content"] == "0; url=/health/policy/health-inequalities/"
    assert doc.find("link", rel="canonical").attrs["href"] == BASE + "policy/health-inequalities/"


def test_sitemap_feeds_robots_and_search_index_under_the_sub_path(out):
    locs = [u.find(f"{SM}loc").text for u in ET.parse(out / "sitemap.xml").getroot()]
    assert BASE + "policy/health-inequalities/" in locs
    for loc in locs:
        resolve(out, loc, "sitemap.xml")
    assert f"Sitemap: {BASE}sitemap.xml" in (out / "robots.txt").read_text()
    feeds = sorted(out.rglob("feed.xml"))
    assert len(feeds) >= 3
    for feed in feeds:
        rel = feed.relative_to(out).as_posix()
        root = ET.parse(feed).getroot()
        links = root.findall(f"{ATOM}link") + root.findall(f"{ATOM}entry/{ATOM}link")
        ids = [e.text for e in root.iter(f"{ATOM}id")]
        for url in [link.get("href") for link in links] + ids:
            resolve(out, url, rel)
        assert root.find(f"{ATOM}link[@rel='self']").get("href") == BASE + rel
    for entry in json.loads((out / "search-index.json").read_text())["pages"]:
        resolve(out, entry["url"], "search-index.json")


def test_full_text_index_is_where_the_search_page_looks(out):
    doc = html_of(out, "search/index.html")
    results = doc.find("div", id="search-results")
    assert results.attrs["data-search-url"] == "/health/search/"
    assert results.attrs["data-index-url"] == "/health/search-index.json"
    assert json.loads((out / "search" / "index.json").read_text())["pages"] > 20
    # Every page in it is under the sub-path, and is a built page.
    manifest = json.loads((out / "search" / "index.json").read_text())
    for n in range(-(-manifest["pages"] // manifest["pageGroup"])):
        for url, *_ in json.loads((out / "search" / "pages" / f"{n}.json").read_text()):
            assert url.startswith(ROOT)
            resolve(out, url, f"search/pages/{n}.json")


def test_base_url_option_overrides_config(make_site):
    site = make_site({"content/a.md": page("A", extra="date: 2001-01-01")})
    out = build_ok(site, "--base-url", "https://example.github.io/health")   # no trailing slash: added
    doc = html_of(out, "a/index.html")
    assert doc.find("link", rel="canonical").attrs["href"] == "https://example.github.io/health/a/"
    assert doc.find("link", rel="stylesheet").attrs["href"] == "/health/assets/govuk/theme.css"
    assert "https://www.example.gov.uk" not in (out / "feed.xml").read_text()
    assert "https://www.example.gov.uk" not in (out / "sitemap.xml").read_text()
    assert "https://www.example.gov.uk" not in (out / "a/index.html").read_text()


def test_bad_base_url_option_is_a_usage_error(make_site):
    site = make_site({"content/a.md": page("A")})
    r = run("build", site, "--base-url", "example.github.io/health/")
    assert r.code in (1, 2), r.err
    assert "base-url" in r.err
    assert not (site / "_site").exists()
