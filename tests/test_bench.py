"""The benchmark tools in bench/: the generator makes a site that policysite
builds clean, the converters write each peer's format, and compare.py prints
its table. No timing assertions."""
from __future__ import annotations

import filecmp
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))

import convert  # noqa: E402
import generate  # noqa: E402

PAGES = 30
LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "site"
    generate.generate(PAGES, str(out), seed=7)
    return out


def _sources(site: Path) -> dict[str, str]:
    content = site / "content"
    return {p.relative_to(content).as_posix(): p.read_text(encoding="utf-8")
            for p in content.rglob("*.md")}


def test_generator_is_deterministic(tmp_path, site):
    again = tmp_path / "again"
    generate.generate(PAGES, str(again), seed=7)
    cmp = filecmp.dircmp(site, again)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert _sources(site) == _sources(again)
    other = tmp_path / "other"
    generate.generate(PAGES, str(other), seed=8)
    assert _sources(other) != _sources(site)


def test_generator_shape(site):
    sources = _sources(site)
    assert len(sources) == PAGES
    assert "_index.md" in sources
    config = (site / "site_config.yaml").read_text()
    for key in ("title:", "base_url:", "organisations:", "governments:",
                "current_government:", "topics:"):
        assert key in config
    depths = {src.count("/") for src in sources}
    assert max(depths) >= 3                        # 3-4 levels of sections
    folders = {posixpath.dirname(s) for s in sources}
    with_index = {posixpath.dirname(s) for s in sources if s.endswith("_index.md")}
    assert len(with_index) > len(folders) / 2      # _index.md in most folders
    leaves = [t for s, t in sources.items() if not s.endswith("_index.md")]
    sizes = sorted(len(t.encode()) for t in leaves)
    assert 1500 < sizes[len(sizes) // 2] < 4500
    for text in leaves:
        assert text.startswith("---\n")
        fm = text.split("---\n", 2)[1]
        for field in ("title:", "description:", "date:"):
            assert field in fm
        assert "\n## " in text
    assert any("\n| --- |" in t for t in leaves) or PAGES < 30


def test_generated_links_resolve(site):
    """Every link points at a page that exists, and every fragment at a
    heading id that page has (policysite checks this too; this says which
    link is wrong if the generator breaks)."""
    sources = _sources(site)
    ids = {}
    for src, text in sources.items():
        seen: dict = {}
        ids[src] = {generate.heading_id(h, seen) for h in re.findall(r"^## (.+)$", text, re.M)}
    corpus = convert.Corpus(str(site))
    fragments = 0
    for src, text in sources.items():
        for _, href in LINK.findall(text.split("---\n", 2)[2]):
            target, frag = corpus.resolve(src, href)
            assert target in sources, (src, href)
            if frag:
                fragments += 1
                assert frag in ids[target], (src, href)
    assert fragments > 0


def test_generated_site_builds_clean(site, tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "build.py", "build", str(site), "--output", str(out), "--quiet"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "error:" not in r.stderr and "warning:" not in r.stderr, r.stderr[-3000:]
    assert (out / "index.html").exists()
    html = list(out.rglob("index.html"))
    assert len(html) >= PAGES


def test_converters_write_each_peer_format(site, tmp_path):
    corpus = convert.Corpus(str(site))
    hugo = Path(convert.convert(str(site), str(tmp_path / "hugo"), "hugo", corpus))
    assert (hugo / "hugo.json").exists()
    assert (hugo / "layouts" / "_default" / "baseof.html").exists()
    hugo_text = "".join(p.read_text() for p in (hugo / "content").rglob("*.md"))
    assert "{{< relref" in hugo_text and "](" in hugo_text
    assert not re.search(r"\]\((?!\{\{|https?:|mailto:)[^)]*\.md", hugo_text)

    ele = Path(convert.convert(str(site), str(tmp_path / "eleventy"), "eleventy", corpus))
    assert (ele / "eleventy.config.cjs").exists() and (ele / "_includes" / "page.njk").exists()
    assert not list((ele / "content").rglob("_index.md"))
    ele_text = "".join(p.read_text() for p in (ele / "content").rglob("*.md"))
    assert not re.search(r"\]\([^)#]*\.md", ele_text)

    mk = Path(convert.convert(str(site), str(tmp_path / "mkdocs"), "mkdocs", corpus))
    assert (mk / "mkdocs.yml").exists() and (mk / "docs" / "index.md").exists()
    assert not list((mk / "docs").rglob("_index.md"))
    for p in (mk / "docs").rglob("*.md"):
        for _, href in LINK.findall(p.read_text()):
            path = href.partition("#")[0]
            if path:
                assert not path.startswith("/"), (p, href)
                assert (p.parent / path).resolve().exists(), (p, href)
    # every folder gets a section page, as policysite generates one
    for folder in corpus.folders:
        assert (mk / "docs" / folder / "index.md").exists()


def test_hugo_with_render_hooks_and_with_minimal_layouts(site, tmp_path):
    corpus = convert.Corpus(str(site))
    hooks = Path(convert.convert(str(site), str(tmp_path / "hooks"), "hugo-hooks", corpus))
    hook = hooks / "layouts" / "_default" / "_markup" / "render-link.html"
    assert "site.GetPage" in hook.read_text() and "errorf" in hook.read_text()
    text = "".join(p.read_text() for p in (hooks / "content").rglob("*.md"))
    assert "relref" not in text
    # Plain Markdown links to content paths: pages by their .md file, sections by their folder.
    internal = [href for _, href in LINK.findall(text) if not href.startswith(convert.EXTERNAL)]
    assert internal and all(h.startswith("/") and "_index.md" not in h for h in internal)
    assert any(h.partition("#")[0].endswith(".md") for h in internal)
    # The hook fills empty link texts, so they stay empty in the content.
    assert any(t == "" for t, _ in LINK.findall(text)) == any(t == "" for src in _sources(site).values()
                                                               for t, _ in LINK.findall(src))

    minimal = Path(convert.convert(str(site), str(tmp_path / "minimal"), "hugo-minimal", corpus))
    assert not (minimal / "layouts" / "_default" / "_markup").exists()
    assert "Breadcrumb" not in (minimal / "layouts" / "_default" / "baseof.html").read_text()
    text = "".join(p.read_text() for p in (minimal / "content").rglob("*.md"))
    internal = [href for _, href in LINK.findall(text) if not href.startswith(convert.EXTERNAL)]
    assert internal and all(h.partition("#")[0].endswith("/") for h in internal)
    assert set(h.partition("#")[0] for h in internal) <= set(corpus.by_url)


def test_floor_writes_a_page_for_each_source(site, tmp_path):
    out = tmp_path / "floor"
    r = subprocess.run([sys.executable, str(BENCH / "floor.py"), str(site), str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    sources = _sources(site)
    assert len(list(out.rglob("index.html"))) == len(sources)
    home = (out / "index.html").read_text()
    assert "<title>Example Government Policy</title>" in home and "<p>" in home


def test_compare_prints_policysite_and_the_floor_taking_turns(tmp_path):
    r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--sizes", str(PAGES),
                        "--runs", "2", "--peers", "floor", "--work", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| pages | tool |" in r.stdout
    assert re.search(rf"^\| {PAGES} \| policysite \|", r.stdout, re.M), r.stdout
    assert "no-change rebuild" in r.stdout
    assert re.search(rf"^\| {PAGES} \| floor \| floor.py \| 2 \|", r.stdout, re.M), r.stdout
    # One round of clean builds is done by every tool before the next starts, every other round in reverse.
    turns = re.findall(r"^  (\w+) +run (\d)/2:", r.stderr, re.M)
    assert turns == [("policysite", "1"), ("floor", "1"), ("floor", "2"), ("policysite", "2")], r.stderr
    assert list(tmp_path.glob("results-*.json"))
    # The outputs set aside between builds are deleted once every build is measured.
    assert not (tmp_path / ".trash").exists()
    assert not list(tmp_path.glob("build-*"))


def test_compare_sets_outputs_aside_between_builds_and_deletes_them_at_the_end(tmp_path):
    from compare import Trash

    (tmp_path / ".trash" / "1").mkdir(parents=True)   # left by a run that stopped early
    trash = Trash(str(tmp_path))
    assert not (tmp_path / ".trash").exists()
    out = tmp_path / "build-x"
    (out / "a").mkdir(parents=True)
    (out / "a" / "index.html").write_text("first")
    trash.put([str(out), str(tmp_path / "not-there")])
    assert not out.exists()
    kept = [p.read_text() for p in (tmp_path / ".trash").rglob("index.html")]
    assert kept == ["first"]   # moved, not deleted: the next build is not slowed by a deletion
    (out / "a").mkdir(parents=True)
    (out / "a" / "index.html").write_text("second")
    trash.put([str(out)])
    assert sorted(p.read_text() for p in (tmp_path / ".trash").rglob("index.html")) == ["first", "second"]
    trash.empty()
    assert not (tmp_path / ".trash").exists()


def test_compare_against_a_commit_measures_both_in_turns_and_gives_their_ratio(tmp_path):
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--sizes", str(PAGES), "--runs", "2",
                        "--peers", "none", "--against", "HEAD", "--work", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    turns = re.findall(r"^  (\S+) +run (\d)/2:", r.stderr, re.M)
    assert turns == [("policysite", "1"), (f"policysite@{rev}", "1"), (f"policysite@{rev}", "2"), ("policysite", "2")], r.stderr
    ratio = r"\| \d+\.\d\d / \d+\.\d\d / \d+\.\d\d \|"
    for label in (f"policysite@{rev}", rf"policysite@{rev} \(no-change rebuild\)"):
        row = re.search(rf"^\| {PAGES} \| {label} \| git {rev} \| 2 \|.*$", r.stdout, re.M)
        assert row and re.search(ratio, row.group(0)), (label, r.stdout)
    assert (tmp_path / f"policysite-{rev}" / "build.py").is_file()   # the commit, as committed


def test_compare_prints_each_stage_at_each_size(tmp_path):
    r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--sizes", f"{PAGES},{2 * PAGES}",
                        "--runs", "1", "--peers", "none", "--work", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"| stage | s at {PAGES} | s at {2 * PAGES} | × 2 pages: × s |" in r.stdout, r.stdout
    for stage in ("load_pages", "render_markdown", "render_pages", "in all"):
        assert re.search(rf"^\| {stage} \| \d+\.\d\d \| \d+\.\d\d \|", r.stdout, re.M), r.stdout
    # `stages` puts the same medians side by side from the results file, one size from each
    results = str(next(tmp_path.glob("results-*.json")))
    again = subprocess.run([sys.executable, str(BENCH / "compare.py"), "stages",
                            f"{PAGES}={results}", f"{2 * PAGES}={results}"],
                           cwd=REPO, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    for stage in ("load_pages", "render_pages", "in all"):
        row = re.search(rf"^\| {stage} \| .*$", r.stdout, re.M).group(0)
        assert row in again.stdout, (row, again.stdout)


def test_measure_keeps_a_builds_stages_and_stages_tabulates_them(tmp_path):
    import compare

    measured = {}
    for pages, grown in ((10, 1.0), (100, 30.0)):   # render_pages grows 30 times for 10 times the pages
        timings = f"    0.500s  load_pages\n    {2 * grown:.3f}s  render_pages\n    9.000s  in all\n"
        log = tmp_path / f"timings-{pages}.txt"
        command = [sys.executable, "-c", f"import sys; sys.stderr.write({timings!r})"]
        r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "measure", "--pages", str(pages),
                            "--json", str(tmp_path / f"{pages}.json"), "--log", str(log), "--", *command],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "0.500s  load_pages" in r.stdout
        measured[pages] = tmp_path / f"{pages}.json"
    r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "stages",
                        f"100={measured[100]}", f"10={measured[10]}"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "| stage | s at 10 | s at 100 | × 10 pages: × s |" in r.stdout
    assert "| load_pages | 0.50 | 0.50 | 1.0 |" in r.stdout
    assert "| render_pages | 2.00 | 60.00 | 30.0 (faster than pages) |" in r.stdout
    assert compare.parse_timings("  1.250s  write cache\nnoise\n") == {"write cache": 1.25}
    for bad in (["ten=" + str(measured[10])], ["\u00b2=" + str(measured[10])], [f"0={measured[10]}", f"10={measured[10]}"],
                ["10="], [f"10={tmp_path / 'missing.json'}"]):
        r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "stages", *bad], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1 and "Traceback" not in r.stderr and "stages" in r.stderr, r.stderr


def test_memory_prints_each_stage_and_the_holders(site, tmp_path):
    r = subprocess.run([sys.executable, str(BENCH / "memory.py"), str(site), "--output", str(tmp_path / "out"),
                        "--no-cache", "--holders", "render_pages"],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| step | tree PSS peak MB | this process then | this process after |" in r.stdout, r.stdout
    assert re.search(r"^\| render_markdown \| \d+ \| \d+ \| \d+ \|$", r.stdout, re.M), r.stdout
    assert "Held after render_pages" in r.stdout
    assert re.search(r"^\| page HTML \| \d+\.\d \| [1-9]\d* \|$", r.stdout, re.M), r.stdout
    assert (tmp_path / "out" / "index.html").is_file()


def test_rebuild_times_a_clean_build_and_edits_and_leaves_nothing_behind(tmp_path):
    r = subprocess.run([sys.executable, str(BENCH / "rebuild.py"), "--pages", str(PAGES), "--edit", "body",
                        "--cli", "--repeat", "2", "--work", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"^\[CLI\] clean build: +\d+\.\d+ s", r.stdout, re.M), r.stdout
    assert len(re.findall(r"^\[CLI\] rebuild, 1 page edit: +\d+\.\d+ s", r.stdout, re.M)) == 2, r.stdout
    # Its outputs and caches were set aside between builds, then deleted; the site is as generated.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"site-{PAGES}-s1"]
    assert not (tmp_path / f"site-{PAGES}-s1" / ".policysite-cache").exists()
