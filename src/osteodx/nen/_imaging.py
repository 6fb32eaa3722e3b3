"""Imaging and endoscopic work-up by grade/category (``data/imaging.yaml``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from osteodx.nen._classify import NenClassification, SourcedText
from osteodx.nen._errors import NenInputError
from osteodx.nen._load import grading, imaging, name_key
from osteodx.nen._schema import ImagingKey, Recommendation
from osteodx.nen._site import SitePosterior

__all__ = ["ImagingRecommendation", "imaging_key", "imaging_workup"]

_KEYS: dict[str, ImagingKey] = {
    "net_g1": "net_low",
    "typical_carcinoid": "net_low",
    "tumorlet": "net_low",
    "net_g2": "net_mid",
    "atypical_carcinoid": "net_mid",
    "carcinoid_tc_ac_undetermined": "net_mid",
    "net_ungraded": "net_mid",
    "net_g3": "net_high",
    "carcinoid_high_mitoses": "net_high",
    "nec_small_cell": "nec",
    "nec_large_cell": "nec",
    "nec": "nec",
    "lcnec": "nec",
    "sclc": "nec",
    "combined_sclc": "nec",
    "thoracic_nec": "nec",
    "high_grade_undetermined": "nec",
}
_SHORTHAND: dict[str, ImagingKey] = {
    "g1": "net_low",
    "g2": "net_mid",
    "g3": "net_high",
    "nec": "nec",
}
_ORDER = {"recommended": 0, "consider": 1, "not_recommended": 2}
_RANK: dict[ImagingKey, int] = {"net_low": 0, "net_mid": 1, "net_high": 2, "nec": 3}


class ImagingRecommendation(BaseModel):
    """One imaging or endoscopic test, how strongly it is suggested and why, with sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    modality: str
    purpose: str
    recommendation: Recommendation
    reason: str
    evidence: tuple[SourcedText, ...]
    source: str | None


def imaging_key(category: NenClassification | str) -> ImagingKey | None:
    """The imaging group of a classification (None for tumours that are not NENs)."""
    if isinstance(category, NenClassification):
        if category.category_id == "minen":
            present: list[ImagingKey] = []
            for comp in category.components:
                if comp.classification is not None:
                    k = imaging_key(comp.classification)
                    if k is not None:
                        present.append(k)
            if not present:
                return "nec"
            return max(present, key=lambda x: _RANK[x])
        return _KEYS.get(category.category_id)
    key = name_key(category)
    if key in _SHORTHAND:
        return _SHORTHAND[key]
    for c in grading().categories:
        if key in (name_key(c.id), name_key(c.label)):
            return _KEYS.get(c.id)
    accepted = ("G1", "G2", "G3", "NEC", *(c.id for c in grading().categories))
    raise NenInputError(
        "category",
        f"{category!r} is not a known grade or category",
        "give G1, G2, G3, NEC or a category id such as net_g2 or atypical_carcinoid",
        accepted,
    )


def imaging_workup(
    category: NenClassification | str,
    *,
    site_posterior: SitePosterior | None = None,
    bone_metastases: bool = False,
    unknown_primary: bool | None = None,
) -> tuple[ImagingRecommendation, ...]:
    """Imaging work-up for a grade or classification: SSTR PET/CT for NETs, FDG PET for G3/NEC.

    ``site_posterior`` makes site-directed tests (EUS, small-bowel endoscopy) depend on the
    candidate sites; ``unknown_primary`` defaults to the classification's site being unknown.

    >>> [r.id for r in imaging_workup("G3") if r.recommendation == "recommended"][:2]
    ['sstr_pet', 'fdg_pet']
    """
    key = imaging_key(category)
    if key is None:
        return ()
    if unknown_primary is None:
        unknown_primary = (
            category.site == "unknown" if isinstance(category, NenClassification) else True
        )
    data = imaging()
    threshold = data.settings.site_threshold.value
    out: list[ImagingRecommendation] = []
    for item in data.items:
        rec = item.applies.get(key)
        if rec is None:
            continue
        reason = f"{item.purpose} ({_group_text(key)})"
        if item.when is not None:
            w = item.when
            if w.unknown_primary and not unknown_primary:
                continue
            if w.bone_metastases and not bone_metastases:
                continue
            if w.sites:
                if site_posterior is not None:
                    hits = [
                        (s.site, s.probability)
                        for s in site_posterior.sites
                        if s.site in w.sites and s.probability >= threshold
                    ]
                    if not hits:
                        continue
                    reason = (
                        f"{item.purpose}: "
                        + ", ".join(f"{site} {p:.0%}" for site, p in hits)
                        + f" on the site model (threshold {threshold:.0%})"
                    )
                else:
                    reason = f"{item.purpose}, if {' or '.join(w.sites)} is a candidate site"
        out.append(
            ImagingRecommendation(
                id=item.id,
                modality=item.modality,
                purpose=item.purpose,
                recommendation=rec,
                reason=reason,
                evidence=tuple(
                    SourcedText(text=e.text, source=e.source, unverified=e.unverified)
                    for e in item.evidence
                ),
                source=item.source,
            )
        )
    out.sort(key=lambda r: _ORDER[r.recommendation])
    return tuple(out)


def _group_text(key: ImagingKey) -> str:
    texts: dict[ImagingKey, str] = {
        "net_low": "low-grade NET (G1 / typical carcinoid)",
        "net_mid": "intermediate-grade NET (G2 / atypical carcinoid)",
        "net_high": "high-grade NET (G3)",
        "nec": "neuroendocrine carcinoma or high-grade NEN",
    }
    return texts[key]
