#!/usr/bin/env python3
"""The pure floor: what parsing, rendering and writing a generated site costs
with Python-Markdown, Jinja and PyYAML alone, in 2 processes.

    python bench/floor.py SITE OUT [--jobs 2]

For each Markdown file under SITE/content: split off the front matter, load
it with PyYAML (its C loader when built), convert the body with
Python-Markdown (the `tables` extension, since the corpus has tables), render
one small Jinja template with the title, description and body, and write
OUT/<address>/index.html. Nothing else: no links resolved, no checks, no
listings, no search index, no cache. bench/compare.py shows it as the
"floor" row, the least any Python generator with these libraries can spend.

Run it with the project's virtualenv (it has the three libraries).
"""
from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import get_context

import jinja2
import markdown
import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<meta name="description" content="{{ description }}">
</head>
<body>
<main id="main-content">
<h1>{{ title }}</h1>
{% if description %}<p class="description">{{ description }}</p>{% endif %}
<div class="body">{{ body }}</div>
</main>
</body>
</html>
"""


def sources(content: str) -> list[str]:
    """Every Markdown file under content/, relative, in a stable order."""
    found = []
    for folder, dirs, files in os.walk(content):
        dirs.sort()
        found += [os.path.relpath(os.path.join(folder, f), content) for f in sorted(files) if f.endswith(".md")]
    return found


def output_path(rel: str) -> str:
    """Where a source's page goes: _index.md is its folder's page, x.md is x/."""
    folder, name = os.path.split(rel)
    if name == "_index.md":
        return os.path.join(folder, "index.html")
    return os.path.join(folder, name[:-3], "index.html")


def build_part(args: tuple[str, str, list[str]]) -> int:
    content, out, rels = args
    template = jinja2.Environment(autoescape=True).from_string(TEMPLATE)
    md = markdown.Markdown(extensions=["tables"])
    for rel in rels:
        with open(os.path.join(content, rel), encoding="utf-8") as fh:
            text = fh.read()
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=LOADER) or {}
        html = md.reset().convert(body)
        page = template.render(title=meta.get("title", ""), description=meta.get("description", ""),
                               body=jinja2.utils.markupsafe.Markup(html))
        path = os.path.join(out, output_path(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
    return len(rels)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site")
    ap.add_argument("out")
    ap.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    args = ap.parse_args(argv)
    content = os.path.join(args.site, "content")
    rels = sources(content)
    jobs = max(1, args.jobs)
    # Interleaved shares, so deep and shallow folders are spread over the processes.
    parts = [(content, args.out, rels[i::jobs]) for i in range(jobs)]
    if jobs == 1:
        done = build_part(parts[0])
    else:
        with get_context("fork").Pool(jobs) as pool:
            done = sum(pool.map(build_part, parts))
    print(f"floor: {done} pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
