"""What hosts, search engines and feed readers need: sitemap, feeds, robots,
structured data (JSON-LD) and the small search index (search.py writes the
full-text one).

Written by hand as text so the bytes are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import json
from urllib.parse import quote

from .model import Page
from .schema import iso_stamp, moment
from .search import FOLDER as SEARCH_DIR
from .search import day
from .site import Site
from .translations import version
from .xmltext import escape, quoteattr

FEED_SIZE = 50
# The full-text index goes in the search page's folder (see search.py).
SEARCH_PAGE = f"{SEARCH_DIR}/index.html"
EPOCH = dt.date(1970, 1, 1)


def absolute(site: Site, url: str) -> str:
    """The absolute URL of a site path, under base_url, percent-encoded for XML and JSON."""
    return site.config.base_url + _quoted(url)


@functools.lru_cache(maxsize=1 << 16)
def _quoted(url: str) -> str:
    """A site path percent-encoded, without its leading `/`: every page's breadcrumbs quote its ancestors."""
    return quote(url.lstrip("/"), safe="/~.-_%")


def lastmod(page: Page) -> dt.date | None:
    return page.updated or page.date


def _lists(page: Page) -> bool:
    """Pages whose layout shows a listing: their content changes with what they list."""
    return page.kind in ("home", "section", "topic", "topics") or (page.type == "organisation" and page.key is not None)


def modified_dates(site: Site) -> dict[int, dt.date | None]:
    """Each page's last change: its own `updated` or `date`, and for a listing page the newest of what it lists."""
    found: dict[int, dt.date | None] = {}
    busy: set[int] = set()

    def newest(page: Page) -> dt.date | None:
        if id(page) in found:
            return found[id(page)]
        if id(page) in busy:        # organisations that list each other
            return lastmod(page)
        busy.add(id(page))
        dates = [lastmod(page)]
        if _lists(page):
            dates += [newest(p) for p in site.listing(page)]
        dates = [d for d in dates if d is not None]
        found[id(page)] = max(dates, key=moment) if dates else None
        busy.discard(id(page))
        return found[id(page)]

    for page in site.pages:
        newest(page)
    return found


def sitemap(site: Site) -> str:
    """Every published page but the 404 page, with its last change when known."""
    dates = modified_dates(site)
    translated = any(page.translations for page in site.pages)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
             + (' xmlns:xhtml="http://www.w3.org/1999/xhtml">' if translated else '>')]
    for page in site.pages:
        if page.kind == "404":
            continue
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(absolute(site, page.url))}</loc>")
        modified = dates.get(id(page))
        if modified:
            lines.append(f"    <lastmod>{modified.isoformat()}</lastmod>")
        # Each version of a translated page, itself included, as search engines ask.
        for _lang, other in sorted(page.translations.items()):
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(hreflang(other, site))} '
                         f'href={quoteattr(absolute(site, other.url))}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def sitemap_key(site: Site) -> str:
    """A digest of everything `sitemap` reads besides the configuration: each page in order, its
    address, kind, language, dates and versions and, for a page whose last change is the newest of
    what it lists, what it lists, in order (of two equal moments, the first found is shown)."""
    h = hashlib.sha1()
    for page in site.pages:
        versions = " ".join(f"{lang}={other.url}" for lang, other in sorted(page.translations.items()))
        text = f"{page.url}\0{page.kind}\0{page.type}\0{page.key}\0{page.lang}\0{page.date!r}\0{page.updated!r}\0{versions}"
        if _lists(page):
            text += "\1" + "\0".join(listed.url for listed in site.listing(page))
        h.update(text.encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest()


def hreflang(page: Page, site: Site) -> str:
    """A page's language as `hreflang` gives it: `cy`, or the site's own by its primary subtag (`en`)."""
    return page.lang or site.config.language.split("-")[0].lower()


def robots(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute(site, '/sitemap.xml')}\n"


def _stamp(date: dt.date) -> str:
    """A feed time stamp: the time as written in front matter, or midnight UTC for a plain date."""
    return iso_stamp(date)


class FeedOrder(dict):
    """Page -> its place in a feed, newest first (by last update, then first published, then
    address), or None for an undated page: made once per page for all the feeds it is in."""

    def __missing__(self, page: Page):
        modified = lastmod(page)
        found = self[page] = None if modified is None else (moment(modified), moment(page.date or modified), page.url)
        return found


def feed_entries(pages: list[Page], order: FeedOrder | None = None) -> list[Page]:
    """Dated pages, newest first (by last update), at most FEED_SIZE."""
    order = FeedOrder() if order is None else order
    dated = [p for p in pages if order[p] is not None]
    # The first FEED_SIZE of the list sorted newest first, without sorting the rest.
    return heapq.nlargest(FEED_SIZE, dated, key=order.__getitem__)


def atom(site: Site, title: str, feed_url: str, page_url: str, pages: list[Page], order: FeedOrder | None = None) -> str:
    """An Atom feed (RFC 4287) of `pages`: id, title, updated, links and author on the feed and each entry."""
    config = site.config
    entries = feed_entries(pages, order)
    if entries:
        updated = lastmod(entries[0])
    else:  # an empty feed changes when the site last did, never with the build time
        updated = max((d for d in (lastmod(p) for p in site.pages) if d), default=EPOCH, key=moment)
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.language)}>',
           f"  <title>{escape(title)}</title>",
           f"  <id>{escape(absolute(site, feed_url))}</id>",
           f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(absolute(site, feed_url))}/>",
           f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(absolute(site, page_url))}/>",
           f"  <updated>{_stamp(updated)}</updated>",
           f"  <author><name>{escape(config.title)}</name><uri>{escape(config.base_url)}</uri></author>"]
    for page in entries:
        # One feed for every language: a translated page's entry says its language.
        out += [f"  <entry xml:lang={quoteattr(page.lang)}>" if page.lang else "  <entry>",
                f"    <title>{escape(page.title)}</title>",
                f"    <id>{escape(absolute(site, page.url))}</id>",
                f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(absolute(site, page.url))}/>",
                f"    <updated>{_stamp(lastmod(page))}</updated>"]
        if page.date:
            out.append(f"    <published>{_stamp(page.date)}</published>")
        for key in page.fields.get("organisations", ()):
            org = config.organisations.get(key)
            if org is not None:
                out.append(f"    <author><name>{escape(org.name)}</name></author>")
        for key in page.fields.get("topics", ()):
            topic = config.topics.get(key)
            if topic is not None:
                out.append(f"    <category term={quoteattr(key)} label={quoteattr(topic.name)}/>")
        if page.description:
            out.append(f"    <summary>{escape(page.description)}</summary>")
        out.append("  </entry>")
    out.append("</feed>")
    return "\n".join(out) + "\n"


