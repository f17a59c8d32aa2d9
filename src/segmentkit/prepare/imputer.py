"""The median imputer of the model's numeric columns: scikit-learn's, with a faster median.

``SimpleImputer(strategy="median")`` takes the median of a masked array, which sorts
every column whole: on 1,000,000 customers with five numeric columns 1.1 s per fit, and
a run fits two transformers (the outlier space on every row, the model on the rows that
shape the segments). :func:`numpy.nanmedian` selects instead of sorting and gives the same
numbers, bit for bit (a test compares both on hundreds of random columns): 0.08 s. The
class is otherwise scikit-learn's, so the saved model applies it to new customers as
before; its name is on the model file's list of trusted types.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.utils._missing import is_scalar_nan

__all__ = ["MedianImputer"]


class MedianImputer(SimpleImputer):
    """:class:`~sklearn.impute.SimpleImputer` whose median is :func:`numpy.nanmedian`.

    Any other strategy, non-float data or a missing-value marker other than NaN is
    scikit-learn's own path.
    """

    def _dense_fit(self, X: np.ndarray, strategy: str, missing_values: Any, fill_value: Any) -> Any:
        if strategy != "median" or X.dtype.kind != "f" or not is_scalar_nan(missing_values):
            return super()._dense_fit(X, strategy, missing_values, fill_value)
        missing = np.isnan(X)
        self._fit_indicator(missing)
        with warnings.catch_warnings():
            # A column with no value at all: its median is NaN, handled below as sklearn does.
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(X, axis=0)
        median[np.isnan(median)] = 0 if self.keep_empty_features else np.nan
        return median
