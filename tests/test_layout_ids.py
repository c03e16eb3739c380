"""Ids the layouts give a page are read from the layouts; Markdown headings never take one."""

from __future__ import annotations

from collections import Counter

from conftest import build, build_ok, html_of, page

WITHDRAWN = ("type: policy\ngovernment: old-government\npolitical: true\ndate: 2008-05-01\n"
             "withdrawn:\n  date: 2012-01-01\n  explanation: Replaced by a new plan.\n")


def all_ids(doc) -> list[str]:
    return [e.attrs["id"] for e in doc.iter() if e.attrs.get("id")]


def test_headings_named_like_the_notices_get_unique_ids(make_site):
    body = "## History title\n\nOne.\n\n## Withdrawn title\n\nTwo.\n\n[back](#withdrawn-title-1)\n"
    site = make_site({"content/old.md": page("Old plan", extra=WITHDRAWN, body=body)})
    out = build_ok(site)
    doc = html_of(out, "old/index.html")
    ids = all_ids(doc)
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert {"history-title", "withdrawn-title", "history-title-1", "withdrawn-title-1"} <= set(ids)
    headings = {h.text().strip(): h.attrs["id"] for h in doc.find_all("h2") if h.attrs.get("id")}
    assert headings["History title"] == "history-title-1"
    assert headings["Withdrawn title"] == "withdrawn-title-1"


def test_a_site_layout_id_is_kept_from_headings_and_is_a_link_target(make_site):
    layout = ('{% extends "theme/page.html" %}'
              '{% block head %}{% endblock %}{% block after_body %}<div id="dept-banner">Dept</div>{% endblock %}')
    site = make_site({
        "layouts/page.html": layout,
        "content/a.md": page("A", body="## Dept banner\n\nText.\n"),
        "content/b.md": page("B", body="[see](a.md#dept-banner-1)\n"),
    })
    out = build_ok(site)
    ids = all_ids(html_of(out, "a/index.html"))
    assert ids.count("dept-banner") == 1 and "dept-banner-1" in ids


def test_a_conditional_layout_id_is_a_target_only_when_its_field_is_set(make_site):
    site = make_site({
        "content/old.md": page("Old plan", extra=WITHDRAWN),
        "content/live.md": page("Live plan"),
        "content/links.md": page("Links", body="[a](old.md#withdrawn-title)\n\n[b](live.md#withdrawn-title)\n"),
    })
    result = build(site)
    assert result.code == 1
    result.assert_has("content/links.md", 7, "error", "broken link", "live.md#withdrawn-title")
    assert not any("old.md#withdrawn-title" in m for _, _, m in result.errors())


def test_the_ids_the_layouts_give_are_kept_with_the_cache_while_the_layouts_are_the_same(make_site, monkeypatch):
    """`build` reads them from its cache file rather than from the layouts again, until a layout changes."""
    from policysite import layoutids
    from policysite.builder import BuildOptions
    from policysite.builder import build as build_with

    layout = ('{% extends "theme/page.html" %}'
              '{% block head %}{% endblock %}{% block after_body %}<div id="dept-banner">Dept</div>{% endblock %}')
    site = make_site({"layouts/page.html": layout, "content/a.md": page("A", body="## Dept banner\n\nText.\n")})
    options = BuildOptions(site_dir=site, cache_file=site / ".policysite-cache" / "build.json")
    gathered = []
    real = layoutids.gather
    monkeypatch.setattr(layoutids, "gather", lambda *args: gathered.append(1) or real(*args))
    assert build_with(options).ok and len(gathered) == 1
    (site / "content/a.md").write_text(page("A", body="## Dept banner\n\nMore text.\n"))
    assert build_with(options).ok and len(gathered) == 1
    assert "dept-banner-1" in all_ids(html_of(site / "_site", "a/index.html"))
    (site / "layouts/page.html").write_text(layout.replace("dept-banner", "dept-notice"))
    assert build_with(options).ok and len(gathered) == 2
    ids = all_ids(html_of(site / "_site", "a/index.html"))
    assert "dept-banner" in ids and "dept-banner-1" not in ids


def test_layout_ids_as_the_cache_keeps_them():
    from policysite.layoutids import LayoutIds

    ids = LayoutIds(reserved=frozenset({"a", "b"}), always=frozenset({"main-content"}), when={"change_history": frozenset({"b"})})
    assert LayoutIds.from_json(ids.to_json()) == ids
    for damaged in (None, [], [["a"], ["b"]], [["a"], "b", {}], [["a"], ["b"], {"x": [1]}], [["a"], ["b"], []]):
        assert LayoutIds.from_json(damaged) is None, damaged
