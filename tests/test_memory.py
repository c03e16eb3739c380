"""What a big build holds: each value once, not once a page, and nothing kept by a cycle.

A big build holds every page, its fields and its records from the load stage until the
end, and the render stage's worker process copies whatever memory holds them
(pool.py): a str or empty list made for each page costs twice, and a cycle made before
the build leaves what exists out of collection (stages.run) is never let go."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

from conftest import DEFAULT_CONFIG, page

from policysite import cache as cache_module
from policysite import memo, stages
from policysite.builder import build
from policysite.cache import BuildCache, MarkdownRecord, triples
from policysite.config import load_config
from policysite.diagnostics import Diagnostics
from policysite.load import load_page, scan_content
from policysite.model import EMPTY, NO_VERSIONS, Page, held
from policysite.spill import Spill, SpillText, put_json
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
                                   problems=[], targets=(0, "content/" + "b.md", "part", 1, "".join("/c/"), ""))
    stages._share_targets(site, [record, ("content/a.md", 1, "a hook failed")])
    assert record.targets[1] is site.by_source["content/b.md"].source
    assert record.targets[4] is site.by_url["/c/"].url
    assert record.targets == (0, "content/b.md", "part", 1, "/c/", "")


def test_a_page_has_lists_of_its_own_only_once_it_has_something_in_them(make_site):
    site_dir = make_site({"content/a.md": page(body="[B](b.md)\n"), "content/b.md": page(),
                          "content/b.cy.md": page("Tudalen"), "content/part/_index.md": page("Part"),
                          "content/part/c.md": page(),
                          "site_config.yaml": DEFAULT_CONFIG + "languages:\n  cy:\n    name: Cymraeg\n"})
    result = build(BuildOptions(site_dir=site_dir, output=site_dir / "_site", jobs=1))
    assert result.ok, result.diagnostics.items
    pages = {p.source: p for p in result.site.pages if p.source}
    a, b, c, part = pages["content/a.md"], pages["content/b.md"], pages["content/part/c.md"], pages["content/part/_index.md"]
    for empty in (a.children, a.backlinks, a.related, a.groups, a.collections, c.links_to, c.backlinks, b.children):
        assert empty is EMPTY
    assert a.translations is NO_VERSIONS and c.translations is NO_VERSIONS
    assert b.backlinks == [a] and part.children == [c] and a.links_to == [b]
    assert isinstance(b.backlinks, list) and isinstance(part.children, list)
    assert b.translations == {"": b, "cy": pages["content/b.cy.md"]}
    assert EMPTY == () and dict(NO_VERSIONS) == {}   # nothing was added to the shared ones


def test_a_page_made_by_hand_has_the_shared_empty_values():
    made = Page(kind="page", source="content/x.md")
    assert made.children is EMPTY and made.translations is NO_VERSIONS
    assert Path(made.output_path).name == "index.html"
    # A page sent between processes (pickled) has them still.
    copy = pickle.loads(pickle.dumps(made))
    assert copy.children is EMPTY and copy.translations is NO_VERSIONS


def test_a_markdown_record_has_no_dict_of_its_own_and_travels_with_its_texts_unread():
    spill = Spill(shared=False)
    [html] = spill.put(["<p>Text</p>"])
    [links] = put_json(spill, [["b.md"]])
    record = MarkdownRecord(key="k", html=html, sha="s", ids=["a"], toc=[], links=links, deps=[], problems=[])
    assert not hasattr(record, "__dict__")
    copy = pickle.loads(pickle.dumps(record))
    assert isinstance(held(copy, "html"), SpillText) and isinstance(held(copy, "links"), SpillText)
    assert copy.html == "<p>Text</p>" and copy.links == ["b.md"] and copy.ids == ["a"] and copy == record


def test_pages_loaded_in_workers_with_fields_on_the_same_lines_share_one_lines_dict(make_site):
    site = make_site({"content/a.md": TAGGED, "content/b.md": TAGGED, "content/c.md": page("Other", extra="type: news\n")})
    config = load_config(site, Diagnostics())
    work = stages.LoadWork(files=[(f"content/{n}.md", site / "content" / f"{n}.md") for n in "abc"], config=config)
    a, b, c = (fetched.page for fetched in stages._share_lines({}, pickle.loads(pickle.dumps(work(0, 3)))))
    assert a.lines is b.lines and a.lines == {"title": 2, "description": 3, "type": 4, "organisations": 5,
                                              "topics": 6, "government": 7}
    assert c.lines is not a.lines and c.lines["type"] == 4


def _state_of(monkeypatch) -> dict:
    """Where the build's state goes once check_links has run (in `build`, through monkeypatch)."""
    seen = {}
    check = stages.check_links

    def check_links(state):
        check(state)
        seen["state"] = state

    monkeypatch.setattr(stages, "check_links", check_links)
    return seen


