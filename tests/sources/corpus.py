"""A generated corpus of messy and broken input files, each with its expected outcome.

:func:`cases` describes every case without touching the disk; :func:`build_corpus` writes
the files of the small ones into a folder. Everything is deterministic: the data come
from :func:`segmentkit.datasets.make_customers` with fixed seeds, extra values from
``numpy.random.default_rng`` with fixed seeds, and Excel files get fixed timestamps.

A case is run as ``segmentkit run FILE *args --out OUT`` from inside the corpus folder
(paths in ``args`` are relative to it) and expects either a :class:`Success`, with the
row accounting ``run.json`` reports, or a :class:`Failure`: an exit code and a regex
for the error line(s) on stderr.

Run ``python tests/corpus.py FOLDER [--large]`` to write the corpus somewhere to look at.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from segmentkit.datasets import make_customers

__all__ = ["FAST", "Case", "Failure", "Success", "build_corpus", "cases"]

#: Rows of most generated tables: enough for K-Means with k = 3, small enough for ~1-3 s.
N_ROWS = 150
#: The one seed of the corpus data.
SEED = 11
#: Flags for every case whose subject is not the method search: one method, a fixed k.
FAST = ("--methods", "kmeans", "--k", "3")
#: ``make_customers`` features (its 11 columns minus ``customer_id``) and their model columns.
N_FEATURES = 10
N_MODEL_FEATURES = 17  # 7 numeric + gender (3) + region (4) + channel (3)
#: Rows and distinct values of the large high-cardinality case.
LARGE_ROWS = 52_000
LARGE_DISTINCT = 50_000

_NO_FILES: Mapping[str, bytes | str] = MappingProxyType({})


@dataclass(frozen=True)
class Success:
    """A run that must finish, with this row accounting (``run.json`` → ``rows``).

    Attributes
    ----------
    read, kept : int
        ``rows.read`` and ``rows.kept``.
    dropped : mapping
        ``rows.dropped``: reason to count (empty when nothing was dropped).
    id_column : str or None
        The column inferred (or named) as the customer id; ``None``: no id, rows numbered.
    n_features : int or None
        Original columns used as features (``run.json`` → ``features``).
    n_model_features : int or None
        Columns of the model matrix (``run.json`` → ``model_features``).
    roles : mapping
        Column to its expected role (``run.json`` → ``columns``).
    source : mapping
        Expected ``run.json`` → ``input`` fields (``encoding``, ``delimiter``, ``decimal``,
        ``format``).
    warnings : tuple of str
        Regexes that must each match a ``WARNING:`` line on stderr (something was changed).
    cleaning : tuple of str
        Regexes that must each match a ``rule column: detail`` line of ``run.json`` →
        ``cleaning``.
    """

    read: int
    kept: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    id_column: str | None = "customer_id"
    n_features: int | None = N_FEATURES
    n_model_features: int | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    source: Mapping[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    cleaning: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """A run that must fail cleanly.

    Attributes
    ----------
    exit_code : int
        1 for data errors, 2 for usage and configuration errors.
    error : str
        Regex searched in the error line (with ``n_problems``, in the problem lines).
    n_problems : int
        Configuration errors print one ``error: field: message`` line per problem before
        the summary line; 0 for every other error (a single ``error:`` line).
    """

    exit_code: int
    error: str
    n_problems: int = 0


@dataclass(frozen=True)
class Case:
    """One input file (plus any config file it needs), the CLI arguments and the outcome.

    Attributes
    ----------
    name : str
        Test id.
    file : str
        The INPUT argument, relative to the corpus folder.
    args : tuple of str
        Further ``segmentkit run`` arguments (``--out`` is added by the test; a case that
        tests ``--out`` itself passes its own, which wins as the later one).
    expect : Success or Failure
        The outcome.
    write : callable
        ``write(folder)`` creates the case's files in ``folder``.
    large : bool
        A large file: not written by :func:`build_corpus` unless asked; its test is
        marked ``slow`` and writes it into a folder of its own.
    own_folder : bool
        The run may change the folder it starts in (a bug this case documents): the test
        writes the case's files into a folder of its own, never the shared corpus.
    xfail : str or None
        A known bug outside the input layer: the reason, for ``xfail(strict=True)``.
    """

    name: str
    file: str
    args: tuple[str, ...]
    expect: Success | Failure
    write: Callable[[Path], None] = field(repr=False, compare=False)
    large: bool = False
    own_folder: bool = False
    xfail: str | None = None


# --------------------------------------------------------------------------- data


def customers(n: int = N_ROWS, seed: int = SEED) -> pd.DataFrame:
    """``make_customers(n, n_segments=3, seed=seed).frame`` with plain text categories."""
    frame = make_customers(n, n_segments=3, seed=seed).frame
    return frame.astype(dict.fromkeys(("gender", "region", "channel"), object))


def csv_text(frame: pd.DataFrame, **kwargs: object) -> str:
    """``frame`` as CSV text with ``\\n`` line ends and no index unless asked."""
    options: dict[str, object] = {"index": False, "lineterminator": "\n", **kwargs}
    return str(frame.to_csv(**options))  # type: ignore[call-overload]


def excel_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """``frame`` as an .xlsx workbook whose bytes do not depend on the clock."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=index, sheet_name="customers")
    stamp = "2024-01-01T00:00:00Z"
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.encode(), data)
            target.writestr(zipfile.ZipInfo(info.filename, (2024, 1, 1, 0, 0, 0)), data)
    return fixed.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as Parquet (pyarrow), without the index."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def _files(contents: Mapping[str, bytes | str | None]) -> Callable[[Path], None]:
    """A writer for files given as ``{name: content}``: text as UTF-8, ``None`` a folder."""

    def write(folder: Path) -> None:
        for name, content in contents.items():
            path = folder / name
            if content is None:
                path.mkdir(exist_ok=True)
            else:
                path.write_bytes(content.encode() if isinstance(content, str) else content)

    return write


