"""The output folder: built aside, swapped in whole, never half-written.

Pages are written into a hidden sibling folder; only when everything has
been written is the old output moved away and the new one moved in (two
renames on one file system). A failed or interrupted build removes its own
temporary folder and leaves the previous output exactly as it was.

The output moved away is kept as the spare (`.OUTPUT.spare`, beside it): most
of its files are hard links to the same files as the new output, so the next
build can take it as its temporary folder and bring it up to date (builder.py's
BuildSink) instead of linking every file again. A build that fails gives the
spare back as it found it, or near enough: nothing in a spare is trusted
without being checked against the note of the current output (memo.py).
When the output moved away would be a poor spare (there was none, or the new
output shares few of its files), the build can make a new one from the new
output instead (`start_spare`, SpareMaker).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import posixpath
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

MARKER = ".policysite-output"


class OutputProblem(Exception):
    """The output folder cannot be used; the message says why and what to do."""


def check_output_folder(output: Path, site_dir: Path) -> None:
    """Refuse output folders that would overwrite sources or someone else's files."""
    out = output.resolve()
    site = site_dir.resolve()
    if out == site or site.is_relative_to(out):
        raise OutputProblem(f"the output folder {output} contains the site itself: choose another folder, such as {site_dir / '_site'}")
    for name in ("content", "layouts", "assets"):
        if out.is_relative_to(site / name):
            raise OutputProblem(f"the output folder {output} is inside {name}/: choose a folder outside it, such as {site_dir / '_site'}")
    if out.exists() and not out.is_dir():
        raise OutputProblem(f"{output} exists and is not a folder: choose another output folder")
    for above in out.parents:
        if above.exists() and not above.is_dir():
            raise OutputProblem(f"{above} is a file, so the output folder {output} cannot be made inside it: choose another output folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputProblem(f"{output} is not empty and was not made by policysite: choose an empty or new folder, or remove it")


class OutputFolder:
    """A temporary folder beside the output, swapped in by `commit()`; the output is locked
    from the start until `commit` (or, with `keep_lock`, until `finish`) or `discard`."""

    def __init__(self, output: Path, take_spare: Callable[[Path], bool] | None = None):
        """`take_spare(spare)`: whether to start from the spare (see the module's docstring), asked
        with the output locked, when there is a usable one; `from_spare` then says it was taken,
        and the caller must bring every file in it up to date."""
        self.output = output
        self.spare = spare_folder(output)
        self.tmp: Path | None = None
        self.from_spare = False
        self.written: set[str] = set()
        self._folder = ""   # see _create
        self._spare_maker: SpareMaker | None = None   # see start_spare
        output.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_file(output)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX)   # one build at a time into this output (and its spare)
            _remove_leftovers(output)
            spare_wanted = take_spare is not None and _is_spare(self.spare) and take_spare(self.spare)
            # A Ctrl-C between making the folder and knowing its name would leave it behind:
            # hold signals until self.tmp is set; one that came meanwhile lands after, below.
            blocked = _block_signals()
            try:
                self.tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
                if spare_wanted:
                    os.rmdir(self.tmp)
                    try:
                        os.rename(self.spare, self.tmp)
                        self.from_spare = True
                    except OSError:
                        os.mkdir(self.tmp)
            except OSError as exc:
                raise _renamed(exc, output.parent) from None
            finally:
                _restore_signals(blocked)
        except BaseException:
            if self.tmp is not None:
                self._drop()
            self._unlock()   # else a later build in this process would wait for ever
            raise

    def _path(self, rel: str) -> Path:
        return Path(self._file(rel))

    def _file(self, rel: str) -> str:
        """Where `rel` goes in the temporary folder, refusing any path that would leave it.

        The check is on the text alone: this folder was just made by this build,
        or is the spare with everything in it but noted files and folders
        removed (BuildSink does so before anything is written), and the build
        creates only folders and files in it (never symbolic links), so nothing
        inside it can lead out. Resolving every path against the disk cost
        more than half a millisecond per file."""
        norm = posixpath.normpath(rel)
        if "\x00" in rel or norm in (".", "..") or norm.startswith(("/", "../")) or rel.startswith("/"):
            raise OutputProblem(f"refusing to write {rel}: it is outside the output folder")
        return os.path.join(self.tmp, norm)

    def write(self, rel: str, data: bytes | str) -> os.stat_result:
        """Write a new file; returns its os.fstat as the write left it (see BuildSink.looked)."""
        path = self._file(rel)
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            fd = self._create(path)
            try:
                view = memoryview(data)
                while view:   # a regular file takes it all at once; this is only to be sure
                    view = view[os.write(fd, view):]
                st = os.fstat(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _renamed(exc, self.output / rel) from None
        self.written.add(rel)
        return st

    def _create(self, path: str) -> int:
        """A new file at `path`, opened for writing (a file descriptor: unbuffered, as the
        bytes are written at once, with none of the calls a Python file object makes on
        opening), its folder made first if need be.

        Every page has a folder of its own, so the usual case is one mkdir and one open;
        `_folder` (the last folder this process made or found) spares the mkdir for the files
        that follow in the same folder (the search index's). Not every folder: a big site has
        one for each page, and their names, held in each process that writes pages, took
        megabytes for no mkdir saved. It is only a hint: a folder gone since (the spare started
        afresh) is made again when the open says so. A file already there (linked from the
        previous output) is removed first, never written through."""
        parent = os.path.dirname(path)
        if parent != self._folder:
            _make_folder(parent)
            self._folder = parent
        try:
            return os.open(path, _NEW_FILE, 0o666)
        except FileExistsError:
            os.unlink(path)
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
        return os.open(path, _NEW_FILE, 0o666)

    def copy(self, rel: str, source: str) -> None:
        path = self._path(rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _unlink(path)
            shutil.copyfile(source, path)
        except OSError as exc:
            # Name the file being written, not the hidden temporary folder.
            raise _renamed(exc, source if exc.filename == source else self.output / rel) from None
        self.written.add(rel)

    def commit(self, keep_lock: bool = False) -> None:
        """Move the finished build into place; the previous output becomes the spare.

        `keep_lock`: the output stays locked, for `start_spare`, until `finish` (or `discard`)."""
        marker = self.tmp / MARKER
        try:
            st = os.lstat(marker)
            # The spare's own, shared with no other folder, and empty as a clean build writes it.
            have_marker = stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size == 0
        except OSError:
            have_marker = False
        if not have_marker:
            _unlink(marker)
            marker.write_bytes(b"")
        os.chmod(self.tmp, 0o755)
        removed: list[Path] = []   # folders moved aside, to remove once the swap is over
        previous = None            # where the previous output went
        # Ctrl-C or SIGTERM between the renames would lose both outputs:
        # hold them until the swap is over.
        blocked = _block_signals()
        try:
            # A spare this build did not take is replaced by the new one. Anything else by that
            # name is somebody's own and stays as it is: the previous output is then removed.
            keep_spare = not os.path.lexists(self.spare)
            if not keep_spare and _is_spare(self.spare):
                removed.append(self._aside(self.spare))
                keep_spare = True
            if os.path.lexists(self.output):
                if _is_folder(self.output) and keep_spare:
                    os.rename(self.output, self.spare)
                    previous = self.spare
                else:
                    previous = self._aside(self.output)
                    removed.append(previous)
            try:
                os.rename(self.tmp, self.output)
            except OSError:
                if previous is not None:
                    os.rename(previous, self.output)
                    if previous in removed:
                        removed.remove(previous)
                raise
            self.tmp = None   # it is the output now: nothing to discard
        finally:
            try:
                for folder in removed:
                    remove_folder(folder)
                if not keep_lock:
                    self._unlock()
            finally:
                _restore_signals(blocked)

    def start_spare(self) -> None:
        """After `commit(keep_lock=True)`, when there was no previous output or it would be a poor
        spare (the caller knows how few files the new one shares with it): begin a new spare, linked from
        the new output in another process while the caller goes on (its cache, its note).
        `finish` waits for it and puts it in place. Not when something else holds the spare's name."""
        if self._lock is None or self.tmp is not None or self._spare_maker is not None:
            return
        if os.path.lexists(self.spare) and not _is_spare(self.spare):
            return   # somebody's own: left alone
        # Held back until the process is known here (a Ctrl-C between would leave it unstopped);
        # it lets them through itself (linkcopy.py).
        blocked = _block_signals()
        try:
            self._spare_maker = SpareMaker.start(self.output)
        finally:
            _restore_signals(blocked)

    @property
    def making_spare(self) -> bool:
        return self._spare_maker is not None

    def finish(self) -> None:
        """After `commit`: wait for the spare begun (`start_spare`), if any, put it in place,
        and let the output go."""
        try:
            if self._spare_maker is not None:
                self._place(self._spare_maker)
        finally:
            self._spare_maker = None
            self._unlock()

    def _place(self, maker: SpareMaker) -> None:
        try:
            finished = maker.wait()
        except BaseException:   # Ctrl-C while waiting: a second one must not leave the process running
            blocked = _block_signals()
            try:
                maker.cancel()
            finally:
                _restore_signals(blocked)
            raise
        if not finished:
            return
        old = None
        blocked = _block_signals()   # no moment without a spare that is whole
        try:
            if os.path.lexists(self.spare):
                if not _is_spare(self.spare):
                    raise FileExistsError(self.spare)   # somebody's own, put there meanwhile: left alone
                old = self._aside(self.spare)   # the previous output: a poor spare
            os.rename(maker.folder, self.spare)
        except OSError:
            maker.cancel()
            if old is not None:
                with contextlib.suppress(OSError):
                    os.rename(old, self.spare)   # a poor spare is better than none
                    old = None
        finally:
            _restore_signals(blocked)
        if old is not None:
            remove_folder(old)

    def _aside(self, path: Path) -> Path:
        return set_aside(path, self.output)

    def discard(self) -> None:
        """Remove the temporary folder; one taken from the spare is given back, to be checked again next time."""
        blocked = _block_signals()   # a second Ctrl-C must not leave half the folder
        try:
            if self.tmp is not None:
                self._drop()
            if self._spare_maker is not None:
                maker, self._spare_maker = self._spare_maker, None
                maker.cancel()
        finally:
            try:
                self._unlock()
            finally:
                _restore_signals(blocked)

    def _drop(self) -> None:
        if self.from_spare and not os.path.lexists(self.spare):
            try:
                os.rename(self.tmp, self.spare)
                return
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _unlock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None


LINKCOPY = Path(__file__).resolve().with_name("linkcopy.py")


class SpareMaker:
    """A process linking every file of the output into a new folder beside it (linkcopy.py).

    A build with the disk cache that leaves no good spare (a first build, or one that wrote
    most pages anew) makes one this way while it writes its cache and note: linking a whole
    output costs about as long as that (mostly time in the kernel, on the other core), and
    the next build, after a one-page edit, then starts from it rather than linking every file
    itself. The folder is named like a temporary one, so a build killed meanwhile leaves a
    leftover the next build removes (or, once finished and marked, takes as the spare)."""

    def __init__(self, output: Path, folder: Path, process: subprocess.Popen):
        self.output = output
        self.folder = folder
        self.process = process

    @classmethod
    def start(cls, output: Path) -> SpareMaker | None:
        """None when no folder or process can be made: the next build links every file, as it can."""
        if not sys.executable:   # an embedded interpreter: nothing to start the script with
            return None
        try:
            folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
        except OSError:
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LINKCOPY), str(output), str(folder), MARKER, str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        except (OSError, ValueError):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(output, folder, process)

    def wait(self) -> bool:
        """Whether the folder is finished; if not, it is removed. Its marker says so, not the exit
        status alone: where SIGCHLD is ignored, a process's status reads as 0 whatever it was."""
        if self.process.wait() == 0 and _is_spare(self.folder):
            return True
        self.cancel()
        return False

    def cancel(self) -> None:
        """Stop the process and remove what it made, under an `.old-` name: a detached process
        may remove a large folder after this build ends, and the next build must neither wait
        to remove it in the foreground nor, when it is marked as finished, take it as the spare."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        try:
            folder = set_aside(self.folder, self.output)
        except OSError:
            folder = self.folder
        remove_folder(folder)


def set_aside(path: Path, output: Path) -> Path:
    """Rename `path` to a new `.old-` name beside `output`, to be removed (remove_folder, now or
    by the next build): under that name no build uses it again, even while a detached
    process is still removing it."""
    old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
    os.rmdir(old)
    os.rename(path, old)
    return old


def spare_folder(output: Path) -> Path:
    """Where the output before the current one is kept (see the module's docstring)."""
    return output.parent / f".{output.name}.spare"


def _is_folder(path: Path) -> bool:
    """A folder itself, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_spare(spare: Path) -> bool:
    """Whether `spare` is an output this build's predecessors moved there (a folder with the
    marker). Anything else by that name was put there by somebody else: it is never used,
    moved or removed."""
    return _is_folder(spare) and os.path.isfile(spare / MARKER) and not os.path.islink(spare / MARKER)


def _lock_file(output: Path) -> int:
    """An open file that builds into `output` (and only those) lock, so builds into sibling
    folders never wait for each other. It lives in the system's temporary folder, named by
    the output's real path, so nothing appears beside the output; when that folder cannot
    be used, the output's parent folder itself is locked (every build into it then waits)."""
    import hashlib

    name = hashlib.sha1(os.fsencode(output.resolve())).hexdigest()
    folder = Path(tempfile.gettempdir()) / f"policysite-locks-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.is_symlink() or folder.stat().st_uid != os.getuid():
            raise OSError("not this user's lock folder")
        return os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError:
        return os.open(output.parent, os.O_RDONLY)


# Beyond this many folders, the previous output is removed by a background process.
BACKGROUND_REMOVAL = 200


def remove_folder(folder: Path) -> None:
    """Remove a previous output; a large one in a detached process, so the build can end.

    Removing folders is slow on some file systems (several ms each): the
    new output is already in place, and any leftover is cleared by the
    next build, so nothing waits for it.
    """
    folders = 0
    for _root, dirs, _files in os.walk(folder):
        folders += len(dirs)
        if folders > BACKGROUND_REMOVAL:
            try:
                subprocess.Popen(
                    [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)", str(folder)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True, close_fds=True)
                return
            except OSError:
                break
    shutil.rmtree(folder, ignore_errors=True)


# As open(path, "xb") opens a file: made here or not at all, never written through a link.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _make_folder(folder: str) -> None:
    """`folder` and any missing parents; nothing when it is there already."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _unlink(path: Path) -> None:
    """Remove a file already at `path`: it may be linked from the previous output, which
    writing into it would change."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _renamed(exc: OSError, filename) -> OSError:
    """The same error, naming a path the editor knows."""
    return OSError(exc.errno, exc.strerror, str(filename))


_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _block_signals():
    """Hold SIGINT and SIGTERM (only the main thread runs Python's handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _restore_signals(previous) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _remove_leftovers(output: Path) -> None:
    """Temporary folders of builds that were killed outright (SIGKILL, power cut), and folders
    set aside (`.old-`) that are still there.

    Called with the lock held, so no other build is using them. A temporary folder that was
    the spare (it still has the marker) becomes the spare again when there is none: like any
    spare, each of its files is checked before it is kept. Any other is set aside, then
    removed (in the background when large).
    """
    spare = spare_folder(output)
    # `.old-` first: a `.tmp-` folder set aside below is then not met, and removed, again.
    for prefix in (f".{output.name}.old-", f".{output.name}.tmp-"):
        for path in output.parent.glob(glob.escape(prefix) + "*"):
            if "." in path.name[len(prefix):]:
                continue   # another output's (`_site.old-x` is a name one could choose), not a mkdtemp name
            if path.is_dir() and not path.is_symlink():
                if prefix.endswith(".tmp-") and _is_spare(path) and not os.path.lexists(spare):
                    try:
                        os.rename(path, spare)
                        continue
                    except OSError:
                        pass
                if prefix.endswith(".old-"):
                    # Most often the last build's, which a detached process may still be
                    # removing: removing it here as well made a build wait many seconds.
                    remove_folder(path)
                else:
                    # A whole unfinished output or spare: in the background once renamed.
                    try:
                        remove_folder(set_aside(path, output))
                    except OSError:
                        shutil.rmtree(path, ignore_errors=True)


def describe_os_error(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full (writing{where}): free some space and build again (the previous output is unchanged)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to{where or ' the output folder'}: it is read-only or you lack permission; choose another output folder (the previous output is unchanged)"
    return f"cannot write the output{where and ' (' + where.strip() + ')'}: {exc.strerror or exc}; choose another output folder (the previous output is unchanged)"
