"""Laboratory values: analyte lookup, unit conversion (pint) and reference ranges."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from osteodx.knowledge._schema import LabAnalyte, ReferenceRange

__all__ = ["Interpretation", "LabRegistry", "UnitError", "convert", "parse_value_with_unit"]


class UnitError(ValueError):
    """A unit that cannot be read or converted to the analyte's unit."""


# Spellings users and other tools write for the same UCUM unit.
_UNIT_SPELLINGS = {
    "iu/l": "U/L",
    "u/l": "U/L",
    "units/l": "U/L",
    "mcg/l": "ug/L",
    "µg/l": "ug/L",
    "μg/l": "ug/L",
    "mcg/dl": "ug/dL",
    "µg/dl": "ug/dL",
    "μg/dl": "ug/dL",
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "µkat/l": "ukat/L",
    "mg/24h": "mg/d",
    "mg/24 h": "mg/d",
    "mg/day": "mg/d",
    "mmol/24h": "mmol/d",
    "mmol/day": "mmol/d",
    "umol/24h": "umol/d",
    "µmol/24h": "umol/d",
    "mm/hr": "mm/h",
    "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "ml/min/1.73 m2": "mL/min/{1.73_m2}",
    "ml/min/{1.73_m2}": "mL/min/{1.73_m2}",
    "ml/min": "mL/min/{1.73_m2}",
}
_COUNT_UNITS = {
    "10*9/l": 1.0,
    "10^9/l": 1.0,
    "x10^9/l": 1.0,
    "x 10^9/l": 1.0,
    "10e9/l": 1.0,
    "g/l_cells": 1.0,
    "/nl": 1.0,
    "10*3/ul": 1.0,
    "10^3/ul": 1.0,
    "k/ul": 1.0,
    "/ul": 1e-3,
    "/mm3": 1e-3,
    "10*12/l": 1000.0,
    "10^12/l": 1000.0,
}
_PINT_NAMES = {"U/L": "U/L", "ukat/L": "ukat/L", "mL/min/{1.73_m2}": "mL/min", "%": "percent"}


def _canonical_spelling(unit: str) -> str:
    text = unit.strip().removeprefix("UCUM:").strip()
    return _UNIT_SPELLINGS.get(text.casefold(), text)


@cache
def _registry() -> Any:
    import pint  # imported on first conversion: it costs ~0.3 s at start-up

    ureg: Any = pint.UnitRegistry()
    return ureg


def convert(value: float, unit: str, target: str, molar_mass: float | None = None) -> float:
    """Convert ``value`` from ``unit`` to ``target``; mass<->amount needs ``molar_mass`` (g/mol)."""
    source_name = _canonical_spelling(unit)
    target_name = _canonical_spelling(target)
    if source_name == target_name:
        return value
    src_count = _COUNT_UNITS.get(source_name.casefold())
    dst_count = _COUNT_UNITS.get(target_name.casefold())
    if src_count is not None or dst_count is not None:
        if src_count is None or dst_count is None:
            raise UnitError(f"cannot convert {unit!r} to {target!r}")
        return value * src_count / dst_count
    ureg = _registry()
    try:
        quantity = ureg.Quantity(value, _PINT_NAMES.get(source_name, source_name))
        goal = ureg.Unit(_PINT_NAMES.get(target_name, target_name))
    except Exception as exc:  # pint raises several unrelated types for unreadable units
        raise UnitError(f"unit {unit!r} is not a recognised UCUM unit") from exc
    try:
        if quantity.dimensionality == goal.dimensionality:
            return float(quantity.to(goal).magnitude)
        if molar_mass:
            molar = ureg.Quantity(molar_mass, "g/mol")
            for candidate in (quantity * molar, quantity / molar):
                if candidate.dimensionality == goal.dimensionality:
                    return float(candidate.to(goal).magnitude)
    except Exception as exc:  # e.g. an offset unit (degC) times a molar mass
        raise UnitError(f"cannot convert {unit!r} to {target!r}") from exc
    raise UnitError(f"cannot convert {unit!r} to {target!r}")


_VALUE_WITH_UNIT = re.compile(
    r"^\s*(?P<value>[-+]?(?:\d+(?:[.,]\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S.*?)?\s*$"
)


def parse_value_with_unit(text: str) -> tuple[float, str | None]:
    """Read ``'350 U/L'`` into ``(350.0, 'U/L')``; the unit may be missing."""
    match = _VALUE_WITH_UNIT.match(text)
    if not match:
        raise UnitError(f"{text!r} is not a number followed by a unit (e.g. '350 U/L')")
    value = float(match.group("value").replace(",", "."))
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number")
    return value, match.group("unit")


def _normalise_name(name: str) -> str:
    """'Neuron-specific enolase', 'neuron_specific_enolase' and 'NEURON SPECIFIC ENOLASE' agree."""
    return re.sub(r"[\s_\-]+", " ", name.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Interpretation:
    flag: str
    low: float | None
    high: float | None
    source: str | None


class LabRegistry:
    """Finds analytes by key, alias, name or LOINC code, and interprets values."""

    def __init__(self, labs: tuple[LabAnalyte, ...]) -> None:
        self.labs = labs
        self._by_name: dict[str, LabAnalyte] = {}
        self._by_loinc: dict[str, LabAnalyte] = {}
        for lab in labs:
            for name in (lab.key, lab.name, *lab.aliases):
                self._by_name.setdefault(_normalise_name(name), lab)
            for code in lab.loinc:
                self._by_loinc[code.code] = lab

    def by_name(self, name: str) -> LabAnalyte | None:
        return self._by_name.get(_normalise_name(name))

    def by_loinc(self, code: str) -> LabAnalyte | None:
        return self._by_loinc.get(code.strip().removeprefix("LOINC:").strip())

    def names(self) -> list[str]:
        return sorted(lab.key for lab in self.labs)

    @staticmethod
    def reference_range(
        lab: LabAnalyte, sex: str, age_years: float | None
    ) -> ReferenceRange | None:
        candidates = [
            r
            for r in lab.reference_ranges
            if r.sex in (sex, "any") and (age_years is None or r.age_min <= age_years < r.age_max)
        ]
        if not candidates and age_years is None:
            return None
        if age_years is None:
            # Unknown age: take the adult range, the commonest situation.
            adult = [r for r in candidates if r.age_min <= 30 < r.age_max]
            candidates = adult or candidates
        # Prefer a sex-specific range over "any".
        candidates.sort(key=lambda r: r.sex == "any")
        return candidates[0] if candidates else None

    def interpret(
        self,
        lab: LabAnalyte,
        value: float,
        sex: str,
        age_years: float | None,
        own_range: tuple[float | None, float | None] | None = None,
    ) -> Interpretation:
        if own_range is not None and (own_range[0] is not None or own_range[1] is not None):
            low, high, source = own_range[0], own_range[1], "reference range given with the value"
        else:
            ref = self.reference_range(lab, sex, age_years)
            if ref is None:
                return Interpretation("unknown", None, None, None)
            low, high, source = ref.low, ref.high, ref.source
        if high is not None and value > high:
            return Interpretation("high", low, high, source)
        if low is not None and value < low:
            return Interpretation("low", low, high, source)
        return Interpretation("normal", low, high, source)
