"""skops files that are the same bytes for the same model.

A skops file is a zip archive: ``schema.json`` describes the object tree and every array
is a member file. skops names those members and marks shared objects with the Python
``id()`` of the objects, and stamps each member with the current time, so saving the same
model twice gives different bytes. :func:`dumps_reproducible` renumbers both in the order
skops wrote them and stamps every member with the zip epoch; the file loads exactly as
skops wrote it (the names are only references within the archive).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

__all__ = ["dumps_reproducible"]

SCHEMA = "schema.json"
#: The earliest time a zip member can carry (1980-01-01 00:00:00).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def dumps_reproducible(obj: Any) -> bytes:
    """Return ``obj`` as skops bytes that depend only on the object's contents.

    Examples
    --------
    >>> import numpy as np
    >>> first = dumps_reproducible({"a": np.arange(3)})
    >>> first == dumps_reproducible({"a": np.arange(3)})
    True
    >>> import skops.io as sio
    >>> sio.loads(first, trusted=[])["a"].tolist()
    [0, 1, 2]
    """
    # Imported here: skops imports every scikit-learn estimator (and Dask) on import.
    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps(obj))) as archive:
        members = [info for info in archive.infolist() if info.filename != SCHEMA]
        names = {
            info.filename: f"{number}{_suffix(info.filename)}"
            for number, info in enumerate(members)
        }
        schema = _renumbered(json.loads(archive.read(SCHEMA)), names, {})
        contents = {info.filename: archive.read(info) for info in members}
        compression = archive.getinfo(SCHEMA).compress_type
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in members:
            archive.writestr(
                _member(names[info.filename], info.compress_type), contents[info.filename]
            )
        # The same layout as skops' own schema.json.
        archive.writestr(_member(SCHEMA, compression), json.dumps(schema, indent=2))
    return out.getvalue()


def _suffix(name: str) -> str:
    return name[name.rfind(".") :] if "." in name else ""


def _member(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = compression
    info.external_attr = 0o644 << 16  # a regular file, readable by all
    return info


def _renumbered(node: Any, names: dict[str, str], ids: dict[int, int]) -> Any:
    """Copy of the schema with member names and object ids numbered in order of appearance."""
    if isinstance(node, list):
        return [_renumbered(item, names, ids) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int):
            out[key] = ids.setdefault(value, len(ids))
        elif key == "file" and isinstance(value, str) and value in names:
            out[key] = names[value]
        else:
            out[key] = _renumbered(value, names, ids)
    return out
