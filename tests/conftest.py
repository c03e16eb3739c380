"""Helpers shared by the generator-core tests.

`make_site(files)` writes a small site into a fresh temporary folder from a
dict {relative path: text or bytes}. Text is dedented and its leading newline
dropped, so a triple-quoted page starts with `---` on line 1 and line numbers
in assertions count from there. A site gets a default site_config.yaml and a
home page unless the dict gives its own (or None to leave one out).

`run(*args)` runs the command line in-process with click's CliRunner and
returns a Result with `.code`, `.out`, `.err` and `.diagnostics` (the
`PATH:LINE: severity: message` lines of stderr, parsed). `run_subprocess`
does the same through `python build.py` for end-to-end cases.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from policysite.cli import main as cli_main  # noqa: E402

# Property tests run under one of two Hypothesis profiles, chosen by the
# HYPOTHESIS_PROFILE environment variable (or pytest's --hypothesis-profile):
#   default   every property test, few examples, the same examples on every run
#             (derandomized), so a failure in CI reproduces anywhere;
#   thorough  many fresh random examples, for a long run before a release:
#             HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_hardening_properties.py \
#               tests/test_render_speedups.py tests/test_incremental.py
# Neither has a deadline: how long one example takes depends on the machine,
# and a test must never fail because the machine is busy. Tests that are much
# cheaper or dearer than a typical build scale `settings.default.max_examples`.
_QUIET_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("default", max_examples=20, derandomize=True, database=None, deadline=None,
                          print_blob=True, suppress_health_check=_QUIET_HEALTH)
settings.register_profile("thorough", max_examples=500, derandomize=False, deadline=None,
                          print_blob=True, suppress_health_check=_QUIET_HEALTH)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEFAULT_CONFIG = """\
title: Department of Testing
base_url: https://www.example.gov.uk/
language: en-GB
organisations:
  department-of-testing:
    name: Department of Testing
governments:
  old-government:
    name: 2005 to 2010 Old government
  new-government:
    name: 2024 New government
current_government: new-government
topics:
  health-inequalities:
    name: Health inequalities
  public-health:
    name: Public health
