"""Tests for segmentkit.sources.read: reading tables, atomic output folders, file hashes.

The writers it re-exports (``write_csv``, ``write_json``) are tested in
tests/output/test_write.py.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import logging
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from segmentkit.errors import ConfigError, DataError
from segmentkit.sources import read as skio
from segmentkit.sources.read import (
    TableRead,
    atomic_output_dir,
    file_sha256,
    read_table,
)


def make(tmp_path: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


# --------------------------------------------------------------------------- read_table


def test_public_api_is_explicit() -> None:
    assert sorted(skio.__all__) == [
        "TableRead",
        "atomic_output_dir",
        "file_sha256",
        "read_table",
        "write_csv",
        "write_json",
    ]


def test_plain_comma_csv(tmp_path: Path) -> None:
    path = make(tmp_path, "c.csv", "id,name,spend\n1,Ann,10.5\n2,Bob,3\n")
    result = read_table(path)
    assert isinstance(result, TableRead)
    assert result.format == "csv"
    assert result.encoding == "utf-8"
    assert result.delimiter == ","
    assert result.decimal == "."
    assert result.path == path
    assert result.warnings == ()
    assert list(result.frame.columns) == ["id", "name", "spend"]
    assert result.frame["id"].tolist() == [1, 2]
    assert result.frame["name"].tolist() == ["Ann", "Bob"]
    assert result.frame["spend"].tolist() == [10.5, 3.0]
    assert result.frame["id"].dtype == np.int64
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_table_read_is_frozen(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "c.csv", "a,b\n1,2\n"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.format = "tsv"  # type: ignore[misc]


def test_utf8_bom_is_removed_from_first_header(tmp_path: Path) -> None:
    path = make(tmp_path, "bom.csv", "\ufeffid,city\n1,Zürich\n", "utf-8")
    result = read_table(path)
    assert result.encoding == "utf-8-sig"
    assert list(result.frame.columns) == ["id", "city"]
    assert result.frame.loc[0, "city"] == "Zürich"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    path = make(tmp_path, "u16.csv", bom + "id;name\r\n1;Zoë\r\n2;Åsa\r\n".encode(codec))
    result = read_table(path)
    assert result.encoding == "utf-16"
    assert result.delimiter == ";"
    assert result.frame["name"].tolist() == ["Zoë", "Åsa"]
    assert result.frame["id"].tolist() == [1, 2]


def test_utf16_without_bom_needs_explicit_encoding(tmp_path: Path) -> None:
    path = make(tmp_path, "u16.csv", "id,name\n1,Zoë\n".encode("utf-16-le"))
    with pytest.raises(DataError, match="NUL bytes") as err:
        read_table(path)
    assert err.value.hint is not None and "--encoding utf-16-le" in err.value.hint
    result = read_table(str(path), encoding="utf-16-le")
    assert result.encoding == "utf-16-le"
    assert result.path == path
    assert result.frame["name"].tolist() == ["Zoë"]


def test_semicolon_with_decimal_comma(tmp_path: Path) -> None:
    text = (
        "kunde;umsatz;rabatt;datum\n"
        "A;1.234,56;0,5;01.02.2023\n"
        "B;99,5;1;02.03.2023\n"
        "C;1.000;2,25;03.03.2023\n"
    )
    result = read_table(make(tmp_path, "eu.csv", text))
    frame = result.frame
    assert result.delimiter == ";"
    assert result.decimal == ","
    assert frame["umsatz"].tolist() == [1234.56, 99.5, 1000.0]
    assert frame["rabatt"].tolist() == [0.5, 1.0, 2.25]
    # Dates must not be eaten by a global thousands="." (01.02.2023 -> 1022023).
    assert frame["datum"].tolist() == ["01.02.2023", "02.03.2023", "03.03.2023"]
    assert any("decimal comma" in w for w in result.warnings)
    assert any("thousands" in w and "umsatz" in w for w in result.warnings)


def test_semicolon_with_decimal_point_keeps_point(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "s.csv", "a;b\n1.5;2\n3.25;4\n"))
    assert result.delimiter == ";"
    assert result.decimal == "."
    assert result.frame["a"].tolist() == [1.5, 3.25]


def test_comma_csv_never_uses_decimal_comma(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "c.csv", 'a,b\n"1,5",2\n"2,5",3\n'))
    assert result.decimal == "."
    assert result.frame["a"].tolist() == ["1,5", "2,5"]


def test_tsv_suffix_uses_tab(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "t.tsv", "a\tb c\n1\tx, y\n2\tz\n"))
    assert result.format == "tsv"
    assert result.delimiter == "\t"
    assert list(result.frame.columns) == ["a", "b c"]
    assert result.frame["b c"].tolist() == ["x, y", "z"]


@pytest.mark.parametrize(
    ("name", "delimiter"), [("tab.csv", "\t"), ("pipe.txt", "|"), ("semi.csv", ";")]
)
def test_delimiter_is_sniffed(tmp_path: Path, name: str, delimiter: str) -> None:
    rows = [["id", "name", "note"], ["1", "Ann", "a,b"], ["2", "Bob", "c"]]
    text = "".join(delimiter.join(r) + "\n" for r in rows).replace("a,b", '"a,b"')
    result = read_table(make(tmp_path, name, text))
    assert result.format == "csv"
    assert result.delimiter == delimiter
    assert result.frame["name"].tolist() == ["Ann", "Bob"]
    assert result.frame["note"].tolist() == ["a,b", "c"]


def test_quoted_field_with_delimiter_newline_and_quotes_crlf(tmp_path: Path) -> None:
    content = b'id,comment,amount\r\n1,"a, b\r\nsecond line",3.5\r\n2,"say ""hi""",4\r\n'
    result = read_table(make(tmp_path, "q.csv", content))
    frame = result.frame
    assert result.delimiter == ","
    assert list(frame.columns) == ["id", "comment", "amount"]
    assert frame["id"].tolist() == [1, 2]
    assert frame["comment"].tolist() == ["a, b\r\nsecond line", 'say "hi"']
    assert frame["amount"].tolist() == [3.5, 4.0]


