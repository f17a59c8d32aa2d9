"""segmentkit: customer segmentation you can explain and reproduce."""

from __future__ import annotations

import logging

from segmentkit import _compat

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
_compat.install()

__all__ = ["__version__"]