def test_records_in_a_build_with_workers_share_one_empty_list_of_problems_and_hold_targets_flat(make_site, monkeypatch):
    files = {f"content/p{n}.md": page(f"Page {n}", body=f"[Next](p{(n + 1) % 70}.md#part)\n\n## Part\n") for n in range(70)}
    files["content/p3.md"] = page("Page 3", body="Text {{ site.baseurl }} here.\n\n## Part\n")
    site_dir = make_site(files)
    seen = _state_of(monkeypatch)
    cache_file = site_dir / ".policysite-cache" / "build.json"
    result = build(BuildOptions(site_dir=site_dir, output=site_dir / "_site", jobs=2, cache_file=cache_file))
    assert result.ok, result.diagnostics.items
    cache = seen["state"].cache
    assert isinstance(held(cache.markdown["content/p1.md"], "html"), SpillText)   # made in a worker and sent back
    for source in ("content/p1.md", "content/p69.md"):
        assert cache.markdown[source].problems is EMPTY and cache.loaded[source].diagnostics is EMPTY
    assert cache.markdown["content/p1.md"].targets == (0, "content/p2.md", "part")
    assert cache.markdown["content/p3.md"].problems   # a record with problems keeps them
    # Read back from the cache file, as the next build reads them.
    read = BuildCache.read(cache_file)
    assert read.markdown["content/p1.md"].problems is EMPTY and read.loaded["content/p1.md"].diagnostics is EMPTY
    assert read.markdown["content/p1.md"].targets == (0, "content/p2.md", "part")
    assert list(triples(read.markdown["content/p69.md"].targets)) == [(0, "content/p0.md", "part")]


def test_a_files_stamp_and_hash_are_held_once_when_the_load_stage_finds_them_as_the_build_first_took_them(
        make_site, monkeypatch):
    site_dir = make_site({f"content/p{n}.md": page(f"Page {n}") for n in range(70)})
    monkeypatch.setattr(cache_module, "SETTLE_NS", -10**18)   # the files just written have stamps to trust
    taken = {}
    digest_inputs = memo.input_digest

    def input_digest(*args, **kwargs):
        taken["inputs"] = digest_inputs(*args, **kwargs)
        return taken["inputs"]

    monkeypatch.setattr(memo, "input_digest", input_digest)
    seen = _state_of(monkeypatch)
    result = build(BuildOptions(site_dir=site_dir, output=site_dir / "_site", jobs=2,
                                cache_file=site_dir / ".policysite-cache" / "build.json"))
    assert result.ok, result.diagnostics.items
    stamps, first = seen["state"].cache.stamps, taken["inputs"].stamps
    assert stamps.keys() >= {f"content/p{n}.md" for n in range(70)}
    for n in range(70):
        assert stamps[f"content/p{n}.md"] is first[f"content/p{n}.md"]


def test_the_output_folder_holds_no_name_of_each_folder_it_made(tmp_path, monkeypatch):
    import os

    from policysite.write import OutputFolder

    folder = OutputFolder(tmp_path / "out")
    made = []
    mkdir = os.mkdir

    def counted(path, *args, **kwargs):
        made.append(path)
        return mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", counted)
    try:
        for n in range(30):   # a folder for each page, as a big site has
            folder.write(f"p{n}/index.html", b"x")
        for n in range(5):
            folder.write(f"search/t{n}.json", b"x")
        assert len(made) == 31   # one mkdir a folder, the search index's files included
        # Each process that writes pages holds the folder: nothing in it grows with the folders but `written`.
        assert [name for name, value in vars(folder).items() if name != "written" and isinstance(value, (set, dict, list))
                and len(value) >= 30] == []
    finally:
        monkeypatch.undo()
        folder.discard()


def test_a_spilled_text_holds_its_place_as_one_int_far_into_the_file_too():
    spill = Spill(shared=False)
    [text] = spill.put(["x" * 300])
    assert [name for name in type(text).__slots__ if isinstance(getattr(text, name), int)] == ["_at"]
    assert (text.offset, text.length, text.value()) == (0, 300, "x" * 300)
    far = SpillText(spill, 2**35 + 3, 2**33 + 5)   # beyond what 32 bits hold, both
    assert (far.offset, far.length) == (2**35 + 3, 2**33 + 5)
    copy = pickle.loads(pickle.dumps(far))
    assert (copy.offset, copy.length, copy.spill) == (2**35 + 3, 2**33 + 5, spill)


def test_lists_sent_back_from_workers_are_kept_exactly_as_long_as_they_are(make_site):
    import sys

    site = make_site({"content/a.md": TAGGED, "content/b.md": TAGGED})
    config = load_config(site, Diagnostics())
    work = stages.LoadWork(files=[(f"content/{n}.md", site / "content" / f"{n}.md") for n in "ab"], config=config)
    a, b = (fetched.page for fetched in stages._share_lines({}, pickle.loads(pickle.dumps(work(0, 2)))))
    for name in ("topics", "organisations"):
        assert a.fields[name] == b.fields[name] == [TAGGED.split(f"{name}: [")[1].split("]")[0]]
        assert sys.getsizeof(a.fields[name]) == sys.getsizeof(a.fields[name][:])   # no room kept for more
    # A Markdown record's ids, as they arrive from the Markdown stage's worker.
    built = build(BuildOptions(site_dir=site, output=site / "_site", jobs=1)).site
    record = MarkdownRecord(key="k", html="", sha="", ids=["a", "b", "c"], toc=[], links=[], deps=[], problems=[])
    [back] = stages._share_targets(built, pickle.loads(pickle.dumps([record])))
    assert back.ids == ["a", "b", "c"] and sys.getsizeof(back.ids) == sys.getsizeof(back.ids[:])