def test_quoted_semicolons_do_not_fool_the_sniffer(tmp_path: Path) -> None:
    text = 'name,city,notes\n"Doe; John",Paris,"x;y;z"\n"Roe; Jane",Lyon,"p;q"\n'
    result = read_table(make(tmp_path, "q.csv", text))
    assert result.delimiter == ","
    assert result.frame["name"].tolist() == ["Doe; John", "Roe; Jane"]


def test_crlf_line_endings(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "w.csv", b"a;b\r\n1;2\r\n3;4\r\n"))
    assert list(result.frame.columns) == ["a", "b"]
    assert result.frame["b"].tolist() == [2, 4]


def test_cp1252_fallback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = make(tmp_path, "cp.csv", "name;price\nCafé;5 €\nNaïve;7 €\n", "cp1252")
    with caplog.at_level(logging.WARNING, logger="segmentkit.sources.read"):
        result = read_table(path)
    assert result.encoding == "cp1252"
    assert result.frame["name"].tolist() == ["Café", "Naïve"]
    assert result.frame["price"].tolist() == ["5 €", "7 €"]
    assert any("cp1252" in w and "UTF-8" in w for w in result.warnings)
    assert any("cp1252" in r.getMessage() for r in caplog.records)


def test_latin1_fallback_when_not_cp1252(tmp_path: Path) -> None:
    # 0x81 is undefined in cp1252, so only latin-1 decodes this.
    result = read_table(make(tmp_path, "l.csv", b"a,b\nx\x81,\xe9\n"))
    assert result.encoding == "latin-1"
    assert result.frame["b"].tolist() == ["é"]


def test_explicit_encoding_is_honoured(tmp_path: Path) -> None:
    path = make(tmp_path, "cp.csv", "name,price\nCafé,5 €\n", "cp1252")
    result = read_table(path, encoding="cp1252")
    assert result.encoding == "cp1252"
    assert result.frame["price"].tolist() == ["5 €"]
    assert not any("UTF-8" in w for w in result.warnings)


def test_explicit_wrong_encoding_names_byte(tmp_path: Path) -> None:
    path = make(tmp_path, "cp.csv", "name\nCafé\n", "cp1252")
    with pytest.raises(DataError) as err:
        read_table(path, encoding="utf-8")
    message = str(err.value)
    assert "cp.csv is not valid utf-8 at byte 8" in message  # "name\nCaf" is 8 bytes
    assert "--encoding" in message


def test_unknown_encoding_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'nope'"):
        read_table(make(tmp_path, "c.csv", "a\n1\n"), encoding="nope")


def test_money_text_is_not_converted(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "m.csv", 'id,amount\n1,"$1,200"\n2,$30\n'))
    assert result.frame["amount"].tolist() == ["$1,200", "$30"]


