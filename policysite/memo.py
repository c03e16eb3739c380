"""A `build` with nothing changed: every input hashed, the last output kept as it is.

Beside its cache, `build` notes a hash of everything a build reads (the
configuration and options, the hook files, content/, layouts/, assets/, the
theme and the code that turns them into HTML) with the hash of every file it wrote. When the next
build's inputs hash the same, a full build would write the same bytes, so the
last output stays, once every file in it is checked to be the one written.
Its warnings are noted too and reported again, as a full build would.

Files are told apart by their stamps (cache.file_stamp), so an unchanged file is
not read again: an input by its size, times, inode and device, noted with its hash; an
output file by its size, modification time, inode and device, noted once it is old enough
that a later change would move its modification time. (Not its change time: linking the
file into the next output, and removing the old output, change that.) A file without a
stamp, or whose stamp differs, is read and hashed.

Any difference, a symbolic link among the inputs (its target could change
unseen), a folder that cannot be read or an output file that is not what was
written means a full build. The walk's list of the files under content/ is
the load stage's too (Inputs.content): content/ is walked once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .cache import SETTLE_NS, code_fingerprint, file_stamp
from .clock import Window
from .config import CONFIG_NAME
from .diagnostics import Diagnostic
from .write import MARKER

MEMO_NAME = "last-build.json"
THEME = Path(__file__).parent / "theme"


@dataclass
class Inputs:
    """The hash of every input, and the stamp and hash of each file, for the next build to trust."""
    digest: str | None                                   # None: the inputs cannot be trusted (a link among them), or not yet hashed
    stamps: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)   # "content/x.md" or "theme:x" -> (stamp, sha)
    # Every file under content/ ("content/x.md"), hidden ones too, as the walk found them: the load
    # stage takes them from here rather than walking the folder again (load.listed_content).
    content: list[str] = field(default_factory=list)
    walked: bool = False                                 # the walk met no link and no unreadable folder
    deferred: _Deferred | None = None                    # content/ left unread (input_digest's `defer`) until `finish`

    def finish(self, found: dict[str, tuple]) -> None:
        """The digest, once the build has read the files under content/: `found` gives each one's
        (stamp, sha) as the load stage took them, the stamp before the bytes it built from, so the
        note says what was built (a file edited since has another stamp: the next build hashes it
        again). A file the build did not read (one it copies) is read now, and counts only if it has
        not changed since before the walk began (cache.file_stamp's rule, by the walk's clock);
        else the digest stays None, and the next build builds again."""
        walk, self.deferred = self.deferred, None
        if walk is None:   # set only by a walk that met no link and no unreadable folder
            return
        keys = iter(self.content)
        text = []
        for rel, count in walk.folders:
            text.append(f"\0d\0{rel}")
            for _ in range(count):
                key = next(keys)
                taken = found.get(key)
                if taken is not None:   # what the build loaded
                    self.stamps[key] = taken   # the very tuple the build holds: not a second one for each file
                    sha = taken[1]
                else:
                    sha = walk.early.get(key)
                    if sha is None:
                        taken = _read_unchanged(walk, key)
                        if taken is None:
                            return
                        self.stamps[key] = taken
                        sha = taken[1]
                text.append(f"\0f\0{rel}/{key.rsplit('/', 1)[1]}\0{sha}")
        content = "".join(text)
        self.digest = hashlib.sha1("".join(content if part is _CONTENT else part for part in walk.parts).encode(
            "utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Deferred:
    """What a walk that left content/ unread keeps, to make its part of the digest's text later:
    the text is each folder's path, then each of its files' path and hash, so the folders and how
    many files each has (their names are Inputs.content, in the same order) are enough."""
    folder: str                        # content/ itself
    started: int                       # the walk's clock, taken before any file was looked at
    parts: list[str] = field(default_factory=list)          # the text of the rest of the inputs, _CONTENT where content/'s goes
    folders: list[tuple[str, int]] = field(default_factory=list)   # (path in the text, how many files), in the walk's order
    early: dict[str, str] = field(default_factory=dict)     # files read by the walk anyway (too new for a stamp): key -> sha


_CONTENT = "\0content's text\0"   # in _Deferred.parts; compared by identity


def _read_unchanged(walk: _Deferred, key: str) -> tuple | None:
    """(stamp, sha) of a file under content/, if it has not changed since before the walk began."""
    path = os.path.join(walk.folder, key.removeprefix("content/"))
    read: dict[str, tuple] = {}
    if _file_sha(path, key, {}, read, walk.started) is None or key not in read:
        return None   # not a file, or no stamp by the walk's clock: changed since it began
    try:
        if file_stamp(os.lstat(path), walk.started) != read[key][0]:
            return None   # changed while it was read
    except OSError:
        return None
    return read[key]


# In the note, each file is one string, quicker to read and write than JSON lists:
# an output file "SHA" or "SHA MTIME SIZE INODE DEVICE"; an input "MTIME CTIME SIZE INODE DEVICE SHA".
SHA_LENGTH = 40


def _stamp_text(values) -> str:
    """A file's stamp (its ints) as the note writes it."""
    return " ".join(map(str, values))


