"""Outputs that are complete or absent, whatever happens while they are written.

:func:`atomic_output_dir` builds an output folder beside its final place and swaps it in
only when complete (``renameat2(RENAME_EXCHANGE)`` where Linux has it, else two renames
that a rerun can recover from); :func:`atomic_file` and :func:`replaced_file` do the same
for one file. Temporary siblings are locked by their writer (:func:`lock_file`), so
:func:`clean_leftovers` removes only those of writers that are gone. A full disk, a
read-only file system or a forbidden location is reported as such
(:class:`~segmentkit.errors.OutputError`, :func:`output_error`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from segmentkit.errors import DataError, OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, leftovers age out
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "OUTPUT_MARKER",
    "atomic_file",
    "atomic_output_dir",
    "check_output_dir",
    "clean_leftovers",
    "lock_file",
    "output_error",
    "replaced_file",
    "unlock_file",
]

logger = logging.getLogger(__name__)

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


def lock_file(path: Path) -> int | None:
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


def unlock_file(fd: int | None) -> None:
    """Release a lock taken by :func:`lock_file` (``None``: there was none)."""
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
        return False, lock_file(path)
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


def clean_leftovers(
    final: str | os.PathLike[str], *, pattern: re.Pattern[str] | None = None
) -> None:
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
    pattern : re.Pattern, optional
        The temporary names to tidy, for a writer that names its own (``report.html`` is
        written as ``.report-XXXXXXXX.html``); ``.{name}.tmp|old-XXXXXXXX`` by default.
    """
    target = Path(final)
    pattern = pattern or _leftover_pattern(target.name)
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
            unlock_file(lock)


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
        tmp, lock = _temporary_file(parent / target.name)
    except OSError as exc:
        raise output_error(exc, action) from exc
    try:
        yield tmp
        _publish(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError | OutputError) and _is_write_problem(exc, tmp):
            raise _written(exc, action, "nothing was changed there", tmp) from exc
        raise
    finally:
        unlock_file(lock)


@contextmanager
def replaced_file(
    final: str | os.PathLike[str], *, prefix: str | None = None, suffix: str = ""
) -> Iterator[Path]:
    """Write one file through a locked temporary sibling renamed over it on success.

    The plain form of :func:`atomic_file` for files inside an output folder
    (``report.html``, ``model.skops``): the previous file stays until the new one is
    complete, and the temporary file never outlives a failure. Errors propagate as they
    are, so that each caller says in its own words what could not be written.

    Parameters
    ----------
    final : str or path-like
        The file to create or replace; its folder must exist.
    prefix, suffix : str, optional
        The temporary name, ``{prefix}XXXXXXXX{suffix}`` (default ``.{name}.tmp-XXXXXXXX``).
        Leftovers with this name from writers that are gone are removed first.

    Yields
    ------
    pathlib.Path
        The temporary path to write to.
    """
    tmp, lock = _temporary_file(Path(final), prefix=prefix, suffix=suffix)
    try:
        yield tmp
        _publish(tmp, Path(final))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        unlock_file(lock)


def _temporary_file(
    final: Path, *, prefix: str | None = None, suffix: str = ""
) -> tuple[Path, int | None]:
    """Create and lock an empty temporary sibling of ``final``, after tidying leftovers."""
    if prefix is None:
        prefix, pattern = f".{final.name}.tmp-", _leftover_pattern(final.name)
    else:
        pattern = re.compile(rf"{re.escape(prefix)}[a-z0-9_]{{8}}{re.escape(suffix)}")
    clean_leftovers(final, pattern=pattern)
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=final.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        return tmp, lock_file(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _publish(tmp: Path, final: Path) -> None:
    # mkstemp makes the file private; an output file is shared like any other.
    tmp.chmod(0o644)
    tmp.replace(final)


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
        unlock_file(lock)
    # A folder staged inside another run's temporary folder (the Dask backend's sample
    # run) is not where the user finds it: only the outer folder is worth a line.
    inner = any(_TEMPORARY.fullmatch(part) for part in target.parent.parts)
    (logger.debug if inner else logger.info)("wrote output folder %s", shown)


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
            return candidate, lock_file(candidate)
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
        old_lock = lock_file(target)
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
        unlock_file(old_lock)