def test_zero_padded_codes_stay_text(tmp_path: Path) -> None:
    # Issue 16: pandas reads 0001 as 1, and segments.csv then lost the ids' zeros.
    text = "id,x,zip,y\n007,1,02134,0.5\n012,2,10001,0\n"
    result = read_table(make(tmp_path, "z.csv", text))
    assert result.frame["id"].tolist() == ["007", "012"]
    assert result.frame["zip"].tolist() == ["02134", "10001"]
    # Numbers without a leading zero (0, 0.5) stay numbers.
    assert result.frame["x"].dtype == np.int64
    assert result.frame["y"].dtype == np.float64
    assert any("kept ['id', 'zip'] as text" in w for w in result.warnings)


def test_unpadded_ids_stay_numbers(tmp_path: Path) -> None:
    text = "id,x\n7,1\n12,2\n"
    result = read_table(make(tmp_path, "z.csv", text))
    pd.testing.assert_frame_equal(result.frame, pd.read_csv(io.StringIO(text)))


def test_header_whitespace_is_stripped(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "h.csv", " id ,name\t,spend\n1,a,2\n"))
    assert list(result.frame.columns) == ["id", "name", "spend"]
    assert any("' id ' -> 'id'" in w and "'name\\t' -> 'name'" in w for w in result.warnings)


def test_duplicate_headers_made_unique(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "d.csv", "a,a, a,a.1,b\n1,2,3,4,5\n"))
    # The third "a" must not collide with the existing "a.1" column.
    assert list(result.frame.columns) == ["a", "a.2", "a.3", "a.1", "b"]
    assert result.frame.iloc[0].tolist() == [1, 2, 3, 4, 5]
    assert any("duplicate" in w and "'a' -> 'a.2'" in w for w in result.warnings)


def test_spreadsheet_debris_is_dropped(tmp_path: Path) -> None:
    text = "id,name,,\n1,Ann,,\n2,Bob,,\n,,,\n , ,,\n"
    result = read_table(make(tmp_path, "x.csv", text))
    frame = result.frame
    assert list(frame.columns) == ["id", "name"]
    assert frame["id"].tolist() == [1, 2]
    assert frame["id"].dtype == np.int64  # re-read without the empty rows
    assert list(frame.index) == [0, 1]
    assert any("dropped 2 empty trailing rows" in w for w in result.warnings)
    assert any("Unnamed: 2" in w and "Unnamed: 3" in w for w in result.warnings)


def test_unnamed_column_with_data_is_kept(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "u.csv", "id,\n1,x\n2,y\n"))
    assert list(result.frame.columns) == ["id", "Unnamed: 1"]
    assert result.frame["Unnamed: 1"].tolist() == ["x", "y"]
    assert any("no header" in w for w in result.warnings)


def test_trailing_delimiter_on_every_line(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "t.csv", "a;b;\n1;2;\n3;4;\n"))
    assert result.delimiter == ";"
    assert list(result.frame.columns) == ["a", "b"]
    assert result.frame["b"].tolist() == [2, 4]


def test_single_column_csv(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "one.csv", "id\n1\n2\n"))
    assert list(result.frame.columns) == ["id"]
    assert result.frame["id"].tolist() == [1, 2]


def test_repeated_header_rows_are_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Concatenated CRM exports: the header line again mid-file, once with stray spaces.
    text = "id,name,spend\n1,Ann,10.5\n2,Bob,3\nid,name,spend\n3,Cy,4\n id , name ,spend\n4,Di,5\n"
    path = make(tmp_path, "r.csv", text)
    with caplog.at_level(logging.WARNING, logger="segmentkit.sources.read"):
        result = read_table(path)
    frame = result.frame
    assert frame.to_dict("list") == {
        "id": [1, 2, 3, 4],
        "name": ["Ann", "Bob", "Cy", "Di"],
        "spend": [10.5, 3.0, 4.0, 5.0],
    }
    # The header text no longer turns the numbers into text.
    assert (frame["id"].dtype, frame["spend"].dtype) == (np.int64, np.float64)
    assert list(frame.index) == [0, 1, 2, 3]
    message = f"Dropped 2 repeated header row(s) (rows 3, 5, counting data rows from 1) in {path}"
    assert result.warnings == (message,)
    assert [r.getMessage() for r in caplog.records] == [message]


def test_repeated_header_with_decimal_comma_and_trailing_rows(tmp_path: Path) -> None:
    text = "id;spend;since\n1;1.234,50;01.02.2023\nid;spend;since\n2;12,00;03.04.2022\n;;\n;;\n"
    result = read_table(make(tmp_path, "eu.csv", text))
    # The re-read without the empty rows keeps every customer (the header row is not one).
    assert result.frame.to_dict("list") == {
        "id": [1, 2],
        "spend": [1234.5, 12.0],
        "since": ["01.02.2023", "03.04.2022"],
    }
    assert result.frame["id"].dtype == np.int64
    assert sum("repeated header" in w for w in result.warnings) == 1
    assert any("dropped 2 empty trailing rows" in w for w in result.warnings)


