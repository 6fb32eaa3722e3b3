"""The NEN and bone sections of an assessment, built from what the case carries.

``nen_section`` turns a case's pathology report, circulating markers and history into
:func:`osteodx.nen.nen_workup` inputs; ``bone_section`` fills score items and treatment-context
fields the case already answers (each listed as a :class:`~osteodx.bone.DerivedValue` with its
reason; a laboratory item by the cut-offs its score declaration lists) and evaluates the six
scores and the treatment options. Both return None when the case has neither pathology nor a
bone section: the differential alone is the assessment then.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from osteodx.case import Case, Measurement
from osteodx.knowledge._vocabulary import vocabulary

if TYPE_CHECKING:
    from osteodx.bone import BoneAssessment, DerivedValue, LabItemValue
    from osteodx.bone._engine import Value
    from osteodx.nen import CirculatingResult, NenWorkup

__all__ = ["bone_section", "nen_section"]


# The word lists below come from knowledge/data/vocabulary.yaml (reviewed with their basis).
def _circulating_labs() -> dict[str, str]:
    """Lab key (labs.yaml) -> circulating NEN marker id of osteodx.nen."""
    return vocabulary().circulating_labs.mapping


@cache
def _raised_terms() -> dict[str, str]:
    """The "raised" finding id of each circulating NEN marker's lab (labs.yaml) -> lab key."""
    from osteodx.knowledge import load_knowledge

    return {
        lab.high_term.id: lab.key
        for lab in load_knowledge().labs
        if lab.key in _circulating_labs() and lab.high_term is not None
    }


def _circulating(case: Case) -> list[CirculatingResult]:
    from osteodx.nen import CirculatingResult

    out: list[CirculatingResult] = []
    measured = set()
    for m in case.measurements:
        marker = _circulating_labs().get(m.analyte)
        if marker is None or marker in measured:
            continue
        measured.add(marker)
        out.append(
            CirculatingResult(
                marker=marker, value=m.value, unit=m.unit, upper_limit=m.reference_high
            )
        )
    # Without a number, a coded "raised NSE" (or its exclusion) still says raised or normal.
    terms = _raised_terms()
    for f in case.findings:
        key = terms.get(f.id)
        if key is None or _circulating_labs()[key] in measured:
            continue
        measured.add(_circulating_labs()[key])
        out.append(CirculatingResult(marker=_circulating_labs()[key], elevated=f.present))
    return out


def nen_section(case: Case) -> NenWorkup | None:
    """Classification, site of origin, work-up and circulating markers of the case's NEN."""
    if case.pathology is None:
        return None
    from osteodx.nen import nen_workup

    present = case.present_ids()
    confounders = vocabulary().marker_confounders.findings
    factors = sorted({c.confounder for c in confounders if c.finding in present})
    circulating = _circulating(case)
    clues: dict[str, str] = {}
    if case.sex.value in ("male", "female"):
        clues["sex"] = case.sex.value
    for r in circulating:
        # A raised urinary 5-HIAA points to a serotonin-secreting (mostly midgut) primary.
        if r.marker == "5hiaa":
            raised = r.elevated
            if raised is None and r.value is not None and r.upper_limit is not None:
                raised = r.value > r.upper_limit
            if raised is not None:
                clues["5hiaa"] = "raised" if raised else "normal"
    return nen_workup(
        case.pathology.pathology,
        clues=clues,
        metastases=case.pathology.metastases,
        circulating=circulating,
        factors=factors,
    )


def _lab(case: Case, key: str) -> Measurement | None:
    return next((m for m in case.measurements if m.analyte == key), None)


def _item_from_labs(case: Case, score: str, item: str) -> LabItemValue | None:
    """A score item from the case's measured labs, by the cut-offs its declaration lists.

    The cut-offs (e.g. Katagiri's laboratory item, bone/scores/katagiri.yaml) are declared in
    the canonical units of labs.yaml, the units a case holds its values in.
    """
    from osteodx.bone import item_from_labs, score_declaration

    rule = next(i for i in score_declaration(score).items if i.name == item).derive_from_labs
    if rule is None:
        return None
    measured: dict[str, float] = {}
    for m in case.measurements:
        if m.analyte in rule.labs:
            measured.setdefault(m.analyte, m.value)  # the first value of an analyte, as _lab
    return item_from_labs(rule, measured)


