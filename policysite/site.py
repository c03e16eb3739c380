"""Pages to a site: URLs, the section tree, listings, topics and aliases.

Everything here works on plain Page objects from `load` and reports problems
that need the whole site to see: two sources claiming one URL, a `url:` that
leaves the site, an alias that collides with a page.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import clock, translations
from .activefiles import READ_AT_MOST, active_part, is_markup
from .config import SiteConfig
from .consultation import LABEL_KEYS, state_at
from .diagnostics import Diagnostics
from .folders import LINKED_AWAY, outside_site
from .heap import collector_paused
from .load import UNREAD, file_stem, is_markdown, load_page, scan_content
from .model import Page, StaticFile
from .schema import moment
from .status import status_of
from .strings import strings_for

SEGMENT = re.compile(r"^[\w.~-]+$")
RESERVED = {"/topics/": "the generated topics index", "/search/": "the generated search page",
            "/people/": "the generated people index"}
GENERATED_FILES = {"/sitemap.xml", "/feed.xml", "/robots.txt", "/404.html", "/search-index.json"}


def newest_first(pages) -> list[Page]:
    """Listings of topics and organisations: newest first, undated last, then by title."""
    def key(page: Page):
        when = moment(page.date)
        return (when is None, -when.timestamp() if when else 0, page.title.casefold(), page.url)
    return sorted(pages, key=key)


_PLAIN_SEGMENT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slugify(name: str) -> str:
    """A URL segment from a file or folder name: lower-case ASCII words joined by '-'."""
    if _PLAIN_SEGMENT.fullmatch(name):
        return name   # already one: most names are (asked for every page)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def folder_title(name: str) -> str:
    """'health-inequalities' -> 'Health inequalities' for sections without _index.md."""
    words = name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


def valid_url_path(url: str) -> bool:
    """A site path that starts and ends with '/', with no empty, '.' or '..' segments."""
    if not (url.startswith("/") and url.endswith("/")):
        return False
    if url == "/":
        return True
    return all(seg not in (".", "..") and SEGMENT.match(seg) for seg in url.strip("/").split("/"))


@dataclass
class Alias:
    path: str          # output path of the redirect file
    url: str           # the old URL as written (normalised)
    target: Page
    line: int


@dataclass
class Site:
    config: SiteConfig
    site_dir: Path
    pages: list[Page] = field(default_factory=list)          # published, in URL order
    by_source: dict[str, Page] = field(default_factory=dict)  # 'content/x.md' or folder -> page
    by_url: dict[str, Page] = field(default_factory=dict)
    files: dict[str, StaticFile] = field(default_factory=dict)  # source path -> file
    files_by_url: dict[str, StaticFile] = field(default_factory=dict)
    assets: dict[str, StaticFile] = field(default_factory=dict)  # url -> asset
    drafts: dict[str, Page] = field(default_factory=dict)
    scheduled: dict[str, Page] = field(default_factory=dict)   # dated after the build time: left out
    now: dt.datetime | None = None                             # the build time (clock.py)
    unreadable: set[str] = field(default_factory=set)   # Markdown sources whose errors kept them out
    clashed: set[str] = field(default_factory=set)      # pages kept out because another claims their address
    unread_bodies: list[Page] = field(default_factory=list)   # of those, the pages whose front matter alone was unreadable
    home: Page | None = None
    topic_pages: dict[str, Page] = field(default_factory=dict)
    organisation_pages: dict[str, Page] = field(default_factory=dict)
    person_pages: dict[str, Page] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)
    _tag_index: dict[str, dict[str, list[Page]]] = field(default_factory=dict, repr=False)   # field -> key -> pages
    # Page -> what it lists, where that is a list made for it (Site.listing), and how many pages
    # that listing takes (listing_page_count): asked again for each page of a long
    # listing, they would cost the square of its length (an organisation tagged on a tenth of
    # 100,000 pages has 500 of them).
    _listings: dict[Page, list[Page]] = field(default_factory=dict, repr=False)
    listing_counts: dict[Page, int] = field(default_factory=dict, repr=False)
    # Made once per build for the layouts: (page, language of a listing) -> the page's listing item
    # (templates.listing_item), and (page, None) -> the items of what the page lists (templates.listing_items).
    listing_items: dict[tuple[Page, str | None], dict[str, object] | list[dict[str, object]]] = field(default_factory=dict, repr=False)

    def listing(self, page: Page) -> list[Page]:
        """What a page lists: a section its children, a topic or organisation what it tags.

        The list is the site's own, kept for the build (or the section's children): not to be changed."""
        if page.kind in ("home", "section") and not page.lang:
            return page.children
        found = self._listings.get(page)
        if found is None:
            found = self._listings[page] = self._listing(page)
        return found

    def _listing(self, page: Page) -> list[Page]:
        if page.kind in ("home", "section"):
            # A translated section lists its English one's pages, each in its language where there is one.
            return [translations.version(child, page.lang) for child in translations.original(page).children]
        if page.kind == "topic":
            return self._tagged("topics").get(page.key, [])
        if page.kind == "topics":
            return [self.topic_pages[k] for k in sorted(self.topic_pages)]
        if page.kind == "person":
            return self.speeches().get(page.key, [])
        if page.kind == "people":
            return [self.person_pages[k] for k in sorted(self.person_pages)]
        if page.type == "organisation" and page.key:
            return [p for p in self._tagged("organisations").get(page.key, []) if p is not page]
        return []

    def _tagged(self, field_name: str) -> dict[str, list[Page]]:
        """Key -> pages tagged with it, newest first: one pass over the site, the first time it is asked.

        Asked only once the site is complete (by layouts, feeds and the sitemap)."""
        index = self._tag_index.get(field_name)
        if index is None:
            grouped: dict[str, list[Page]] = {}
            for p in self.content_pages():
                if p.lang:
                    continue   # topic and organisation listings list pages in the site's own language
                for key in dict.fromkeys(p.fields.get(field_name, ())):   # a key given twice counts once
                    grouped.setdefault(key, []).append(p)
            index = self._tag_index[field_name] = {key: newest_first(pages) for key, pages in grouped.items()}
        return index

    def speeches(self) -> dict[str, list[Page]]:
        """Person key -> their speeches, newest first (by `delivered_on`, else `date`)."""
        index = self._tag_index.get("speaker")
        if index is None:
            grouped: dict[str, list[Page]] = {}
            for p in self.content_pages():
                if p.type == "speech" and p.fields.get("speaker"):
                    grouped.setdefault(p.fields["speaker"], []).append(p)

            def key(p: Page):
                when = moment(p.fields.get("delivered_on") or p.date)
                return (when is None, -when.timestamp() if when else 0, p.title.casefold(), p.url)
            index = self._tag_index["speaker"] = {k: sorted(v, key=key) for k, v in grouped.items()}
        return index

    def content_pages(self) -> list[Page]:
        """Pages written by editors (Markdown sources), in URL order."""
        return [p for p in self.pages if p.source is not None and p.kind == "page"]


def build_site(site_dir: Path, config: SiteConfig, diagnostics: Diagnostics, drafts: bool = False,
               skip: list[Path] = (), load=load_page, now: dt.datetime | None = None, future: bool = False,
               listing: list[str] | None = None) -> Site:
    """Load content/ and arrange it into a Site; problems go to `diagnostics`.

    `now` is the build time (clock.py; the current time when not given): pages dated
    after it are left out unless `future`, and consultations take their state from it.
    `listing`: every file under content/, from a walk that met no link (load.scan_content)."""
    with collector_paused():
        return _build_site(site_dir, config, diagnostics, drafts, skip, load,
                           now or clock.build_time({}), future, listing)


def _build_site(site_dir: Path, config: SiteConfig, diagnostics: Diagnostics, drafts: bool,
                skip: list[Path], load, now: dt.datetime, future: bool, listing: list[str] | None = None) -> Site:
    site = Site(config=config, site_dir=site_dir, now=now)
    strings = strings_for(config.language, config.strings)
    entries = scan_content(site_dir, diagnostics, skip=skip, listing=listing)
    prefetch = getattr(load, "prefetch", None)   # a loader that can load many files at once, in parallel
    if prefetch is not None:
        prefetch([(where, path) for where, path in entries if is_markdown(where)])

    folders: set[str] = {"content"} if (site_dir / "content").is_dir() else set()
    loaded: list[Page] = []
    check_names([where for where, _ in entries], diagnostics)
    for where, path in entries:
        if is_markdown(where):
            # Folders holding pages are sections; folders holding only files are not.
            parent = posixpath.dirname(where)
            while parent and parent != "content" and parent not in folders:
                folders.add(parent)
                parent = posixpath.dirname(parent)
            page = load(where, path, config, diagnostics)
            if page is None or page.kind == UNREAD:
                site.unreadable.add(where)
                if page is not None:
                    site.unread_bodies.append(page)
                continue
            if page.type in config.types:
                page.site_type_label = config.types[page.type].label
            if page.draft and not drafts:
                site.drafts[where] = page
                continue
            if not future and page.date is not None and moment(page.date) > now:
                site.scheduled[where] = page
                continue
            if page.type == "consultation" and "closes" in page.fields:
                page.consultation = state_at(page.fields.get("opens"), page.fields["closes"], "outcome" in page.fields, now)
            page.status = status_of(page, config)
            if page.status.consultation is not None:
                page.state_label = strings[LABEL_KEYS[page.status.consultation]]
            loaded.append(page)
        else:
            if is_markup(where) and not _runs_nothing(where, path, diagnostics):
                continue
            site.files[where] = StaticFile(source=where, abs_path=path, url="", size=os.stat(path).st_size)

    # Translations (x.cy.md) wait until their English pages have their addresses.
    pending = translations.take_translations(loaded, config, diagnostics)

    # One section per folder, from its _index.md or generated.
    sections: dict[str, Page] = {}
    for page in loaded:
        if file_stem(page.source) == "_index":
            folder = posixpath.dirname(page.source)
            page.folder = folder
            page.kind = "home" if folder == "content" else "section"
            if folder in sections:
                diagnostics.error(page.source, 1, f"`{folder}/` has two index pages, {sections[folder].source} and "
                                                  f"{page.source}: keep one", code="address-collision")
                continue
            sections[folder] = page
    for folder in sorted(folders):
        if folder not in sections:
            name = PurePosixPath(folder).name
            title = config.title if folder == "content" else folder_title(name)
            # No filler: a section with nothing to say about itself has no description (the meta
            # description falls back to the site's, see templates.page_context).
            sections[folder] = Page(kind="home" if folder == "content" else "section", folder=folder, title=title,
                                    description=config.description if folder == "content" else "")
    site.home = sections.get("content")

    # URLs from the folder path, then slug/url from front matter. Each folder's URL is
    # worked out once (every page and file in it asks); a problem is reported each time, as before.
    folder_urls: dict[str, tuple[str | None, str | None]] = {}

    def folder_url(folder: str, page: Page | None) -> str | None:
        known = folder_urls.get(folder)
        if known is None:
            known = folder_urls[folder] = _folder_url(folder)
        url, problem = known
        if problem is not None:
            diagnostics.error(folder, 1, problem, code="invalid-address")
        return url

    for folder, section in sections.items():
        base = folder_url(folder, section)
        if base is None:
            continue
        section.url = override_url(section, base, diagnostics) if section.source else base

    for page in loaded:
        if page.kind != "page":
            continue
        folder = posixpath.dirname(page.source)
        base = folder_url(folder, None)
        if base is None:
            continue
        stem = file_stem(page.source)
        seg = slugify(stem)
        if not seg and "slug" not in page.fields and "url" not in page.fields:
            diagnostics.error(page.source, 1, f"cannot make a web address from the file name `{stem}`: rename the file using letters a-z, digits and hyphens, or add `slug:`", code="invalid-address")
            continue
        page.url = override_url(page, base + (seg or "page") + "/", diagnostics)
        page.parent = sections.get(folder)
        _check_index_name(page, stem, sections.get(folder), diagnostics)

    for folder, section in sections.items():
        if folder != "content":
            section.parent = sections.get(posixpath.dirname(folder))

    # Files under content/ keep their names, inside their folder's web address.
    for where, static in site.files.items():
        folder = posixpath.dirname(where)
        base = folder_url(folder, None) or "/"
        static.url = base + PurePosixPath(where).name
        site.files_by_url[static.url] = static

    all_pages = [p for p in list(sections.values()) + [p for p in loaded if p.kind == "page"] if p.url]
    placed = translations.attach(pending, sections, {p.source: p for p in loaded if p.source}, config, diagnostics,
                                 left_out=set(site.drafts) | site.unreadable)
    for page in placed:   # a translation's own `url:` or `slug:` moves it from beside its English page
        if "url" in page.fields or "slug" in page.fields:
            page.url = override_url(page, page.url, diagnostics)
    all_pages += placed
    add_generated_pages(site, all_pages)
    collect_assets(site, diagnostics)   # before the claims: an asset's file is one the build writes too
    claim_urls(site, all_pages, diagnostics)

    for page in all_pages:
        if page.parent is not None and not page.lang:   # translations are listed in their own language's sections
            parent = page.parent
            if not isinstance(parent.children, list):   # model.EMPTY: its first
                parent.children = []
            parent.children.append(page)
    for page in all_pages:
        if len(page.children) > 1:
            page.children.sort(key=Page.sort_key)
    site.pages = sorted(all_pages, key=lambda p: p.url)
    site.by_url = {p.url: p for p in site.pages}
    for page in site.pages:
        if page.source:
            site.by_source[page.source] = page
        if page.folder:
            site.by_source.setdefault(page.folder, page)

    link_organisations(site, diagnostics)
    collect_aliases(site, diagnostics)
    return site


def _check_index_name(page: Page, stem: str, section: Page | None, diagnostics: Diagnostics) -> None:
    """`_Index.md`, `__index.md` or `index.md` (Hugo's name for a page that is its folder's) make a
    page at `.../index/`, while the folder's address stays the automatic list: say so, at the file.

    Not when the page chooses its address (`slug:`, `url:`), nor for `index.md` beside the folder's
    own `_index.md`: that is a page called index."""
    base, dot, rest = stem.partition(".")   # `_Index.cy`: a translation's language after the dot
    if base == "_index" or base.lower().lstrip("_") != "index" or "slug" in page.fields or "url" in page.fields:
        return
    own = section is not None and section.source
    if base == "index" and own:
        return
    name = "_index" + dot + rest + PurePosixPath(page.source).suffix.lower()
    folder = posixpath.dirname(page.source)
    where = section.url if section is not None and section.url else "the section's address"
    if own:
        fix = (f"{folder} already has its page, {section.source}: move what this file says into it and remove "
               "this file, or give it a `slug:` if it is a page of its own")
    else:
        fix = f"rename the file to `{name}`"
        if base.lower() == "index":   # Hugo's name: a page called index is possible too
            fix += "; if it is meant as a page called index, give it `slug: index`"
    diagnostics.warning(page.source, 1, f"this file is published as a page at {page.url}, and {where} shows the "
                        "automatic list of the folder's pages: a section's own page must be named `_index.md` "
                        f"exactly (lower case, one `_`): {fix}", code="index-name")


# Names Windows keeps for devices, whatever their case and extension (`nul.txt`, `CON.md`).
_DEVICE_NAMES = {"con", "prn", "aux", "nul"} | {f"{kind}{n}" for kind in ("com", "lpt") for n in range(1, 10)}
_NOT_ON_WINDOWS = re.compile(r'[<>:"|?*\x00-\x1f]')


def windows_name_problem(name: str) -> str | None:
    """Why a file or folder of this name cannot be checked out on Windows, or None."""
    if name.partition(".")[0].rstrip(" ").lower() in _DEVICE_NAMES:
        return f"`{name.partition('.')[0]}` is a name Windows keeps for a device, even with an extension"
    bad = _NOT_ON_WINDOWS.search(name)
    if bad:
        shown = f"`{bad.group()}`" if bad.group().isprintable() else f"U+{ord(bad.group()):04X}"
        return f"Windows does not allow {shown} in a name"
    if name.endswith((".", " ")):
        return f"Windows does not allow a name that ends in a {'dot' if name.endswith('.') else 'space'}"
    return None


def check_names(paths: list[str], diagnostics: Diagnostics) -> None:
    """A warning at each file or folder (once) under content/ or assets/ whose name Windows cannot hold:
    the site's repository could not be checked out there, so an editor on Windows could not work on it."""
    seen: set[str] = set()
    for rel in paths:
        parts = rel.split("/")
        for depth in range(1, len(parts)):   # not `content` or `assets` itself
            where = "/".join(parts[:depth + 1])
            if where in seen:
                continue
            seen.add(where)
            why = windows_name_problem(parts[depth])
            if why:
                what = "file" if depth == len(parts) - 1 else "folder"
                diagnostics.warning(where, 1, f"this {what} cannot be checked out on Windows: {why}; rename it, with "
                                    "letters, digits and hyphens, and change the links to it", code="file-name")


