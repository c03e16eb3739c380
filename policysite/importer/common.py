"""What both importers share: the source site model, front matter mapping, paths, writing."""

from __future__ import annotations

import html
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import BUILTIN_TYPES, date_value, moment
from ..site import SEGMENT, slugify, valid_url_path
from .frontmatter import SourceText, When, dump, plain, when
from .report import Report

# Addresses the generator keeps for its own pages.
RESERVED_SEGMENTS = {"search": "search-page", "topics": "topics-pages"}
GENERATED_FILES = {"sitemap.xml", "feed.xml", "robots.txt", "404.html", "search-index.json"}


class ImportRefused(Exception):
    """A wrong use of `import` (exit status 2)."""


@dataclass
class NavEntry:
    title: str
    url: str              # as written in the source menu (a site path or a full URL)
    weight: float = 0
    order: int = 0
    page: SourcePage | None = None


@dataclass
class SourceFile:
    path: Path            # absolute, inside SRC
    source: str           # path from SRC
    dest: str             # path from DEST: 'content/img/x.png' or 'assets/x.css'
    url: str              # its address on the old site
    space: str = ""       # the language whose addresses it belongs to


@dataclass
class SourcePage:
    source: str                    # path from SRC, as written
    path: Path
    text: SourceText
    space: str = ""                # language whose URL space the page lives in ('' for one language)
    lang: str = ""
    url: str = ""                  # address on the old site, '/a/b/'
    target: str = ""               # address on the new site
    dest: str = ""                 # path from DEST/content: 'a/b.md' or 'a/_index.md'
    section: bool = False          # an index page of its folder
    home: bool = False
    file_date: When | None = None  # a date from the file name
    derived_title: str = ""        # a title made from the file name
    more_aliases: list[str] = field(default_factory=list)   # old addresses the move itself made
    alias_prefix: str = ""         # put before the page's old addresses: its language folder
    term: str = ""                 # the topic key when the page is a taxonomy term's own page
    document: bool = False         # a Jekyll post or collection document (these have excerpts)
    redirects_here: list[str] = field(default_factory=list)   # new-site addresses of redirect pages to this one
    folded_into: SourcePage | None = None   # the page this one only redirected to (it became an alias there)
    bundle: str | None = None      # Hugo: the leaf bundle folder (in its content folder) the page is the index of
    resources: list[SourceFile] = field(default_factory=list)
    body: str = ""                 # converted body
    fields: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    topics: list[tuple[str, str]] = field(default_factory=list)   # (key, name)
    menus: dict[str, object] = field(default_factory=dict)   # menu name -> entry settings from front matter

    @property
    def front(self) -> dict:
        return self.text.front or {}


@dataclass
class SourceSite:
    kind: str                       # 'hugo' or 'jekyll'
    root: Path
    title: str = ""
    base_url: str = ""
    language: str = ""
    description: str = ""
    base_urls: dict[str, str] = field(default_factory=dict)   # base URL -> language space
    default_space: str = ""
    pages: list[SourcePage] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    nav: list[NavEntry] = field(default_factory=list)
    taxonomies: list[str] = field(default_factory=lambda: ["tags", "categories", "topics"])
    variables: dict[str, object] = field(default_factory=dict)   # site-wide values templates can show
    static_folders: list[str] = field(default_factory=lambda: [""])   # folders in SRC served from the site's root


def lower_keys(front: dict) -> dict:
    """Hugo reads front matter keys without regard to case: 'Title' is 'title'. First spelling wins."""
    out: dict = {}
    for key, value in front.items():
        out.setdefault(key.lower(), (key, value))
    return out


def dest_segment(name: str) -> str:
    """A file or folder name in DEST: lower-case ASCII words joined by '-' (as our addresses are)."""
    return slugify(name) or "page"


def natural_url(dest: str) -> str:
    """The address policysite gives content/DEST."""
    folder, name = posixpath.split(dest)
    stem = name.rsplit(".", 1)[0]
    parts = [slugify(p) for p in folder.split("/") if p]
    if stem != "_index":
        parts.append(slugify(stem))
    return "/" + "".join(p + "/" for p in parts)


def new_address(page: SourcePage) -> str:
    """The address the new site gives the page as written: its `url:`, else its `slug:` in its folder, else its file's."""
    natural = natural_url(page.dest)
    if page.fields.get("url"):
        return str(page.fields["url"])
    if page.fields.get("slug"):
        return posixpath.dirname(natural.rstrip("/")).rstrip("/") + "/" + str(page.fields["slug"]) + "/"
    return natural


def url_to_dest(url: str, section: bool) -> str | None:
    """'/a/b/' -> 'a/b.md' (or 'a/b/_index.md'), or None when a segment cannot be a file name."""
    parts = [p for p in url.strip("/").split("/") if p]
    clean = [slugify(p) for p in parts]
    if not all(clean):
        return None
    if section or not clean:
        return "/".join(clean + ["_index.md"])
    return "/".join(clean[:-1] + [clean[-1] + ".md"])