def bone_section(case: Case, nen: NenWorkup | None) -> BoneAssessment | None:
    """Scores and treatment options, or None when the case has no NEN and no bone section."""
    if nen is None and case.bone is None:
        return None
    from osteodx.bone import DerivedValue, assess_bone, nen_score_values

    items: list[tuple[DerivedValue, Value]] = []
    context: list[tuple[DerivedValue, Any]] = []
    alternatives: list[tuple[str, str, str]] = []
    present = case.present_ids()
    metastases = set(case.pathology.metastases) if case.pathology else set()

    if nen is not None:
        c = nen.classification
        family = c.family if c.family in ("NET", "NEC") else None
        site = nen.pathology.site
        if family is not None:
            context.append(
                (DerivedValue(target="context.family", value=family, reason=c.category), family)
            )
            for v in nen_score_values(family, c.grade, site if site != "other" else None):
                if v.value is not None:
                    d = DerivedValue(
                        target=f"{v.score}.{v.item}",
                        value=v.value,
                        reason=v.convention or "",
                        source=v.source,
                        convention=True,
                    )
                    items.append((d, v.value))
                if v.alternative is not None and v.alternative_text is not None:
                    alternatives.append((f"{v.score}.{v.item}", v.alternative, v.alternative_text))
        if c.grade is not None:
            context.append(
                (DerivedValue(target="context.grade", value=c.grade, reason=c.rule), c.grade)
            )
        ki67 = nen.pathology.ki67_percent
        if ki67 is not None:
            d = DerivedValue(target="context.ki67_percent", value=f"{ki67:g}", reason="pathology")
            context.append((d, ki67))
        context.append(
            (DerivedValue(target="context.primary_site", value=site, reason="pathology"), site)
        )
    if "bone" in metastases:
        context.append(
            (
                DerivedValue(
                    target="context.bone_metastases", value="yes", reason="pathology: metastases"
                ),
                True,
            )
        )
        multifocal = [
            f.label for f in vocabulary().multifocal_findings.findings if f.finding in present
        ]
        if multifocal:
            reason = f"bone metastases with {multifocal[0].lower()}"
            for target in ("tomita.bone", "katagiri.bone", "bauer.bone"):
                items.append(
                    (DerivedValue(target=target, value="multiple", reason=reason), "multiple")
                )
    visceral = sorted(metastases & vocabulary().visceral_sites.sites)
    if visceral:
        d = DerivedValue(
            target="bauer.visceral", value="present", reason=f"metastases: {', '.join(visceral)}"
        )
        items.append((d, "present"))
    if vocabulary().bone_pain.finding in present:
        d = DerivedValue(target="context.bone_pain", value="yes", reason="finding: Bone pain")
        context.append((d, True))

    lab = _item_from_labs(case, "katagiri", "lab")
    if lab is not None:
        reason = lab.reason + (
            "; the cut-offs are unverified against the paper" if lab.unverified else ""
        )
        d = DerivedValue(target="katagiri.lab", value=lab.value, reason=reason, source=lab.source)
        items.append((d, lab.value))
    bone_context = case.bone.context if case.bone else None
    if bone_context is not None and bone_context.ecog is not None:
        d = DerivedValue(
            target="katagiri.ecog", value=str(bone_context.ecog), reason="ECOG entered"
        )
        items.append((d, bone_context.ecog))
    if bone_context is not None and bone_context.prior_therapies is not None:
        chemo = (
            "yes"
            if set(bone_context.prior_therapies) & vocabulary().chemotherapy.therapies
            else "no"
        )
        d = DerivedValue(target="katagiri.chemo", value=chemo, reason="prior therapies entered")
        items.append((d, chemo))

    for key, field, label in (
        ("egfr", "egfr_ml_min", "eGFR"),
        ("haemoglobin", "haemoglobin_g_dl", "haemoglobin"),
        ("leukocytes", "leukocytes_10e9_l", "leucocytes"),
        ("platelets", "platelets_10e9_l", "platelets"),
    ):
        m = _lab(case, key)
        if m is not None:
            d = DerivedValue(
                target=f"context.{field}", value=f"{m.value:g} {m.unit}", reason=f"measured {label}"
            )
            context.append((d, m.value))
    calcium = _lab(case, "calcium")
    if calcium is not None and calcium.interpretation != "unknown":
        d = DerivedValue(
            target="context.calcium", value=calcium.interpretation, reason="measured calcium"
        )
        context.append((d, calcium.interpretation))
    elif {"HP:0003072", "HP:0002901"} <= case.excluded_ids():
        d = DerivedValue(
            target="context.calcium",
            value="normal",
            reason="hypercalcaemia and hypocalcaemia both excluded",
        )
        context.append((d, "normal"))
    elif "HP:0003072" in present:
        d = DerivedValue(target="context.calcium", value="high", reason="finding: Hypercalcemia")
        context.append((d, "high"))
    return assess_bone(case.bone, items, context, alternatives=alternatives)
