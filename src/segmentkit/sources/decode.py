"""Bytes to text: the encoding of a text table, detected or checked.

A byte-order mark decides first; then UTF-8, then the legacy cp1252 and latin-1. A
given encoding is checked to fit (UTF-16 read from ASCII decodes without error into
nonsense), and binary files (Parquet, workbooks, archives) are refused with what they
look like.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
from pathlib import Path
from typing import NoReturn

from segmentkit.errors import ConfigError, DataError
from segmentkit.sources.notes import ReadNotes

__all__ = ["decode_text", "scan_file"]

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"PAR1", "a Parquet file; give it a .parquet suffix"),
    (b"PK\x03\x04", "a zip archive or .xlsx workbook; give it the matching suffix"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel (.xls) workbook; give it a .xls suffix"),
    (b"\x1f\x8b", "gzip-compressed; give it a .gz suffix such as .csv.gz"),
)


def decode_text(path: Path, data: bytes, encoding: str | None, notes: ReadNotes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding used)``."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DataError(f"{path} does not look like a text table: it is {what}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ConfigError(
                f"encoding must be a known text encoding such as utf-8 or cp1252, got {encoding!r}"
            ) from exc
        used = encoding
    else:
        used = next((name for bom, name in _BOMS if data.startswith(bom)), "")
        if used:
            notes.add(logging.INFO, "%s: byte-order mark found; decoded as %s", path, used)
        elif b"\x00" in data:
            first_nul = data.index(b"\x00")
            _not_text(path, f"it contains NUL bytes (first at byte {first_nul})")
    try:
        text = data.decode(used or "utf-8")
        used = used or "utf-8"
    except UnicodeDecodeError as exc:
        if encoding is not None:
            # An ASCII file of odd length read as UTF-16 fails here, not as nonsense.
            _check_encoding_fits(path, data, encoding, None)
        if used:
            raise DataError(
                f"{path} is not valid {used} at byte {exc.start}; pass --encoding with "
                f"the file's actual encoding (for example utf-8, cp1252 or latin-1)"
            ) from exc
        text, used = _decode_legacy(data)
        notes.add(
            logging.WARNING,
            "%s is not valid UTF-8 (byte %d); decoded as %s, pass --encoding if "
            "accented characters look wrong",
            path,
            exc.start,
            used,
        )
    if encoding is not None:
        _check_encoding_fits(path, data, encoding, text)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataError(f"{path} is empty; expected a header row and at least one data row")
    if "\x00" in text:
        _not_text(path, "it contains NUL characters")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    controls += sum(1 for ch in sample if 0x7F <= ord(ch) <= 0x9F)
    if controls > max(8, 0.1 * len(sample)):  # a stray control code is not binary
        _not_text(path, f"{controls} of its first {len(sample)} characters are control codes")
    return text, used


def _is_wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _check_encoding_fits(path: Path, data: bytes, encoding: str, text: str | None) -> None:
    """Refuse an encoding that decodes the bytes without error but into nonsense.

    UTF-16 and UTF-32 accept almost any even-length bytes: an ASCII file read as UTF-16
    becomes one line of CJK characters, which would only surface as "no data rows".
    Text in them always has NUL bytes (the high bytes of ASCII letters and line ends),
    and in any encoding a file with line ends must decode to text with line breaks.
    """
    bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if _is_wide(encoding) and b"\x00" not in data and not bom:
        raise _encoding_misfit(
            path, data, encoding, f"it has no NUL bytes, which {encoding} text always has"
        )
    if text is not None and b"\n" in data and "\n" not in text and "\r" not in text:
        raise _encoding_misfit(path, data, encoding, f"read as {encoding} it has no line breaks")


def _encoding_misfit(path: Path, data: bytes, encoding: str, why: str) -> DataError:
    guess = next((name for bom, name in _BOMS if data.startswith(bom)), "")
    if not guess:
        try:
            data.decode("utf-8")
            guess = "utf-8"
        except UnicodeDecodeError:
            guess = _decode_legacy(data)[1]
    return DataError(
        f"{path} is not {encoding}: {why}; it reads as {guess}",
        hint=f"try --encoding {guess} or leave --encoding out to detect it",
    )


def scan_file(path: Path, encoding: str) -> tuple[str, int | None]:
    """One pass over the file: its SHA-256, and the first byte that does not decode."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, bad = 0, None
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 24), b""):
            digest.update(chunk)
            if bad is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = offset + exc.start
            offset += len(chunk)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            bad = offset - len(exc.object) + exc.start
    return digest.hexdigest(), bad


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _not_text(path: Path, why: str) -> NoReturn:
    raise DataError(
        f"{path} does not look like a text table: {why}",
        hint="if it is UTF-16 text without a byte-order mark, pass --encoding utf-16-le",
    )
