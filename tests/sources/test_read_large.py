"""Large text files are parsed straight from disk: same table, same detections, less memory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentkit.errors import DataError
from segmentkit.sources import read as segmentkit_io
from segmentkit.sources.read import read_table

CASES = {
    "plain.csv": ("id,age,city\n1,30,Köln\n2,41,Paris\n3,,Rome\n", "utf-8"),
    "bom.csv": ("\ufeffid,age\n1,30\n2,41\n", "utf-8"),
    "semicolon_decimal_comma.csv": (
        "id;spend;since\n1;1.234,50;01.02.2023\n2;12,00;03.04.2022\n",
        "utf-8",
    ),
    "quoted_newlines.csv": ('id,note,spend\n1,"two\nlines, and a comma",3.5\n2,plain,4\n', "utf-8"),
    "crlf_trailing_debris.csv": ("id,age,\r\n1,30,\r\n2,41,\r\n,,\r\n,,\r\n", "utf-8"),
    "cp1252.csv": ("id,name\n1,Müller\n2,Señor €\n", "cp1252"),
    "tabs.tsv": ("id\tage\n1\t30\n2\t41\n", "utf-8"),
    "repeated_header.csv": ("id,age\n1,30\nid,age\n2,41\n,\n", "utf-8"),
}


def _write(tmp_path: Path, name: str) -> Path:
    text, encoding = CASES[name]
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_read_equals_in_memory_read(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, name)
    in_memory = read_table(path)
    monkeypatch.setattr(segmentkit_io, "STREAM_BYTES", 0)
    streamed = read_table(path)
    pd.testing.assert_frame_equal(streamed.frame, in_memory.frame)
    assert (streamed.encoding, streamed.delimiter, streamed.decimal) == (
        in_memory.encoding,
        in_memory.delimiter,
        in_memory.decimal,
    )
    assert streamed.sha256 == in_memory.sha256
    assert streamed.warnings == in_memory.warnings


def _ascii_then_cp1252(tmp_path: Path) -> Path:
    # The first MiB is plain ASCII (detected as UTF-8); a cp1252 byte comes later.
    rows = "".join(f"{i},{i % 97}\n" for i in range(200_000))
    path = tmp_path / "late_accent.csv"
    path.write_bytes(b"id,score\n" + rows.encode() + "999999,Zoë\n".encode("cp1252"))
    assert path.stat().st_size > 2**20
    return path


def test_an_encoding_error_after_the_first_mib_falls_back_like_small_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segmentkit_io, "STREAM_BYTES", 0)
    table = read_table(_ascii_then_cp1252(tmp_path))
    assert table.encoding == "cp1252"
    assert table.frame["score"].iloc[-1] == "Zoë"
    assert len(table.frame) == 200_001
    assert any("is not valid UTF-8" in note for note in table.warnings)


def test_a_declared_encoding_that_fails_late_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segmentkit_io, "STREAM_BYTES", 0)
    path = _ascii_then_cp1252(tmp_path)
    with pytest.raises(DataError, match=r"is not valid utf-8 at byte \d+; pass --encoding"):
        read_table(path, encoding="utf-8")


def test_a_broken_quote_in_a_large_file_names_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segmentkit_io, "STREAM_BYTES", 0)
    path = tmp_path / "broken.csv"
    path.write_text("id,age,city\n1,30,Köln\n2,41,Paris,extra,fields\n3,22,Rome\n")
    with pytest.raises(DataError, match="near line 3"):
        read_table(path)


def test_a_header_repeated_after_the_first_mib_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Detection sees only the first MiB; the repeated header comes later, in the stream.
    rows = [f"{i},{i % 97}\n" for i in range(200_000)]
    path = tmp_path / "concatenated.csv"
    path.write_text("id,score\n" + "".join(rows[:150_000]) + "id,score\n" + "".join(rows[150_000:]))
    assert path.stat().st_size > 2**20
    monkeypatch.setattr(segmentkit_io, "STREAM_BYTES", 0)
    table = read_table(path)
    assert len(table.frame) == 200_000
    assert table.frame["id"].tolist() == list(range(200_000))
    assert (table.frame["id"].dtype, table.frame["score"].dtype) == ("int64", "int64")
    assert table.warnings == (
        f"Dropped 1 repeated header row(s) (rows 150001, counting data rows from 1) in {path}",
    )
