"""The build's scratch file (spill.py): bulk text kept out of the main process, read when used."""

from __future__ import annotations

import pickle

from conftest import page

from policysite import pool, stages
from policysite.cache import BuildCache, MarkdownRecord
from policysite.model import Page, held
from policysite.spill import Spill, SpillJSON, SpillText, put_json


def test_a_spilled_text_is_read_each_time_and_never_kept_by_its_holder():
    spill = Spill()
    body, html = spill.put(["Some *body* text £", "<p>Some HTML</p>"])
    item = Page(kind="page", source="content/a.md", body=body, html=html)
    assert item.body == "Some *body* text £" and item.html == "<p>Some HTML</p>"
    # Read, and still held as where it lies: the main process never holds every page's text.
    assert held(item, "body") is body and held(item, "html") is html
    [deps] = put_json(spill, [[["b.md", ["/b/", "Bee", None, None]]]])
    record = MarkdownRecord(key="k", html=html, sha="s", ids=[], toc=[], links=["b.md"], deps=deps, problems=[])
    assert record.deps == [["b.md", ["/b/", "Bee", None, None]]] and held(record, "deps") is deps
    # A record given its link targets passes its HTML and deps on unread.
    noted = record.with_targets([[0, "content/b.md", ""]])
    assert held(noted, "html") is html and held(noted, "deps") is deps and noted.targets == [[0, "content/b.md", ""]]


def test_a_page_sent_between_processes_keeps_its_spilled_body_unread():
    spill = Spill()
    [body] = spill.put(["The body."])
    copy = pickle.loads(pickle.dumps(Page(kind="page", source="content/a.md", title="A", body=body)))
    assert isinstance(held(copy, "body"), SpillText) and held(copy, "body").spill is spill
    assert copy.body == "The body." and copy.title == "A"


def _spill_in_workers(spill: Spill):
    def work(start: int, stop: int) -> list:
        return spill.put([f"text {i} " * (i % 7) for i in range(start, stop)])
    return work


def test_texts_written_by_forked_workers_each_land_in_their_own_place():
    spill = Spill()
    count = pool.PARALLEL_THRESHOLD * 4
    texts = pool.run(pool.Job(work=_spill_in_workers(spill), count=count), processes=2)
    assert [t.value() for t in texts] == [f"text {i} " * (i % 7) for i in range(count)]


def test_a_big_build_keeps_bodies_html_and_deps_in_the_spill(make_site):
    """Past pool.PARALLEL_THRESHOLD pages, each page's body (loaded in a worker), HTML and
    deps (rendered in one) stay in the scratch file through the stages that read them."""
    count = pool.PARALLEL_THRESHOLD + 8
    files = {f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"## Part {i}\n\nSee [the next](p{(i + 1) % count:03d}.md).\n")
             for i in range(count)}
    site = make_site(files)
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=2, write=False), cache=BuildCache())
    stages.run(state)
    assert not state.diagnostics.items
    pages = [p for p in state.site.pages if p.source and p.source.startswith("content/s/")]
    assert len(pages) == count
    for item in pages:
        record = state.cache.markdown[item.source]
        assert isinstance(held(item, "body"), SpillText) and isinstance(held(item, "html"), SpillText)
        assert held(record, "html") is held(item, "html") and isinstance(held(record, "deps"), SpillJSON)
        assert state.cache.loaded[item.source].page.body is held(item, "body")   # one text, unread
    first = next(p for p in pages if p.source == "content/s/p000.md")
    assert first.body.startswith("## Part 0") and 'href="/s/p001/"' in first.html
    assert state.cache.markdown[first.source].deps[0][0] == "p001.md"