def normal_url(url: str) -> str:
    """An old address written any way ('/a', '/a/index.html') as the key for lookups: '/a/'."""
    url = url.split("#", 1)[0].split("?", 1)[0]
    if not url.startswith("/"):
        url = "/" + url
    if url.endswith("/index.html") or url.endswith("/index.htm"):
        url = url.rsplit("/", 1)[0] + "/"
    elif url.endswith(".html"):
        url = url[:-5] + "/"
    elif url.endswith(".htm"):
        url = url[:-4] + "/"
    elif not url.endswith("/") and "." not in url.rsplit("/", 1)[-1]:
        url += "/"
    return re.sub(r"/{2,}", "/", url)


def title_from_name(name: str) -> str:
    """'2015-05-29-week-update' -> 'Week update'."""
    name = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", name)
    words = re.sub(r"[-_]+", " ", name).split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else "Untitled"


# Front matter keys each generator gives a meaning our fields take over.
DESCRIPTION_KEYS = ("description", "summary", "excerpt")
DATE_KEYS = ("date", "publishdate", "pubdate", "published")
UPDATED_KEYS = ("lastmod", "last_modified_at", "updated", "modified")


_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")


def as_characters(text: str, report: Report) -> str:
    """A plain-text field on one line, its HTML character references (`it&#8217;s`) written as the characters.

    Hugo and Jekyll templates printed these fields as HTML, so a reader saw the character;
    policysite shows plain-text fields as written."""
    if "&" in text and _CHARACTER_REFERENCE.search(text):
        report.converted["character references written as characters"] += 1
        text = html.unescape(text)
    return " ".join(text.split())


