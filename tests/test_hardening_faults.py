"""Issue 7, faults: interrupted, failing, concurrent and disk-full builds never half-publish.

A build killed by Ctrl-C (SIGINT to its process group, as a terminal sends it)
or by SIGTERM half-way, a build whose layout raises for one page, and a build
that runs out of disk space must each leave the previous output byte for byte
and no `.OUT.tmp-*` folder behind, with a one-line message and no traceback.
Two builds at once into one folder must leave a complete output, the same as
a clean build's.

An interrupted build is stopped at a chosen point (tests/hardening/pause_at.py)
and signalled there, so the tests never guess how far a build has got.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hardening.helpers import BUILD_PY, REPO, diagnostics_in, leftovers, page, run_cli_in_process, write_site

GENERATE = REPO / "bench" / "generate.py"
PAUSE_AT = Path(__file__).resolve().parent / "hardening" / "pause_at.py"
CI = bool(os.environ.get("CI"))



def plain_signals() -> None:
    """In the build's child process: Ctrl-C and SIGTERM as a shell would start it with (not held,
    not ignored), whatever the test runner's own process holds; the signal tests rely on it."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

def manifest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links not followed): relative path -> sha1."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            out[path.relative_to(folder).as_posix()] = hashlib.sha1(path.read_bytes()).hexdigest()
        for name in dirs:
            out[(Path(root) / name).relative_to(folder).as_posix() + "/"] = ""
    return out


def temporary_folders(out: Path) -> list[str]:
    return [name for name in leftovers(out.parent, out.name) if ".tmp-" in name]


def build_command(site: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(BUILD_PY), "build", str(site), "--output", str(out), "--no-cache", *extra]