def _write(
    name: str, content: bytes | str | None, extra: Mapping[str, bytes | str]
) -> Callable[[Path], None]:
    """A writer for the input file ``name`` and any further files (config, ...)."""
    return _files({name: content, **extra})


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([SEED, salt])


# --------------------------------------------------------------------------- messy, must work


def _ok(
    name: str,
    file: str,
    content: bytes | str | None,
    expect: Success,
    *,
    args: tuple[str, ...] = FAST,
    extra: Mapping[str, bytes | str] = _NO_FILES,
) -> Case:
    return Case(name, file, args, expect, _write(file, content, extra))


def _success_cases() -> list[Case]:
    base = customers()
    plain = csv_text(base)
    full = Success(N_ROWS, N_ROWS, n_model_features=N_MODEL_FEATURES)
    return [
        _ok("clean_csv", "clean.csv", plain, full),
        _ok(
            "bom_utf8",
            "bom_utf8.csv",
            codecs.BOM_UTF8 + plain.encode(),
            # The mark must not end up in the first header: customer_id is still the id.
            Success(N_ROWS, N_ROWS, source={"encoding": "utf-8-sig"}),
        ),
        _ok(
            "bom_utf16",
            "bom_utf16.csv",
            plain.encode("utf-16"),
            Success(N_ROWS, N_ROWS, source={"encoding": "utf-16"}),
        ),
        _ok(
            "semicolon_decimal_comma",
            "semicolon.csv",
            csv_text(base, sep=";", decimal=","),
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"annual_income": "numeric", "online_share": "numeric"},
                source={"delimiter": ";", "decimal": ","},
            ),
        ),
        _ok(
            "tab_tsv",
            "tab.tsv",
            csv_text(base, sep="\t"),
            Success(N_ROWS, N_ROWS, source={"delimiter": "\t", "format": "tsv"}),
        ),
        _ok(
            "tab_in_txt",
            "tab_in.txt",
            csv_text(base, sep="\t"),
            Success(N_ROWS, N_ROWS, source={"delimiter": "\t", "format": "csv"}),
        ),
        _ok(
            "pipe_delimiter",
            "pipe.csv",
            csv_text(base, sep="|"),
            Success(N_ROWS, N_ROWS, source={"delimiter": "|"}),
        ),
        _ok(
            "quoted_delimiters_and_newlines",
            "quoted.csv",
            csv_text(_quoted_fields(base)),
            # Newlines inside quotes do not make rows; the commas stay in the values.
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"region": "categorical", "note": "text", "Income, k$": "numeric"},
            ),
        ),
        _ok(
            "crlf_and_blank_lines",
            "crlf.csv",
            csv_text(base, lineterminator="\r\n").replace("\r\n", "\r\n\r\n", 40),
            # No "Store\r" category: the model columns are the clean file's; blank lines
            # are not rows.
            Success(N_ROWS, N_ROWS, n_model_features=N_MODEL_FEATURES),
        ),
        _ok(
            "latin1_detected",
            "latin1.csv",
            csv_text(_with_cities(base)).encode("latin-1"),
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + 1,
                roles={"city": "categorical"},
                source={"encoding": "cp1252"},
                warnings=(r"is not valid UTF-8 .*decoded as cp1252",),
            ),
        ),
        _ok(
            "latin1_declared",
            "latin1_declared.csv",
            csv_text(_with_cities(base)).encode("latin-1"),
            Success(N_ROWS, N_ROWS, n_features=N_FEATURES + 1, source={"encoding": "latin-1"}),
            args=(*FAST, "--encoding", "latin-1"),
        ),
        _ok(
            "cp1252_euro_detected",
            "cp1252.csv",
            csv_text(_euro_amounts(base)).encode("cp1252"),
            Success(
                N_ROWS,
                N_ROWS,
                roles={"avg_order_value": "numeric"},
                source={"encoding": "cp1252"},
                warnings=(r"is not valid UTF-8",),
                cleaning=(r"numeric_text avg_order_value: numbers stored as text",),
            ),
        ),
        _ok(
            "thousands_currency_percent",
            "money.csv",
            csv_text(_money_text(base)),
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + 1,
                n_model_features=N_MODEL_FEATURES + 1,
                roles={"annual_income": "numeric", "avg_order_value": "numeric"},
                cleaning=(
                    r"numeric_text annual_income: numbers stored as text",
                    r"numeric_text avg_order_value: numbers stored as text",
                    r"numeric_text online_share: numbers stored as text",
                    r"numeric_text balance: numbers stored as text",
                ),
            ),
        ),
        _ok(
            "european_thousands",
            "european.csv",
            csv_text(_thousands(base), sep=";", decimal=","),
            Success(
                N_ROWS,
                N_ROWS,
                roles={"annual_income": "numeric"},
                source={"delimiter": ";", "decimal": ","},
            ),
        ),
        _ok(
            "empty_constant_and_sparse_columns",
            "unusable_columns.csv",
            csv_text(
                base.assign(fax=np.nan, country="DE", version=3, loyalty_points=_sparse(N_ROWS))
            ),
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"fax": "constant", "country": "constant", "version": "constant"},
                warnings=(
                    r"Column 'fax': constant \(every value is missing\)",
                    r"Column 'country': constant \(a single value \('DE'\)\)",
                    r"Column 'version': constant \(a single value \(3\)\)",
                    r"Column 'loyalty_points' dropped: 70% missing",
                ),
            ),
        ),
        _ok(
            "duplicate_ids_inferred",
            "dup_ids.csv",
            csv_text(_duplicated(base, 5)),
            Success(
                N_ROWS + 5,
                N_ROWS,
                {"duplicate_id": 5},
                warnings=(r"Dropped 5 row\(s\): duplicate_id",),
            ),
        ),
        _ok(
            "duplicate_ids_named",
            "dup_ids_named.csv",
            csv_text(_duplicated(base, 20)),
            # 20 repeats in 170 rows, with the id named on the command line.
            Success(N_ROWS + 20, N_ROWS, {"duplicate_id": 20}),
            args=(*FAST, "--id-column", "customer_id"),
        ),
        _ok(
            "duplicate_ids_many_inferred",
            "dup_ids_many.csv",
            csv_text(_duplicated(base, 20)),
            # 150 distinct of 170 (88%): a customer-id name is still the id, not a feature.
            Success(
                N_ROWS + 20,
                N_ROWS,
                {"duplicate_id": 20},
                warnings=(r"Dropped 20 row\(s\): duplicate_id",),
                cleaning=(r"duplicate_ids customer_id: 20 repeated id\(s\), policy keep_first",),
            ),
        ),
        _ok(
            "repeated_header_rows",
            "repeated_header.csv",
            _repeated_header(plain, after=(49, 99)),
            # Concatenated CRM exports: the header line again after customers 49 and 99
            # (rows 50 and 101 as read); dropped by the reader, so no fake customer.
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                warnings=(r"Dropped 2 repeated header row\(s\) \(rows 50, 101,",),
            ),
        ),
        _ok(
            "missing_ids",
            "missing_ids.csv",
            csv_text(base.assign(customer_id=base["customer_id"].mask(base.index % 40 == 7))),
            Success(N_ROWS, N_ROWS - 4, {"missing_id": 4}),
        ),
        _ok(
            "numeric_ids_with_blank",
            "numeric_ids.csv",
            csv_text(_numeric_ids(base)),
            Success(N_ROWS, N_ROWS - 1, {"missing_id": 1}, id_column="CustomerID"),
        ),
        _ok(
            "rows_without_features",
            "no_feature_rows.csv",
            csv_text(_blank_features(base, 3)),
            Success(N_ROWS, N_ROWS - 3, {"no_feature_values": 3}),
        ),
        _ok(
            "no_id_column",
            "no_id.csv",
            csv_text(base.drop(columns="customer_id")),
            Success(N_ROWS, N_ROWS, id_column=None),
        ),
        _ok(
            "mixed_type_columns",
            "mixed.csv",
            csv_text(_mixed_types(base)),
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + 2,
                roles={"visits": "numeric", "loyalty_tier": "categorical"},
                warnings=(r"visits.*3 value\(s\) that are not numbers became missing",),
            ),
        ),
        _ok(
            "category_spellings",
            "spellings.csv",
            csv_text(_spellings(base)),
            # "male", " MALE", "Male " merge into "Male": still three gender columns.
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                cleaning=(r"categories gender: \d+ value\(s\) trimmed or merged",),
            ),
        ),
        _ok(
            "boolean_column",
            "booleans.csv",
            csv_text(base.assign(newsletter=np.arange(N_ROWS) % 3 == 0)),
            Success(N_ROWS, N_ROWS, n_features=N_FEATURES + 1, roles={"newsletter": "categorical"}),
        ),
        _ok(
            "unicode_padded_headers",
            "unicode_headers.csv",
            csv_text(base.rename(columns=_UNICODE_HEADERS)),
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"Âge": "numeric", "Einkommen (k€)": "numeric", "région": "categorical"},
                warnings=(r"stripped spaces from headers",),
            ),
        ),
        _ok(
            "duplicate_headers",
            "dup_headers.csv",
            csv_text(_duplicate_header(base)),
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + 1,
                roles={"age": "numeric", "age.1": "numeric"},
                warnings=(r"renamed duplicate headers 'age' -> 'age.1'",),
            ),
        ),
        _ok(
            "spreadsheet_debris_csv",
            "debris.csv",
            _debris_csv(base),
            # The exported row index ("Unnamed: 0", 0..n-1) is not a customer attribute.
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"Unnamed: 0": "text"},
                warnings=(
                    r"Column 'Unnamed: 0': text \(row numbers 0\.\.149 \(an exported index\)",
                    r"dropped 3 empty trailing rows",
                    r"dropped empty unnamed columns: \['Unnamed: 12', 'Unnamed: 13'\]",
                    r"columns with data but no header: \['Unnamed: 0'\]",
                ),
            ),
        ),
        _ok(
            "spreadsheet_debris_xlsx",
            "debris.xlsx",
            _debris_excel(base),
            Success(
                N_ROWS,
                N_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"Unnamed: 0": "text"},
                source={"format": "excel"},
                warnings=(
                    r"Column 'Unnamed: 0': text \(row numbers 0\.\.149 \(an exported index\)",
                    r"dropped 2 empty trailing rows",
                ),
            ),
        ),
        _ok(
            "gzip_compressed",
            "compressed.csv.gz",
            gzip.compress(plain.encode(), mtime=0),
            Success(N_ROWS, N_ROWS),
        ),
        _ok(
            "dates_common_formats",
            "dates.csv",
            csv_text(_with_dates(base, _DATE_FORMATS)),
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + len(_DATE_FORMATS),
                roles=dict.fromkeys(_DATE_FORMATS, "date"),
                # The latest date read right (not day and month swapped) in every format.
                cleaning=tuple(
                    rf"dates {name}: dates converted to days before 2024-06-28$"
                    for name in _DATE_FORMATS
                ),
            ),
        ),
        _ok(
            "dates_dotted_with_decimal_commas",
            "dates_dotted.csv",
            csv_text(_with_dates(base, {"signup": "%d.%m.%Y"}), sep=";", decimal=","),
            # 28.06.2024 must stay a date, not become the number 28062024.
            Success(
                N_ROWS,
                N_ROWS,
                n_features=N_FEATURES + 1,
                roles={"signup": "date", "annual_income": "numeric"},
                source={"delimiter": ";", "decimal": ","},
                cleaning=(r"dates signup: dates converted to days before 2024-06-28$",),
            ),
        ),
        _ok(
            "wide_300_columns",
            "wide.csv",
            csv_text(_wide(base, 300)),
            Success(N_ROWS, N_ROWS, n_features=299, n_model_features=306),
            # The default explanation shuffles each of 299 features 5 times through a
            # 100-tree forest (~20 s); the input is what is tested here.
            args=(*FAST, "--config", "wide.json"),
            extra={"wide.json": '{"explain": {"n_estimators": 10, "n_repeats": 1}}'},
        ),
        _ok(
            "high_cardinality_small",
            "high_cardinality.csv",
            csv_text(_with_codes(customers(300), 250)),
            # 250 product codes: free text, not 250 one-hot columns.
            Success(
                300,
                300,
                n_model_features=N_MODEL_FEATURES,
                roles={"last_product": "text"},
                warnings=(r"Column 'last_product': text",),
            ),
        ),
        # Generated only when its test runs: 52,000 rows, about 6 MB.
        Case(
            "high_cardinality_50k",
            "high_cardinality_50k.csv",
            FAST,
            Success(
                LARGE_ROWS,
                LARGE_ROWS,
                n_model_features=N_MODEL_FEATURES,
                roles={"last_product": "text"},
                warnings=(r"Column 'last_product': text .*50000 distinct values",),
            ),
            _write_large,
            large=True,
        ),
        *_trio(),
    ]


