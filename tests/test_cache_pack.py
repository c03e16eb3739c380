"""The build cache on disk: what is read when, and what a damaged or replaced pack gives.

A record read from disk leaves its bulky parts (a page's body, its HTML, its links and
their outcomes) in the pack until a stage asks for them; each is then read again and
checked. These tests make sure a late read gives the right text however the pack has
changed since, and that damage never gives wrong output or a traceback.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import DEFAULT_CONFIG, page, read_tree, run, write_files

from policysite import cache as cache_module
from policysite import memo, search
from policysite.builder import BuildOptions, build
from policysite.cache import BuildCache, CacheDamaged, LoadRecord, MarkdownRecord, OutputRecord, PageData
from policysite.model import Deferred, Page, held

CACHE = Path(".policysite-cache") / "build.json"


def _records(n: int, text: str = "body") -> BuildCache:
    cache = BuildCache()
    cache.loaded = {f"content/{i}.md": LoadRecord(key=f"l{i}", diagnostics=[], page=PageData(
        kind="page", title=f"T{i}", description="d", fields={"title": f"T{i}"}, lines={"title": 2},
        body=f"{text} of page {i}\n" * 20, body_line=4)) for i in range(n)}
    cache.markdown = {f"content/{i}.md": MarkdownRecord(key=f"m{i}", html=f"<p>{text} {i}</p>" * 20, sha="s", ids=["a"],
                                                       toc=[], links=[f"{i + 1}.md"], deps=[[f"{i + 1}.md", ["/x/", "X", None]]],
                                                       problems=[]) for i in range(n)}
    cache.outputs = {f"{i}/index.html": OutputRecord(ctx=f"c{i}", sha="s", links=["/"]) for i in range(n)}
    return cache


def _written_and_read_back(tmp_path) -> tuple[Path, BuildCache]:
    """100 pages' records saved, and read back with their loaded and Markdown records read together."""
    index = tmp_path / "build.json"
    _records(100).write(index)
    back = BuildCache.read(index)
    back.loaded.prefetch()
    back.markdown.prefetch()
    return index, back


def test_bulky_parts_stay_in_the_pack_until_a_stage_asks_for_them(tmp_path):
    _, back = _written_and_read_back(tmp_path)
    loaded, rendered = back.loaded["content/7.md"], back.markdown["content/7.md"]
    # Read, yet the text and the links are still in the pack.
    assert isinstance(loaded.page.body, Deferred)
    assert all(isinstance(held(rendered, name), Deferred) for name in ("html", "links", "deps"))
    assert rendered.key == "m7" and rendered.ids == ["a"]
    # A page made from the record hands its body on unread, and reads it when asked.
    made = Page(kind="page", source="content/7.md", body=loaded.page.body)
    assert isinstance(held(made, "body"), Deferred)
    assert made.body == "body of page 7\n" * 20 and held(made, "body") == made.body
    assert rendered.html == "<p>body 7</p>" * 20 and rendered.deps == [["8.md", ["/x/", "X", None]]]
    assert rendered.links == ["8.md"]
    # A written page's layout links too: a build checks those of the pages it rendered again.
    output = back.outputs["7/index.html"]
    assert output.ctx == "c7" and isinstance(held(output, "links"), Deferred)
    assert output.links == ["/"]
    assert back.loaded == _records(100).loaded and back.markdown == _records(100).markdown


def test_a_pages_title_and_description_are_kept_once_when_they_are_its_fields(tmp_path):
    same = PageData(kind="page", title="Plan", description="About it", fields={"title": "Plan", "description": "About it"},
                    lines={"title": 2, "description": 3}, body="", body_line=5)
    other = PageData(kind="home", title="Site", description="", fields={"title": "Own"}, lines={}, body="", body_line=1)
    assert same.to_json()[1:3] == [None, None] and other.to_json()[1:3] == ["Site", None]
    for data in (same, other):
        assert PageData.from_json(json.loads(json.dumps(data.to_json())), "") == data
    index = tmp_path / "build.json"
    cache = BuildCache()
    cache.loaded = {"content/a.md": LoadRecord(key="a", page=same, diagnostics=[]),
                    "content/b.md": LoadRecord(key="b", page=other, diagnostics=[])}
    cache.write(index)
    back = BuildCache.read(index)
    assert back.loaded["content/a.md"].page == same and back.loaded["content/b.md"].page == other