def build(site: Path, out: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(build_command(site, out, *extra), capture_output=True, text=True, timeout=timeout)


def generate(folder: Path, pages: int) -> Path:
    subprocess.run([sys.executable, str(GENERATE), "--pages", str(pages), "--out", str(folder)],
                   check=True, capture_output=True, timeout=120)
    return folder


def assert_clean_failure(proc, *words: str) -> None:
    text = proc.stderr + proc.stdout
    assert "Traceback" not in text, text[-3000:]
    for word in words:
        assert word.lower() in text.lower(), text[-3000:]


# ---- interrupted builds ------------------------------------------------------------------

@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 400-page site (enough to render in worker processes) with one good build in OUT;
    then its sources change, so a build that finished would change OUT."""
    root = tmp_path_factory.mktemp("faults")
    site = generate(root / "site", 400)
    out = root / "out"
    first = build(site, out)
    assert first.returncode == 0, first.stderr[-3000:]
    home = site / "content" / "_index.md"
    home.write_text(home.read_text(encoding="utf-8") + "\nChanged after the good build.\n", encoding="utf-8")
    return site, out, manifest(out)


def _wait_for(condition, proc, timeout: float = 300) -> bool:
    """Until `condition()` holds; False if the process ended first. The timeout only bounds a hang."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if proc.poll() is not None:
            return condition()
        time.sleep(0.01)
    return False


# Where the build is stopped (tests/hardening/pause_at.py), which signal it gets there,
# and whether it goes to the whole process group, as a terminal's Ctrl-C does.
INTERRUPTS = [
    pytest.param(signal.SIGINT, True, "tmp-folder", 1, id="ctrl-c-as-the-temporary-folder-is-made"),
    pytest.param(signal.SIGINT, True, "load", 100, id="ctrl-c-while-loading"),
    pytest.param(signal.SIGINT, True, "write", 100, id="ctrl-c-while-rendering-and-writing-pages"),
    pytest.param(signal.SIGTERM, False, "load", 50, id="sigterm-while-loading"),
    pytest.param(signal.SIGTERM, False, "write", 150, id="sigterm-while-rendering-and-writing-pages"),
]


@pytest.mark.parametrize("sig,group,point,count", INTERRUPTS)
def test_interrupted_build_leaves_previous_output(big, tmp_path, sig, group, point, count):
    site, out, before = big
    marker, go = tmp_path / "stopped", tmp_path / "go"
    command = [sys.executable, str(PAUSE_AT), point, str(count), str(marker), str(go), "--",
               *build_command(site, out)[2:]]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=plain_signals)
    try:
        reached = _wait_for(marker.exists, proc)
        assert reached, "the build never reached the point to interrupt it: " + proc.communicate()[1][-2000:]
        assert temporary_folders(out), "the build is stopped with no temporary folder"
        if group:
            os.killpg(proc.pid, sig)       # Ctrl-C in a terminal: the build and its workers
        else:
            proc.send_signal(sig)          # `kill PID`
        go.touch()                         # for a build that holds signals at this point
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, (proc.returncode, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Interrupted" in stderr and "previous output is unchanged" in stderr, stderr
    assert manifest(out) == before
    assert temporary_folders(out) == []


def test_ctrl_c_while_a_build_starts_from_the_spare_leaves_the_output_and_the_spare(tmp_path):
    """With its cache, a build starts from the spare (the output before the last one, kept beside
    it): Ctrl-C once it has taken it leaves the last output byte for byte, and gives the spare back."""
    files = {f"content/p{i}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(6)}
    site = write_site(tmp_path / "site", files)
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    command = [str(BUILD_PY), "build", str(site), "--output", str(out), "--quiet"]

    def build_cached(body: str) -> None:
        (site / "content/p3.md").write_text(page("Page 3", body=body), encoding="utf-8")
        proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]

    build_cached("First.\n")
    # As if it had been built a while ago: its files are then noted with their stamps, by
    # which the next build knows them in the spare (a file is too new to trust for two seconds).
    old = time.time() - 60
    for folder, _dirs, names in os.walk(out):
        for name in names:
            os.utime(os.path.join(folder, name), (old, old))
    build_cached("Second.\n")
    (site / "content/p3.md").write_text(page("Page 3", body="Third.\n"), encoding="utf-8")
    before = manifest(out)
    spare_id = spare.stat().st_ino
    marker, go = tmp_path / "stopped", tmp_path / "go"
    proc = subprocess.Popen([sys.executable, str(PAUSE_AT), "tmp-folder", "1", str(marker), str(go), "--", *command[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=plain_signals)
    try:
        assert _wait_for(marker.exists, proc), "the build never took its folder: " + proc.communicate()[1][-2000:]
        assert not spare.exists(), "the build did not start from the spare"
        os.killpg(proc.pid, signal.SIGINT)
        go.touch()
        _stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130 and "Traceback" not in stderr, (proc.returncode, stderr[-3000:])
    assert manifest(out) == before
    assert spare.stat().st_ino == spare_id   # given back, perhaps part brought up to date: checked again when taken
    assert temporary_folders(out) == []
    build_cached("Third.\n")   # from the spare given back
    assert out.stat().st_ino == spare_id
    clean = build(site, tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert manifest(out) == manifest(tmp_path / "clean")


# A build whose child processes each get Ctrl-C the moment they begin, before any code of
# policysite runs in them: as when Ctrl-C reaches the whole process group just as one is forked.
CTRL_C_AT_EACH_FORK = """
import os, runpy, signal, sys
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_ctrl_c_as_the_linking_process_is_forked_is_the_build_s_alone(tmp_path):
    """The process that links the last output into the new folder ignores Ctrl-C (the build
    stops and waits for it), and one that comes as it is forked must not reach Python's own
    work after the fork in it: that printed a traceback ("Exception ignored in ... _after_fork")."""
    files = {f"content/p{i}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(6)}
    site = write_site(tmp_path / "site", files)
    out = tmp_path / "out"
    command = [str(BUILD_PY), "build", str(site), "--output", str(out), "--quiet"]
    first = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    (site / "content/p3.md").write_text(page("Page 3", body="Edited.\n"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", CTRL_C_AT_EACH_FORK, *command], capture_output=True, text=True,
                          timeout=300, preexec_fn=plain_signals)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, (proc.returncode, proc.stderr[-3000:])
    clean = build(site, tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert manifest(out) == manifest(tmp_path / "clean")
    assert "Edited." in (out / "p3/index.html").read_text(encoding="utf-8")


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_while_the_workers_start_leaves_no_worker_behind(big, tmp_path):
    """Ctrl-C as a worker process starts: it must not print a traceback, nor be left waiting for ever."""
    site, out, before = big
    marker, go = tmp_path / "stopped", tmp_path / "go"
    command = [sys.executable, str(PAUSE_AT), "worker", "1", str(marker), str(go), "--",
               *build_command(site, out, "--jobs", "3")[2:]]   # this process and two workers
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=plain_signals)
    try:
        reached = _wait_for(marker.exists, proc)
        assert reached, "the build never started its workers: " + proc.communicate()[1][-2000:]
        os.killpg(proc.pid, signal.SIGINT)   # the build and the workers forked so far
        go.touch()
        code = proc.wait(timeout=120)   # only bounds a hang
        # Every worker has ended (a worker left waiting would keep the group alive).
        left = _group_alive(proc.pid)
    finally:
        if proc.poll() is None or _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    _stdout, stderr = proc.communicate(timeout=60)
    assert not left, "a worker process was left running"
    assert code == 130, (code, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.strip() == "Interrupted: the previous output is unchanged.", stderr[-3000:]
    assert manifest(out) == before
    assert temporary_folders(out) == []


class _Signalled(BaseException):
    """What this test's SIGTERM handler raises (the command line's raises KeyboardInterrupt)."""


@contextlib.contextmanager
def _sigterm_as_a_folder_is_made(monkeypatch):
    """SIGTERM the moment tempfile.mkdtemp has made a folder, before its name is returned; the
    block must end in _Signalled. Yields the folders made."""
    import tempfile

    made: list[Path] = []
    original = tempfile.mkdtemp

    def mkdtemp_then_signal(*args, **kwargs):
        made.append(Path(original(*args, **kwargs)))
        # To this thread: the build holds signals in the main thread, and a signal sent to the
        # whole process could be taken by another thread of the test runner (the build's own
        # process has none then) and run the handler at once.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
        return str(made[-1])

    def interrupt(signum, frame):
        raise _Signalled

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp_then_signal)
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with pytest.raises(_Signalled):
            yield made
    finally:
        signal.signal(signal.SIGTERM, previous)
        monkeypatch.undo()


def test_a_signal_as_the_temporary_folder_is_made_leaves_no_folder(tmp_path, monkeypatch):
    """The one moment no audit event can stop at: the folder exists and its name is not yet returned."""
    import policysite.write as write

    with _sigterm_as_a_folder_is_made(monkeypatch) as made:
        write.OutputFolder(tmp_path / "out")
    assert made and not made[0].exists()
    assert leftovers(tmp_path, "out") == []
    write.OutputFolder(tmp_path / "out").discard()   # the lock was let go


def test_a_signal_as_the_spare_is_taken_gives_it_back(tmp_path, monkeypatch):
    """The same moment for a build that starts from the spare (the output before the last one):
    the spare goes back where it was, as it was."""
    import policysite.write as write

    spare = tmp_path / ".out.spare"
    spare.mkdir()
    (spare / write.MARKER).write_bytes(b"")
    (spare / "page.html").write_text("an older page")
    spare_id = spare.stat().st_ino
    with _sigterm_as_a_folder_is_made(monkeypatch) as made:
        write.OutputFolder(tmp_path / "out", take_spare=lambda folder: True)
    assert made
    assert spare.stat().st_ino == spare_id and (spare / "page.html").read_text() == "an older page"
    assert leftovers(tmp_path, "out") == []
    folder = write.OutputFolder(tmp_path / "out", take_spare=lambda folder: True)   # the lock was let go
    assert folder.from_spare and folder.tmp.stat().st_ino == spare_id
    folder.discard()
    assert spare.stat().st_ino == spare_id and leftovers(tmp_path, "out") == []


def test_ctrl_c_during_start_up_gives_no_traceback(tmp_path):
    """Ctrl-C while Python is still importing policysite: one line, no traceback (fixed by the lead in c526e85)."""
    site = write_site(tmp_path / "site", {"content/a.md": page("A")})
    # -v reports each module as it is imported: the signal lands while policysite is loading.
    proc = subprocess.Popen([sys.executable, "-v", *build_command(site, tmp_path / "out")[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=plain_signals)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("import 'policysite"):
            os.killpg(proc.pid, signal.SIGINT)
            break
    _out, rest = proc.communicate(timeout=60)
    text = "".join(seen) + rest
    assert "Traceback" not in text, text[-1500:]
    assert not (tmp_path / "out").exists()


# ---- a build failing half-way -----------------------------------------------------------

@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """A 120-page site (enough to render in worker processes) with one good build."""
    root = tmp_path_factory.mktemp("medium")
    site = generate(root / "site", 120)
    out = root / "out"
    first = build(site, out)
    assert first.returncode == 0, first.stderr[-3000:]
    return site, out, manifest(out)


def _middle_page(site: Path) -> str:
    """A page half-way through the site that the theme's page.html renders (not an organisation)."""
    pages = sorted(p for p in (site / "content").rglob("*.md") if p.name != "_index.md"
                   and not re.search(r"^(type: organisation|layout:)", p.read_text(encoding="utf-8"), re.M))
    return pages[len(pages) // 2].relative_to(site / "content").with_suffix("").as_posix()


def test_layout_raising_for_one_page_leaves_previous_output(medium):
    site, out, before = medium
    middle = _middle_page(site)
    layout = site / "layouts" / "page.html"
    layout.parent.mkdir(exist_ok=True)
    # Only the page half-way through the site divides by zero, at line 3 of the layout.
    layout.write_text('{% extends "theme/page.html" %}\n{% block content %}{{ super() }}\n'
                      f'{{% if page.url.endswith("/{middle.split("/")[-1]}/") %}}{{{{ (page.title | length) // 0 }}}}{{% endif %}}\n'
                      "{% endblock %}\n", encoding="utf-8")
    try:
        proc = build(site, out)
    finally:
        shutil.rmtree(site / "layouts")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert_clean_failure(proc, "build failed")
    errors = [d for d in diagnostics_in(proc.stderr) if d["severity"] == "error"]
    assert errors and all(d["path"] == "layouts/page.html" and d["line"] == 3 for d in errors), proc.stderr[-3000:]
    assert "ZeroDivisionError" in errors[0]["message"] or "division" in errors[0]["message"], errors
    assert manifest(out) == before
    assert temporary_folders(out) == []


# ---- two builds at once ---------------------------------------------------------------------

def test_two_builds_at_once_give_a_complete_output(medium, tmp_path):
    site, _out, _before = medium
    out = tmp_path / "out"
    clean = tmp_path / "clean"
    reference = build(site, clean)
    assert reference.returncode == 0, reference.stderr[-3000:]
    first = subprocess.Popen(build_command(site, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(build_command(site, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [(p, *p.communicate(timeout=300)) for p in (first, second)]
    for proc, _stdout, stderr in results:
        assert proc.returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr
    assert manifest(out) == manifest(clean)
    assert temporary_folders(out) == []


# ---- nowhere to write --------------------------------------------------------------------------

SMALL = {"content/a.md": page("A", body="[b](b.md)\n"), "content/b.md": page("B"), "content/files/report.pdf": b"%PDF-1.4\n"}


@pytest.mark.parametrize("where,words", [
    ("/proc/policysite-output", ("/proc", "choose another output folder")),
    ("/proc/self/policysite-output", ("/proc/self", "choose another output folder")),
    ("/sys/kernel/policysite-output", ("/sys/kernel", "read-only or you lack permission", "choose another output folder")),
])
def test_unwritable_output_location(tmp_path, where, words):
    if not Path(where).parent.is_dir():
        pytest.skip(f"{Path(where).parent} is not here")
    site = write_site(tmp_path / "site", SMALL)
    result = run_cli_in_process(["build", str(site), "--output", where, "--no-cache"])
    assert result.exception is None, repr(result.exception)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert "previous output is unchanged" in lines[0]
    assert not Path(where).exists()


def _disk_full_in_process(tmp_path: Path) -> None:
    """ENOSPC from the file system, simulated: the 5th file written fails."""
    import policysite.write as write

    site = write_site(tmp_path / "site", SMALL)
    out = tmp_path / "out"
    good = run_cli_in_process(["build", str(site), "--output", str(out), "--no-cache"])
    assert good.returncode == 0, good.stderr
    before = manifest(out)
    (site / "content" / "b.md").write_text(page("B changed"), encoding="utf-8")
    original = write.OutputFolder.write
    calls = [0]

    def full(self, rel, data):
        calls[0] += 1
        if calls[0] >= 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.tmp / rel))
        return original(self, rel, data)

    write.OutputFolder.write = full
    try:
        result = run_cli_in_process(["build", str(site), "--output", str(out), "--no-cache", "--jobs", "1"])
    finally:
        write.OutputFolder.write = original
    assert calls[0] >= 5, "the simulated disk never filled"
    assert result.exception is None, repr(result.exception)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: the disk is full" in result.stderr and "free some space" in result.stderr, result.stderr
    assert "previous output is unchanged" in result.stderr
    assert manifest(out) == before
    assert temporary_folders(out) == []


def test_disk_full_simulated(tmp_path):
    _disk_full_in_process(tmp_path)


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def test_disk_full_on_a_tiny_file_system(tmp_path):
    """A real full disk: a 1 MB tmpfs holds one small build's output (about 400 KB), not a second beside it."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1m"):
        if CI:
            # No mounting here: the simulated full disk instead, so CI never skips this case.
            _disk_full_in_process(tmp_path / "simulated")
            return
        pytest.skip("mount -t tmpfs was refused (needs root or CAP_SYS_ADMIN); test_disk_full_simulated covers ENOSPC")
    try:
        site = write_site(tmp_path / "site", SMALL)
        out = disk / "out"
        good = build(site, out)
        if good.returncode != 0:
            pytest.fail("the first build should fit in 1 MB: " + good.stderr[-2000:])
        before = manifest(out)
        # An attachment as large as the space left: the new output cannot fit beside the old one.
        stat = os.statvfs(disk)
        (site / "content" / "files" / "big.pdf").write_bytes(b"%PDF" + b"\0" * (stat.f_bavail * stat.f_frsize))
        (site / "content" / "a.md").write_text(page("A", body="[b](b.md) [big](files/big.pdf)\n"), encoding="utf-8")
        full = build(site, out)
        assert full.returncode == 1, full.stderr[-3000:]
        assert_clean_failure(full, "error: the disk is full", "free some space", "previous output is unchanged")
        assert manifest(out) == before
        assert temporary_folders(out) == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)