#: The three formats of the same table; their segments must be identical.
TRIO = ("same_data_csv", "same_data_xlsx", "same_data_parquet")


def _trio() -> list[Case]:
    frame = customers(N_ROWS, seed=SEED + 1)
    expect = Success(N_ROWS, N_ROWS, n_model_features=N_MODEL_FEATURES)
    return [
        _ok(TRIO[0], "same_data.csv", csv_text(frame), expect),
        _ok(TRIO[1], "same_data.xlsx", excel_bytes(frame), expect),
        _ok(TRIO[2], "same_data.parquet", parquet_bytes(frame), expect),
    ]


def _write_large(folder: Path) -> None:
    frame = _with_codes(customers(LARGE_ROWS), LARGE_DISTINCT)
    (folder / "high_cardinality_50k.csv").write_text(csv_text(frame), encoding="utf-8")


_UNICODE_HEADERS = {
    "age": "  Âge ",
    "annual_income": "Einkommen (k€)",
    "spending_score": "Ausgaben-Score\u00a0",
    "tenure_months": "顧客期間",
    "region": " région",
}
_CITIES = ("Köln", "Zürich", "São Paulo", "Málaga", "Åre", "Besançon")


def _quoted_fields(frame: pd.DataFrame) -> pd.DataFrame:
    """Commas in a header and in values, quotes and newlines in a free-text column."""
    notes = [f'Called {i} times, said "call back"\nthen, later: ok' for i in range(len(frame))]
    out = frame.assign(region=frame["region"] + ", coast", note=notes)
    return out.rename(columns={"annual_income": "Income, k$"})


