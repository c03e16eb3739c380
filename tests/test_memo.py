"""`build` with nothing changed takes the last output over whole (policysite/memo.py),
and anything that could change the output means a full build."""

from __future__ import annotations

import builtins
import hashlib
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import page, read_tree, run, write_files

from policysite.builder import BuildOptions, build
from policysite.diagnostics import Diagnostics

CACHE = Path(".policysite-cache") / "build.json"
FILES = {
    "content/a.md": page("Alpha", body="## Costs\n\nSee [](b.md).\n"),
    "content/b.md": page("Beta", body="Back to [the costs](a.md#costs).\n"),
}


def cached_build(site: Path, **options):
    return build(BuildOptions(site_dir=site, output=site / "_site", cache_file=site / CACHE, **options))


def taken_over(result) -> bool:
    return bool(result.stats.get("taken_over"))


def test_a_build_with_nothing_changed_takes_the_last_output_over(make_site):
    site = make_site(FILES)
    first = run("build", site)
    assert first.code == 0, first.err
    before = read_tree(site / "_site")
    inode = (site / "_site/a/index.html").stat().st_ino
    result = cached_build(site)
    assert result.ok and taken_over(result) and result.pages == cached_build(site, strict=True).pages
    assert read_tree(site / "_site") == before
    assert (site / "_site/a/index.html").stat().st_ino == inode   # linked, not written again
    again = run("build", site)
    assert again.code == 0 and f"Built {result.pages} pages ({result.pages} unchanged)" in again.out


def test_any_edit_means_a_full_build(make_site):
    site = make_site(FILES)
    assert cached_build(site).ok
    for files in ({"content/b.md": page("Beta", body="Changed.\n")},
                  {"content/files/new.pdf": b"%PDF-1.4\n"},
                  {"layouts/page.html": '{% extends "theme/page.html" %}{% block after_body %}<p>v2</p>{% endblock %}'},
                  {"assets/extra.css": "p { color: black; }\n"}):
        write_files(site, files)
        result = cached_build(site)
        assert result.ok and not taken_over(result), files
    assert "<p>v2</p>" in (site / "_site/a/index.html").read_text()
    assert (site / "_site/files/new.pdf").is_file()
    (site / "content/files/new.pdf").unlink()
    result = cached_build(site)
    assert not taken_over(result) and not (site / "_site/files/new.pdf").exists()
    assert not taken_over(cached_build(site, base_url="https://example.org/sub/"))


def test_an_output_file_changed_by_hand_is_not_trusted(make_site):
    site = make_site(FILES)
    assert cached_build(site).ok
    good = (site / "_site/a/index.html").read_bytes()
    (site / "_site/a/index.html").write_bytes(b"tampered")
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    assert (site / "_site/a/index.html").read_bytes() == good
    (site / "_site/b/index.html").unlink()
    result = cached_build(site)
    assert result.ok and not taken_over(result) and (site / "_site/b/index.html").is_file()


def test_warnings_are_reported_again_and_strict_still_fails(make_site):
    site = make_site({**FILES, "content/c.md": page("Gamma", body='Text <span onclick="x()">here</span>.\n')})
    first = run("build", site)
    assert first.code == 0 and first.warnings(), first.err
    again = run("build", site)
    assert again.code == 0 and again.warnings() == first.warnings(), again.err
    before = read_tree(site / "_site")
    strict = run("build", site, "--strict")
    assert strict.code == 1 and [(p, n) for p, n, _ in strict.errors()] == [(p, n) for p, n, _ in first.warnings()]
    assert read_tree(site / "_site") == before


def test_a_symbolic_link_among_the_inputs_means_a_full_build(make_site):
    site = make_site(FILES)
    os.symlink("b.md", site / "content/c.md")
    assert cached_build(site).ok
    result = cached_build(site)
    assert result.ok and not taken_over(result)


def test_no_cache_means_no_memo(make_site):
    site = make_site(FILES)
    assert run("build", site, "--no-cache").code == 0
    assert not (site / ".policysite-cache").exists()
    assert run("build", site, "--no-cache").code == 0


def test_a_damaged_or_edited_memo_means_a_full_build(make_site):
    import json

    site = make_site(FILES)
    assert cached_build(site).ok
    memo_file = site / CACHE.parent / "last-build.json"
    good = json.loads(memo_file.read_text())
    for change in ({"outputs": {"../outside.html": next(iter(good["outputs"].values()))}},
                   {"outputs": {"/etc/passwd": next(iter(good["outputs"].values()))}},
                   {"outputs": {"a/index.html": 7}},
                   {"diagnostics": [["content/a.md", "one", "error", "x"]]},
                   {"pages": "many"}):
        memo_file.write_text(json.dumps({**good, **change}))
        result = cached_build(site)
        assert result.ok and not taken_over(result), change
        assert (site / "_site/a/index.html").is_file()
    memo_file.write_text("{not json")
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    assert taken_over(cached_build(site))   # the build wrote a good note again


