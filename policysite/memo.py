"""A `build` with nothing changed: every input hashed, the last output taken over whole.

Beside its cache, `build` notes a hash of everything a build reads (the
configuration and options, the hook files, content/, layouts/, assets/, the
theme and the code that turns them into HTML) with the hash of every file it wrote. When the next
build's inputs hash the same, a full build would write the same bytes, so each
file is taken from the last output instead, after checking it against its hash.
Its warnings are noted too and reported again, as a full build would.

Any difference, a symbolic link among the inputs (its target could change
unseen) or an output file that is not what was written means a full build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

from .cache import code_fingerprint
from .clock import Window
from .config import CONFIG_NAME
from .diagnostics import Diagnostic
from .write import MARKER

MEMO_NAME = "last-build.json"
THEME = Path(__file__).parent / "theme"


def input_digest(site_dir: Path, config_fp: str) -> str | None:
    """A hash of every file a build of `site_dir` can read, or None when it cannot be trusted."""
    h = hashlib.sha1(config_fp.encode())
    h.update(code_fingerprint().encode())
    for name, root in (("config", site_dir / CONFIG_NAME), ("content", site_dir / "content"),
                       ("layouts", site_dir / "layouts"), ("assets", site_dir / "assets"), ("theme", THEME)):
        h.update(f"\0{name}\0".encode())
        if not _hash_tree(h, root):
            return None
    return h.hexdigest()


def _hash_tree(h, root: Path) -> bool:
    """Names, sizes and bytes of every file under `root` (or of `root` itself) into h; False on a link."""
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        h.update(b"missing")
        return True
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    if stat.S_ISREG(st.st_mode):
        return _hash_file(h, "", str(root))
    if not stat.S_ISDIR(st.st_mode):
        return False
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(folder, root)
        h.update(f"\0d\0{rel}".encode("utf-8", "surrogatepass"))
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                return False
        for name in sorted(files):
            if not _hash_file(h, f"{rel}/{name}", os.path.join(folder, name)):
                return False
    return True


def _hash_file(h, rel: str, path: str) -> bool:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return False   # a link, a pipe, a device: not worth trusting
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    h.update(f"\0f\0{rel}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
    h.update(data)
    return True


def read(path: Path) -> dict | None:
    """The note of the last successful build, or None when missing, damaged or from other code."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("code") != code_fingerprint():
        return None
    # It sits in the site's folder, so it may have been edited or committed: every part must
    # be what `write` makes, and every output path a plain path inside the output folder.
    outputs, diagnostics = data.get("outputs"), data.get("diagnostics")
    if not (isinstance(data.get("inputs"), str) and isinstance(outputs, dict) and isinstance(diagnostics, list)
            and type(data.get("pages")) is int and type(data.get("files")) is int):
        return None
    for rel, sha in outputs.items():
        if not (isinstance(sha, str) and _SHA1.fullmatch(sha) and _plain_path(rel)):
            return None
    if not all(Diagnostic.well_formed(d) for d in diagnostics):
        return None
    if Window.from_list(data.get("clock")) is None:
        return None
    return data


def clock_holds(memo: dict, now) -> bool:
    """Whether the last build's output holds at build time `now`: no page's date, opening
    or closing lies between the two build times."""
    window = Window.from_list(memo.get("clock"))
    return window is not None and window.holds(now)


_SHA1 = re.compile(r"[0-9a-f]{40}")


def _plain_path(rel: str) -> bool:
    """A relative path with no `.`, `..` or empty part: one that stays inside the folder it is joined to."""
    return bool(rel) and "\x00" not in rel and all(part not in ("", ".", "..") for part in rel.split("/"))


def write(path: Path, inputs: str, output: Path, diagnostics: list[Diagnostic], pages: int, files: int,
          known: dict[str, str] | None = None, window: Window | None = None) -> None:
    """Note what the build that just finished wrote into `output`; a note that cannot be saved is skipped.

    `known`: hashes the build already has for some files (its pages), not read again. A wrong
    one could only make the next build refuse the last output and build in full. `window`:
    the build times for which the output is the same (clock.py): a consultation's state and
    which dated pages are published depend on the clock, not only on the inputs."""
    known = known or {}
    outputs = {}
    try:
        for folder, _, names in os.walk(output):
            for name in names:
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, output).replace(os.sep, "/")
                if rel == MARKER:   # OutputFolder.commit writes it
                    continue
                if rel in known:
                    outputs[rel] = known[rel]
                    continue
                with open(full, "rb") as handle:
                    outputs[rel] = hashlib.sha1(handle.read()).hexdigest()
        data = {"code": code_fingerprint(), "inputs": inputs, "outputs": dict(sorted(outputs.items())),
                "diagnostics": [d.as_list() for d in diagnostics],
                "pages": pages, "files": files, "clock": (window or Window()).as_list()}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def take_over(memo: dict, sink) -> bool:
    """Link every file of the last output into the new one; False (nothing trusted) if any differs."""
    outputs = memo["outputs"]
    for rel, sha in outputs.items():
        try:
            with open(sink.previous / rel, "rb") as handle:
                if hashlib.sha1(handle.read()).hexdigest() != sha:
                    return False
        except OSError:
            return False
    return all(sink.reuse(rel, sha, checked=True) for rel, sha in outputs.items())