def _with_cities(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(city=[_CITIES[i % len(_CITIES)] for i in range(len(frame))])


def _euro_amounts(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame["avg_order_value"].map(lambda v: "" if pd.isna(v) else f"€{v:,.2f}")
    return frame.assign(avg_order_value=values)


def _money_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dollars with thousands separators, pounds, shares as %, accounting negatives."""
    income = frame["annual_income"].map(lambda v: "" if pd.isna(v) else f"${v * 1000:,.0f}")
    value = frame["avg_order_value"].map(lambda v: "" if pd.isna(v) else f"£{v:,.2f}")
    share = frame["online_share"].map(lambda v: "" if pd.isna(v) else f"{v * 100:.1f}%")
    return frame.assign(
        annual_income=income, avg_order_value=value, online_share=share, balance=_accounting(frame)
    )


def _thousands(frame: pd.DataFrame) -> pd.DataFrame:
    """Income in euros, written with ``.`` thousands groups (``1.234,50``) once decimal."""
    income = frame["annual_income"].map(
        lambda v: (
            ""
            if pd.isna(v)
            else f"{v * 1000:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
        )
    )
    return frame.assign(annual_income=income)


def _accounting(frame: pd.DataFrame) -> list[str]:
    """Balances as accountants write them: ``1,234.50`` and ``(1,234.50)`` for negatives."""
    balance = _rng(1).normal(0, 2000, len(frame)).round(2)
    return [f"({-b:,.2f})" if b < 0 else f"{b:,.2f}" for b in balance]


def _sparse(n: int) -> list[float]:
    return [float(i) if i % 10 < 3 else np.nan for i in range(n)]


def _duplicated(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """Append ``count`` rows repeating the ids of the first rows with other values."""
    repeats = frame.iloc[:count].copy()
    repeats["age"] = repeats["age"] + 1
    return pd.concat([frame, repeats], ignore_index=True)


def _repeated_header(text: str, after: tuple[int, ...]) -> str:
    """``text`` with its header line repeated after each data row numbered in ``after``."""
    header, *rows = text.splitlines(keepends=True)
    for position in sorted(after, reverse=True):
        rows.insert(position, header)
    return header + "".join(rows)


def _numeric_ids(frame: pd.DataFrame) -> pd.DataFrame:
    ids = pd.Series(np.arange(1001, 1001 + len(frame)), dtype="Int64")
    ids[17] = pd.NA
    return frame.drop(columns="customer_id").assign(CustomerID=ids)


def _blank_features(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    out = frame.copy()
    features = [c for c in out.columns if c != "customer_id"]
    out[features] = out[features].astype(object)
    out.loc[out.index[-count:], features] = None
    return out


def _mixed_types(frame: pd.DataFrame) -> pd.DataFrame:
    rng = _rng(2)
    visits: list[object] = list(rng.integers(0, 40, len(frame)))
    visits[5], visits[50], visits[95], visits[120] = "unknown", "n/a", "-", "many"
    tiers = ["Gold", "Silver", "Bronze", "1", "2"]
    return frame.assign(visits=visits, loyalty_tier=[tiers[i % 5] for i in range(len(frame))])


def _spellings(frame: pd.DataFrame) -> pd.DataFrame:
    variants = {0: lambda s: s.lower(), 1: lambda s: f" {s.upper()}", 2: lambda s: f"{s} "}
    gender = [variants.get(i % 7, str)(g) for i, g in enumerate(frame["gender"])]
    return frame.assign(gender=gender)


def _duplicate_header(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(age_again=(frame["age"] * 12).astype(int))
    return out.rename(columns={"age_again": "age"})


def _debris_csv(frame: pd.DataFrame) -> str:
    """A spreadsheet export: row index, two empty trailing columns, three empty rows."""
    lines = csv_text(frame, index=True).splitlines()
    width = len(frame.columns) + 3
    return "\n".join([*(line + ",," for line in lines), *(["," * (width - 1)] * 3)]) + "\n"


def _debris_excel(frame: pd.DataFrame) -> bytes:
    """An Excel export: its row index under an empty header, two rows of blank cells."""
    indexed = frame.reset_index().rename(columns={"index": ""})
    blank = pd.DataFrame([[" "] * indexed.shape[1]] * 2, columns=indexed.columns)
    return excel_bytes(pd.concat([indexed, blank], ignore_index=True))


#: Date columns in the formats exports use, by column name.
_DATE_FORMATS = {
    "signup_iso": "%Y-%m-%d",
    "last_order_iso_time": "%Y-%m-%d %H:%M:%S",
    "first_order_day_first": "%d/%m/%Y",
    "last_visit_us": "%m/%d/%Y %H:%M",
    "birthday_month_name": "%d %b %Y",
    "last_login_iso_t": "%Y-%m-%dT%H:%M:%S",
}


def _with_dates(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """Add one date column per format, each with latest date 2024-06-28."""
    columns = {}
    for salt, (name, fmt) in enumerate(formats.items()):
        days = _rng(30 + salt).integers(0, 900, len(frame))
        days[salt] = 0  # the latest date: 2024-06-28
        dates = pd.Timestamp("2024-06-28 09:30:00") - pd.to_timedelta(days, unit="D")
        columns[name] = [d.strftime(fmt) for d in dates]
    return frame.assign(**columns)


def _wide(frame: pd.DataFrame, width: int) -> pd.DataFrame:
    rng = _rng(4)
    extra = width - frame.shape[1]
    values = rng.normal(50, 10, (len(frame), extra)).round(3)
    block = pd.DataFrame(values, columns=[f"m{i:03d}" for i in range(1, extra + 1)])
    return pd.concat([frame, block], axis=1)


def _with_codes(frame: pd.DataFrame, distinct: int) -> pd.DataFrame:
    """Add ``last_product``: ``distinct`` product codes, some repeated (not a key)."""
    rng = _rng(5)
    codes = np.arange(len(frame)) % distinct
    rng.shuffle(codes)
    return frame.assign(last_product=[f"SKU-{c:06d}" for c in codes])


# --------------------------------------------------------------------------- broken, must fail


def _fail(
    name: str,
    file: str,
    content: bytes | str | None,
    exit_code: int,
    error: str,
    *,
    args: tuple[str, ...] = FAST,
    n_problems: int = 0,
    extra: Mapping[str, bytes | str] = _NO_FILES,
) -> Case:
    expect = Failure(exit_code, error, n_problems)
    return Case(name, file, args, expect, _write(file, content, extra))


def _config_case(name: str, config: str, error: str, *, n_problems: int = 1) -> Case:
    return _fail(
        name,
        f"{name}.csv",
        csv_text(customers(40)),
        2,
        error,
        args=(*FAST, "--config", f"{name}.json"),
        n_problems=n_problems,
        extra={f"{name}.json": config},
    )


def _failure_cases() -> list[Case]:
    base = customers()
    plain = csv_text(base)
    header = plain.split("\n", 1)[0] + "\n"
    frame = customers(40)
    rng = _rng(6)
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    excel = excel_bytes(frame)
    parquet = parquet_bytes(frame)
    latin1 = csv_text(_with_cities(base)).encode("latin-1")
    infinite = base.assign(annual_income=base["annual_income"].astype(object))
    infinite.loc[[3, 30], "annual_income"] = ["inf", "-inf"]
    return [
        _fail("empty_file", "empty.csv", b"", 1, r"empty\.csv is empty; expected a header row"),
        _fail(
            "whitespace_only",
            "blank.csv",
            "\n \n\t\n",
            1,
            r"blank\.csv is empty; expected a header row",
        ),
        _fail(
            "header_only",
            "header_only.csv",
            header,
            1,
            r"header_only\.csv has a header row but no data rows.*\(check that the export",
        ),
        _fail(
            "header_only_xlsx",
            "header_only.xlsx",
            excel_bytes(frame.iloc[:0]),
            1,
            r"header_only\.xlsx has a header row but no data rows.*\(check that the export",
        ),
        _fail(
            "header_only_parquet",
            "header_only.parquet",
            parquet_bytes(frame.iloc[:0]),
            1,
            r"header_only\.parquet has a header row but no data rows.*\(check that the",
        ),
        _fail(
            "single_row",
            "single_row.csv",
            csv_text(base.iloc[:1]),
            1,
            r"the table has only one data row; segmentation needs at least 2 customers "
            r"\(check that the export finished",
        ),
        _fail(
            "all_rows_identical",
            "identical.csv",
            csv_text(pd.concat([base.iloc[[4]]] * 30, ignore_index=True)),
            1,
            r"all 30 rows are identical: nothing tells the customers apart \(check that the "
            r"export finished and did not repeat one row\)",
        ),
        _fail(
            "no_usable_columns",
            "text_only.csv",
            csv_text(
                pd.DataFrame(
                    {
                        "customer_id": base["customer_id"],
                        "email": [f"c{i}@example.com" for i in range(N_ROWS)],
                        "comment": [f"note number {i}" for i in range(N_ROWS)],
                        "country": "DE",
                    }
                )
            ),
            1,
            r"no usable feature column: every column is an id, constant, free text.*"
            r"\(check --features/--exclude, or set column roles",
        ),
        _fail(
            "no_numeric_column",
            "categories_only.csv",
            csv_text(base[["customer_id", "gender", "region", "channel"]]),
            1,
            r"no usable numeric column: .*\(check --features, or set a column's role",
        ),
        # Nothing is written: the file does not exist.
        Case(
            "missing_file",
            "does_not_exist.csv",
            FAST,
            Failure(1, r"file not found: does_not_exist\.csv \(check the path"),
            _files({}),
        ),
        _fail(
            "folder_as_input",
            "a_folder.csv",
            None,
            1,
            r"a_folder\.csv is a directory; expected a data file",
        ),
        _fail(
            "unsupported_suffix",
            "customers.json",
            '{"a": 1}',
            1,
            r"customers\.json has unsupported file type '\.json'; supported: \.csv",
        ),
        _fail(
            "binary_garbage",
            "garbage.csv",
            garbage,
            1,
            r"garbage\.csv does not look like a text table",
        ),
        _fail(
            "binary_garbage_without_nul",
            "garbage_high.csv",
            bytes(b | 0x80 for b in garbage),
            1,
            r"garbage_high\.csv does not look like a text table: .*control codes",
        ),
        _fail(
            "parquet_named_csv",
            "really_parquet.csv",
            parquet,
            1,
            r"really_parquet\.csv does not look like a text table: it is a Parquet file; "
            r"give it a \.parquet suffix",
        ),
        _fail(
            "unclosed_quote",
            "unclosed_quote.csv",
            _unclosed_quote(plain),
            1,
            r"could not be parsed as a table .*EOF inside string .*unclosed quote.*near line 6",
        ),
        _fail(
            "truncated_xlsx",
            "truncated.xlsx",
            excel[: len(excel) // 2],
            1,
            r"truncated\.xlsx could not be read as an Excel workbook: .*truncated",
        ),
        _fail(
            "truncated_parquet",
            "truncated.parquet",
            parquet[: len(parquet) // 2],
            1,
            r"truncated\.parquet could not be read as Parquet: .*truncated or corrupt",
        ),
        _fail(
            "truncated_gzip",
            "truncated.csv.gz",
            gzip.compress(plain.encode(), mtime=0)[:500],
            1,
            r"truncated\.csv\.gz could not be decompressed as \.gz",
        ),
        _fail(
            "empty_excel_sheet",
            "empty_sheet.xlsx",
            excel_bytes(pd.DataFrame()),
            1,
            r"empty_sheet\.xlsx sheet 0 is empty.*\(check the workbook, or set input\.sheet",
        ),
        _fail(
            "infinite_values",
            "infinite.csv",
            csv_text(infinite),
            1,
            r"column 'annual_income' has 2 infinite value\(s\) \(replace them",
        ),
        _fail(
            "infinite_values_parquet",
            "infinite.parquet",
            parquet_bytes(_inf_frame(frame)),
            1,
            r"column 'avg_order_value' has 1 infinite value\(s\) \(replace them",
        ),
        _fail(
            "wrong_declared_encoding",
            "latin1_as_utf8.csv",
            latin1,
            1,
            r"latin1_as_utf8\.csv is not valid utf-8 at byte \d+; pass --encoding",
            args=(*FAST, "--encoding", "utf-8"),
        ),
        _fail(
            "invalid_bytes_after_bom",
            "bom_then_latin1.csv",
            codecs.BOM_UTF8 + latin1,
            1,
            r"bom_then_latin1\.csv is not valid utf-8-sig at byte \d+; pass --encoding",
        ),
        _fail(
            "unknown_encoding_name",
            "unknown_encoding.csv",
            plain,
            2,
            r"encoding must be a known text encoding .*got 'klingon'",
            args=(*FAST, "--encoding", "klingon"),
        ),
        _fail(
            "out_is_existing_file",
            "out_file.csv",
            plain,
            1,
            r"--out existing_output\.txt is an existing file; choose a folder path",
            args=(*FAST, "--out", "existing_output.txt"),
            extra={"existing_output.txt": "results I want to keep\n"},
        ),
        # The output folder must not replace a folder of the user's that is no earlier
        # output (here it holds the input itself and a note): refuse, touch nothing.
        Case(
            "out_is_a_folder_of_user_files",
            "user_data/customers.csv",
            (*FAST, "--out", "user_data"),
            Failure(1, r"--out user_data\b"),
            _user_folder(plain),
            own_folder=True,
        ),
        _fail(
            "id_column_not_in_data",
            "id_absent.csv",
            plain,
            1,
            r"column\(s\) not in the data: input\.id_column \(--id-column\) names 'CUST_NO' "
            r"\(available columns: 'customer_id'",
            args=(*FAST, "--id-column", "CUST_NO"),
        ),
        _fail(
            "k_larger_than_customers",
            "k_too_large.csv",
            csv_text(frame),
            2,
            r"asked for 500 segments but only \d+ customers .*\(use --k \d+ or less\)",
            args=("--methods", "kmeans", "--k", "500"),
        ),
        _fail(
            "negative_k_flag",
            "negative_k.csv",
            csv_text(frame),
            2,
            r"^error: clustering\.k: Input should be greater than or equal to 2",
            args=("--methods", "kmeans", "--k", "-3"),
            n_problems=1,
        ),
        _fail(
            "unknown_method_flag",
            "unknown_method.csv",
            csv_text(frame),
            2,
            r"^error: clustering\.methods: unknown method\(s\) kmeens; choose from kmeans",
            args=("--methods", "kmeens", "--k", "3"),
            n_problems=1,
        ),
        _config_case(
            "config_wrong_type",
            '{"clustering": {"k_max": "ten", "kmeans": {"n_init": [10]}}}',
            r"^error: clustering\.k_max: Input should be a valid integer",
            n_problems=2,
        ),
        _config_case(
            "config_unknown_key",
            '{"clustring": {"k": 3}}',
            r"^error: clustring: unknown key \(check the spelling",
        ),
        _config_case(
            "config_negative_k",
            '{"clustering": {"k": -4}}',
            r"^error: clustering\.k: Input should be greater than or equal to 2",
        ),
        _config_case(
            "config_k_max_too_large",
            '{"clustering": {"k_max": 500}}',
            r"^error: clustering\.k_max: Input should be less than or equal to 50",
        ),
        _config_case(
            "config_invalid_json",
            '{"clustering": {"k": 3,}}',
            r"^error: config_invalid_json\.json: invalid JSON at line 1 column 24",
            n_problems=0,
        ),
        _config_case(
            "config_not_an_object",
            "[3, 4]",
            r"the configuration must be a JSON object, got list",
            n_problems=0,
        ),
        _fail(
            "config_missing",
            "config_missing.csv",
            csv_text(frame),
            2,
            r"config file not found: no_such_config\.json \(create one with",
            args=(*FAST, "--config", "no_such_config.json"),
        ),
    ]


def _user_folder(text: str) -> Callable[[Path], None]:
    """A folder of the user's: the input file and a note."""

    def write(folder: Path) -> None:
        (folder / "user_data").mkdir(exist_ok=True)
        (folder / "user_data" / "customers.csv").write_text(text, encoding="utf-8")
        (folder / "user_data" / "notes.txt").write_text("my notes\n", encoding="utf-8")

    return write


def _inf_frame(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame["avg_order_value"].copy()
    values.iloc[9] = np.inf
    return frame.assign(avg_order_value=values)


def _unclosed_quote(text: str) -> str:
    """Open a quote in the fifth data row that is never closed."""
    lines = text.split("\n")
    fields = lines[5].split(",")
    fields[1] = '"' + fields[1]
    lines[5] = ",".join(fields)
    return "\n".join(lines)


# --------------------------------------------------------------------------- the corpus


def cases(*, include_large: bool = True) -> list[Case]:
    """Every case of the corpus, without writing anything.

    Parameters
    ----------
    include_large : bool
        Include the large cases (``Case.large``).
    """
    every = [*_success_cases(), *_failure_cases()]
    names = [c.name for c in every]
    assert len(set(names)) == len(names), "case names must be unique"
    return [c for c in every if include_large or not c.large]


def build_corpus(folder: str | Path, *, include_large: bool = False) -> list[Case]:
    """Write the corpus files into ``folder`` (created if needed) and return the cases.

    Cases with ``own_folder`` are returned but their files are not written: a test
    writes them where the run cannot harm the rest of the corpus.

    Parameters
    ----------
    folder : str or Path
        Where the files go; the cases' paths are relative to it.
    include_large : bool
        Also write the large files (a few MB); their cases are returned only then.

    Returns
    -------
    list of Case
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    chosen = cases(include_large=include_large)
    for case in chosen:
        if not case.own_folder:
            case.write(root)
    return chosen


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for built in build_corpus(target, include_large="--large" in sys.argv):
        print(f"{built.name:36} {built.file:32} {type(built.expect).__name__}")  # noqa: T201
