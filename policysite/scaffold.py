"""`new PATH --type TYPE`: a page with the front matter its type needs.

A site may keep its own starting points in `archetypes/TYPE.md`; otherwise
the theme's are used. An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from .site import folder_title

THEME_ARCHETYPES = Path(__file__).parent / "theme" / "archetypes"

DEFAULT = """---
title: {title}
description: One sentence that says what this page is about.
type: {type}
date: {date}
{extra}---

Write the page here. Use `##` for headings and link to other pages by their
`.md` files, such as [another page](../other-page.md).
"""

EXTRA = {
    "policy": "organisations: []\ntopics: []\n",
    "guidance": "organisations: []\ntopics: []\n",
    "publication": "organisations: []\ntopics: []\n",
    "news": "organisations: []\n",
    "speech": "organisations: []\n",
    "consultation": "organisations: []\ntopics: []\n",
    "organisation": "",
    "page": "",
}


def new_page(site_dir: Path, path: str, page_type: str) -> int:
    target = Path(path)
    if not target.is_absolute():
        target = site_dir / target if not str(path).startswith(str(site_dir)) else target
    if target.suffix.lower() not in (".md", ".markdown"):
        target = target.with_suffix(".md")
    content = (site_dir / "content").resolve()
    try:
        inside = target.resolve().is_relative_to(content)
    except OSError:
        inside = False
    if not inside:
        click.echo(f"error: {path} is not inside {site_dir / 'content'}: new pages go under content/, such as content/policy/new-page.md", err=True)
        return 2
    if target.exists():
        click.echo(f"error: {target} already exists: choose another name (nothing was changed)", err=True)
        return 1
    title = folder_title(target.stem)
    date = dt.date.today().isoformat()
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        date = dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.timezone.utc).date().isoformat()
    template = None
    for folder in (site_dir / "archetypes", THEME_ARCHETYPES):
        candidate = folder / f"{page_type}.md"
        if candidate.is_file():
            template = candidate.read_text(encoding="utf-8")
            break
    if template is None:
        template = DEFAULT
    text = template.replace("{title}", title).replace("{type}", page_type).replace("{date}", date).replace("{extra}", EXTRA.get(page_type, ""))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"Wrote {target}")
    return 0
