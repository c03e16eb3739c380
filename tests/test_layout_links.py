"""Links written in a site's own layouts are checked after render, at the layout's line."""

from __future__ import annotations

from conftest import build, build_ok, page
from test_incremental import Served

LAYOUT = """\
{% extends "theme/page.html" %}
{% block after_body %}
<p><a href="{{ 'about/'|url }}">About us</a></p>
<p><a href="/missing/">Our plans</a></p>
<p><img src="{{ 'assets/crest.png'|url }}" alt="Crest"></p>
{% endblock %}
"""


def test_a_site_layout_linking_to_a_missing_page_is_an_error_at_its_line(make_site):
    site = make_site({"layouts/page.html": LAYOUT, "content/about.md": page("About"), "content/a.md": page("A")})
    result = build(site)
    assert result.code == 1
    result.assert_has("layouts/page.html", 4, "error", "broken link", "/missing/")
    result.assert_has("layouts/page.html", 5, "error", "broken link", "/assets/crest.png")
    assert not any("about" in m for _, _, m in result.errors())
    result.assert_no_traceback()
    assert not (site / "_site").exists()


def test_a_layout_link_to_a_page_that_exists_builds(make_site):
    site = make_site({"layouts/page.html": LAYOUT.replace("/missing/", "{{ 'about/'|url }}#x"),
                      "content/about.md": page("About"), "assets/crest.png": b"\x89PNG\r\n"})
    build_ok(site)


def test_deleting_the_page_a_layout_links_to_is_seen_by_an_incremental_build(make_site, tmp_path):
    layout = LAYOUT.replace("/missing/", "{{ 'plans/'|url }}")
    served = Served(make_site({"layouts/page.html": layout, "content/about.md": page("About"),
                               "content/plans.md": page("Plans"), "assets/crest.png": b"\x89PNG\r\n"}), tmp_path)
    assert served.build().ok
    served.edit({"content/plans.md": None})
    result = served.build()   # compared with a clean build, problems included
    assert not result.ok
    assert any(d.path == "layouts/page.html" and d.line == 4 and "/plans/" in d.message
               for d in result.diagnostics.items)