def test_repeated_header_with_duplicate_and_empty_header_cells(tmp_path: Path) -> None:
    # Cells are compared with the header as written ("a", "a", ""), not the unique names.
    result = read_table(make(tmp_path, "d.csv", "a,a,\n1,2,x\na,a,\n3,4,y\n"))
    assert result.frame.to_dict("list") == {"a": [1, 3], "a.1": [2, 4], "Unnamed: 2": ["x", "y"]}
    assert any("Dropped 1 repeated header row(s) (rows 2," in w for w in result.warnings)


def test_a_file_of_repeated_headers_has_no_data_rows(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="has a header row but no data rows"):
        read_table(make(tmp_path, "h.csv", "id,name\nid,name\n"))


def test_row_equal_to_the_header_in_some_cells_only_is_kept(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "n.csv", "id,name\n1,Ann\n2,name\nid,Bob\n"))
    assert result.frame.to_dict("list") == {"id": ["1", "2", "id"], "name": ["Ann", "name", "Bob"]}
    assert not any("repeated header" in w for w in result.warnings)


def test_repeated_header_rows_in_a_workbook(tmp_path: Path) -> None:
    clean = pd.DataFrame({"id": [1, 2, 3], "name": ["Ann", "Bob", "Cy"], "spend": [1.5, None, 2]})
    header = pd.DataFrame([list(clean.columns)], columns=clean.columns)
    pasted = pd.concat([clean.iloc[:2].astype(object), header, clean.iloc[2:].astype(object)])
    path = tmp_path / "r.xlsx"
    pasted.to_excel(path, index=False, engine="openpyxl")
    result = read_table(path)
    pd.testing.assert_frame_equal(result.frame, clean)
    assert result.warnings == (
        f"Dropped 1 repeated header row(s) (rows 3, counting data rows from 1) in {path}",
    )


def test_gzip_csv(tmp_path: Path) -> None:
    path = make(tmp_path, "c.csv.gz", gzip.compress(b"a;b\n1;2,5\n"))
    result = read_table(path)
    assert result.format == "csv"
    assert result.frame["b"].tolist() == [2.5]
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_zip_csv(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.csv", "a,b\n1,2\n")
    result = read_table(make(tmp_path, "c.csv.zip", buffer.getvalue()))
    assert result.frame.to_dict("list") == {"a": [1], "b": [2]}


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = make(tmp_path, "c.csv.gz", gzip.compress(b"a,b\n1,2\n")[:12])
    with pytest.raises(DataError, match=r"c\.csv\.gz could not be decompressed as \.gz"):
        read_table(path)


def test_parquet_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": ["001", "002"], "spend": [1.5, np.nan], "n": [3, 4]},
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    result = read_table(path)
    assert result.format == "parquet"
    assert (result.encoding, result.delimiter, result.decimal) == (None, None, None)
    assert result.frame["id"].tolist() == ["001", "002"]
    assert result.frame["spend"].iloc[0] == 1.5
    assert np.isnan(result.frame["spend"].iloc[1])
    assert result.frame["n"].tolist() == [3, 4]
    assert result.sha256 == file_sha256(path)


def test_parquet_is_read_from_disk_not_as_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(50)], "spend": np.arange(50.0)})
    path = tmp_path / "p.parquet"
    frame.to_parquet(path, row_group_size=7)  # several row groups

    def no_bytes(path: Path) -> bytes:
        raise AssertionError("a Parquet file must not be read into memory as bytes")

    monkeypatch.setattr(skio, "_read_bytes", no_bytes)
    with caplog.at_level(logging.WARNING, logger="segmentkit.sources.read"):
        result = read_table(path, encoding="latin-1", sheet="Sheet1")
    pd.testing.assert_frame_equal(result.frame, frame)
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r.getMessage() for r in caplog.records] == [
        f"encoding='latin-1' ignored: {path} is a parquet file",
        f"sheet='Sheet1' ignored: {path} is not an Excel file",
    ]


def test_parquet_named_index_becomes_column(tmp_path: Path) -> None:
    path = tmp_path / "p.pq"
    pd.DataFrame({"id": ["a", "b"], "x": [1, 2]}).set_index("id").to_parquet(path)
    result = read_table(path)
    assert list(result.frame.columns) == ["id", "x"]
    assert result.frame["id"].tolist() == ["a", "b"]


