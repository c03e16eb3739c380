"""The corpus of bad inputs: an editor's worst day, one small case at a time.

Each Case is a site (files merged over helpers.MINIMAL), maybe a `setup`
that makes what a dict cannot (symlinks, a foreign output folder), the exit
code `python build.py build` must give, and the diagnostics it must print,
each as (path, line, severity, word, word, ...): exactly that path and line,
and every word somewhere in the message (case-insensitive).

Line numbers count from the first line of the file: `page()` puts `---` on
line 1, `title` on 2, `description` on 3, `extra` from 4, then `---`, then the
body.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..helpers import page

P = "content/p.md"
CONFIG_TAIL = "base_url: https://www.example.gov.uk/\n"


@dataclass
class Case:
    id: str
    files: dict = field(default_factory=dict)
    expect: list = field(default_factory=list)
    code: int = 1
    # The --output folder; by default TMP/out. Called as output(site, tmp) -> Path.
    output: Callable | None = None
    setup: Callable | None = None          # setup(site, tmp): symlinks, foreign folders
    check: Callable | None = None          # check(site, out, result): more assertions
    only: bool = True                      # no errors but the expected ones
    says: tuple = ()                       # words of the `error: ...` line (output problems)


def fm(*lines: str, body: str = "Body.\n") -> str:
    """Front matter from lines as written (line 2 onwards), then the body."""
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


def _billion_laughs() -> str:
    names = "abcdefghi"
    lines = ["title: A", "description: d", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return fm(*lines)


def _symlink(rel: str, target, folder: bool = False):
    def setup(site: Path, tmp: Path):
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(site, tmp) if callable(target) else target, path, target_is_directory=folder)
    return setup


def _outside_file(site: Path, tmp: Path) -> Path:
    secret = tmp / "secret.md"
    secret.write_text(page("Secret", body="TOP SECRET\n"))
    return secret


def _outside_folder(site: Path, tmp: Path) -> Path:
    folder = tmp / "elsewhere"
    folder.mkdir(exist_ok=True)
    (folder / "private.md").write_text(page("Private", body="TOP SECRET\n"))
    return folder


def _loops(site: Path, tmp: Path):
    content = site / "content"
    os.symlink("self.md", content / "self.md")
    os.symlink("ping.md", content / "pong.md")
    os.symlink("pong.md", content / "ping.md")
    (content / "d").mkdir()
    os.symlink("..", content / "d" / "up", target_is_directory=True)


def _foreign_output(site: Path, tmp: Path):
    out = tmp / "out"
    (out / "photos").mkdir(parents=True)
    (out / "thesis.docx").write_bytes(b"years of work")
    (out / "photos" / "cat.jpg").write_bytes(b"\xff\xd8cat")


def _foreign_kept(site: Path, out: Path, result):
    assert (out / "thesis.docx").read_bytes() == b"years of work"
    assert (out / "photos" / "cat.jpg").read_bytes() == b"\xff\xd8cat"
    assert sorted(p.name for p in out.iterdir()) == ["photos", "thesis.docx"]


def _file_parent(site: Path, tmp: Path):
    (tmp / "plain-file").write_text("not a folder\n")


def _built(*paths: str, absent: tuple = ()):
    """The output has these files (and not those)."""
    def check(site: Path, out: Path, result):
        for rel in paths:
            assert (out / rel).is_file(), f"{rel} missing from {sorted(p.relative_to(out).as_posix() for p in out.rglob('*'))[:40]}"
        for rel in absent:
            assert not (out / rel).exists(), rel
    return check


def _contains(rel: str, *texts: str):
    def check(site: Path, out: Path, result):
        html = (out / rel).read_text(encoding="utf-8")
        for text in texts:
            assert text in html, text
    return check


def _nothing_secret(site: Path, out: Path, result):
    assert "TOP SECRET" not in result.stderr + result.stdout


DEEP = "/".join(f"level-{i}" for i in range(60))
NESTED_LIST = "".join("    " * i + "- item\n" for i in range(300))

CASES = [
    # ---- YAML pitfalls in front matter -------------------------------------------
    Case("yaml-tab-indent", {P: fm("title: A", "description: d", "topics:", "\t- health-inequalities")},
         [(P, 5, "error", "not valid YAML", "spaces, not tabs")]),
    Case("yaml-tab-before-key", {P: fm("title: A", "\tdescription: d")},
         [(P, 3, "error", "not valid YAML", "spaces, not tabs")]),
    Case("yaml-duplicate-key", {P: fm("title: A", "description: d", "title: B")},
         [(P, 4, "error", "`title` is given twice", "first at line 2", "keep one")]),
    Case("yaml-duplicate-nested-key", {P: fm("title: A", "description: d", "image:", "  src: /x.png", "  alt: x", "  src: /y.png")},
         # The first `src` is used, and checked: its own problem is reported in the same run.
         [(P, 7, "error", "`src` is given twice", "first at line 5", "only the first is used"),
          (P, 5, "error", "`image.src` `/x.png`", "there is no file")]),
    Case("yaml-anchor-alias", {P: fm("title: &t A", "description: *t")},
         [(P, 3, "error", "anchors and aliases", "write the value out in full")]),
    Case("yaml-merge-key", {P: fm("title: A", "description: d", "image:", "  <<: {src: /x.png}", "  alt: x")},
         [(P, 5, "error", "merge keys", "write the fields out")]),
    Case("yaml-billion-laughs", {P: _billion_laughs()},
         [(P, 5, "error", "anchors and aliases")]),
    Case("yaml-python-object-apply", {P: fm("title: A", "description: !!python/object/apply:os.system ['touch /tmp/pwned']")},
         [(P, 3, "error", "tag", "python/object/apply", "not allowed", "remove it")]),
    Case("yaml-python-name", {P: fm("title: !!python/name:os.system", "description: d")},
         [(P, 2, "error", "tag", "not allowed")]),
    Case("yaml-python-object-mapping", {P: fm("title: A", "description: d", "image: !!python/object:os.stat_result {}")},
         [(P, 4, "error", "tag", "not allowed")]),
    Case("yaml-custom-tag", {P: fm("title: !include other.yaml", "description: d")},
         [(P, 2, "error", "tag", "not allowed")]),
    Case("yaml-bool-tag-on-a-word", {P: fm("title: T", "description: d", "weight: !!bool maybe")},
         [(P, 4, "error", "`maybe`", "!!bool", "remove")]),
    Case("yaml-int-tag-on-nothing", {P: fm("title: T", "description: d", "weight: !!int")},
         [(P, 4, "error", "!!int", "remove")]),
    Case("yaml-timestamp-tag-on-a-word", {P: fm("title: T", "description: d", "date: !!timestamp soon")},
         [(P, 4, "error", "date", "YYYY-MM-DD")]),
    Case("yaml-title-no", {P: fm("title: no", "description: d")},
         [(P, 2, "error", "`title` must be text", "false", "yes/no", "quotes")]),
    Case("yaml-description-yes", {P: fm("title: A", "description: yes")},
         [(P, 3, "error", "`description` must be text", "true", "quotes")]),
    Case("yaml-title-on", {P: fm("title: on", "description: d")},
         [(P, 2, "error", "`title` must be text", "true", "quotes")]),
    Case("yaml-title-number", {P: fm("title: 1984", "description: d")},
         [(P, 2, "error", "`title` must be text", "1984", "number", "quotes")]),
    Case("yaml-title-date", {P: fm("title: 2008-11-06", "description: d")},
         [(P, 2, "error", "`title` must be text", "date", "quotes")]),
    Case("yaml-key-on-named-as-written", {P: fm("title: A", "description: d", "on: x")},
         [(P, 4, "warning", "unknown field `on`")], code=0),
    Case("yaml-key-null-named-as-written", {P: fm("title: A", "description: d", "~: x")},
         [(P, 4, "warning", "unknown field `~`")], code=0),
    Case("yaml-draft-not-boolean", {P: fm("title: A", "description: d", "draft: maybe")},
         [(P, 4, "error", "`draft` must be true or false")]),
    Case("yaml-date-month-13", {P: fm("title: A", "description: d", "date: 2008-13-45")},
         [(P, 4, "error", "`date` is 2008-13-45", "not a real date", "there is no month 13")]),
    Case("yaml-date-feb-30", {P: fm("title: A", "description: d", "date: 2008-01-01", "updated: 2008-02-30")},
         [(P, 5, "error", "`updated` is 2008-02-30", "not a real date", "February 2008 has no day 30")]),
    Case("yaml-date-next-week", {P: fm("title: A", "description: d", "date: next week")},
         [(P, 4, "error", "`date` must be a date", "YYYY-MM-DD")]),
    Case("yaml-date-short", {P: fm("title: A", "description: d", "date: 2008-1-5")},
         [(P, 4, "error", "`date` must be a date", "YYYY-MM-DD")]),
    Case("yaml-updated-before-date", {P: fm("title: A", "description: d", "date: 2010-01-01", "updated: 2009-01-01")},
         [(P, 5, "error", "before `date`")]),
    Case("yaml-long-line-body", {P: page("A", body=("word " * 210_000) + "\n")}, [], code=0,
         check=_built("p/index.html")),
    Case("yaml-long-line-front-matter", {P: fm("title: A", "description: " + "x" * 1_048_576)}, [], code=0,
         check=_built("p/index.html")),
    Case("yaml-long-line-unclosed", {P: fm("title: A", "description: '" + "x" * 1_048_576)},
         [(P, 3, "error", "quote", "not closed")]),
    Case("yaml-unclosed-double-quote", {P: fm('title: "A', "description: d")},
         [(P, 2, "error", "not valid YAML", "quote", "not closed")]),
    Case("yaml-unclosed-single-quote", {P: fm("title: A", "description: 'it is", "date: 2008-01-01")},
         [(P, 3, "error", "not valid YAML", "quote", "not closed")]),
    Case("yaml-unclosed-bracket", {P: fm("title: A", "description: d", "topics: [health-inequalities", "date: 2008-01-01")},
         [(P, 4, "error", "not valid YAML", "`[`", "not closed")]),
    Case("yaml-colon-in-value", {P: fm("title: A", "description: Health: a plan")},
         [(P, 3, "error", "not valid YAML", "quotes")]),
    Case("yaml-list-not-mapping", {P: fm("- title: A", "- description: d")},
         [(P, 2, "error", "top level", "not a list")]),
    Case("yaml-scalar-not-mapping", {P: fm("Health inequalities")},
         [(P, 2, "error", "top level")]),
    Case("yaml-title-is-a-list", {P: fm("title:", "  - A", "description: d")},
         [(P, 2, "error", "`title` must be text")]),
    Case("yaml-control-character", {P: fm("title: A\x01B", "description: d")},
         [(P, 2, "error", "control character", "#x0001", "remove it")]),
    Case("yaml-nel-and-line-separators", {P: fm("title: A\x85\x85\u2028\u2029", "description: d", "title: B")},
         [(P, 4, "error", "`title` is given twice", "first at line 2")]),
    Case("yaml-type-is-a-list", {P: fm("title: A", "description: d", "type: []")},
         [(P, 4, "error", "unknown type")]),
    Case("front-matter-unclosed", {P: "---\ntitle: A\ndescription: d\n\nBody that never closes.\n"},
         [(P, 4, "error", "not closed", "add a line `---` here")]),
    Case("front-matter-missing", {P: "# Health\n\nNo front matter here.\n"},
         [(P, 1, "error", "no front matter", "`---`")]),
    Case("front-matter-extra-dashes-body", {P: page("A", body="Text.\n\n---\n\nMore text after a rule.\n")}, [], code=0),

    # ---- site_config.yaml --------------------------------------------------------
    Case("config-tab-indent", {"site_config.yaml": "title: x\n" + CONFIG_TAIL + "topics:\n\tt:\n\t\tname: T\n"},
         [("site_config.yaml", 4, "error", "site_config.yaml is not valid YAML", "spaces, not tabs")]),
    Case("config-duplicate-key", {"site_config.yaml": "title: x\ntitle: y\n" + CONFIG_TAIL},
         [("site_config.yaml", 2, "error", "`title` is given twice", "line 1")]),
    Case("config-alias", {"site_config.yaml": "title: &t x\n" + CONFIG_TAIL + "description: *t\n"},
         [("site_config.yaml", 3, "error", "anchors and aliases")]),
    Case("config-list", {"site_config.yaml": "- title: x\n- base_url: https://a.example/\n"},
         [("site_config.yaml", 1, "error", "`setting: value`")]),
    Case("config-title-no", {"site_config.yaml": "title: no\n" + CONFIG_TAIL},
         [("site_config.yaml", 1, "error", "`title` must be text", "quotes")]),
    Case("config-unclosed-quote", {"site_config.yaml": "title: 'Department\n" + CONFIG_TAIL},
         [("site_config.yaml", 1, "error", "quote", "not closed")]),
    Case("config-second-document", {"site_config.yaml": "title: x\n" + CONFIG_TAIL + "---\nlanguage: cy\n"},
         [("site_config.yaml", 3, "error", "second document", "remove it")]),
    Case("config-nul", {"site_config.yaml": "title: x\x00\n" + CONFIG_TAIL},
         [("site_config.yaml", 1, "error", "control character", "#x0000")]),
    Case("config-invalid-utf8", {"site_config.yaml": b"title: x\nbase_url: https://a.example/\ndescription: caf\xe9\n"},
         [("site_config.yaml", 3, "error", "UTF-8")]),
    Case("config-python-tag", {"site_config.yaml": "title: !!python/object/apply:os.system ['true']\n" + CONFIG_TAIL},
         [("site_config.yaml", 1, "error", "tag", "not allowed")]),
    Case("config-base-url-quotes", {"site_config.yaml": "title: x\nbase_url: 'https://a.example/\"><script>alert(1)</script>/'\n"},
         [("site_config.yaml", 2, "error", "`base_url` must be an absolute http or https address")]),
    Case("config-base-url-bad-host", {"site_config.yaml": "title: x\nbase_url: https://[www.example.gov.uk/\n"},
         [("site_config.yaml", 2, "error", "`base_url` must be an absolute http or https address")]),
    Case("config-line-separators", {"site_config.yaml": "title: 'x\u2028\u2028\u2028'\n" + CONFIG_TAIL + "titel: y\n"},
         [("site_config.yaml", 3, "warning", "unknown setting `titel`", "did you mean `title`")], code=0),
    Case("config-bom-crlf", {"site_config.yaml": b"\xef\xbb\xbftitle: Department\r\nbase_url: https://a.example/\r\n"}, [], code=0,
         check=_contains("index.html", "Department")),

    # ---- encodings and bytes -------------------------------------------------------
    Case("utf8-bom-crlf", {P: b"\xef\xbb\xbf---\r\ntitle: Caf\xc3\xa9 plan\r\ndescription: d\r\n---\r\nBody [home](_index.md)\r\n"}, [], code=0,
         check=_contains("p/index.html", "Café plan")),
    Case("cr-only-line-ends", {P: b"---\rtitle: Old Mac\rdescription: d\r---\rBody\r"}, [], code=0,
         check=_contains("p/index.html", "Old Mac")),
    Case("crlf-error-line", {P: b"---\r\ntitle: A\r\ndescription: d\r\n---\r\n\r\n[x](nope.md)\r\n"},
         [(P, 6, "error", "broken link", "nope.md")]),
    Case("nul-byte", {P: page("A").encode() + b"fine\nx\x00y\n"},
         [(P, 7, "error", "NUL byte", "UTF-8")]),
    Case("invalid-utf8-body", {P: page("A").encode() + b"line six\nline seven \xff\xfe bad\n"},
         [(P, 7, "error", "not valid UTF-8", "save it with UTF-8")]),
    Case("invalid-utf8-front-matter", {P: b"---\ntitle: Caf\xe9\ndescription: d\n---\n"},
         [(P, 2, "error", "not valid UTF-8")]),
    Case("utf8-surrogate-bytes", {P: b"---\ntitle: A\ndescription: d\n---\n\nok\n\xed\xa0\x80\n"},
         [(P, 7, "error", "not valid UTF-8")]),
    Case("utf16-file", {P: page("A").encode("utf-16")},
         [(P, 1, "error", "UTF-16", "UTF-8")]),
    Case("binary-file-named-md", {P: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
         [(P, 3, "error", "NUL byte")]),

    # ---- names ----------------------------------------------------------------------
    Case("names-spaces-capitals-accents", {
        "content/Health Plan.md": page("Health plan", body="[b](My Folder/Some Page.md) [c](<Café Déjà.md>)\n"),
        "content/My Folder/Some Page.md": page("Some page"),
        "content/Café Déjà.md": page("Cafe"),
    }, [], code=0, check=_built("health-plan/index.html", "my-folder/some-page/index.html", "cafe-deja/index.html",
                                "my-folder/index.html")),
    Case("names-no-slug-file", {"content/健康.md": page("Health")},
         [("content/健康.md", 1, "error", "cannot make a web address", "`健康`", "slug:")]),
    Case("names-no-slug-file-with-slug", {"content/健康.md": page("Health", extra="slug: health\n")}, [], code=0,
         check=_built("health/index.html")),
    Case("names-no-slug-folder", {"content/健康/a.md": page("A")},
         [("content/健康", 1, "error", "cannot make a web address", "folder", "`健康`")]),
    Case("names-two-spellings-one-url", {"content/Health-Plan.md": page("A"), "content/health plan.md": page("B")},
         [("content/health plan.md", 1, "error", "`/health-plan/`", "content/Health-Plan.md", "content/health plan.md")]),

    # ---- size and depth ---------------------------------------------------------------
    Case("file-over-5mb", {P: page("A", body="x" * (5 * 1024 * 1024 + 10) + "\n")},
         [(P, 1, "error", "5 MB", "split it")]),
    Case("folders-60-deep", {f"content/{DEEP}/deep.md": page("Deep", body="[home](/_index.md)\n")}, [], code=0,
         check=_built(f"{DEEP}/deep/index.html", f"{DEEP}/index.html")),
    Case("lists-nested-300-deep", {P: page("A", body=NESTED_LIST)},
         [(P, 304, "error", "nested too deeply")]),

    # ---- links ------------------------------------------------------------------------
    Case("links-with-control-characters", {P: page("A", body="[a](\x01//[x/)\n\n[b](java\tscript:alert(1))\n",
                                                    extra='related:\n  - "other.md\\nx"\n')},
         [(P, 7, "error", "broken link `\\x01//[x/`", "control character"),
          (P, 9, "error", "broken link `java", "script:alert(1)`"),
          (P, 5, "error", "related link `other.md x`", "control character")]),
    Case("links-split-over-lines", {P: page("A", body="Text.\n\n[a](nope\nmore.md)\n")},
         [(P, 7, "error", "broken link `nope more.md`")]),
    Case("links-cycle-and-self", {
        "content/a.md": page("A", body="[b](b.md) [me](a.md) [top](#intro)\n\n## Intro\n"),
        "content/b.md": page("B", body="[a](a.md) [](b.md)\n"),
    }, [], code=0, check=_built("a/index.html", "b/index.html")),

    # ---- one URL, two claims ------------------------------------------------------------
    Case("page-and-folder-one-url", {"content/policy.md": page("Policy"), "content/policy/_index.md": fm("title: Policies")},
         [("content/policy.md", 1, "error", "`/policy/`", "content/policy.md", "content/policy/_index.md")]),

    # ---- symlinks -----------------------------------------------------------------------
    Case("symlink-file-outside", {}, [("content/leak.md", 1, "error", "outside content/", "copy the file in")],
         setup=_symlink("content/leak.md", _outside_file), check=_nothing_secret),
    Case("symlink-folder-outside", {}, [("content/linked", 1, "error", "outside content/")],
         setup=_symlink("content/linked", _outside_folder, folder=True), check=_nothing_secret),
    Case("symlink-to-etc-passwd", {}, [("content/passwd.md", 1, "error", "outside content/")],
         setup=_symlink("content/passwd.md", "/etc/passwd")),
    Case("symlink-loops", {}, [
        ("content/self.md", 1, "error", "loop"),
        ("content/ping.md", 1, "error", "loop"),
        ("content/pong.md", 1, "error", "loop"),
        ("content/d/up", 1, "error", "links back to a folder above"),
    ], setup=_loops),
    Case("symlink-dangling", {}, [("content/gone.md", 1, "error", "does not exist")],
         setup=_symlink("content/gone.md", "nowhere/gone.md")),

    # ---- the output folder ------------------------------------------------------------------
    Case("output-inside-content", {}, [], code=2, output=lambda site, tmp: site / "content" / "out",
         says=("inside content/", "choose a folder outside it")),
    Case("output-inside-layouts", {"layouts/x.html": "{{ page.title }}"}, [], code=2,
         output=lambda site, tmp: site / "layouts" / "out", says=("inside layouts/",)),
    Case("output-is-site", {}, [], code=2, output=lambda site, tmp: site, says=("contains the site itself", "choose another folder")),
    Case("output-contains-site", {}, [], code=2, output=lambda site, tmp: site.parent, says=("contains the site itself",)),
    Case("output-symlink-into-content", {}, [], code=2, setup=_symlink("../linked-out", lambda site, tmp: site / "content"),
         output=lambda site, tmp: tmp / "linked-out", says=("inside content/",)),
    Case("output-foreign-folder", {}, [], code=2, setup=_foreign_output, check=_foreign_kept,
         says=("not empty and was not made by policysite", "choose an empty or new folder")),
    Case("output-parent-is-file", {}, [], code=2, setup=_file_parent,
         output=lambda site, tmp: tmp / "plain-file" / "out", says=("is a file", "choose another output folder")),
    Case("output-is-file", {}, [], code=2, setup=_file_parent, output=lambda site, tmp: tmp / "plain-file",
         says=("is not a folder", "choose another output folder")),
]

# What stderr may say besides diagnostics (each whole line).
OTHER_LINES = ("build failed: *", "error: *", "Built *")
