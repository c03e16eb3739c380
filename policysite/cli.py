"""The command line: thin verbs over the build.

Exit status: 0 built, 1 content or configuration problems, 2 wrong use of
the command line. Problems go to stderr as `PATH:LINE: severity: message`,
or to stdout as GitHub workflow commands or JSON with `--format`.
The build is imported only by the commands that use it, so that
`--version` and `--help` answer at once.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from . import __version__, clock
from .heap import collector_paused  # contextlib and gc alone: cheap to import
from .schema import BUILTIN_TYPES  # plain declarations: cheap to import


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _site_dir(site: str) -> Path:
    path = Path(site)
    if not path.is_dir():
        raise click.UsageError(f"{site} is not a folder: give the folder that holds site_config.yaml")
    return path


def _report(result, strict: bool, quiet: bool, verb: str, fmt: str = "text",
            summary: str | None = None, site_dir: Path = Path(".")) -> int:
    from . import formats

    diagnostics = result.diagnostics.sorted(strict=strict)
    if fmt == "github":
        for d in diagnostics:
            click.echo(formats.github_line(d, site_dir))
    elif fmt == "json":
        click.echo(formats.json_text(diagnostics))
    else:
        for d in diagnostics:
            click.echo(d.format(), err=True)
    if summary:
        _append(summary, formats.markdown_summary(diagnostics, verb, result.pages, site_dir, result.output_problem))
    if result.output_problem:
        if fmt == "github":   # not about a file of the site: an annotation on the run
            click.echo(f"::error title=output::{formats.github_data(result.output_problem)}")
        click.echo(f"error: {result.output_problem}", err=True)
        return 2 if result.usage_problem else 1
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = sum(1 for d in diagnostics if d.severity == "warning")
    if not quiet:
        # Not a warning: scheduling a page is allowed, and `--strict` makes every warning an
        # error. But a typo in a year (2042) must not hide a page without a word.
        for where, line, when in result.scheduled:
            message = (f"not published yet: `date` is {when}, after the build time, so the first build on or "
                       "after that date publishes it; check the date is right (`--future` includes the page now)")
            if fmt == "github":   # beside the editor's change, as a notice: it fails nothing
                click.echo(f"::notice file={formats.github_property(formats.repository_path(site_dir, where))},"
                           f"line={line},title=not-published-yet::{formats.github_data(message)}")
            else:
                click.echo(f"{where}:{line}: note: {message}", err=True)
    if not result.ok:
        click.echo(f"{verb} failed: {_count(errors, 'error')}, {_count(warnings, 'warning')}", err=True)
        return 1
    if not quiet:
        # stdout holds only the problems when a program reads them.
        to_stderr = fmt != "text"
        summary_line = f"{_count(result.pages, 'page')}"
        if warnings:
            summary_line += f", {_count(warnings, 'warning')}"
        if verb == "build":
            reused = result.pages - result.rendered
            note = f" ({reused} unchanged)" if reused > 0 else ""
            click.echo(f"Built {summary_line}{note} into {result.output} in {result.seconds:.2f}s", err=to_stderr)
        else:
            click.echo(f"Checked {summary_line}: no errors", err=to_stderr)
        if result.scheduled:
            click.echo(_left_out(result.scheduled), err=to_stderr)
    return 0


def _left_out(scheduled: list) -> str:
    """The summary's line for pages dated after the build time, naming a few of them."""
    shown = [f"{where} ({when[:10]})" for where, _, when in scheduled[:5]]
    more = f" and {len(scheduled) - 5} more" if len(scheduled) > 5 else ""
    them = "it" if len(scheduled) == 1 else "them"
    return (f"Left out {_count(len(scheduled), 'page')} dated after the build time: {', '.join(shown)}{more}; "
            f"`--future` includes {them}")


