"""Write outputs safely: complete or absent, spreadsheet-safe, byte-for-byte reproducible.

:func:`atomic_output_dir` builds an output folder beside its final place and swaps it in
only when complete; :func:`write_csv` neutralises spreadsheet formulas; :func:`write_json`
writes strict JSON from numpy and pandas values. A full disk, a read-only file system or
a forbidden location is reported as such (:class:`~segmentkit.errors.OutputError`).
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import errno
import functools
import json
import logging
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from segmentkit.errors import DataError, OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, leftovers age out
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_file",
    "atomic_output_dir",
    "clean_leftovers",
    "output_error",
    "read_output_csv",
    "write_csv",
    "write_json",
]

logger = logging.getLogger(__name__)

_PLAIN_NUMBER = re.compile(r"^[+-]?(?=[.,]*\d)[\d.,]*([eE][+-]?\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: The operating-system problems a user can fix, said plainly, with what to do.
_OS_PROBLEMS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device", "free some space, then run again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or raise the quota, then run again"),
    errno.EFBIG: ("file too large for this file system", "choose another location"),
    errno.EROFS: ("read-only file system", "choose a location on a writable disk"),
    errno.EACCES: ("permission denied", "choose a location you can write to"),
    errno.EPERM: ("operation not permitted", "choose a location you can write to"),
    errno.ENAMETOOLONG: ("file name too long", "choose a shorter path"),
}

#: Temporary siblings older than this are leftovers where advisory locks do not exist.
_UNLOCKED_LEFTOVER_AGE = 24 * 3600.0


def output_error(
    error: OSError,
    action: str,
    *,
    path: str | os.PathLike[str] | None = None,
    hint: str | None = None,
) -> OutputError:
    """Turn an operating-system error into a plain :class:`OutputError`.

    Parameters
    ----------
    error : OSError
        What the operating system raised.
    action : str
        What was being done, e.g. ``"cannot write --out results"``.
    path : str or path-like, optional
        The file being written (default: the one the error names, if any).
    hint : str, optional
        Overrides the default advice for the problem.

    Examples
    --------
    >>> import errno
    >>> str(output_error(OSError(errno.ENOSPC, "No space left on device"), "cannot write x"))
    'cannot write x: no space left on device (free some space, then run again)'
    """
    reason, advice = _OS_PROBLEMS.get(
        error.errno or -1, (error.strerror or str(error) or type(error).__name__, "")
    )
    if path is None and error.filename is not None:
        path = os.fsdecode(error.filename)
    return OutputError(
        f"{action}: {reason}",
        reason=reason,
        errno=error.errno,
        path=None if path is None else os.fspath(path),
        hint=hint or advice or None,
    )


#: Any temporary name this module gives a folder or file (see :func:`_leftover_pattern`).
_TEMPORARY = re.compile(r"\..+\.(tmp|old)-[a-z0-9_]{8}")


def _leftover_pattern(name: str) -> re.Pattern[str]:
    # tmp: a folder or file being written (mkstemp's or our own 8 characters);
    # old: a complete previous output moved aside during a swap.
    return re.compile(rf"\.{re.escape(name)}\.(tmp|old)-[a-z0-9_]{{8}}")


def _sibling_path(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{secrets.token_hex(4)}"


def _lock(path: Path) -> int | None:
    """Hold an exclusive advisory lock on ``path`` until the descriptor is closed.

    A live run locks the temporary folder or file it writes, so another run cleaning up
    leftovers never removes it; the kernel drops the lock when the process dies, even by
    SIGKILL. Returns ``None`` where locks do not exist (Windows).

    Raises
    ------
    OSError
        When another process holds the lock (``BlockingIOError``) or ``path`` was
        replaced or removed while it was being locked.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not os.path.samestat(os.fstat(fd), os.lstat(path)):
            raise FileNotFoundError(errno.ENOENT, "replaced while locking", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _is_busy(path: Path) -> tuple[bool, int | None]:
    """Whether a live run still owns ``path``; else the lock that now protects it."""
    if fcntl is None:  # pragma: no cover - Windows
        try:
            age = time.time() - path.lstat().st_mtime
        except OSError:
            return True, None
        return age < _UNLOCKED_LEFTOVER_AGE, None
    try:
        return False, _lock(path)
    except OSError:
        return True, None


def _discard(path: Path) -> None:
    """Remove a temporary folder or file; what cannot be removed is only clutter."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not remove %s: %s", path, exc)


def clean_leftovers(final: str | os.PathLike[str]) -> None:
    """Tidy what interrupted runs left next to an output: only segmentkit's own names.

    A run killed while writing leaves ``.{name}.tmp-XXXXXXXX`` (a half-written folder or
    file) and, on file systems without an atomic exchange, a killed swap may leave the
    complete previous output as ``.{name}.old-XXXXXXXX`` with ``final`` absent. The
    previous output is put back at ``final`` if nothing is there; every other leftover is
    removed. Anything a live run still holds (locked), symbolic links and names that
    merely look similar are left alone.

    Parameters
    ----------
    final : str or path-like
        The output folder or file whose siblings are tidied.
    """
    target = Path(final)
    pattern = _leftover_pattern(target.name)
    try:
        entries = [e for e in target.parent.iterdir() if pattern.fullmatch(e.name)]
    except OSError:
        return
    # The most recent previous output first: it is the one to put back, if any.
    entries.sort(key=lambda e: (".old-" not in e.name, -_mtime(e)))
    for entry in entries:
        if entry.is_symlink():
            continue
        busy, lock = _is_busy(entry)
        if busy:
            logger.debug("leaving %s: a running segmentkit is writing it", entry)
            continue
        try:
            if ".old-" in entry.name and entry.is_dir() and not os.path.lexists(target):
                entry.rename(target)
                logger.warning(
                    "Put back the previous output %s, moved aside by an interrupted run", target
                )
            else:
                _discard(entry)
                logger.info("Removed %s, left by an interrupted run", entry)
        except OSError as exc:
            logger.warning("could not tidy %s: %s", entry, exc)
        finally:
            _unlock(lock)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


@contextmanager
def atomic_file(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Write one file through a temporary sibling renamed into place on success.

    Parameters
    ----------
    final : str or path-like
        The file to create or replace; an existing folder there is an error.

    Yields
    ------
    pathlib.Path
        A temporary path next to ``final`` to write to.

    Raises
    ------
    DataError
        If ``final`` is a folder.
    OutputError
        If the file cannot be written (no space, a read-only or forbidden location); the
        previous file, if any, is unchanged.
    """
    target = Path(final)
    if target.is_dir():
        raise DataError(f"--out {target} is a folder; give a file name such as scored.csv")
    parent = target.resolve().parent
    action = f"cannot write --out {target}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(parent / target.name)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=parent)
    except OSError as exc:
        raise output_error(exc, action) from exc
    os.close(handle)
    tmp = Path(name)
    lock = None
    try:
        lock = _lock(tmp)
        yield tmp
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError | OutputError) and _is_write_problem(exc, tmp):
            raise _written(exc, action, "nothing was changed there", tmp) from exc
        raise
    finally:
        _unlock(lock)


