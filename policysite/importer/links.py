"""Links: old addresses and source paths to the new pages and files, written as relative paths."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .common import SourceFile, SourcePage, SourceSite, natural_url, normal_url
from .report import INVALID, ROOT, code

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
MD_LINK = re.compile(r"(\]\(\s*)(<[^>\n]*>|[^\s)<>]+(?:\([^\s)]*\)[^\s)]*)?)((?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\))")
REF_DEF = re.compile(r"^( {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.M)
HTML_ATTR = re.compile(r"(\b(?:href|src)\s*=\s*)(\"[^\"\n]*\"|'[^'\n]*')", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
TEMPLATE = re.compile(r"\{\{|\{%")
TAG_SPAN = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}", re.S)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
NOT_IN_ADDRESS = re.compile(r"[`\"<>]")   # marks no web address holds: a slip of the keyboard or of quoting


@dataclass
class Left:
    """Something left in a body for a person: found at `offset` of the final body."""
    kind: str
    offset: int
    message: str
    group: str = ""     # for links: the first folder of the address, ROOT or INVALID (report.Item.group)
    subject: str = ""   # for links: the address as written


@dataclass(frozen=True)
class Unresolved:
    """A link that is ours to rewrite but leads nowhere: `path` on the old site, or not an address at all."""
    path: str
    valid: bool = True

    @property
    def group(self) -> str:
        if not self.valid:
            return INVALID
        path = unquote(self.path.split("#", 1)[0].split("?", 1)[0])
        folders = path.strip("/").split("/")
        if not path.endswith("/"):
            folders = folders[:-1]   # the last part names a file or page, not a folder
        return folders[0] if folders and folders[0] else ROOT


@dataclass
class Resolver:
    site: SourceSite
    by_url: dict = field(default_factory=dict)      # (space, '/a/b/') -> page
    aliases: dict = field(default_factory=dict)     # (space, '/old/') -> page
    files: dict = field(default_factory=dict)       # '/img/x.png' -> SourceFile
    by_source: dict = field(default_factory=dict)   # source path -> page or file
    hosts: list = field(default_factory=list)       # (host and path prefix, space)
    written: set = field(default_factory=set)       # every path from DEST we write: 'content/a.md'
    spaces: list = field(default_factory=list)      # every language's URL space
    prefixes: list = field(default_factory=list)    # the path of a base URL such as https://x.github.io/site/
    folders: set = field(default_factory=set)       # addresses of the new site's folders of pages: '/news/'

    @classmethod
    def build(cls, site: SourceSite) -> Resolver:
        self = cls(site)
        for page in site.pages:
            self.by_url.setdefault((page.space, normal_url(page.url)), page)
            self.by_source[page.source] = page
            for res in page.resources:
                self.files.setdefault(unquote(res.url), res)
                self.by_source[res.source] = res
            for key in ("aliases", "redirect_from"):
                value = page.front.get(key)
                for alias in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                    if isinstance(alias, str) and alias.strip():
                        alias = alias.strip()
                        if not alias.startswith(("/", "http")):
                            base = posixpath.dirname(page.url.rstrip("/")) if site.kind == "hugo" else "/"
                            alias = posixpath.join(base, alias)
                        self.aliases.setdefault((page.space, normal_url(alias)), page)
        self.spaces = sorted({p.space for p in site.pages})
        for page in site.pages:
            parts = page.dest.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                self.folders.add(natural_url("/".join(parts[:i]) + "/_index.md"))
        self.written = {"content/" + p.dest for p in site.pages} | {f.dest for f in site.files} | \
            {r.dest for p in site.pages for r in p.resources}
        for f in site.files:
            self.files.setdefault(unquote(f.url), f)
            self.by_source[f.source] = f
        for base, space in site.base_urls.items():
            parts = urlsplit(base)
            host = parts.netloc.lower().removeprefix("www.")
            if host:
                self.hosts.append((host, parts.path.rstrip("/"), space))
        # Longest path first, so https://x.gov/fr/ wins over https://x.gov/.
        self.hosts.sort(key=lambda h: -len(h[1]))
        self.prefixes = sorted({h[1] for h in self.hosts if h[1]}, key=len, reverse=True)
        return self

    def own_path(self, url: str) -> tuple[str, str] | None:
        """(space, path) for a full URL on the site's own host(s), else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return None
        host = parts.netloc.lower().removeprefix("www.")
        for known, prefix, space in self.hosts:
            if host == known and (parts.path + "/").startswith(prefix + "/"):
                path = parts.path[len(prefix):] or "/"
                if parts.query:
                    path += "?" + parts.query
                if parts.fragment:
                    path += "#" + parts.fragment
                return space, path
        return None

    def find(self, path: str, space: str):
        """The page or file at an old address (path with no host), or None."""
        path = path.split("#", 1)[0].split("?", 1)[0]
        decoded = unquote(path)
        for candidate in (path, decoded):
            if candidate in self.files:
                return self.files[candidate]
        key = normal_url(decoded)
        spaces = [space] + [s for s in self.spaces if s != space]
        for table in (self.by_url, self.aliases):
            for s in spaces:
                found = table.get((s, key)) or table.get((s, key.lower()))
                if found is not None:
                    return found
        for prefix in self.prefixes:
            # A root-relative link that includes the path the site was published under.
            if decoded.startswith(prefix + "/"):
                return self.find(decoded[len(prefix):], space)
        return None

    def relative(self, page: SourcePage, target) -> str:
        """How `page` links to `target` (a page or a file): a path relative to its file."""
        here = posixpath.dirname("content/" + page.dest)
        if isinstance(target, SourcePage):
            there = "content/" + target.dest
        elif isinstance(target, SourceFile):
            if target.dest.startswith("assets/"):
                return "/" + target.dest
            there = target.dest
        else:
            return str(target)
        rel = posixpath.relpath(there, here)
        return rel.replace(" ", "%20")


