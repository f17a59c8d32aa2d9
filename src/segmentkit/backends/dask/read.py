"""The Dask backend's input: files as one Dask DataFrame, statistics over every row, a sample.

:func:`find_input` resolves a folder, a glob or a single file into files of one format
(before any cluster starts, so a wrong path fails at once); :func:`read_input` opens them
as a Dask DataFrame and counts rows and missing values in one pass; :func:`draw_sample`
brings a seeded sample into pandas; :func:`column_statistics` computes the cleaning
statistics of every column over all rows, out of core. Dask is imported lazily: this
module is only used by :mod:`segmentkit.backends.dask.run`, which checks the extra first.
"""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from segmentkit.errors import DataError
from segmentkit.methods.search import seeded_rows
from segmentkit.sources.read import file_sha256

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "QUARTILES",
    "InputFiles",
    "ScannedInput",
    "column_statistics",
    "draw_sample",
    "find_input",
    "input_facts",
    "read_input",
]

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
Compression = Literal["gzip", "bz2", "xz"]
_COMPRESSIONS: dict[str, Compression] = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
_SUPPORTED = ".csv or .tsv (optionally .gz, .bz2 or .xz) and .parquet or .pq"
#: Quartiles reported for numeric columns (dask's approximate quantiles).
QUARTILES = {"q25": 0.25, "median": 0.5, "q75": 0.75}


@dataclass(frozen=True)
class InputFiles:
    """The files of one input, all of one format.

    Attributes
    ----------
    source : str
        The folder, glob or file as given.
    files : tuple of Path
        The data files, sorted by path (their order is the row order).
    format : str
        ``"csv"``, ``"tsv"`` or ``"parquet"``.
    compression : str or None
        ``"gzip"``, ``"bz2"`` or ``"xz"`` for compressed text files.
    """

    source: str
    files: tuple[Path, ...]
    format: str
    compression: Compression | None = None


def _format_of(path: Path) -> tuple[str, Compression | None]:
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-1] if suffixes else ""
    if (
        last in _COMPRESSIONS
        and len(suffixes) >= 2
        and _FORMATS.get(suffixes[-2]) in {"csv", "tsv"}
    ):
        return _FORMATS[suffixes[-2]], _COMPRESSIONS[last]
    if last in _FORMATS:
        return _FORMATS[last], None
    raise DataError(
        f"{path} has unsupported file type {''.join(suffixes[-2:]) or '(none)'!r}; "
        f"the Dask backend reads {_SUPPORTED}"
    )


def _hidden(path: Path, root: Path) -> bool:
    # Writers leave _SUCCESS, _metadata, .crc and similar beside the data files.
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def find_input(source: str | Path) -> InputFiles:
    """Resolve a folder (searched recursively), a glob or a file into files of one format.

    Files and folders whose name starts with ``.`` or ``_`` inside a folder are skipped.

    Raises
    ------
    DataError
        When nothing matches, a file is empty or of an unsupported type, or the files mix
        formats or compressions.
    """
    text = str(source)
    path = Path(text)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        if not files:
            raise DataError(f"{path} holds no data files; expected {_SUPPORTED} files")
    elif any(char in text for char in "*?["):
        # Path.glob takes only relative patterns; a user's glob may be absolute.
        matches = glob.glob(text, recursive=True)  # noqa: PTH207
        files = sorted(Path(p) for p in matches if Path(p).is_file())
        if not files:
            raise DataError(f"no file matches {text}", hint="check the pattern and the folder")
    else:
        raise DataError(f"file or folder not found: {path}", hint="check the path")
    kinds = {f: _format_of(f) for f in files}
    found = sorted(set(kinds.values()), key=str)
    if len(found) > 1:
        shown = ", ".join(f"{fmt}{f' ({c})' if c else ''}" for fmt, c in found)
        raise DataError(f"{text} mixes file types ({shown}); point at files of one type")
    for file in files:
        if file.stat().st_size == 0:
            raise DataError(f"{file} is empty; expected a header row and data rows")
    fmt, compression = found[0]
    return InputFiles(text, tuple(files), fmt, compression)


