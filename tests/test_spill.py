"""The build's scratch file (spill.py): bulk text kept out of the main process, read when used."""

from __future__ import annotations

import errno
import os
import pickle

import pytest
from conftest import page, run

from policysite import pool, spill, stages
from policysite.builder import FolderSink
from policysite.cache import BuildCache, MarkdownRecord, encode_record
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
    noted = record.with_targets((0, "content/b.md", ""))
    assert held(noted, "html") is html and held(noted, "deps") is deps and noted.targets == (0, "content/b.md", "")


def test_a_record_writes_its_spilled_json_to_the_cache_as_it_is(monkeypatch):
    """Links and deps kept as JSON in the scratch file go into the cache as that text, not parsed
    and encoded again, and the bytes are those of the record with the values themselves."""
    spill = Spill()
    links = ["b.md", "../c/d.md#part", "/e/f/ “quoted” £ \u2028"]
    deps = [["b.md", ["/b/", "Bee", None, None]], ["../c/d.md#part", ["/c/d/", "Dee", 2, 1.5]]]
    [spilled_links, spilled_deps] = put_json(spill, [links, deps])
    [html] = spill.put(["<p>HTML</p>"])
    plain = MarkdownRecord(key="k", html="<p>HTML</p>", sha="s", ids=["a"], toc=[], links=links, deps=deps,
                           problems=[], targets=(0, "content/b.md", ""))
    spilled = MarkdownRecord(key="k", html=html, sha="s", ids=["a"], toc=[], links=spilled_links, deps=spilled_deps,
                             problems=[], targets=(0, "content/b.md", ""))
    expected = encode_record("markdown", plain)
    monkeypatch.setattr(SpillJSON, "value", lambda self: (_ for _ in ()).throw(AssertionError("parsed again")))
    assert encode_record("markdown", spilled) == expected


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
    files = {f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"## Part {i}\n\nSee [the next](p{(i + 1) % count:03d}.md).\n\n## More\n\nText.\n")
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
        assert held(record, "toc") is held(item, "toc") and isinstance(held(item, "toc"), SpillJSON)
        assert state.cache.loaded[item.source].page.body is held(item, "body")   # one text, unread
    first = next(p for p in pages if p.source == "content/s/p000.md")
    assert first.body.startswith("## Part 0") and 'href="/s/p001/"' in first.html
    assert first.toc == [{"id": "part-0", "text": "Part 0"}, {"id": "more", "text": "More"}]
    assert state.cache.markdown[first.source].deps[0][0] == "p001.md"


def test_a_big_build_keeps_its_sitemap_feeds_and_search_list_in_the_spill(make_site):
    count = pool.PARALLEL_THRESHOLD + 8
    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}") for i in range(count)})
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=1, write=False), cache=BuildCache())
    stages.run(state)
    assert set(state.extra) >= {"sitemap.xml", "search-index.json"}
    assert all(isinstance(text, SpillText) for text in state.extra.values())
    assert "/s/p007/" in state.extra["sitemap.xml"].value()


def test_the_search_words_of_a_big_index_are_kept_as_they_are_made():
    """build_index_reusing hands each batch of pages' words to `keep`: the files and the
    record's JSON are what they are without it."""
    from policysite import search
    from policysite.config import SiteConfig

    items = [Page(kind="page", url=f"/p{i}/", title=f"Page {i}", html=f"<p>Words about thing {i} and more</p>")
             for i in range(search.KEEP_AT_ONCE + 5)]
    labels = search.Labels.of(SiteConfig())
    files, record = search.build_index_reusing(items, "/", labels, search.WordRecord())
    batches, given = [], []

    def keep(values):
        batches.append(len(values))
        given.extend(list(value) for value in values)
        return given[-len(values):]

    kept_files, kept = search.build_index_reusing(items, "/", labels, search.WordRecord(), keep=keep)
    assert kept_files == files and batches == [search.KEEP_AT_ONCE, 5]
    saved = kept.to_json()["pages"]
    assert saved == record.to_json()["pages"] and all(a is b for a, b in zip(saved.values(), given, strict=True))