def test_text_left_in_the_pack_is_read_after_another_build_replaced_the_pack(tmp_path):
    index, first = _written_and_read_back(tmp_path)
    record, data = first.markdown["content/3.md"], first.loaded["content/3.md"].page
    old_pack = next(tmp_path.glob("build.json-*.pack"))
    # Another build rewrites every record: a new pack, and the old one is removed.
    other = BuildCache.read(index)
    other.markdown = _records(100, "new").markdown
    other.loaded = _records(100, "new").loaded
    other.write(index)
    assert not old_pack.exists() and len(list(tmp_path.glob("build.json-*.pack"))) == 1
    assert record.html == "<p>body 3</p>" * 20 and record.links == ["4.md"]
    assert Page(kind="page", body=data.body).body == "body of page 3\n" * 20
    assert BuildCache.read(index).markdown["content/3.md"].html == "<p>new 3</p>" * 20


def test_a_pack_changed_in_place_under_a_build_stops_it_and_the_next_starts_clean(tmp_path):
    index = tmp_path / "build.json"
    _records(100).write(index)
    back = BuildCache.read(index)
    back.markdown.prefetch()
    record = back.markdown["content/5.md"]
    pack = next(tmp_path.glob("build.json-*.pack"))
    data = pack.read_bytes()
    at = data.index(b"<p>body 5</p>")
    with open(pack, "r+b") as handle:   # in place: the open pack sees it
        handle.seek(at + 4)
        handle.write(b"X")
    with pytest.raises(CacheDamaged):
        _ = record.html
    assert isinstance(CacheDamaged("x"), OSError)   # met while saving, the cache is not saved, as on a failing disk
    assert BuildCache.read(index).markdown == {}


def test_the_links_of_many_records_can_be_read_with_them(tmp_path):
    index = tmp_path / "build.json"
    _records(100).write(index)
    back = BuildCache.read(index)
    back.markdown.prefetch(["content/1.md", "content/2.md"])
    assert back.markdown.cold["content/1.md"].parsed is None   # left in the pack
    back.markdown.prefetch(cold=True)
    assert all(back.markdown.cold[key].parsed is not None for key in back.markdown if key not in ("content/1.md", "content/2.md"))
    assert back.markdown["content/4.md"].deps == [["5.md", ["/x/", "X", None]]]
    assert back.markdown["content/1.md"].deps == [["2.md", ["/x/", "X", None]]]   # read on its own


def test_a_record_changed_in_place_and_assigned_again_is_saved(tmp_path):
    index = tmp_path / "build.json"
    _records(10).write(index)
    back = BuildCache.read(index)
    record = back.markdown["content/2.md"]
    record.targets = (0, "content/3.md", "")
    back.markdown["content/2.md"] = record   # the very record read, changed in place
    back.write(index)
    assert BuildCache.read(index).markdown["content/2.md"].targets == (0, "content/3.md", "")


def test_the_site_record_changed_in_place_is_saved(tmp_path):
    """A SiteRecord changed in place still reaches the disk: the cache compares it with a copy of the one it read."""
    index = tmp_path / "build.json"
    first = _records(3)
    first.site.extras, first.site.extra_files = "one", {"sitemap.xml": "a"}
    first.write(index)
    back = BuildCache.read(index)
    back.site.extras = "two"
    back.site.extra_files["sitemap.xml"] = "b"
    back.write(index)
    again = BuildCache.read(index).site
    assert (again.extras, again.extra_files) == ("two", {"sitemap.xml": "b"})


