"""`hooks:` in site_config.yaml: a site's own Python functions called between the build's stages."""

from __future__ import annotations

import os

from conftest import DEFAULT_CONFIG, build, html_of, main_text, page, read_tree, run, run_subprocess
from test_incremental import Served

HOOK = '''\
"""The department's own touches."""


def on_config(config):
    config.title = config.title + " (hooked)"


def on_page_markdown(markdown, page):
    return markdown.replace("{{dept}}", "**Department of Testing**")


def on_page_context(context, page, site):
    written = [p for p in site.pages if p.source]
    context["dept_note"] = f"{page.title} is one of {len(written)} written pages"
    return context


def on_page_html(html):
    return html.replace("</body>", "<!-- checked by the department --></body>")


def on_post_build(output_dir, site):
    (output_dir / "pages.txt").write_text(site.config.title)
'''

LAYOUT = ('{% extends "theme/page.html" %}'
          '{% block head %}<meta name="dept-note" content="{{ dept_note|default('') }}">{% endblock %}')


def hooked_site(make_site, hook: str = HOOK, extra_files: dict | None = None):
    return make_site({
        "site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/dept.py\n",
        "hooks/dept.py": hook,
        "layouts/page.html": LAYOUT,
        "content/a.md": page("Alpha", body="Run by {{dept}}.\n"),
        **(extra_files or {}),
    })


def test_hooks_rewrite_markdown_add_context_and_change_html(make_site):
    site = hooked_site(make_site)
    result = build(site)
    assert result.code == 0, result.err
    out = site / "_site"
    doc = html_of(out, "a/index.html")
    strong = main_text(doc).find("strong")
    assert strong is not None and strong.text() == "Department of Testing"
    assert doc.find("meta", name="dept-note").attrs["content"] == "Alpha is one of 2 written pages"
    text = (out / "a/index.html").read_text()
    assert "<!-- checked by the department --></body>" in text
    assert "Department of Testing (hooked)" in doc.find("title").text()
    assert (out / "pages.txt").read_text() == "Department of Testing (hooked)"


def test_a_hook_that_raises_fails_the_build_at_its_line_naming_the_page_and_keeps_the_old_output(make_site):
    site = hooked_site(make_site)
    assert build(site).code == 0
    before = read_tree(site / "_site")
    (site / "hooks/dept.py").write_text(
        "def on_page_markdown(markdown, page):\n"
        "    if page.title == 'Alpha':\n"
        "        raise ValueError('no alphas here')\n")
    result = build(site)
    assert result.code == 1
    result.assert_has("hooks/dept.py", 3, "error", "on_page_markdown", "content/a.md", "ValueError", "no alphas here")
    result.assert_no_traceback()
    assert read_tree(site / "_site") == before


def test_a_hook_that_raises_in_a_layout_stage_names_its_line(make_site):
    site = hooked_site(make_site, hook="def helper(x):\n    return x['missing']\n\n\n"
                                       "def on_page_context(context):\n    return helper(context)\n")
    result = build(site)
    assert result.code == 1
    result.assert_has("hooks/dept.py", 2, "error", "on_page_context", "KeyError")
    result.assert_no_traceback()
    assert not (site / "_site").exists()


def test_hooks_give_the_same_output_from_worker_processes(make_site, tmp_path):
    pages = {f"content/p{i:03}.md": page(f"Page {i}", body="By {{dept}}.\n") for i in range(80)}
    site = hooked_site(make_site, extra_files=pages)
    one, two = tmp_path / "one", tmp_path / "two"
    assert run("build", site, "-o", one, "-j", "1", "--no-cache").code == 0
    result = run("build", site, "-o", two, "-j", "2", "--no-cache")
    assert result.code == 0, result.err
    assert read_tree(one) == read_tree(two)
    assert "<strong>Department of Testing</strong>" in (two / "p079/index.html").read_text()
    assert 'content="Page 79 is one of 82 written pages"' in (two / "p079/index.html").read_text()


def _built_with_a_failing_html_hook(make_site, condition: str):
    """80 pages (so worker processes render them) and an on_page_html hook that raises when `condition` holds."""
    pages = {f"content/p{i:03}.md": page(f"Page {i}") for i in range(80)}
    site = hooked_site(make_site, hook="def on_page_html(html, page):\n"
                                       f"    if {condition}:\n"
                                       "        raise RuntimeError('broken')\n", extra_files=pages)
    result = run("build", site, "-j", "2")
    assert result.code == 1
    result.assert_no_traceback()
    return result


