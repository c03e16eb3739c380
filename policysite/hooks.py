"""Hooks: a site's own Python functions, called between the build's stages.

`hooks:` in site_config.yaml lists Python files in the site folder. Each is run
as a module of its own (never put in sys.modules, so an edited file is read
again by the next build; it may import Python files beside it, see `_beside`),
and any of these module-level functions it defines
is called, with the keyword arguments it names (a hook takes only what it needs):

    on_config(config)                          once, after site_config.yaml is read
    on_page_markdown(markdown, page, site)     per page, before its Markdown is rendered
    on_page_context(context, page, site)       per page, before its layout runs
    on_page_html(html, page, site)             per page, after its layout ran
    on_post_build(site, output_dir)            once, after every file is written

The per-page ones return the new value, or None to keep it. A hook that raises
becomes a HookError naming the hook file and line and the page: the build fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .cache import CacheDamaged
from .config import HookFile, SiteConfig
from .diagnostics import Diagnostics

HOOK_NAMES = ("on_config", "on_page_markdown", "on_page_context", "on_page_html", "on_post_build")
PAGE_HOOKS = ("on_page_markdown", "on_page_context", "on_page_html")


class HookError(Exception):
    """A hook raised: where (the hook file and line) and what, ready for a diagnostic."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def as_tuple(self) -> tuple[str, int, str]:
        """Picklable, for a worker process to send back."""
        return (self.path, self.line, self.message)


@dataclass
class Hook:
    """One function of one hook file, with the keyword arguments it accepts."""
    name: str
    func: Callable
    source: str                # the hook file, site-relative, for messages
    accepts: frozenset[str] | None   # None: it takes **kwargs, so everything

    def call(self, **arguments: Any) -> Any:
        if self.accepts is not None:
            arguments = {k: v for k, v in arguments.items() if k in self.accepts}
        return self.func(**arguments)


@dataclass
class Hooks:
    """The loaded hook files' functions, by hook name, in the order the files are listed."""
    by_name: dict[str, list[Hook]] = field(default_factory=dict)
    files: list[HookFile] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        return any(self.by_name.get(name) for name in names)

    def run(self, name: str, where: str, **arguments: Any) -> None:
        """Call every `name` hook for its effect; `where` says what the build was doing."""
        for hook in self.by_name.get(name, ()):
            self._call(hook, where, arguments)

    def transform(self, name: str, value_name: str, value: Any, where: str, **arguments: Any) -> Any:
        """Pass `value` through every `name` hook in turn; one that returns None keeps it."""
        for hook in self.by_name.get(name, ()):
            new = self._call(hook, where, {value_name: value, **arguments})
            if new is None:
                continue
            if not isinstance(new, type(value)):
                kind = "a dict" if isinstance(value, dict) else "text"
                raise HookError(hook.source, hook.func.__code__.co_firstlineno,
                                f"`{name}` must return {kind} or None, not {type(new).__name__} (while {where})")
            value = new
        return value

    def _call(self, hook: Hook, where: str, arguments: dict) -> Any:
        try:
            return hook.call(**arguments)
        except CacheDamaged:
            raise   # the cache changed under the build, not the hook's fault: the build starts again without it
        except Exception as exc:
            line = self._line_in_hooks(exc) or 1
            raise HookError(hook.source, line,
                            f"`{hook.name}` failed while {where}: {type(exc).__name__}: {exc}") from None

    def _line_in_hooks(self, exc: BaseException) -> int | None:
        """The line of the deepest traceback frame in a hook file (the hook's own code, not ours)."""
        hook_paths = {str(f.path) for f in self.files}
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if str(Path(frame.filename).resolve()) in hook_paths:
                line = frame.lineno
        return line


def load_hooks(config: SiteConfig, diagnostics: Diagnostics) -> Hooks:
    """Run each hook file once and collect its hook functions; a file that fails is an error at its line."""
    hooks = Hooks(files=list(config.hooks))
    for index, hook_file in enumerate(config.hooks):
        module = _import(hook_file, index, diagnostics)
        if module is None:
            continue
        for name in HOOK_NAMES:
            func = getattr(module, name, None)
            if callable(func):
                hooks.by_name.setdefault(name, []).append(
                    Hook(name=name, func=func, source=hook_file.source, accepts=_accepts(func)))
    return hooks


# Whether this process has run a site's hook file. Hook code may count on Python's ordinary
# exit (atexit functions, finalizers, a buffered file it keeps open), so the command then
# ends as usual rather than at once (cli._exit).
ran_hook_files = False


def _import(hook_file: HookFile, index: int, diagnostics: Diagnostics) -> ModuleType | None:
    global ran_hook_files
    name = f"policysite_hook_{index}_{hook_file.path.stem}"
    ran_hook_files = True
    try:
        with _beside(hook_file.path.parent):
            spec = importlib.util.spec_from_file_location(name, hook_file.path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return module
    except SyntaxError as exc:
        diagnostics.error(hook_file.source, exc.lineno or 1, f"the hook file does not run: {exc.msg}", code="hook-failed")
    except Exception as exc:
        line = 1
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename).resolve() == hook_file.path:
                line = frame.lineno
        diagnostics.error(hook_file.source, line, f"the hook file does not run: {type(exc).__name__}: {exc}", code="hook-failed")
    return None


@contextlib.contextmanager
def _beside(folder: Path) -> Iterator[None]:
    """While a hook file runs, `import helpers` finds helpers.py in the hook's own folder (only there).

    The folder comes first on sys.path, and every module imported from it leaves
    sys.modules afterwards (the hook keeps its own reference): another site's
    `helpers`, or this one's edited, is then read afresh, and no site's module can
    stand in for a library's. A module the hook imports later, while it runs, is
    looked for as usual."""
    before = set(sys.modules)
    where = str(folder)
    sys.path.insert(0, where)
    importlib.invalidate_caches()   # a helper written since the last build is seen
    try:
        yield
    finally:
        sys.path.remove(where)
        inside = folder.resolve()
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            places = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or [])]
            if any(place and Path(place).resolve().is_relative_to(inside) for place in places):
                del sys.modules[name]


def _accepts(func: Callable) -> frozenset[str] | None:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters
                     if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))


def fingerprint(config: SiteConfig) -> str:
    """A hash of every hook file and the Python files beside it (helpers they may import)."""
    h = hashlib.sha1()
    folders = sorted({f.path.parent for f in config.hooks})
    for hook_file in config.hooks:
        h.update(f"\0hook\0{hook_file.source}\0".encode())
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            h.update(f"\0{path}\0".encode("utf-8", "surrogatepass"))
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"unreadable")
    return h.hexdigest()
