"""Compiled layouts kept in the user's cache folder (templates.layout_code_folder): a build
reuses them, and they never change what a page is, whatever is found in the folder."""

from __future__ import annotations

import os

from conftest import run_subprocess

from policysite.templates import layout_code_folder

PAGE = "---\ntitle: A page\ndescription: About it.\n---\nBody text.\n"


def built(site, out, folder):
    result = run_subprocess("build", site, "--output", out, env={"POLICYSITE_CACHE_DIR": str(folder)})
    assert result.code == 0, result.err
    return (out / "a" / "index.html").read_bytes()


def test_a_build_saves_compiled_layouts_and_the_next_uses_them(make_site, tmp_path):
    site = make_site({"content/a.md": PAGE})
    folder = tmp_path / "cache"
    first = built(site, tmp_path / "one", folder)
    saved = sorted((folder / "layouts").iterdir())
    assert len(saved) > 10   # the theme's layouts and partials
    stamps = {p.name: p.stat().st_mtime_ns for p in saved}
    assert built(site, tmp_path / "two", folder) == first
    # Taken as they were, not compiled and saved again.
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "layouts").iterdir()} == stamps


def test_damaged_compiled_layouts_are_compiled_again(make_site, tmp_path):
    site = make_site({"content/a.md": PAGE})
    folder = tmp_path / "cache"
    first = built(site, tmp_path / "one", folder)
    for path in (folder / "layouts").iterdir():
        path.write_bytes(b"\x00 not code")
    assert built(site, tmp_path / "two", folder) == first
    assert all(p.read_bytes() != b"\x00 not code" for p in (folder / "layouts").iterdir())


def test_an_edited_layout_or_another_base_path_gets_its_own_code(make_site, tmp_path):
    # Jinja folds `'/assets/x.css'|url` into the compiled code: the base path must be part of its name.
    site = make_site({"content/a.md": PAGE, "assets/x.css": "p {}\n",
                      "layouts/page.html": '{% extends "theme/page.html" %}{% block head %}'
                                           '<meta name="v" content="one">'
                                           '<link rel="x" href="{{ \'/assets/x.css\' | url }}">{% endblock %}'})
    folder = tmp_path / "cache"
    first = built(site, tmp_path / "one", folder)
    assert b'content="one"' in first and b'href="/assets/x.css"' in first
    (site / "layouts" / "page.html").write_text((site / "layouts" / "page.html").read_text().replace("one", "two"))
    assert b'content="two"' in built(site, tmp_path / "two", folder)
    config = site / "site_config.yaml"
    config.write_text(config.read_text().replace("base_url: https://www.example.gov.uk/",
                                                 "base_url: https://www.example.gov.uk/health/"))
    assert b'href="/health/assets/x.css"' in built(site, tmp_path / "three", folder)


def test_a_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    monkeypatch.setenv("POLICYSITE_CACHE_DIR", str(folder))
    assert layout_code_folder() == folder / "layouts"
    os.chmod(folder / "layouts", 0o777)
    assert layout_code_folder() is None
    os.chmod(folder / "layouts", 0o700)
    os.chmod(folder, 0o777)
    assert layout_code_folder() is None
    os.chmod(folder, 0o700)
    assert layout_code_folder() == folder / "layouts"


def test_without_a_usable_folder_the_build_still_works(make_site, tmp_path):
    site = make_site({"content/a.md": PAGE})
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert b"Body text." in built(site, tmp_path / "one", blocker)
