"""``segmentkit rename``: give a segment of a finished run the name people use for it.

Editing ``segment_profiles.csv`` by hand changes that one file: ``segments.csv``, the
report and the saved model (so every later ``segmentkit score``) keep the old name.
:func:`rename_segment` changes the name everywhere it appears in the output folder, and
all at once: the folder is copied beside itself, the copy is changed and it replaces the
folder in one step (:func:`segmentkit.output.atomic.atomic_output_dir`), so a failure at any
point leaves the folder exactly as it was. Nothing is refitted.

What changes: ``segment_profiles.csv`` (``name``), ``segments.csv`` (``segment_name``,
when the method is the recommended one), ``segment_migration.csv`` (``new_name``, after
a run with ``--previous``), ``segment_rules.csv`` (``name``) and the comments of
``segment_rules.sql``, ``run.json`` (``segment_names`` records the chosen name, and
the segment's name in the method's explanation), ``model.skops`` (the names
``segmentkit score`` writes), the PNGs that show the method's names and ``report.html``.
A later ``segmentkit run --previous`` carries the name to the matching new segment.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.describe.segment_names import check_segment_name, describe_segments
from segmentkit.errors import ConfigError, DataError
from segmentkit.output.atomic import atomic_output_dir
from segmentkit.output.folder import (
    MIGRATION_FILE,
    PROFILES_FILE,
    RULES_FILE,
    RULES_SQL_FILE,
    SEGMENTS_FILE,
    SEGMENTS_PARQUET_FILE,
    SUMMARY_FILE,
    OutputFolder,
)
from segmentkit.output.write import (
    read_output_csv,
    read_run_summary,
    replace_csv_cells,
    write_json,
    write_parquet,
)
from segmentkit.plots.named import redraw_named_figures
from segmentkit.report import REPORT_NAME, write_report
from segmentkit.scoring.model import MODEL_NAME, SegmentationModel

__all__ = ["Renamed", "rename_segment"]

logger = logging.getLogger(__name__)

#: Files every output folder that can be renamed holds.
NEEDED = (SUMMARY_FILE, PROFILES_FILE, SEGMENTS_FILE, MODEL_NAME)
#: Files rewritten rather than copied.
_REWRITTEN = {
    SUMMARY_FILE,
    PROFILES_FILE,
    SEGMENTS_FILE,
    SEGMENTS_PARQUET_FILE,
    MIGRATION_FILE,
    RULES_FILE,
    RULES_SQL_FILE,
    MODEL_NAME,
    REPORT_NAME,
}


@dataclass(frozen=True)
class Renamed:
    """What :func:`rename_segment` did.

    Attributes
    ----------
    folder : Path
        The output folder.
    method : str
        The method whose segment was renamed.
    segment : int
        The segment (``-1`` noise and ``-2`` outliers included).
    old_name, new_name : str
        The name before and after.
    recommended : bool
        Whether ``method`` is the recommended one (then ``segments.csv`` changed too).
    changed : bool
        ``False`` when the segment already had that name (nothing was written).
    files : tuple of str
        The files that now carry the new name, relative to the folder (the PNGs drawn
        again included).
    """

    folder: Path
    method: str
    segment: int
    old_name: str
    new_name: str
    recommended: bool
    changed: bool = True
    files: tuple[str, ...] = ()


def _summary(folder: Path) -> dict[str, Any]:
    if (folder / "segments").is_dir():
        raise DataError(
            f"{folder} was written by --backend dask, whose segments/ holds every "
            "customer's segment name; rename is not available there",
            hint="set profiles.names in the configuration and run again",
        )
    hint = "give the folder an earlier `segmentkit run` wrote"
    # segments.parquet stands for segments.csv in a run with output.format "parquet".
    segments = OutputFolder(folder).segments_file.name
    needed = [segments if name == SEGMENTS_FILE else name for name in NEEDED]
    return read_run_summary(folder, needed, hint=hint, absent_hint=hint)


def _current_names(folder: Path, method: str) -> dict[int, str]:
    try:
        profiles = read_output_csv(folder / PROFILES_FILE)
        rows = profiles[profiles["method"].astype(str) == method]
        return {int(s): str(n) for s, n in zip(rows["segment"], rows["name"], strict=True)}
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"cannot read {folder / 'segment_profiles.csv'}: {error}") from None


def rename_segment(
    folder: str | Path, segment: int, name: str, *, method: str | None = None
) -> Renamed:
    """Rename one segment of a finished run everywhere in its output folder, atomically.

    Parameters
    ----------
    folder : str or Path
        An output folder written by ``segmentkit run`` (not by ``--backend dask``).
    segment : int
        The segment's number, as in ``segment_profiles.csv``; ``-1`` (DBSCAN noise) and
        ``-2`` (flagged outliers) may be named too.
    name : str
        The new name: one line of text, at most 100 characters, unique within the method.
        Surrounding spaces are removed.
    method : str, optional
        The method whose segment it is (default: the recommended one).

    Returns
    -------
    Renamed

    Raises
    ------
    DataError
        When ``folder`` is not a complete output folder.
    ConfigError
        When the method or segment does not exist in the run, or the name is empty,
        not one line, too long or already another segment's.
    OutputError
        When the folder cannot be written; it is then exactly as it was.
    """
    folder = Path(folder)
    summary = _summary(folder)
    recommended = str(summary["recommended"]["method"])
    methods = [str(m) for m in summary["methods"]]
    method = recommended if method is None else method
    if method not in methods:
        raise ConfigError(
            f"--method {method}: this run has no {method}; its methods are {', '.join(methods)}"
        )
    try:
        name = check_segment_name(name)
    except ValueError as error:
        raise ConfigError(f"NAME: {error}") from None
    names = _current_names(folder, method)
    if segment not in names:
        raise ConfigError(
            f"--segment {segment}: {method} has no segment {segment}; its segments are "
            f"{describe_segments(names)}",
            hint=f"see them with `segmentkit profile {folder} -m {method}`",
        )
    old = names[segment]
    clash = [s for s, n in names.items() if n == name and s != segment]
    if clash:
        raise ConfigError(
            f"{method} segment {clash[0]} is already called {name!r}; "
            "give each segment its own name"
        )
    renamed = Renamed(folder, method, segment, old, name, method == recommended)
    if old == name:
        logger.info("%s segment %d is already called %r: nothing to change", method, segment, name)
        return replace(renamed, changed=False)
    with atomic_output_dir(folder) as tmp:
        files = _write_renamed(folder, tmp, summary, renamed)
    logger.info("Renamed %s segment %d from %r to %r in %s", method, segment, old, name, folder)
    return replace(renamed, files=tuple(files))


def _write_renamed(folder: Path, tmp: Path, summary: dict[str, Any], renamed: Renamed) -> list[str]:
    """Fill ``tmp`` with the folder's files, the segment renamed in each; say which changed."""
    changed = [PROFILES_FILE]
    method, segment, name = renamed.method, str(renamed.segment), renamed.new_name
    shutil.copytree(
        folder,
        tmp,
        symlinks=True,
        dirs_exist_ok=True,
        ignore=lambda where, entries: [
            e for e in entries if Path(where) == folder and e in _REWRITTEN
        ],
    )
    replace_csv_cells(
        folder / PROFILES_FILE,
        tmp / PROFILES_FILE,
        column="name",
        value=name,
        where={"method": method, "segment": segment},
    )
    # segments.csv names the recommended method's segments only.
    parquet = OutputFolder(folder).segments_file.name == SEGMENTS_PARQUET_FILE
    if parquet and renamed.recommended:
        segments = pd.read_parquet(folder / SEGMENTS_PARQUET_FILE)
        chosen = segments["segment"].astype(str) == segment
        segments["segment_name"] = segments["segment_name"].mask(chosen, name)
        write_parquet(segments, tmp / SEGMENTS_PARQUET_FILE)
        changed.append(SEGMENTS_PARQUET_FILE)
    elif parquet:
        shutil.copy2(folder / SEGMENTS_PARQUET_FILE, tmp / SEGMENTS_PARQUET_FILE)
    elif renamed.recommended:
        replace_csv_cells(
            folder / SEGMENTS_FILE,
            tmp / SEGMENTS_FILE,
            column="segment_name",
            value=name,
            where={"segment": segment},
        )
        changed.append(SEGMENTS_FILE)
    else:
        shutil.copy2(folder / SEGMENTS_FILE, tmp / SEGMENTS_FILE)
    # Files a run writes only sometimes: the name column and the rows that name the segment.
    optional = (
        (MIGRATION_FILE, "new_name", {"method": method, "new_segment": segment}),
        (RULES_FILE, "name", {"method": method, "segment": segment}),
    )
    for file, column, where in optional:
        if (folder / file).is_file():
            replace_csv_cells(folder / file, tmp / file, column=column, value=name, where=where)
            changed.append(file)
    if (folder / RULES_SQL_FILE).is_file():
        sql = (folder / RULES_SQL_FILE).read_text(encoding="utf-8")
        renamed_sql = _renamed_sql(sql, renamed)
        (tmp / RULES_SQL_FILE).write_text(renamed_sql, encoding="utf-8", newline="\n")
        if renamed_sql != sql:
            changed.append(RULES_SQL_FILE)
    model = SegmentationModel.load(folder / MODEL_NAME)
    model.with_names(method, {renamed.segment: name}).save(tmp / MODEL_NAME)
    write_json(_renamed_summary(summary, renamed), tmp / SUMMARY_FILE)
    figures = redraw_named_figures(tmp, method)
    write_report(tmp)
    changed += [SUMMARY_FILE, MODEL_NAME, REPORT_NAME]
    return changed + [path.relative_to(tmp).as_posix() for path in figures]