def test_a_hook_that_raises_in_a_worker_is_reported_at_its_line(make_site):
    result = _built_with_a_failing_html_hook(make_site, "page.title == 'Page 77'")
    result.assert_has("hooks/dept.py", 3, "error", "on_page_html", "content/p077.md", "broken")


def test_a_hook_that_fails_on_many_pages_is_one_error_naming_the_first_and_how_many(make_site):
    result = _built_with_a_failing_html_hook(make_site, "page.title.startswith('Page 7')")
    assert [e for e in result.errors() if e[0] == "hooks/dept.py"] == [
        ("hooks/dept.py", 3, "`on_page_html` failed while building content/p007.md: RuntimeError: broken "
                             "(and on 10 more pages)")], result.err


def test_editing_a_hook_file_while_serving_equals_a_clean_build(make_site, tmp_path):
    served = Served(hooked_site(make_site), tmp_path)
    assert served.build().ok
    served.edit({"hooks/dept.py": HOOK.replace("**Department of Testing**", "*the Department*")})
    assert served.build().ok
    assert "<em>the Department</em>" in served.html("a/index.html")
    served.edit({"content/a.md": page("Alpha", body="Still run by {{dept}}.\n")})   # a body-only edit
    assert served.build().ok
    assert "Still run by <em>the Department</em>" in served.html("a/index.html")


def test_editing_a_hook_file_is_seen_by_the_cached_build(make_site):
    site = hooked_site(make_site)
    assert build(site).code == 0
    assert build(site).code == 0   # taken over whole: nothing changed
    (site / "hooks/dept.py").write_text(HOOK.replace("**Department of Testing**", "*the Department*"))
    assert build(site).code == 0
    assert "<em>the Department</em>" in (site / "_site/a/index.html").read_text()


def test_a_hook_outside_the_site_folder_is_an_error_at_its_line(make_site, tmp_path):
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def on_config(config):\n    pass\n")
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - ../elsewhere.py\n  - hooks/link.py\n"
                                                           "  - hooks/missing.py\n"})
    (site / "hooks").mkdir()
    os.symlink(outside, site / "hooks/link.py")
    result = build(site)
    assert result.code == 1
    lines = DEFAULT_CONFIG.count("\n")
    result.assert_has("site_config.yaml", lines + 2, "error", "outside the site folder")
    result.assert_has("site_config.yaml", lines + 3, "error", "outside the site folder")
    result.assert_has("site_config.yaml", lines + 4, "error", "does not exist")
    result.assert_no_traceback()


def test_a_hook_file_that_does_not_import_is_an_error_at_its_line(make_site):
    site = hooked_site(make_site, hook="import os\n\nVALUE = 1 / 0\n")
    result = build(site)
    assert result.code == 1
    result.assert_has("hooks/dept.py", 3, "error", "ZeroDivisionError")
    site2 = hooked_site(make_site, hook="def on_config(config)\n    pass\n")
    build(site2).assert_has("hooks/dept.py", 1, "error", "does not run")


def test_a_hook_that_returns_the_wrong_kind_of_value_is_an_error_at_its_definition(make_site):
    site = hooked_site(make_site, hook="import os\n\n\ndef on_page_html(html):\n    return 42\n")
    result = build(site)
    assert result.code == 1
    result.assert_has("hooks/dept.py", 4, "error", "on_page_html", "must return text", "int")
    result.assert_no_traceback()


HELPED_HOOK = '''\
import helpers
from tools.words import shout


def on_page_markdown(markdown):
    return markdown.replace("{{dept}}", shout(helpers.NAME))
'''


def test_a_hook_imports_python_files_beside_it_and_each_site_its_own(make_site):
    import sys

    sites = []
    for name in ("Department of Testing", "Office of Trials"):
        sites.append(make_site({
            "site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/dept.py\n",
            "hooks/dept.py": HELPED_HOOK,
            "hooks/helpers.py": f"NAME = {name!r}\n",
            "hooks/tools/__init__.py": "",
            "hooks/tools/words.py": "def shout(text):\n    return text.upper()\n",
            "content/a.md": page("Alpha", body="Run by {{dept}}.\n"),
        }))
    for site, name in zip(sites, ("DEPARTMENT OF TESTING", "OFFICE OF TRIALS"), strict=True):
        result = build(site)
        assert result.code == 0, result.err
        assert f"Run by {name}." in main_text(html_of(site / "_site", "a/index.html")).text()
    assert not {"helpers", "tools", "tools.words"} & set(sys.modules)   # nothing left for the next site
    assert all(not path.startswith(str(sites[0].parent)) for path in sys.path)
    (sites[0] / "hooks/helpers.py").write_text("NAME = 'Edited department'\n")
    assert build(sites[0]).code == 0
    assert "Run by EDITED DEPARTMENT." in main_text(html_of(sites[0] / "_site", "a/index.html")).text()