def test_a_fresh_checkout_with_the_cache_and_the_output_restored_renders_only_the_edited_page(make_site, tmp_path):
    """In CI (the workflow `init` writes): every content file is new, while the cache action
    restores .policysite-cache and _site as they were. A one-page edit renders that page alone."""
    import re
    import shutil

    site = make_site({**FILES, **{f"content/p{i}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(6)}})
    assert run("build", ".", "--output", "_site", cwd=site).code == 0
    checkout = tmp_path / "checkout"
    shutil.copytree(site, checkout, ignore=shutil.ignore_patterns(".policysite-cache", "_site"),
                    copy_function=shutil.copyfile)   # new files, new times, as git checks them out
    shutil.copytree(site / ".policysite-cache", checkout / ".policysite-cache")   # as the cache action restores them
    shutil.copytree(site / "_site", checkout / "_site")
    (checkout / "content/p3.md").write_text(page("Page 3", body="Text 3, edited.\n"))
    result = run("build", ".", "--output", "_site", cwd=checkout)
    assert result.code == 0, result.err
    built = re.search(r"Built (\d+) pages \((\d+) unchanged\)", result.out)
    assert built and int(built[2]) == int(built[1]) - 1, result.out
    assert "Text 3, edited." in (checkout / "_site/p3/index.html").read_text()
    assert run("build", checkout, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert read_tree(checkout / "_site") == read_tree(tmp_path / "clean")


def test_files_linked_ahead_that_the_build_does_not_keep_are_gone_with_their_folders(make_site):
    site = make_site({**FILES, "content/c.md": page("Gamma"), "content/deep/d.md": page("Delta")})
    assert cached_build(site).ok
    inode = (site / "_site/a/index.html").stat().st_ino
    (site / "content/c.md").unlink()
    (site / "content/deep/d.md").unlink()
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    assert not (site / "_site/c").exists() and not (site / "_site/deep").exists()
    assert (site / "_site/a/index.html").stat().st_ino == inode   # linked from the last output, not written
    assert read_tree(site / "_site") == read_tree(build_clean(site))


def test_a_failed_build_leaves_the_last_output_and_its_files_as_they_were(make_site):
    site = make_site(FILES)
    assert cached_build(site).ok
    before = read_tree(site / "_site")
    inode = (site / "_site/a/index.html").stat().st_ino
    write_files(site, {"content/b.md": page("Beta", body="See [](missing.md).\n")})
    result = cached_build(site)
    assert not result.ok
    assert read_tree(site / "_site") == before and (site / "_site/a/index.html").stat().st_ino == inode
    assert [p.name for p in site.iterdir() if ".tmp-" in p.name] == []


def build_clean(site: Path) -> Path:
    out = site.parent / (site.name + "-clean")
    assert build(BuildOptions(site_dir=site, output=out)).ok
    return out


def test_an_output_file_written_again_is_noted_with_its_new_hash(make_site, monkeypatch):
    """A file linked ahead from the last output and then written anew is noted by its new bytes:
    an edit undone later must not take the edited bytes for the old ones."""
    from policysite import cache, memo

    monkeypatch.setattr(cache, "SETTLE_NS", 0)   # every file old enough to be trusted by its stamp
    monkeypatch.setattr(memo, "SETTLE_NS", 0)
    site = make_site({**FILES, "content/c.md": page("Gamma", body="Ferries and harbours.\n")})
    import hashlib

    for body in ("Ferries and harbours.\n", "Lighthouses and piers.\n", "Ferries and harbours.\n"):
        write_files(site, {"content/c.md": page("Gamma", body=body)})
        assert cached_build(site).ok
        note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
        shown = hashlib.sha1((site / "_site/c/index.html").read_bytes()).hexdigest()
        assert note.outputs["c/index.html"][:memo.SHA_LENGTH] == shown
    assert read_tree(site / "_site") == read_tree(build_clean(site))


# ---- the spare: the output before the last one, which the next build starts from ----------

SPARE = "._site.spare"


def settled_at_once(monkeypatch):
    """Every output file old enough to be noted with its stamp as soon as it is written, as the
    files of a real output are by the next build (memo.output_stamp waits two seconds)."""
    from policysite import memo

    monkeypatch.setattr(memo, "SETTLE_NS", 0)


def site_with_a_spare(make_site, monkeypatch, files: dict | None = None, edit: dict | None = None) -> Path:
    """A site (FILES, or `files`) built twice with its cache, one page edited between (b.md, or
    `edit`), so that its last output has a spare beside it; every file noted with its stamp at
    once (settled_at_once)."""
    settled_at_once(monkeypatch)
    site = make_site(files or FILES)
    assert cached_build(site).ok
    write_files(site, edit or {"content/b.md": page("Beta", body="Edited.\n")})
    assert cached_build(site).ok
    return site


def folder_id(path: Path) -> int:
    return path.stat().st_ino


def assert_like_a_clean_build(site: Path) -> None:
    from test_incremental import explain_difference, tree

    clean = tree(build_clean(site))
    assert tree(site / "_site") == clean, explain_difference(tree(site / "_site"), clean, ("cached build", "clean"))


def test_the_previous_output_is_kept_as_the_spare_and_the_next_build_starts_from_it(make_site, monkeypatch):
    settled_at_once(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    assert cached_build(site).ok
    assert not (site / SPARE).exists()   # no previous output yet
    write_files(site, {"content/c.md": page("Gamma", body="Edited once.\n")})
    first_output = folder_id(site / "_site")
    assert cached_build(site).ok
    assert folder_id(site / SPARE) == first_output
    inode = (site / "_site/a/index.html").stat().st_ino
    assert (site / SPARE / "a/index.html").stat().st_ino == inode   # one file, in both folders
    write_files(site, {"content/c.md": page("Gamma", body="Edited twice.\n")})
    spare = folder_id(site / SPARE)
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    assert folder_id(site / "_site") == spare   # the spare, brought up to date, is the output now
    assert (site / "_site/a/index.html").stat().st_ino == inode
    assert "Edited twice." in (site / "_site/c/index.html").read_text()
    assert [p.name for p in site.iterdir() if p.name.startswith("._site")] == [SPARE]
    assert_like_a_clean_build(site)


def test_each_file_is_noted_with_its_own_hash_and_stamp(make_site, monkeypatch):
    """The note gives each output file's hash and, once it is old enough, its stamp: those of the
    file as it is, whether the build wrote it, linked it from the last output or kept it in the spare
    (those last two are noted as they were checked, not looked at again)."""
    import hashlib

    from policysite import memo

    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")})
    for body in ("Edited again.\n", "Edited a third time.\n"):
        write_files(site, {"content/b.md": page("Beta", body=body)})
        assert cached_build(site).ok
        note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
        files = {rel for rel in read_tree(site / "_site") if rel != ".policysite-output"}
        assert set(note.outputs) == files
        for rel, entry in note.outputs.items():
            path = site / "_site" / rel
            assert entry[:memo.SHA_LENGTH] == hashlib.sha1(path.read_bytes()).hexdigest(), rel
            assert entry == memo.output_entry(entry[:memo.SHA_LENGTH], os.lstat(path), memo.time.time_ns()), rel


def test_pages_worker_processes_wrote_over_linked_files_are_noted_as_written(make_site, monkeypatch):
    """Pages rendered in worker processes replace the files linked ahead from the last output:
    the note gives their new hashes, so the next build with nothing changed takes it over."""
    import hashlib

    from policysite import memo, pool

    settled_at_once(monkeypatch)
    many = {f"content/p{number}.md": page(f"Page {number}") for number in range(pool.PARALLEL_THRESHOLD + 16)}
    site = make_site({**FILES, **many})
    assert cached_build(site, jobs=2).ok
    write_files(site, {"layouts/page.html": '{% extends "theme/page.html" %}{% block after_body %}<p>v2</p>{% endblock %}'})
    result = cached_build(site, jobs=2)
    assert result.ok and result.rendered > pool.PARALLEL_THRESHOLD
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    for rel, entry in note.outputs.items():
        assert entry[:memo.SHA_LENGTH] == hashlib.sha1((site / "_site" / rel).read_bytes()).hexdigest(), rel
    assert taken_over(cached_build(site, jobs=2))


def test_a_spare_whose_files_are_not_those_noted_is_not_started_from(make_site, monkeypatch):
    """While every output file is too new to be noted with its stamp (as just after a build
    that wrote them), the note has nothing to know the spare's files by: the build links into
    a new folder, and the spare is replaced."""
    from policysite import memo

    # Never old enough: else, on a slow machine, the files the second build linked from the
    # first output would be noted with their stamps, which the spare's files share.
    monkeypatch.setattr(memo, "SETTLE_NS", 1 << 62)
    site = make_site(FILES)
    assert cached_build(site).ok
    write_files(site, {"content/b.md": page("Beta", body="Edited.\n")})
    assert cached_build(site).ok
    spare = folder_id(site / SPARE)
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    assert cached_build(site).ok
    assert folder_id(site / "_site") != spare
    assert_like_a_clean_build(site)


def test_a_file_changed_by_hand_in_the_output_is_not_kept_from_the_spare(make_site, monkeypatch):
    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")},
                             edit={"content/c.md": page("Gamma", body="Edited.\n")})
    good = (site / "_site/a/index.html").read_bytes()
    with open(site / "_site/a/index.html", "r+b") as handle:   # in place: the spare shares this file
        handle.write(b"tampered")
        handle.truncate()
    assert (site / SPARE / "a/index.html").read_bytes() == b"tampered"
    write_files(site, {"content/c.md": page("Gamma", body="Edited again.\n")})
    spare = folder_id(site / SPARE)
    result = cached_build(site)
    assert result.ok and folder_id(site / "_site") == spare
    assert (site / "_site/a/index.html").read_bytes() == good
    assert_like_a_clean_build(site)


def test_whatever_else_is_in_the_spare_does_not_reach_the_output(make_site, monkeypatch, tmp_path):
    site = site_with_a_spare(make_site, monkeypatch)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not policysite's")
    (site / SPARE / "stray.html").write_text("left over")
    (site / SPARE / "b/index.html").unlink()
    (site / SPARE / "b/index.html").write_text("an old page")   # the name of a noted file, another file
    os.symlink(outside, site / SPARE / "elsewhere")
    os.symlink(outside / "keep.txt", site / SPARE / "a/linked.html")
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    spare = folder_id(site / SPARE)
    assert cached_build(site).ok and folder_id(site / "_site") == spare
    assert_like_a_clean_build(site)
    assert not os.path.lexists(site / "_site/elsewhere") and not os.path.lexists(site / "_site/a/linked.html")
    assert [p.name for p in outside.iterdir()] == ["keep.txt"] and (outside / "keep.txt").read_text() == "not policysite's"


def test_a_spare_that_is_not_a_previous_output_is_left_as_it_is(make_site, monkeypatch, tmp_path):
    """Something by the spare's name without the output's marker is somebody's own: builds go on
    (without a spare), and never use, move or remove it."""
    settled_at_once(monkeypatch)
    site = make_site(FILES)
    assert cached_build(site).ok
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not policysite's")
    for foreign in ("file", "link", "folder"):
        if (site / SPARE).is_dir() and not (site / SPARE).is_symlink():
            shutil.rmtree(site / SPARE)
        elif os.path.lexists(site / SPARE):
            os.unlink(site / SPARE)
        if foreign == "file":
            (site / SPARE).write_text("a file by that name")
        elif foreign == "link":
            os.symlink(outside, site / SPARE)
        else:
            (site / SPARE).mkdir()
            (site / SPARE / "notes.txt").write_text("no marker: not an output")
        before = os.lstat(site / SPARE).st_ino
        for edit in ("once", "twice"):
            write_files(site, {"content/b.md": page("Beta", body=f"Edited {edit} for the {foreign}.\n")})
            assert cached_build(site).ok, foreign
            assert_like_a_clean_build(site)
            assert os.lstat(site / SPARE).st_ino == before, foreign
        if foreign == "file":
            assert (site / SPARE).read_text() == "a file by that name"
        elif foreign == "link":
            assert os.readlink(site / SPARE) == str(outside)
        else:
            assert [p.name for p in (site / SPARE).iterdir()] == ["notes.txt"]
        assert not list(site.glob(".*.old-*")) and not list(site.glob(".*.tmp-*"))
    assert [p.name for p in outside.iterdir()] == ["keep.txt"]


def test_a_failed_build_gives_the_spare_back_and_leaves_the_output_as_it_was(make_site, monkeypatch):
    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")},
                             edit={"content/c.md": page("Gamma", body="Edited.\n")})
    before = read_tree(site / "_site")
    inodes = {rel: (site / "_site" / rel).stat().st_ino for rel in before}
    output, spare = folder_id(site / "_site"), folder_id(site / SPARE)
    write_files(site, {"content/b.md": page("Beta", body="See [](missing.md).\n"),
                       "content/c.md": page("Gamma", body="Edited again.\n")})
    assert not cached_build(site).ok
    assert read_tree(site / "_site") == before
    assert {rel: (site / "_site" / rel).stat().st_ino for rel in before} == inodes
    assert (folder_id(site / "_site"), folder_id(site / SPARE)) == (output, spare)
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == [SPARE]
    write_files(site, {"content/b.md": page("Beta", body="Back to [the costs](a.md#costs).\n")})
    assert cached_build(site).ok and folder_id(site / "_site") == spare
    assert "Edited again." in (site / "_site/c/index.html").read_text()
    assert_like_a_clean_build(site)


def test_an_interrupted_build_gives_the_spare_back_and_leaves_the_output_as_it_was(make_site, monkeypatch):
    """Ctrl-C while pages are written into the spare: the last output stays, and so does the spare."""

    site = site_with_a_spare(make_site, monkeypatch)

    def interrupted(state):
        state.sink.write("b/index.html", b"half a build")
        raise KeyboardInterrupt

    interrupt_and_build_again(site, monkeypatch, "write_files", interrupted)


def interrupt_and_build_again(site: Path, monkeypatch, stage: str, interrupted) -> None:
    """Build after an edit with the stage `stage` replaced by `interrupted` (which ends in Ctrl-C):
    the last output and the spare stay as they were, with no other folder beside them; then
    build with the real stage, from the spare, as a clean build would."""
    import pytest

    from policysite import builder, stages

    before = read_tree(site / "_site")
    output, spare = folder_id(site / "_site"), folder_id(site / SPARE)
    real = getattr(stages, stage)
    monkeypatch.setattr(stages, stage, interrupted)
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    with pytest.raises(KeyboardInterrupt):
        cached_build(site)
    assert not builder._LINKERS
    assert read_tree(site / "_site") == before
    assert (folder_id(site / "_site"), folder_id(site / SPARE)) == (output, spare)
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == [SPARE]
    monkeypatch.setattr(stages, stage, real)
    assert cached_build(site).ok and folder_id(site / "_site") == spare
    assert_like_a_clean_build(site)


def test_a_sequence_of_edits_built_from_the_spare_equals_clean_builds(make_site, monkeypatch):
    settled_at_once(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma"), "content/deep/d.md": page("Delta"),
                      "content/files/r.pdf": b"%PDF-1.4 one", "assets/site.css": "p { color: black; }\n"})
    assert cached_build(site).ok
    edits = [
        {"content/c.md": page("Gamma", body="First edit.\n")},
        {"content/deep/d.md": None, "content/e.md": page("Epsilon", body="New page.\n")},
        {"content/files/r.pdf": b"%PDF-1.4 two", "assets/site.css": "p { color: navy; }\n"},
        {"content/c.md": page("Gamma renamed", body="First edit.\n")},
        {"content/deep/d.md": page("Delta"), "content/e.md": None},
        {"content/c.md": page("Gamma"), "content/files/r.pdf": b"%PDF-1.4 one", "assets/site.css": "p { color: black; }\n"},
    ]
    started_from_spare = []
    for number, files in enumerate(edits):
        write_files(site, files)
        spare = folder_id(site / SPARE) if (site / SPARE).exists() else None
        result = cached_build(site)
        assert result.ok and not taken_over(result), number
        started_from_spare.append(folder_id(site / "_site") == spare)
        assert_like_a_clean_build(site)
    assert not (site / "_site/e").exists()
    assert sum(started_from_spare) >= 3, started_from_spare


def test_a_spare_that_cannot_be_brought_up_to_date_is_left_for_an_empty_folder(make_site, monkeypatch):
    site = site_with_a_spare(make_site, monkeypatch)
    (site / SPARE / "stray.html").write_text("cannot be removed")
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.fsdecode(path).endswith("stray.html"):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    spare = folder_id(site / SPARE)
    assert cached_build(site).ok
    assert folder_id(site / "_site") != spare and not (site / "_site/stray.html").exists()
    assert [p.name for p in site.iterdir() if p.name.startswith("._site.old-")], "the spare was not set aside"
    assert_like_a_clean_build(site)
    monkeypatch.setattr(os, "unlink", real_unlink)
    write_files(site, {"content/b.md": page("Beta", body="Edited once more.\n")})
    assert cached_build(site).ok   # and what was left of that spare goes with the next build
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == [SPARE]
    assert_like_a_clean_build(site)


def test_the_spare_a_killed_build_was_using_is_the_spare_again(make_site, monkeypatch):
    """A build killed outright (SIGKILL, power cut) leaves the spare it took under a temporary
    name: the next build takes it back rather than removing it file by file."""
    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")},
                             edit={"content/c.md": page("Gamma", body="Edited.\n")})
    spare = folder_id(site / SPARE)
    (site / SPARE).rename(site / "._site.tmp-killed")
    (site / "._site.tmp-killed/c/index.html").unlink()
    (site / "._site.tmp-killed/c/index.html").write_text("half written")
    write_files(site, {"content/c.md": page("Gamma", body="Edited again.\n")})
    assert cached_build(site).ok
    assert folder_id(site / "_site") == spare
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == [SPARE]
    assert_like_a_clean_build(site)


def test_files_a_hook_wrote_into_the_last_output_are_not_kept_from_the_spare(make_site, monkeypatch):
    """on_post_build writes into the folder being built: what it wrote last time (in the last
    output, or the spare) must give way to what it writes now, and go when the hook goes."""
    from conftest import DEFAULT_CONFIG

    settled_at_once(monkeypatch)
    hook = ('def on_post_build(output_dir, site):\n'
            '    (output_dir / "pages.txt").write_text(str(len(site.pages)))\n'
            '    (output_dir / "a" / "note.txt").write_text("by the hook")\n')
    site = make_site({**FILES, "content/c.md": page("Gamma"), "hooks/count.py": hook,
                      "site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/count.py\n"})
    assert cached_build(site).ok
    counts = []
    for number, files in enumerate([{"content/c.md": page("Gamma", body="Edited.\n")},
                                    {"content/d.md": page("Delta")},
                                    {"content/c.md": page("Gamma", body="Edited again.\n")},
                                    {"content/c.md": page("Gamma", body="Edited a third time.\n")},
                                    {"site_config.yaml": DEFAULT_CONFIG, "content/d.md": None}]):
        write_files(site, files)
        assert cached_build(site).ok, number
        # With the hook, each build copies the files it shares with the last output before
        # the hook runs, so the spare rarely holds the noted files; what counts is the output.
        counts.append((site / "_site/pages.txt").read_text() if (site / "_site/pages.txt").exists() else None)
        assert_like_a_clean_build(site)
    assert counts[0] != counts[1] == counts[2] == counts[3] and counts[4] is None
    assert not (site / "_site/a/note.txt").exists()


def test_the_spare_keeps_its_marker_only_while_it_is_empty(make_site, monkeypatch):
    """The marker file says the folder is policysite's output; a clean build writes it empty."""
    from policysite.write import MARKER

    site = site_with_a_spare(make_site, monkeypatch)
    (site / SPARE / MARKER).write_bytes(b"written into by hand")
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    spare = folder_id(site / SPARE)
    assert cached_build(site).ok and folder_id(site / "_site") == spare
    assert (site / "_site" / MARKER).read_bytes() == b""


def test_the_load_stage_takes_the_files_of_content_from_the_walk_that_hashed_them(make_site, monkeypatch):
    from policysite import load

    site = make_site({**FILES, "content/c/z.md": page("Zed"), "content/c-d.md": page("Dash"), "content/c.txt": "Notes",
                      "content/.hidden/x.md": page("Hidden"), "content/c/.draft.md": page("Hidden too"),
                      "content/c/report.pdf": b"%PDF-1.4"})
    assert run("build", site).code == 0
    before = read_tree(site / "_site")
    (site / "content/a.md").write_text(page("Alpha", body="## Costs\n\nEdited. See [](b.md).\n"), encoding="utf-8")
    listed = []
    real = load._listed
    monkeypatch.setattr(load, "_listed", lambda *args: listed.append(real(*args)) or listed[-1])
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    # The files and their order as a walk of the folder gives them: hidden ones left out,
    # `c/` before `c-d.md` and `c.txt`, as the folder's entries sort by name.
    assert listed == [load.scan_content(site, Diagnostics(), skip=[site / "_site"])]
    assert [rel for rel, _ in listed[0]] == ["content/_index.md", "content/a.md", "content/b.md", "content/c/report.pdf",
                                             "content/c/z.md", "content/c-d.md", "content/c.txt"]
    # Each file's path as the Path would give it, whether from the walk or from the listing.
    assert all(path == str(site / rel) for rel, path in listed[0])
    here = Path.cwd()
    try:
        os.chdir(site)
        for listing in (None, [rel for rel, _ in listed[0]]):
            assert [path for _, path in load.scan_content(Path("."), Diagnostics(), listing=listing)] == \
                   [str(Path(".") / rel) for rel, _ in listed[0]]
    finally:
        os.chdir(here)
    after = read_tree(site / "_site")
    assert after["a/index.html"] != before["a/index.html"]
    shutil.rmtree(site / "_site")
    shutil.rmtree(site / ".policysite-cache")
    assert run("build", site).code == 0 and read_tree(site / "_site") == after   # as a clean build


def test_a_first_build_hashes_its_pages_as_it_loads_them_to_the_same_digest(make_site, monkeypatch):
    """With no note there is nothing to take over: the files under content/ are not read before
    the build (the load stage reads each anyway), and the digest made from the hashes it took is
    the one a walk that read them would give, so the next build takes the output over."""
    from policysite import memo

    settled_at_once(monkeypatch)
    monkeypatch.setattr("policysite.cache.SETTLE_NS", 0)
    site = make_site({**FILES, "content/files/r.pdf": b"%PDF-1.4 one", "content/deep/er/x.md": page("X")})
    (site / "content/empty").mkdir()
    whole = memo.input_digest(site, "fp")
    in_content = {key for key in whole.stamps if key.startswith("content/")}
    later = memo.input_digest(site, "fp", defer=True)
    assert whole.digest and later.digest is None and later.walked and later.content == whole.content
    assert not in_content & set(later.stamps)   # none of them read
    later.finish({})   # none read by a build: read now, each unchanged since the walk began
    assert later.digest == whole.digest and later.stamps == whole.stamps
    # The hashes the build took are used as they are: a wrong one gives another digest.
    taken = memo.input_digest(site, "fp", defer=True)
    taken.finish({key: (whole.stamps[key][0], "0" * 40) for key in in_content})
    assert taken.digest not in (None, whole.digest)
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    assert note is not None and note.inputs == memo.input_digest(site, config_fingerprint_of(site)).digest
    assert taken_over(cached_build(site))


def test_a_build_with_a_cache_but_no_note_hashes_its_pages_before_it_loads_them(make_site, monkeypatch):
    """Without a note (removed, or never written for a site with a link among its inputs) a cache's
    records still hold: the walk stamps every file, so the load stage need not read them again."""
    from policysite import memo

    settled_at_once(monkeypatch)
    site = make_site(FILES)
    assert cached_build(site).ok
    (site / CACHE.parent / memo.MEMO_NAME).unlink()
    real, deferred = memo.input_digest, []

    def spy(*args, **kwargs):
        inputs = real(*args, **kwargs)
        deferred.append(inputs.deferred is not None)
        return inputs

    monkeypatch.setattr(memo, "input_digest", spy)
    result = cached_build(site)
    assert result.ok and deferred == [False] and result.stats["load_hits"] == len(FILES) + 1   # and the home page
    shutil.rmtree(site / CACHE.parent)
    assert cached_build(site).ok and deferred == [False, True]


def config_fingerprint_of(site: Path) -> str:
    from policysite.stages import config_fingerprint

    return config_fingerprint(BuildOptions(site_dir=site, output=site / "_site", cache_file=site / CACHE))


def test_a_page_edited_during_a_first_build_is_noted_as_the_build_read_it(make_site, monkeypatch, tmp_path):
    """Edited after the walk and before the load stage read it: the page is built as edited, and
    the note says so. Edited after the load stage read it: the note has the stamp the load stage
    took, so the next build hashes it again and builds. Either way the output is never one
    built from other files than those there."""
    from policysite import memo, stages

    settled_at_once(monkeypatch)
    monkeypatch.setattr("policysite.cache.SETTLE_NS", 0)
    site = make_site(FILES)
    real_digest, real_markdown = memo.input_digest, stages.render_markdown

    def edited_after_the_walk(*args, **kwargs):
        inputs = real_digest(*args, **kwargs)
        write_files(site, {"content/a.md": page("Alpha", body="## Costs\n\nVersion two, longer.\n")})
        return inputs

    def edited_after_loading(state, pages):
        write_files(site, {"content/b.md": page("Beta", body="Back to [the costs](a.md#costs), edited.\n")})
        return real_markdown(state, pages)

    monkeypatch.setattr(memo, "input_digest", edited_after_the_walk)
    monkeypatch.setattr(stages, "render_markdown", edited_after_loading)
    assert cached_build(site).ok
    monkeypatch.setattr(memo, "input_digest", real_digest)
    monkeypatch.setattr(stages, "render_markdown", real_markdown)
    assert "Version two, longer." in (site / "_site/a/index.html").read_text()
    assert "edited." not in (site / "_site/b/index.html").read_text()
    result = cached_build(site)
    assert result.ok and not taken_over(result)
    assert "edited." in (site / "_site/b/index.html").read_text()
    assert_like_a_clean_build(site)


def test_a_file_the_first_build_did_not_read_counts_only_if_unchanged_since_the_walk_began(make_site, monkeypatch):
    """A file under content/ that the build copies rather than loads is hashed once the build is
    done: if it changed after the walk began, the copy may be older than it, so no digest is made."""
    from policysite import memo

    settled_at_once(monkeypatch)
    monkeypatch.setattr("policysite.cache.SETTLE_NS", 0)
    site = make_site({**FILES, "content/files/r.pdf": b"%PDF-1.4 one"})
    walked = memo.input_digest(site, "fp", defer=True)
    walked.finish({})
    assert walked.digest is not None
    walked = memo.input_digest(site, "fp", defer=True)
    changed = (site / "content/files/r.pdf").stat()
    walked.deferred.started = max(changed.st_mtime_ns, changed.st_ctime_ns) - 1   # as if the walk began before its last change
    found = {key: (stamp, sha) for key, (stamp, sha) in memo.input_digest(site, "fp").stamps.items() if key.endswith(".md")}
    walked.finish(found)
    assert walked.digest is None


def test_a_folder_the_walk_cannot_read_means_the_load_stage_walks_again(make_site, monkeypatch):
    from policysite import memo

    site = make_site(FILES)
    real_scandir, real_digest, hashing = os.scandir, memo.input_digest, []

    def scandir(path="."):   # as if content/ could not be read, while the inputs are hashed
        if hashing and Path(path).name == "content":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def input_digest(*args, **kwargs):
        hashing.append(True)
        try:
            return real_digest(*args, **kwargs)
        finally:
            hashing.pop()

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(memo, "input_digest", input_digest)
    inputs = memo.input_digest(site, "")
    assert inputs.digest is None
    result = cached_build(site)
    assert result.ok and (site / "_site/a/index.html").is_file() and (site / "_site/b/index.html").is_file()
    # (the load stage walked content/ itself)


def test_a_file_of_the_last_output_is_read_on_its_stamps_word_or_else_hashed(tmp_path):
    """memo.read_file: the bytes of a file the note describes (its stamp and hash) are taken as they
    are; a file whose stamp is not the noted one is hashed, and refused unless it has the hash."""
    import hashlib

    from policysite import memo

    path = tmp_path / "index.json"
    path.write_bytes(b"[1,2,3]")
    sha = hashlib.sha1(b"[1,2,3]").hexdigest()
    st = os.lstat(path)
    other = hashlib.sha1(b"other").hexdigest()
    stamped = f"{other} {st.st_mtime_ns} {st.st_size} {st.st_ino} {st.st_dev}"
    assert memo.read_file(str(path), other, stamped) == b"[1,2,3]"   # its stamp's word: not hashed
    assert memo.read_file(str(path), sha, stamped) == b"[1,2,3]"     # another hash than noted: hashed
    assert memo.read_file(str(path), other, other) is None
    assert memo.read_file(str(path), sha, None) == b"[1,2,3]"
    path.write_bytes(b"[1,2,4]")
    assert memo.read_file(str(path), sha, f"{sha} 1 7 {st.st_ino} {st.st_dev}") is None
    assert memo.read_file(str(tmp_path / "missing.json"), sha, None) is None


def test_a_search_file_changed_by_hand_in_the_last_output_is_made_again(make_site, monkeypatch):
    """After a body edit the search index is the last build's, updated: a file of it changed by hand
    since is not taken as the last build wrote it."""
    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma", body="Wombats.\n")})
    terms = sorted((site / "_site/search/terms").iterdir())
    for path in terms:
        path.write_bytes(path.read_bytes().replace(b"}", b',"zzz":[1]}'))
    write_files(site, {"content/b.md": page("Beta", body="Quokkas.\n")})
    result = cached_build(site)
    assert result.ok and result.stats["search_files_made"] >= len(terms), result.stats
    assert_like_a_clean_build(site)


def test_the_linking_is_done_in_a_thread_where_no_process_can_be_made(make_site, monkeypatch):
    from policysite import builder

    site = site_with_a_spare(make_site, monkeypatch)
    forks = []

    def no_fork():
        forks.append(1)
        raise OSError("no more processes")

    monkeypatch.setattr(os, "fork", no_fork)
    masks = []   # what the linking thread blocks: Ctrl-C and SIGTERM, which are the main thread's to take
    update = builder.BuildSink._update_spare
    monkeypatch.setattr(builder.BuildSink, "_update_spare",
                        lambda self: (masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, [])), update(self)))
    for body in ("Edited again.\n", "Edited a third time.\n"):
        write_files(site, {"content/b.md": page("Beta", body=body)})
        spare = folder_id(site / SPARE)
        assert cached_build(site).ok and folder_id(site / "_site") == spare
        assert_like_a_clean_build(site)
    assert forks and not builder._LINKERS
    assert masks and all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])   # the main thread's as it was


