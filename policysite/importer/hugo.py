"""Reading a Hugo site: its config, content trees per language, static files, menus and shortcodes."""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
import unicodedata
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
    lower_keys,
    menu_entries,
    natural_url,
    normal_url,
    reserve,
    title_from_name,
)
from .frontmatter import read_text, split, syntax_problem, when
from .links import Resolver
from .report import Report
from .walk import walk

PAGE_SUFFIXES = {".md", ".markdown", ".mdown", ".html", ".htm"}
OTHER_FORMATS = {".adoc", ".asciidoc", ".org", ".rst", ".pandoc", ".pdc", ".ipynb"}
CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
# What the import takes from the configuration, for the report when it cannot be read.
SETTINGS = "the title, base URL, languages, taxonomies, permalinks and menus"


def urlize(text: str, lower: bool = True) -> str:
    """Hugo's path sanitising: spaces to '-', letters, digits and a few marks kept."""
    out = []
    for ch in text.strip():
        if ch.isspace():
            out.append("-")
        elif ch.isalnum() or unicodedata.category(ch).startswith("M") or ch in "%./_-#+~":
            out.append(ch)
    result = "".join(out)
    return result.lower() if lower else result


def topic_key(name: str) -> str:
    """A taxonomy term as Hugo writes its address (urlize), kept to what our addresses allow."""
    return re.sub(r"[^\w.~-]+", "", urlize(name)).strip(".") or ""


@dataclass
class Language:
    """One language of the site as its addresses and files are laid out."""
    space: str        # key of its address space ('' when the site has one language)
    prefix: str       # what its old addresses start with: '', '/fr', or the path of its own base URL
    settings: dict[str, object]   # its block under `languages:`
    content: str      # its content folder, from SRC


# ---------------------------------------------------------------- config

def _load_config_file(path: Path, report: Report, root: Path) -> dict:
    text, problem = read_text(path)
    where = path.relative_to(root).as_posix()
    if text is None:
        report.config_unread(where, 1, problem or "cannot read the file", SETTINGS)
        return {}
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, ValueError, yaml.YAMLError, RecursionError) as exc:
        line, why = syntax_problem(exc, text)
        report.config_unread(where, line, why, SETTINGS)
        return {}
    if data is not None and not isinstance(data, dict):
        report.config_unread(where, 1, "it is not a list of `name: value` settings", SETTINGS)
        return {}
    return data or {}


def _lower(value):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.setdefault(str(k).lower(), _lower(v))
        return out
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value


def _merge(into: dict, more: dict) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def read_config(root: Path, report: Report) -> dict:
    """The site's configuration with lower-case keys: root file, then config/_default/*."""
    config: dict = {}
    for name in CONFIG_NAMES:
        for suffix in CONFIG_SUFFIXES:
            path = root / (name + suffix)
            if path.is_file():
                _merge(config, _lower(_load_config_file(path, report, root)))
                config["_file"] = name + suffix
                break
        else:
            continue
        break
    folder = root / "config" / "_default"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix not in CONFIG_SUFFIXES or not path.is_file():
                continue
            data = _lower(_load_config_file(path, report, root))
            stem = path.stem.lower()
            name, _, lang = stem.partition(".")
            if name in CONFIG_NAMES:
                _merge(config, data)
            elif lang:
                _merge(config.setdefault("languages", {}).setdefault(lang, {}), {name: data})
            else:
                _merge(config, {name: data})
    return config


# ---------------------------------------------------------------- reading

