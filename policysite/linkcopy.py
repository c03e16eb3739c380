"""Link every file of an output folder into a new folder: the spare a next build starts from.

    python linkcopy.py OUTPUT FOLDER MARKER PARENT_PID

Run as a script in its own small process (write.py's SpareMaker), not imported: it needs
nothing of policysite, and a forked copy of a build's process would share, then copy, the
build's whole heap while the build writes its cache. Folders are made and files hard-linked
as they are in OUTPUT; links and anything else that is not a file or a folder are left out
(the build that takes the spare links or writes what it misses). The empty MARKER file is
made last, so a folder without it was not finished, and the exit status is 0 only then. It
stops at the first failure (a file system without hard links fails on the first file), and
when the build that started it has gone (killed outright: its lock is let go, and the next
build removes this folder as a leftover).
"""

import os
import signal
import sys


def link_tree(source: str, dest: str, marker: str, parent: int | None = None) -> None:
    """Every folder and file of `source`, made and linked in the existing folder `dest`; `marker` last."""
    stack = [(source, dest)]
    while stack:
        if parent is not None and os.getppid() != parent:
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


if __name__ == "__main__":
    # Started while the build held Ctrl-C and SIGTERM back (write.py's start_spare): they stop this process again.
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    link_tree(*sys.argv[1:4], parent=int(sys.argv[4]))