def _columns_of(files: InputFiles, file: Path, encoding: str) -> list[str]:
    try:
        if files.format == "parquet":
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(file).names]
        sep = "\t" if files.format == "tsv" else ","
        header = pd.read_csv(
            file, sep=sep, nrows=0, encoding=encoding, compression=files.compression
        )
        return [str(c) for c in header.columns]
    except Exception as error:  # pandas and pyarrow raise many types for unreadable files
        raise DataError(f"cannot read {file}: {_one_line(error)}") from None


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@dataclass(frozen=True)
class ScannedInput:
    """The input as a Dask DataFrame, with its partition lengths and missing values.

    Attributes
    ----------
    files : InputFiles
        What was read.
    frame : dask.dataframe.DataFrame
        One partition per block of the files, columns as read.
    lengths : tuple of int
        Rows in each partition.
    missing : dict
        Column to the number of missing cells over all rows.
    """

    files: InputFiles
    frame: dd.DataFrame
    lengths: tuple[int, ...]
    missing: dict[str, int]

    @property
    def n_rows(self) -> int:
        """Rows over all files."""
        return sum(self.lengths)

    @property
    def offsets(self) -> np.ndarray:
        """Position of each partition's first row; the last entry is the row count."""
        return np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)


def read_input(files: InputFiles, *, encoding: str | None = None) -> ScannedInput:
    """Open the files lazily and count rows per partition and missing cells (one pass).

    Every file must have the same columns. CSV column types are inferred from the start
    of the first file (integers read as floats, so a later blank cannot break them).

    Raises
    ------
    DataError
        When a file cannot be read, the files' columns differ, a column changes type
        further down the files, or there is no data row.
    """
    import dask
    import dask.dataframe as dd

    encoding = encoding or "utf-8"
    first = _columns_of(files, files.files[0], encoding)
    for file in files.files[1:]:
        columns = _columns_of(files, file, encoding)
        if columns != first:
            raise DataError(
                f"{file} has columns {columns} but {files.files[0]} has {first}; "
                "every file must have the same columns"
            )
    paths = [str(f) for f in files.files]
    # pandas' own string dtype (missing = NaN), as the local reader gives: dask's
    # conversion to pyarrow strings (missing = NA) breaks the cleaning's comparisons.
    with dask.config.set({"dataframe.convert-string": False}):
        try:
            if files.format == "parquet":
                frame = dd.read_parquet(paths, index=False)
            else:
                frame = dd.read_csv(
                    paths,
                    sep="\t" if files.format == "tsv" else ",",
                    encoding=encoding,
                    compression=files.compression,
                    assume_missing=True,
                    # Compressed files cannot be split into blocks.
                    **({"blocksize": None} if files.compression else {}),
                )
        except Exception as error:  # the first block is parsed here to infer the types
            raise DataError(f"cannot read {files.source}: {_one_line(error)}") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        lengths, missing = _compute(frame.map_partitions(len), frame.isna().sum())
    if int(lengths.sum()) == 0:
        raise DataError(f"{files.source} has a header but no data rows")
    kept = [number for number, n in enumerate(lengths) if n > 0]
    if len(kept) < len(lengths):
        frame = frame.partitions[kept]  # files with a header only: nothing to place
    return ScannedInput(
        files,
        frame,
        tuple(int(lengths.iloc[number]) for number in kept),
        {str(c): int(n) for c, n in missing.items()},
    )


_MISMATCH = re.compile(r"^\|\s*([^|]+?)\s*\|", re.MULTILINE)


def _compute(*collections: Any) -> Any:
    """``dask.compute``, with CSV type mismatches turned into one clear line."""
    import dask

    try:
        return dask.compute(*collections)
    except ValueError as error:
        message = str(error)
        if "Mismatched dtypes" not in message:
            raise
        columns = [c for c in _MISMATCH.findall(message) if c not in {"Column", ":-"}]
        raise DataError(
            f"column(s) {', '.join(columns) or '?'} hold values of another type further "
            "down the files than at the start of the first file, where their type was read",
            hint="clean those columns, or convert the files to Parquet with explicit types",
        ) from None


def draw_sample(scanned: ScannedInput, size: int, seed: int) -> pd.DataFrame:
    """Return a seeded sample of ``size`` rows (all rows when fewer), in input order.

    The rows are the same for the same files and seed, whatever the cluster.
    """
    import dask

    rows = seeded_rows(scanned.n_rows, size, seed)
    if rows is None:
        (everything,) = _compute(scanned.frame)
        return everything.reset_index(drop=True)
    offsets = scanned.offsets
    pieces = []
    for number, part in enumerate(scanned.frame.to_delayed()):
        start, stop = np.searchsorted(rows, offsets[number : number + 2])
        if stop > start:
            pieces.append(dask.delayed(_take)(part, rows[start:stop] - offsets[number]))
    return pd.concat(_compute(*pieces), ignore_index=True)


