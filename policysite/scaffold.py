"""`new PATH --type TYPE`: a page with the front matter its type needs.

TYPE is a built-in page type or one of the site's own (`types:` in
site_config.yaml); schema.py declares both. The page starts from an archetype:
the site's own `archetypes/TYPE.md` if it has one, else the theme's
`policysite/theme/archetypes/TYPE.md`, else one made from the type's declared
fields (`generated_archetype`). In it,

    {title}        the title, from the file name ('how-to-apply' -> 'How to apply')
    {description}  the type's placeholder description (schema.PageType.description):
                   `check` reports it until the editor replaces it
    {date}         today (or the day SOURCE_DATE_EPOCH gives)
    {type}         TYPE
    {government}   site_config's current_government

are filled in. Without a current government, the lines `government:` and
`political:` are left out, so that the page still passes `check --strict`.
An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import click

from . import schema
from .config import CONFIG_NAME, SiteConfig, load_config
from .diagnostics import Diagnostics
from .folders import outside_site
from .site import folder_title, windows_name_problem

THEME_ARCHETYPES = Path(__file__).parent / "theme" / "archetypes"
PLACEHOLDER = re.compile(r"\{(title|description|date|type|government)\}")
PLAIN_TITLE = re.compile(r"^[^\W_][\w .()-]*$")
# What a generated archetype gives a field it requires, by kind (text fields use their placeholder).
SAMPLE = {schema.DATE: "{date}", schema.BOOL: "false", schema.INT: "0", schema.LIST: "[]", schema.KEYS: "[]"}


def archetype(site_dir: Path, page_type: schema.PageType) -> tuple[str, str]:
    """(text, where it came from) of the archetype for `page_type`."""
    folders = (site_dir / "archetypes", THEME_ARCHETYPES) if page_type.builtin else (site_dir / "archetypes",)
    for folder in folders:
        candidate = folder / f"{page_type.key}.md"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8"), str(candidate)
    return generated_archetype(page_type), "made from the declared fields"


def generated_archetype(page_type: schema.PageType) -> str:
    """An archetype from a type's declared fields: required ones filled in, optional ones as comments."""
    own = {f.name: f for f in page_type.fields}
    lines = ["---"]
    for name in page_type.archetype_fields:
        spec = own.get(name) or schema.FIELD_BY_NAME[name]
        if name in ("title", "description", "type", "government"):
            value = "{" + name + "}"
        elif spec.kind == schema.TEXT:
            value = spec.placeholder or ""
        else:
            value = SAMPLE.get(spec.kind, "")
        if name not in own:
            lines.append(f"{name}: {value}")
        elif spec.required_for(page_type.key):
            lines += [f"# {spec.doc}", f"{name}: {value}"]
        else:
            lines.append(f"# {name}:   (optional) {spec.doc}")
    lines += ["---", "", schema.PLACEHOLDER_BODY, ""]
    return "\n".join(lines)


def yaml_text(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back the same, else double-quoted."""
    return value if PLAIN_TITLE.match(value) else json.dumps(value, ensure_ascii=False)


def fill(template: str, values: dict[str, str | None]) -> str:
    lines = []
    drop_political = values.get("government") is None
    for line in template.splitlines(keepends=True):
        names = PLACEHOLDER.findall(line)
        if any(values.get(name) is None for name in names):
            continue          # a setting the site does not have: leave the line out
        if drop_political and line.startswith("political:"):
            continue
        lines.append(PLACEHOLDER.sub(lambda m: values[m.group(1)], line))
    return "".join(lines)


def today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def current_government(config: SiteConfig) -> str | None:
    key = config.current_government
    return key if key and key in config.governments else None


def new_page(site_dir: Path, path: str, type_key: str) -> int:
    """Write the new page; the exit status (0 written, 1 exists, 2 unusable PATH or TYPE)."""
    if not (site_dir / CONFIG_NAME).is_file():
        click.echo(f"error: {site_dir} has no {CONFIG_NAME}: run `new` in the site's folder or give the folder first: new SITE PATH", err=True)
        return 2
    config = load_config(site_dir, Diagnostics())
    types = schema.page_types(config.types)
    if type_key not in types:
        click.echo(f"error: there is no page type `{type_key}`: use one of {', '.join(types)} "
                   f"(a site declares its own under `types:` in {CONFIG_NAME})", err=True)
        return 2
    page_type = types[type_key]
    target = Path(path)
    if not target.is_absolute():
        target = site_dir / target if not str(path).startswith(str(site_dir)) else target
    if target.suffix.lower() not in (".md", ".markdown"):
        target = target.with_name(target.name + ".md")
    content = (site_dir / "content").resolve()
    try:
        inside = target.resolve().is_relative_to(content) and target.resolve() != content
    except OSError:
        inside = False
    if not inside:
        click.echo(f"error: {path} is not inside {site_dir / 'content'}: new pages go under content/, such as content/policy/new-page.md", err=True)
        return 2
    for part in target.resolve().relative_to(content).parts:
        why = windows_name_problem(part)
        if why:   # `check` would warn about it: better not made at all
            click.echo(f"error: {path} cannot be checked out on Windows ({why}): choose a name with letters, digits "
                       "and hyphens (nothing was changed)", err=True)
            return 2
    if target.exists():
        click.echo(f"error: {target} already exists: choose another name (nothing was changed)", err=True)
        return 1
    stem = target.stem
    name = target.parent.name if stem == "_index" else stem
    values = {
        "title": yaml_text(folder_title(name)),
        "description": yaml_text(page_type.placeholder_description),
        "date": today().isoformat(),
        "type": type_key,
        "government": current_government(config),
    }
    own = site_dir / "archetypes" / f"{page_type.key}.md"
    if own.is_file() and outside_site(site_dir, own):
        click.echo(f"error: {own} is a link to a place outside the site's folder: copy the file in instead "
                   "(nothing was changed)", err=True)
        return 2
    template, _ = archetype(site_dir, page_type)
    text = fill(template, values)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        click.echo(f"error: {target} already exists: choose another name (nothing was changed)", err=True)
        return 1
    except OSError as exc:
        click.echo(f"error: cannot write {target}: {exc.strerror or exc}", err=True)
        return 1
    click.echo(f"Wrote {target}")
    return 0
