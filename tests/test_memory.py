"""What a big build holds: each value once, not once a page, and nothing kept by a cycle.

A big build holds every page, its fields and its records from the load stage until the
end, and the render stage's worker process copies whatever memory holds them
(pool.py): a str or empty list made for each page costs twice, and a cycle made before
the build leaves what exists out of collection (stages.run) is never let go."""

from __future__ import annotations

import gc

from conftest import page

from policysite import stages
from policysite.builder import build
from policysite.config import load_config
from policysite.diagnostics import Diagnostics
from policysite.load import load_page, scan_content
from policysite.stages import BuildOptions

TAGGED = page("Tagged", extra="type: news\norganisations: [department-of-testing]\ntopics: [public-health]\n"
                              "government: old-government\n")


def test_scanning_the_content_folder_leaves_no_cycle_behind(make_site):
    site = make_site({f"content/part-{n}/page-{m}.md": page() for n in range(3) for m in range(3)})
    gc.collect()
    gc.disable()
    try:
        assert len(scan_content(site, Diagnostics())) == 10
        assert gc.collect() == 0   # what it made went when its answer did
    finally:
        gc.enable()


def test_pages_loaded_apart_share_their_field_names_and_the_keys_they_name(make_site):
    site = make_site({"content/a.md": TAGGED, "content/b.md": TAGGED})
    config = load_config(site, Diagnostics())
    a, b = (load_page(f"content/{n}.md", site / "content" / f"{n}.md", config, Diagnostics()) for n in "ab")
    assert list(a.lines) == list(b.lines) and len(a.lines) >= 5
    assert all(x is y for x, y in zip(a.lines, b.lines, strict=True))
    for name in ("type", "government"):
        assert a.fields[name] is b.fields[name]
    for name in ("organisations", "topics"):
        assert a.fields[name][0] is b.fields[name][0]


def test_a_records_targets_name_each_page_by_the_pages_own_str(make_site):
    site_dir = make_site({"content/a.md": page(body="[B](b.md#part) and [C](c.md)\n"),
                          "content/b.md": page(body="## Part\n"), "content/c.md": page()})
    result = build(BuildOptions(site_dir=site_dir, output=site_dir / "_site", jobs=1))
    assert result.ok
    site = result.site
    record = stages.MarkdownRecord(key="k", html="", sha="", ids=[], toc=[], links=["b.md#part", "c.md"], deps=[],
                                   problems=[], targets=[[0, "content/" + "b.md", "part"], [1, "".join("/c/"), ""]])
    stages._share_targets(site, [record, ("content/a.md", 1, "a hook failed")])
    assert record.targets[0][1] is site.by_source["content/b.md"].source
    assert record.targets[1][1] is site.by_url["/c/"].url
    assert record.targets == [[0, "content/b.md", "part"], [1, "/c/", ""]]
