"""Link every file of an output folder into a new folder, then put that folder in place as the spare.

    python linkcopy.py OUTPUT FOLDER SPARE ASIDE MARKER LOCK_FD

Run as a script in its own small process (write.py's SpareMaker; write.py imports only its
two words for the build's orders): it needs nothing of policysite, and a forked copy of a build's process would share, then copy, the
build's whole heap while the build writes its cache. Folders are made and files hard-linked
as they are in OUTPUT; links and anything else that is not a file or a folder are left out
(the build that takes the spare links or writes what it misses). The empty MARKER file is
made last, so a folder without it was not finished.

The build talks to it on stdin. PLACE (one byte, answered with TAKEN on stdout) says the build
is done with the output and leaves the rest to this process: it puts FOLDER in place as SPARE once it is finished,
holding the output's lock (LOCK_FD, inherited from the build) until then, so a next build
waits for the spare rather than for nothing. The end of stdin without PLACE says the build
gave up (it failed, was interrupted or was killed): this process stops where it is, and the
build (or, if it was killed, the next one) removes FOLDER.

A folder set aside is first renamed to a new name that begins with ASIDE, which no build ever
uses again, then removed: the spare this one replaces, or this one when it cannot be put in
place (somebody's own folder has the spare's name; linking failed, as on a file system without
hard links).
"""

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import threading

PLACE = b"p"   # from the build: the spare is this process's to put in place
TAKEN = b"t"   # the answer, at once


class Orders:
    """What the build says on stdin, heard by a thread of its own while the linking goes on:
    PLACE, answered at once with TAKEN on stdout, or the end of stdin without it (the build
    gave up, or was killed)."""

    def __init__(self, read_fd: int = 0, write_fd: int = 1):
        self.placing = False
        self.heard = threading.Event()
        self._fds = (read_fd, write_fd)
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        read_fd, write_fd = self._fds
        try:
            data = os.read(read_fd, 1)
            if data == PLACE:
                self.placing = True
                os.write(write_fd, TAKEN)
        except OSError:
            pass   # the build has gone: if it had not said PLACE, it gave up
        finally:
            self.heard.set()

    def go_on(self) -> bool:
        """False once the build has given up."""
        return self.placing or not self.heard.is_set()

    def wait(self) -> bool:
        """Whether the build leaves the spare to this process, once it has said."""
        self.heard.wait()
        return self.placing


def link_tree(source: str, dest: str, marker: str, go_on=lambda: True) -> None:
    """Every folder and file of `source`, made and linked in the existing folder `dest`; `marker`
    last. SystemExit as soon as `go_on()` is false (asked before each folder)."""
    stack = [(source, dest)]
    while stack:
        if not go_on():
            raise SystemExit(1)
        here, there = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.name == marker and here == source:
                    continue   # the folder's own mark, made anew below: never shared
                target = os.path.join(there, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(target)
                    stack.append((entry.path, target))
                elif entry.is_file(follow_symlinks=False):
                    os.link(entry.path, target, follow_symlinks=False)
    with open(os.path.join(dest, marker), "xb"):
        pass


def is_spare(path: str, marker: str) -> bool:
    """A folder (not a link to one) with the marker file: an output or a spare, never somebody's own."""
    mark = os.path.join(path, marker)
    return (os.path.isdir(path) and not os.path.islink(path) and os.path.isfile(mark)
            and not os.path.islink(mark))


def set_aside(path: str, aside: str) -> str:
    """`path` renamed to a new name beginning with `aside` (as write.set_aside names them)."""
    old = tempfile.mkdtemp(prefix=os.path.basename(aside), dir=os.path.dirname(aside))
    os.rmdir(old)
    os.rename(path, old)
    return old


def place(folder: str, spare: str, aside: str, marker: str) -> str | None:
    """Put `folder` in place as `spare`; the old spare set aside, its new name returned.
    FileExistsError when something else has the spare's name; on any failure the old
    spare is where it was."""
    old = None
    if os.path.lexists(spare):
        if not is_spare(spare, marker):
            raise FileExistsError(spare)   # somebody's own: left alone
        old = set_aside(spare, aside)
    try:
        os.rename(folder, spare)
    except OSError:
        if old is not None:
            os.rename(old, spare)   # a poor spare is better than none
        raise
    return old


def main(output: str, folder: str, spare: str, aside: str, marker: str, lock: int) -> int:
    orders = Orders()
    try:
        link_tree(output, folder, marker, orders.go_on)
        linked = True
    except OSError:
        linked = False   # never to be placed
    if not orders.wait():
        return 1   # the build gave up: it removes the folder (or, if it was killed, the next build does)
    old = None
    # No moment without a whole spare: Ctrl-C and SIGTERM wait until the renames are done.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        if linked:
            try:
                old = place(folder, spare, aside, marker)
            except OSError:
                linked = False
        if not linked:   # removed before the lock is let go: a next build never meets it
            with contextlib.suppress(OSError):
                shutil.rmtree(set_aside(folder, aside), ignore_errors=True)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)   # the spare is whole: a next build may go on
        os.close(lock)
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
    if old is not None:   # the spare this one replaced: no build uses its new name, none waits for it
        shutil.rmtree(old, ignore_errors=True)
    return 0 if linked else 1


if __name__ == "__main__":
    # Started while the build held Ctrl-C and SIGTERM back (write.py's start_spare): they stop this process again.
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    output, folder, spare, aside, marker, lock = sys.argv[1:7]
    sys.exit(main(output, folder, spare, aside, marker, int(lock)))
