"""Read input tables (the writers live in :mod:`segmentkit.output.write` and are re-exported).

:func:`read_table` turns a CSV/TSV (optionally compressed), Parquet or Excel file into a
:class:`pandas.DataFrame` and records everything it detected or changed on the way
(encoding, delimiter, decimal mark, renamed or dropped columns) in a :class:`TableRead`.
Every problem a user can fix raises :class:`~segmentkit.errors.DataError`.

This module is the entry point: it finds the format, reads (or streams) the file and
hands the steps to :mod:`~segmentkit.sources.decode` (encodings),
:mod:`~segmentkit.sources.dialect` (delimiter, decimal mark),
:mod:`~segmentkit.sources.text_table` (parsing text), :mod:`~segmentkit.sources.repair`
(headers, spreadsheet debris) and :mod:`~segmentkit.sources.formats` (Parquet, Excel).
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import hashlib
import io
import logging
import lzma
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from segmentkit.config import normalise_delimiter
from segmentkit.errors import ConfigError, DataError
from segmentkit.output.atomic import atomic_output_dir
from segmentkit.output.write import write_csv, write_json
from segmentkit.sources.decode import decode_text, scan_file
from segmentkit.sources.formats import read_excel, read_parquet
from segmentkit.sources.notes import ReadNotes, one_line
from segmentkit.sources.text_table import read_text

__all__ = [
    "TableRead",
    "atomic_output_dir",
    "file_sha256",
    "read_table",
    "write_csv",
    "write_json",
]

logger = logging.getLogger(__name__)

_TEXT_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv"}
_BINARY_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".ods": "excel",
}
_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".xz": lzma.decompress,
}
_COMPRESSIONS = (*_DECOMPRESS, ".zip")
_SUPPORTED = (
    ".csv, .txt, .tsv, .tab (optionally compressed: .gz, .bz2, .xz, .zip), "
    ".parquet, .pq, .xlsx, .xlsm, .xls, .ods"
)
#: Text files larger than this are parsed straight from disk (see ``_read_large_text``).
STREAM_BYTES = 32 * 2**20
_HEAD_BYTES = 2**20
#: Encodings pandas decodes as it reads; a BOM in UTF-8 is skipped by pandas itself.
_STREAMABLE_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")


@dataclasses.dataclass(frozen=True, eq=False)
class TableRead:
    """A table read from disk, with what was detected and changed while reading it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data, shape ``(n_rows, n_columns)``, one column per input column with unique,
        whitespace-stripped string names and dtypes inferred by pandas.
    path : pathlib.Path
        The file that was read, as given.
    format : str
        ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"excel"``.
    encoding : str or None
        Text encoding used (``None`` for Parquet and Excel).
    delimiter : str or None
        Field delimiter used: one character, or ``"whitespace"`` for a whitespace-aligned
        table (``None`` for Parquet and Excel).
    decimal : str or None
        Decimal mark used, ``"."`` or ``","`` (``None`` for Parquet and Excel).
    sha256 : str
        Hex SHA-256 of the file's bytes as stored on disk.
    warnings : tuple of str
        Human-readable notes about everything detected or changed, in order.
    """

    frame: pd.DataFrame = dataclasses.field(repr=False)
    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    decimal: str | None
    sha256: str
    warnings: tuple[str, ...]


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
) -> TableRead:
    r"""Read a CSV, TSV, Parquet or Excel file into a DataFrame.

    The format comes from the suffix: ``.csv``/``.txt`` (delimiter detected among
    ``, ; tab |``, else a whitespace-aligned table), ``.tsv``/``.tab``, either optionally
    compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``), ``.parquet``/``.pq`` and
    ``.xlsx``/``.xlsm``/``.xls``/``.ods``.

    For text files the encoding is detected (byte-order mark, then UTF-8, cp1252 and
    latin-1) unless given, and a decimal comma (``1.234,56``) is detected when the
    delimiter is not ``,``. A table whose fields are separated or aligned by spaces
    (``DataFrame.to_string()``, fixed-width exports) is read column by column, and a
    first row that holds only numbers over numeric columns is data, not a header: the
    columns are then named ``column_1``, ``column_2``, ... Digits written with leading
    zeros (``0001``) stay text, so ids and postal codes keep them (judged on the first
    200 rows). Values are otherwise left as pandas infers them: text such
    as ``"$1,200"`` stays text. For every format, header names are stripped of
    surrounding whitespace and made unique (``name``, ``name.1``), and spreadsheet
    debris (fully empty trailing rows, fully empty unnamed columns) is dropped, as are
    rows that repeat the header (concatenated exports) in CSV, TSV and Excel files; each
    of these changes is recorded in :attr:`TableRead.warnings`.

    Parameters
    ----------
    path : str or path-like
        File to read.
    encoding : str, optional
        Text encoding of a CSV/TSV file; detected when omitted. Ignored (with a note)
        for Parquet and Excel.
    sheet : str or int, optional
        Excel sheet name or 0-based position (text of digits that names no sheet is a
        position); when omitted, the first sheet — or, when the first sheet has no data
        and exactly one other sheet has, that sheet (with a note). Ignored (with a note)
        for other formats.
    delimiter : str, optional
        Field delimiter of a CSV/TSV file: ``,``, ``;``, ``\t`` (or ``tab``), ``|`` or
        ``whitespace``; detected when omitted. Ignored (with a note) for Parquet and
        Excel.

    Returns
    -------
    TableRead
        The frame plus what was detected and changed.

    Raises
    ------
    DataError
        If the file is missing, unreadable, empty, has no data rows, is not a table of
        the format its suffix promises, or cannot be parsed.
    ConfigError
        If ``encoding`` is not a known encoding name or ``delimiter`` not one of the above.
    """
    path = Path(path)
    notes = ReadNotes(logger)
    forced = _delimiter_option(delimiter)
    fmt, compression = _format_of(path)
    if encoding is not None and fmt not in ("csv", "tsv"):
        notes.add(logging.WARNING, "encoding=%r ignored: %s is a %s file", encoding, path, fmt)
    if delimiter is not None and fmt not in ("csv", "tsv"):
        notes.add(logging.WARNING, "delimiter=%r ignored: %s is a %s file", delimiter, path, fmt)
    if sheet is not None and fmt != "excel":
        notes.add(logging.WARNING, "sheet=%r ignored: %s is not an Excel file", sheet, path)
    if fmt in ("csv", "tsv") and compression is None and _file_size(path) > STREAM_BYTES:
        return _read_large_text(path, fmt, encoding, notes, forced)
    if fmt == "parquet":
        if _file_size(path) == 0:
            raise _empty_file(path)
        sha256 = file_sha256(path)
        frame = read_parquet(path, notes)
        return TableRead(frame, path, fmt, None, None, None, sha256, tuple(notes.items))
    data = _read_bytes(path)
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise _empty_file(path)
    if fmt in ("csv", "tsv"):
        text_data = _decompress(path, data, compression)
        text, used = decode_text(path, text_data, encoding, notes)
        frame, sep, decimal = read_text(path, text, fmt, notes, forced=forced)
        return TableRead(frame, path, fmt, used, sep, decimal, sha256, tuple(notes.items))
    frame = read_excel(path, data, sheet, notes)
    return TableRead(frame, path, fmt, None, None, None, sha256, tuple(notes.items))


def _delimiter_option(delimiter: str | None) -> str | None:
    """Return the delimiter asked for, spelled as ``normalise_delimiter`` spells it."""
    if delimiter is None:
        return None
    try:
        return normalise_delimiter(delimiter)
    except ValueError as exc:
        raise ConfigError(f"delimiter {exc}") from None


def _empty_file(path: Path) -> DataError:
    return DataError(
        f"{path} is empty; expected a header row and at least one data row",
        hint="check that the export finished and that you picked the right file",
    )


def _format_of(path: Path) -> tuple[str, str | None]:
    """Return ``(format, compression suffix or None)`` for ``path`` after checking it exists."""
    if not path.exists():
        raise DataError(f"file not found: {path}", hint="check the path and the working folder")
    if path.is_dir():
        raise DataError(f"{path} is a directory; expected a data file such as a .csv")
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-1] if suffixes else ""
    if last in _COMPRESSIONS and len(suffixes) >= 2 and suffixes[-2] in _TEXT_FORMATS:
        return _TEXT_FORMATS[suffixes[-2]], last
    if last in _TEXT_FORMATS:
        return _TEXT_FORMATS[last], None
    if last in _BINARY_FORMATS:
        return _BINARY_FORMATS[last], None
    shown = "".join(suffixes[-2:]) if last in _COMPRESSIONS else last or "(none)"
    raise DataError(f"{path} has unsupported file type {shown!r}; supported: {_SUPPORTED}")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise DataError(
            f"permission denied reading {path}", hint="check the file's permissions"
        ) from exc
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc.strerror or exc}") from exc


def _decompress(path: Path, data: bytes, compression: str | None) -> bytes:
    if compression is None:
        return data
    try:
        if compression == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    raise DataError(
                        f"{path} holds {len(members)} files; expected exactly one table"
                    )
                return archive.read(members[0])
        return _DECOMPRESS[compression](data)
    except DataError:
        raise
    except Exception as exc:  # each codec raises its own types for corrupt input
        raise DataError(
            f"{path} could not be decompressed as {compression}: {one_line(exc)}",
            hint="the file may be truncated or corrupt; export it again",
        ) from exc


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc.strerror or exc}") from exc


def _read_large_text(
    path: Path, fmt: str, encoding: str | None, notes: ReadNotes, forced: str | None
) -> TableRead:
    """Read a large CSV/TSV from disk without holding its bytes and text in memory too.

    The encoding, delimiter, decimal mark and header are detected on the first
    :data:`_HEAD_BYTES` (the same rules as for small files); one streaming pass then
    checks that the whole file decodes and computes its SHA-256, and pandas parses the
    file straight from disk. Peak memory is about the finished frame instead of the file
    three times over (bytes, decoded text, parser buffer) plus the frame.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc.strerror or exc}") from exc
    # Whole records only, so a multi-byte character or a record is never cut in two.
    head = head[: head.rfind(b"\n") + 1] or head
    sample, used = decode_text(path, head, encoding, notes)
    if used not in _STREAMABLE_ENCODINGS:
        # UTF-16/32 files are rare and small in practice: read them the usual way.
        data = _read_bytes(path)
        text = decode_text(path, data, encoding, ReadNotes(logger))[0]
        frame, sep, decimal = read_text(path, text, fmt, notes, forced=forced)
        sha256 = hashlib.sha256(data).hexdigest()
        return TableRead(frame, path, fmt, used, sep, decimal, sha256, tuple(notes.items))
    sha256, bad_byte = scan_file(path, used)
    if bad_byte is not None and (encoding is not None or used == "utf-8-sig"):
        raise DataError(
            f"{path} is not valid {used} at byte {bad_byte}; pass --encoding with the "
            "file's actual encoding (for example utf-8, cp1252 or latin-1)"
        )
    if bad_byte is not None:
        # Detected from the first MiB, contradicted later on: the legacy fallbacks, in
        # the order small files use. latin-1 decodes any byte.
        legacy = "cp1252" if used == "utf-8" and scan_file(path, "cp1252")[1] is None else "latin-1"
        notes.add(
            logging.WARNING,
            "%s is not valid %s (byte %d); decoded as %s, pass --encoding if "
            "accented characters look wrong",
            path,
            "UTF-8" if used == "utf-8" else used,
            bad_byte,
            legacy,
        )
        used = legacy
        sample = head.decode(used)
    frame, sep, decimal = read_text(path, sample, fmt, notes, source=(path, used), forced=forced)
    return TableRead(frame, path, fmt, used, sep, decimal, sha256, tuple(notes.items))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or path-like
        The file to hash; read in 1 MiB chunks.

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    DataError
        If the file is missing or cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise DataError(f"file not found: {path}") from exc
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