def test_a_damaged_index_entry_gives_an_empty_cache(tmp_path):
    index = tmp_path / "build.json"
    _records(10).write(index)
    good = json.loads(index.read_text())
    for damage in ([["a"], [1, 2]], [["a"], [1, 2, "3"]], [[1], [1, 2, 3]], {"a": [1, 2, 3]}):
        data = json.loads(json.dumps(good))
        data["sections"]["markdown"] = damage
        index.write_text(json.dumps(data))
        assert BuildCache.read(index).markdown == {}


def test_a_body_edit_reads_and_writes_only_the_edited_pages_search_words(make_site, monkeypatch):
    """Each page's words for the search index stay in the pack unless its digest changed, and go
    back as they were read: the cache appends the edited page's words alone. After an edit to one
    page's body alone, no other page's words are even looked at."""
    site = make_site({"content/a.md": page("Alpha", body="Wombats and quokkas.\n"),
                      "content/b.md": page("Beta", body="Numbats.\n"),
                      "content/c.md": page("Gamma", body="Plain words.\n")})
    options = BuildOptions(site_dir=site, cache_file=site / CACHE)
    assert build(options).ok
    before = json.loads((site / CACHE).read_text())["sections"]["search_pages"]
    read = []
    terms = search.PageWords.terms.fget

    def counted(words):
        if isinstance(words._terms, Deferred):
            read.append(words.digest)
        return terms(words)

    monkeypatch.setattr(search.PageWords, "terms", property(counted))
    looked_at = []
    from_stored = search.PageWords.from_stored
    monkeypatch.setattr(search.PageWords, "from_stored", classmethod(lambda cls, stored: looked_at.append(stored[0]) or from_stored(stored)))
    write_files(site, {"content/c.md": page("Gamma", body="Plain words, and a bilby.\n")})
    result = build(options)
    assert result.ok and result.stats["search_files_made"] > 0, result.stats
    assert len(read) == 1   # the edited page's words of the last build, to take them out of the index
    assert looked_at == read, (looked_at, read)
    after = json.loads((site / CACHE).read_text())["sections"]["search_pages"]
    assert before[0] == after[0]
    moved = {url for at, url in enumerate(after[0]) if after[1][3 * at:3 * at + 3] != before[1][3 * at:3 * at + 3]}
    assert moved == {"/c/"}
    clean = site.parent / "clean"
    assert build(BuildOptions(site_dir=site, output=clean)).ok
    assert read_tree(site / "_site") == read_tree(clean)


def _pack_record(site: Path, section: str, key: str) -> tuple[Path, int, int]:
    """Where one record lies in the site's pack: (pack, offset, length)."""
    index = json.loads((site / CACHE).read_text())
    keys, numbers = index["sections"][section]
    at = keys.index(key)
    return site / CACHE.parent / index["pack"], numbers[3 * at], numbers[3 * at + 1]


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x20]))


@pytest.mark.parametrize("section, key, where", [
    ("loaded", "content/a.md", "end"),          # a page's body
    ("markdown", "content/b.md", "end"),        # its HTML
    ("markdown", "content/b.md", "start"),      # what every build reads of it
    ("outputs", "b/index.html", "end"),
    ("search_pages", "/a/", "end"),
])
def test_a_record_damaged_on_disk_is_made_again(make_site, tmp_path, section, key, where):
    site = make_site({"content/a.md": page("Alpha", body="## Costs\n\nSee [](b.md) for wombats.\n"),
                      "content/b.md": page("Beta", body="Back to [the costs](a.md#costs), quokkas.\n"),
                      "content/c.md": page("Gamma", body="Plain words.\n")})
    first = run("build", str(site))
    assert first.code == 0, first.err
    pack, offset, length = _pack_record(site, section, key)
    _flip(pack, offset + length - 2 if where == "end" else offset + 6)
    write_files(site, {"content/c.md": page("Gamma", body="Plain words, edited.\n")})
    again = run("build", str(site))
    again.assert_no_traceback()
    assert again.code == 0, again.err
    clean = tmp_path / "clean"
    assert build(BuildOptions(site_dir=site, output=clean)).ok
    assert read_tree(site / "_site") == read_tree(clean)