def _append(path: str, text: str) -> None:
    """Add `text` to the summary file (a workflow's $GITHUB_STEP_SUMMARY gathers every step's)."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo(f"warning: cannot write the summary to {path}: {exc.strerror or exc}", err=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _progress(quiet: bool):
    if quiet or sys.stderr is None or not sys.stderr.isatty():   # None: started with stderr closed
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


CACHE_FILE = Path(".policysite-cache") / "build.json"


def _build_time():
    """The build's clock (clock.py); a SOURCE_DATE_EPOCH that is not a time is wrong use: exit 2."""
    try:
        return clock.build_time()
    except clock.ClockProblem as problem:
        raise click.UsageError(str(problem)) from None


FUTURE_HELP = "Include pages whose `date` is after the build time."
TIMINGS_HELP = "Also print how long each step of the build took, on stderr."


def _run(site, output, strict, drafts, base_url, jobs, quiet, write, verb, cache=True, fmt="text", summary=None,
         future=False, timings=False):
    # Importing the build makes objects that live as long as the process: the cycle collector
    # need not walk them again and again as they are made (about a twentieth of the imports).
    with collector_paused():
        from .builder import BuildOptions, build

    site_dir = _site_dir(site)
    options = BuildOptions(site_dir=site_dir, output=Path(output) if output else None, strict=strict,
                           drafts=drafts, future=future, now=_build_time(), base_url=base_url, jobs=jobs, write=write,
                           progress=_progress(quiet), cache_file=site_dir / CACHE_FILE if cache else None)
    try:
        result = build(options)
    except KeyboardInterrupt:
        click.echo("\nInterrupted: the previous output is unchanged.", err=True)
        sys.exit(130)
    status = _report(result, strict, quiet, verb, fmt, summary, site_dir)
    if timings:
        _print_timings(result)
    _exit(status)


# Set by the `policysite` command (__main__.run), never when the command line is called from
# Python (tests, a program of its own): only then may `build` and `check` end the process at once.
EXIT_AT_ONCE = False


def _exit(status: int) -> None:
    """End `build` or `check` with this exit status. As the `policysite` command, at once: the build
    has written and closed every file and joined its workers and threads, and freeing a large
    site object by object as Python shuts down would take a tenth of a second or more."""
    # Not under a profiler or tracer (cProfile, coverage): they write their report as Python shuts
    # down; nor after a site's hook files ran (see hooks.ran_hook_files).
    hooks = sys.modules.get("policysite.hooks")
    if EXIT_AT_ONCE and sys.getprofile() is None and sys.gettrace() is None \
            and not (hooks is not None and hooks.ran_hook_files):
        for stream in (sys.stdout, sys.stderr):
            if stream is None:   # started with that file closed (`>&-`): Python gives it no stream
                continue
            try:
                stream.flush()
            except (OSError, ValueError):   # a reader that has gone, as at any exit
                pass
        os._exit(status)
    sys.exit(status)


def _print_timings(result) -> None:
    """Each step's wall time, on stderr. make_extras runs while the workers of render_pages render."""
    for step, seconds in result.timings.items():
        click.echo(f"{seconds:9.3f}s  {step}", err=True)
    click.echo(f"{result.seconds:9.3f}s  in all", err=True)


FORMATS = ("text", "github", "json")


def _problem_options(command):
    """--format and --summary, shared by build and check."""
    command = click.option("--summary", metavar="FILE",
                           help="Also add a Markdown table of the problems to FILE, such as $GITHUB_STEP_SUMMARY.")(command)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                        help="How to write problems: `PATH:LINE: …` lines, GitHub annotations, or JSON on stdout.")(command)


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
@click.option("--timings", is_flag=True, help=TIMINGS_HELP)
@_problem_options
def build_command(site, output, strict, drafts, future, base_url, jobs, quiet, no_cache, timings, fmt, summary):
    """Build SITE into its output folder."""
    _run(site, output, strict, drafts, base_url, jobs, quiet, True, "build", cache=not no_cache, fmt=fmt, summary=summary,
         future=future, timings=timings)


