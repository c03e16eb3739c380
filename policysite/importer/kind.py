"""Which generator a source site was kept in, told from its configuration files."""

from __future__ import annotations

from pathlib import Path

HUGO_CONFIGS = tuple(f"{stem}.{ext}" for stem in ("hugo", "config") for ext in ("toml", "yaml", "yml", "json"))
JEKYLL_CONFIGS = ("_config.yml", "_config.yaml", "_config.toml")
NAMES = {"hugo": "Hugo", "jekyll": "Jekyll"}


def kinds_of(src: Path) -> set[str]:
    """{'hugo'} or {'jekyll'} (both when it has both configurations, none when it has neither)."""
    found = set()
    if any((src / name).is_file() for name in HUGO_CONFIGS) or (src / "config" / "_default").is_dir():
        found.add("hugo")
    if any((src / name).is_file() for name in JEKYLL_CONFIGS):
        found.add("jekyll")
    return found


def wrong_kind(kind: str, src: Path, shown: str) -> str | None:
    """Why SRC cannot be imported as `kind`, or None when its configuration says it is one."""
    found = kinds_of(src)
    if kind in found:
        return None
    if found:
        other = found.pop()
        return f"{shown} looks like a {NAMES[other]} site, not a {NAMES[kind]} one: use `import {other}`"
    wanted = (", ".join(HUGO_CONFIGS) + " or config/_default/") if kind == "hugo" else " or ".join(JEKYLL_CONFIGS)
    return (f"{shown} has no {NAMES[kind]} configuration ({wanted}), so it does not look like a {NAMES[kind]} "
            "site: give the folder that holds the old site's configuration")