def test_a_linking_process_that_ends_without_an_answer_means_an_empty_folder(make_site, monkeypatch):
    """The process that brings the spare up to date tells the build what it did; if it ends without
    telling, the build cannot know what is in the folder, and starts again from an empty one."""
    from policysite import builder

    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")})
    (site / SPARE / "stray.html").write_text("left in the spare")

    def dies(self):
        raise MemoryError

    monkeypatch.setattr(builder.BuildSink, "_outcome", dies)
    write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
    spare = folder_id(site / SPARE)
    assert cached_build(site).ok and folder_id(site / "_site") != spare
    assert_like_a_clean_build(site)


def test_a_build_interrupted_while_the_spare_is_brought_up_to_date_leaves_everything_as_it_was(make_site, monkeypatch):
    """Ctrl-C while the linking process is still at work: the build waits for it, then gives the
    spare back; the output is the last one, and the next build starts from the spare."""

    site = site_with_a_spare(make_site, monkeypatch, files={**FILES, "content/c.md": page("Gamma")})

    def interrupted(state):
        raise KeyboardInterrupt

    interrupt_and_build_again(site, monkeypatch, "load_pages", interrupted)


def test_the_linking_process_answers_where_children_are_reaped_unasked(make_site, monkeypatch):
    """Where SIGCHLD is ignored, the system reaps the linking process itself: its answer is taken."""
    import signal

    site = site_with_a_spare(make_site, monkeypatch)
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        write_files(site, {"content/b.md": page("Beta", body="Edited again.\n")})
        spare = folder_id(site / SPARE)
        assert cached_build(site).ok and folder_id(site / "_site") == spare
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert_like_a_clean_build(site)