def test_xlsx_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1, 2], " name ": ["Ann", "Bob"], "spend": [1.5, 2.0]})
    path = tmp_path / "b.xlsx"
    frame.to_excel(path, index=False, sheet_name="Customers", engine="openpyxl")
    result = read_table(path)
    assert result.format == "excel"
    assert (result.encoding, result.delimiter, result.decimal) == (None, None, None)
    assert list(result.frame.columns) == ["id", "name", "spend"]
    assert result.frame["id"].tolist() == [1, 2]
    assert result.frame["name"].tolist() == ["Ann", "Bob"]
    assert result.frame["spend"].tolist() == [1.5, 2.0]
    assert any("' name ' -> 'name'" in w for w in result.warnings)


def test_xlsx_sheet_selection(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, index=False, sheet_name="First")
        pd.DataFrame({"b": [2]}).to_excel(writer, index=False, sheet_name="Second")
    default = read_table(path)
    assert default.frame.to_dict("list") == {"a": [1]}
    assert any("2 sheets" in w and "'First'" in w for w in default.warnings)
    assert read_table(path, sheet="Second").frame.to_dict("list") == {"b": [2]}
    assert read_table(path, sheet=1).frame.to_dict("list") == {"b": [2]}
    with pytest.raises(DataError, match="no sheet named 'Third'; available sheets: 'First', 'Sec"):
        read_table(path, sheet="Third")
    with pytest.raises(DataError, match="no sheet 5; a sheet index must be 0 to 1"):
        read_table(path, sheet=5)


def test_ignored_options_are_noted(tmp_path: Path) -> None:
    csv_result = read_table(make(tmp_path, "c.csv", "a\n1\n"), sheet="S")
    assert any("sheet='S' ignored" in w for w in csv_result.warnings)
    path = tmp_path / "p.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    assert any(
        "encoding='cp1252' ignored" in w for w in read_table(path, encoding="cp1252").warnings
    )


# ---------------------------------------- read_table: issue 16 (layouts, sheets, encodings)


def test_cdnow_master_is_a_whitespace_table() -> None:
    # Issue 16: this file was read as one column named after the whole header line.
    result = read_table(shared_dataset("cdnow/CDNOW_master.txt"))
    frame = result.frame
    assert result.delimiter == "whitespace"
    assert list(frame.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert len(frame) == 69_659
    assert frame["customer_id"].iloc[:2].tolist() == ["00001", "00002"]  # padding kept
    assert frame["date"].dtype == np.int64
    assert frame["dollar_value"].iloc[0] == 11.77
    assert any("whitespace-aligned table" in w for w in result.warnings)


def test_cdnow_sample_has_no_header_row() -> None:
    result = read_table(shared_dataset("cdnow/CDNOW_sample.txt"))
    frame = result.frame
    assert list(frame.columns) == [f"column_{i}" for i in range(1, 6)]
    assert len(frame) == 6_919  # the first line is a customer, not a header
    assert frame.iloc[0].tolist() == ["00004", "0001", 19970101, 2, 29.33]
    assert any("has no header row" in w and "column_1 to column_5" in w for w in result.warnings)


@pytest.mark.parametrize("index", [True, False])
def test_to_string_exports_read_back(tmp_path: Path, index: bool) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": ["0001", "0002", "0003"],
            "Genre": ["Male", "Female", "Female"],
            "Annual Income (k$)": [15, 16, 137],
            "city": ["New York", "Rome", "Los Angeles"],
            "spend": [1.5, -22.25, 3.0],
        }
    )
    result = read_table(make(tmp_path, "t.txt", frame.to_string(index=index) + "\n"))
    read = result.frame.drop(columns=["Unnamed: 0"]) if index else result.frame
    pd.testing.assert_frame_equal(read, frame, check_dtype=False)
    assert result.frame["Annual Income (k$)"].dtype == np.int64
    if index:
        assert result.frame["Unnamed: 0"].tolist() == [0, 1, 2]


def test_whitespace_table_read_from_disk_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(skio, "STREAM_BYTES", 0)  # the large-file path
    text = " id   spend  name\n 01    1.5  Ann\n 02   22.0  Bob\n"
    result = read_table(make(tmp_path, "w.txt", text))
    assert result.frame.to_dict("list") == {
        "id": ["01", "02"],
        "spend": [1.5, 22.0],
        "name": ["Ann", "Bob"],
    }


