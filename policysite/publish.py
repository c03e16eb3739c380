"""What hosts, search engines and feed readers need: sitemap, feeds, robots, search index.

Written by hand as XML text so the bytes are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import json
from xml.sax.saxutils import escape, quoteattr

from .model import Page
from .site import Site

FEED_SIZE = 50


def absolute(site: Site, url: str) -> str:
    return site.config.base_url + url.lstrip("/")


def lastmod(page: Page) -> dt.date | None:
    return page.updated or page.date


def sitemap(site: Site) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in site.pages:
        if page.kind == "404":
            continue
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(absolute(site, page.url))}</loc>")
        modified = lastmod(page)
        if modified:
            lines.append(f"    <lastmod>{modified.isoformat()}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute(site, '/sitemap.xml')}\n"


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00Z"


def feed_entries(pages: list[Page]) -> list[Page]:
    """Dated pages, newest first (by last update), at most FEED_SIZE."""
    dated = [p for p in pages if lastmod(p) is not None]
    dated.sort(key=lambda p: (lastmod(p), p.date or lastmod(p), p.url), reverse=True)
    return dated[:FEED_SIZE]


def atom(site: Site, title: str, feed_url: str, page_url: str, pages: list[Page]) -> str:
    entries = feed_entries(pages)
    updated = _stamp(lastmod(entries[0])) if entries else "1970-01-01T00:00:00Z"
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom"' + f' xml:lang={quoteattr(site.config.language)}>',
           f"  <title>{escape(title)}</title>",
           f"  <id>{escape(absolute(site, feed_url))}</id>",
           f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(absolute(site, feed_url))}/>",
           f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(absolute(site, page_url))}/>",
           f"  <updated>{updated}</updated>",
           f"  <author><name>{escape(site.config.title)}</name></author>"]
    for page in entries:
        out += ["  <entry>",
                f"    <title>{escape(page.title)}</title>",
                f"    <id>{escape(absolute(site, page.url))}</id>",
                f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(absolute(site, page.url))}/>",
                f"    <updated>{_stamp(lastmod(page))}</updated>"]
        if page.date:
            out.append(f"    <published>{_stamp(page.date)}</published>")
        if page.description:
            out.append(f"    <summary>{escape(page.description)}</summary>")
        out.append("  </entry>")
    out.append("</feed>")
    return "\n".join(out) + "\n"


def feeds(site: Site) -> dict[str, str]:
    """Output path -> Atom XML: the site's feed, one per topic, one per organisation."""
    out = {"feed.xml": atom(site, site.config.title, "/feed.xml", "/", site.content_pages())}
    for key, page in site.topic_pages.items():
        out[f"topics/{key}/feed.xml"] = atom(site, f"{page.title} - {site.config.title}",
                                             f"/topics/{key}/feed.xml", page.url, site.listing(page))
    for key, page in site.organisation_pages.items():
        out[page.url.lstrip("/") + "feed.xml"] = atom(site, f"{page.title} - {site.config.title}",
                                                     page.url + "feed.xml", page.url, site.listing(page))
    return out


def search_index(site: Site) -> str:
    """A small JSON index for the search page: titles, descriptions, types, topics."""
    topics = site.config.topics
    entries = []
    for page in site.pages:
        if page.kind in ("404", "search"):
            continue
        entries.append({
            "title": page.title,
            "url": site.config.root + page.url.lstrip("/"),
            "description": page.description,
            "type": page.type_label,
            "topics": [topics[k].name for k in page.fields.get("topics", ()) if k in topics],
        })
    return json.dumps({"pages": entries}, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