# ---- a spare made from the new output, when the previous one would be a poor spare ------------

def spares_for_small_sites(monkeypatch):
    """A spare made for any output, however small (builder.SPARE_FROM is 1,000 files)."""
    from policysite import builder

    settled_at_once(monkeypatch)
    monkeypatch.setattr(builder, "SPARE_FROM", 1)
    monkeypatch.delenv("CI", raising=False)   # where a workspace is thrown away, no spare is made


def pages_outnumbering_other_files() -> dict[str, str]:
    """60 pages: more than the site's other output files (the theme's, the search index's),
    their titles' words falling in few parts of the search index."""
    return {f"content/p{number}.md": page(f"Guide ga{chr(97 + number // 26)}{chr(97 + number % 26)}") for number in range(60)}


def assert_spare_links_the_output(site: Path) -> None:
    """The spare holds every file of the output, each the very same file, and its own empty marker."""
    from policysite.write import MARKER

    output = {rel for rel in read_tree(site / "_site") if rel != MARKER}
    assert {rel for rel in read_tree(site / SPARE) if rel != MARKER} == output
    for rel in output:
        assert (site / SPARE / rel).stat().st_ino == (site / "_site" / rel).stat().st_ino, rel
    marker = (site / SPARE / MARKER).stat()
    assert marker.st_size == 0 and marker.st_nlink == 1