def test_a_helper_that_fails_to_import_is_an_error_at_the_hook(make_site):
    site = make_site({
        "site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/dept.py\n",
        "hooks/dept.py": "# The department's own touches.\nimport helperz\n",
        "hooks/helpers.py": "NAME = 'x'\n",
    })
    result = build(site)
    assert result.code == 1
    result.assert_has("hooks/dept.py", 2, "error", "does not run", "No module named 'helperz'")
    result.assert_no_traceback()


IN_PLACE = """\
import os
from pathlib import Path


def on_post_build(output_dir):
    if not (Path(__file__).parent.parent / "FAIL").exists():
        return
    for folder, _, names in os.walk(output_dir):
        for name in names:
            if name == "index.html":
                with open(os.path.join(folder, name), "a") as handle:   # in place, through any link
                    handle.write("<!-- stamped -->\\n")
    raise RuntimeError("told to fail")
"""


def test_a_hook_rewriting_output_files_in_place_never_reaches_the_live_output(make_site):
    """Files reused from the last output are shared with it on disk until the swap: a hook
    that writes into them in place must get copies, or a failed build changes the live output."""
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/stamp.py\n", "hooks/stamp.py": IN_PLACE,
                      "content/a.md": page("Alpha", body="Alpha text.\n"), "content/b.md": page("Beta", body="Beta text.\n")})
    for edit in range(2):   # the second build reuses a's page from the first (and the spare from then on)
        result = run("build", str(site))
        assert result.code == 0, result.err
        (site / "content" / "b.md").write_text(page("Beta", body=f"Beta text, edit {edit}.\n"))
    live = read_tree(site / "_site")
    (site / "FAIL").write_text("")
    failed = run("build", str(site))
    assert failed.code != 0 and "told to fail" in failed.err, failed.err
    assert read_tree(site / "_site") == live
    (site / "FAIL").unlink()
    again = run("build", str(site))
    assert again.code == 0, again.err
    assert b"stamped" not in read_tree(site / "_site")["a/index.html"]


def test_a_hook_files_exit_functions_run_when_the_command_ends(make_site):
    """The command ends at once only when no hook file ran: a hook may count on Python's exit."""
    hook = ('import atexit, pathlib\n'
            'atexit.register(lambda: (pathlib.Path(__file__).parent / "atexit.txt").write_text("ran"))\n'
            'def on_page_html(html):\n'
            '    return html\n')
    site = hooked_site(make_site, hook=hook)
    for verb in ("build", "check"):
        result = run_subprocess(verb, site)
        assert result.code == 0, result.err
        assert (site / "hooks/atexit.txt").read_text() == "ran", verb
        (site / "hooks/atexit.txt").unlink()


def test_a_hook_changing_a_pages_contents_list_in_place_is_seen_however_big_the_site(make_site):
    """A big build keeps each page's contents list in its scratch file, read afresh each time
    it is asked for: a hook's change in place to `page.toc` was lost there (a later event saw
    the list as it was) and kept in a small build. Past pool.PARALLEL_THRESHOLD pages the build is big."""
    hook = ("def on_page_context(context, page, site):\n"
            "    page.toc.append({'id': 'added', 'text': 'Added'})\n"
            "    return context\n"
            "\n"
            "def on_page_html(html, page):\n"
            "    return html.replace('</body>', f'<!-- {len(page.toc)} in the contents --></body>')\n")
    body = "## Costs\n\nSome costs.\n\n## Benefits\n\nSome benefits.\n"
    for count in (3, 70):
        files = {f"content/p{n:02}.md": page(f"Page {n}", body=body) for n in range(count)}
        site = make_site({"site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/toc.py\n", "hooks/toc.py": hook, **files},
                         name=f"pages-{count}")
        r = build(site)
        assert r.code == 0, r.err
        assert "<!-- 3 in the contents -->" in (site / "_site/p01/index.html").read_text(), count