def map_fields(page: SourcePage, site: SourceSite, report: Report, normalise_topic) -> None:
    """The page's front matter to our fields and `extra:`; every field goes one way or the other."""
    front = lower_keys(page.front)
    used: set[str] = set()
    fields: dict = {}
    where = "content/" + page.dest

    def take(key):
        if key in front:
            used.add(key)
            return front[key][1]
        return None

    title = take("title")
    if isinstance(title, (str, int, float)) and not isinstance(title, bool) and str(title).strip():
        fields["title"] = as_characters(str(title), report)
    elif page.home and site.title:
        fields["title"] = site.title
    else:
        if title is not None:
            used.discard("title")
        fields["title"] = page.derived_title or "Untitled"
        report.add("title", where, 2, f"no title in the source: `{fields['title']}` was made from the file name")

    for key in DESCRIPTION_KEYS:
        value = front.get(key, (None, None))[1]
        if isinstance(value, str) and value.strip():
            fields["description"] = as_characters(value, report)
            used.add(key)
            break

    for out, keys in (("date", DATE_KEYS), ("updated", UPDATED_KEYS)):
        for key in keys:
            if key == "published" and isinstance(front.get(key, (None, None))[1], bool):
                continue
            if key in front and out not in fields:
                value = when(front[key][1])
                if value is None:
                    if front[key][1] not in (None, ""):
                        report.add("date", where, 1, f"`{front[key][0]}: {front[key][1]}` is not a date: kept under `extra`")
                    continue
                fields[out] = value
                used.add(key)
        if out == "date" and "date" not in fields and page.file_date:
            fields["date"] = page.file_date
    if "date" in fields and "updated" in fields and _moment(fields["updated"]) < _moment(fields["date"]):
        # Hugo and Jekyll allow it; we do not: keep the source's value where a person can see it. Compared
        # as `check` compares them (times, offsets; a plain date is midnight UTC), not by the day written.
        for key in UPDATED_KEYS:
            if key in used:
                used.discard(key)
                report.add("date-order", where, 1, f"`{front[key][0]}` ({fields['updated']}) is before the date "
                           f"({fields['date']}): kept under `extra`, as a page here cannot be updated before "
                           "it was published")
        del fields["updated"]
    elif "date" in fields and "updated" in fields and fields["updated"] == fields["date"]:
        del fields["updated"]

    draft = take("draft")
    if isinstance(draft, bool):
        if draft:
            fields["draft"] = True
    elif draft is not None:
        used.discard("draft")
    published = front.get("published", (None, None))[1]
    if published is False:
        fields["draft"] = True
        used.add("published")

    weight = take("weight")
    if isinstance(weight, bool) or weight is None:
        used.discard("weight")
    elif isinstance(weight, int):
        fields["weight"] = weight
    elif isinstance(weight, float) and weight.is_integer() or isinstance(weight, str) and re.fullmatch(r"-?\d+", weight.strip()):
        fields["weight"] = int(weight)
    else:
        used.discard("weight")

    type_value = front.get("type", (None, None))[1]
    if isinstance(type_value, str) and type_value.strip().lower() in BUILTIN_TYPES:
        fields["type"] = type_value.strip().lower()
        used.add("type")

    # The address: taken from where the page was; slug, url and permalink were read for it.
    for key in ("slug", "url", "permalink"):
        if key in front:
            used.add(key)
    natural = natural_url(page.dest)
    if page.target != natural:
        slug_url = posixpath.dirname(natural.rstrip("/")).rstrip("/") + "/" + page.target.rstrip("/").rsplit("/", 1)[-1] + "/"
        last = page.target.rstrip("/").rsplit("/", 1)[-1]
        if slug_url == page.target and SEGMENT.match(last or "-") and not page.section and natural != "/":
            fields["slug"] = last
        elif valid_url_path(page.target):
            fields["url"] = page.target
        else:
            report.add("address", where, 1, f"the old address `{page.url}` cannot be an address here: "
                       f"the page is now at `{natural}`")

    aliases = []
    for key in ("aliases", "redirect_from"):
        value = take(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if items is None:
            used.discard(key)
            continue
        for item in items:
            if not isinstance(item, str) or not item.strip():
                continue
            aliases.append((item.strip(), key))
    kept_aliases = []
    own = {page.target, normal_url(page.target)}
    for fixed in page.redirects_here:
        if fixed not in own and fixed not in kept_aliases:
            kept_aliases.append(fixed)
    for alias, key in aliases + [(a, "address") for a in page.more_aliases]:
        fixed = alias_path(alias, page, site)
        if fixed is None:
            if key != "address":   # the page's own old address (/404.html): policysite writes that file itself
                report.add("alias", where, 1, f"`{alias}` (from `{key}`) is not a path on this site: dropped")
            continue
        if fixed in own:
            continue   # the page's own address: nothing to redirect
        if fixed not in kept_aliases:
            kept_aliases.append(fixed)
    if kept_aliases:
        fields["aliases"] = kept_aliases

    topics: list[tuple[str, str]] = []
    for taxonomy in site.taxonomies:
        for key in (taxonomy, taxonomy.rstrip("s") if site.kind == "jekyll" else None):
            if key is None or key not in front:
                continue
            value = front[key][1]
            items = value.split() if isinstance(value, str) and site.kind == "jekyll" else \
                [value] if isinstance(value, (str, int, float)) else value if isinstance(value, list) else None
            if items is None:
                continue
            used.add(key)
            for item in items:
                if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                    continue
                topic_key = normalise_topic(str(item).strip())
                if topic_key and topic_key not in [t[0] for t in topics]:
                    topics.append((topic_key, str(item).strip()))
    if topics:
        fields["topics"] = [t[0] for t in topics]
        page.topics = topics

    for key in ("menu", "menus"):
        value = front.get(key, (None, None))[1]
        if value is not None:
            page.menus.update(menu_entries(value))

    extra = {}
    for lower, (key, value) in front.items():
        if lower not in used:
            extra[key] = plain(value)
            report.extra_fields[key] += 1
    if page.text.problem and page.text.raw_front:
        extra["source_front_matter"] = page.text.raw_front
        report.extra_fields["source_front_matter"] += 1
    if extra:
        fields["extra"] = extra
    page.fields = fields


def _moment(value: When):
    """A date or date-time as `check` orders them."""
    return moment(date_value(str(value)))


def menu_entries(value) -> dict:
    """Hugo `menu:` in any of its forms ('main', ['main', 'footer'], {main: {weight: 2}}) as name -> settings."""
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list):
        return {str(v): {} for v in value if isinstance(v, (str, int))}
    if isinstance(value, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    return {}


def alias_path(alias: str, page: SourcePage, site: SourceSite) -> str | None:
    """An old address as an alias here ('/old/' or '/old.html'), or None if it cannot be one."""
    for base in site.base_urls:
        if alias.startswith(base):
            alias = "/" + alias[len(base):]
            break
    if re.match(r"^[a-z][a-z0-9+.-]*:", alias, re.I) or alias.startswith("//"):
        return None
    if not alias.startswith("/"):
        # Hugo: relative to the page's own folder; Jekyll: from the site's root.
        base = posixpath.dirname(page.url.rstrip("/")) if site.kind == "hugo" else ""
        alias = posixpath.join(base or "/", alias)
    alias = alias.split("#", 1)[0]
    parts = [p for p in alias.split("/") if p]
    if not parts or any(p in (".", "..") or not SEGMENT.match(p) for p in parts) or "?" in alias:
        return None
    if page.alias_prefix:
        parts = [page.alias_prefix] + parts
    if parts[0] in RESERVED_SEGMENTS or (len(parts) == 1 and parts[0] in GENERATED_FILES):
        return None
    last = parts[-1].lower()
    return "/" + "/".join(parts) + ("" if last.endswith((".html", ".htm", ".xml", ".php", ".aspx")) else "/")


META_REFRESH = re.compile(r"""^\s*(?:<!doctype[^>]*>\s*)?(?:<html[^>]*>\s*)?(?:<head[^>]*>\s*)?"""
                          r"""<meta\s+http-equiv\s*=\s*["']?refresh["']?\s+content\s*=\s*["']\s*\d+\s*;\s*url\s*=\s*"""
                          r"""([^"'\s>]+)\s*["']\s*/?>""", re.I)


def redirect_target(page: SourcePage) -> str | None:
    """The address a page only redirects to (jekyll-redirect-from's `redirect_to:`, or nothing but
    `<meta http-equiv="refresh">`), else None."""
    if page.text.has_front:
        value = page.front.get("redirect_to")
        value = value[0] if isinstance(value, list) and value else value
        return value.strip() if isinstance(value, str) and value.strip() and not page.text.body.strip() else None
    match = META_REFRESH.match(page.text.body)
    return match.group(1) if match else None


def fold_redirects(site: SourceSite, find, report: Report) -> None:
    """Pages that only redirect become aliases of the page they lead to (when it is imported)."""
    kept = []
    for page in site.pages:
        url = redirect_target(page)
        target = find(url, page) if url else None
        if target is None or target is page or not isinstance(target, SourcePage):
            kept.append(page)
            continue
        target.redirects_here.append(page.target)
        page.folded_into = target
        report.moves.append((page.source, f"an alias of {target.source}"))
        report.add("note", page.source, 1, f"a page that only redirects to `{url}`: its address `{page.target}` "
                   f"is now an alias of that page")
    site.pages = kept


def settle_destinations(site: SourceSite, report: Report) -> None:
    """Make every page's DEST path unique; a page named like a folder of pages becomes its index."""
    folders = set()
    for page in site.pages:
        parts = page.dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folders.add("/".join(parts[:i]))
    for page in site.pages:
        first, _, rest = page.dest.partition("/")
        if rest and first in RESERVED_SEGMENTS:
            # The generator's own folders: /search/ and /topics/ (reserve() moved the address the same way).
            page.dest = RESERVED_SEGMENTS[first] + "/" + rest
    folders = {RESERVED_SEGMENTS.get(f.split("/")[0], f.split("/")[0]) + f[len(f.split("/")[0]):] for f in folders}
    planned = {p.dest for p in site.pages}
    taken: dict[str, SourcePage] = {}
    for page in sorted(site.pages, key=lambda p: (not p.section, p.source)):
        if not page.section and page.dest[:-3] in folders:
            candidate = page.dest[:-3] + "/_index.md"
            if candidate not in taken and candidate not in planned:
                page.dest, page.section = candidate, True
        dest = page.dest
        number = 2
        while dest.casefold() in taken:
            base = page.dest[:-3] if not page.dest.endswith("/_index.md") else page.dest[:-10]
            dest = f"{base}-{number}.md"
            number += 1
        if dest != page.dest:
            report.add("note", "content/" + dest, 1, f"{page.source} would have been content/{page.dest}, "
                       f"which {taken[page.dest.casefold()].source} already is")
            page.dest, page.section = dest, False
        taken[dest.casefold()] = page
        page.home = page.dest == "_index.md"


def reserve(url: str) -> str:
    """An address moved off the generator's own (/search/, /topics/)."""
    parts = url.strip("/").split("/")
    if parts and parts[0] in RESERVED_SEGMENTS:
        parts[0] = RESERVED_SEGMENTS[parts[0]]
        return "/" + "/".join(parts) + "/"
    return url


def site_config(site: SourceSite, topics: dict[str, dict], nav: list) -> str:
    """site_config.yaml for the imported site."""
    data: dict = {"title": site.title or site.root.name}
    if site.base_url:
        data["base_url"] = site.base_url
    if site.language:
        data["language"] = site.language
    if site.description:
        data["description"] = " ".join(site.description.split())
    if topics:
        data["topics"] = {key: topic for key, topic in sorted(topics.items())}
    if nav:
        data["nav"] = nav
    return dump(data)


def page_text(page: SourcePage) -> str:
    """The page as we write it: front matter, then the body."""
    return "---\n" + dump(page.fields) + "---\n" + page.body


def safe_join(root: Path, rel: str) -> Path:
    """root/rel, refusing anything that would land outside root."""
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ImportRefused(f"refusing to write outside the destination: {rel}")
    return target


def write_text(root: Path, rel: str, text: str) -> None:
    target = safe_join(root, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def copy_file(root: Path, rel: str, source: Path) -> bool:
    target = safe_join(root, rel)
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True