def test_a_cold_build_resolves_each_markdown_link_once_where_it_renders_the_page(make_site, monkeypatch):
    """The Markdown stage notes where each page's links lead in its record; check_links takes
    them from there (fragments and backlinks as before) and resolves nothing again."""
    from policysite.links import Resolver

    site = make_site({
        "content/a.md": page("Alpha", body="## Costs\n\nSee [Beta](b.md) and [its part](b.md#part).\n"),
        "content/b.md": page("Beta", body="## Part\n\nBack to [costs](a.md#costs), [top](a.md#main-content) "
                                          "and [nothing](a.md#nothing-here).\n"),
    })
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=1, write=False), cache=BuildCache())
    resolved_in_check = []
    check_links = stages.check_links

    def counting_check_links(state):
        real = Resolver.outcome
        monkeypatch.setattr(Resolver, "outcome", lambda self, raw, item: resolved_in_check.append(raw) or real(self, raw, item))
        try:
            check_links(state)
        finally:
            monkeypatch.setattr(Resolver, "outcome", real)
    monkeypatch.setattr(stages, "check_links", counting_check_links)
    stages.run(state)
    assert resolved_in_check == []
    by_source = state.site.by_source
    alpha, beta = by_source["content/a.md"], by_source["content/b.md"]
    assert state.cache.markdown["content/a.md"].targets == (0, "content/b.md", "", 1, "content/b.md", "part")
    assert beta.backlinks == [alpha] and alpha.backlinks == [beta]
    # A heading's id and a layout's id are there; a missing one is reported, with its line.
    [problem] = state.diagnostics.items
    assert (problem.path, problem.line, problem.code) == ("content/b.md", 7, "broken-link")
    assert problem.message.startswith("broken link `a.md#nothing-here`: there is no heading or id `nothing-here`")
    # A page's ids are its record's own list, not a set of its own with the layout's ids.
    assert alpha.ids is state.cache.markdown["content/a.md"].ids and "main-content" not in alpha.ids


def test_the_render_stage_sends_each_address_once_a_chunk(make_site):
    """PageWork gives one str per address in its process, so a chunk's results pickle each once."""
    site = make_site({f"content/s/p{i}.md": page(f"Page {i}") for i in range(3)})
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=1, write=False), cache=BuildCache())
    stages.load_configuration(state)
    stages.load_pages(state)
    stages.prepare_layouts(state)
    stages.render_markdown(state, [p for p in state.site.pages if p.source])
    stages.check_links(state)
    state.ctx_site = stages.site_context(state.site)
    jobs = [("page", p) for p in state.site.pages if p.source and p.source.startswith("content/s/")]
    first, second = stages.PageWork(jobs=jobs, keys=[None] * len(jobs), state=state, share_contexts=True)(0, 2)
    shared = set(first[5]) & set(second[5])
    assert shared
    for link in shared:
        assert first[5][first[5].index(link)] is second[5][second[5].index(link)]