def _written(exc: OSError | OutputError, action: str, state: str, tmp: Path) -> OutputError:
    """Describe a failed write for the user: where, why, what was kept, what to do."""
    error = exc if isinstance(exc, OutputError) else output_error(exc, action)
    where = ""
    if error.path:
        try:
            inside = Path(error.path).relative_to(tmp).parts
        except ValueError:
            inside = ()
        # Temporary names (nested writes) mean nothing to the user: show the real file.
        shown = [part for part in inside if not _TEMPORARY.fullmatch(part)]
        if shown:
            where = f" (writing {'/'.join(shown)})"
    return OutputError(
        f"{action}: {error.reason}{where}; {state}",
        reason=error.reason,
        errno=error.errno,
        path=error.path,
        hint=error.hint,
    )


def _is_write_problem(exc: OSError | OutputError, tmp: Path) -> bool:
    """Whether ``exc`` says the new output could not be written (not a bug elsewhere)."""
    if isinstance(exc, OutputError):
        return True
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
        return True
    name = exc.filename
    return name is not None and os.fsdecode(name).startswith(str(tmp))


#: The file every complete output folder holds; a folder without it is not ours to replace.
OUTPUT_MARKER = "run.json"


def check_output_dir(final: str | os.PathLike[str]) -> None:
    """Refuse an ``--out`` that is a file, or a folder of the user's that is no output.

    The output folder is replaced as a whole, so an existing folder is replaced only when
    it is empty or an earlier output (it holds ``run.json``): pointing ``--out`` at a
    folder of one's own files must never delete them.

    Raises
    ------
    DataError
        If ``final`` is an existing file, or a non-empty folder without ``run.json``.
    """
    shown = Path(final)
    if shown.exists() and not shown.is_dir():
        raise DataError(f"--out {shown} is an existing file; choose a folder path")
    if shown.is_dir() and not (shown / OUTPUT_MARKER).is_file() and any(shown.iterdir()):
        raise DataError(
            f"--out {shown} is a folder that holds other files and no earlier output "
            f"({OUTPUT_MARKER}); segmentkit replaces the whole --out folder, so it will "
            "not write there",
            hint="choose a new or empty folder, e.g. --out segmentation-output",
        )


