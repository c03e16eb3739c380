"""Text the build makes in bulk (page bodies, rendered HTML), kept in a scratch file.

Held in the main process, a big site's bodies and HTML take several KB a page, and
every worker process forked while they are held shares that memory and copies it,
4 KB at a time, as soon as it reads a page (Python writes to an object each time it
reads it: its reference count). Memory let go during a build stays with the process,
so dropping the text later does not lower the peak: it must never be held at all.

So the stages that make such text in worker processes write it here and hand back
a SpillText, a few bytes standing for it, which reads it again each time a stage
asks for it (model.deferred): the main process holds only the text it is using.
The file has no name (it goes when it is closed) and is shared with the workers,
which were forked after it was opened: each writes its texts at a place it reserves
under a lock, with pwrite, so no process moves another's file position.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import tempfile
import threading
import weakref

from .model import Deferred

# Every open spill of this process, by its token, so that a SpillText sent back from a
# worker process (pickled) finds its spill again. Forked workers inherit it.
_OPEN: weakref.WeakValueDictionary[str, Spill] = weakref.WeakValueDictionary()


class SpillProblem(Exception):
    """The scratch file cannot be made or written (a full disk, a temporary folder that cannot
    be used): the message says why and what to do."""


def _problem(exc: OSError) -> SpillProblem:
    try:
        folder = tempfile.gettempdir()
    except OSError:   # none of the usual temporary folders can be used
        folder = os.environ.get("TMPDIR") or "the temporary folder"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SpillProblem(f"the disk is full (writing the build's scratch file in {folder}): free some space "
                            "there, or set TMPDIR to a folder on a disk with room, and try again")
    return SpillProblem(f"cannot write the build's scratch file in {folder}: {exc.strerror or exc}; set TMPDIR "
                        "to a folder you can write to, and try again")


# Texts written at once: a chunk of a worker's work, or a big site's words in a few MB at a time.
PUT_AT_ONCE = 2000


class Spill:
    """An unnamed scratch file of texts, written by this process and the workers it forks."""

    def __init__(self, shared: bool = True):
        """`shared`: written by worker processes forked later too. Else by this process alone,
        which then needs no shared memory (`--jobs 1`, where a system may have none to give)."""
        # Unlinked: nothing is left behind, whatever happens. Open as long as the spill is.
        try:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
        except OSError as exc:
            raise _problem(exc) from None
        self.fd = self._file.fileno()
        if shared:
            import multiprocessing  # here: a small build never makes a spill

            context = multiprocessing.get_context("fork")
            self._end = context.RawValue("q", 0)    # shared with the workers: where the next text goes
            self._lock = context.Lock()
        else:
            import ctypes

            self._end = ctypes.c_int64(0)
            self._lock = threading.Lock()
        self.token = secrets.token_hex(8)
        _OPEN[self.token] = self

    def put(self, texts: list[str]) -> list[SpillText]:
        """Write these texts (a write for each few thousand of them); a SpillText for each."""
        out = []
        for start in range(0, len(texts), PUT_AT_ONCE):
            out += self._put(texts[start:start + PUT_AT_ONCE])
        return out

    def _put(self, texts: list[str]) -> list[SpillText]:
        data = [text.encode("utf-8", "surrogatepass") for text in texts]
        blob = b"".join(data)
        with self._lock:
            start = self._end.value
            self._end.value = start + len(blob)
        view, at = memoryview(blob), start
        while view:
            try:
                written = os.pwrite(self.fd, view, at)
            except OSError as exc:   # in a worker too: a SpillProblem is sent back as it is
                raise _problem(exc) from None
            view, at = view[written:], at + written
        out = []
        for part in data:
            out.append(SpillText(self, start, len(part)))
            start += len(part)
        return out

    def read(self, offset: int, length: int) -> str:
        data = os.pread(self.fd, length, offset)
        while len(data) < length:   # a regular file gives it all at once; this is only to be sure
            more = os.pread(self.fd, length - len(data), offset + len(data))
            if not more:
                raise OSError(f"the build's scratch file ended early, at byte {offset + len(data)}")
            data += more
        return data.decode("utf-8", "surrogatepass")


# A SpillText's place in its file, as one int: offset << _LENGTH_BITS | length (no text held in
# memory comes near a terabyte).
_LENGTH_BITS = 40


class SpillText(Deferred):
    """One text in a Spill: read from the file each time it is asked for, never kept (keep = False)."""

    # Where it lies as one int, not an offset and a length: a big build holds five for each
    # page (its body, HTML, contents, links and deps) until it ends, and each int took 28 bytes.
    __slots__ = ("spill", "_at")
    keep = False

    def __init__(self, spill: Spill, offset: int, length: int):
        self.spill, self._at = spill, offset << _LENGTH_BITS | length

    @property
    def offset(self) -> int:
        return self._at >> _LENGTH_BITS

    @property
    def length(self) -> int:
        return self._at & ((1 << _LENGTH_BITS) - 1)

    def value(self) -> str:
        return self.spill.read(self.offset, self.length)

    def __eq__(self, other) -> bool:
        """Equal to the value it stands for (the cache writes a record only when it differs from the last one's)."""
        if isinstance(other, SpillText) and (self.spill, self._at, type(self)) == (other.spill, other._at, type(other)):
            return True
        return self.value() == (other.value() if isinstance(other, Deferred) else other)

    __hash__ = None

    def __reduce__(self):
        # From a worker to the main process (or back): where it lies, the file being theirs alike.
        return (_reopen, (self.spill.token, self.offset, self.length, type(self)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.offset}+{self.length}>"


class SpillJSON(SpillText):
    """A value kept as its JSON in a Spill (a MarkdownRecord's deps), parsed each time it is asked for."""

    __slots__ = ()

    def value(self):
        return json.loads(super().value())

    def json_text(self) -> str:
        # Written by _ENCODER below, with the cache's own separators and escaping.
        return super().value()


# As the build cache encodes (cache._ENCODER): SpillJSON.json_text goes into the cache as it is.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def put_json(spill: Spill, values: list) -> list[SpillJSON]:
    """Write each value as JSON; a SpillJSON for each."""
    return [SpillJSON(t.spill, t.offset, t.length) for t in spill.put([_ENCODER.encode(v) for v in values])]


def _reopen(token: str, offset: int, length: int, kind: type[SpillText]) -> SpillText:
    return kind(_OPEN[token], offset, length)
