"""Faults: a run killed at any moment, a full disk, a read-only or forbidden location.

The kill tests start real ``segmentkit run`` processes on an output folder that already
holds a complete previous run and kill them with SIGKILL: from outside at moments read
off the process (its log, its temporary folder appearing), and from inside at chosen
steps of writing and swapping, by a small hook that wraps one segmentkit function and
sends the process SIGKILL before or after it runs (the only way to hit the instants
between two renames every time). After every kill the output folder must be the previous
one byte for byte (or, once the new one is in place, a complete new one), every other
entry next to it one of segmentkit's own temporary names, and a rerun must succeed.

The disk tests run the command line in-process with the operating system's error
injected at one point of writing (``OSError`` with ``ENOSPC``, ``EROFS``, ``EACCES``:
tests run as root here, where permissions do not stop a write) and expect one plain
``error:`` line, exit code 1, no traceback, no partial folder and the previous output
intact. ``/dev/full`` gives a real "no space left on device" from the kernel.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.figure
import pandas as pd
import PIL.Image
import pytest

import segmentkit.api
import segmentkit.output.atomic
import segmentkit.report
import segmentkit.scoring.model
from helpers import RunCli, read_run_json
from segmentkit.cli import main
from segmentkit.config import load_config
from segmentkit.datasets import make_customers, sample_data_path
from segmentkit.errors import OutputError
from segmentkit.output.atomic import atomic_output_dir, clean_leftovers
from segmentkit.output.write import write_csv, write_json
from segmentkit.pipeline import SegmentationRun
from segmentkit.scoring.model import SegmentationModel

N_ROWS = 150
#: Small and quick, with every output file of a normal run.
FAST_CONFIG = {
    "clustering": {"methods": ["kmeans"], "k": 3, "stability": {"n_resamples": 0}},
    "explain": {"n_estimators": 10, "n_repeats": 1},
}
CONTRACT = {
    "segments.csv",
    "segment_profiles.csv",
    "method_comparison.csv",
    "k_selection.csv",
    "feature_importance.csv",
    "run.json",
    "run.log",
    "report.html",
    "model.skops",
}
#: The names segmentkit gives what it writes beside an output folder called ``out``.
LEFTOVER = re.compile(r"\.out\.(tmp|old)-[a-z0-9_]{8}")
KILLED = -signal.SIGKILL

# Run in the child: wrap segmentkit functions as the JSON in argv[1] says, then run the
# command line with the rest of argv. "before"/"after": SIGKILL around the nth call;
# "midway": delete half the files of the folder passed, then SIGKILL; "return": always
# return "value" instead of calling the function.
KILL_HOOK = r"""
import importlib, json, os, pathlib, signal, sys

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def install(hook):
    module, _, attribute = hook["target"].partition(":")
    owner = importlib.import_module(module)
    *parents, name = attribute.split(".")
    for part in parents:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        if hook["when"] == "return":
            return hook["value"]
        calls[0] += 1
        if calls[0] != hook.get("nth", 1):
            return original(*args, **kwargs)
        if hook["when"] == "before":
            die()
        if hook["when"] == "midway":
            files = sorted(p for p in pathlib.Path(args[0]).rglob("*") if p.is_file())
            for path in files[: len(files) // 2]:
                path.unlink()
            die()
        result = original(*args, **kwargs)
        die()
        return result

    setattr(owner, name, wrapper)

for hook in json.loads(sys.argv[1]):
    install(hook)
from segmentkit.cli import main
sys.exit(main(sys.argv[2:]))
"""


# --------------------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside(work: Path) -> set[str]:
    """Names next to the output folder other than the output itself."""
    return {p.name for p in work.iterdir()} - {"out"}


def assert_only_leftovers(work: Path) -> None:
    strangers = {name for name in beside(work) if not LEFTOVER.fullmatch(name)}
    assert not strangers, strangers


def assert_complete(out: Path, source: Path) -> None:
    """``out`` is a whole output folder of a run on ``source``."""
    files = set(snapshot(out))
    assert files >= CONTRACT, CONTRACT - files
    summary = read_run_json(out)
    assert summary["input"]["sha256"] == sha256(source)
    assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    segments = pd.read_csv(out / "segments.csv")
    assert list(segments["customer_id"]) == list(pd.read_csv(source)["customer_id"])
    assert isinstance(SegmentationModel.load(out / "model.skops"), SegmentationModel)


def one_error_line(code: int, err: str) -> str:
    """The run failed with exit code 1 and exactly one ``error:`` line, the last one."""
    assert code == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], err
    assert "this is a bug" not in lines[-1]
    return lines[-1]


@dataclass(frozen=True)
class Setup:
    """Inputs and a complete previous output, made once for the module."""

    config: Path
    previous_input: Path
    new_input: Path
    previous: Path
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    folder = tmp_path_factory.mktemp("faults")
    config = folder / "fast.json"
    config.write_text(json.dumps(FAST_CONFIG), encoding="utf-8")
    previous_input, new_input = folder / "q1.csv", folder / "q2.csv"
    make_customers(N_ROWS, n_segments=3, seed=1).frame.to_csv(previous_input, index=False)
    make_customers(N_ROWS, n_segments=3, seed=2).frame.to_csv(new_input, index=False)
    previous = folder / "previous"
    assert main(["run", str(previous_input), "-c", str(config), "-o", str(previous), "-q"]) == 0
    return Setup(config, previous_input, new_input, previous, snapshot(previous))


@pytest.fixture
def work(tmp_path: Path, setup: Setup) -> Path:
    """A folder holding ``out``, a copy of the complete previous output, and nothing else."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copytree(setup.previous, folder / "out")
    return folder


def start(
    setup: Setup, work: Path, *extra: str, hooks: list[dict[str, Any]] | None = None
) -> subprocess.Popen[str]:
    """Start ``segmentkit run`` on the new input into ``work/out``; stderr is piped."""
    args = ["run", str(setup.new_input), "-c", str(setup.config), "-o", str(work / "out"), *extra]
    command = [sys.executable, "-m", "segmentkit", *args]
    if hooks is not None:
        command = [sys.executable, "-c", KILL_HOOK, json.dumps(hooks), *args]
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=work.parent,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def rerun(setup: Setup, work: Path, run_cli: RunCli) -> None:
    """A new run into ``work/out`` succeeds, is complete and leaves nothing beside it."""
    code, _, err = run_cli("run", setup.new_input, "-c", setup.config, "-o", work / "out")
    assert code == 0, err
    assert_complete(work / "out", setup.new_input)
    assert beside(work) == set()


# --------------------------------------------------------------------------- SIGKILL


def test_killed_while_fitting_keeps_the_previous_output(setup: Setup, work: Path) -> None:
    process = start(setup, work, "-v")
    assert process.stderr is not None
    for line in process.stderr:
        if "Stage segment:kmeans: started" in line:
            process.send_signal(signal.SIGKILL)
            break
    code, err = finish(process)
    assert code == KILLED, err
    assert snapshot(work / "out") == setup.files
    assert beside(work) == set()  # writing had not begun: nothing beside it


def test_killed_when_writing_starts_keeps_the_previous_output(
    setup: Setup, work: Path, run_cli: RunCli
) -> None:
    process = start(setup, work)
    deadline = time.monotonic() + 300
    seen: set[str] = set()
    while process.poll() is None and time.monotonic() < deadline:
        seen = {name for name in beside(work) if name.startswith(".out.tmp-")}
        if seen:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    code, err = finish(process)
    assert seen, "the run finished before its temporary folder was seen"
    assert code == KILLED, err
    assert snapshot(work / "out") == setup.files
    assert_only_leftovers(work)
    # The half-written folder has a hidden temporary name, never ``out``; the rerun
    # sees that no live run holds it and removes it.
    rerun(setup, work, run_cli)


@dataclass(frozen=True)
class KillPoint:
    hooks: list[dict[str, Any]]
    #: What ``out`` holds after the kill: "previous", "new" or "moved aside".
    expect: str
    #: Rerun in the same place (each kind of leftover once; runs cost seconds here).
    rerun: bool = False


#: Moments inside writing and swapping, each hit exactly by a hook in the child.
KILL_POINTS = {
    "after the first csv": KillPoint(
        [{"target": "segmentkit.output.export:write_csv", "when": "after"}], "previous"
    ),
    "after the model": KillPoint(
        [{"target": "segmentkit.scoring.model:SegmentationModel.save", "when": "after"}], "previous"
    ),
    "before the report": KillPoint(
        [{"target": "segmentkit.report:write_report", "when": "before"}], "previous"
    ),
    "before the swap": KillPoint(
        [{"target": "segmentkit.output.atomic:_swap_into_place", "when": "before"}], "previous"
    ),
    "right after the swap": KillPoint(
        [{"target": "segmentkit.output.atomic:_exchange", "when": "after"}], "new"
    ),
    "while removing the previous output": KillPoint(
        [{"target": "segmentkit.output.atomic:_discard", "when": "midway"}], "new", rerun=True
    ),
    # File systems without an atomic exchange (NFS, old kernels): two renames.
    "between the two renames": KillPoint(
        [
            {"target": "segmentkit.output.atomic:_exchange", "when": "return", "value": False},
            {"target": "segmentkit.output.atomic:_rename", "when": "after", "nth": 1},
        ],
        "moved aside",
        rerun=True,
    ),
    "after the two renames": KillPoint(
        [
            {"target": "segmentkit.output.atomic:_exchange", "when": "return", "value": False},
            {"target": "segmentkit.output.atomic:_rename", "when": "after", "nth": 2},
        ],
        "new",
        rerun=True,
    ),
}


@pytest.mark.parametrize("moment", list(KILL_POINTS))
def test_killed_at_a_chosen_moment_leaves_a_complete_output(
    moment: str, setup: Setup, work: Path, run_cli: RunCli
) -> None:
    point = KILL_POINTS[moment]
    code, err = finish(start(setup, work, "-q", hooks=point.hooks))
    assert code == KILLED, err
    assert_only_leftovers(work)
    out = work / "out"
    if point.expect == "previous":
        assert snapshot(out) == setup.files
    elif point.expect == "new":
        assert_complete(out, setup.new_input)
    else:
        # Only between two renames can the folder be missing; the previous output is
        # whole beside it, and the next run puts it back even if that run fails.
        assert not out.exists()
        (aside,) = [work / n for n in beside(work) if n.startswith(".out.old-")]
        assert snapshot(aside) == setup.files
        code, _, err = run_cli("run", setup.new_input, "--features", "nope", "-o", out)
        assert code == 1, err
        assert "nope" in err
        assert snapshot(out) == setup.files
        assert_only_leftovers(work)
    if point.rerun:
        rerun(setup, work, run_cli)
        return
    # The killed run's lock died with it: its leftovers are stale and go, nothing else.
    before = snapshot(out)
    clean_leftovers(out)
    assert beside(work) == set()
    assert snapshot(out) == before


def test_rerun_removes_only_stale_leftovers_of_its_own(
    setup: Setup, work: Path, run_cli: RunCli
) -> None:
    half = work / ".out.tmp-0123abcd"
    shutil.copytree(setup.previous, half)
    (half / "report.html").unlink()
    (work / ".out.tmp-4567cdef").write_text("half a scored file", encoding="utf-8")
    shutil.copytree(setup.previous, work / ".out.old-89abcdef")  # out exists: stale
    # Not ours, or not stale: a similar but different name, another output's temporary
    # folder, a symbolic link, and a folder a live run holds locked.
    keep = {
        ".out.tmp-notours": "dir",
        ".other.tmp-0123abcd": "dir",
        "out.tmp-0123abcd": "dir",
        ".out.tmp-0badc0de": "link",
        ".out.tmp-1badc0de": "locked",
    }
    for name, kind in keep.items():
        if kind == "link":
            (work / name).symlink_to(setup.previous, target_is_directory=True)
        else:
            (work / name).mkdir()
            (work / name / "x").write_text("x", encoding="utf-8")
    fd = segmentkit.output.atomic.lock_file(work / ".out.tmp-1badc0de")
    try:
        code, _, err = run_cli("run", setup.new_input, "-c", setup.config, "-o", work / "out", "-q")
    finally:
        segmentkit.output.atomic.unlock_file(fd)
    assert code == 0, err
    assert beside(work) == set(keep)
    assert snapshot(setup.previous) == setup.files  # the link was not followed
    assert_complete(work / "out", setup.new_input)


def test_an_interrupted_swap_is_put_back(setup: Setup, work: Path, run_cli: RunCli) -> None:
    (work / "out").rename(work / ".out.old-0123abcd")
    code, _, err = run_cli("profile", work / "out")
    assert code == 1, err  # nothing is there to be mistaken for an output
    clean_leftovers(work / "out")
    assert snapshot(work / "out") == setup.files
    assert beside(work) == set()


def reports_beside(out: Path) -> set[str]:
    """Temporary report files in ``out`` (``.report-XXXXXXXX.html``)."""
    return {p.name for p in out.iterdir() if p.name.startswith(".report")}


def test_a_report_killed_mid_write_is_tidied_by_the_next_one(
    setup: Setup, work: Path, run_cli: RunCli
) -> None:
    out = work / "out"
    # Killed once its temporary file exists: the old report stays, the temporary file too.
    hook = [{"target": "segmentkit.output.atomic:tempfile.mkstemp", "when": "after"}]
    command = [sys.executable, "-c", KILL_HOOK, json.dumps(hook), "report", str(out)]
    killed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert killed.returncode == KILLED, killed.stderr
    (stale,) = reports_beside(out)
    assert re.fullmatch(r"\.report-[a-z0-9_]{8}\.html", stale)
    assert {k: v for k, v in snapshot(out).items() if k != stale} == setup.files
    # One a live writer holds (locked) and names that are not segmentkit's stay.
    keep = {".report-live0001.html", ".report-mine.html", "report-abcd1234.html"}
    for name in keep:
        (out / name).write_text("<html>", encoding="utf-8")
    fd = segmentkit.output.atomic.lock_file(out / ".report-live0001.html")
    try:
        code, _, err = run_cli("report", out)
    finally:
        segmentkit.output.atomic.unlock_file(fd)
    assert code == 0, err
    assert reports_beside(out) == keep - {"report-abcd1234.html"}  # the stale one is gone
    assert (out / "report-abcd1234.html").is_file()
    assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_a_run_replaces_a_folder_with_a_stale_report_file(
    setup: Setup, work: Path, run_cli: RunCli
) -> None:
    (work / "out" / ".report-dead0001.html").write_text("<html><bo", encoding="utf-8")
    rerun(setup, work, run_cli)
    assert reports_beside(work / "out") == set()


# --------------------------------------------------------------------------- full or read-only disk


@pytest.fixture(scope="module")
def finished_run(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> SegmentationRun:
    """The run of the new input, computed once: the disk tests only write it."""
    run, _ = segmentkit.api.segment_file(
        setup.new_input, load_config(setup.config), tmp_path_factory.mktemp("run") / "out"
    )
    return run


@pytest.fixture
def no_refit(monkeypatch: pytest.MonkeyPatch, finished_run: SegmentationRun) -> None:
    monkeypatch.setattr(segmentkit.api, "run_segmentation", lambda *a, **k: finished_run)


def _oserror(code: int, filename: object = None) -> OSError:
    # A failed write() carries no file name; a failed open() or mkdir() does.
    if code in (errno.EACCES, errno.EPERM):
        return PermissionError(code, os.strerror(code), filename)
    return OSError(code, os.strerror(code), filename)


def _fail_csv(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    """Fail writing the CSV ``name`` by either writer: pandas, or pyarrow's into Path.open."""
    original = pd.DataFrame.to_csv
    original_open = Path.open

    def failing(path: Any) -> bool:
        # The file itself, or the temporary file that becomes it (scored, rfm files).
        return path is not None and Path(path).name in (name, *_temporary(path, name))

    def to_csv(self: pd.DataFrame, path: Any = None, *args: Any, **kwargs: Any) -> Any:
        if failing(path):
            raise _oserror(code)
        return original(self, path, *args, **kwargs)

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if failing(self) and "w" in mode:
            return _FullStream(code)
        return original_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    monkeypatch.setattr(Path, "open", open_)


def _temporary(path: Any, name: str) -> list[str]:
    written = Path(path).name
    return [written] if written.startswith(f".{name}.tmp-") else []


def _fail_png(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    # Figures are written by Pillow (plots._style.save_figure), others by savefig.
    def save(self: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        raise _oserror(code)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", save)
    monkeypatch.setattr(PIL.Image.Image, "save", save)


def _fail_model(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    # The model file is written in one write_bytes call: half of it lands, then the disk fails.
    original = Path.write_bytes

    def write_bytes(self: Path, data: Any) -> int:
        if self.suffix == ".skops":
            original(self, bytes(data)[: len(data) // 2])
            raise _oserror(code)
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


class _FullStream:
    """A text file whose writes fail, as on a full disk."""

    def __init__(self, code: int) -> None:
        self.code = code

    def __enter__(self) -> _FullStream:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> int:
        raise _oserror(self.code)


def _fail_open(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    original = Path.open

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.name == name and "w" in mode:
            return _FullStream(code)
        return original(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def _fail_write_text(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    original = Path.write_text

    def write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name == name:
            raise _oserror(code)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


def _fail_report(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    original = segmentkit.output.atomic.tempfile.mkstemp

    def mkstemp(*args: Any, prefix: str | None = None, **kwargs: Any) -> tuple[int, str]:
        if prefix == ".report-":
            raise _oserror(code, kwargs.get("dir"))
        return original(*args, prefix=prefix, **kwargs)

    monkeypatch.setattr(segmentkit.output.atomic.tempfile, "mkstemp", mkstemp)


def _fail_mkdir(monkeypatch: pytest.MonkeyPatch, prefix: str, code: int) -> None:
    original = Path.mkdir

    def mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name.startswith(prefix):
            raise _oserror(code, str(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)


def _fail_swap(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def exchange(first: Path, second: Path) -> bool:
        raise _oserror(code, str(first))

    monkeypatch.setattr(segmentkit.output.atomic, "_exchange", exchange)


ENOSPC_HINT = "no space left on device"
KEPT = "the previous output there is unchanged"
Inject = Callable[[pytest.MonkeyPatch], None]

#: Where the operating system refuses, and the words the one error line must contain.
DISK_FAULTS: dict[str, tuple[Inject, list[str]]] = {
    "full disk: segments.csv": (
        lambda m: _fail_csv(m, "segments.csv", errno.ENOSPC),
        [ENOSPC_HINT, "(writing segments.csv)", KEPT, "free some space"],
    ),
    "full disk: a later csv": (
        lambda m: _fail_csv(m, "feature_importance.csv", errno.ENOSPC),
        [ENOSPC_HINT, "(writing feature_importance.csv)", KEPT, "free some space"],
    ),
    "full disk: a figure": (
        lambda m: _fail_png(m, errno.ENOSPC),
        [ENOSPC_HINT, "(writing plots)", KEPT, "free some space"],
    ),
    "full disk: the model": (
        lambda m: _fail_model(m, errno.ENOSPC),
        [ENOSPC_HINT, "(writing model.skops)", KEPT, "free some space"],
    ),
    "full disk: run.json": (
        lambda m: _fail_open(m, "run.json", errno.ENOSPC),
        [ENOSPC_HINT, "(writing run.json)", KEPT, "free some space"],
    ),
    "full disk: run.log": (
        lambda m: _fail_write_text(m, "run.log", errno.ENOSPC),
        [ENOSPC_HINT, "(writing run.log)", KEPT, "free some space"],
    ),
    "full disk: the report": (
        lambda m: _fail_report(m, errno.ENOSPC),
        [ENOSPC_HINT, "(writing report.html)", KEPT, "free some space"],
    ),
    "quota exceeded": (
        lambda m: _fail_csv(m, "segments.csv", errno.EDQUOT),
        ["disk quota exceeded", KEPT, "free some space"],
    ),
    "read-only file system: the temporary folder": (
        lambda m: _fail_mkdir(m, ".out.tmp-", errno.EROFS),
        ["cannot create a temporary folder next to --out", "read-only file system"],
    ),
    "read-only file system: the swap": (
        lambda m: _fail_swap(m, errno.EROFS),
        ["could not move the new output into", "read-only file system", KEPT],
    ),
    "permission denied: a file": (
        lambda m: _fail_csv(m, "segment_profiles.csv", errno.EACCES),
        ["permission denied", "(writing segment_profiles.csv)", KEPT, "you can write to"],
    ),
}


@pytest.mark.usefixtures("no_refit")
@pytest.mark.parametrize("fault", list(DISK_FAULTS))
def test_disk_fault_is_one_clear_error_and_keeps_the_previous_output(
    fault: str,
    setup: Setup,
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: RunCli,
) -> None:
    inject, words = DISK_FAULTS[fault]
    inject(monkeypatch)
    code, out, err = run_cli("run", setup.new_input, "-o", work / "out", "-q")
    line = one_error_line(code, err)
    shown = work / "out"
    assert line.startswith(
        (f"error: could not move the new output into {shown}:", "error: cannot ")
    ), line
    assert str(shown) in line, line
    for word in words:
        assert word in line, (word, line)
    assert ".tmp-" not in line  # temporary names mean nothing to the user
    assert out == ""
    assert snapshot(work / "out") == setup.files
    assert beside(work) == set()


@pytest.mark.usefixtures("no_refit")
def test_disk_fault_without_previous_output_leaves_nothing(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: RunCli,
) -> None:
    _fail_csv(monkeypatch, "segments.csv", errno.ENOSPC)
    code, _, err = run_cli("run", setup.new_input, "-o", tmp_path / "out", "-q")
    line = one_error_line(code, err)
    assert ENOSPC_HINT in line and "nothing was written" in line, line
    assert list(tmp_path.iterdir()) == []


def test_read_only_parent_is_reported(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: RunCli,
) -> None:
    _fail_mkdir(monkeypatch, "nested", errno.EROFS)
    out = tmp_path / "nested" / "out"
    code, _, err = run_cli("run", setup.new_input, "-c", setup.config, "-o", out, "-q")
    line = one_error_line(code, err)
    assert line == (
        f"error: cannot create the parent folder of --out {out}: read-only file system "
        "(choose a location on a writable disk)"
    )
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_scoring_keeps_the_previous_scored_file(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: RunCli,
) -> None:
    scored = tmp_path / "scored.csv"
    scored.write_text("previous\n", encoding="utf-8")
    _fail_csv(monkeypatch, scored.name, errno.ENOSPC)
    code, _, err = run_cli(
        "score", setup.previous / "model.skops", setup.new_input, "-o", scored, "-q"
    )
    line = one_error_line(code, err)
    assert line == (
        f"error: cannot write --out {scored}: no space left on device; nothing was changed "
        "there (free some space, then run again)"
    )
    assert scored.read_text(encoding="utf-8") == "previous\n"
    assert {p.name for p in tmp_path.iterdir()} == {"scored.csv"}


def test_read_only_location_for_rfm_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    original = segmentkit.output.atomic.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if str(kwargs.get("prefix", "")).startswith(".customers.csv.tmp-"):
            raise _oserror(errno.EROFS, str(kwargs.get("dir")))
        return original(*args, **kwargs)

    monkeypatch.setattr(segmentkit.output.atomic.tempfile, "mkstemp", mkstemp)
    out = tmp_path / "customers.csv"
    logs = sample_data_path("online_retail_sample.csv.gz")
    code, _, err = run_cli("rfm", logs, "-o", out, "-q")
    line = one_error_line(code, err)
    assert line == (
        f"error: cannot write --out {out}: read-only file system "
        "(choose a location on a writable disk)"
    )
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_rerendering_the_report_keeps_the_old_one(
    setup: Setup, work: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    _fail_report(monkeypatch, errno.ENOSPC)
    code, _, err = run_cli("report", work / "out")
    line = one_error_line(code, err)
    assert line == (
        f"error: cannot write {work / 'out' / 'report.html'}: no space left on device "
        "(free some space, then run again)"
    )
    assert snapshot(work / "out") == setup.files


def test_read_only_location_for_config_init_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_write_text(monkeypatch, "segmentkit.json", errno.EROFS)
    path = tmp_path / "segmentkit.json"
    code = main(["config", "init", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines() == [
        f"error: cannot write {path}: read-only file system (choose a location on a writable disk)"
    ]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_dev_full_is_a_full_disk() -> None:
    # The kernel's own ENOSPC, no simulation: write() to /dev/full always fails.
    frame = pd.DataFrame({"a": range(100_000)})
    with pytest.raises(OutputError) as info:
        write_csv(frame, "/dev/full")
    assert str(info.value) == (
        "could not write /dev/full: no space left on device (free some space, then run again)"
    )
    assert info.value.errno == errno.ENOSPC
    with pytest.raises(OutputError, match="no space left on device"):
        write_json({"a": "x" * 100_000}, "/dev/full")


def test_unexpected_error_inside_the_folder_is_not_dressed_as_a_disk_problem(
    tmp_path: Path,
) -> None:
    # Only write problems become OutputError; a bug stays a bug, and nothing is left.
    with pytest.raises(KeyError), atomic_output_dir(tmp_path / "out") as tmp:
        (tmp / "a.csv").write_text("x", encoding="utf-8")
        raise KeyError("bug")
    assert list(tmp_path.iterdir()) == []
