"""The command line: thin verbs over the build.

Exit status: 0 built, 1 content or configuration problems, 2 wrong use of
the command line. Problems go to stderr as `PATH:LINE: severity: message`.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from . import __version__, clock
from .builder import BuildOptions, build
from .schema import BUILTIN_TYPES


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _site_dir(site: str) -> Path:
    path = Path(site)
    if not path.is_dir():
        raise click.UsageError(f"{site} is not a folder: give the folder that holds site_config.yaml")
    return path


def _report(result, strict: bool, quiet: bool, verb: str) -> int:
    diagnostics = result.diagnostics.sorted(strict=strict)
    for d in diagnostics:
        click.echo(d.format(), err=True)
    if result.output_problem:
        click.echo(f"error: {result.output_problem}", err=True)
        return 2 if result.usage_problem else 1
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = sum(1 for d in diagnostics if d.severity == "warning")
    if not result.ok:
        click.echo(f"{verb} failed: {_count(errors, 'error')}, {_count(warnings, 'warning')}", err=True)
        return 1
    if not quiet:
        summary = f"{_count(result.pages, 'page')}"
        if warnings:
            summary += f", {_count(warnings, 'warning')}"
        if verb == "build":
            reused = result.pages - result.rendered
            note = f" ({reused} unchanged)" if reused > 0 else ""
            click.echo(f"Built {summary}{note} into {result.output} in {result.seconds:.2f}s")
        else:
            click.echo(f"Checked {summary}: no errors")
    return 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 200:
            return
        if done == total or done % 50 == 0:
            width = 30
            filled = width * done // total
            click.echo(f"\rRendering [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True, nl=done == total)
    return show


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policysite")
def main():
    """policysite: build government policy pages from Markdown."""
    signal.signal(signal.SIGTERM, _interrupt)


CACHE_FILE = Path(".policysite-cache") / "build.json.gz"


def _build_time():
    """The build's clock (clock.py); a SOURCE_DATE_EPOCH that is not a time is wrong use: exit 2."""
    try:
        return clock.build_time()
    except clock.ClockProblem as problem:
        raise click.UsageError(str(problem)) from None


FUTURE_HELP = "Include pages whose `date` is after the build time."


def _run(site, output, strict, drafts, base_url, jobs, quiet, write, verb, cache=True, future=False):
    site_dir = _site_dir(site)
    options = BuildOptions(site_dir=site_dir, output=Path(output) if output else None, strict=strict,
                           drafts=drafts, future=future, now=_build_time(), base_url=base_url, jobs=jobs, write=write,
                           progress=_progress(quiet), cache_file=site_dir / CACHE_FILE if cache else None)
    try:
        result = build(options)
    except KeyboardInterrupt:
        click.echo("\nInterrupted: the previous output is unchanged.", err=True)
        sys.exit(130)
    sys.exit(_report(result, strict, quiet, verb))


@main.command("build")
@click.argument("site", default=".", required=False)
@click.option("--output", "-o", metavar="DIR", help="Where to write the site (default: SITE/_site).")
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@click.option("--drafts", is_flag=True, help="Include pages marked `draft: true`.")
@click.option("--future", is_flag=True, help=FUTURE_HELP)
@click.option("--base-url", metavar="URL", help="Override base_url from site_config.yaml.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N", help="Processes to render with (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not save SITE/.policysite-cache.")
def build_command(site, output, strict, drafts, future, base_url, jobs, quiet, no_cache):
    """Build SITE into its output folder."""
    _run(site, output, strict, drafts, base_url, jobs, quiet, True, "build", cache=not no_cache, future=future)


@main.command("check")
@click.argument("site", default=".", required=False)
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@click.option("--drafts", is_flag=True, help="Include pages marked `draft: true`.")
@click.option("--future", is_flag=True, help=FUTURE_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def check_command(site, strict, drafts, future, quiet):
    """Check SITE as `build` would, writing nothing."""
    _run(site, None, strict, drafts, None, None, quiet, False, "check", future=future)


@main.command("serve")
@click.argument("site", default=".", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--drafts", is_flag=True, help="Include pages marked `draft: true`.")
@click.option("--future", is_flag=True, help=FUTURE_HELP)
def serve_command(site, host, port, drafts, future):
    """Build SITE, serve it, rebuild on change and reload the browser."""
    from .serve import serve
    _build_time()   # a SOURCE_DATE_EPOCH that is not a time is reported before serving
    sys.exit(serve(_site_dir(site), host=host, port=port, drafts=drafts, future=future))


@main.command("new")
@click.argument("path")
@click.option("--type", "page_type", default="page", show_default=True, metavar="TYPE",
              help=f"The page type: {', '.join(BUILTIN_TYPES)}, or one of the site's own `types:`.")
@click.option("--site", default=".", show_default=True, help="The site folder.")
def new_command(path, page_type, site):
    """Write a new page at PATH with the front matter its type needs."""
    from .scaffold import new_page
    sys.exit(new_page(_site_dir(site), path, page_type))