@main.command("check")
@click.argument("site", default=".", required=False)
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@click.option("--drafts", is_flag=True, help="Include pages marked `draft: true`.")
@click.option("--future", is_flag=True, help=FUTURE_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--timings", is_flag=True, help=TIMINGS_HELP)
@_problem_options
def check_command(site, strict, drafts, future, quiet, timings, fmt, summary):
    """Check SITE as `build` would, writing nothing."""
    _run(site, None, strict, drafts, None, None, quiet, False, "check", fmt=fmt, summary=summary, future=future,
         timings=timings)


@main.command("serve")
@click.argument("site", default=".", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--drafts", is_flag=True, help="Include pages marked `draft: true`.")
@click.option("--future", is_flag=True, help=FUTURE_HELP)
@click.option("--verbose", "-v", is_flag=True, help="Also show the web server's own log: every request.")
def serve_command(site, host, port, drafts, future, verbose):
    """Build SITE, serve it, rebuild on change and reload the browser."""
    from .serve import serve
    _build_time()   # a SOURCE_DATE_EPOCH that is not a time is reported before serving
    sys.exit(serve(_site_dir(site), host=host, port=port, drafts=drafts, verbose=verbose, future=future))


@main.command("new")
@click.argument("where", nargs=-1, required=True, metavar="[SITE] PATH")
@click.option("--type", "page_type", default="page", show_default=True, metavar="TYPE",
              help=f"The page type: {', '.join(BUILTIN_TYPES)}, or one of the site's own `types:`.")
@click.option("--site", "site_option", metavar="DIR", help="The site folder (default: this folder); the same as SITE.")
def new_command(where, page_type, site_option):
    """Write a new page at PATH with the front matter its type needs.

    PATH is inside SITE's content/ folder, such as content/policy/new-page.md.
    `new SITE PATH` and `new PATH --site SITE` do the same."""
    from .scaffold import new_page
    if len(where) > 2:
        raise click.UsageError("give at most a site folder and the new page's path: new [SITE] PATH")
    if len(where) == 2 and site_option is not None:
        raise click.UsageError("give the site folder once: either new SITE PATH or new PATH --site SITE")
    site, path = where if len(where) == 2 else (site_option or ".", where[0])
    sys.exit(new_page(_site_dir(site), path, page_type))


@main.command("init")
@click.argument("folder", metavar="DIR")
@click.option("--title", required=True, help="The site's name, such as \"Department for Transport\".")
@click.option("--base-url", metavar="URL", default="http://localhost:8000/", show_default=True,
              help="The address the site is published at. The publishing workflow builds for the address GitHub Pages gives it.")
@click.option("--requirement", metavar="SPEC",
              help=f"What requirements.txt installs (default: policysite=={__version__}), such as the address of a release wheel.")
def init_command(folder, title, base_url, requirement):
    """Write a new site repository into DIR, ready to check, build and publish."""
    from .init import init_site
    sys.exit(init_site(Path(folder), title=title, base_url=base_url, requirement=requirement))


@main.command("import")
@click.argument("kind", type=click.Choice(["hugo", "jekyll"]))
@click.argument("src")
@click.argument("dest")
def import_command(kind, src, dest):
    """Read the Hugo or Jekyll site in SRC and write it as a policysite site in DEST."""
    from .importer import REPORT_NAME, ImportRefused, run_import
    try:
        report = run_import(kind, Path(src), Path(dest))
    except ImportRefused as refused:
        raise click.UsageError(str(refused)) from None
    except OSError as exc:
        click.echo(f"error: could not write {exc.filename or dest}: {exc.strerror}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted: {dest} is incomplete; remove it and run the import again.", err=True)
        sys.exit(130)
    click.echo(report.summary())
    click.echo(f"What is left for a person, with file and line: {Path(dest) / REPORT_NAME}")
    if report.unread_config:
        # The new site lacks the old one's settings (its title, address, languages): not a finished import.
        for where, line, settings in report.unread_config:
            click.echo(f"{Path(src) / where}:{line}: error: the configuration could not be read, so the settings "
                       f"taken from it ({settings}) are missing from {dest}: correct it and import again into an "
                       "empty folder", err=True)
        sys.exit(1)