def feed_url(page: Page) -> str | None:
    """The URL of a page's own feed: topics and organisation pages have one."""
    if page.kind == "topic" and page.key:
        return f"/topics/{page.key}/feed.xml"
    if page.type == "organisation" and page.key:
        return page.url + "feed.xml"
    return None


def feeds(site: Site) -> dict[str, str]:
    """Output path -> Atom XML: the site's feed, one per topic, one per organisation."""
    title = site.config.title
    order = FeedOrder()   # a page is in the site's feed and those of its topics and organisations
    out = {"feed.xml": atom(site, title, "/feed.xml", "/", site.content_pages(), order)}
    for page in [site.topic_pages[k] for k in sorted(site.topic_pages)] + \
                [site.organisation_pages[k] for k in sorted(site.organisation_pages)]:
        url = feed_url(page)
        out[url.lstrip("/")] = atom(site, f"{page.title} - {title}", url, page.url, site.listing(page), order)
    return out


# -- structured data ----------------------------------------------------------

def script_json(data) -> str:
    """JSON for inside <script>: `<`, `>` and `&` as \\u escapes, so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _organisation(site: Site, key: str) -> dict | None:
    org = site.config.organisations.get(key)
    if org is None:
        return None
    node = {"@type": "GovernmentOrganization", "name": org.name}
    page = site.organisation_pages.get(key)
    url = org.url if org.url and org.url.startswith("/") else (page.url if page else None)
    if url:
        node["url"] = absolute(site, url)
    elif org.url:
        node["url"] = org.url
    return node


def _site_publisher(site: Site) -> dict:
    return {"@type": "GovernmentOrganization", "name": site.config.title, "url": site.config.base_url}


def structured_data(page: Page, site: Site) -> dict | None:
    """schema.org data for a page: breadcrumbs, and what the page is (Article, organisation, web site)."""
    if page.kind == "404":
        return None
    config = site.config
    url = absolute(site, page.url)
    nodes = []
    if page.kind == "home":
        nodes.append({
            "@type": "WebSite", "name": config.title, "url": url,
            **({"description": page.description or config.description} if (page.description or config.description) else {}),
            "inLanguage": page.lang or config.language,
            "publisher": _site_publisher(site),
            "potentialAction": {"@type": "SearchAction",
                                "target": absolute(site, "/search/") + "?q={search_term_string}",
                                "query-input": "required name=search_term_string"},
        })
    else:
        trail = [version(a, page.lang) for a in page.ancestors] + [page]   # a translation's, in its language where they are
        nodes.append({"@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": n, "name": p.title, "item": absolute(site, p.url)}
            for n, p in enumerate(trail, start=1)]})
    orgs = [o for o in (_organisation(site, k) for k in page.fields.get("organisations", ())) if o]
    image = absolute(site, page.image_url) if page.image_url else None
    if page.kind == "page" and page.type == "organisation":
        node = _organisation(site, page.key) if page.key else None
        node = node or {"@type": "GovernmentOrganization", "name": page.title}
        node = dict(node, url=url)
        if page.description:
            node["description"] = page.description
        if image:
            node["image"] = image
        nodes.append(node)
    elif page.kind == "page":
        node = {"@type": "Article", "headline": page.title, "url": url,
                "mainEntityOfPage": url, "inLanguage": page.lang or config.language}
        if page.description:
            node["description"] = page.description
        if page.date:
            node["datePublished"] = page.date.isoformat()
        if lastmod(page):
            node["dateModified"] = lastmod(page).isoformat()
        if image:
            node["image"] = image
        node["publisher"] = orgs[0] if orgs else _site_publisher(site)
        if orgs:
            node["author"] = orgs
        nodes.append(node)
    elif page.kind in ("section", "topic", "topics"):
        node = {"@type": "CollectionPage", "name": page.title, "url": url, "inLanguage": page.lang or config.language}
        if page.description:
            node["description"] = page.description
        nodes.append(node)
    return {"@context": "https://schema.org", "@graph": nodes}


def jsonld(page: Page, site: Site) -> str:
    """The page's structured data as script-safe JSON ('' for none)."""
    data = structured_data(page, site)
    return script_json(data) if data else ""