def _folder_url(folder: str) -> tuple[str | None, str | None]:
    """A content folder's URL, or None and what is wrong with its name."""
    if folder == "content":
        return "/", None
    segments = []
    for part in PurePosixPath(folder).parts[1:]:
        seg = slugify(part)
        if not seg:
            return None, f"cannot make a web address from the folder name `{part}`: rename it using letters a-z, digits and hyphens"
        segments.append(seg)
    return "/" + "/".join(segments) + "/", None


def override_url(page: Page, default: str, diagnostics: Diagnostics) -> str:
    """The page's URL after `url:` or `slug:` in its front matter."""
    if "url" in page.fields:
        url = page.fields["url"]
        normal = posixpath.normpath(url) if url.startswith("/") else url
        if not url.startswith("/") or not url.endswith("/"):
            diagnostics.error(page.source, page.line("url"), f"`url` must start and end with `/`, such as /policy/{slugify(page.title) or 'name'}/", code="invalid-address")
        elif not valid_url_path(url) or normal.startswith("/.."):
            diagnostics.error(page.source, page.line("url"), "`url` must stay inside the site: use letters, digits and hyphens between `/`, with no `..`", code="invalid-address")
        else:
            return url
        return default
    if "slug" in page.fields:
        slug = page.fields["slug"]
        if "/" in slug or "\\" in slug or slug in (".", "..") or not SEGMENT.match(slug):
            diagnostics.error(page.source, page.line("slug"), "`slug` must be one part of a web address: letters, digits and hyphens, with no `/`", code="invalid-address")
            return default
        if default == "/":
            diagnostics.error(page.source, page.line("slug"), "the home page cannot have a `slug`", code="invalid-address")
            return default
        return posixpath.dirname(default.rstrip("/")).rstrip("/") + "/" + slug + "/"
    return default