def input_digest(site_dir: Path, config_fp: str, known: dict[str, str] | None = None, defer: bool = False) -> Inputs:
    """A hash of every file a build of `site_dir` can read. `known`: stamps and hashes from the
    last build's note; a file whose stamp is the same is not read again.

    `defer`: files under content/ that have a stamp are not read now (a first build, with no note
    to compare the digest with, reads each of them anyway): the digest is made once the build has
    read them (Inputs.finish), from their hashes as it took them."""
    known = known or {}
    inputs = Inputs(digest=None)
    h = hashlib.sha1()
    walk = _Deferred(str(site_dir / "content"), 0) if defer else None

    def emit(text: str) -> None:   # hashed as it comes, unless kept for `finish`
        if walk is not None:
            walk.parts.append(text)
        else:
            h.update(text.encode("utf-8", "surrogatepass"))

    emit(config_fp + code_fingerprint())
    for name, root, prefix in (("config", site_dir / CONFIG_NAME, CONFIG_NAME), ("content", site_dir / "content", "content"),
                               ("layouts", site_dir / "layouts", "layouts"), ("assets", site_dir / "assets", "assets"),
                               ("theme", THEME, "theme:")):
        emit(f"\0{name}\0")
        content = name == "content"
        if not _hash_tree(emit, root, prefix, known, inputs.stamps, inputs.content if content else None,
                          walk if content else None):
            return inputs
    inputs.walked = True
    if walk is None:
        inputs.digest = h.hexdigest()
    else:
        inputs.deferred = walk
    return inputs


