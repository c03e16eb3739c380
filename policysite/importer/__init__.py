"""`policysite import hugo|jekyll SRC DEST`: an existing site read and written as a policysite site.

The steps, in order: refuse a DEST that is unsafe or not empty; read the source
(`hugo`, `jekyll`); settle each page's path; convert bodies (shortcodes and
Liquid tags, then links); map front matter; write DEST and IMPORT-REPORT.md.
Nothing is written into SRC.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import hugo, jekyll
from .anchors import fix_fragments, id_map
from .attributes import describe as describe_dropped
from .attributes import drop_presentational
from .common import (
    ImportRefused,
    SourceSite,
    copy_file,
    fold_redirects,
    map_fields,
    new_address,
    page_text,
    settle_destinations,
    site_config,
    write_text,
)
from .convert import attribute_lists, remaining_tags
from .headings import demote_headings
from .kind import wrong_kind
from .links import Left, Resolver, rewrite_links
from .report import INVALID, ROOT, Report, code
from .summary import summary_of

REPORT_NAME = "IMPORT-REPORT.md"
# An address ending in a file the old site served as it was (`/img/x.png`), not a page's source.
FILE_NAME = re.compile(r"[^/]\.(?!(?:md|markdown|html?)$)[A-Za-z0-9]{1,5}$", re.I)
READERS = {"hugo": hugo.read, "jekyll": jekyll.read}
TOPIC_KEYS = {"hugo": hugo.topic_key, "jekyll": jekyll.jekyll_slugify}

__all__ = ["run_import", "ImportRefused", "Report", "REPORT_NAME"]


def check_paths(kind: str, src: Path, dest: Path) -> tuple[Path, Path]:
    """SRC and DEST resolved, or ImportRefused saying why they cannot be used."""
    if not src.is_dir():
        raise ImportRefused(f"{src} is not a folder: give the folder of the site to import")
    problem = wrong_kind(kind, src, str(src))
    if problem:
        raise ImportRefused(problem)
    src_real, dest_real = src.resolve(), dest.resolve()
    if dest_real == src_real or dest_real.is_relative_to(src_real):
        raise ImportRefused(f"{dest} is inside {src}: choose a destination outside the source site")
    if src_real.is_relative_to(dest_real):
        raise ImportRefused(f"{src} is inside {dest}: choose a destination outside the source site")
    if dest.exists() and not dest.is_dir():
        raise ImportRefused(f"{dest} is a file: give a new or empty folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise ImportRefused(f"{dest} is not empty: give a new or empty folder, so nothing is overwritten")
    return src_real, dest_real


def run_import(kind: str, src: Path, dest: Path) -> Report:
    """Import the site at SRC into DEST; returns what was done and what is left."""
    src_real, dest_real = check_paths(kind, src, dest)
    report = Report()
    site, reader = READERS[kind](src_real, report)
    report.source_pages = len(site.pages)
    finder = Resolver.build(site)
    fold_redirects(site, lambda url, page: _find(finder, url, page), report)
    report.redirects = report.source_pages - len(site.pages)
    settle_destinations(site, report)
    resolver = Resolver.build(site)
    topics: dict[str, dict] = {}
    counts = {"rewritten": 0, "left": 0}
    pending: dict[int, list] = {}
    for page in site.pages:
        body, notes = reader.convert(page, resolver, report)
        body, left = rewrite_links(body, page, resolver, counts)
        body, dropped = drop_presentational(body)
        body, top_level, top_line = demote_headings(body)
        page.body = body
        # Lines now: later passes change no line breaks.
        items = [(item, body.count("\n", 0, item.offset), None) for item in left]
        items += [(item, body.count("\n", 0, item.offset), name) for item, name in remaining_tags(body, notes)]
        items += [(item, body.count("\n", 0, item.offset), None) for item in attribute_lists(body)]
        if top_level:
            report.converted["headings moved down a level"] += 1
            items.append((Left("heading", 0, f"{top_level} top-level heading{'s' if top_level > 1 else ''} in the body: "
                               "every heading moved down a level, as the page title is the page's only top-level heading"),
                          top_line, None))
        if dropped is not None:
            for key, n in dropped.counts.items():
                report.converted[f"`{key}` attributes removed"] += n
            items.append((Left("presentational", dropped.offset, describe_dropped(dropped)),
                          body.count("\n", 0, dropped.offset), None))
        pending[id(page)] = items
    ids = {"content/" + page.dest: id_map(page.body) for page in site.pages}
    for page in site.pages:
        page.body, fixed = fix_fragments(page.body, "content/" + page.dest, ids)
        report.converted["#fragment respelled"] += fixed
    if not report.converted["#fragment respelled"]:
        del report.converted["#fragment respelled"]
    for page in site.pages:
        where = "content/" + page.dest
        body = page.body
        if page.text.problem:
            report.add("front-matter", where, 1, f"{page.source}: the front matter could not be read "
                       f"({page.text.problem}): it is kept under `extra.source_front_matter`")
        map_fields(page, site, report, TOPIC_KEYS[kind])
        if "description" not in page.fields and not page.section and not page.home:
            divider = reader.divider(page)
            made = summary_of(body, divider)
            if made:
                page.fields = _insert_after(page.fields, "title", "description", made)
                report.add("description-made", where, 2, _made_how(reader, divider, body))
            else:
                report.add("description", where, 1, "no description, summary or excerpt: write one sentence "
                           "saying what the page is for")
        for key, name in page.topics:
            topics.setdefault(key, {"name": name})
        if page.term:
            # The term's own page names the topic and says what it is about.
            topic = topics.setdefault(page.term, {})
            topic["name"] = page.fields["title"]
            if page.fields.get("description"):
                topic["description"] = page.fields["description"]
        offset = page_text(page).count("\n") - body.count("\n")
        for item, line, name in pending[id(page)]:
            if name is not None:
                report.left[name] += 1
            report.add(item.kind, where, offset + line + 1, item.message, item.group, item.subject)
    report.links_rewritten += counts["rewritten"]
    report.links_left += counts["left"]
    report.link_notes = link_notes(site, [item for item in report.items if item.kind == "link"])
    for item in report.items:
        if item.kind == "image" and item.line == 0:
            item.line = 1

    nav = build_nav(site, resolver, report)
    if not site.base_url:
        said = ("could not be read, so it gives" if report.unread_config else "gives")
        report.add("setting", "site_config.yaml", 1, f"the old site's configuration {said} no address it is published "
                   "at: add `base_url:` (such as https://www.example.gov.uk/)")
    dest_real.mkdir(parents=True, exist_ok=True)
    write_text(dest_real, "site_config.yaml", site_config(site, topics, nav))
    for page in site.pages:
        write_text(dest_real, "content/" + page.dest, page_text(page))
        report.output_pages += 1
        moved = where_it_went(page)
        if moved:
            report.moves.append((page.source, moved))
        for resource in page.resources:
            report.files_copied += _copy(dest_real, resource, report)
    for f in site.files:
        report.files_copied += _copy(dest_real, f, report)
    report.take_check(check_quietly(dest_real))
    write_text(dest_real, REPORT_NAME, report.markdown())
    return report


def check_quietly(dest: Path) -> list:
    """What `policysite check DEST` says, run here without printing anything."""
    from ..builder import build
    from ..stages import BuildOptions
    return build(BuildOptions(site_dir=dest, write=False)).diagnostics.sorted()


def where_it_went(page) -> str:
    """'content/a.md (address /old/ → /a/)' for a page whose file or address changed; '' when both stayed."""
    became = "content/" + page.dest
    old, new = page.url, new_address(page)
    if page.source in (became, page.dest) and old == new:
        return ""
    return became + (f" (address {old} → {new})" if old != new else "")


def link_notes(site: SourceSite, links: list) -> dict[str, str]:
    """For each first folder of the links left, what to do when the old site's files were not there."""
    notes = {}
    # Only a folder of files gets a note: a link to a page address that is not there is a plain broken link.
    groups = {item.group for item in links if item.subject.startswith(("/", "http:", "https:"))
              and FILE_NAME.search(item.subject.split("#", 1)[0].split("?", 1)[0])}
    groups |= {item.group for item in links if item.group == INVALID}
    of_pages = {page.dest.split("/", 1)[0] for page in site.pages if "/" in page.dest}
    for group in groups - {INVALID, ROOT} - of_pages:
        places = [f"{folder}/{group}/" if folder else f"{group}/" for folder in site.static_folders]
        if not any((site.root / place).is_dir() for place in places):
            notes[group] = (f"the old site's {' or '.join(places)} was not found: copy those files into "
                            f"content/{group}/ and these links will work")
    if INVALID in groups:
        notes[INVALID] = "each holds a mark no web address has, such as a stray backtick: correct the link"
    return notes