class HugoReader:
    summary_divider = "<!--more-->"

    def divider(self, page: SourcePage) -> str:
        """The text a page's summary ends at (`<!--more-->`, whatever the page)."""
        return self.summary_divider

    def __init__(self, root: Path, report: Report):
        self.root = root
        self.report = report
        self.config = read_config(root, report)
        self.site = SourceSite(kind="hugo", root=root)
        self.by_rel: dict[tuple[str, str], SourcePage] = {}       # (space, path in its content root)
        self.by_name: dict[tuple[str, str], list[SourcePage]] = {}
        self.rel_of: dict[int, str] = {}
        self.folders: set[str] = set()     # the new site's folders of pages, from the resolver

    def read(self) -> SourceSite:
        cfg, site = self.config, self.site
        site.title = str(cfg.get("title") or "")
        if not site.title and isinstance(cfg.get("languages"), dict):
            first = cfg["languages"].get(str(cfg.get("defaultcontentlanguage") or "en").lower())
            if isinstance(first, dict) and isinstance(first.get("title"), str):
                site.title = first["title"]
        site.base_url = str(cfg.get("baseurl") or "")
        params = cfg.get("params") if isinstance(cfg.get("params"), dict) else {}
        site.description = str(params.get("description") or "") if isinstance(params.get("description"), str) else ""
        site.variables = params
        taxonomies = cfg.get("taxonomies")
        if isinstance(taxonomies, dict):
            site.taxonomies = [str(v).lower() for v in taxonomies.values() if isinstance(v, str)] + ["topics"]
        self.lower_paths = not cfg.get("disablepathtolower")

        languages = cfg.get("languages") if isinstance(cfg.get("languages"), dict) else {}
        default = str(cfg.get("defaultcontentlanguage") or "en").lower()
        in_subdir = bool(cfg.get("defaultcontentlanguageinsubdir"))
        content_dir = str(cfg.get("contentdir") or "content")
        self.langs: dict[str, Language] = {}
        multilingual = len(languages) > 1
        order = sorted(languages.items(), key=lambda kv: (kv[1].get("weight", 0) if isinstance(kv[1], dict) else 0, kv[0]))
        for code, settings in order or [(default, {})]:
            settings = settings if isinstance(settings, dict) else {}
            code = str(code).lower()
            space = code if multilingual else ""
            own_base = settings.get("baseurl")
            if own_base and multilingual:
                prefix = posixpath.normpath("/" + re.sub(r"^[a-z]+://[^/]*", "", str(own_base))).rstrip("/")
                site.base_urls[str(own_base)] = space
            elif multilingual and (code != default or in_subdir):
                prefix = "/" + code
            else:
                prefix = ""
            self.langs[code] = Language(space=space, prefix=prefix, settings=settings,
                                        content=str(settings.get("contentdir") or content_dir))
        if default not in self.langs:
            default = next(iter(self.langs))
        self.default = default
        site.default_space = self.langs[default].space
        if site.base_url and site.base_url not in site.base_urls:
            site.base_urls[site.base_url] = site.default_space
        if not site.base_url:
            own = self.langs[default].settings.get("baseurl")
            site.base_url = str(own) if own else ""
        lang_settings = self.langs[default].settings
        code = cfg.get("languagecode") or lang_settings.get("languagecode") or lang_settings.get("lang") or \
            (default if languages else None)
        if isinstance(code, str) and code:
            parts = code.replace("_", "-").split("-")
            site.language = parts[0].lower() + "".join("-" + p.upper() for p in parts[1:])
        if multilingual:
            others = [c for c in self.langs if c != default]
            self.report.add("language", "content", 1,
                            f"the site is in {len(self.langs)} languages ({', '.join(self.langs)}): `{default}` "
                            f"is at the root of content/ and each other language is a section of its own "
                            f"({', '.join('content/' + c + '/' for c in others)}); `translationKey` is kept under "
                            f"`extra` so the pairs can be joined when policysite supports translations")

        self.read_pages()
        self.read_static()
        self.read_menus()
        return site

    def read_pages(self) -> None:
        seen_dirs: dict[str, list[str]] = {}
        for code, lang in self.langs.items():
            seen_dirs.setdefault(lang.content, []).append(code)
        for content_dir, codes in seen_dirs.items():
            folder = self.root / content_dir
            if not folder.resolve().is_relative_to(self.root.resolve()):
                self.report.add("file", content_dir, 1, "the content folder is outside the source site: not read")
                continue
            files = walk(self.root, folder, self.report)
            rels = {posixpath.relpath(src, content_dir): (src, path) for src, path in files}
            # Leaf bundles: folders (not content/ itself) whose index.* is a page; the rest inside are its resources.
            bundles = {posixpath.dirname(rel) for rel in rels
                       if posixpath.dirname(rel) and posixpath.basename(rel).rsplit(".", 1)[0] == "index"
                       and posixpath.splitext(rel)[1].lower() in PAGE_SUFFIXES}
            resources: dict[str, list] = {}
            first_page = len(self.site.pages)
            for rel, (src, path) in sorted(rels.items()):
                suffix = posixpath.splitext(rel)[1].lower()
                bundle = next((b for b in _ancestors(rel) if b in bundles), None)
                is_page = suffix in PAGE_SUFFIXES
                if bundle is not None and not (is_page and rel.rsplit(".", 1)[0] == bundle + "/index"):
                    if is_page:
                        self.report.add("file", src, 1, "a page inside a leaf bundle: Hugo does not publish it, "
                                        "so it was not imported")
                    else:
                        resources.setdefault(bundle, []).append((rel[len(bundle) + 1:], src, path))
                    continue
                if suffix in OTHER_FORMATS:
                    self.report.add("file", src, 1, f"a {suffix} page: policysite reads only Markdown; copy its text into a .md file")
                    continue
                code = self._language(rel, codes)
                if is_page:
                    self.add_page(rel, src, path, code, rel.rsplit(".", 1)[0].endswith("/index") and
                                  posixpath.dirname(rel) in bundles)
                else:
                    self.add_content_file(rel, src, path, code)
            for page in self.site.pages[first_page:]:
                for inner, src, path in resources.get(page.bundle, []) if page.bundle is not None else []:
                    page.resources.append(SourceFile(path=path, source=src, dest="content/" + page.dest[:-3] + "/" + inner,
                                                     url=normal_url(page.url) + inner, space=page.space))

    def _language(self, rel: str, codes: list[str]) -> str:
        if len(codes) == 1 and len(self.langs) == 1:
            return codes[0]
        name = posixpath.basename(rel)
        parts = name.split(".")
        if len(parts) >= 3 and parts[-2].lower() in self.langs:
            return parts[-2].lower()
        return self.default if self.default in codes else codes[0]

    def add_page(self, rel: str, src: str, path: Path, code: str, is_bundle: bool) -> None:
        text, problem = read_text(path)
        if text is None:
            self.report.add("file", src, 1, f"{problem}: not imported")
            return
        self.site.pages.append(page := SourcePage(source=src, path=path, text=split(text)))
        if problem:
            self.report.add("note", src, 1, problem)
        lang = self.langs[code]
        page.space, page.lang = lang.space, code
        folder, name = posixpath.split(rel)
        stem = name.rsplit(".", 1)[0]
        if stem.endswith("." + code):
            stem = stem[: -len(code) - 1]
        front = lower_keys(page.front)
        value = lambda key: front.get(key, (None, None))[1]
        parts = folder.split("/") if folder else []
        if stem == "_index" and len(parts) == 2 and parts[0].lower() in self.site.taxonomies:
            page.term = topic_key(parts[1])
        if stem == "_index":
            page.section = True
            page.derived_title = title_from_name(posixpath.basename(folder)) if folder else (self.site.title or "Home")
            old = "/" + "".join(urlize(p, self.lower_paths) + "/" for p in folder.split("/") if p)
            dest_parts = [dest_segment(p) for p in folder.split("/") if p] + ["_index.md"]
        else:
            if is_bundle:
                page.bundle = folder
                folder, stem = posixpath.split(folder)
            page.derived_title = title_from_name(stem)
            date_match = re.match(r"^(\d{4}-\d{2}-\d{2})[-_]?", stem)
            if date_match:
                page.file_date = when(date_match.group(1))
                if self.filename_dates(lang) and date_match.end() < len(stem):
                    # Hugo's `:filename` date handler: the rest of the name is the page's name.
                    front.setdefault("slug", ("slug", stem[date_match.end():]))
            old = self._permalink(page, folder, stem, front, lang)
            dest_parts = [dest_segment(p) for p in folder.split("/") if p] + [dest_segment(stem) + ".md"]
            if stem == "index" and not folder:
                dest_parts = ["index-page.md"]
        url = value("url")
        if isinstance(url, str) and url.strip():
            url = re.sub(r"^[a-z]+://[^/]*", "", url.strip())
            page.url = url if url.startswith("/") else "/" + url
        else:
            page.url = lang.prefix + old
        path_only = normal_url(page.url)
        if page.url.rstrip("/").endswith((".html", ".htm")):
            page.more_aliases.append(page.url)
        target = path_only
        if lang.prefix and target.startswith(lang.prefix + "/"):
            target = target[len(lang.prefix):]
        if code != self.default:
            target = "/" + code + target
            dest_parts = [code] + dest_parts
            page.alias_prefix = code
        page.target = reserve(target)
        if page.target != target:
            self.report.add("address", "content/" + "/".join(dest_parts), 1,
                            f"`{target}` is the address of policysite's own page: this page moves to `{page.target}`")
        page.dest = "/".join(dest_parts)
        rel_key = posixpath.relpath(src, self.langs[code].content)
        self.rel_of[id(page)] = rel_key
        self.by_rel[(page.space, rel_key)] = page
        for key in {posixpath.basename(rel_key), posixpath.basename(rel_key).rsplit(".", 1)[0]}:
            self.by_name.setdefault((page.space, key), []).append(page)
        if posixpath.basename(rel_key).rsplit(".", 1)[0] in ("index", "_index") and posixpath.dirname(rel_key):
            self.by_name.setdefault((page.space, posixpath.basename(posixpath.dirname(rel_key))), []).append(page)

    def filename_dates(self, lang) -> bool:
        """True when the site takes dates (and names) from file names (`frontmatter: date: [":filename"]`)."""
        for settings in (lang.settings, self.config):
            frontmatter = settings.get("frontmatter")
            if isinstance(frontmatter, dict):
                handlers = frontmatter.get("date")
                handlers = handlers if isinstance(handlers, list) else [handlers]
                return ":filename" in [str(h).lower() for h in handlers]
        return False

    def _permalink(self, page, folder, stem, front, lang) -> str:
        value = lambda key: front.get(key, (None, None))[1]
        slug = value("slug")
        slug = str(slug).strip() if isinstance(slug, (str, int)) and str(slug).strip() else None
        section = folder.split("/")[0] if folder else ""
        patterns = lang.settings.get("permalinks") or self.config.get("permalinks") or {}
        if isinstance(patterns, dict) and isinstance(patterns.get("page"), dict):
            patterns = patterns["page"]
        pattern = patterns.get(section.lower()) if isinstance(patterns, dict) and section else None
        if isinstance(pattern, str) and pattern.strip():
            date = when(value("date")) or page.file_date or ""
            title = value("title") if isinstance(value("title"), str) else stem
            tokens = {
                ":year": date[:4], ":month": date[5:7], ":day": date[8:10],
                ":monthname": _month_name(date), ":yearday": "",
                ":title": urlize(title), ":slug": urlize(slug or title), ":filename": urlize(stem),
                ":section": urlize(section), ":sections": "/".join(urlize(p) for p in folder.split("/") if p),
                ":contentbasename": urlize(stem), ":slugorfilename": urlize(slug or stem),
                ":slugorcontentbasename": urlize(slug or stem),
            }
            out = re.sub(r":[a-z]+", lambda m: tokens.get(m.group(0), m.group(0)), pattern.strip())
            out = re.sub(r"/{2,}", "/", "/" + out.strip("/") + "/")
            return out
        parts = [urlize(p, self.lower_paths) for p in folder.split("/") if p]
        if slug and "/" not in slug:
            parts.append(urlize(slug, self.lower_paths))
        elif slug:
            return "/" + slug.strip("/") + "/"
        else:
            parts.append(urlize(stem, self.lower_paths))
        return "/" + "".join(p + "/" for p in parts if p)

    def add_content_file(self, rel: str, src: str, path: Path, code: str) -> None:
        folder, name = posixpath.split(rel)
        dest_folder = [dest_segment(p) for p in folder.split("/") if p]
        if code != self.default:
            dest_folder = [code] + dest_folder
        url = "/" + "".join(urlize(p, self.lower_paths) + "/" for p in folder.split("/") if p) + name
        self.site.files.append(SourceFile(path=path, source=src, dest="/".join(["content"] + dest_folder + [name]),
                                          url=self.langs[code].prefix + url, space=self.langs[code].space))

    def read_static(self) -> None:
        static = self.config.get("staticdir") or "static"
        folders = static if isinstance(static, list) else [static]
        self.site.static_folders = [folder.strip("/") for folder in folders if isinstance(folder, str)]
        for folder in folders:
            if not isinstance(folder, str):
                continue
            for src, path in walk(self.root, self.root / folder, self.report):
                rel = posixpath.relpath(src, folder)
                self.site.files.append(static_file(path, src, rel))
        for src, path in walk(self.root, self.root / "assets", self.report):
            rel = posixpath.relpath(src, "assets")
            self.site.files.append(SourceFile(path=path, source=src, dest="assets/" + rel, url="/assets/" + rel))

    def read_menus(self) -> None:
        """The main menu, from the config and from front matter, for `nav:`."""
        entries: list[NavEntry] = []
        others: dict[str, int] = {}
        menus = {}
        for source in (self.config, self.langs[self.default].settings):
            for key in ("menu", "menus"):
                if isinstance(source.get(key), dict):
                    for name, items in source[key].items():
                        menus.setdefault(str(name), []).extend(items if isinstance(items, list) else [])
        for name, items in menus.items():
            if name.lower() != "main":
                others[name] = others.get(name, 0) + len(items)
                continue
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                if item.get("parent"):
                    self.report.add("nav", self.config.get("_file", "config"), 1, f"`{item.get('name')}` is under `{item.get('parent')}` in the main menu: "
                                    "`nav:` is one level, so it was left out")
                    continue
                url = item.get("url") or item.get("pageref") or ""
                entries.append(NavEntry(title=str(item.get("name") or item.get("title") or ""), url=str(url),
                                        weight=_number(item.get("weight")), order=index))
        for page in self.site.pages:
            if page.lang != self.default:
                continue
            front = lower_keys(page.front)
            for key in ("menu", "menus"):
                for name, settings in menu_entries(front.get(key, (None, None))[1]).items():
                    if name.lower() != "main":
                        others[name] = others.get(name, 0) + 1
                        continue
                    if settings.get("parent"):
                        self.report.add("nav", page.source, 1, "the page is under another item of the main menu: "
                                        "`nav:` is one level, so it was left out")
                        continue
                    weight = settings.get("weight", front.get("weight", (None, 0))[1])
                    title = settings.get("name") or front.get("linktitle", (None, None))[1] or ""
                    entries.append(NavEntry(title=str(title), url="", weight=_number(weight),
                                            order=1000 + len(entries), page=page))
        for name, count in sorted(others.items()):
            self.report.add("nav", self.config.get("_file", "config"), 1, f"the menu `{name}` ({count} entries) was not imported: "
                            "`nav:` holds the main menu only")
        self.site.nav = entries

    # ------------------------------------------------------------ bodies

    def convert(self, page: SourcePage, resolver: Resolver, report: Report) -> tuple[str, dict]:
        """The body with the shortcodes we understand turned into Markdown; notes for those left."""
        notes: dict[str, str] = {}
        self.folders = resolver.folders
        text = page.text.body
        text = re.sub(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", lambda m: "{{" + m.group(1) + m.group(2) + m.group(3) + "}}",
                      text, flags=re.S)
        out, pos = [], 0
        for match in SHORTCODE.finditer(text):
            if match.start() < pos:
                continue
            name = match.group("name")
            params = _params(match.group("args"))
            replacement, end = None, match.end()
            lname = name.lower()
            if match.group("close"):
                continue
            if lname in ("ref", "relref"):
                target = params.get("path") or params.get("0") or ""
                lang = (params.get("lang") or params.get("1") or "").lower()
                found = self.resolve_ref(target, page, self.langs[lang].space if lang in self.langs else None)
                if found is not None:
                    replacement = found
                    report.links_rewritten += 1
                    report.converted[lname] += 1
                else:
                    report.links_left += 1
                    report.tags_to_no_page["{{< " + lname + " >}}" if match.group("open") == "<" else "{{% " + lname + " %}}"] += 1
                    notes[match.group(0)] = f"`{match.group(0)}`: no page `{target}` in the source site"
            elif lname in ("figure", "image", "img", "picture"):
                src = params.get("src") or params.get("0") or ""
                alt = params.get("alt") or params.get("caption") or params.get("title") or ""
                if src and not re.match(r"^[a-z]+:|^/", src) and self.rooted(lname):
                    src = "/" + src
                if src and "/" not in src and "." not in src:
                    # A key the site's own template looks up (in data/ or a CDN): no path to write.
                    notes[match.group(0)] = (f"`{_short(match.group(0))}`: `{src}` is a name the old site's "
                                             "template turned into an address: write the image's path")
                    src = ""
                if src:
                    replacement = convert.image(src, _plain(alt), _plain(params.get("title", "")),
                                                _plain(params.get("caption", "")) if params.get("alt") else "",
                                                params.get("link", ""))
                    report.converted[lname] += 1
                    if not alt:
                        report.add("image", "content/" + page.dest, 0, f"`{src}` has no alt text: say what the image shows")
            elif lname in ("youtube", "vimeo", "video", "bilibili"):
                ident = params.get("id") or params.get("src") or params.get("0") or ""
                if ident:
                    replacement = convert.video_link(lname if lname != "video" else "", ident, _plain(params.get("title", "")))
                    report.converted[lname] += 1
            elif lname in ("link", "a") and (params.get("src") or params.get("href") or params.get("url")) and \
                    (params.get("title") or params.get("text")):
                href = params.get("src") or params.get("href") or params.get("url")
                if not re.match(r"^[a-z]+:|^/|^#", href) and self.rooted(lname):
                    href = "/" + href
                replacement = f"[{_plain(params.get('title') or params.get('text'))}]({href})"
                report.converted[lname] += 1
            elif lname == "param":
                key = params.get("0") or params.get("name") or ""
                found = _lookup(page.front, key) if key else None
                if found is None and key:
                    found = _lookup(self.site.variables, key.lower())
                if isinstance(found, (str, int, float)) and not isinstance(found, bool):
                    replacement = str(found)
                    report.converted[lname] += 1
            elif lname in ("highlight",) or convert.callout_kind(lname, params) or lname in ("details",):
                closing = re.compile(r"\{\{[<%]-?\s*/\s*" + re.escape(name) + r"\s*-?[>%]\}\}")
                close = closing.search(text, match.end())
                if close is not None:
                    inner = text[match.end():close.start()]
                    if lname == "highlight":
                        replacement = convert.fenced(params.get("0", ""), inner)
                    elif lname != "details":
                        marker = convert.callout_kind(lname, params)
                        title = _plain(params.get("title", ""))
                        replacement = convert.callout(marker, (f"**{title}** " if title else "") + inner)
                        if replacement is None:
                            notes[match.group(0)] = (f"`{match.group(0)}`: holds more than one paragraph, "
                                                     f"so it could not become a callout (`^...^` or `%...%`)")
                    if replacement is not None:
                        end = close.end()
                        report.converted[lname] += 1
            if replacement is None:
                continue
            out.append(text[pos:match.start()])
            out.append(replacement)
            pos = end
        out.append(text[pos:])
        return "".join(out), notes

    def rooted(self, name: str) -> bool:
        """True when the site's own shortcode puts the site's address before its `src` (so it is from the root)."""
        for folder in ("layouts/shortcodes", "layouts/_shortcodes"):
            path = self.root / folder / (name + ".html")
            if path.is_file() and path.resolve().is_relative_to(self.root.resolve()):
                text, _ = read_text(path)
                return bool(text) and bool(re.search(r"BaseURL\s*\}\}/?\{\{|absURL|relURL", text))
        return False

    def resolve_ref(self, target: str, page: SourcePage, space: str | None = None) -> str | None:
        """`ref`/`relref` as Hugo resolves it: by path from this page or from content/, else by unique name."""
        target = target.strip()
        path, _, fragment = target.partition("#")
        fragment = "#" + fragment if fragment else ""
        if not path:
            return fragment or None
        same = space is None or space == page.space
        space = page.space if space is None else space
        here = posixpath.dirname(self.rel_of.get(id(page), "")) if same else ""
        path = path.strip()
        candidates = []
        clean = path.strip("/")
        bases = [""] if path.startswith("/") else [here, ""]
        for base in bases:
            joined = posixpath.normpath(posixpath.join(base, clean)) if clean else base
            for suffix in ("", ".md", ".markdown", ".html", "/index.md", "/_index.md", "/index.html", "/_index.html"):
                candidates.append(joined + suffix)
        for candidate in candidates:
            found = self.by_rel.get((space, candidate))
            if found is not None:
                return self._link(page, found, fragment)
        name = posixpath.basename(clean)
        for key in (name, name.rsplit(".", 1)[0] if "." in name else name):
            matches = self.by_name.get((space, key), [])
            if len(matches) == 1:
                return self._link(page, matches[0], fragment)
        # A folder of pages with no _index.md: the new site lists it at its folder's address.
        code = next((c for c, lang in self.langs.items() if lang.space == space), self.default)
        for base in bases:
            folder = posixpath.normpath(posixpath.join(base, clean)) if clean else base
            parts = ([code] if code != self.default else []) + [dest_segment(p) for p in folder.split("/") if p not in ("", ".")]
            url = natural_url("/".join(parts + ["_index.md"]))
            if parts and url in self.folders:
                return url + fragment
        return None

    def _link(self, page, found, fragment):
        while found.folded_into is not None:
            found = found.folded_into
        if found is page:
            return fragment or posixpath.basename(page.dest)
        here = posixpath.dirname(page.dest)
        return posixpath.relpath(found.dest, here or ".") + fragment