def test_a_file_edited_after_the_build_hashed_its_inputs_counts_as_changed_next_time(make_site, tmp_path, monkeypatch):
    """The load stage trusts the stamps taken as the build began (no second look at an
    unchanged file); a file edited after that is built as it was then, and the next build
    sees the edit."""
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)   # every file old enough to be trusted by its stamp
    monkeypatch.setattr(memo, "SETTLE_NS", 0)
    site = make_site({"content/a.md": page("Alpha", body="Version one.\n"), "content/b.md": page("Beta")})
    options = BuildOptions(site_dir=site, output=site / "_site", cache_file=site / CACHE)
    assert build(options).ok
    write_files(site, {"content/b.md": page("Beta", body="Another body.\n")})   # so that this build is not the last one's
    real = memo.input_digest

    def edited_meanwhile(*args, **kwargs):
        inputs = real(*args, **kwargs)
        write_files(site, {"content/a.md": page("Alpha", body="Version two.\n")})
        return inputs

    monkeypatch.setattr(memo, "input_digest", edited_meanwhile)
    result = build(options)
    assert result.ok and result.stats["load_hits"] >= 1, result.stats
    monkeypatch.setattr(memo, "input_digest", real)
    assert "Version one." in (site / "_site/a/index.html").read_text()   # a.md as it was when hashed
    result = build(options)
    assert result.ok and not result.stats.get("taken_over")
    assert "Version two." in (site / "_site/a/index.html").read_text()
    clean = tmp_path / "clean"
    assert build(BuildOptions(site_dir=site, output=clean)).ok
    assert read_tree(site / "_site") == read_tree(clean)


def test_a_page_from_the_cache_goes_to_a_worker_as_its_text(tmp_path):
    import pickle

    index = tmp_path / "build.json"
    _records(3).write(index)
    back = BuildCache.read(index)
    made = Page(kind="page", body=back.loaded["content/1.md"].page.body, html=held(back.markdown["content/1.md"], "html"))
    copy = pickle.loads(pickle.dumps(made))
    assert (held(copy, "body"), held(copy, "html")) == ("body of page 1\n" * 20, "<p>body 1</p>" * 20)


def test_text_that_cannot_be_read_again_means_a_build_without_the_cache(make_site, tmp_path, monkeypatch):
    """Only a pack changed in place while a build reads it (never by policysite) can do this:
    the build then counts the cache as damaged, builds in full without it, and the next starts clean."""
    site = make_site({"content/a.md": page("Alpha", body="Version one.\n"), "content/b.md": page("Beta", body="[](a.md)\n")})
    assert run("build", str(site)).code == 0
    write_files(site, {"content/b.md": page("Beta", body="[](a.md) again.\n"),
                       "content/a.md": page("Alpha renamed", body="Version one.\n")})   # a's page is rendered again

    # Each record read again no longer holds its CRC; those read together before still do.
    reads = []

    def changed(self, entry):
        reads.append(entry)
        return None

    monkeypatch.setattr(cache_module.Pack, "raw", changed)
    result = run("build", str(site), "--jobs", "1")
    result.assert_no_traceback()
    assert reads   # the build did meet the changed pack
    assert result.code == 0 and "unchanged" not in result.out, result.out + result.err
    assert not (site / CACHE).exists()   # the next build starts from an empty cache
    monkeypatch.undo()
    clean = tmp_path / "clean"
    assert build(BuildOptions(site_dir=site, output=clean)).ok
    assert read_tree(site / "_site") == read_tree(clean)
    again = run("build", str(site))
    assert again.code == 0, again.err
    assert read_tree(site / "_site") == read_tree(clean)