def add_generated_pages(site: Site, pages: list[Page]) -> None:
    """Topic pages, the topics index, search and 404: pages no file asks for."""
    home = site.home
    config = site.config
    if home is None:
        return
    if config.topics:
        index = Page(kind="topics", title="Topics", url="/topics/", parent=home,
                     description=f"Topics covered by {config.title}")
        pages.append(index)
        for key, topic in sorted(config.topics.items()):
            page = Page(kind="topic", key=key, title=topic.name, url=f"/topics/{key}/", parent=index,
                        description=topic.description or topic_description(topic.name, config))
            site.topic_pages[key] = page
            pages.append(page)
    if config.people:
        strings = strings_for(config.language, config.strings)
        people = Page(kind="people", title=strings["people"], url="/people/", parent=home,
                      description=strings["people_description"].format(site=config.title))
        pages.append(people)
        for key, person in sorted(config.people.items()):
            page = Page(kind="person", key=key, title=person.name, url=f"/people/{key}/", parent=people,
                        description=person.role or strings["person_description"].format(name=person.name, site=config.title))
            site.person_pages[key] = page
            pages.append(page)
    pages.append(Page(kind="search", title="Search", url="/search/", parent=home,
                      description=f"Search {config.title}"))
    pages.append(Page(kind="404", title="Page not found", url="/404.html", parent=None,
                      description="The page you asked for was not found"))