"""

# Real PNG files, 300 and 320 pixels wide and 1 high: the build reads the size of
# every image it shows, and a lead image narrower than 300 pixels is a warning.
PNG_300 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01,\x00\x00\x00\x01\x01\x00\x00\x00\x00LC\xae\x84\x00\x00\x00\x0cIDATx\x9cc` \n\x00\x00\x00'\x00\x01\xcaG\x11\xaa\x00\x00\x00\x00IEND\xaeB`\x82"
PNG_320 = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01@\x00\x00\x00\x01\x01\x00\x00\x00\x00\x87\x98Jz\x00\x00\x00\x0cIDATx\x9cc` \x12\x00\x00\x00)\x00\x01\x94\xe8\xee\t\x00\x00\x00\x00IEND\xaeB`\x82'

HOME = """\
---
title: Home
---
Welcome.
"""

DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): (?P<severity>error|warning): (?P<message>.*)$")


def page(title: str = "A page", description: str = "A page for testing.", extra: str = "", body: str = "Body text.\n") -> str:
    """A Markdown page: front matter lines 1..n, then the body."""
    front = f"---\ntitle: {title}\n"
    if description is not None:
        front += f"description: {description}\n"
    front += extra
    if extra and not extra.endswith("\n"):
        front += "\n"
    return front + "---\n" + body


def _prepare(text):
    if isinstance(text, bytes):
        return text
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def write_files(root: Path, files: dict) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _prepare(text)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


@pytest.fixture(autouse=True, scope="session")
def _layout_code_folder(tmp_path_factory):
    """Compiled layouts (templates.layout_code_folder) in this run's own folder, not the user's
    cache: each test process compiles the theme once, and nothing is left behind."""
    folder = tmp_path_factory.getbasetemp() / "policysite-cache"
    before = os.environ.get("POLICYSITE_CACHE_DIR")
    os.environ["POLICYSITE_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("POLICYSITE_CACHE_DIR", None)
    else:
        os.environ["POLICYSITE_CACHE_DIR"] = before


@pytest.fixture
def make_site(tmp_path):
    """make_site(files, name='site') -> Path of a new site folder."""
    counter = [0]

    def make(files: dict | None = None, name: str | None = None) -> Path:
        counter[0] += 1
        root = tmp_path / (name or f"site{counter[0]}")
        root.mkdir(parents=True)
        all_files = {"site_config.yaml": DEFAULT_CONFIG, "content/_index.md": HOME}
        all_files.update(files or {})
        write_files(root, {k: v for k, v in all_files.items() if v is not None})
        return root

    return make


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def diagnostics(self) -> list[tuple[str, int, str, str]]:
        found = []
        for line in self.err.splitlines():
            m = DIAGNOSTIC.match(line)
            if m:
                found.append((m["path"], int(m["line"]), m["severity"], m["message"]))
        return found

    def errors(self) -> list[tuple[str, int, str]]:
        return [(p, n, m) for p, n, s, m in self.diagnostics if s == "error"]

    def warnings(self) -> list[tuple[str, int, str]]:
        return [(p, n, m) for p, n, s, m in self.diagnostics if s == "warning"]

    def has(self, path: str, line: int, severity: str, *words: str) -> bool:
        """True when one diagnostic is at exactly PATH:LINE with this severity and every word in its message."""
        return any(p == path and n == line and s == severity and all(w.lower() in m.lower() for w in words)
                   for p, n, s, m in self.diagnostics)

    def assert_has(self, path: str, line: int, severity: str, *words: str) -> None:
        assert self.has(path, line, severity, *words), (
            f"expected {path}:{line}: {severity}: ...{' ... '.join(words)}... in stderr:\n{self.err}")

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.err and "Traceback" not in self.out, self.err


def run(*args, cwd: Path | None = None, env: dict | None = None) -> Result:
    """The command line in-process: run('build', str(site), '--strict')."""
    try:
        runner = CliRunner(mix_stderr=False)   # click 8.1 (the lowest allowed): stderr apart
    except TypeError:
        runner = CliRunner()                   # click 8.2 and later keep stderr apart always
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(cli_main, [str(a) for a in args], env=env, catch_exceptions=True)
    finally:
        os.chdir(old)
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback
        err += "Traceback (from CliRunner):\n" + "".join(traceback.format_exception(result.exception))
    return Result(code=result.exit_code, out=result.stdout, err=err)


def run_subprocess(*args, cwd: Path | None = None, env: dict | None = None, timeout: int = 60) -> Result:
    """`python build.py ARGS` as an editor would type it."""
    full_env = dict(os.environ)
    full_env.pop("SOURCE_DATE_EPOCH", None)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, env=full_env, timeout=timeout)
    return Result(code=proc.returncode, out=proc.stdout, err=proc.stderr)


def build(site: Path, *extra) -> Result:
    """Build `site` into site/_site; returns the Result."""
    return run("build", site, *extra)


def build_fails(site: Path, path: str, line: int, *words: str) -> Result:
    """Build and assert exit 1 with an error at PATH:LINE naming `words`, no traceback and no output."""
    r = build(site)
    assert r.code == 1, r.err
    r.assert_has(path, line, "error", *words)
    r.assert_no_traceback()
    assert not (site / "_site").exists()
    return r


def build_ok(site: Path, *extra) -> Path:
    """Build and assert success with no diagnostics at all; returns the output folder."""
    result = run("build", site, *extra)
    assert result.code == 0, result.err
    result.assert_no_traceback()
    assert result.diagnostics == [], result.err
    return site / "_site"


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, as bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list = []   # Elements and str

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Element):
                yield from c.iter()

    def find_all(self, tag: str, **attrs) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str, **attrs) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.current)
        self.current.children.append(el)
        if tag not in VOID:
            self.current = el

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def html_of(output: Path, rel: str) -> Element:
    return parse_html((output / rel).read_text(encoding="utf-8"))


def main_text(doc: Element) -> Element:
    main = doc.find("main", id="main-content")
    assert main is not None
    return main


def fill_in(path: Path, keys: bool = True) -> None:
    """What an editor does to a new page: a real description, keys in the empty lists
    (or, on a site with no organisations and topics, no lists)."""
    import yaml
    text = path.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    description = yaml.safe_load(head)["description"]
    lines = []
    for line in head.splitlines(keepends=True):
        if line.startswith("description:"):
            line = "description: What this page is about.\n"
        if not keys and line.strip() in ("organisations: []", "topics: []"):
            continue
        line = line.replace("organisations: []", "organisations: [department-of-testing]")
        lines.append(line.replace("topics: []", "topics: [public-health]"))
    assert description not in "".join(lines)
    path.write_text("---\n" + "".join(lines) + "---\n" + body, encoding="utf-8")
