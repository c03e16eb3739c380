"""One resolver for every link an editor writes: in Markdown and in front matter.

Links are resolved by source path (`../care/other.md`) or by site URL
(`/policy/other/`) through the maps the site stage built, never by guessing
from rendered HTML, so each problem can be reported at its file and line.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from . import images
from .model import Page, StaticFile
from .site import GENERATED_FILES, Site
from .translations import version

EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel"}
URL_SAFE = "/:@!$&'()*+,;=~-._"   # RFC 3986 path characters, left as they are
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


@dataclass
class Target:
    """Where a link goes, once resolved."""

    href: str                     # what to write in the HTML
    page: Page | None = None      # an internal page
    file: StaticFile | None = None  # a file under content/ or assets/
    fragment: str = ""            # '#...' without the hash, to check later
    external: bool = False


class LinkProblem(Exception):
    """A link that does not resolve; the message says what to do."""


def signature(outcome) -> list[object]:
    """Everything rendered HTML can take from a resolved link, to tell whether it changed."""
    if isinstance(outcome, LinkProblem):
        return ["!", str(outcome)]
    page, file = outcome.page, outcome.file
    return [outcome.href, page.title if page is not None else None,
            file.size if file is not None else None,
            images.stamp(file) if file is not None else None]   # an <img> shows the image's size


def checked_fragment(fragment: str) -> str:
    """The part of a `#fragment` that must name an id on the target page; '' when any page has it.

    Browsers scroll to the top of the page for `#top` when no element has that id, and
    read `:~:text=...` (a text fragment) as words to highlight, not as an id."""
    fragment = fragment.split(":~:", 1)[0]
    return "" if fragment.lower() == "top" else fragment


class Resolver:
    def __init__(self, site: Site):
        self.site = site
        self.root = site.config.root
        self._hrefs: dict[str, str] = {}   # many links lead to the same few pages
        self._outcomes: dict[tuple, object] = {}

    def href_for(self, url: str) -> str:
        """A site-relative URL as written in HTML: with the base path in front, and
        characters a URL cannot hold (a space in a file's name) percent-encoded."""
        href = self._hrefs.get(url)
        if href is None:
            href = self._hrefs[url] = self.root + quote(url.lstrip("/"), safe=URL_SAFE)
        return href

    def forget(self) -> None:
        """Let go of the outcomes remembered so far (they are worked out again if asked for)."""
        self._outcomes = {}

    def outcome(self, raw: str, page: Page):
        """The Target, or the LinkProblem, for `raw` in `page`; remembered for this resolver's build.

        Each link is looked at several times (rendering, checking the cache, fragments), and
        sibling pages share links. An outcome depends on the page only through its folder,
        except for a link with no path (`#id`, `?q`), which names the page itself.
        """
        if page.source is None or raw.strip()[:1] in ("", "#", "?"):
            return self._outcome(raw, page)
        key = (raw, posixpath.dirname(page.source), page.lang)   # a translation links to its language's pages
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._outcome(raw, page)
        return found

    def _outcome(self, raw: str, page: Page):
        try:
            return self.resolve(raw, page)
        except LinkProblem as problem:
            return problem

    def resolve(self, raw: str, page: Page) -> Target:
        """Resolve `raw` as written in `page`; raise LinkProblem when it does not resolve."""
        raw = raw.strip()
        if not raw:
            raise LinkProblem("the link has no address: write a path such as `other-page.md`")
        if CONTROL.search(raw):
            # Browsers drop tabs and line breaks inside addresses (`java\tscript:`): never guess.
            raise LinkProblem("the address contains a tab, line break or other control character: remove it")
        scheme = SCHEME.match(raw)
        decoded = SCHEME.match(CONTROL.sub("", html.unescape(raw)).strip()) if "&" in raw else None
        if decoded and not scheme and decoded.group(1).lower() not in EXTERNAL_SCHEMES:
            # `&#106;avascript:` or `javascript&colon;`: a browser decodes the references.
            raise LinkProblem(f"links starting `{decoded.group(1).lower()}:` are not allowed, even written with `&...;` character references: use https:, http:, mailto: or tel:, or a path to a page")
        if scheme:
            name = scheme.group(1).lower()
            if name in EXTERNAL_SCHEMES:
                return Target(href=raw, external=True)
            raise LinkProblem(f"links starting `{name}:` are not allowed: use https:, http:, mailto: or tel:, or a path to a page")
        if raw.startswith("//"):
            return Target(href=raw, external=True)
        try:
            parts = urlsplit(raw)
        except ValueError:   # such as an unclosed `[` where a host name would be
            raise LinkProblem(f"`{raw}` is not a valid address") from None
        path = unquote(parts.path)
        query = f"?{parts.query}" if parts.query else ""
        fragment = checked_fragment(unquote(parts.fragment))
        if "\\" in path:
            raise LinkProblem(f"`{raw}` uses `\\`: write paths with `/`")
        if not path:
            if not parts.fragment:
                raise LinkProblem("the link has no address")
            return Target(href=f"#{parts.fragment}", page=page, fragment=fragment)
        source_dir = self._source_dir(page)
        lower = path.lower()
        if lower.endswith((".md", ".markdown")):
            target = self._in_language(self._page_by_source(path, source_dir, raw), page)
            return self._to_page(target, query, fragment, parts.fragment)
        if path.startswith("/"):
            return self._by_url(path, query, fragment, parts.fragment, raw)
        # A relative path: a file under content/, or a folder (a section).
        joined = posixpath.normpath(posixpath.join(source_dir, path))
        if not joined.startswith("content/") and joined != "content":
            raise LinkProblem(f"`{raw}` points outside content/: check the number of `../`")
        static = self.site.files.get(joined)
        if static is not None:
            return Target(href=self.href_for(static.url) + query + (f"#{parts.fragment}" if parts.fragment else ""), file=static)
        section = self.site.by_source.get(joined) or self.site.by_source.get(joined + "/_index.md")
        if section is not None and section.kind in ("section", "home"):
            return self._to_page(self._in_language(section, page), query, fragment, parts.fragment)
        raise LinkProblem(f"there is no file {joined}: check the spelling, or link to a page by its `.md` file")

    @staticmethod
    def _in_language(target: Page, page: Page) -> Page:
        """A translated page's link to a page in the site's own language leads to that page's
        version in its language, when there is one; a link to a named translation (`x.cy.md`) stays."""
        if page.lang and not target.lang:
            return version(target, page.lang)
        return target

    def _source_dir(self, page: Page) -> str:
        if page.source:
            return posixpath.dirname(page.source)
        return page.folder or "content"

    def _page_by_source(self, path: str, source_dir: str, raw: str) -> Page:
        if path.startswith("/"):
            joined = posixpath.normpath("content" + path)
        else:
            joined = posixpath.normpath(posixpath.join(source_dir, path))
        if not joined.startswith("content/"):
            raise LinkProblem(f"`{raw}` points outside content/: check the number of `../`")
        page = self.site.by_source.get(joined)
        if page is not None:
            return page
        if joined in self.site.drafts:
            raise LinkProblem(f"`{raw}` links to a draft page ({joined}): publish it (remove `draft: true`) or remove the link")
        if joined in self.site.scheduled:
            when = self.site.scheduled[joined].date
            raise LinkProblem(f"`{raw}` links to a page that is not published until {when.isoformat()} ({joined}): "
                              "add the link once it is published, or build with `--future` to include it")
        if joined in self.site.unreadable:
            raise LinkProblem(f"{joined} cannot be read (see its own error): fix it and this link will work")
        if joined in self.site.clashed:
            raise LinkProblem(f"{joined} is left out while another claims its address (see its own error): "
                              "fix that and this link will work")
        hint = self._near(joined)
        tip = f": did you mean {hint}?" if hint else ": check the spelling and the number of `../`"
        raise LinkProblem(f"there is no page {joined}{tip}")

    def _near(self, joined: str) -> str | None:
        import difflib
        candidates = [s for s in self.site.by_source if s.endswith((".md", ".markdown"))]
        match = difflib.get_close_matches(joined, candidates, n=1, cutoff=0.75)
        return match[0] if match else None

    def _to_page(self, target: Page, query: str, fragment: str, raw_fragment: str) -> Target:
        href = self.href_for(target.url) + query + (f"#{raw_fragment}" if raw_fragment else "")
        return Target(href=href, page=target, fragment=fragment)

    def _by_url(self, path: str, query: str, fragment: str, raw_fragment: str, raw: str) -> Target:
        normal = posixpath.normpath(path)
        if normal.startswith("/.."):
            raise LinkProblem(f"`{raw}` points outside the site")
        tail = (f"#{raw_fragment}" if raw_fragment else "")
        if normal.startswith("/assets/"):
            asset = self.site.assets.get(normal)
            if asset is None:
                raise LinkProblem(f"there is no file {normal.lstrip('/')} in assets/ or the theme: check the spelling")
            return Target(href=self.href_for(asset.url) + query + tail, file=asset)
        static = self.site.files_by_url.get(normal)
        if static is not None:
            return Target(href=self.href_for(static.url) + query + tail, file=static)
        if normal in GENERATED_FILES:
            return Target(href=self.href_for(normal) + query + tail)
        url = normal if normal.endswith("/") else normal + "/"
        if normal == "/":
            url = "/"
        page = self.site.by_url.get(url)
        if page is not None:
            return self._to_page(page, query, fragment, raw_fragment)
        extension = posixpath.splitext(normal)[1].lower()
        if extension and extension not in (".html", ".htm", ".php", ".aspx") and not path.endswith("/"):
            # `/img/chart.png`: a file's address, not a page's.
            raise LinkProblem(f"there is no file at {normal}: check the spelling, or put the file at "
                              f"content{normal} (or under assets/ and link to /assets/...)")
        raise LinkProblem(f"no page has the address {url}: link to the page's `.md` file instead, such as `/policy/name.md`")
