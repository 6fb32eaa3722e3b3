"""Which value a neuroendocrine neoplasm takes in the primary-tumour items of the scores.

The mapping is a convention of this toolkit (no score was validated in NEN-only cohorts), read
from ``data/nen_conventions.yaml`` and returned with its wording and source so that every use
of it can be labelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from osteodx.bone._errors import BoneInputError
from osteodx.bone._load import nen_conventions, treatment_data

__all__ = ["NenItemValue", "nen_score_values"]

Family = Literal["NET", "NEC"]
Grade = Literal["G1", "G2", "G3"]


class NenItemValue(BaseModel):
    """The value of one score item for a NEN, or what is needed to choose it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    score: str
    item: str
    value: str | None
    needs: tuple[str, ...]
    convention: str | None
    source: str | None
    # A second reading the score's own table gives (value and what it is), or None.
    alternative: str | None = None
    alternative_text: str | None = None


def nen_score_values(
    family: Family,
    grade: Grade | None = None,
    site: str | None = None,
    *,
    switches: Iterable[str] = (),
) -> tuple[NenItemValue, ...]:
    """The conventional values of the primary-tumour items of Tokuhashi, Tomita, Katagiri, Bauer.

    ``family`` is NET (well differentiated, carcinoids included) or NEC; ``grade`` G1-G3 for a
    NET; ``site`` a primary-site id (``small_intestine``, ``lung``, ``unknown`` ...). A value
    that depends on a grade or site not given comes back as ``value=None`` with ``needs``.

    >>> [(v.score, v.value) for v in nen_score_values("NET", "G2", "unknown")][:3]
    [('tokuhashi', 'carcinoid'), ('tomita', 'slow'), ('katagiri', 'moderate')]
    """
    data = nen_conventions()
    if family not in ("NET", "NEC"):
        raise BoneInputError(
            "family", f"{family!r} is not NET or NEC", "use NET or NEC", ("NET", "NEC")
        )
    if grade is not None and grade not in ("G1", "G2", "G3"):
        raise BoneInputError(
            "grade", f"{grade!r} is not a grade", "use G1, G2 or G3", ("G1", "G2", "G3")
        )
    site_ids = tuple(s.id for s in treatment_data().sites)
    if site is not None and site not in site_ids:
        raise BoneInputError(
            "primary_site",
            f"{site!r} is not a known site",
            f"use one of: {', '.join(site_ids)}",
            site_ids,
        )
    on = set(switches)
    unknown = on - set(data.switches)
    if unknown:
        names = tuple(data.switches)
        raise BoneInputError(
            "switches",
            f"unknown switch {sorted(unknown)}",
            f"use one of: {', '.join(names)}",
            names,
        )
    pairs: list[tuple[str, str]] = []
    for rule in data.rules:
        if (rule.score, rule.item) not in pairs:
            pairs.append((rule.score, rule.item))
    out: list[NenItemValue] = []
    for score, item in pairs:
        needs: list[str] = []
        chosen = None
        for rule in data.rules:
            if (rule.score, rule.item) != (score, item) or rule.family != family:
                continue
            if rule.when is not None and rule.when not in on:
                continue
            if rule.grades:
                if grade is None:
                    needs.append("grade")
                    break
                if grade not in rule.grades:
                    continue
            if rule.sites:
                if site is None:
                    needs.append("primary_site")
                    break
                if site not in rule.sites:
                    continue
            chosen = rule
            break
        if chosen is None and not needs:
            needs.append("primary_site")
        out.append(
            NenItemValue(
                score=score,
                item=item,
                value=chosen.value if chosen else None,
                needs=tuple(needs),
                convention=chosen.text if chosen else None,
                source=chosen.source if chosen else None,
                alternative=chosen.alternative.value if chosen and chosen.alternative else None,
                alternative_text=chosen.alternative.text if chosen and chosen.alternative else None,
            )
        )
    return tuple(out)
