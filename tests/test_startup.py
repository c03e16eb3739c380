"""Start-up: each command imports only what it uses.

`--version` and `check` answer quickly because the modules they do not need
(the build, the web server, the importers, image decoding, worker processes,
package metadata) are imported only by the commands that use them. These tests
read the modules a real `python build.py ...` process imported, from Python's
own import log (PYTHONPROFILEIMPORTTIME); they measure no time.
"""

from __future__ import annotations

import random
import shutil
import xml.sax.saxutils

from conftest import REPO, build_ok, html_of, page, run, run_subprocess

from policysite import xmltext

# Never needed to answer `--version` or `--help`.
NOT_FOR_VERSION = {
    "policysite.builder", "policysite.stages", "policysite.config", "policysite.templates", "policysite.markup",
    "jinja2", "markdown", "yaml", "nh3", "importlib.metadata", "multiprocessing",
}
# Never needed to check the example site, which has no raster images and too few pages for workers.
NOT_FOR_CHECK = {
    "policysite.serve", "policysite.importer", "policysite.init", "policysite.scaffold",
    "livereload", "tornado", "PIL",
    "importlib.metadata",   # package versions: only a cache file's fingerprint needs them
    "multiprocessing",      # worker processes: only for sites of many pages
    "urllib.request", "http.client", "ssl", "xml.sax",   # xml.sax.saxutils would load them all
}


def imported(*args) -> set[str]:
    """Every module the command `python build.py ARGS` imported, from Python's import log on stderr."""
    r = run_subprocess(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert r.code == 0, r.err
    names = set()
    for line in r.err.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":   # the log's header line
                names.add(name)
    return names


def loaded(names: set[str], wanted: set[str]) -> set[str]:
    """Which of `wanted` (packages or modules) are among `names`, counting their submodules."""
    return {w for w in wanted if any(n == w or n.startswith(w + ".") for n in names)}


def test_version_imports_neither_the_build_nor_its_libraries():
    names = imported("--version")
    assert "policysite.cli" in names   # the log was read: the command line itself is there
    assert loaded(names, NOT_FOR_VERSION) == set()


def test_check_imports_the_build_but_nothing_it_does_not_use(tmp_path):
    # A copy of the example site: a `.policysite-cache` left in the repository by a build
    # there would be read, and reading a cache file fingerprints the code (package metadata).
    site = tmp_path / "example"
    site.mkdir()
    for part in ("content", "assets", "layouts", "hooks"):
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, site / part)
    shutil.copy(REPO / "site_config.yaml", site)
    names = imported("check", site, "--quiet")
    assert {"policysite.builder", "jinja2", "markdown", "yaml"} <= names
    assert loaded(names, NOT_FOR_CHECK) == set()


def test_xml_text_is_escaped_as_the_standard_library_does():
    for text in ["", "plain", "a & b < c > d", 'say "hi"', "it's", "both \" and '", "line\nbreak\r\ttab",
                 "&amp; already", "é and ü"]:
        assert xmltext.escape(text) == xml.sax.saxutils.escape(text)
        assert xmltext.quoteattr(text) == xml.sax.saxutils.quoteattr(text)
    pick = random.Random(16)
    for _ in range(2000):
        text = "".join(pick.choice("ab &<>\"'\n\r\t;#é") for _ in range(pick.randint(0, 10)))
        assert xmltext.escape(text) == xml.sax.saxutils.escape(text)
        assert xmltext.quoteattr(text) == xml.sax.saxutils.quoteattr(text)


def test_an_id_a_layout_only_declares_is_still_reserved(make_site):
    """A layout with no literal `id="…"` is not parsed for ids; its `{# ids: … #}` still count."""
    layout = ('{% extends "theme/page.html" %}{# ids: dept-banner #}'
              '{% block after_body %}<div {{ "id" }}="{{ "dept-banner" }}">Dept</div>{% endblock %}')
    site = make_site({
        "layouts/page.html": layout,
        "content/a.md": page("A", body="## Dept banner\n\nText.\n"),
    })
    out = build_ok(site)
    headings = [h.attrs.get("id") for h in html_of(out, "a/index.html").find_all("h2")]
    assert "dept-banner-1" in headings and "dept-banner" not in headings


def test_a_cache_written_by_other_code_is_not_read(make_site, monkeypatch):
    """Record keys leave out policysite's own code (`check` need not fingerprint it):
    the cache's own fingerprint is what keeps records made by other code out."""
    from policysite import cache as cache_module

    site = make_site({"content/a.md": page("A"), "content/b.md": page("B")})
    build_ok(site)
    (site / "content/a.md").write_text(page("A", body="Edited once.\n"))
    again = run("build", site)
    assert again.code == 0 and "unchanged)" in again.out, again.out   # this code reuses its own cache
    (site / "content/a.md").write_text(page("A", body="Edited twice.\n"))
    monkeypatch.setattr(cache_module, "_CODE_FINGERPRINT", "another version of policysite")
    other = run("build", site)
    assert other.code == 0 and "Built" in other.out and "unchanged)" not in other.out, other.out