def _sql_comment(text: str) -> str:
    # As segmentkit.describe.rules.sql writes user text into a "--" comment: on one line.
    return " ".join(text.split())


def _renamed_sql(sql: str, renamed: Renamed) -> str:
    """``segment_rules.sql`` with the segment's name changed in the method's comments.

    Names appear in the SQL only in comments: ``-- segment 2: <name>`` before the
    segment's ``WHEN`` and ``ELSE 2 -- ... the largest segment, <name>``. Only the CASE
    expressions of the method (``END AS "segment_<method>"``, and ``END AS "segment"``
    for the recommended one) change.
    """
    segment = renamed.segment
    old = f"-- {_sql_comment(f'segment {segment}: {renamed.old_name}')}"
    new = f"-- {_sql_comment(f'segment {segment}: {renamed.new_name}')}"
    old_tail, new_tail = (
        f", {_sql_comment(renamed.old_name)}",
        f", {_sql_comment(renamed.new_name)}",
    )
    aliases = {f'"segment_{renamed.method}"'} | ({'"segment"'} if renamed.recommended else set())

    def rename_line(line: str) -> str:
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        if body.startswith(old) and body[len(old) :] in ("", ": no rule names this segment"):
            return indent + new + body[len(old) :]
        if body.startswith(f"ELSE {segment} ") and body.endswith(old_tail):
            return indent + body.removesuffix(old_tail) + new_tail
        return line

    out: list[str] = []
    block: list[str] = []
    for line in sql.split("\n"):
        block.append(line)
        if line.strip().startswith("END AS "):
            alias = line.strip().removeprefix("END AS ").rstrip(",")
            if alias in aliases:
                block = [rename_line(b) for b in block]
            out += block
            block = []
    return "\n".join(out + block)


def _renamed_summary(summary: dict[str, Any], renamed: Renamed) -> dict[str, Any]:
    """``run.json`` with the new name recorded as chosen and in the explanation."""
    out = json.loads(json.dumps(summary))  # a deep copy: the caller's stays as read
    segment = str(renamed.segment)
    explained = out["methods"][renamed.method].get("explanation", {}).get("segments", {})
    if segment in explained:
        explained[segment]["name"] = renamed.new_name
    chosen = out.get("segment_names") or {}
    names = {**chosen.get(renamed.method, {}), segment: renamed.new_name}
    chosen[renamed.method] = dict(sorted(names.items(), key=lambda item: int(item[0])))
    out["segment_names"] = chosen
    return out
