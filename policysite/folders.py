"""Whether a folder or file of the site lies inside the site's own folder, wherever links lead.

content/, layouts/, assets/, archetypes/ and the build cache are each checked
entry by entry for links that leave them; this is the check of the folder
itself: a site whose content/ is a link to somewhere else on the machine
would otherwise publish (or, for the cache, overwrite) files from there."""

from __future__ import annotations

from pathlib import Path


def outside_site(site_dir: Path, path: Path) -> bool:
    """True when `path`, followed through any links, is not inside `site_dir` (or cannot be followed)."""
    try:
        return not path.resolve().is_relative_to(site_dir.resolve())
    except (OSError, RuntimeError):   # a loop of links, or a folder that cannot be read
        return True


LINKED_AWAY = ("this folder is a link to a place outside the site's folder, so nothing in it is used: "
               "move the folder itself into the site instead of linking to it")


def linked_cache(folder: Path, site_dir: Path) -> str | None:
    """Why the build cache's folder cannot be used, or None. A link is never followed: the build
    writes, replaces and deletes files in that folder, which must be the site's own."""
    if folder.is_symlink() or (folder.exists() and outside_site(site_dir, folder)):
        return (f"{folder} is a link, and the build writes and deletes files in its cache folder: remove the "
                "link (the build makes the folder itself), or build with --no-cache")
    return None
