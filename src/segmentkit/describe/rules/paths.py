"""Step 4 of the segment rules: the tree's leaves as paths of conditions, measured.

:func:`measured_rules` turns each leaf's steps into conditions, the tightest per column;
joins the paths of one segment that differ only in the categories of one column ("region is
North or South"); then counts every path on the customers and measures the rules' agreement
with the segments. :mod:`segmentkit.describe.rules.fit` describes every step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.describe.rules.model import Condition, Op, RulePath, SegmentRules
from segmentkit.describe.rules.tree import (
    Column,
    ColumnValues,
    Node,
    Step,
    column_values,
    leaf_steps,
)

__all__ = ["RuleColumns", "measured_rules"]


@dataclass(frozen=True)
class RuleColumns:
    """What turning tree steps into conditions needs to know about the columns."""

    columns: list[Column]
    references: Mapping[str, str]
    fills: Mapping[str, float | str]
    categories: Mapping[str, set[str]]  # every category of every categorical column
    complete: set[str]  # categorical columns never missing (or filled)

    def levels(self, name: str) -> set[str]:
        """Return every category of a categorical column."""
        return set(self.categories.get(name, ()))


def _categories(name: str, allowed: set[str], levels: set[str], fill: Any) -> Condition:
    """Return "is A or B" for the allowed categories, or "is not C" when that is shorter.

    Every category allowed lists them all (true unless missing, as the tree meant); none
    allowed (a path only missing values reach) is "is" nothing, never true, and
    :func:`measured_rules` drops the path.
    """
    barred = levels - allowed
    if not barred or len(allowed) <= len(barred):  # "in" on a tie: it reads plainer
        return Condition(name, "in", categories=tuple(sorted(allowed)), fill=fill)
    return Condition(name, "not in", categories=tuple(sorted(barred)), fill=fill)


def _allowed(condition: Condition, levels: set[str]) -> set[str]:
    if condition.op == "in":
        return set(condition.categories)
    return levels - set(condition.categories)


def _join_categories(
    paths: list[tuple[int, tuple[Condition, ...]]], context: RuleColumns
) -> list[tuple[int, tuple[Condition, ...]]]:
    """Join paths of one segment alike but for the categories of one column.

    The tree tests one category at a time, so "North" and "South" reach a segment by
    two paths; joined they read "region is North or South".
    """
    paths = list(paths)
    joined = True
    while joined:
        joined = False
        for i, (segment, first) in enumerate(paths):
            for j in range(i + 1, len(paths)):
                other, second = paths[j]
                if other != segment or len(first) != len(second):
                    continue
                differ = [k for k, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
                if len(differ) != 1:
                    continue
                a, b = first[differ[0]], second[differ[0]]
                if not (a.is_category and b.is_category and a.column == b.column):
                    continue
                levels = context.levels(a.column)
                allowed = _allowed(a, levels) | _allowed(b, levels)
                rest = [*first[: differ[0]], *first[differ[0] + 1 :]]
                if allowed != levels or a.column not in context.complete:
                    rest.insert(differ[0], _categories(a.column, allowed, levels, a.fill))
                paths[i] = (segment, tuple(rest))
                del paths[j]
                joined = True
                break
            if joined:
                break
    return paths


def _conditions(steps: tuple[Step, ...], context: RuleColumns) -> tuple[Condition, ...]:
    """Step 4: a path's tests, the tightest per column, in the order first tested."""
    order: list[str] = []
    upper: dict[str, tuple[float, bool]] = {}  # threshold, strict ("<" rather than "<=")
    lower: dict[str, tuple[float, bool]] = {}  # threshold, strict (">" rather than ">=")
    chosen: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    for index, threshold, strict, went_left in steps:
        column = context.columns[index]
        if column.name not in order:
            order.append(column.name)
        if column.category is not None:
            # One-hot columns split at 0.5: left is "not this category".
            (excluded if went_left else chosen).setdefault(column.name, set()).add(column.category)
        elif went_left:
            bound = upper.get(column.name)
            if bound is None or (threshold, not strict) < (bound[0], not bound[1]):
                upper[column.name] = (threshold, strict)
        else:
            bound = lower.get(column.name)
            if bound is None or (threshold, not strict) > bound:
                lower[column.name] = (threshold, not strict)
    conditions: list[Condition] = []
    for name in order:
        reference, fill = context.references.get(name), context.fills.get(name)
        if name in chosen or name in excluded:
            levels = context.levels(name)
            allowed = chosen.get(name, levels) - excluded.get(name, set())
            if allowed != levels or name not in context.complete:
                conditions.append(_categories(name, allowed, levels, fill))
        # Dates read earliest first: a lower bound in days is an upper bound in dates.
        bounds: list[tuple[dict[str, tuple[float, bool]], Op, Op]] = [
            (lower, ">", ">="),
            (upper, "<", "<="),
        ]
        if reference is not None:
            bounds.reverse()
        for found, strict_op, loose_op in bounds:
            if name in found:
                threshold, strict = found[name]
                op = strict_op if strict else loose_op
                conditions.append(Condition(name, op, threshold, reference=reference, fill=fill))
    return tuple(conditions)


def measured_rules(
    root: Node,
    context: RuleColumns,
    data: pd.DataFrame | ColumnValues,
    labels: np.ndarray,
    rules: SegmentRules,
) -> SegmentRules:
    """Return ``rules`` with the paths of ``root``, counted and measured on ``data``."""
    data = column_values(data)  # each category column coded once for every path
    paths = []
    leaves = [(segment, _conditions(steps, context)) for segment, steps in leaf_steps(root)]
    for segment, conditions in _join_categories(leaves, context):
        if any(c.op == "in" and not c.categories for c in conditions):
            continue  # reached by missing categories only: no customer, and no valid SQL
        probe = RulePath(segment, conditions)
        covered = probe.holds(data)
        in_segment = int((labels[covered] == segment).sum())
        paths.append(
            dataclasses.replace(probe, customers=int(covered.sum()), in_segment=in_segment)
        )
    paths.sort(key=lambda p: (p.segment, -p.customers))
    found = dataclasses.replace(rules, paths=tuple(paths), n_customers=len(labels))
    agreement = float(np.mean(found.predict(data) == labels)) if len(labels) else 1.0
    return dataclasses.replace(found, agreement=agreement)