def _find(resolver: Resolver, url: str, page):
    own = resolver.own_path(url) if url.startswith(("http:", "https:")) else None
    if own is not None:
        return resolver.find(own[1], own[0])
    if url.startswith("/"):
        return resolver.find(url, page.space)
    return None


def _copy(dest: Path, f, report: Report) -> int:
    name = f.dest.rsplit("/", 1)[-1]
    if f.dest.startswith("content/") and f.dest.count("/") == 1 and name in ("sitemap.xml", "feed.xml", "robots.txt",
                                                                          "404.html", "search-index.json"):
        report.add("file", f.source, 1, f"`/{name}` is a file policysite writes itself: not copied")
        return 0
    if f.dest.startswith("content/") and name.lower() in ("index.html", "index.htm"):
        report.add("file", f.source, 1, "an HTML file without front matter where a page's address would be: not copied")
        return 0
    try:
        if not copy_file(dest, f.dest, f.path):
            report.add("file", f.source, 1, f"{f.dest} was already written from another file: not copied")
            return 0
    except OSError as exc:
        report.add("file", f.source, 1, f"could not be copied: {exc.strerror}")
        return 0
    return 1


def _made_how(reader, divider: str | None, body: str) -> str:
    """What the made description is, for IMPORT-REPORT.md."""
    if divider and divider in body:
        return f"made from the text before {code(divider)}, the summary the old site showed: check it reads as one"
    shown = "Hugo shows the opening of a page" if isinstance(reader, hugo.HugoReader) else "Jekyll shows the first paragraph"
    return f"made from the page's first paragraph ({shown} as its summary): check it says what the page is for"


