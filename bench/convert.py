"""Convert a generated policysite site into each peer generator's format.

Used by bench/compare.py; can also be run on its own:

    python bench/convert.py SITE OUTDIR [hugo,hugo-hooks,hugo-minimal,eleventy,mkdocs]

The aim is comparable work, not pixel-equal output. Every peer gets:

- the same Markdown bodies and front matter (fields a peer does not know are
  kept as plain data);
- a page for every section, including folders that have no `_index.md`
  (policysite generates those), written as a small index page;
- templates with a skip link, `<h1>`, meta description, breadcrumbs built from
  the page's ancestors, and section pages listing their children.

Links (what each peer is asked to do with our `.md` links):

- Hugo ("hugo"): every internal link becomes
  `{{< relref "/path/to/page.md#frag" >}}`, so Hugo itself resolves and checks
  each target (as policysite does); empty link texts get the target's title.
  Topics become a Hugo taxonomy, so Hugo builds the topic pages policysite
  builds.
- Hugo with render hooks ("hugo-hooks"): the same layouts; links stay plain
  Markdown links to content paths (`/path/to/page.md#frag`, a section as
  `/path/to`), which a link render hook (layouts/_default/_markup/
  render-link.html) resolves with site.GetPage, failing the build on a
  missing page and filling empty texts with the target's title.
- Hugo with minimal layouts ("hugo-minimal"): title, description and body,
  and section pages listing their pages; links are plain page addresses
  (`/policy/x/#frag`) that nothing resolves or checks.
- Eleventy: plain root-relative URLs (`/policy/x/#frag`), since Eleventy has
  no link resolution (nothing checks them); topics become tags with one
  paginated topic page per tag; heading ids come from markdown-it-anchor when
  `BENCH_NPM_PREFIX` points at the npm prefix that has it.
- MkDocs: relative `.md` paths, which MkDocs resolves and checks natively
  (`_index.md` renamed `index.md`, root-relative paths made relative). Default
  theme, nav generated from the folders.

Only the standard library is used.
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import sys

LINK_RE = re.compile(r"(?<!!)\[([^\]\n]*)\]\(([^)\s]+)\)")
EXTERNAL = ("http:", "https:", "mailto:", "tel:")


def _title_from_fm(fm: str) -> str | None:
    m = re.search(r"^title:\s*(.+)$", fm, re.M)
    if not m:
        return None
    v = m.group(1).strip()
    if v.startswith('"'):
        return json.loads(v)
    return v.strip("'")


def _folder_title(name: str) -> str:
    t = name.replace("-", " ")
    return t[:1].upper() + t[1:]


class Corpus:
    """The generated site, read once: sources, titles, URLs and sections."""

    def __init__(self, site: str):
        self.site = site
        self.content = os.path.join(site, "content")
        self.pages: dict[str, tuple[str, str]] = {}   # src -> (front matter, body)
        self.titles: dict[str, str] = {}
        self.folders: set[str] = set()
        for d, dirs, files in os.walk(self.content):
            dirs.sort()
            rel_d = os.path.relpath(d, self.content).replace(os.sep, "/")
            rel_d = "" if rel_d == "." else rel_d
            self.folders.add(rel_d)
            for f in sorted(files):
                if not f.endswith(".md"):
                    continue
                src = posixpath.join(rel_d, f) if rel_d else f
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    text = fh.read()
                _, fm, body = text.split("---\n", 2)
                self.pages[src] = (fm, body)
                self.titles[src] = _title_from_fm(fm) or src
        self.by_url = {self.url(s): s for s in self.pages}
        with open(os.path.join(site, "site_config.yaml"), encoding="utf-8") as fh:
            self.config_text = fh.read()

    @staticmethod
    def url(src: str) -> str:
        if src == "_index.md":
            return "/"
        if src.endswith("/_index.md"):
            return "/" + src[: -len("_index.md")]
        return "/" + src[:-3] + "/"

    def missing_indexes(self) -> list[str]:
        """Folders with no _index.md (policysite generates their page)."""
        return sorted(f for f in self.folders
                      if (posixpath.join(f, "_index.md") if f else "_index.md") not in self.pages)

    def resolve(self, src: str, href: str) -> tuple[str, str] | None:
        """(target src, fragment) for an internal link, None if external."""
        if href.startswith(EXTERNAL):
            return None
        path, _, frag = href.partition("#")
        if not path:
            return src, frag
        if path.startswith("/") and not path.endswith(".md"):
            target = self.by_url[path if path.endswith("/") else path + "/"]
        elif path.startswith("/"):
            target = path[1:]
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(src), path))
        if target not in self.pages:
            raise ValueError(f"{src}: unresolved link {href}")
        return target, frag

    def rewrite(self, src: str, body: str, fn, fill_empty: bool = True) -> str:
        """Replace each internal link with fn(target_src, fragment) -> href;
        empty link texts get the target's title unless fill_empty is false."""
        def sub(m):
            text, href = m.group(1), m.group(2)
            r = self.resolve(src, href)
            if r is None:
                return m.group(0)
            target, frag = r
            if not text and fill_empty:
                text = self.titles[target]
            return f"[{text}]({fn(target, frag)})"
        return LINK_RE.sub(sub, body)

    def config(self) -> dict:
        """site_config.yaml, read without PyYAML (the generator's subset)."""
        cfg: dict = {}
        section = None
        key = None
        for line in self.config_text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            k, _, v = line.strip().partition(":")
            v = v.strip()
            val = json.loads(v) if v.startswith('"') else v
            if indent == 0:
                section = k
                cfg[k] = val if v else {}
            elif indent == 2:
                key = k
                cfg[section][k] = {}
            else:
                cfg[section][key][k] = val
        return cfg


