"""Reading a Jekyll site: _config.yml, pages anywhere, _posts, collections, static files, Liquid tags."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import convert
from .common import (
    NavEntry,
    SourceFile,
    SourcePage,
    SourceSite,
    dest_segment,
    normal_url,
    reserve,
    title_from_name,
    url_to_dest,
)
from .frontmatter import SourceText, read_text, split, syntax_problem, when
from .hugo import _params, _plain
from .links import Resolver
from .report import Report
from .walk import walk

PAGE_SUFFIXES = {".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".html", ".htm"}
DEFAULT_EXCLUDE = ["Gemfile", "Gemfile.lock", "gemfiles", "node_modules", "vendor", "*.gemspec", "Rakefile",
                   "package.json", "package-lock.json", "yarn.lock", "Dockerfile", "docker-compose.yml",
                   "Makefile", "netlify.toml", "CNAME"]
# Files about the repository rather than pages of the site: left out, and listed when they are pages.
REPOSITORY_FILES = ["README*", "CONTRIBUTING*", "CHANGELOG*", "LICENSE*", "CODE_OF_CONDUCT*", "SECURITY*"]
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
POST_NAME = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})-(.+)$")
# What Jekyll itself puts in `site` (not from _config.yml): left for a person, never emptied.
JEKYLL_SITE_VALUES = {"posts", "pages", "data", "time", "collections", "categories", "tags", "static_files",
                      "html_pages", "html_files", "documents", "related_posts", "url", "baseurl", "github"}
# What the import takes from _config.yml, for the report when it cannot be read.
SETTINGS = "the title, url and baseurl, collections, permalinks, defaults, exclude and the menu"
NAV_KEYS = ("navigation", "nav", "main_navigation", "primary_navigation", "main_nav", "menu", "main_menu", "header_pages")


def jekyll_slugify(text: str) -> str:
    """Jekyll's default slugify: lower case, runs of anything but letters and digits to '-'.

    Not site.slugify: Jekyll keeps accented letters and makes its own keys and addresses this way."""
    return re.sub(r"[^\w]+|_+", "-", text.lower()).strip("-")


def _separator(value) -> str | None:
    """An `excerpt_separator` as the text to look for; None for Jekyll's own, a blank line (the first paragraph).

    An empty one turns excerpts off in Jekyll: the import still makes the description from the first paragraph."""
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class CopiedAsIs:
    """What `_read` found for a file Jekyll copies as it is rather than making a page of it."""


AS_IS = CopiedAsIs()


class JekyllReader:
    def __init__(self, root: Path, report: Report):
        self.root = root
        self.report = report
        self.site = SourceSite(kind="jekyll", root=root, taxonomies=["tags", "categories"])
        self.config_name = "_config.yml"   # the one read_config finds, for the report
        self.config = self.read_config()
        self.posts: list[SourcePage] = []
        self.summary_divider = _separator(self.config.get("excerpt_separator"))

    def read_config(self) -> dict:
        for name in ("_config.yml", "_config.yaml", "_config.toml"):   # Jekyll reads TOML too
            path = self.root / name
            if path.is_file():
                self.config_name = name
                text, problem = read_text(path)
                if text is None:
                    self.report.config_unread(name, 1, problem or "cannot read the file", SETTINGS)
                    return {}
                try:
                    data = tomllib.loads(text) if name.endswith(".toml") else yaml.safe_load(text)
                except (yaml.YAMLError, RecursionError, tomllib.TOMLDecodeError, ValueError) as exc:
                    line, why = syntax_problem(exc, text)
                    self.report.config_unread(name, line, why, SETTINGS)
                    return {}
                if data is not None and not isinstance(data, dict):
                    self.report.config_unread(name, 1, "it is not a list of `name: value` settings", SETTINGS)
                    return {}
                return data or {}
        return {}

    def divider(self, page: SourcePage) -> str | None:
        """The text a page's excerpt ends at: its own `excerpt_separator`, else the site's; None for the first paragraph."""
        if "excerpt_separator" in page.front:
            return _separator(page.front["excerpt_separator"])
        return self.summary_divider

    def read(self) -> SourceSite:
        cfg, site = self.config, self.site
        text = lambda key: str(cfg.get(key)).strip() if isinstance(cfg.get(key), (str, int, float)) and cfg.get(key) is not None else ""
        site.title = text("title")
        site.description = text("description")
        baseurl = "/" + text("baseurl").strip("/") if text("baseurl").strip("/") else ""
        self.baseurl = baseurl
        if text("url"):
            site.base_url = text("url").rstrip("/") + baseurl + "/"
            site.base_urls[site.base_url] = ""
        lang = text("lang") or text("locale") or text("language")
        if lang:
            parts = lang.replace("_", "-").split("-")
            site.language = parts[0].lower() + "".join("-" + p.upper() for p in parts[1:])
        site.variables = cfg
        self.style = text("permalink") or "date"
        self.collections = self.read_collections()
        self.defaults = cfg.get("defaults") if isinstance(cfg.get("defaults"), list) else []
        self.exclude = [str(x) for x in cfg.get("exclude") or [] if isinstance(x, str)] \
            if isinstance(cfg.get("exclude") or [], list) else []
        self.left_out: list[tuple[str, bool, str]] = []   # (path, is a folder, the `exclude:` entry it matched)
        self.include = [str(x) for x in cfg.get("include") or [] if isinstance(x, str)] \
            if isinstance(cfg.get("include") or [], list) else []
        self.read_files()
        self.report_left_out()
        self.place_pages()
        self.read_nav()
        kept = {"title", "description", "url", "baseurl", "lang", "locale", "collections", "permalink",
                "defaults", "exclude", "include", "collections_dir"}
        dropped = sorted(k for k in cfg if k not in kept)
        if dropped:
            self.report.add("setting", self.config_name, 1, "settings with no equivalent here (kept only in the source): "
                            + ", ".join(f"`{k}`" for k in dropped))
        used_defaults = sorted({k for d in self.defaults if isinstance(d, dict) and isinstance(d.get("values"), dict)
                                for k in d["values"] if k not in ("permalink", "published")})
        if used_defaults:
            self.report.add("setting", self.config_name, 1, "`defaults:` values not written onto each page: "
                            + ", ".join(f"`{k}`" for k in used_defaults))
        return site

    def read_collections(self) -> dict:
        raw = self.config.get("collections")
        out = {}
        if isinstance(raw, list):
            raw = {str(k): {} for k in raw}
        if isinstance(raw, dict):
            for label, settings in raw.items():
                out[str(label)] = settings if isinstance(settings, dict) else {}
        out.pop("posts", None)
        return out

    def _excluded(self, rel: str, is_dir: bool) -> bool:
        name = posixpath.basename(rel)
        if any(fnmatch.fnmatch(rel, pat.strip("/")) or fnmatch.fnmatch(name, pat.strip("/")) for pat in self.include):
            return False
        matches = lambda pat: fnmatch.fnmatch(rel, pat.strip("/")) or (fnmatch.fnmatch(name, pat) and "/" not in pat.strip("/"))
        if any(matches(pat) for pat in DEFAULT_EXCLUDE):
            return True   # the tools' files Jekyll itself leaves out: no pages of the site
        found = next((pat for pat in self.exclude + REPOSITORY_FILES if matches(pat)), None)
        if found is not None:
            self.left_out.append((rel, is_dir, found))
        return found is not None

    def report_left_out(self) -> None:
        """Every page `exclude:` (or the list of repository files) kept out, so each is accounted for."""
        for rel, is_dir, pattern in self.left_out:
            if pattern in REPOSITORY_FILES and pattern not in self.exclude:
                if not is_dir and posixpath.splitext(rel)[1].lower() in PAGE_SUFFIXES:
                    self.report.add("file", rel, 1, f"a file about the repository (`{pattern}`) rather than a page "
                                    "of the site: not imported; copy it into content/ if the old site published it")
                continue
            why = f"`{pattern}` is under `exclude:` in {self.config_name}, so Jekyll does not publish"
            if not is_dir:
                if posixpath.splitext(rel)[1].lower() in PAGE_SUFFIXES:
                    self.report.add("file", rel, 1, f"{why} it: not imported")
                continue
            pages = sorted(src for src, _ in walk(self.root, self.root / rel, self.report)
                           if posixpath.splitext(src)[1].lower() in PAGE_SUFFIXES)
            if pages:
                shown = ", ".join(pages[:5]) + (f" and {len(pages) - 5} more" if len(pages) > 5 else "")
                self.report.add("file", rel + "/", 1, f"{why} the {len(pages)} page{'s' if len(pages) > 1 else ''} "
                                f"in this folder ({shown}): none imported")

    def read_files(self) -> None:
        cdir = str(self.config.get("collections_dir") or "").strip("/")
        coll_dirs = {posixpath.join(cdir, "_" + label) if cdir else "_" + label: label for label in self.collections}
        for src, path in walk(self.root, self.root, self.report, skip=self._excluded):
            parts = src.split("/")
            if "_posts" in parts or "_drafts" in parts:
                self.add_post(src, path, "_drafts" in parts)
                continue
            coll = next((label for d, label in coll_dirs.items() if src.startswith(d + "/")), None)
            if coll is not None:
                self.add_document(src, path, coll, [d for d, lab in coll_dirs.items() if lab == coll][0])
                continue
            if any(p.startswith("_") for p in parts[:-1]) or parts[-1].startswith("_"):
                continue   # Jekyll's own folders: layouts, includes, data, sass, plugins
            self.add_page_or_file(src, path)
        skipped = [label for label, s in self.collections.items() if not s.get("output")]
        for label in skipped:
            self.report.add("file", self.config_name, 1, f"the collection `{label}` has no `output: true`: "
                            "Jekyll publishes no pages from it, so none were imported")

    def _read_page(self, src: str, path: Path, url: str | None = None) -> SourceText | None:
        """The page's text; None when it is not a page (a file copied as it is, at `url` if given,
        or one not imported and reported)."""
        parsed = self._read(src, path)
        if isinstance(parsed, CopiedAsIs):
            self.add_static(src, path, url=url)
            return None
        return parsed

    def _read(self, src: str, path: Path) -> SourceText | CopiedAsIs | None:
        """The page's text, AS_IS for a file to copy, or None when it is not imported (and reported)."""
        suffix = posixpath.splitext(src)[1].lower()
        if suffix not in PAGE_SUFFIXES:
            head = path.open("rb").read(4) if path.is_file() else b""
            if head.startswith(b"---") and suffix in (".xml", ".json", ".txt", ".css", ".scss", ".sass", ".js",
                                                      ".yml", ".yaml", ".rss", ".atom", ".webmanifest", ".csv"):
                self.report.add("file", src, 1, "a template Jekyll fills in (it has front matter): "
                                "policysite makes its own feeds and sitemaps; not imported")
                return None
            return AS_IS
        text, problem = read_text(path)
        if text is None:
            self.report.add("file", src, 1, f"{problem}: not imported")
            return None
        parsed = split(text)
        if not parsed.has_front:
            if parsed.problem:
                self.report.add("front-matter", src, 1, parsed.problem)
            if suffix in (".html", ".htm"):
                return AS_IS
            self.report.add("file", src, 1, "no front matter, so Jekyll copies it as it is rather than making a page: not imported")
            return None
        if problem:
            self.report.add("note", src, 1, problem)
        return parsed

    def _permalink_default(self, src: str, kind: str):
        found = None
        for entry in self.defaults:
            if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
                continue
            scope = entry.get("scope") if isinstance(entry.get("scope"), dict) else {}
            path = str(scope.get("path") or "").strip("/")
            if path and not (src == path or src.startswith(path + "/") or fnmatch.fnmatch(src, path)):
                continue
            if scope.get("type") and scope.get("type") != kind:
                continue
            found = {**(found or {}), **entry["values"]}
        return found or {}

    def add_page_or_file(self, src: str, path: Path) -> None:
        parsed = self._read_page(src, path)
        if parsed is None:
            return
        page = SourcePage(source=src, path=path, text=parsed)
        folder, name = posixpath.split(src)
        stem = name.rsplit(".", 1)[0]
        permalink = self._field(page, "permalink", "pages")
        if permalink:
            url = self._expand(permalink, {":path": folder, ":basename": stem, ":output_ext": ".html",
                                           ":title": stem, ":name": jekyll_slugify(stem)})
        elif stem == "index":
            url = "/" + (folder + "/" if folder else "")
        elif self.style == "pretty" or self.style.endswith("/"):
            url = "/" + (folder + "/" if folder else "") + stem + "/"
        else:
            url = "/" + (folder + "/" if folder else "") + stem + ".html"
        page.derived_title = title_from_name(stem if stem != "index" else posixpath.basename(folder) or "home")
        self._finish(page, url, stem == "index")

    def add_post(self, src: str, path: Path, draft: bool) -> None:
        parsed = self._read_page(src, path)
        if parsed is None:
            return
        name = posixpath.basename(src).rsplit(".", 1)[0]
        match = POST_NAME.match(name)
        if not match and not draft:
            self.report.add("file", src, 1, "a post whose file name does not start with its date (YYYY-MM-DD-): "
                            "Jekyll skips it, so it was not imported")
            return
        page = SourcePage(source=src, path=path, text=parsed, document=True)
        slug_part = match.group(2) if match else name
        page.file_date = when(match.group(1)) if match else None
        if page.file_date is None and match:
            page.file_date = when(match.group(1).replace("-", "/"))
        page.derived_title = title_from_name(slug_part)
        front = page.front
        date = when(front.get("date")) or page.file_date or ""
        categories = self._categories(src, front)
        slug = front.get("slug") if isinstance(front.get("slug"), str) else None
        permalink = self._field(page, "permalink", "posts") or STYLES.get(self.style, self.style)
        url = self._expand(permalink, {
            ":categories": "/".join(categories), ":year": date[:4], ":month": date[5:7],
            ":i_month": str(int(date[5:7])) if date[5:7].isdigit() else "", ":day": date[8:10],
            ":i_day": str(int(date[8:10])) if date[8:10].isdigit() else "", ":short_year": date[2:4],
            ":title": slug or slug_part, ":slug": slug or jekyll_slugify(slug_part), ":output_ext": ".html",
            ":name": jekyll_slugify(slug_part), ":path": posixpath.dirname(src), ":basename": name})
        if draft:
            front = dict(page.front)
            front.setdefault("draft", True)
            page.text.front = front
        self.posts.append(page)
        self._finish(page, url, False)

    def add_document(self, src: str, path: Path, label: str, folder: str) -> None:
        settings = self.collections[label]
        if not settings.get("output"):
            return
        parsed = self._read_page(src, path, url="/" + label + "/" + posixpath.relpath(src, folder))
        if parsed is None:
            return
        page = SourcePage(source=src, path=path, text=parsed, document=True)
        inner = posixpath.relpath(src, folder)
        stem_path = inner.rsplit(".", 1)[0]
        name = posixpath.basename(stem_path)
        match = POST_NAME.match(name)
        date = when(page.front.get("date")) or (when(match.group(1)) if match else "") or ""
        slug = page.front.get("slug") if isinstance(page.front.get("slug"), str) else None
        pattern = self._field(page, "permalink", label) or settings.get("permalink") or \
            ("/:collection/:path/" if self.style == "pretty" else "/:collection/:path:output_ext")
        pattern = STYLES.get(pattern, pattern) if isinstance(pattern, str) else "/:collection/:path/"
        url = self._expand(pattern, {
            ":collection": label, ":path": stem_path, ":name": jekyll_slugify(name), ":title": slug or name,
            ":slug": slug or jekyll_slugify(name), ":output_ext": ".html", ":year": date[:4], ":month": date[5:7],
            ":day": date[8:10], ":categories": "/".join(self._categories(src, page.front)), ":basename": name})
        if url.endswith("/index/") or url.endswith("/index.html"):
            url = url.rsplit("/index", 1)[0] + "/"
        page.derived_title = title_from_name(name)
        if match:
            page.file_date = when(match.group(1))
        self._finish(page, url, name == "index")

    def _categories(self, src: str, front: dict) -> list[str]:
        parts = src.split("/")
        above = parts[: parts.index("_posts")] if "_posts" in parts else []
        value = front.get("categories", front.get("category"))
        items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        return [jekyll_slugify(str(x)) for x in above + [i for i in items if isinstance(i, (str, int))] if str(x).strip()]

    def _field(self, page: SourcePage, key: str, kind: str):
        value = page.front.get(key)
        if value is None:
            value = self._permalink_default(page.source, kind).get(key)
            if key == "permalink" and value in STYLES:
                value = STYLES[value]
        if key == "permalink" and isinstance(value, str) and value in STYLES:
            value = STYLES[value]
        return value if isinstance(value, str) and value.strip() else None

    def _expand(self, pattern: str, tokens: dict) -> str:
        out = re.sub(r":[a-z_]+", lambda m: tokens.get(m.group(0), m.group(0)), pattern.strip())
        out = re.sub(r"/{2,}", "/", "/" + out.lstrip("/"))
        return out

    def _finish(self, page: SourcePage, url: str, index: bool) -> None:
        defaults = self._permalink_default(page.source, "pages")
        if defaults.get("published") is False and "published" not in page.front:
            page.text.front = {**page.front, "published": False}
        page.url = url
        target = normal_url(url)
        if not url.endswith("/") and not url.endswith("/index.html"):
            page.more_aliases.append(url)
        page.target = reserve(target)
        if page.target != target:
            self.report.add("address", page.source, 1,
                            f"`{target}` is the address of policysite's own page: this page moves to `{page.target}`")
        page.section = index
        self.site.pages.append(page)

    def add_static(self, src: str, path: Path, url: str | None = None) -> None:
        url = url or "/" + src
        if url.startswith("/assets/"):
            dest = url.lstrip("/")
        else:
            dest = "content" + url
        self.site.files.append(SourceFile(path=path, source=src, dest=dest, url=url))

    def place_pages(self) -> None:
        """DEST paths: pages where their address puts them, posts together in one folder."""
        posts = {id(p) for p in self.posts}
        below = set()
        for page in self.site.pages:
            if id(page) in posts:
                continue
            parts = page.target.strip("/").split("/")
            for i in range(1, len(parts)):
                below.add("/" + "/".join(parts[:i]) + "/")
        folder = self.posts_folder()
        for page in self.site.pages:
            if id(page) in posts:
                page.dest = f"{folder}/{dest_segment(posixpath.basename(page.source).rsplit('.', 1)[0])}.md"
                continue
            section = page.target in below or page.target == "/"   # an index with nothing below is a page
            dest = url_to_dest(page.target, section)
            if dest is None:
                folder_parts = [dest_segment(p) for p in posixpath.dirname(page.source).split("/") if p]
                dest = "/".join(folder_parts + [dest_segment(posixpath.basename(page.source).rsplit(".", 1)[0]) + ".md"])
            page.dest, page.section = dest, dest.endswith("_index.md")
        if posts:
            self.report.add("note", "content/" + folder, 1, f"{len(posts)} posts were put in content/{folder}/, "
                            "each keeping its old address with `url:`")

    def posts_folder(self) -> str:
        """The folder of the page that lists the posts (jekyll-paginate), else 'posts'."""
        for page in self.site.pages:
            pagination = page.front.get("pagination")
            if isinstance(pagination, dict):
                lists_posts = bool(pagination.get("enabled")) and pagination.get("collection", "posts") == "posts"
            else:
                lists_posts = "paginator.posts" in page.text.body
            if lists_posts and page.target != "/":
                return page.target.strip("/")
        return "posts"

    def read_nav(self) -> None:
        data_dir = self.root / "_data"
        sources = []
        for key in NAV_KEYS:
            if isinstance(self.config.get(key), list):
                sources.append((f"{self.config_name} `{key}`", self.config[key]))
        for name in ("navigation", "nav", "menu", "main_navigation", "header"):
            for suffix in (".yml", ".yaml"):
                path = data_dir / (name + suffix)
                if path.is_file():
                    text, _ = read_text(path)
                    try:
                        data = yaml.safe_load(text or "")
                    except yaml.YAMLError:
                        continue
                    if isinstance(data, dict):
                        for key in ("main", "primary", "header", "nav", "navigation"):
                            if isinstance(data.get(key), list):
                                data = data[key]
                                break
                    if isinstance(data, list):
                        sources.append((f"_data/{name}{suffix}", data))
        if not sources:
            return
        where, items = sources[0]
        for other, _ in sources[1:]:
            self.report.add("nav", other, 1, f"another menu; `nav:` was made from {where}")
        for index, item in enumerate(items):
            if isinstance(item, str):
                self.site.nav.append(NavEntry(title="", url=item, order=index))
                continue
            if not isinstance(item, dict):
                continue
            title = next((str(item[k]) for k in ("title", "name", "text", "label") if item.get(k)), "")
            url = next((str(item[k]) for k in ("url", "href", "link", "path") if item.get(k)), "")
            children = next((item[k] for k in ("children", "subfolderitems", "items", "subnav") if isinstance(item.get(k), list)), [])
            if not url and children:
                first = next((c for c in children if isinstance(c, dict)), {})
                url = next((str(first[k]) for k in ("url", "href", "link", "path") if first.get(k)), "")
                self.report.add("nav", where, 1, f"`{title}` opens a submenu of {len(children)} items: "
                                f"`nav:` is one level, so it links to its first item, `{url}`")
            elif children:
                self.report.add("nav", where, 1, f"the {len(children)} items under `{title}` were left out: `nav:` is one level")
            if url:
                url = re.sub(r"\{\{\s*site\.baseurl\s*\}\}", "", url)
                self.site.nav.append(NavEntry(title=title, url=url, order=index))

    # ------------------------------------------------------------ bodies

    def convert(self, page: SourcePage, resolver: Resolver, report: Report) -> tuple[str, dict]:
        notes: dict[str, str] = {}
        text = page.text.body
        raws: list[str] = []

        def keep_raw(m):
            raws.append(m.group(1))
            report.converted["raw"] += 1
            return f"\x00RAW{len(raws) - 1}\x00"
        text = re.sub(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", keep_raw, text, flags=re.S)

        def highlight(m):
            report.converted["highlight"] += 1
            return convert.fenced(m.group(1), m.group(2))
        text = re.sub(r"\{%-?\s*highlight\s+([\w+-]+)[^%]*%\}(.*?)\{%-?\s*endhighlight\s*-?%\}", highlight, text, flags=re.S)

        base = r"(?:\{\{-?\s*site\.url\s*-?\}\})?(?:\{\{-?\s*site\.baseurl\s*-?\}\})?"

        def link_tag(m):
            tag, arg = m.group(1), m.group(2).strip().strip("'\"")
            target = self.resolve_tag(tag, arg)
            if target is None:
                report.links_left += 1
                report.tags_to_no_page[f"{{% {tag} %}}"] += 1
                notes[m.group(0)] = f"`{m.group(0)}`: no {'post' if tag == 'post_url' else 'file'} `{arg}` in the source site"
                return m.group(0)
            report.links_rewritten += 1
            report.converted[tag] += 1
            return resolver.relative(page, target)
        text = re.sub(base + r"\{%-?\s*(link|post_url)\s+([^%]+?)\s*-?%\}", link_tag, text)

        def base_url(m):
            report.converted["site.baseurl"] += 1
            # Alone (`[home]({{ site.baseurl }})`) it is the site's root: the home page, not an empty address.
            return "" if m.string[m.end():m.end() + 1] in ("/", "#") else "/"
        text = re.sub(r"(?:\{\{-?\s*site\.url\s*-?\}\})?\{\{-?\s*site\.baseurl\s*-?\}\}(?=/|\"|'|\)|#)", base_url, text)
        text = re.sub(r"\{\{-?\s*site\.url\s*-?\}\}(?=/)", base_url, text)

        def filter_url(m):
            report.converted[m.group(2)] += 1
            return m.group(1)
        text = re.sub(r"\{\{-?\s*[\"']([^\"'{}]*)[\"']\s*\|\s*(relative_url|absolute_url|prepend:\s*site\.baseurl)\s*-?\}\}",
                      filter_url, text)

        def variable(m):
            key = m.group(1)
            value = self.site.variables
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is None and key.split(".")[0] not in JEKYLL_SITE_VALUES | set(self.collections):
                # Not set anywhere: Liquid shows nothing, so the old site showed nothing.
                report.converted[f"site.{key} (not set: empty)"] += 1
                return ""
            if not isinstance(value, (str, int, float)) or isinstance(value, bool) or key == "baseurl":
                return m.group(0)
            report.converted["site." + key] += 1
            return str(value)
        text = re.sub(r"\{\{-?\s*site\.([\w.-]+)\s*-?\}\}", variable, text)

        def include(m):
            name, args = m.group(1), m.group(2)
            params = _params(args)
            stem = posixpath.basename(name).rsplit(".", 1)[0].lower()
            content = params.get("content") or params.get("text") or params.get("message") or params.get("body")
            if stem in ("youtube", "vimeo", "video") and (params.get("id") or params.get("0") or params.get("src")):
                report.converted["include " + name] += 1
                return convert.video_link(stem if stem != "video" else "", params.get("id") or params.get("src") or params.get("0"),
                                          _plain(params.get("title", "")))
            src = params.get("src") or params.get("image") or params.get("url")
            alt = params.get("alt") or params.get("alt_text") or params.get("caption") or params.get("title")
            if stem in ("image", "img", "figure", "picture") and src and "{" not in src:
                report.converted["include " + name] += 1
                return convert.image(src, _plain(alt or ""), "", _plain(params.get("caption", "")) if params.get("alt") else "")
            marker = convert.callout_kind(stem, params)
            if marker and content:
                heading = params.get("heading") or params.get("title")
                result = convert.callout(marker, (f"**{_plain(heading)}** " if heading else "") + content)
                if result is not None:
                    report.converted["include " + name] += 1
                    return result
            return m.group(0)
        text = re.sub(r"\{%-?\s*include\s+([\w./-]+)(.*?)-?%\}", include, text, flags=re.S)

        def comment(m):
            report.converted["comment"] += 1
            return "<!--" + m.group(1).replace("--", "- -") + "-->"
        text = re.sub(r"\{%-?\s*comment\s*-?%\}(.*?)\{%-?\s*endcomment\s*-?%\}", comment, text, flags=re.S)

        def video(m):
            report.converted[m.group(1)] += 1
            return convert.video_link(m.group(1), m.group(2).strip("'\""), "")
        text = re.sub(r"\{%-?\s*(youtube|vimeo)\s+(\S+)\s*-?%\}", video, text)

        for loop in re.finditer(r"\{%-?\s*for\s+\w+\s+in\s+(paginator\.posts|site\.posts|site\.(?!data\b)[\w-]+)[^%]*%\}", text):
            notes[loop.group(0)] = (f"`{' '.join(loop.group(0).split())}`: a loop over {loop.group(1)}; policysite lists "
                                    "a section's pages (and each topic's) itself: keep an introduction here and "
                                    "remove the loop")
        text = convert.remove_toc_markers(text, report.converted)
        text = re.sub(r"\x00RAW(\d+)\x00", lambda m: raws[int(m.group(1))], text)
        return text, notes

    def resolve_tag(self, tag: str, arg: str):
        if tag == "link":
            arg = re.sub(r"\{\{-?\s*site\.baseurl\s*-?\}\}", "", arg).strip().lstrip("/")
            if not hasattr(self, "_by_source"):
                self._by_source = {f.source: f for f in self.site.files} | {p.source: p for p in self.site.pages}
            found = self._by_source.get(arg)
            while isinstance(found, SourcePage) and found.folded_into is not None:
                found = found.folded_into
            return found
        name = arg.strip().removesuffix(".md")
        for page in self.posts:
            stem = page.source.rsplit(".", 1)[0]
            if stem.endswith("/" + name) or posixpath.basename(stem) == posixpath.basename(name):
                while page.folded_into is not None:
                    page = page.folded_into
                return page
        return None


def read(root: Path, report: Report) -> tuple[SourceSite, JekyllReader]:
    reader = JekyllReader(root, report)
    return reader.read(), reader