def test_headerless_csv(tmp_path: Path) -> None:
    result = read_table(make(tmp_path, "n.csv", "1,2.5,7\n2,3.5,8\n3,1.0,9\n"))
    assert list(result.frame.columns) == ["column_1", "column_2", "column_3"]
    assert len(result.frame) == 3
    # Numbers as names over text columns are a header.
    years = read_table(make(tmp_path, "y.csv", "2023,2024\na,b\nc,d\n"))
    assert list(years.frame.columns) == ["2023", "2024"]


@pytest.mark.parametrize(
    ("content", "asked", "expected"),
    [
        ("a;b\n1;2\n", ";", ";"),
        ("a;b\n1;2\n", "semicolon", ";"),
        ("a\tb\n1\t2\n", "\\t", "\t"),  # as typed in a shell: backslash and t
        ("a\tb\n1\t2\n", "tab", "\t"),
        ("a|b\n1|2\n", "|", "|"),
        ("a  b\n1  2\n", "space", "whitespace"),
        ("a  b\n1  2\n", "whitespace", "whitespace"),
    ],
)
def test_forced_delimiter(tmp_path: Path, content: str, asked: str, expected: str) -> None:
    result = read_table(make(tmp_path, "d.csv", content), delimiter=asked)
    assert result.delimiter == expected
    assert result.frame.to_dict("list") == {"a": [1], "b": [2]}


def test_forced_delimiter_wins_over_detection(tmp_path: Path) -> None:
    # Detection picks ";" here; forcing "," reads the fields as the user says.
    result = read_table(make(tmp_path, "d.csv", "a;b,c\n1;2,3\n4;5,6\n"), delimiter=",")
    assert list(result.frame.columns) == ["a;b", "c"]


def test_unknown_delimiter_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"delimiter must be one of .*got ':'"):
        read_table(make(tmp_path, "d.csv", "a,b\n1,2\n"), delimiter=":")


def test_delimiter_ignored_for_parquet(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    assert any("delimiter=';' ignored" in w for w in read_table(path, delimiter=";").warnings)


def test_parquet_integer_ids_stay_integers(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": [1, 2], "x": [0.5, 1.5]}).to_parquet(path)
    assert read_table(path).frame["id"].dtype == np.int64


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize("text", ["id,x\n1,2\n3,4\n", "id,x\r\n1,2\r\n3,45"])  # even, odd length
def test_wide_encoding_on_an_ascii_file(tmp_path: Path, encoding: str, text: str) -> None:
    # Issue 16: --encoding utf-16 on an ASCII file said "no data rows".
    path = make(tmp_path, "a.csv", text)
    with pytest.raises(DataError) as err:
        read_table(path, encoding=encoding)
    message = str(err.value)
    assert f"a.csv is not {encoding}: it has no NUL bytes" in message
    assert "try --encoding utf-8 or leave --encoding out to detect it" in message


def test_encoding_without_line_breaks_does_not_fit(tmp_path: Path) -> None:
    # EBCDIC decodes any byte, but an ASCII file's line ends become other characters.
    with pytest.raises(DataError, match=r"is not cp037: read as cp037 it has no line breaks"):
        read_table(make(tmp_path, "a.csv", "id,x\n1,2\n"), encoding="cp037")


def test_real_utf16_with_explicit_encoding_still_reads(tmp_path: Path) -> None:
    path = make(tmp_path, "u.csv", "id,x\n1,2\n", encoding="utf-16")
    assert read_table(path, encoding="utf-16").frame.to_dict("list") == {"id": [1], "x": [2]}


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, index=False, sheet_name=name)
    return path


def test_xlsx_first_sheet_without_data_reads_the_only_sheet_with_data(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "b.xlsx",
        {"Notes": pd.DataFrame(), "Customers": pd.DataFrame({"id": [1, 2], "x": [3, 4]})},
    )
    result = read_table(path)
    assert result.frame.to_dict("list") == {"id": [1, 2], "x": [3, 4]}
    assert any(
        "the first sheet 'Notes' has no data; read 'Customers'" in w and "--sheet" in w
        for w in result.warnings
    )
    # A header without rows is no data either.
    path = _workbook(
        tmp_path / "h.xlsx",
        {"Empty": pd.DataFrame({"id": []}), "Data": pd.DataFrame({"id": [1, 2], "x": [3, 4]})},
    )
    assert read_table(path).frame.to_dict("list") == {"id": [1, 2], "x": [3, 4]}


def test_xlsx_several_sheets_with_data_behind_an_empty_one_is_an_error(tmp_path: Path) -> None:
    data = pd.DataFrame({"id": [1, 2], "x": [3, 4]})
    path = _workbook(tmp_path / "b.xlsx", {"Cover": pd.DataFrame(), "2023": data, "2024": data})
    with pytest.raises(DataError) as err:
        read_table(path)
    assert str(err.value).startswith(
        f"{path}: the first sheet 'Cover' has no data; sheets with data: '2023', '2024'"
    )
    assert err.value.hint is not None and "--sheet NAME (or input.sheet" in err.value.hint
    # A sheet named "2024" wins over position 2024; digits naming no sheet are a position.
    assert read_table(path, sheet="2024").frame.to_dict("list") == data.to_dict("list")
    assert read_table(path, sheet="1").frame.to_dict("list") == data.to_dict("list")


def test_xlsx_text_codes_keep_their_zeros(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["0001", "0002"], "n": [1, 2], "zip": ["02134", "10001"]})
    path = _workbook(tmp_path / "b.xlsx", {"Customers": frame})
    result = read_table(path)
    assert result.frame["id"].tolist() == ["0001", "0002"]
    assert result.frame["zip"].tolist() == ["02134", "10001"]
    assert result.frame["n"].dtype == np.int64
    assert any("kept ['id', 'zip'] as text" in w for w in result.warnings)