def _insert_after(fields: dict, after: str, key: str, value) -> dict:
    out = {}
    for k, v in fields.items():
        out[k] = v
        if k == after:
            out[key] = value
    out.setdefault(key, value)
    return out


def build_nav(site: SourceSite, resolver: Resolver, report: Report) -> list:
    """`nav:`: the main menu in its order, each item a page path or {title, url}."""
    nav = []
    seen = set()
    for entry in sorted(site.nav, key=lambda e: (e.weight, e.order)):
        page = entry.page
        url = entry.url.strip()
        if page is None and url:
            own = resolver.own_path(url) if url.startswith(("http:", "https:")) else None
            path = own[1] if own else url
            if path.startswith("/"):
                page = resolver.find(path, site.default_space)
            elif not url.startswith(("http:", "https:", "mailto:")):
                page = resolver.by_source.get(url.lstrip("./")) or resolver.find("/" + url, site.default_space)
        if page is not None and not hasattr(page, "dest"):
            page = None
        if page is not None and hasattr(page, "fields"):
            title = entry.title.strip() or page.fields.get("title", "")
            key = page.dest
            if key in seen:
                continue
            seen.add(key)
            if title == page.fields.get("title"):
                nav.append(page.dest)
            else:
                nav.append({"title": title, "url": new_address(page)})
        elif url.startswith("https:"):
            nav.append({"title": entry.title or url, "url": url})
        elif url.startswith(("http:", "mailto:")):
            report.add("nav", "site_config.yaml", 1, f"the menu item `{entry.title}` leads to `{url}`: `nav:` "
                       "takes site addresses and https addresses only, so it was left out")
        else:
            report.add("nav", "site_config.yaml", 1, f"the menu item `{entry.title}` leads to `{url}`, "
                       "where there is no page: left out of `nav:`")
    return nav