# Pages listed on one page of a section, topic or organisation; more go on /URL/page-2/ …
LISTING_PAGE_SIZE = 20
PAGED_KINDS = ("section", "topic")


def paged_url(url: str, number: int) -> str:
    return url if number == 1 else f"{url}page-{number}/"


def listing_page_count(page: Page, site: Site) -> int:
    """How many pages a listing takes: 1 unless it is a long section, topic or organisation
    listing (and no page of the site already has one of the addresses it would use)."""
    if page.kind not in PAGED_KINDS and page.type != "organisation":
        return 1
    count = site.listing_counts.get(page)
    if count is None:
        count = max(1, -(-len(site.listing(page)) // LISTING_PAGE_SIZE))
        if any(paged_url(page.url, n) in site.by_url for n in range(2, count + 1)):
            count = 1
        site.listing_counts[page] = count
    return count


def claim_urls(site: Site, pages: list[Page], diagnostics: Diagnostics) -> None:
    """Report two sources that claim one URL (or one output file), naming both."""
    owners: dict[str, Page | StaticFile] = {}
    def name(owner) -> str:
        if isinstance(owner, str):
            return owner
        if isinstance(owner, StaticFile):
            return owner.source
        if owner.source:
            return owner.source
        if owner.folder:
            return f"the folder {owner.folder}/"
        return RESERVED.get(owner.url, f"the generated page {owner.url}")
    def line(owner) -> int:
        if isinstance(owner, Page) and owner.source:
            return owner.line("url") if "url" in owner.fields else owner.line("slug") if "slug" in owner.fields else 1
        return 1
    claims: list = []
    # Files the build writes itself: sitemap, feeds, robots.txt, the search index.
    page_paths = {page.output_path for page in pages}
    for url in sorted(GENERATED_FILES):
        if url.lstrip("/") not in page_paths:   # 404.html is a generated page
            claims.append((url.lstrip("/"), f"the generated file {url}"))
    for key in sorted(site.topic_pages):
        claims.append((f"topics/{key}/feed.xml", f"the generated feed /topics/{key}/feed.xml"))
    for page in pages:
        claims.append((page.output_path, page))
    for static in (*site.files.values(), *site.assets.values()):
        claims.append((static.output_path, static))
    # Generated pages and files, and assets, claim first so that an editor's file is the one reported, and
    # pages keeping their natural address before those moved by `url:` or `slug:`,
    # so that the report is at the line that moved a page onto another's address.
    def moved(owner) -> bool:
        return isinstance(owner, Page) and owner.source is not None and ("url" in owner.fields or "slug" in owner.fields)
    def editors_file(owner) -> bool:   # under content/, not an asset (the site's or the theme's)
        return isinstance(owner, StaticFile) and owner.source.startswith("content/")
    claims.sort(key=lambda c: (isinstance(c[1], Page) and c[1].source is not None, editors_file(c[1]), moved(c[1])))
    for out_path, owner in claims:
        key = out_path.casefold()
        if key in owners:
            first = owners[key]
            where = owner.source if isinstance(owner, (Page, StaticFile)) and owner.source else (owner.folder or "content")
            url = "/" + out_path.removesuffix("index.html")
            diagnostics.error(where, line(owner), f"`{url}` is claimed by both {name(first)} and {name(owner)}: "
                                                  f"{_collision_advice(first, owner, editors_file)}", code="address-collision")
            if isinstance(owner, Page) and owner in pages:
                pages.remove(owner)
                if owner.source:
                    site.clashed.add(owner.source)
        else:
            owners[key] = owner


def _collision_advice(first, owner, editors_file) -> str:
    """What to do about two claims on one address: a `slug:` moves a page, a rename moves a file;
    an asset, or what the build makes itself, is for the editor's own file to make way for."""
    def page(claimant) -> bool:
        return isinstance(claimant, Page) and claimant.source is not None
    if page(first) or editors_file(first):   # both are the editor's to change
        if page(first) or page(owner):
            return "rename one of them or give one a different `slug:`"
        return "rename or move one of them"
    if page(owner):
        return "give this page a different `slug:` or rename its file"
    return "rename or move this file"


def link_organisations(site: Site, diagnostics: Diagnostics) -> None:
    """Match each organisation in site_config to its page: by `url`, else by file name."""
    for key, org in site.config.organisations.items():
        page = None
        if org.url and org.url.startswith("/"):
            page = site.by_url.get(org.url if org.url.endswith("/") else org.url + "/")
            if page is None:
                line = org.url_line or org.line
                diagnostics.error("site_config.yaml", line, f"the organisation `{key}` has `url: {org.url}`, but no page has that address", code="broken-link")
        if page is None:
            for candidate in site.pages:
                if candidate.type == "organisation" and candidate.source and file_stem(candidate.source) == key:
                    page = candidate
                    break
        if page is not None:
            page.key = key
            site.organisation_pages[key] = page


def theme_asset_wanted(rel: str, brand: bool) -> bool:
    """The theme's compiled CSS comes in two: with the GOV.UK brand (its fonts and crest
    under govuk/brand/) and without. A site publishes only the one it uses."""
    if rel.startswith("govuk/brand/"):
        return brand
    return not (brand and rel.startswith("govuk/"))


def topic_description(name: str, config: SiteConfig) -> str:
    """A whole sentence for a topic that has no description, its name kept as written."""
    return strings_for(config.language, config.strings)["topic_description"].format(topic=name, site=config.title)


def _asset_link_problem(path: Path, root_real: Path) -> str | None:
    """What is wrong with a link under assets/, or None for a link to a file inside it."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"this is a link to {os.readlink(path)}, which does not exist (or leads round in a loop): remove the link or copy the file in"
    if not target.is_relative_to(root_real):
        return "this is a link to a place outside assets/: copy the file in instead"
    if target.is_dir():
        return "this is a link to a folder, whose files are not published: copy the folder in instead"
    return None


def _runs_nothing(where: str, path: str, diagnostics: Diagnostics) -> bool:
    """Whether an HTML, SVG or XML file under content/ holds nothing a browser would run (activefiles.py);
    else an error at the line where it starts."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(READ_AT_MOST)
    except OSError as exc:
        diagnostics.error(where, 1, f"cannot read this file: {exc.strerror}", code="unreadable-file")
        return False
    found = active_part(data)
    if found is None:
        return True
    line, what = found
    diagnostics.error(where, line, f"this file holds {what}, and files under content/ are published as they are, "
                      "so it would run on the site's own address: remove it, or write the page in Markdown "
                      "(for a drawing, export the SVG again without scripts)", code="script-in-file")
    return False


def collect_assets(site: Site, diagnostics: Diagnostics | None = None) -> None:
    """Theme assets, then the site's assets/ over them: all under /assets/."""
    theme_assets = Path(__file__).parent / "theme" / "assets"
    for root, prefix in ((theme_assets, "policysite/theme/assets"), (site.site_dir / "assets", "assets")):
        if not root.is_dir():
            continue
        if prefix == "assets" and outside_site(site.site_dir, root):
            if diagnostics is not None:
                diagnostics.error("assets", 1, LINKED_AWAY, code="bad-symlink")
            continue
        root_real = root.resolve()
        paths = sorted(root.rglob("*"))
        if prefix == "assets" and diagnostics is not None:
            check_names([f"assets/{p.relative_to(root).as_posix()}" for p in paths
                         if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)],
                        diagnostics)
        for path in paths:
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.is_symlink() and prefix == "assets":
                # A link is looked at before anything else: one that leads nowhere, or to a folder
                # (which rglob does not go into), would otherwise be passed over without a word.
                problem = _asset_link_problem(path, root_real)
                if problem is not None:
                    if diagnostics is not None:
                        diagnostics.error(f"{prefix}/{path.relative_to(root).as_posix()}", 1, problem, code="bad-symlink")
                    continue
            if not path.is_file():
                continue
            if not path.resolve().is_relative_to(root_real):
                continue   # the theme's own: never a link out
            rel = path.relative_to(root).as_posix()
            if prefix != "assets" and not theme_asset_wanted(rel, site.config.govuk_brand):
                continue
            url = "/assets/" + rel
            site.assets[url] = StaticFile(source=f"{prefix}/{rel}", abs_path=str(path), url=url, size=path.stat().st_size)


_FURTHER_PAGE = re.compile(r"(.*/)page-([1-9][0-9]*)/index\.html", re.IGNORECASE)


def _further_listing_page(site: Site, out_path: str, folded_urls: dict[str, Page]) -> str:
    """What `out_path` is when a long listing writes a further page there (`news/page-2/index.html`), else "".
    Asked of an alias's file alone: working out every listing's length for each build cost a
    third of a one-page rebuild's loading at 10,000 pages. Case aside, as the other claims on
    an alias's file are (collect_aliases): on a disk that ignores it, /News/ and /news/ are one folder.
    `folded_urls`: each page by its address case-folded (the first of any that fold alike), filled
    here the first time an address is not found as written, and kept by the caller for the next."""
    found = _FURTHER_PAGE.fullmatch("/" + out_path)
    if found is None:
        return ""
    listing = site.by_url.get(found.group(1))
    if listing is None:   # the address in another case: rare, so the folded addresses are made only now
        if not folded_urls:
            for url, page in site.by_url.items():
                folded_urls.setdefault(url.casefold(), page)
        listing = folded_urls.get(found.group(1).casefold())
    number = int(found.group(2))
    if listing is None or not 2 <= number <= listing_page_count(listing, site):
        return ""
    return f"page {number} of the list at {listing.url}"


def collect_aliases(site: Site, diagnostics: Diagnostics) -> None:
    """A redirect for each `aliases:` entry; collisions name both claimants."""
    taken: dict[str, str] = {p.output_path.casefold(): (p.source or p.folder or p.url) for p in site.pages}
    taken.update({f.output_path.casefold(): f.source for f in site.files.values()})
    # Sections without an `_index.md`: their listing pages are ours, not an editor's.
    generated = {p.output_path.casefold(): p for p in site.pages if p.source is None and p.kind == "section"}
    folded_urls: dict[str, Page] = {}   # made once, if an alias needs it (_further_listing_page)
    for page in site.pages:
        for alias, line in page.fields.get("aliases", ()):
            if not alias.startswith("/") or "\\" in alias or "?" in alias or "#" in alias:
                diagnostics.error(page.source, line, f"alias `{alias}` must be a path on this site starting with `/`, such as /old/page/", code="invalid-address")
                continue
            parts = [p for p in alias.split("/") if p]
            if any(p in (".", "..") for p in parts) or not parts or not all(SEGMENT.match(p) for p in parts):
                diagnostics.error(page.source, line, f"alias `{alias}` must stay inside the site: use letters, digits, dots and hyphens between `/`", code="invalid-address")
                continue
            if parts[-1].lower().endswith((".html", ".htm")):
                out_path = "/".join(parts)
            else:
                out_path = "/".join(parts) + "/index.html"
            key = out_path.casefold()
            if key == page.output_path.casefold():
                diagnostics.warning(page.source, line, f"alias `{alias}` is this page's own address, so it is not needed: remove it",
                                    code="alias-not-needed")
                continue
            if taken.get(key) == f"an alias of {page.source}":
                diagnostics.warning(page.source, line, f"alias `{alias}` is listed twice in this page: remove one",
                                    code="alias-not-needed")
                continue
            if key in generated:
                # The old address still leads somewhere: the listing of that section.
                folder = generated[key].folder
                diagnostics.warning(page.source, line, f"alias `{alias}` is the address of the list of pages in {folder}/, "
                                                       f"which shows there instead: remove the alias, or write {folder}/_index.md "
                                                       "to say what the section is", code="alias-not-needed")
                continue
            further = _further_listing_page(site, out_path, folded_urls)
            if key in taken or further:
                diagnostics.error(page.source, line, f"alias `{alias}` collides with {taken.get(key, further)}: remove the alias or move the other page",
                                  code="alias-collision")
                continue
            taken[key] = f"an alias of {page.source}"
            site.aliases.append(Alias(path=out_path, url=alias, target=page, line=line))
