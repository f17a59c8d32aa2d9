"""Write outputs safely: complete or absent, spreadsheet-safe, byte-for-byte reproducible.

:func:`atomic_output_dir` builds an output folder beside its final place and swaps it in
only when complete; :func:`write_csv` neutralises spreadsheet formulas; :func:`write_json`
writes strict JSON from numpy and pandas values.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from segmentkit.errors import DataError

__all__ = ["atomic_file", "atomic_output_dir", "read_output_csv", "write_csv", "write_json"]

logger = logging.getLogger(__name__)

_PLAIN_NUMBER = re.compile(r"^[+-]?(?=[.,]*\d)[\d.,]*([eE][+-]?\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        If ``final`` is a folder or its folder cannot be written.
    """
    target = Path(final)
    if target.is_dir():
        raise DataError(f"--out {target} is a folder; give a file name such as scored.csv")
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=parent)
    except OSError as exc:
        raise DataError(f"cannot write {target}: {exc.strerror or exc}") from exc
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Build an output folder in a temporary sibling and move it into place on success.

    A half-written folder never appears at ``final``: on success an existing folder is
    renamed aside (``.{name}.old-XXXXXXXX``), the temporary one renamed in, and only then
    the old one deleted, so a complete old or new folder exists at every instant (``final``
    itself is absent only between the two renames). If the ``with`` block raises, the
    temporary folder is removed, any old folder is left untouched and the exception
    propagates.

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
        If ``final`` is an existing file, or its parent cannot be created or written.
    """
    shown = Path(final)
    target = shown.resolve()
    if target.exists() and not target.is_dir():
        raise DataError(f"--out {shown} is an existing file; choose a folder path")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the parent folder of --out {shown}: {exc.strerror or exc}"
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(
            f"the parent folder {parent} of --out {shown} is not writable; "
            "choose another --out location"
        )
    tmp = _make_sibling(parent, f".{target.name}.tmp-", shown)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        _swap_into_place(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"could not move the new output into {shown}: {exc}") from exc
    logger.info("wrote output folder %s", shown)


def _make_sibling(parent: Path, prefix: str, shown: Path) -> Path:
    # os.mkdir (unlike tempfile.mkdtemp's 0o700) honours the umask, so the final folder
    # gets the same permissions as any folder the user creates.
    for _ in range(100):
        candidate = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise DataError(
                f"cannot create a temporary folder next to --out {shown}: {exc.strerror or exc}"
            ) from exc
        return candidate
    raise DataError(f"cannot create a temporary folder next to --out {shown}")


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.is_dir():
        tmp.replace(target)
        return
    old = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
    target.replace(old)
    try:
        tmp.replace(target)
    except OSError:
        old.replace(target)  # put the previous output back before reporting
        raise
    try:
        if old.is_symlink():
            old.unlink()
        else:
            shutil.rmtree(old)
    except OSError as exc:  # the new output is in place; leftovers are only clutter
        logger.warning("could not remove the previous output %s: %s", old, exc)


def _neutralise(value: object) -> object:
    """Prefix a string that a spreadsheet would run as a formula with ``'``."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
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
        risky = column.str.startswith(_FORMULA_START, na=False)
        if not risky.any():
            return None
        risky &= ~column.str.match(_PLAIN_NUMBER.pattern, na=False)
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
    DataError
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
        raise DataError(f"could not write {path}: {exc.strerror or exc}") from exc


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
    DataError
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
        raise DataError(f"could not write {path}: {exc.strerror or exc}") from exc


def read_output_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read back a CSV this module wrote: only empty cells are missing.

    Text such as ``"NA"`` or ``"None"`` (a segment or category name) stays the text it is.
    """
    return pd.read_csv(path, keep_default_na=False, na_values=[""])
