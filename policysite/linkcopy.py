"""Link every file of an output folder into a new folder: the spare a next build starts from.

    python linkcopy.py OUTPUT FOLDER MARKER PARENT_PID
    python linkcopy.py - FOLDER MARKER PARENT_PID

Run as a script in its own small process (write.py's SpareMaker), not imported: it needs
nothing of policysite, and a forked copy of a build's process would share, then copy, the
build's whole heap while the build writes its cache. Folders are made and files hard-linked
as they are in OUTPUT; links and anything else that is not a file or a folder are left out
(the build that takes the spare links or writes what it misses). The empty MARKER file is
made last, so a folder without it was not finished, and the exit status is 0 only then. It
stops at the first failure (a file system without hard links fails on the first file), and
when the build that started it has gone (killed outright: its lock is let go, and the next
build removes this folder as a leftover).

With `-` for OUTPUT, it begins while the build is still writing: it makes the folders named
in FOLDER's FOLDERS_FILE (each ended by a NUL: those the build is about to write files in), then waits
for the output's path on standard input, ended by a NUL, and links from there. Making a folder
is mostly a wait for the disk, which then overlaps the build's rendering rather than its end.
Standard input closed without a path (the build failed, or wants no spare) stops it.
"""

import os
import select
import signal
import sys

FOLDERS_FILE = ".policysite-folders"


def link_tree(source: str, dest: str, marker: str, parent: int | None = None, made: set[str] | None = None) -> None:
    """Every folder and file of `source`, made and linked in the existing folder `dest`; `marker` last.

    `made`: folders (relative, "/"-separated) already made in `dest`. Those `source` does not
    have as folders are removed again, so `dest` ends up with exactly `source`'s folders."""
    made = set(made or ())
    stack = [(source, dest, "")]
    while stack:
        if parent is not None and os.getppid() != parent:
            raise SystemExit(1)
        here, there, prefix = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.name == marker and here == source:
                    continue   # the folder's own mark, made anew below: never shared
                target = os.path.join(there, entry.name)
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel in made:
                        made.discard(rel)
                    else:
                        os.mkdir(target)
                    stack.append((entry.path, target, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    if rel in made:   # a file where a folder was expected: only folders made ahead are in it
                        _remove_made(dest, rel, made)
                    os.link(entry.path, target, follow_symlinks=False)
    for rel in sorted(made, reverse=True):   # a folder's own folders before it
        os.rmdir(os.path.join(dest, rel))
    with open(os.path.join(dest, marker), "xb"):
        pass


def _remove_made(dest: str, rel: str, made: set[str]) -> None:
    """Remove the folder `rel`, made ahead, and those made ahead inside it (nothing else is)."""
    inside = sorted((name for name in made if name == rel or name.startswith(rel + "/")), reverse=True)
    for name in inside:
        os.rmdir(os.path.join(dest, name))
        made.discard(name)


def make_folders(dest: str, parent: int | None = None) -> set[str]:
    """Make the folders FOLDERS_FILE in `dest` names (parents before their own folders); the file
    goes first, so it is never taken for one of the output's."""
    listing = os.path.join(dest, FOLDERS_FILE)
    with open(listing, "rb") as file:
        names = [os.fsdecode(line) for line in file.read().split(b"\0") if line]
    os.unlink(listing)
    made = set()
    for number, rel in enumerate(names):
        if number % 500 == 0 and parent is not None and os.getppid() != parent:
            raise SystemExit(1)
        os.mkdir(os.path.join(dest, rel))
        made.add(rel)
    return made


def source_when_told(parent: int | None = None) -> str | None:
    """The output's path, once the build sends it on standard input; None if it ends without
    sending it (standard input closed, or the build gone)."""
    fd = sys.stdin.fileno()
    told = b""
    while not told.endswith(b"\0"):
        ready, _, _ = select.select([fd], [], [], 1.0)
        if parent is not None and os.getppid() != parent:
            return None
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            told += chunk
    return os.fsdecode(told[:-1])


def main(source: str, dest: str, marker: str, parent: int) -> None:
    made = None
    if source == "-":
        # Below the build's own processes, which are rendering meanwhile: most of this is waiting
        # for the disk, and what little is left takes a core only when they leave one.
        os.nice(10)
        made = make_folders(dest, parent)
        source = source_when_told(parent)
        if source is None:
            raise SystemExit(1)
    link_tree(source, dest, marker, parent, made)


if __name__ == "__main__":
    # Started while the build held Ctrl-C and SIGTERM back (write.py's start_spare): they stop this process again.
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    main(*sys.argv[1:4], int(sys.argv[4]))