def test_a_first_build_with_the_cache_makes_a_spare_and_the_next_build_starts_from_it(make_site, monkeypatch):
    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma"), "content/files/r.pdf": b"%PDF-1.4 one"})
    result = cached_build(site, jobs=2)
    assert result.ok and "wait for the spare" in result.timings
    assert_spare_links_the_output(site)
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == [SPARE]
    write_files(site, {"content/c.md": page("Gamma", body="Edited once.\n")})
    spare = folder_id(site / SPARE)
    result = cached_build(site, jobs=2)
    assert result.ok and not taken_over(result) and "wait for the spare" not in result.timings
    assert folder_id(site / "_site") == spare   # started from it, so no new spare was wanted
    assert "Edited once." in (site / "_site/c/index.html").read_text()
    assert_like_a_clean_build(site)


def test_no_spare_is_made_for_a_small_output_without_the_cache_or_with_one_process(make_site, monkeypatch):
    settled_at_once(monkeypatch)
    monkeypatch.delenv("CI", raising=False)   # else no spare for that alone, whatever the size
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    assert cached_build(site, jobs=2).ok and not (site / SPARE).exists()   # 3 pages, well below SPARE_FROM
    spares_for_small_sites(monkeypatch)
    shutil.rmtree(site / "_site")
    assert build(BuildOptions(site_dir=site, output=site / "_site", jobs=2)).ok and not (site / SPARE).exists()
    shutil.rmtree(site / "_site")
    assert cached_build(site, jobs=1).ok and not (site / SPARE).exists()
    shutil.rmtree(site / "_site")
    assert cached_build(site, jobs=2).ok and (site / SPARE).is_dir()


