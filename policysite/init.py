"""`init DIR --title TITLE`: a new site repository that checks, builds and publishes at once.

The files come from `policysite/starter/`, which ships in the package. Names
that start with a dot there would be left out of the wheel, so they are
stored without it and renamed here (STARTER_FILES). In them,

    @TITLE@          the title as a YAML value (quoted when it needs to be)
    @TITLE_TEXT@     the title as Markdown text
    @BASE_URL@       --base-url
    @DATE@           today (or the day SOURCE_DATE_EPOCH gives)
    @ORG_KEY@        the key of the site's own organisation, from the title
    @ORGANISATIONS@  that organisation's entry in site_config.yaml
    @VERSION@        this policysite's version

are filled in. A folder that already holds anything is refused, so nothing
of an editor's is ever overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__

STARTER = Path(__file__).parent / "starter"

# (file in policysite/starter/, where it goes in the new site)
STARTER_FILES = [
    ("site_config.yaml", "site_config.yaml"),
    ("content/_index.md", "content/_index.md"),
    ("content/accessibility.md", "content/accessibility.md"),
    ("gitignore", ".gitignore"),
    ("github/workflows/publish.yml", ".github/workflows/publish.yml"),
    ("README.md", "README.md"),
]
TOKEN = re.compile(r"@[A-Z_]+@")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!])")


@dataclass(frozen=True)
class Starter:
    """What the new site's files are filled in with."""

    title: str
    base_url: str
    date: str
    requirement: str

    @property
    def org_key(self) -> str:
        from .site import slugify
        return slugify(self.title) or "our-organisation"

    def values(self) -> dict[str, str]:
        return {
            "@TITLE@": yaml_text(self.title),
            "@TITLE_TEXT@": MARKDOWN_SPECIAL.sub(r"\\\1", self.title),
            "@BASE_URL@": self.base_url,
            "@DATE@": self.date,
            "@ORG_KEY@": self.org_key,
            "@ORGANISATIONS@": f"  {self.org_key}:\n    name: {yaml_text(self.title)}",
            "@VERSION@": __version__,
        }

    def fill(self, text: str) -> str:
        """`text` with every token replaced, in one pass: a title that holds `@DATE@` stays as written."""
        values = self.values()
        return TOKEN.sub(lambda m: values.get(m.group(), m.group()), text)


def yaml_text(value: str) -> str:
    """`value` as a YAML scalar: plain when YAML reads it back as the same text, else double-quoted."""
    import json

    import yaml

    try:
        plain = yaml.safe_load(value) == value and ": " not in value and not value.endswith(":")
    except yaml.YAMLError:
        plain = False
    return value if plain and not value.startswith(("#", "'", '"')) else json.dumps(value, ensure_ascii=False)


def default_requirement() -> str:
    return f"policysite=={__version__}"


def requirements_text(requirement: str) -> str:
    return (
        "# The policysite release this website is built with. Change it in a pull\n"
        "# request to upgrade: the check then shows what the new release finds.\n"
        f"{requirement}\n"
    )


def init_site(folder: Path, title: str, base_url: str = "http://localhost:8000/",
              requirement: str | None = None) -> int:
    """Write the new site; the exit status (0 written, 1 could not write, 2 unusable DIR or option)."""
    from .config import normalise_base_url
    from .scaffold import today

    title = title.strip()
    if not title or any(ch in title for ch in "\r\n"):
        click.echo("error: --title must be the site's name on one line, such as \"Department for Transport\"", err=True)
        return 2
    normal_url = normalise_base_url(base_url)
    if normal_url is None:
        click.echo("error: --base-url must be an absolute http or https address such as https://www.example.gov.uk/", err=True)
        return 2
    requirement = (requirement or default_requirement()).strip()
    if not requirement or "\n" in requirement:
        click.echo("error: --requirement must be one line of requirements.txt, such as policysite==0.2.0", err=True)
        return 2
    if folder.exists() and not folder.is_dir():
        click.echo(f"error: {folder} is a file: give a new or empty folder", err=True)
        return 2
    if folder.is_dir() and any(folder.iterdir()):
        click.echo(f"error: {folder} is not empty: give a new or empty folder (nothing was changed)", err=True)
        return 2

    starter = Starter(title=title, base_url=normal_url, date=today().isoformat(), requirement=requirement)
    files = {target: starter.fill((STARTER / source).read_text(encoding="utf-8")) for source, target in STARTER_FILES}
    files["requirements.txt"] = requirements_text(requirement)
    try:
        for target, text in files.items():
            path = folder / target
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    except OSError as exc:
        click.echo(f"error: cannot write {folder}: {exc.strerror or exc}", err=True)
        return 1
    click.echo(f"Wrote a new site to {folder}: {', '.join(sorted(files))}")
    click.echo(f"Next: policysite serve {folder}   (then open http://127.0.0.1:8000/)")
    return 0
