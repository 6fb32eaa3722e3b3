"""A score item decided by measured labs, from the cut-offs its declaration lists.

``item_from_labs(rule, measured)`` applies an item's ``derive_from_labs`` block (see
:class:`~osteodx.bone._schema.LabDerivation`) to lab values in the canonical units of
``labs.yaml``. It answers only when the labs decide: a missing value is never taken as normal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from osteodx.bone._schema import LabDerivation

__all__ = ["LabItemValue", "item_from_labs"]

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class LabItemValue(NamedTuple):
    """The value the labs give, why, and the sources of the cut-offs that decided it
    (``unverified`` when any of those cut-offs is marked unverified against its source)."""

    value: str
    reason: str
    source: str | None
    unverified: bool = False


def _sources(parts: list[str | None]) -> str | None:
    seen = dict.fromkeys(p.strip() for s in parts if s for p in s.split(";") if p.strip())
    return "; ".join(seen) or None


def item_from_labs(rule: LabDerivation, measured: Mapping[str, float]) -> LabItemValue | None:
    """The item's value from ``measured`` (lab key -> value in its canonical unit), or None.

    Levels are tried worst first: the first with a cut-off met wins; a level with no cut-off
    met but a lab not measured leaves the item open. With every lab measured and no cut-off
    met, the value is ``rule.otherwise``.
    """
    passed: list[str] = []
    for level in rule.levels:
        hits = [c for c in level.any_of if c.lab in measured and c.met(measured[c.lab])]
        if hits:
            names = ", ".join(c.lab for c in hits)
            reason = f"measured {names} beyond the {level.value} cut-off"
            if passed:
                reason += f"; no {' or '.join(passed)} value"
            unverified = any(c.unverified for c in hits)
            return LabItemValue(level.value, reason, _sources([c.source for c in hits]), unverified)
        if any(c.lab not in measured for c in level.any_of):
            return None  # a value of this level could still be missing
        passed.append(level.value)
    n = len(rule.labs)
    if n == 1:
        reason = f"{rule.labs[0]} measured and within the cut-offs"
    else:
        count = _WORDS[n] if n < len(_WORDS) else str(n)
        reason = f"all {count} laboratory values measured and within the cut-offs"
    used = [c for level in rule.levels for c in level.any_of]
    unverified = any(c.unverified for c in used)
    return LabItemValue(rule.otherwise, reason, _sources([c.source for c in used]), unverified)