# -- search -------------------------------------------------------------------

def search_index(site: Site) -> str:
    """A small JSON index for the search page: titles, descriptions, types, topics.

    search.js uses it when the full-text index (search.py) is not there: under
    `serve`, which does not write it so that rebuilds stay quick."""
    topics = site.config.topics
    entries = []
    for page in site.pages:
        if page.kind in ("404", "search"):
            continue
        entry = {
            "title": page.title,
            "url": site.config.root + page.url.lstrip("/"),
            "description": page.description,
            "type": page.type_label,
            "topics": [topics[k].name for k in page.fields.get("topics", ()) if k in topics],
        }
        # As in the full-text index: the dates and status a result shows, when there are any.
        status = page.status.search_data()
        for name, value in (("date", day(page.date)), ("updated", day(page.updated)), ("status", status),
                            ("lang", page.lang)):
            if value:
                entry[name] = value
        entries.append(entry)
    return json.dumps({"pages": entries}, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def generated_paths(site: Site) -> dict[str, str]:
    """Output path -> description of every file the build writes besides pages and copies."""
    out = {"sitemap.xml": "the sitemap", "robots.txt": "robots.txt", "search-index.json": "the search index"}
    out[f"{SEARCH_DIR}/index.json"] = "the full-text search index"   # and more files in /search/: see below
    out["feed.xml"] = "the site's Atom feed"
    for page in list(site.topic_pages.values()) + list(site.organisation_pages.values()):
        out[feed_url(page).lstrip("/")] = f"the Atom feed of {page.source or page.url}"
    return out


def _address_line(page: Page) -> int:
    """The line of the field that gives a page its address (`url:`, else `slug:`), else 1 (its file name)."""
    for name in ("url", "slug"):
        if name in page.fields:
            return page.line(name)
    return 1


def check_generated_paths(site: Site, diagnostics) -> None:
    """Pages, files and aliases must leave room for the feeds, sitemap and search index.

    A claim on exactly the sitemap, robots.txt, search index or a topic's feed
    is reported where URLs are claimed (site.claim_urls); here: organisation
    feeds, folders in the way of a generated file, and anything in /search/
    but the search page, where the build writes the full-text index."""
    generated = generated_paths(site)
    taken_elsewhere = {"sitemap.xml", "robots.txt", "search-index.json", "feed.xml", "404.html"}
    taken_elsewhere |= {f"topics/{k}/feed.xml" for k in site.topic_pages}
    claims = [(p.output_path, p.source, _address_line(p)) for p in site.pages if p.source]
    claims += [(f.output_path, f.source, 1) for f in site.files.values()]
    claims += [(a.path, a.target.source, a.line) for a in site.aliases]
    # Generated paths by their folded form: a claim is looked up, and so is each folder above it.
    by_folded: dict[str, list[tuple[int, str, str]]] = {}
    for order, (gen, what) in enumerate(generated.items()):
        by_folded.setdefault(gen.casefold(), []).append((order, gen, what))
    for path, source, line in claims:
        folded = path.casefold()
        if folded.startswith(SEARCH_DIR + "/") and folded != SEARCH_PAGE:   # the search page is site.claim_urls's
            diagnostics.error(source, line, f"`/{path}` is inside /{SEARCH_DIR}/, where the build writes the site search index: move it elsewhere", code="address-collision")
            continue
        # Almost every claim meets no generated path: a list is made only for one that does.
        found = [(order, gen, what, True) for order, gen, what in by_folded[folded]] if folded in by_folded else []
        at = folded.find("/")
        while at != -1:
            if folded[:at] in by_folded:
                found += [(order, gen, what, False) for order, gen, what in by_folded[folded[:at]]]
            at = folded.find("/", at + 1)
        for _order, gen, what, same in sorted(found):
            if same and gen not in taken_elsewhere:
                diagnostics.error(source, line, f"`/{path}` is claimed by both {source} and {what} (/{gen}): rename one of them", code="address-collision")
            elif not same:
                diagnostics.error(source, line, f"`/{path}` would need a folder named like {what} (/{gen}): choose another address", code="address-collision")