def test_a_build_that_wrote_most_files_anew_replaces_the_spare_with_its_own(make_site, monkeypatch):
    """The previous output shares few files with one whose every page changed (a new layout): kept
    as the spare, the next build would link every file again, so a spare is made from the new one."""
    spares_for_small_sites(monkeypatch)
    many = pages_outnumbering_other_files()
    site = make_site({**FILES, **many, "content/c.md": page("Gamma")})
    assert cached_build(site, jobs=2).ok
    write_files(site, {"layouts/page.html": '{% extends "theme/page.html" %}{% block after_body %}<p>v2</p>{% endblock %}'})
    first_output = folder_id(site / "_site")
    assert cached_build(site, jobs=2).ok
    assert folder_id(site / SPARE) not in (first_output, folder_id(site / "_site"))
    assert_spare_links_the_output(site)
    # A one-page edit keeps the rest: the previous output, kept as the spare, is a good one.
    write_files(site, {"content/c.md": page("Gamma", body="Edited.\n")})
    second_output = folder_id(site / "_site")
    result = cached_build(site, jobs=2)
    assert result.ok and "wait for the spare" not in result.timings and folder_id(site / SPARE) == second_output
    assert_like_a_clean_build(site)


def test_a_spare_that_cannot_be_made_leaves_nothing_behind(make_site, monkeypatch, tmp_path):
    """The linking process fails (here, it cannot start its script; on a file system without
    hard links, at the first file): the build succeeds, without a spare and without leftovers."""
    from policysite import write

    spares_for_small_sites(monkeypatch)
    monkeypatch.setattr(write, "LINKCOPY", tmp_path / "missing.py")
    removed = []
    real = write.remove_folder

    def spy(folder):
        removed.append(folder.name)
        real(folder)

    monkeypatch.setattr(write, "remove_folder", spy)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    assert cached_build(site, jobs=2).ok
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]
    assert len(removed) == 1 and removed[0].startswith("._site.old-"), removed   # set aside first
    write_files(site, {"content/c.md": page("Gamma", body="Edited.\n")})
    assert cached_build(site, jobs=2).ok
    assert_like_a_clean_build(site)


def test_ctrl_c_while_the_spare_is_made_stops_it_and_leaves_the_new_output(make_site, monkeypatch):
    """The output was swapped in before the interruption: it stays, the half-made spare goes,
    and the output is let go (a next build in this process does not wait for ever)."""
    import pytest

    from policysite import memo

    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real = memo.write

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(memo, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached_build(site, jobs=2)
    assert (site / "_site/c/index.html").is_file()
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]
    monkeypatch.setattr(memo, "write", real)
    assert cached_build(site, jobs=2).ok and (site / SPARE).is_dir()
    assert_like_a_clean_build(site)


def test_no_spare_is_made_in_ci_where_the_workspace_is_thrown_away(make_site, monkeypatch):
    """CI (GitHub Actions, GitLab and others set CI) never builds again in the same workspace: the
    spare would never be used, and linking it lengthened every build of a large site there."""
    from policysite.builder import in_ci

    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    for value, expected in (("true", True), ("1", True), ("false", False), ("0", False), ("", False)):
        monkeypatch.setenv("CI", value)
        assert in_ci() is expected, value
    monkeypatch.setenv("CI", "true")
    result = cached_build(site, jobs=2)
    assert result.ok and "wait for the spare" not in result.timings and not (site / SPARE).exists()
    shutil.rmtree(site / "_site")
    monkeypatch.delenv("CI")
    assert cached_build(site, jobs=2).ok and (site / SPARE).is_dir()


def test_the_spare_is_begun_before_the_note_when_most_files_were_surely_written_long_enough_ago(make_site, monkeypatch):
    """Pages whose results came in memo.SETTLE_NS ago (0 here) are surely noted with their stamps:
    when they are most of the output, the linking begins before the note is made."""
    from policysite.builder import BuildSink
    from policysite.write import OutputFolder

    spares_for_small_sites(monkeypatch)
    events = []

    def spied(name, real):
        def spy(self, *args, **kwargs):
            events.append(name)
            return real(self, *args, **kwargs)
        return spy

    monkeypatch.setattr(OutputFolder, "start_spare", spied("start_spare", OutputFolder.start_spare))
    monkeypatch.setattr(BuildSink, "manifest", spied("manifest", BuildSink.manifest))
    site = make_site(pages_outnumbering_other_files())
    assert cached_build(site, jobs=2).ok
    assert events[:2] == ["start_spare", "manifest"]
    assert_spare_links_the_output(site)
    assert_like_a_clean_build(site)


def test_the_spare_is_not_begun_before_the_note_while_the_pages_are_too_new_to_be_stamped(make_site, monkeypatch):
    from policysite import builder, memo
    from policysite.write import OutputFolder

    monkeypatch.setattr(builder, "SPARE_FROM", 1)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(memo, "SETTLE_NS", 1 << 62)   # never old enough: however slow the build
    started = []
    monkeypatch.setattr(OutputFolder, "start_spare", lambda self: started.append(self))
    site = make_site(pages_outnumbering_other_files())
    assert cached_build(site, jobs=2).ok and started == [] and not (site / SPARE).exists()