def _write(path: str, text: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _split_related(fm: str) -> tuple[str, list[str]]:
    """Remove the `related:` list from front matter; return it separately."""
    m = re.search(r"^related:\n((?:  - .*\n?)+)", fm, re.M)
    if not m:
        return fm, []
    items = [line[4:].strip() for line in m.group(1).splitlines()]
    return fm[: m.start()] + fm[m.end():], items


# ---------------------------------------------------------------- Hugo

HUGO_BASEOF = """<!DOCTYPE html>
<html lang="{{ site.Language.Locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} - {{ end }}{{ site.Title }}</title>
<meta name="description" content="{{ .Description }}">
<link rel="canonical" href="{{ .Permalink }}">
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header>
{{- if not .IsHome }}
<nav aria-label="Breadcrumb"><ol>
{{- range .Ancestors.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end -}}
<li aria-current="page">{{ .Title }}</li></ol></nav>
{{- end }}
<main id="main-content">
{{ block "main" . }}{{ end }}
</main>
<footer><a href="{{ "/search/" | relURL }}">Search</a></footer>
</body>
</html>
"""

HUGO_SINGLE = """{{ define "main" }}
{{ with .Params.type }}<p class="type-label">{{ . }}</p>{{ end }}
<h1>{{ .Title }}</h1>
<p class="description">{{ .Description }}</p>
{{ with .Params.organisations }}<p>From: {{ range $i, $k := . }}{{ if $i }}, {{ end }}{{ with index site.Params.organisations $k }}<a href="{{ .url | relURL }}">{{ .name }}</a>{{ end }}{{ end }}</p>{{ end }}
{{ with .Params.date }}<p>Published {{ time.Format "2 January 2006" . }}</p>{{ end }}
{{ if and .Params.political .Params.government (ne .Params.government site.Params.current_government) }}
<div class="history-notice">This was published under the {{ (index site.Params.governments .Params.government).name }}</div>
{{ end }}
<div class="body">{{ .Content }}</div>
{{ with .Params.related }}<aside><h2>Related</h2><ul>{{ range . }}{{ with site.GetPage . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}{{ end }}</ul></aside>{{ end }}
{{ with .GetTerms "topics" }}<p>Topics: {{ range . }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>{{ end }}
{{ end }}
"""

HUGO_LIST = """{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ with .Description }}<p class="description">{{ . }}</p>{{ end }}
<div class="body">{{ .Content }}</div>
<ul class="children">
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ with .Description }} <p>{{ . }}</p>{{ end }}</li>
{{ end }}</ul>
{{ end }}
"""


# Minimal layouts: the floor a Hugo user starts from (title, description, body;
# section pages list their pages). No breadcrumbs, related links or topics.
HUGO_MINIMAL_BASEOF = """<!DOCTYPE html>
<html lang="{{ site.Language.Locale }}">
<head>
<meta charset="utf-8">
<title>{{ .Title }}</title>
<meta name="description" content="{{ .Description }}">
</head>
<body>
<main id="main-content">
<h1>{{ .Title }}</h1>
{{ block "main" . }}{{ end }}
</main>
</body>
</html>
"""

HUGO_MINIMAL_SINGLE = """{{ define "main" }}{{ .Content }}{{ end }}
"""

HUGO_MINIMAL_LIST = """{{ define "main" }}{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
"""

# A link render hook: each Markdown link whose destination is a content path
# ("/policy/x.md#part") is looked up with site.GetPage and written as that
# page's address; a link to no page stops the build, as relref does. An
# empty link text becomes the page's title. External links pass through.
HUGO_RENDER_LINK = """{{- $dest := .Destination -}}
{{- $text := .Text -}}
{{- if and (hasPrefix $dest "/") (not (hasPrefix $dest "//")) -}}
{{- $parts := split $dest "#" -}}
{{- $target := site.GetPage (index $parts 0) -}}
{{- if not $target -}}{{- errorf "%s: link to a missing page %q" .Page.File.Path $dest -}}{{- end -}}
{{- $dest = $target.RelPermalink -}}
{{- if gt (len $parts) 1 }}{{ $dest = printf "%s#%s" $dest (index $parts 1) }}{{ end -}}
{{- if not $text }}{{ $text = $target.Title }}{{ end -}}
{{- end -}}
<a href="{{ $dest }}"{{ with .Title }} title="{{ . }}"{{ end }}>{{ $text }}</a>
{{- /* no newline after the link */ -}}
"""



def to_hugo(c: Corpus, out: str, variant: str = "relref"):
    """variant: "relref" (feature-equivalent layouts, links as relref shortcodes),
    "hooks" (the same layouts, links as plain content paths resolved by a
    render hook) or "minimal" (minimal layouts, links as plain page addresses
    that nothing resolves or checks)."""
    cfg = c.config()
    params = {
        "organisations": cfg.get("organisations", {}),
        "governments": cfg.get("governments", {}),
        "current_government": cfg.get("current_government"),
    }
    hugo_cfg = {
        "baseURL": cfg["base_url"],
        "title": cfg["title"],
        "locale": cfg.get("language", "en-GB"),
        "taxonomies": {"topic": "topics"},
        "disableKinds": [],
        "outputs": {"home": ["html", "rss"], "section": ["html"],
                    "taxonomy": ["html"], "term": ["html"]},
        "params": params,
        "markup": {"goldmark": {"parser": {"autoHeadingIDType": "github"}}},
    }
    _write(os.path.join(out, "hugo.json"), json.dumps(hugo_cfg, indent=2) + "\n")
    lay = os.path.join(out, "layouts", "_default")
    minimal = variant == "minimal"
    _write(os.path.join(lay, "baseof.html"), HUGO_MINIMAL_BASEOF if minimal else HUGO_BASEOF)
    _write(os.path.join(lay, "single.html"), HUGO_MINIMAL_SINGLE if minimal else HUGO_SINGLE)
    _write(os.path.join(lay, "list.html"), HUGO_MINIMAL_LIST if minimal else HUGO_LIST)
    if variant == "hooks":
        _write(os.path.join(lay, "_markup", "render-link.html"), HUGO_RENDER_LINK)
    # topic names for term pages
    for key, t in cfg.get("topics", {}).items():
        _write(os.path.join(out, "content", "topics", key, "_index.md"),
               f"---\ntitle: {json.dumps(t['name'])}\n---\n")

    def href(target, frag):
        if variant == "minimal":
            return c.url(target) + ("#" + frag if frag else "")
        path = "/" + target
        if variant == "hooks" and target.endswith("_index.md"):
            path = "/" + posixpath.dirname(target)   # a section, as GetPage names it
        if variant == "hooks":
            return path + ("#" + frag if frag else "")
        return '{{< relref "' + path + ("#" + frag if frag else "") + '" >}}'

    for src, (fm, body) in c.pages.items():
        fm, related = _split_related(fm)
        if related:
            paths = []
            for r in related:
                t, _ = c.resolve(src, r)
                paths.append("/" + (posixpath.dirname(t) if t.endswith("_index.md") else t[:-3]))
            fm += "related:\n" + "".join(f"  - {json.dumps(p)}\n" for p in paths)
        _write(os.path.join(out, "content", *src.split("/")),
               f"---\n{fm}---\n{c.rewrite(src, body, href, fill_empty=variant != 'hooks')}")
    for f in c.missing_indexes():
        _write(os.path.join(out, "content", *f.split("/"), "_index.md"),
               f"---\ntitle: {json.dumps(_folder_title(posixpath.basename(f)))}\n---\n")


# ---------------------------------------------------------------- Eleventy

ELEVENTY_CONFIG = r"""// Generated by bench/convert.py
const maps = new WeakMap();
function index(all) {
  let m = maps.get(all);
  if (m) return m;
  const byUrl = new Map();
  const children = new Map();
  for (const p of all) {
    byUrl.set(p.url, p);
    if (p.url === "/" || !p.url.endsWith("/")) continue;
    const parent = p.url.replace(/[^/]+\/$/, "");
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(p);
  }
  const time = (p) => (p.data.date ? new Date(p.data.date).getTime() : 0);
  for (const list of children.values()) {
    list.sort((a, b) => ((a.data.weight ?? 1e9) - (b.data.weight ?? 1e9)) ||
      (time(b) - time(a)) || String(a.data.title).localeCompare(String(b.data.title)));
  }
  m = { byUrl, children };
  maps.set(all, m);
  return m;
}
module.exports = function (cfg) {
  cfg.addGlobalData("layout", "page.njk");
  // heading ids, as the other generators make (optional plugin)
  const prefix = process.env.BENCH_NPM_PREFIX;
  if (prefix) {
    try {
      const anchor = require(prefix + "/node_modules/markdown-it-anchor");
      cfg.amendLibrary("md", (md) => md.use(anchor.default || anchor));
    } catch (e) {
      console.warn("markdown-it-anchor not available: headings get no ids");
    }
  }
  cfg.addFilter("breadcrumbs", function (url, all) {
    const { byUrl } = index(all);
    const out = [];
    const parts = url.split("/").filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const u = "/" + parts.slice(0, i).join("/") + (i ? "/" : "");
      const p = byUrl.get(u);
      if (p) out.push({ url: u, title: p.data.title });
    }
    return out;
  });
  cfg.addFilter("children", function (url, all) {
    return index(all).children.get(url) || [];
  });
  cfg.addFilter("pageTitle", function (url, all) {
    const p = index(all).byUrl.get(url);
    return p ? p.data.title : url;
  });
  return {
    dir: { input: "content", includes: "../_includes", data: "../_data", output: "_site" },
    markdownTemplateEngine: false,
    htmlTemplateEngine: "njk",
  };
};
"""

ELEVENTY_PAGE = """<!DOCTYPE html>
<html lang="{{ site.language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% if page.url != "/" %}{{ title }} - {% endif %}{{ site.title }}</title>
<meta name="description" content="{{ description }}">
<link rel="canonical" href="{{ site.base_url }}{{ page.url | replace('/', '', 1) }}">
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<header><a href="/">{{ site.title }}</a></header>
{%- if page.url != "/" %}
<nav aria-label="Breadcrumb"><ol>
{%- for c in page.url | breadcrumbs(collections.all) %}<li><a href="{{ c.url }}">{{ c.title }}</a></li>{% endfor -%}
<li aria-current="page">{{ title }}</li></ol></nav>
{%- endif %}
<main id="main-content">
{% if type %}<p class="type-label">{{ type }}</p>{% endif %}
<h1>{{ title }}</h1>
{% if description %}<p class="description">{{ description }}</p>{% endif %}
{% if organisations %}<p>From: {% for k in organisations %}{% if not loop.first %}, {% endif %}<a href="{{ site.organisations[k].url }}">{{ site.organisations[k].name }}</a>{% endfor %}</p>{% endif %}
{% if political and government and government != site.current_government %}
<div class="history-notice">This was published under the {{ site.governments[government].name }}</div>
{% endif %}
<div class="body">{{ content | safe }}</div>
{% set kids = page.url | children(collections.all) %}
{% if kids.length %}<ul class="children">
{% for k in kids %}<li><a href="{{ k.url }}">{{ k.data.title }}</a>{% if k.data.description %} <p>{{ k.data.description }}</p>{% endif %}</li>
{% endfor %}</ul>{% endif %}
{% if related %}<aside><h2>Related</h2><ul>{% for r in related %}<li><a href="{{ r }}">{{ r | pageTitle(collections.all) }}</a></li>{% endfor %}</ul></aside>{% endif %}
{% if tags %}<p>Topics: {% for t in tags %}<a href="/topics/{{ t }}/">{{ site.topics[t].name }}</a> {% endfor %}</p>{% endif %}
</main>
<footer><a href="/search/">Search</a></footer>
</body>
</html>
"""

ELEVENTY_TOPICS = """---
pagination:
  data: collections
  size: 1
  alias: topic
  filter: ["all"]
permalink: "/topics/{{ topic }}/"
eleventyComputed:
  title: "{{ site.topics[topic].name }}"
---
<ul>
{% for p in collections[topic] %}<li><a href="{{ p.url }}">{{ p.data.title }}</a></li>
{% endfor %}</ul>
"""


def to_eleventy(c: Corpus, out: str):
    cfg = c.config()
    _write(os.path.join(out, "eleventy.config.cjs"), ELEVENTY_CONFIG)
    _write(os.path.join(out, "_includes", "page.njk"), ELEVENTY_PAGE)
    _write(os.path.join(out, "_data", "site.json"), json.dumps({
        "title": cfg["title"], "base_url": cfg["base_url"],
        "language": cfg.get("language", "en-GB"),
        "organisations": cfg.get("organisations", {}),
        "governments": cfg.get("governments", {}),
        "current_government": cfg.get("current_government"),
        "topics": cfg.get("topics", {}),
    }, indent=1) + "\n")
    _write(os.path.join(out, "content", "topics.njk"), ELEVENTY_TOPICS)
    _write(os.path.join(out, "package.json"), '{"private": true}\n')

    def href(target, frag):
        return c.url(target) + ("#" + frag if frag else "")

    for src, (fm, body) in c.pages.items():
        fm, related = _split_related(fm)
        if related:
            fm += "related:\n" + "".join(
                f"  - {c.url(c.resolve(src, r)[0])}\n" for r in related)
        fm = fm.replace("\ntopics:\n", "\ntags:\n")
        dst = src[: -len("_index.md")] + "index.md" if src.endswith("_index.md") else src
        _write(os.path.join(out, "content", *dst.split("/")),
               f"---\n{fm}---\n{c.rewrite(src, body, href)}")
    for f in c.missing_indexes():
        _write(os.path.join(out, "content", *f.split("/"), "index.md"),
               f"---\ntitle: {json.dumps(_folder_title(posixpath.basename(f)))}\n---\n")


# ---------------------------------------------------------------- MkDocs

def to_mkdocs(c: Corpus, out: str):
    cfg = c.config()
    _write(os.path.join(out, "mkdocs.yml"), "\n".join([
        "# Generated by bench/convert.py",
        f"site_name: {json.dumps(cfg['title'])}",
        f"site_url: {cfg['base_url']}",
        "docs_dir: docs",
        "theme:",
        "  name: mkdocs",
        "  locale: en",
        "markdown_extensions:",
        "  - toc",
        "  - tables",
        "  - abbr",
        "",
    ]))

    def mk(p):
        return p[: -len("_index.md")] + "index.md" if p.endswith("_index.md") else p

    for src, (fm, body) in c.pages.items():
        here = posixpath.dirname(src) or "."

        def href(target, frag, here=here):
            rel = posixpath.relpath(mk(target), here)
            return rel + ("#" + frag if frag else "")

        _write(os.path.join(out, "docs", *mk(src).split("/")),
               f"---\n{fm}---\n{c.rewrite(src, body, href)}")
    for f in c.missing_indexes():
        _write(os.path.join(out, "docs", *f.split("/"), "index.md"),
               f"---\ntitle: {json.dumps(_folder_title(posixpath.basename(f)))}\n---\n")


CONVERTERS = {"hugo": to_hugo, "eleventy": to_eleventy, "mkdocs": to_mkdocs,
              "hugo-hooks": lambda c, out: to_hugo(c, out, "hooks"),
              "hugo-minimal": lambda c, out: to_hugo(c, out, "minimal")}


def convert(site: str, out: str, peer: str, corpus: Corpus | None = None) -> str:
    """Write the peer's version of SITE into OUT (replaced). Returns OUT."""
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    CONVERTERS[peer](corpus or Corpus(site), out)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[1])
    corpus = Corpus(sys.argv[1])
    for name in (sys.argv[3] if len(sys.argv) > 3 else ",".join(CONVERTERS)).split(","):
        convert(sys.argv[1], os.path.join(sys.argv[2], name), name, corpus)
        print("wrote", os.path.join(sys.argv[2], name))