def test_a_cache_changed_under_a_hook_is_not_the_hooks_fault():
    """A hook that reads another page's text may be the first to meet a changed pack: that
    reaches the builder (which builds again without the cache), not a "hook failed" error."""
    from policysite.hooks import Hook, HookError, Hooks

    def reads_a_changed_pack(context):
        raise CacheDamaged("the build cache changed while this build read it")

    def fails(context):
        raise ValueError("the hook's own bug")

    hooks = Hooks(by_name={"on_page_context": [Hook("on_page_context", reads_a_changed_pack, "hooks/a.py", None)]})
    with pytest.raises(CacheDamaged):
        hooks.transform("on_page_context", "context", {}, "building /a/")
    hooks = Hooks(by_name={"on_page_context": [Hook("on_page_context", fails, "hooks/a.py", None)]})
    with pytest.raises(HookError):
        hooks.transform("on_page_context", "context", {}, "building /a/")


def test_the_collector_is_paused_while_what_lives_all_build_long_is_read(make_site, monkeypatch):
    """Reading the note, hashing the inputs, reading the cache's index and loading the pages make
    objects that live until the build ends: Python's cycle collector does not run meanwhile (it
    would walk them all again and again, to find no garbage), and runs again after. Nor while the
    links are checked (the backlinks live on too), the full-text index is made (its postings
    pile up until its files are written), or the cache and the note are written."""
    import gc

    from policysite import stages

    site = make_site({f"content/p{i}.md": page(f"Page {i}") for i in range(3)})
    options = BuildOptions(site_dir=site, cache_file=site / CACHE)
    assert build(options).ok
    seen: dict[str, bool] = {}

    def watching(module, name, key=None):
        real = getattr(module, name)

        def watched(*args, **kwargs):
            seen[key or name] = gc.isenabled()
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, watched)

    watching(memo, "input_digest")
    watching(cache_module, "_section_entries")
    watching(stages, "load_pages")
    watching(stages, "check_links")
    watching(stages, "search_index")
    watching(cache_module.BuildCache, "write", "cache write")
    watching(memo, "write", "note write")
    write_files(site, {"content/p1.md": page("Page 1", body="Edited.\n")})
    assert gc.isenabled() and build(options).ok and gc.isenabled()
    assert seen == {"input_digest": False, "_section_entries": False, "load_pages": False,
                    "check_links": False, "search_index": False, "cache write": False, "note write": False}, seen


def test_what_the_links_check_made_is_left_out_of_the_collector_s_walks_while_pages_render(make_site, monkeypatch):
    """Backlinks live until the build ends: frozen once the links are checked, so that the
    collections set off while the pages render do not walk them again and again."""
    import gc

    from policysite import stages

    site = make_site({"content/a.md": page("Alpha", body="See [Beta](b.md).\n"), "content/b.md": page("Beta")})
    seen = []
    real = stages.render_pages

    def render_pages(state, *args, **kwargs):
        beta = next(p for p in state.site.pages if p.source == "content/b.md")
        collectable = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
        seen.append((len(beta.backlinks), id(beta.backlinks) in collectable))
        return real(state, *args, **kwargs)
    monkeypatch.setattr(stages, "render_pages", render_pages)
    assert build(BuildOptions(site_dir=site, cache_file=site / CACHE)).ok
    assert seen == [(1, False)]


# -- a first build's pack, begun while its pages render (BuildCache.write_ahead) --------------

def _pack_and_layout(folder: Path) -> tuple[bytes, dict]:
    """The one pack's bytes, and the index without the pack's (random) name."""
    (pack,) = folder.glob("build.json-*.pack")
    layout = json.loads((folder / "build.json").read_bytes())
    assert layout.pop("pack") == pack.name
    return pack.read_bytes(), layout


