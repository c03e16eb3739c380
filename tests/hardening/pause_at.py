"""`python build.py ARGS` that stops at one point of the build until it is signalled.

    python pause_at.py POINT COUNT MARKER GO -- ARGS...

POINT is where to stop, watched through Python's audit events (so no code of
policysite's changes for it):
  tmp-folder  the build's temporary output folder has just been made (the first
              file opened after it);
  load        the build has opened COUNT Markdown files of content/ to read;
  write       one process of the build has opened COUNT files of its temporary
              output folder to write;
  worker      a worker process has just been forked (it opens os.devnull as it
              starts, before it runs any code of policysite's); COUNT is 1.
There the process that got there first creates MARKER and waits until the
file GO exists. A signal that arrives while it waits is handled just as it
would be at that point of a real build (Python runs its handler as soon as the
wait lets it, unless the build holds signals there). The test waits for
MARKER, sends its signal, then creates GO: nothing depends on timing.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

BUILD_PY = Path(__file__).resolve().parents[2] / "build.py"


def install(point: str, count: int, marker: str, go: str) -> None:
    seen = [0]
    main_pid = os.getpid()
    busy = [False]
    made = [False]   # the temporary folder, for tmp-folder

    def reached() -> bool:
        seen[0] += 1
        return seen[0] == count

    def matches(event: str, args: tuple) -> bool:
        if point == "worker":
            return event == "open" and args[0] == os.devnull and os.getpid() != main_pid
        if event == "os.mkdir" and ".tmp-" in os.path.basename(os.fsdecode(args[0])):
            made[0] = True   # audit events come before what they announce: stop at the next one
            return False
        if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return False
        if point == "tmp-folder":
            return made[0]
        path = os.fsdecode(args[0])
        mode = args[1] if isinstance(args[1], str) else ""
        flags = args[2] if isinstance(args[2], int) else 0
        writing = "w" in mode or "a" in mode or "x" in mode or bool(flags & (os.O_WRONLY | os.O_RDWR))
        if point == "load":
            return not writing and path.endswith(".md") and f"{os.sep}content{os.sep}" in path
        return writing and ".tmp-" in path

    def hook(event: str, args: tuple) -> None:
        if busy[0] or not matches(event, args) or not reached():
            return
        busy[0] = True   # the hook's own file operations raise audit events too
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return   # another process of the build stopped first
        os.close(fd)
        while not os.path.exists(go):
            time.sleep(0.01)
        busy[0] = False

    sys.addaudithook(hook)


if __name__ == "__main__":
    point, count, marker, go, dashes, *args = sys.argv[1:]
    assert dashes == "--", sys.argv
    install(point, int(count), marker, go)
    sys.argv = [str(BUILD_PY), *args]
    runpy.run_path(str(BUILD_PY), run_name="__main__")
