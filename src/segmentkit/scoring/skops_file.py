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
import sys
import zipfile
from types import ModuleType
from typing import Any

__all__ = ["dumps_reproducible", "import_skops_io"]

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
    sio = import_skops_io()
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


def import_skops_io() -> ModuleType:
    """Import ``skops.io`` without the Dask import that its first import would cause.

    skops lists its trusted types on import with ``sklearn.utils.all_estimators()``, which
    imports every scikit-learn package; one of them, scikit-learn's array-API adapter for
    Dask, imports Dask (and through it ``sparse`` and numba): 0.3-0.5 s of every run and
    every ``score``, for a library neither uses. While skops is first imported, Dask is
    hidden: that adapter then fails to import, which ``all_estimators`` skips quietly, and
    skops' trusted-type lists come out the same (no estimator lives in Dask). When Dask is
    already loaded (the Dask backend, a user's session), nothing is hidden.

    Returns
    -------
    module
        ``skops.io``.
    """
    if "skops.io" in sys.modules or "dask" in sys.modules:
        import skops.io

        return skops.io
    # ``None`` in sys.modules makes `import dask` raise ImportError (the import system's
    # documented way to block a module); removed again right after.
    sys.modules["dask"] = None  # type: ignore[assignment]
    try:
        import skops.io
    finally:
        if sys.modules.get("dask", False) is None:
            del sys.modules["dask"]
    return skops.io


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