def test_a_pack_begun_ahead_is_the_pack_written_at_once(tmp_path):
    (tmp_path / "at-once").mkdir()
    _records(50).write(tmp_path / "at-once" / "build.json")
    ahead = _records(50)
    index = tmp_path / "ahead" / "build.json"
    ahead.write_ahead(index)
    begun = list(index.parent.iterdir())
    assert [p.name for p in begun] != [] and all(".pack.tmp-" in p.name for p in begun)   # no other build removes it
    ahead.write(index)
    assert _pack_and_layout(index.parent) == _pack_and_layout(tmp_path / "at-once")
    assert sorted(p.name for p in index.parent.iterdir() if not p.name.endswith(".pack")) == ["build.json"]
    back = BuildCache.read(index)
    assert back.loaded == _records(50).loaded and back.markdown == _records(50).markdown
    assert back.outputs == _records(50).outputs


def test_a_record_replaced_after_the_pack_was_begun_is_saved_as_it_is_now(tmp_path):
    index = tmp_path / "build.json"
    cache = _records(20)
    cache.write_ahead(index)
    cache.markdown["content/4.md"] = _records(20, "new").markdown["content/4.md"]
    del cache.loaded["content/5.md"]
    cache.write(index)
    back = BuildCache.read(index)
    assert back.markdown["content/4.md"].html == "<p>new 4</p>" * 20
    assert back.markdown["content/3.md"].html == "<p>body 3</p>" * 20
    assert "content/5.md" not in back.loaded and back.loaded["content/6.md"] == _records(20).loaded["content/6.md"]


def test_a_cache_read_from_disk_begins_no_pack_ahead(tmp_path):
    index = tmp_path / "build.json"
    _records(10).write(index)
    before = sorted(p.name for p in tmp_path.iterdir())
    back = BuildCache.read(index)
    back.write_ahead(index)   # its save may append rather than write a new pack
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_first_builds_cache_is_the_same_begun_ahead_or_not(make_site, tmp_path, monkeypatch):
    files = {f"content/p{i}.md": page(f"Page {i}", body=f"See [the next](p{i + 1}.md).\n") for i in range(8)}
    files["content/p8.md"] = page("Page 8")
    ahead = make_site(files, name="ahead")
    begin, packs = cache_module.AheadPack.begin, []
    monkeypatch.setattr(cache_module.AheadPack, "begin", lambda *args: packs.append(begin(*args)) or packs[-1])
    assert run("build", str(ahead)).code == 0
    assert len(packs) == 1 and packs[0] is not None and not packs[0].tmp.exists()
    at_once = make_site(files, name="at-once")
    begun = []
    monkeypatch.setattr(BuildCache, "write_ahead", lambda self, path, *a: begun.append(path))
    assert run("build", str(at_once)).code == 0
    assert begun == [at_once / CACHE] and len(packs) == 1
    assert _pack_and_layout(ahead / CACHE.parent) == _pack_and_layout(at_once / CACHE.parent)


def test_a_first_build_that_fails_as_its_pages_render_leaves_no_pack_begun(make_site, monkeypatch):
    site = make_site({"content/a.md": page("Alpha"), "content/b.md": page("Beta"),
                      "layouts/page.html": "{{ page.title }} {{ 1 // 0 }}\\n"})
    begin, packs = cache_module.AheadPack.begin, []
    monkeypatch.setattr(cache_module.AheadPack, "begin", lambda *args: packs.append(begin(*args)) or packs[-1])
    failed = run("build", str(site))
    failed.assert_no_traceback()
    assert failed.code == 1 and "layout" in failed.err
    assert len(packs) == 1 and packs[0] is not None   # begun, then the layout failed
    assert not (site / CACHE.parent).exists() or not any(".pack" in p.name for p in (site / CACHE.parent).iterdir())