def outside_code(text: str):
    """(start, end) spans of `text` outside fenced code blocks."""
    spans, pos, fence = [], 0, None
    for match in FENCE.finditer(text):
        marker = match.group(1)
        if fence is None:
            spans.append((pos, match.start()))
            fence = marker
        elif marker[0] == fence[0] and len(marker) >= len(fence):
            line_end = text.find("\n", match.end())
            rest = text[match.end(): line_end if line_end >= 0 else len(text)]
            if rest.strip():
                continue   # a fence with an info string opens, it does not close
            fence = None
            pos = line_end if line_end >= 0 else len(text)
    if fence is None:
        spans.append((pos, len(text)))
    return spans


def rewrite_links(body: str, page: SourcePage, resolver: Resolver, counts) -> tuple[str, list[Left]]:
    """Every link in the body that leads to a page or file we import, as a relative path.

    Links to the site's own addresses that lead nowhere are left as written and listed."""
    left: list[Left] = []
    out: list[str] = []
    pos = 0
    matches = []
    for start, end in outside_code(body):
        chunk = body[start:end]
        for pattern in (MD_LINK, REF_DEF, HTML_ATTR):
            for m in pattern.finditer(chunk):
                matches.append((start + m.start(2), start + m.end(2), m.group(2)))
    matches.sort()
    # Addresses inside template tags left in place are the tag's business, not links.
    tags = [(m.start(), m.end()) for m in TAG_SPAN.finditer(body)]
    if tags:
        matches = [m for m in matches if not any(a <= m[0] < b for a, b in tags)]
    # A link inside an HTML comment is never shown, so the build does not check it: nor do we.
    hidden = [(m.start(), m.end()) for m in HTML_COMMENT.finditer(body)]
    last_end = -1
    for start, end, written in matches:
        if start < last_end:
            continue
        last_end = end
        quote = written[0] if written[:1] in ("'", '"', "<") else ""
        url = written[1:-1] if quote else written
        new = rewrite_one(url.strip(), page, resolver)
        if new is None or (isinstance(new, Unresolved) and any(a <= start < b for a, b in hidden)):
            continue
        out.append(body[pos:start])
        offset = sum(len(s) for s in out)
        if isinstance(new, Unresolved):
            counts["left"] += 1
            address = url.strip()
            if new.valid:
                message = f"{code(address)}: no page or file has this address"
            else:
                bad = NOT_IN_ADDRESS.search(address).group()
                message = f"{code(address)}: not a valid address (it holds {code(bad)}): correct the link"
            left.append(Left("link", offset, message, new.group, address))
            out.append(written)
        else:
            counts["rewritten"] += 1
            out.append(quote + new + ({"<": ">"}.get(quote, quote)) if quote else new)
        pos = end
    out.append(body[pos:])
    return "".join(out), left


def rewrite_one(url: str, page: SourcePage, resolver: Resolver):
    """The new link, None when it is not ours to change, Unresolved when it is ours but leads nowhere."""
    if not url or url.startswith("#") or TEMPLATE.search(url):
        return None
    space = page.space
    if not SCHEME.match(url) and NOT_IN_ADDRESS.search(url):
        return Unresolved(url, valid=False)   # such as "`https://…": a stray mark, not a path on the site
    if SCHEME.match(url) or url.startswith("//"):
        own = resolver.own_path(("https:" + url) if url.startswith("//") else url)
        if own is None:
            return None
        space, path = own
    elif url.startswith("/"):
        path = url
    else:
        # A path relative to the source file (a .md link), else to the page's old address.
        clean = unquote(url.split("#", 1)[0].split("?", 1)[0])
        if clean and posixpath.normpath(posixpath.join(posixpath.dirname("content/" + page.dest), clean)) \
                in resolver.written and clean.endswith(".md"):
            return None   # already a path in the new site (made from a shortcode or tag)
        if clean:
            source = posixpath.normpath(posixpath.join(posixpath.dirname(page.source), clean))
            target = resolver.by_source.get(source)
            if target is not None and target is not page:
                return resolver.relative(page, target) + _fragment(url)
        base = page.url if page.url.endswith("/") else posixpath.dirname(page.url) + "/"
        path = posixpath.normpath(posixpath.join(base, url.split("#", 1)[0]))
        if url.split("#", 1)[0].endswith("/") and not path.endswith("/"):
            path += "/"
        path += _fragment(url)
        if not clean:
            return None
    if "?" in path.split("#", 1)[0]:
        return None
    target = resolver.find(path, space)
    if target is None:
        bare = path.split("#", 1)[0]
        if bare in ("", "/"):
            home = next((p for p in resolver.site.pages if p.home), None)
            return None if home is None else resolver.relative(page, home) + _fragment(path)
        if bare.startswith("/assets/"):
            return None   # the assets folder keeps its addresses: the build checks them
        if bare.startswith("/") and "content" + unquote(bare) in resolver.written:
            return None   # a path from content/ that the new site has: it works as written
        # A folder of pages with no index page of its own: the new site lists it at the same place.
        folder = normal_url(unquote(bare))
        if page.alias_prefix and not folder.startswith("/" + page.alias_prefix + "/"):
            folder = "/" + page.alias_prefix + folder
        if folder in resolver.folders:
            return None if url == folder + _fragment(path) else folder + _fragment(path)
        return Unresolved(path)
    if target is page and "#" in path:
        return "#" + path.split("#", 1)[1]
    return resolver.relative(page, target) + _fragment(path)


def _fragment(url: str) -> str:
    return "#" + url.split("#", 1)[1] if "#" in url else ""