def test_a_pages_file_replaced_by_another_before_the_swap_is_noted_as_it_is(make_site, monkeypatch):
    """A file the build writes over a page's file after the page was written (no site can make
    one now: an asset or a file at a page's address is an error): the note takes the file on
    disk, not the page as written, so the next build with nothing changed takes the output over."""
    from policysite import memo, stages

    settled_at_once(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real_write_files = stages.write_files

    def and_one_over_a_page(state):
        real_write_files(state)
        state.sink.write("c/index.html", b"<p>Not the page.</p>")

    monkeypatch.setattr(stages, "write_files", and_one_over_a_page)
    assert cached_build(site, jobs=1).ok
    on_disk = (site / "_site/c/index.html").read_bytes()
    assert on_disk == b"<p>Not the page.</p>"
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    assert note.outputs["c/index.html"][:memo.SHA_LENGTH] == hashlib.sha1(on_disk).hexdigest()
    monkeypatch.setattr(stages, "write_files", real_write_files)
    assert taken_over(cached_build(site, jobs=1))


def test_the_sink_counts_the_files_written_by_a_time(tmp_path):
    from policysite.builder import BuildSink
    from policysite.write import OutputFolder

    sink = BuildSink(OutputFolder(tmp_path / "out"), tmp_path / "out")
    before = time.time_ns()
    while time.time_ns() == before:
        pass
    sink.arrived([("a/index.html", (10, 20, 30, 40)), ("b/index.html", (11, 21, 31, 41)), ("c/index.html", (1, 2, 3, 4))])
    sink.arrived([("d/index.html", (5, 6, 7, 8)), ("e/index.html", (9, 10, 11, 12))])
    assert sink.settled(before) == 0 and sink.settled(time.time_ns()) == 5
    looked = sink.looked()
    assert sorted(looked) == ["a/index.html", "b/index.html", "c/index.html", "d/index.html", "e/index.html"]
    assert sink.look(looked["b/index.html"]) == (11, 21, 31, 41) and sink.look(looked["b/index.html"]).st_ino == 31
    # A path two pages wrote, or that this process then wrote another file to, is left to the note.
    sink.arrived([("a/index.html", (13, 23, 33, 43))])
    sink.write("c/index.html", b"not the page")
    assert sorted(sink.looked()) == ["b/index.html", "d/index.html", "e/index.html"]


def test_the_note_takes_each_page_as_its_writing_left_it_without_looking_again(make_site, monkeypatch):
    """A page's file is noted with its stamp as fstat saw it when it was written: the same stamp an
    lstat after the swap gives, and no such lstat is made; and with its record's hash, whichever
    process wrote it, not read again to hash it."""
    from policysite import builder, memo

    settled_at_once(monkeypatch)
    site = make_site(pages_outnumbering_other_files())
    looked_again = []
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        looked_again.append(str(path))
        return real_lstat(path, *args, **kwargs)

    read_again = []
    real_open = builtins.open

    def opened(path, *args, **kwargs):
        read_again.append(str(path))
        return real_open(path, *args, **kwargs)

    real_manifest = builder.BuildSink.manifest

    def manifest(self, *args, **kwargs):
        monkeypatch.setattr(builder.os, "lstat", lstat)
        monkeypatch.setattr(builtins, "open", opened)
        try:
            return real_manifest(self, *args, **kwargs)
        finally:
            monkeypatch.setattr(builder.os, "lstat", real_lstat)
            monkeypatch.setattr(builtins, "open", real_open)

    monkeypatch.setattr(builder.BuildSink, "manifest", manifest)
    assert cached_build(site, jobs=2).ok
    pages = [f"p{number}/index.html" for number in range(60)]
    assert not [path for path in looked_again + read_again if path.endswith(tuple(pages))]   # nor read to hash them
    assert looked_again   # the other files (the theme's, the search index's) are looked at
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    for rel in pages:
        st = os.lstat(site / "_site" / rel)
        sha, *stamp = note.outputs[rel].split(" ")
        assert stamp == [str(st.st_mtime_ns), str(st.st_size), str(st.st_ino), str(st.st_dev)]
        assert sha == hashlib.sha1((site / "_site" / rel).read_bytes()).hexdigest()


def test_no_spare_is_made_from_files_too_new_to_be_known_by_their_stamps(make_site, monkeypatch):
    """Files written in the last two seconds are noted by their hashes alone: the next build
    could not tell that a spare's files are the very files noted, so none is made for it."""
    from policysite import builder, memo

    monkeypatch.setattr(builder, "SPARE_FROM", 1)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(memo, "SETTLE_NS", 1 << 62)   # never old enough: however slow the build
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    assert cached_build(site, jobs=2).ok and not (site / SPARE).exists()


def walked_too_soon(monkeypatch) -> None:
    """Every output file too new to be stamped while the note walks the output, and old enough
    by the time the note is written (BuildSink.stamp_settled)."""
    from policysite import memo
    from policysite.builder import BuildSink

    real = BuildSink.manifest

    def walk(self, *args, **kwargs):
        monkeypatch.setattr(memo, "SETTLE_NS", 1 << 62)
        try:
            return real(self, *args, **kwargs)
        finally:
            monkeypatch.setattr(memo, "SETTLE_NS", 0)

    monkeypatch.setattr(BuildSink, "manifest", walk)


def test_files_that_became_old_enough_while_the_cache_was_written_are_noted_with_their_stamps(make_site, monkeypatch):
    """The output is walked for the note before the cache is written (so that a spare can be
    begun meanwhile): a file too new to be stamped then is stamped when the note is written."""
    from policysite import memo

    site = make_site({**FILES, "content/c.md": page("Gamma")})
    walked_too_soon(monkeypatch)
    assert cached_build(site).ok
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    assert note.outputs and all(len(entry) > memo.SHA_LENGTH for entry in note.outputs.values())


def test_a_page_changed_after_the_swap_and_before_its_stamp_is_noted_without_one(make_site, monkeypatch):
    """A page too new to be stamped when the output is walked, then changed by someone in the live
    output before the note is written: its stamp would vouch for its record's hash, which the file
    no longer has. It is noted by its hash alone, so the next build reads it."""
    from policysite import memo
    from policysite.builder import BuildSink

    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real_settled = BuildSink.stamp_settled

    def changed_first(self, files):
        (site / "_site/c/index.html").write_text("<p>Changed by hand.</p>")
        return real_settled(self, files)

    walked_too_soon(monkeypatch)
    monkeypatch.setattr(BuildSink, "stamp_settled", changed_first)
    assert cached_build(site, jobs=1).ok
    note = memo.read(site / CACHE.parent / memo.MEMO_NAME)
    assert len(note.outputs["c/index.html"]) == memo.SHA_LENGTH   # no stamp: read again next time
    assert len(note.outputs["a/index.html"]) > memo.SHA_LENGTH    # unchanged: stamped


def test_a_spare_of_somebody_elses_is_left_alone_when_a_spare_is_wanted(make_site, monkeypatch):
    spares_for_small_sites(monkeypatch)
    many = pages_outnumbering_other_files()
    site = make_site({**FILES, **many})
    (site / SPARE).mkdir()
    (site / SPARE / "notes.txt").write_text("no marker: not an output")
    for layout in ("<p>v1</p>", "<p>v2</p>"):   # a first build, then one that writes every page again
        write_files(site, {"layouts/page.html": '{% extends "theme/page.html" %}{% block after_body %}' + layout + '{% endblock %}'})
        assert cached_build(site, jobs=2).ok
        assert sorted(p.name for p in (site / SPARE).iterdir()) == ["notes.txt"]
        assert not [p.name for p in site.iterdir() if p.name.startswith("._site") and p.name != SPARE]
    assert_like_a_clean_build(site)


def test_a_spare_is_known_finished_by_its_marker_where_children_are_reaped_unasked(make_site, monkeypatch, tmp_path):
    """Where SIGCHLD is ignored every process's exit status reads as 0: a spare the process did
    not finish (here, it never started its script) must not be taken for one."""
    import signal

    from policysite import write

    spares_for_small_sites(monkeypatch)
    monkeypatch.setattr(write, "LINKCOPY", tmp_path / "missing.py")
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert cached_build(site, jobs=2).ok
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]
    monkeypatch.setattr(write, "LINKCOPY", write.Path(write.__file__).with_name("linkcopy.py"))
    write_files(site, {"content/c.md": page("Gamma", body="Edited.\n")})
    assert cached_build(site, jobs=2).ok and (site / SPARE).is_dir()   # builds keep spares again
    assert_like_a_clean_build(site)


def test_ctrl_c_while_the_build_waits_for_the_spare_stops_it_and_lets_the_output_go(make_site, monkeypatch):
    import pytest

    from policysite import write

    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real = write.SpareMaker.wait
    makers = []

    def interrupted(maker):
        makers.append(maker)
        raise KeyboardInterrupt

    monkeypatch.setattr(write.SpareMaker, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached_build(site, jobs=2)
    assert makers and makers[0].process.returncode is not None   # stopped and reaped
    assert (site / "_site/c/index.html").is_file()
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]
    monkeypatch.setattr(write.SpareMaker, "wait", real)
    assert cached_build(site, jobs=2).ok   # the output was let go: this build does not wait for ever