@contextmanager
def atomic_output_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Build an output folder in a temporary sibling and move it into place on success.

    A half-written folder never appears at ``final``, and a run killed at any moment
    (even by SIGKILL) leaves the complete previous folder there, or none if there was
    none. On Linux the new folder and the old one swap places in one atomic step
    (``renameat2(RENAME_EXCHANGE)``), so ``final`` always holds a complete folder; where
    that is not available the old folder is first renamed aside (``.{name}.old-XXXXXXXX``)
    and the next run puts it back if the swap was interrupted. The temporary folder is
    locked while it is written; leftovers of killed runs are removed by the next run
    (:func:`clean_leftovers`). If the ``with`` block raises, the temporary folder is
    removed, any old folder is left untouched and the exception propagates; a failed
    write (a full disk, a read-only or forbidden location) becomes an
    :class:`~segmentkit.errors.OutputError` that says so.

    Parameters
    ----------
    final : str or path-like
        The output folder to create or replace. Missing parent folders are created.

    Yields
    ------
    pathlib.Path
        An empty temporary folder ``.{name}.tmp-XXXXXXXX`` next to ``final``.

    Raises
    ------
    DataError
        If ``final`` is an existing file or a folder of other files (:func:`check_output_dir`).
    OutputError
        If the folder, its parent or a file in it cannot be written.
    """
    shown = Path(final)
    target = shown.resolve()
    check_output_dir(shown)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, f"cannot create the parent folder of --out {shown}") from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"the parent folder {parent} of --out {shown} is not writable; "
            "choose another --out location",
            reason="permission denied",
            errno=errno.EACCES,
            path=str(parent),
        )
    clean_leftovers(target)
    action = f"cannot write --out {shown}"
    kept = "the previous output there is unchanged" if target.is_dir() else "nothing was written"
    tmp, lock = _make_sibling(target, shown)
    try:
        try:
            yield tmp
        except BaseException as exc:
            _discard(tmp)
            if isinstance(exc, OSError | OutputError) and _is_write_problem(exc, tmp):
                raise _written(exc, action, kept, tmp) from exc
            raise
        try:
            _swap_into_place(tmp, target)
        except OSError as exc:
            _discard(tmp)
            raise _written(exc, f"could not move the new output into {shown}", kept, tmp) from exc
    finally:
        _unlock(lock)
    logger.info("wrote output folder %s", shown)


def _make_sibling(target: Path, shown: Path) -> tuple[Path, int | None]:
    # os.mkdir (unlike tempfile.mkdtemp's 0o700) honours the umask, so the final folder
    # gets the same permissions as any folder the user creates.
    for _ in range(100):
        candidate = _sibling_path(target, "tmp")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise output_error(
                exc, f"cannot create a temporary folder next to --out {shown}"
            ) from exc
        try:
            return candidate, _lock(candidate)
        except OSError:  # another run tidied it away in between: take a new name
            continue
    raise OutputError(f"cannot create a temporary folder next to --out {shown}")


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """Return libc's ``renameat2`` (Linux, glibc >= 2.28), or ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step; ``False`` where that is not supported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if (
        renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # e.g. NFS, or an old kernel: swap by two renames instead
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _rename(source: Path, destination: Path) -> None:
    source.replace(destination)


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.is_dir():
        _rename(tmp, target)
        return
    # Lock the previous output too, so that another run tidying leftovers leaves it
    # alone while it is moved aside and removed.
    try:
        old_lock = _lock(target)
    except OSError:
        old_lock = None
    try:
        if _exchange(tmp, target):
            trash = tmp  # the temporary name now holds the previous output
        else:
            old = _sibling_path(target, "old")
            _rename(target, old)
            try:
                _rename(tmp, target)
            except OSError:
                _rename(old, target)  # put the previous output back before reporting
                raise
            # Under a tmp- name it is never mistaken for a complete previous output again.
            trash = _sibling_path(target, "tmp")
            try:
                _rename(old, trash)
            except OSError:
                trash = old
        _discard(trash)
    finally:
        _unlock(old_lock)