def test_a_pack_left_half_written_by_a_stopped_build_is_removed_a_day_later(tmp_path):
    index = tmp_path / "build.json"
    stopped, writing = tmp_path / "build.json-0123456789ab.pack.tmp-99", tmp_path / "build.json-ba9876543210.pack.tmp-98"
    stopped.write_bytes(cache_module.PACK_MAGIC)
    writing.write_bytes(cache_module.PACK_MAGIC)
    day_ago = time.time() - cache_module.STALE_SECONDS - 60
    os.utime(stopped, (day_ago, day_ago))
    _records(3).write(index)
    assert not stopped.exists() and writing.exists()   # another build's, still being written
    assert BuildCache.read(index).markdown == _records(3).markdown


def test_a_pack_that_cannot_be_begun_ahead_is_left_to_write(tmp_path, monkeypatch):
    """A disk that fills while the pack is begun: nothing of it is left, and `write` saves the cache as ever."""
    index = tmp_path / "build.json"
    cache = _records(10)
    real, calls = cache_module.encode_record, []

    def disk_full_at_the_fifth(section, record):
        calls.append(section)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(section, record)

    monkeypatch.setattr(cache_module, "encode_record", disk_full_at_the_fifth)
    cache.write_ahead(index)
    assert len(calls) == 5 and list(tmp_path.iterdir()) == []
    monkeypatch.setattr(cache_module, "encode_record", real)
    cache.write(index)
    assert BuildCache.read(index).markdown == _records(10).markdown


def test_a_hook_that_changes_a_page_in_place_changes_neither_the_cache_nor_the_next_build(make_site, tmp_path, monkeypatch):
    """Each visit appends to a list in the page's fields: with the records' own lists, the cache
    kept the hook's change (or not, as the pack was begun ahead or at once) and a next build,
    starting from it, showed two visits where a clean build shows one."""
    hook = ("def on_page_html(html, page):\n"
            "    seen = page.fields.setdefault('seen', [])\n"
            "    seen.append(1)\n"
            "    if page.source == 'content/a.md':\n"
            "        page.ids.append('visited')\n"
            "        page.fields['extra']['tags'].append('visited')\n"
            "        page.toc.append({'id': 'visited', 'text': 'Visited', 'level': 2})\n"
            "        page.lines['visited'] = 99\n"
            "    return html.replace('</body>', f'<!-- seen {len(seen)} --></body>')\n")
    files = {"site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/visit.py\n", "hooks/visit.py": hook,
             "content/a.md": page("Alpha", extra="extra:\n  tags:\n    - one",
                                  body="## Costs\n\nSome costs.\n\n## Benefits\n\nSome benefits.\n"),
             "content/b.md": page("Beta")}
    ahead, at_once = make_site(files, name="ahead"), make_site(files, name="at-once")
    assert run("build", str(ahead)).code == 0
    with monkeypatch.context() as patched:
        patched.setattr(BuildCache, "write_ahead", lambda self, *args: None)
        assert run("build", str(at_once)).code == 0
    saved = [BuildCache.read(site / CACHE) for site in (ahead, at_once)]   # keyed by their own hooks' paths
    for name in ("content/a.md", "content/b.md"):
        assert saved[0].loaded[name].page == saved[1].loaded[name].page
        assert (saved[0].markdown[name].ids, saved[0].markdown[name].html) == (saved[1].markdown[name].ids, saved[1].markdown[name].html)
    for site in (ahead, at_once):
        saved = BuildCache.read(site / CACHE)
        data = saved.loaded["content/a.md"].page
        assert "seen" not in data.fields and data.fields["extra"] == {"tags": ["one"]} and "visited" not in data.lines
        assert sorted(saved.markdown["content/a.md"].ids) == ["benefits", "costs"]
        assert [heading["id"] for heading in saved.markdown["content/a.md"].toc] == ["costs", "benefits"]
        write_files(site, {"content/b.md": page("Beta", body="Edited.\n")})
        assert run("build", str(site)).code == 0
        assert "<!-- seen 1 -->" in (site / "_site/a/index.html").read_text()
        clean = tmp_path / f"clean-{site.name}"
        assert build(BuildOptions(site_dir=site, output=clean)).ok
        assert read_tree(site / "_site") == read_tree(clean)