def _take(part: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return part.iloc[positions]


def input_facts(files: InputFiles, scanned: ScannedInput) -> dict[str, Any]:
    """Return what ``run.json`` records about the input: files, sha256, rows, columns.

    The files are hashed on the cluster; ``sha256`` is the digest of the list of file
    names with their own digests, one per line.
    """
    import dask

    digests = _compute(*(dask.delayed(file_sha256)(f) for f in files.files))
    listing = "".join(f"{f}\t{d}\n" for f, d in zip(files.files, digests, strict=True))
    return {
        "path": files.source,
        "format": files.format,
        "compression": files.compression,
        "sha256": hashlib.sha256(listing.encode("utf-8")).hexdigest(),
        "files": [{"path": str(f), "sha256": d} for f, d in zip(files.files, digests, strict=True)],
        "partitions": len(scanned.lengths),
        "rows": scanned.n_rows,
        "columns": len(scanned.frame.columns),
        "read_notes": [],
    }


def column_statistics(
    scanned: ScannedInput,
    cleaned: dd.DataFrame,
    *,
    roles: dict[str, str],
    id_column: str | None,
) -> dict[str, Any]:
    """Compute the cleaning statistics of every column over all rows, in one pass.

    Parameters
    ----------
    scanned : ScannedInput
        The input as read (missing cells and the id column come from it).
    cleaned : dask.dataframe.DataFrame
        The feature columns as the saved model cleans them (numbers parsed, categories
        merged, dates as days).
    roles : dict
        Column to its role (``numeric``, ``categorical``, ``id`` ...).
    id_column : str or None
        The customer id column, whose repeated values are counted.

    Returns
    -------
    dict
        ``rows``, the id counts (``missing_ids``, ``repeated_ids``, ``duplicate_id_rows``)
        and per column its ``role``, ``dtype``, ``missing``; for numeric features
        ``missing_after_cleaning`` (unreadable values included), ``mean``, ``std``,
        ``min``, ``q25``, ``median``, ``q75`` (approximate), ``max``; for categorical
        features ``frequencies`` (value to count, most common first).
    """
    import dask

    numeric = [c for c in cleaned.columns if roles.get(c) in {"numeric", "date"}]
    categorical = [c for c in cleaned.columns if roles.get(c) == "categorical"]
    work: dict[str, Any] = {"missing": cleaned.isna().sum()}
    if numeric:
        values = cleaned[numeric]
        work |= {
            "mean": values.mean(),
            "std": values.std(),
            "min": values.min(),
            "max": values.max(),
            "quantiles": values.quantile(list(QUARTILES.values())),
        }
    for column in categorical:
        work[f"values:{column}"] = cleaned[column].value_counts(split_out=1)
    if id_column is not None:
        counts = scanned.frame[id_column].value_counts(split_out=True)
        work["repeated_ids"] = (counts > 1).sum()
        work["duplicate_id_rows"] = (counts - 1).sum()
    # A task-based shuffle for the id counts: the peer-to-peer one logs a warning each time.
    with dask.config.set({"dataframe.shuffle.method": "tasks"}):
        (done,) = _compute(work)
    columns: dict[str, dict[str, Any]] = {}
    for column in scanned.frame.columns:
        entry: dict[str, Any] = {
            "role": roles.get(column, "unused"),
            "dtype": str(scanned.frame[column].dtype),
            "missing": scanned.missing[column],
        }
        if column in numeric:
            entry["missing_after_cleaning"] = int(done["missing"][column])
            for name in ("mean", "std", "min"):
                entry[name] = float(done[name][column])
            for name, q in QUARTILES.items():
                entry[name] = float(done["quantiles"].loc[q, column])
            entry["max"] = float(done["max"][column])
        elif column in categorical:
            counts = (
                done[f"values:{column}"].sort_index().sort_values(ascending=False, kind="stable")
            )
            entry["missing_after_cleaning"] = int(done["missing"][column])
            entry["frequencies"] = {str(v): int(n) for v, n in counts.items()}
        columns[column] = entry
    statistics: dict[str, Any] = {"rows": scanned.n_rows, "id_column": id_column}
    if id_column is not None:
        statistics |= {
            "missing_ids": scanned.missing[id_column],
            "repeated_ids": int(done["repeated_ids"]),
            "duplicate_id_rows": int(done["duplicate_id_rows"]),
        }
    statistics["quartiles"] = "approximate (dask.dataframe quantile)"
    statistics["columns"] = columns
    return statistics