def test_ctrl_c_as_the_linking_process_starts_waits_until_the_build_knows_the_process(make_site, monkeypatch):
    """A Ctrl-C between the linking process's start and the build taking note of it would leave the
    process running and its folder behind: the signal is held back until the build knows it, and
    the build then stops it and removes what it made."""
    import signal
    import threading

    from policysite import write

    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real = write.SpareMaker.start
    makers = []

    def interrupted_as_it_starts(output):
        maker = real(output)
        makers.append(maker)
        # To the main thread, whose mask holds it back: sent to the process, under pytest-xdist it could
        # go to one of the test runner's own threads, and Python would act on it at once.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return maker

    monkeypatch.setattr(write.SpareMaker, "start", interrupted_as_it_starts)
    with pytest.raises(KeyboardInterrupt):
        cached_build(site, jobs=2)
    assert makers and makers[0].process.returncode is not None   # stopped and reaped
    assert not makers[0].folder.exists()
    assert (site / "_site/c/index.html").is_file()
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]
    monkeypatch.setattr(write.SpareMaker, "start", real)
    assert cached_build(site, jobs=2).ok   # the output was let go


def test_pages_rendered_in_worker_processes_are_noted_by_their_records_not_read_again(make_site, monkeypatch):
    """The note takes a rendered page's hash from its record: hashing every page's bytes again
    cost about a quarter of a second of CPU at 10,000 pages."""
    from policysite import builder, pool

    settled_at_once(monkeypatch)
    many = {f"content/p{number}.md": page(f"Page {number}") for number in range(pool.PARALLEL_THRESHOLD + 16)}
    site = make_site({**FILES, **many})
    assert cached_build(site, jobs=2).ok
    write_files(site, {"layouts/page.html": '{% extends "theme/page.html" %}{% block after_body %}<p>v2</p>{% endblock %}'})
    import hashlib
    import types

    hashed = []

    def sha1(data=b""):
        hashed.append(len(data))
        return hashlib.sha1(data)

    monkeypatch.setattr(builder, "hashlib", types.SimpleNamespace(sha1=sha1))   # the note's hashing alone
    result = cached_build(site, jobs=2)
    monkeypatch.setattr(builder, "hashlib", hashlib)
    assert result.ok and result.rendered > pool.PARALLEL_THRESHOLD
    assert len(hashed) < result.rendered, (len(hashed), result.rendered)   # the workers' pages are not among them
    assert_like_a_clean_build(site)


def test_link_tree_links_files_makes_folders_and_marks_the_copy_last(tmp_path):
    from policysite.linkcopy import link_tree
    from policysite.write import MARKER

    source = tmp_path / "out"
    write_files(source, {"index.html": "home", "a/b/index.html": "deep", MARKER: ""})
    (source / "a/empty").mkdir()
    (source / "elsewhere").symlink_to(tmp_path)
    dest = tmp_path / "copy"
    dest.mkdir()
    link_tree(str(source), str(dest), MARKER)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == \
        [MARKER, "a", "a/b", "a/b/index.html", "a/empty", "index.html"]
    assert (dest / "a/b/index.html").stat().st_ino == (source / "a/b/index.html").stat().st_ino
    assert (dest / MARKER).stat().st_ino != (source / MARKER).stat().st_ino


def test_link_tree_stops_once_the_build_that_started_it_has_gone(tmp_path):
    """Killed outright, the build leaves the linking to a process it no longer waits for: that
    process stops rather than race the next build, which removes the unfinished folder."""
    import pytest

    from policysite.linkcopy import link_tree
    from policysite.write import MARKER

    write_files(tmp_path / "out", {"index.html": "home"})
    (tmp_path / "copy").mkdir()
    with pytest.raises(SystemExit):
        link_tree(str(tmp_path / "out"), str(tmp_path / "copy"), MARKER, parent=os.getppid() + 1)
    assert not (tmp_path / "copy" / MARKER).exists()


def test_an_unfinished_folder_a_killed_build_left_is_set_aside_before_it_is_removed(make_site, monkeypatch):
    """Removed under an `.old-` name (by a detached process, when large): no later build can take
    it for the spare, or wait to remove it, while that process is still at work."""
    from policysite import write

    settled_at_once(monkeypatch)
    site = make_site(FILES)
    (site / "._site.tmp-killed/a").mkdir(parents=True)
    (site / "._site.tmp-killed/a/index.html").write_text("half written")
    (site / "._site.old-x.spare").mkdir()   # an output of someone's named `_site.old-x`: not a leftover
    removed = []
    monkeypatch.setattr(write, "remove_folder", lambda folder: removed.append(folder.name))   # left, to be seen
    assert cached_build(site).ok
    # Once only: set aside, it is not met again as an `.old-` folder in the same pass.
    assert len(removed) == 1 and removed[0].startswith("._site.old-"), removed
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site.")) == sorted([removed[0], "._site.old-x.spare"])
    assert (site / removed[0] / "a/index.html").read_text() == "half written"
    assert_like_a_clean_build(site)


def test_somebody_elses_folder_put_at_the_spares_name_while_it_is_made_is_left_alone(make_site, monkeypatch):
    from policysite import write

    spares_for_small_sites(monkeypatch)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    real = write.SpareMaker.wait

    def meanwhile(maker):
        (site / SPARE).mkdir()
        (site / SPARE / "notes.txt").write_text("no marker: not an output")
        return real(maker)

    monkeypatch.setattr(write.SpareMaker, "wait", meanwhile)
    assert cached_build(site, jobs=2).ok
    assert sorted(p.name for p in (site / SPARE).iterdir()) == ["notes.txt"]
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site") and p.name != SPARE]


def test_no_spare_is_made_without_an_interpreter_to_start_the_linking_with(make_site, monkeypatch):
    """An embedded Python may have no sys.executable: the build goes on without a spare."""
    spares_for_small_sites(monkeypatch)
    monkeypatch.setattr("sys.executable", None)
    site = make_site({**FILES, "content/c.md": page("Gamma")})
    assert cached_build(site, jobs=2).ok
    assert not [p.name for p in site.iterdir() if p.name.startswith("._site")]





def _stamp_taken(look: str, site: Path, path: Path):
    """The stamp one of the build's looks at a file takes for it (None: too new to trust)."""
    from policysite import stages
    from policysite.builder import FolderSink
    from policysite.cache import BuildCache
    from policysite.config import load_config

    config = load_config(site, Diagnostics())
    if look == "a worker process":
        (fetched,) = stages.LoadWork(files=[("content/a.md", path)], config=config)(0, 1)
        return fetched.stamp
    if look == "the load stage, one file at a time":
        state = stages.BuildState(options=stages.BuildOptions(site_dir=site), cache=BuildCache(), config=config)
        stages.cached_loader(state, set())("content/a.md", path, config, Diagnostics())
        return state.cache.stamps.get("content/a.md", (None,))[0]
    sink = FolderSink(site / "_out")   # serve's output, which copies static files it has not copied yet
    (site / "_out").mkdir(exist_ok=True)
    sink.copy("a.md", str(path))
    return sink.copied.get("a.md", (None, None))[1]


@pytest.mark.parametrize("look", ["a worker process", "the load stage, one file at a time", "serve's copy"])
def test_a_file_changed_just_before_it_was_looked_at_is_too_new_by_the_clock_read_before_that_look(make_site, monkeypatch, look):
    """A file's stamp is trusted only once the file is SETTLE_NS old, judged by the clock as it was
    before its stat: a change just after the stat, in the same tick of a coarse clock, keeps the
    stamp. Judged by a clock read after the stat, a slow stat made the file look old enough."""
    from policysite import cache, stages

    site = make_site({"content/a.md": page("A")})
    path = site / "content/a.md"
    st = os.stat(path)
    changed = max(st.st_mtime_ns, st.st_ctime_ns)
    clock = [changed + cache.SETTLE_NS - 1]   # before the look: not yet old enough
    real_stat = os.stat

    def slow_stat(target, *args, **kwargs):
        found = real_stat(target, *args, **kwargs)
        if Path(target) == path:
            clock[0] += 2   # old enough by the time the stat returns
        return found

    monkeypatch.setattr(stages.time, "time_ns", lambda: clock[0])
    monkeypatch.setattr(stages.os, "stat", slow_stat)
    assert _stamp_taken(look, site, path) is None   # not known by its stamp
    clock[0] = changed + cache.SETTLE_NS   # old enough before the look: trusted
    assert _stamp_taken(look, site, path) == cache.file_stamp(real_stat(path), clock[0])
