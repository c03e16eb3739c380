"""The build, stage by stage: gather and check everything, then write.

Nothing touches the output folder until every page has been loaded, linked,
rendered and checked, so a problem found late never leaves half a site.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import publish
from .config import load_config
from .diagnostics import Diagnostics
from .links import LinkProblem, Resolver
from .markup import MarkdownRenderer
from .model import Page
from .site import Site, build_site
from .templates import LayoutError, Templates, page_context, site_context
from .write import OutputFolder, OutputProblem, check_output_folder, describe_os_error

# Ids every layout gives a page, so links such as `page.md#full-history` resolve.
LAYOUT_IDS = {"main-content", "full-history", "contents"}


@dataclass
class BuildOptions:
    site_dir: Path
    output: Path | None = None
    strict: bool = False
    drafts: bool = False
    base_url: str | None = None
    jobs: int | None = None
    write: bool = True            # False for `check`
    progress: Callable[[int, int], None] | None = None


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    ok: bool = False
    site: Site | None = None
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    output: Path | None = None
    output_problem: str | None = None
    usage_problem: bool = False   # the output folder given cannot be used: exit 2


def build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    diagnostics = Diagnostics()
    result = BuildResult(diagnostics=diagnostics)
    site_dir = options.site_dir
    output = options.output or site_dir / "_site"
    result.output = output

    if options.write:
        try:
            check_output_folder(output, site_dir)
        except OutputProblem as problem:
            result.output_problem = str(problem)
            result.usage_problem = True
            return result

    config = load_config(site_dir, diagnostics, base_url=options.base_url)
    site = build_site(site_dir, config, diagnostics, drafts=options.drafts, skip=[output])
    result.site = site
    templates = Templates(site, diagnostics)
    check_layouts(site, templates, diagnostics)

    resolver = Resolver(site)
    render_markdown(site, resolver, diagnostics, options)
    check_front_matter_links(site, resolver, diagnostics)

    if diagnostics.has_errors(options.strict):
        result.seconds = time.perf_counter() - started
        return result

    outputs = render_pages(site, templates, diagnostics)
    if diagnostics.has_errors(options.strict):
        result.seconds = time.perf_counter() - started
        return result

    result.pages = len(outputs)
    if options.write:
        try:
            write_output(site, templates, outputs, output, diagnostics)
        except OutputProblem as problem:
            result.output_problem = str(problem)
            return result
        except OSError as exc:
            result.output_problem = describe_os_error(exc)
            return result
        if diagnostics.has_errors(options.strict):
            return result
    result.files = len(site.files) + len(site.assets)
    result.ok = True
    result.seconds = time.perf_counter() - started
    return result


def check_layouts(site: Site, templates: Templates, diagnostics: Diagnostics) -> None:
    for page in site.pages:
        if "layout" in page.fields and not templates.has_layout(page.fields["layout"]):
            names = sorted(n[:-5] for n in templates.names if n.endswith(".html") and not n.startswith(("_", "theme/")))
            from .diagnostics import closest
            hint = closest(page.fields["layout"], names)
            tip = f", did you mean `{hint}`?" if hint else f": available layouts are {', '.join(names)}"
            diagnostics.error(page.source, page.line("layout"), f"unknown layout `{page.fields['layout']}`{tip}")
            del page.fields["layout"]


def render_markdown(site: Site, resolver: Resolver, diagnostics: Diagnostics, options: BuildOptions) -> None:
    """Render every body, then check fragments and collect backlinks."""
    renderer = MarkdownRenderer(resolver)
    pages = [p for p in site.pages if p.source]
    rendered = {}
    for index, page in enumerate(pages):
        rendered[page.source] = renderer.render(page)
        if options.progress:
            options.progress(index + 1, len(pages))
    for page in pages:
        out = rendered[page.source]
        page.html, page.ids, page.toc = out.html, out.ids | LAYOUT_IDS, out.toc
    for page in site.pages:
        if not page.source:
            page.ids = set(LAYOUT_IDS)
    for page in pages:
        out = rendered[page.source]
        for line, severity, message in out.problems:
            (diagnostics.error if severity == "error" else diagnostics.warning)(page.source, line, message)
        seen = set()
        for target, raw, line in out.links:
            linked = target.page
            if linked is None:
                continue
            if target.fragment and target.fragment not in linked.ids:
                where = "this page" if linked is page else (linked.source or linked.url)
                diagnostics.error(page.source, line, f"broken link `{raw}`: there is no heading or id `{target.fragment}` in {where}{_ids_hint(linked, target.fragment)}")
            if linked is not page and id(linked) not in seen:
                seen.add(id(linked))
                page.links_to.append(linked)
                linked.backlinks.append(page)
    for page in site.pages:
        page.backlinks.sort(key=lambda p: (p.title.casefold(), p.url))


def _ids_hint(page: Page, wanted: str) -> str:
    from .diagnostics import closest
    hint = closest(wanted, sorted(page.ids - LAYOUT_IDS))
    return f": did you mean `#{hint}`?" if hint else ""


def check_front_matter_links(site: Site, resolver: Resolver, diagnostics: Diagnostics) -> None:
    """`related:` links and `image.src`, resolved like links in Markdown."""
    for page in site.pages:
        related = []
        for raw, line in page.fields.get("related", ()):
            try:
                target = resolver.resolve(raw, page)
            except LinkProblem as problem:
                diagnostics.error(page.source, line, f"related link `{raw}` does not resolve: {problem}")
                continue
            if target.page is None:
                diagnostics.error(page.source, line, f"related link `{raw}` must be a page on this site, written as a path to its `.md` file")
                continue
            if target.fragment and target.fragment not in target.page.ids:
                diagnostics.error(page.source, line, f"related link `{raw}`: there is no heading or id `{target.fragment}` in {target.page.source or target.page.url}")
                continue
            related.append({"title": target.page.title, "url": target.page.url + (f"#{target.fragment}" if target.fragment else ""),
                            "description": target.page.description})
        page.fields["related_pages"] = related
        image = page.fields.get("image")
        if image:
            line = image.get("src_line", image.get("line", 1))
            try:
                target = resolver.resolve(image["src"], page)
            except LinkProblem as problem:
                diagnostics.error(page.source, line, f"`image.src` `{image['src']}` does not resolve: {problem}")
                continue
            if target.file is None:
                diagnostics.error(page.source, line, f"`image.src` must be an image file under assets/ or content/, not `{image['src']}`")
                continue
            image["url"] = target.file.url


def render_pages(site: Site, templates: Templates, diagnostics: Diagnostics) -> dict[str, str]:
    """Every page through its layout; output path -> HTML."""
    ctx_site = site_context(site)
    outputs: dict[str, str] = {}
    for page in site.pages:
        layout = templates.layout_for(page)
        context = {"page": page_context(page, site, ctx_site, page.fields.get("related_pages", [])), "site": ctx_site}
        try:
            outputs[page.output_path] = templates.render(layout, context)
        except LayoutError as error:
            diagnostics.error(error.path, error.line, f"{error.message} (while building {page.url})")
    for alias in site.aliases:
        target = alias.target
        context = {
            "page": {"title": target.title, "url": alias.url, "description": target.description, "kind": "redirect",
                     "breadcrumbs": []},
            "target": {"title": target.title, "url": target.url},
            "site": ctx_site,
        }
        try:
            outputs[alias.path] = templates.render("redirect.html", context)
        except LayoutError as error:
            diagnostics.error(error.path, error.line, f"{error.message} (while building the redirect {alias.url})")
    return outputs


def write_output(site: Site, templates: Templates, outputs: dict[str, str], output: Path, diagnostics: Diagnostics) -> None:
    folder = OutputFolder(output)
    try:
        for static in site.assets.values():
            folder.copy(static.output_path, static.abs_path)
        for static in sorted(site.files.values(), key=lambda f: f.url):
            folder.copy(static.output_path, static.abs_path)
        for path in sorted(outputs):
            folder.write(path, outputs[path])
        folder.write("sitemap.xml", publish.sitemap(site))
        folder.write("robots.txt", publish.robots(site))
        for path, xml in sorted(publish.feeds(site).items()):
            folder.write(path, xml)
        folder.write("search-index.json", publish.search_index(site))
        folder.commit()
    except BaseException:
        folder.discard()
        raise