SHORTCODE = re.compile(r"\{\{(?P<open>[<%])-?\s*(?P<close>/)?\s*(?P<name>[\w./-]+)(?P<args>.*?)-?\s*[>%]\}\}", re.S)
_PARAM = re.compile(r'(?:([\w-]+)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|\'[^\']*\'|[^\s"`]+)', re.S)


def _params(args: str) -> dict:
    out: dict = {}
    index = 0
    for match in _PARAM.finditer(args.strip().rstrip("/")):
        key, value = match.groups()
        if value[:1] in ('"', "`", "'"):
            value = value[1:-1]
            value = value.replace('\\"', '"')
        if key:
            out[key.lower()] = value
        else:
            out[str(index)] = value
            index += 1
    return out


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", text or "").split())


def _lookup(data, dotted: str):
    for part in dotted.lower().removeprefix(".").removeprefix("params.").split("."):
        if not isinstance(data, dict):
            return None
        data = {str(k).lower(): v for k, v in data.items()}.get(part)
    return data


def _ancestors(rel: str):
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _month_name(date: str) -> str:
    months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december"]
    return months[int(date[5:7]) - 1] if len(date) >= 7 and date[5:7].isdigit() and 1 <= int(date[5:7]) <= 12 else ""


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def static_file(path: Path, source: str, rel: str) -> SourceFile:
    """A file published at /REL: under assets/ when its address is there, else under content/ (same address)."""
    if rel.startswith("assets/"):
        return SourceFile(path=path, source=source, dest=rel, url="/" + rel)
    return SourceFile(path=path, source=source, dest="content/" + rel, url="/" + rel)


def read(root: Path, report: Report) -> tuple[SourceSite, HugoReader]:
    reader = HugoReader(root, report)
    return reader.read(), reader