def _hash_tree(emit: Callable[[str], None], root: Path, prefix: str, known: dict, stamps: dict,
               names: list[str] | None = None, walk: _Deferred | None = None) -> bool:
    """Names and hashes of every file under `root` (or of `root` itself), as text to `emit`; False
    on a link or a folder that cannot be read. `names`: each file's key (prefix and path) is added
    to it. `walk`: given, a file with a stamp is not read, and the folders and the files read go
    there instead of the text (_Deferred), which `emit` gets as _CONTENT."""
    now = time.time_ns()   # one clock for the walk, read before any file is looked at
    if walk is not None:
        walk.started = now
        emit(_CONTENT)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        if walk is not None:
            walk.parts[-1] = "missing"
        else:
            emit("missing")
        return True
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    if stat.S_ISREG(st.st_mode):
        if walk is not None:
            return False   # content/ is a folder, or nothing to trust
        sha = _file_sha(str(root), prefix, known, stamps, now)
        if sha is None:
            return False
        emit(f"\0f\0\0{sha}")
        return True
    if not stat.S_ISDIR(st.st_mode):
        return False
    sep = "" if prefix.endswith(":") else "/"
    # Folder by folder, each before the folders in it, those in order of name: each folder's
    # relative path, then each file in it. One scandir a folder, which tells links apart unasked.
    stack = [(str(root), ".")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
            dirs, files = [], []
            for entry in entries:
                if entry.is_symlink():
                    return False
                (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry)
        except OSError:
            return False   # the load stage reports it: its walk must see the folder
        # The folder's part of the text as one string.
        parts = [f"\0d\0{rel}"]
        base = prefix + sep + ("" if rel == "." else rel + "/")
        files.sort(key=_name)
        for entry in files:
            name = entry.name
            key = base + name
            sha = _file_sha(entry.path, key, known, stamps, now, walk is not None)
            if sha is None:
                return False
            if walk is None:
                parts.append(f"\0f\0{rel}/{name}\0{sha}")
            elif sha is not _LATER:
                walk.early[key] = sha
            if names is not None:
                names.append(key)
        if walk is not None:
            walk.folders.append((rel, len(files)))
        else:
            emit("".join(parts))
        dirs.sort(key=_name, reverse=True)   # popped in order of name
        stack += [(entry.path, entry.name if rel == "." else f"{rel}/{entry.name}") for entry in dirs]
    return True


def _name(entry: os.DirEntry) -> str:
    return entry.name


# What _file_sha gives for a file it leaves to be read later (Inputs.deferred), told apart by
# identity: no hash it reads is this very object.
_LATER = "later"


def _file_sha(path: str, key: str, known: dict, stamps: dict, now: int, defer: bool = False) -> str | None:
    """The file's sha, from `known` when its stamp is the one noted there, else read; its stamp
    and sha into `stamps`. None for anything but a file that can be read. With `defer`, a file
    that would be read and has a stamp is not: _LATER comes back."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return None   # a link, a pipe, a device: not worth trusting
        stamp = file_stamp(st, now)
        last = known.get(key)
        if stamp is not None and isinstance(last, str) and last[:-SHA_LENGTH - 1] == _stamp_text(stamp):
            sha = last[-SHA_LENGTH:]
        elif defer and stamp is not None:
            return _LATER
        else:
            with open(path, "rb") as handle:
                sha = hashlib.sha1(handle.read()).hexdigest()
    except OSError:
        return None
    if stamp is not None:
        stamps[key] = (stamp, sha)
    return sha


def output_stamp(st: os.stat_result, now_ns: int | None = None) -> list[int] | None:
    """What tells an output file apart without reading it, or None while it is too new to trust."""
    if (now_ns or time.time_ns()) - st.st_mtime_ns < SETTLE_NS:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev]


@dataclass
class Note:
    """The note of the last successful build (see `write`)."""
    inputs: str
    output: str                        # the output folder it describes
    outputs: dict[str, str]            # file -> "SHA" or "SHA MTIME SIZE INODE DEVICE" (checked when used)
    stamps: dict[str, str]             # input -> "MTIME CTIME SIZE INODE DEVICE SHA" (checked when used)
    diagnostics: list[list[str | int]]   # Diagnostic.as_list() of each problem
    pages: int
    files: int
    clock: Window
    # BuildCache.index_digest of the cache saved with this note, when each output's OutputRecord
    # there has the sha this note gives its file (BuildCache.noted_outputs); "" when not so known.
    cache: str = ""
    scheduled: list[list[str | int]] = field(default_factory=list)   # BuildResult.scheduled: said again on takeover

    def sha(self, rel: str) -> str | None:
        known = self.outputs.get(rel)
        return known[:SHA_LENGTH] if isinstance(known, str) else None


def read(path: Path) -> Note | None:
    """The note of the last successful build, or None when missing, damaged or from other code."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("code") != code_fingerprint():
        return None
    # It sits in the site's folder, so it may have been edited or committed: every part must
    # be what `write` makes. Each file's entry is checked where it is used (check_file,
    # input_digest), and a path only ever names a file found in the output or one the build
    # makes: a path that would lead outside the output folder is never opened.
    outputs, diagnostics, stamps = data.get("outputs"), data.get("diagnostics"), data.get("stamps")
    if not (isinstance(data.get("inputs"), str) and isinstance(data.get("output"), str) and isinstance(outputs, dict)
            and isinstance(diagnostics, list) and isinstance(stamps, dict)
            and type(data.get("pages")) is int and type(data.get("files")) is int):
        return None
    if not all(Diagnostic.well_formed(d) for d in diagnostics):
        return None
    window = Window.from_list(data.get("clock"))
    cache = data.get("cache", "")
    scheduled = data.get("scheduled", [])
    if window is None or not isinstance(cache, str) or not isinstance(scheduled, list) or not all(
            isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and type(s[1]) is int and isinstance(s[2], str)
            for s in scheduled):
        return None
    return Note(inputs=data["inputs"], output=data["output"], outputs=outputs, stamps=stamps,
                diagnostics=diagnostics, pages=data["pages"], files=data["files"], clock=window, cache=cache,
                scheduled=scheduled)


def clock_holds(memo: Note, now) -> bool:
    """Whether the last build's output holds at build time `now`: no page's date, opening
    or closing lies between the two build times."""
    return memo.clock.holds(now)


_SHA1 = re.compile(r"[0-9a-f]{40}")


def plain_path(rel: str) -> bool:
    """A relative path with no `.`, `..` or empty part: one that stays inside the folder it is joined to."""
    return bool(rel) and "\x00" not in rel and all(part not in ("", ".", "..") for part in rel.split("/"))


def write(path: Path, inputs: Inputs, output: Path, diagnostics: list[Diagnostic | list], pages: int, files: int,
          outputs: dict[str, str], window: Window | None = None, cache: str = "",
          scheduled: list[list[str | int]] = ()) -> None:
    """Note what the build that just finished wrote into `output`; a note that cannot be saved is skipped.

    `outputs`: every file of the output with its hash and, when known, its stamp. A wrong
    hash could only make the next build refuse the last output and build in full. `window`:
    the build times for which the output is the same (clock.py): a consultation's state and
    which dated pages are published depend on the clock, not only on the inputs. `cache`: see Note.cache."""
    data = {"code": code_fingerprint(), "inputs": inputs.digest, "output": str(output),
            "outputs": dict(sorted(outputs.items())),
            "stamps": {key: f"{_stamp_text(stamp)} {sha}" for key, (stamp, sha) in inputs.stamps.items()},
            "diagnostics": [d if isinstance(d, list) else d.as_list() for d in diagnostics],
            "pages": pages, "files": files, "clock": (window or Window()).as_list(), "cache": cache,
            "scheduled": list(scheduled)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass


def stamps_changed(inputs: Inputs, memo: Note) -> bool:
    """Whether the note's input stamps differ from those just taken (files grown old enough to trust)."""
    return len(inputs.stamps) != len(memo.stamps) or any(
        memo.stamps.get(key) != f"{_stamp_text(stamp)} {sha}" for key, (stamp, sha) in inputs.stamps.items())


class Look(NamedTuple):
    """What the note takes of an output file's os.stat_result, as its writing left it (BuildSink.looked)."""
    st_mtime_ns: int
    st_size: int
    st_ino: int
    st_dev: int


def output_entry(sha: str, st: os.stat_result | Look, now_ns: int) -> str:
    """A file's entry in the note: its sha, and its stamp once it is old enough to trust."""
    stamp = output_stamp(st, now_ns)
    return f"{sha} {_stamp_text(stamp)}" if stamp else sha


def same_stamp(known, st: os.stat_result) -> bool:
    """Whether `known` (an entry of the note) has this stamp."""
    return isinstance(known, str) and known[SHA_LENGTH + 1:] == f"{st.st_mtime_ns} {st.st_size} {st.st_ino} {st.st_dev}"


def is_noted_file(known, st: os.stat_result) -> bool:
    """Whether a file with this lstat is the very file that `known` (an entry of the note) describes,
    and so holds its sha: a regular file with the same modification time, size, inode and device."""
    return stat.S_ISREG(st.st_mode) and same_stamp(known, st) and bool(_SHA1.fullmatch(known[:SHA_LENGTH]))


def share_in(memo: Note, folder: Path, samples: int = 32) -> float:
    """About what part of the noted files `folder` holds as the very files noted (is_noted_file),
    judged by looking at `samples` of them spread evenly over the note."""
    names = list(memo.outputs)   # in the order `write` gave them: sorted
    if not names:
        return 0.0
    picked = names[::max(1, len(names) // samples)]
    found = 0
    for rel in picked:
        if not plain_path(rel):
            continue
        try:
            st = os.lstat(os.path.join(folder, rel))
        except OSError:
            continue
        found += is_noted_file(memo.outputs[rel], st)
    return found / len(picked)


def check_file(full: str, known, now_ns: int) -> str | None:
    """`known` (the note's entry) brought up to date if the file at `full` still holds its
    sha, checked by its stamp or else by its bytes; None if it does not."""
    if not (isinstance(known, str) and _SHA1.fullmatch(known[:SHA_LENGTH])):
        return None
    try:
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode):
            return None
        if same_stamp(known, st):
            return known
        with open(full, "rb") as handle:
            if hashlib.sha1(handle.read()).hexdigest() != known[:SHA_LENGTH]:
                return None
    except OSError:
        return None
    return output_entry(known[:SHA_LENGTH], st, now_ns)


def read_file(full: str, sha: str, known) -> bytes | None:
    """The bytes of the file at `full` if they are those of hash `sha`, else None. Taken on the
    word of `known` (the note's entry) when it gives that hash and the file's stamp; else hashed."""
    try:
        with open(full, "rb") as handle:
            st = os.fstat(handle.fileno())
            data = handle.read()
    except OSError:
        return None
    noted = isinstance(known, str) and known[:SHA_LENGTH] == sha and stat.S_ISREG(st.st_mode) and same_stamp(known, st)
    return data if noted or hashlib.sha1(data).hexdigest() == sha else None


def holds(memo: Note, output: Path) -> dict[str, str] | None:
    """Whether `output` is exactly what the last build wrote: the same files (and no others),
    each checked by its stamp, or read when it has none. Returns the files with their
    stamps brought up to date, or None."""
    expected = memo.outputs
    now = time.time_ns()
    checked: dict[str, str] = {}
    root = str(output)
    stack = [("", root)]
    while stack:
        rel_folder, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return None
        for entry in entries:
            rel = rel_folder + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + "/", entry.path))
                continue
            if rel == MARKER:   # OutputFolder.commit writes it
                continue
            known = expected.get(rel)
            if known is None:
                return None   # a file the last build did not write
            fresh = check_file(entry.path, known, now)
            if fresh is None:
                return None
            checked[rel] = fresh
    return checked if len(checked) == len(expected) else None