def test_xlsx_empty_only_sheet_names_the_options(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "e.xlsx", {"A": pd.DataFrame(), "B": pd.DataFrame()})
    with pytest.raises(DataError, match=r"sheet 0 is empty.*sheets: 'A', 'B'") as err:
        read_table(path)
    assert err.value.hint is not None and "--sheet NAME" in err.value.hint


# ------------------------------------------------------------------- read_table errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^file not found: .*nope\.csv"):
        read_table(tmp_path / "nope.csv")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(DataError, match=r"data\.csv is a directory"):
        read_table(folder)


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unsupported file type '\.json'; supported: \.csv") as err:
        read_table(make(tmp_path, "d.json", "{}"))
    assert ".parquet" in str(err.value)
    assert ".xlsx" in str(err.value)


@pytest.mark.parametrize("content", [b"", b"   \n\r\n\t\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(DataError, match=r"e\.csv is empty"):
        read_table(make(tmp_path, "e.csv", content))


def test_empty_parquet_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"e\.parquet is empty"):
        read_table(make(tmp_path, "e.parquet", b""))


@pytest.mark.parametrize("content", ["a,b\n", "a,b\r\n\r\n", "a,b\n,\n,\n"])
def test_header_only(tmp_path: Path, content: str) -> None:
    with pytest.raises(DataError, match=r"h\.csv has a header row but no data rows"):
        read_table(make(tmp_path, "h.csv", content))


def test_header_only_parquet(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pd.DataFrame({"a": pd.Series([], dtype="int64")}).to_parquet(path)
    with pytest.raises(DataError, match="has a header row but no data rows"):
        read_table(path)


def test_unclosed_quote_reports_line(tmp_path: Path) -> None:
    path = make(tmp_path, "q.csv", 'a,b\n1,2\n3,"oops\n4,5\n')
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    assert "q.csv could not be parsed" in message
    assert "EOF inside string" in message
    assert "unclosed quote" in message
    assert "near line 3" in message


def test_row_with_extra_fields_reports_line(tmp_path: Path) -> None:
    path = make(tmp_path, "x.csv", "a,b\n1,2\n3,4\n5,6,7\n")
    with pytest.raises(DataError, match=r"Expected 2 fields in line 4, saw 3.*near line 4"):
        read_table(path)


def test_nul_bytes_are_not_a_text_table(tmp_path: Path) -> None:
    path = make(tmp_path, "b.csv", b"a,b\n\x00\x01\x02\x03\xff\xfe")
    with pytest.raises(DataError, match=r"b\.csv does not look like a text table.*NUL bytes"):
        read_table(path)


def test_control_code_garbage_is_not_a_text_table(tmp_path: Path) -> None:
    garbage = bytes(range(1, 32)) * 20  # no NUL, but nothing like text either
    with pytest.raises(DataError, match=r"does not look like a text table.*control codes"):
        read_table(make(tmp_path, "g.csv", garbage))


def test_workbook_with_csv_suffix(tmp_path: Path) -> None:
    xlsx = tmp_path / "real.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(xlsx, index=False, engine="openpyxl")
    path = make(tmp_path, "fake.csv", xlsx.read_bytes())
    with pytest.raises(DataError, match=r"fake\.csv does not look like a text table.*\.xlsx"):
        read_table(path)


def test_truncated_parquet(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pd.DataFrame({"a": range(100)}).to_parquet(good)
    path = make(tmp_path, "bad.parquet", good.read_bytes()[:200])
    with pytest.raises(DataError, match=r"bad\.parquet could not be read as Parquet") as err:
        read_table(path)
    assert err.value.hint is not None and "corrupt" in err.value.hint


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_corrupt_workbook(tmp_path: Path, suffix: str) -> None:
    path = make(tmp_path, "bad" + suffix, b"this is not a workbook at all")
    with pytest.raises(DataError, match=r"could not be read as an Excel workbook"):
        read_table(path)


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"a": range(50)}).to_excel(good, index=False, engine="openpyxl")
    path = make(tmp_path, "cut.xlsx", good.read_bytes()[:700])
    with pytest.raises(DataError, match=r"cut\.xlsx"):
        read_table(path)


def test_permission_denied_is_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make(tmp_path, "p.csv", "a\n1\n")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(DataError, match=r"^permission denied reading .*p\.csv"):
        read_table(path)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_permission_denied_real_file(tmp_path: Path) -> None:
    path = make(tmp_path, "p.csv", "a\n1\n")
    path.chmod(0)
    try:
        with pytest.raises(DataError, match="permission denied"):
            read_table(path)
    finally:
        path.chmod(0o644)


def test_reading_does_not_modify_the_file(tmp_path: Path) -> None:
    content = b" id ;x;\n1;2,5;\n;;\n"
    path = make(tmp_path, "k.csv", content)
    read_table(path)
    assert path.read_bytes() == content


# ------------------------------------------------------------------ atomic_output_dir


def test_atomic_dir_success_creates_parents(tmp_path: Path) -> None:
    final = tmp_path / "a" / "b" / "out"
    with atomic_output_dir(final) as tmp:
        assert tmp.parent == final.parent
        assert tmp.name.startswith(".out.tmp-")
        assert tmp.is_dir()
        assert not final.exists()
        (tmp / "report.txt").write_text("new", encoding="utf-8")
    assert (final / "report.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in final.parent.iterdir()) == ["out"]


def _earlier_output(tmp_path: Path) -> Path:
    """A folder an earlier run wrote (it holds run.json), which a new run may replace."""
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old", encoding="utf-8")
    (final / "run.json").write_text("{}", encoding="utf-8")
    return final


def test_atomic_dir_replaces_existing_folder(tmp_path: Path) -> None:
    final = _earlier_output(tmp_path)
    with atomic_output_dir(final) as tmp:
        (tmp / "new.txt").write_text("new", encoding="utf-8")
        # The old output stays complete while the new one is being written.
        assert (final / "old.txt").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_dir_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    # Not an earlier output: replacing it would delete the user's files.
    final = tmp_path / "mine"
    final.mkdir()
    (final / "customers.csv").write_text("id\n1\n", encoding="utf-8")
    with (
        pytest.raises(DataError, match="holds other files and no earlier output"),
        atomic_output_dir(final),
    ):
        pass
    assert sorted(p.name for p in final.iterdir()) == ["customers.csv"]
    # An empty folder is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    with atomic_output_dir(empty) as tmp:
        (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in empty.iterdir()) == ["new.txt"]


def test_atomic_dir_failure_keeps_old_folder(tmp_path: Path) -> None:
    final = _earlier_output(tmp_path)
    with pytest.raises(RuntimeError, match="boom"), atomic_output_dir(final) as tmp:
        (tmp / "half.txt").write_text("partial", encoding="utf-8")
        raise RuntimeError("boom")
    assert sorted(p.name for p in final.iterdir()) == ["old.txt", "run.json"]
    assert (final / "old.txt").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_dir_failure_without_old_leaves_nothing(tmp_path: Path) -> None:
    final = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), atomic_output_dir(final) as tmp:
        (tmp / "half.txt").write_text("partial", encoding="utf-8")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_existing_file(tmp_path: Path) -> None:
    final = make(tmp_path, "out", "keep me")
    with pytest.raises(DataError) as err, atomic_output_dir(final):
        pass
    assert str(err.value) == f"--out {final} is an existing file; choose a folder path"
    assert final.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_dir_parent_is_a_file(tmp_path: Path) -> None:
    blocker = make(tmp_path, "blocker", "x")
    with (
        pytest.raises(DataError, match="cannot create the parent folder"),
        atomic_output_dir(blocker / "out"),
    ):
        pass


def test_atomic_dir_parent_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with (
        pytest.raises(DataError, match="is not writable; choose another --out"),
        atomic_output_dir(tmp_path / "out"),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------- file_sha256


def test_file_sha256_known_value(tmp_path: Path) -> None:
    path = make(tmp_path, "abc.bin", b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_file_sha256_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"file not found: .*nope"):
        file_sha256(tmp_path / "nope")
