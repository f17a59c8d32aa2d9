"""segmentkit: customer segmentation you can explain and reproduce.

The public surface, for scripts and notebooks:

- :class:`Segmenter`, a scikit-learn estimator: ``fit`` a customer ``DataFrame``, then
  ``labels_``, ``profiles_``, ``predict``, ``save``; :func:`load_model` reads a saved model.
- :class:`Config` and :func:`load_config`: every setting of the JSON configuration file.
- :func:`rfm_table`: a transaction log in, one row per customer (recency, frequency,
  monetary value) out.
- :func:`segment_file`: a file in, the whole output folder (``report.html``, CSVs, model)
  out, as ``segmentkit run`` does.
- The errors a user can cause and fix: :class:`SegmentkitError` and its subclasses.

Importing the package is light: the names above load their modules (and scikit-learn,
plotting, reports) the first time they are used.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from segmentkit import _compat
from segmentkit.errors import (
    ConfigError,
    DataError,
    OutputError,
    ResourceError,
    SegmentkitError,
)

if TYPE_CHECKING:
    from segmentkit.api import segment_file
    from segmentkit.config import Config, load_config
    from segmentkit.estimator import Segmenter, load_model
    from segmentkit.transactions.log_to_table import rfm_table

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
_compat.install()

__all__ = [
    "Config",
    "ConfigError",
    "DataError",
    "OutputError",
    "ResourceError",
    "Segmenter",
    "SegmentkitError",
    "__version__",
    "load_config",
    "load_model",
    "rfm_table",
    "segment_file",
]

#: Public name -> the module that defines it, imported on first use (PEP 562).
_LAZY = {
    "Config": "segmentkit.config",
    "load_config": "segmentkit.config",
    "Segmenter": "segmentkit.estimator",
    "load_model": "segmentkit.estimator",
    "rfm_table": "segmentkit.transactions.log_to_table",
    "segment_file": "segmentkit.api",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    if name not in _LAZY:
        # AttributeError (not ImportError) lets `from segmentkit import io` find submodules.
        raise AttributeError(f"module 'segmentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