class _FullDisk:
    """The os module as spill.py sees it, on a disk with no room left."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def pwrite(fd, data, offset):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("verb", ["check", "build"])
def test_a_full_disk_under_the_scratch_file_is_an_error_line_not_a_traceback(make_site, monkeypatch, verb):
    """A big build writes bodies and HTML to a scratch file in the temporary folder (in worker
    processes too): when that disk is full, the editor is told where and what to do."""
    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}") for i in range(pool.PARALLEL_THRESHOLD + 8)})
    monkeypatch.setattr(spill, "os", _FullDisk())
    result = run(verb, site)
    result.assert_no_traceback()
    assert result.code == 1, result.err
    assert "error: the disk is full (writing the build's scratch file in" in result.err and "TMPDIR" in result.err
    assert not (site / "_site").exists()


def test_a_build_in_one_process_keeps_its_scratch_file_without_shared_memory(make_site, monkeypatch):
    """`--jobs 1` forks no worker: its scratch file needs no memory shared between processes,
    which some systems cannot give (a read-only /dev/shm)."""
    import multiprocessing

    def no_shared_memory(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/dev/shm/pym-1")

    context = multiprocessing.get_context("fork")
    monkeypatch.setattr(context, "Lock", no_shared_memory)
    monkeypatch.setattr(context, "RawValue", no_shared_memory)
    count = pool.PARALLEL_THRESHOLD + 8
    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(count)})
    result = run("build", site, "--jobs", "1")
    result.assert_no_traceback()
    assert result.code == 0, result.err
    assert "Text 7." in (site / "_site/s/p007/index.html").read_text()
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=1, write=False), cache=BuildCache())
    stages.run(state)
    item = state.site.by_source["content/s/p007.md"]
    assert isinstance(held(item, "html"), SpillText) and "Text 7." in item.html   # still kept out of memory


def test_a_system_without_shared_memory_builds_in_one_process(make_site, monkeypatch):
    """Where processes cannot share a lock (no usable /dev/shm, as in some containers), `build`
    and `check` do the work in one process instead of failing or ending in a traceback."""
    import multiprocessing

    def no_shared_memory(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/dev/shm/pym-1")

    context = multiprocessing.get_context("fork")
    for name in ("Lock", "RawValue", "RawArray", "Pool"):
        monkeypatch.setattr(context, name, no_shared_memory)
    monkeypatch.setattr(pool, "_SHARING", None, raising=False)   # asked again, with no shared memory
    count = pool.PARALLEL_THRESHOLD + 8
    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(count)})
    monkeypatch.setattr(os, "cpu_count", lambda: 2)   # two processes, as `check` and `build` would take
    for args in (("check", site), ("build", site, "--jobs", "2")):
        result = run(*args)
        result.assert_no_traceback()
        assert result.code == 0, (args, result.err)
    assert "Text 7." in (site / "_site/s/p007/index.html").read_text()
    assert not pool.parallel(count, 2)


def test_serve_gives_each_quick_rebuild_of_many_pages_a_scratch_file_of_its_own(make_site, tmp_path):
    """`serve` rebuilds many times in one process: a quick rebuild that renders many pages (a
    search and replace, a checkout) keeps their HTML in a scratch file; one it shared with the
    run before would grow with every such rebuild for as long as `serve` runs."""
    from policysite.builder import Builder, BuildOptions, FolderSink

    count = pool.PARALLEL_THRESHOLD + 8
    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(count)})
    out = tmp_path / "served"
    out.mkdir()
    builder, sink = Builder(BuildOptions(site_dir=site, output=out, jobs=1), BuildCache()), FolderSink(out)
    assert builder.run(sink).ok
    sizes = []
    for edit in range(3):
        edited = set()
        for i in range(count):
            (site / f"content/s/p{i:03d}.md").write_text(page(f"Page {i}", body=f"Text {i}, edit {edit}.\n"))
            edited.add(site / f"content/s/p{i:03d}.md")
        result = builder.run(sink, edited)
        assert result.ok and result.stats["quick"] == 1 and result.rendered == count, result.stats
        assert f"Text 7, edit {edit}." in (out / "s/p007/index.html").read_text()
        sizes.append(os.fstat(builder.cache.last_run.spill.fd).st_size)
    assert sizes[0] == sizes[1] == sizes[2] > 0, sizes


def test_serve_shows_a_full_disk_under_the_scratch_file_and_builds_once_there_is_room(make_site, monkeypatch, tmp_path, capsys):
    from policysite.serve import DevSite

    site = make_site({f"content/s/p{i:03d}.md": page(f"Page {i}") for i in range(pool.PARALLEL_THRESHOLD + 8)})
    dev = DevSite(site, "127.0.0.1", 8000, drafts=False, output=tmp_path / "served")
    monkeypatch.setattr(spill, "os", _FullDisk())
    assert not dev.rebuild()
    assert dev.problems[0].startswith("error: the disk is full (writing the build's scratch file in"), dev.problems
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.undo()
    assert dev.rebuild() and (tmp_path / "served/s/p007/index.html").is_file()


def test_rendering_a_page_reads_its_spilled_contents_list_once_for_its_key_and_once_for_its_layout(make_site, monkeypatch):
    """Each read of a spilled value is a read of the scratch file and a JSON parse: the render
    stage asks for a page's table of contents once where it makes the page's output key and
    once where it makes what the layout sees, not again for each test of it."""
    count = pool.PARALLEL_THRESHOLD + 8
    files = {f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"## Part {i}\n\nText.\n\n## More\n\nText.\n")
             for i in range(count)}
    site = make_site(files)
    reads: dict[int, int] = {}
    real = SpillJSON.value
    monkeypatch.setattr(SpillJSON, "value", lambda self: reads.__setitem__(id(self), reads.get(id(self), 0) + 1) or real(self))
    state = stages.BuildState(options=stages.BuildOptions(site_dir=site, output=site / "_site", jobs=1), cache=BuildCache())
    render_pages = stages.render_pages

    def counted_render_pages(state, *args, **kwargs):
        reads.clear()   # only the render stage's reads
        return render_pages(state, *args, **kwargs)
    monkeypatch.setattr(stages, "render_pages", counted_render_pages)
    state.sink = FolderSink(site / "_site")
    stages.run(state)
    assert not state.diagnostics.items
    pages = [p for p in state.site.pages if p.source and p.source.startswith("content/s/")]
    tocs = [held(p, "toc") for p in pages]
    assert all(isinstance(t, SpillJSON) for t in tocs)
    assert [reads.get(id(t), 0) for t in tocs] == [2] * count
    assert "Part 3" in (site / "_site" / "s" / "p003" / "index.html").read_text()