def _needs_quote(text: str) -> bool:
    # Quotes already in front count as part of the text: "'=x" becomes "''=x", so that
    # reading back (_restore) strips exactly the one quote that was added.
    bare = text.lstrip("'")
    return bare.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(bare)


def _neutralise(value: object) -> object:
    """Prefix a string that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def _restore(value: object) -> object:
    """Undo :func:`_neutralise`: the text as it was before it was written."""
    if isinstance(value, str) and value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def _neutralised(column: pd.Series) -> pd.Series | None:
    """``column`` with formula-like text neutralised, or ``None`` when nothing changes.

    Text columns are checked with vectorised string methods and categoricals through
    their categories, so a million-row export costs milliseconds, not a Python call per
    cell; only mixed-type (object) columns are checked cell by cell.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = list(column.cat.categories)
        safe = [_neutralise(c) for c in categories]
        if safe == categories:
            return None
        if len(set(safe)) == len(safe):
            return column.cat.rename_categories(safe)
    elif isinstance(column.dtype, pd.StringDtype):
        quoted = column.str.startswith("'", na=False)
        bare = column.str.lstrip("'") if quoted.any() else column
        risky = bare.str.startswith(_FORMULA_START, na=False)
        if not risky.any():
            return None
        risky &= ~bare.str.match(_PLAIN_NUMBER.pattern, na=False)
        return column.mask(risky, "'" + column) if risky.any() else None
    cells = column.astype(object)
    safe_cells = cells.map(_neutralise)
    return None if safe_cells.equals(cells) else safe_cells


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        kind = column.dtype
        if pd.api.types.is_numeric_dtype(kind):
            continue
        if isinstance(kind, pd.CategoricalDtype):
            values: Any = pd.Series(column.cat.categories, dtype=object)
        else:
            values = column
        if isinstance(values.dtype, pd.StringDtype):
            if values.str.contains("\r", regex=False, na=False).any():
                return True
        elif any(isinstance(v, str) and "\r" in v for v in values.astype(object)):
            return True
    return False


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a frame as UTF-8 CSV that is safe to open in a spreadsheet.

    Text cells and headers starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return get a leading ``'`` so spreadsheets show them instead of running them as
    formulas. Numeric columns, and text that is a plain number such as ``"-12.5"``, are
    written unchanged. Lines end with LF only; the index is not written; ``frame`` is
    not modified. Text is quoted only where needed, except that a carriage return in any
    text cell makes every text cell quoted (numbers stay bare).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str or path-like
        Destination file; its folder must exist.

    Raises
    ------
    OutputError
        If the file cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_csv(pd.DataFrame({"note": ["=1+1", "-3"], "x": [-1.5, 2.0]}), folder / "t.csv")
    >>> print((folder / "t.csv").read_text(encoding="utf-8"), end="")
    note,x
    '=1+1,-1.5
    -3,2.0
    """
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        kind = column.dtype
        if (
            pd.api.types.is_numeric_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
            or pd.api.types.is_timedelta64_dtype(kind)
        ):
            continue
        safe = _neutralised(column)
        if safe is not None:
            out.isetitem(i, safe.array)
    out.columns = pd.Index([_neutralise(c) for c in out.columns])
    # The csv module quotes only fields holding the line terminator, so a bare "\r" in a
    # text cell would end the row for every reader; quote all text in that case.
    quoting: Literal[0, 2] = (
        csv.QUOTE_NONNUMERIC if _has_carriage_return(out) else csv.QUOTE_MINIMAL
    )
    try:
        out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)
    except OSError as exc:
        raise output_error(exc, f"could not write {path}", path=path) from exc


def _jsonable(value: Any) -> Any:
    """Make containers JSON-ready: str keys, and null for NaN/inf (strict JSON)."""
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_key(key: object) -> object:
    if isinstance(key, str | int | float | bool) or key is None:
        return key
    return _json_default(key)


def _json_default(value: Any) -> Any:
    """Convert what :func:`json.dumps` cannot encode itself (numpy, pandas, paths)."""
    if isinstance(value, np.ndarray | pd.Series | pd.Index):
        return _jsonable(value.tolist())
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else pd.Timedelta(value).isoformat()
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return pd.Timedelta(value).isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return _jsonable(sorted(value, key=repr))
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented UTF-8 JSON with a trailing newline.

    Keys keep their order; numpy scalars and arrays, pandas timestamps, series and
    missing values, dates and paths are converted; NaN and infinities become ``null`` so
    the file is strict JSON.

    Parameters
    ----------
    obj : object
        Data made of dicts, lists and scalars.
    path : str or path-like
        Destination file; its folder must exist.

    Raises
    ------
    OutputError
        If the file cannot be written.
    TypeError
        If ``obj`` holds a value with no JSON form (a bug in the caller).
    """
    text = json.dumps(
        _jsonable(obj),
        indent=2,
        sort_keys=False,
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    try:
        with Path(path).open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        raise output_error(exc, f"could not write {path}", path=path) from exc


def read_output_csv(path: str | os.PathLike[str], *, text: bool = False) -> pd.DataFrame:
    """Read back a CSV this module wrote: only empty cells are missing.

    Text such as ``"NA"`` or ``"None"`` (a segment or category name) stays the text it is,
    and the ``'`` that :func:`write_csv` put before formula-like text is removed again,
    so names and values read back exactly as they were written.

    Parameters
    ----------
    path : str or path-like
        A CSV written by :func:`write_csv`.
    text : bool
        Read every cell as text (nothing is missing, nothing is a number).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"=h": ["=1+1", "'=x", "-3"]}), path)
    >>> read_output_csv(path).to_dict("list")
    {'=h': ['=1+1', "'=x", '-3']}
    """
    if text:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    frame.columns = pd.Index([_restore(c) for c in frame.columns])
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            quoted = column.map(lambda v: isinstance(v, str) and v.startswith("'"))
            if quoted.any():
                frame.isetitem(i, column.map(_restore).array)
    return frame
