"""Module paths from before the packages: ``segmentkit.io`` and friends keep importing.

segmentkit 0.1 kept every module flat in ``src/segmentkit/``. Scripts that import
``segmentkit.model`` or ``segmentkit.features.rfm`` still work: a finder maps each old path to
the module's new home (the same module object, so monkeypatching either name patches both),
with a :class:`DeprecationWarning` naming the new path. Saved models need this too: a
``model.skops`` file names its classes by the module they lived in when it was written.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED_MODULES", "install"]

#: Old module path -> where the module lives now.
MOVED_MODULES: dict[str, str] = {
    "segmentkit.io": "segmentkit.sources.read",
    "segmentkit.table_layout": "segmentkit.sources.table_layout",
    "segmentkit.roles": "segmentkit.prepare.roles",
    "segmentkit.cleaning": "segmentkit.prepare.cleaning",
    "segmentkit.outliers": "segmentkit.prepare.outliers",
    "segmentkit.stability": "segmentkit.selection.stability",
    "segmentkit.evaluation": "segmentkit.selection.criteria",
    "segmentkit.validity": "segmentkit.selection.validity",
    "segmentkit.recommend": "segmentkit.selection.method_choice",
    "segmentkit.alternative": "segmentkit.selection.alternative",
    "segmentkit.profiles": "segmentkit.describe.profiles",
    "segmentkit.profile_view": "segmentkit.describe.terminal_view",
    "segmentkit.naming": "segmentkit.describe.naming",
    "segmentkit.segment_names": "segmentkit.describe.segment_names",
    "segmentkit.labels": "segmentkit.describe.labels",
    "segmentkit.actions": "segmentkit.describe.actions",
    "segmentkit.explain": "segmentkit.describe.importance",
    "segmentkit.importance_words": "segmentkit.describe.importance_words",
    "segmentkit.identity": "segmentkit.describe.identity",
    "segmentkit.outcomes": "segmentkit.describe.outcomes",
    "segmentkit.rules": "segmentkit.describe.rules",
    "segmentkit.rule_tree": "segmentkit.describe.rules.tree",
    "segmentkit.rules_sql": "segmentkit.describe.rules.sql",
    "segmentkit.segment_counts": "segmentkit.describe.segment_counts",
    "segmentkit.features": "segmentkit.transactions",
    "segmentkit.features.rfm": "segmentkit.transactions.rfm",
    "segmentkit.model": "segmentkit.scoring.model",
    "segmentkit.skops_file": "segmentkit.scoring.skops_file",
    "segmentkit.export": "segmentkit.output.export",
    "segmentkit.atomic": "segmentkit.output.atomic",
    "segmentkit.rename": "segmentkit.output.rename",
    "segmentkit.report.model": "segmentkit.report.view_model",
    "segmentkit.distributed": "segmentkit.backends.dask.run",
    "segmentkit.distributed_assign": "segmentkit.backends.dask.assign",
    "segmentkit.distributed_input": "segmentkit.backends.dask.read",
}

#: Old paths that are also names in saved model files: loading a model imports them, which is
#: not the user's deprecated import, so these load without a warning.
SAVED_FILE_NAMES = frozenset({"segmentkit.model", "segmentkit.outliers"})


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and loads it as the module at its new path."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED_MODULES[spec.name]
        if spec.name not in SAVED_FILE_NAMES:
            warnings.warn(
                f"{spec.name} moved to {new}; import it from there",
                DeprecationWarning,
                stacklevel=2,
            )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        # The module is the new one, already executed; keep it under the old name too.
        return None


def install() -> None:
    """Put the finder on :data:`sys.meta_path` once."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
