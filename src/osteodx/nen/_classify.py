"""WHO classification and grading of a NEN, and the Ki-67 calculator.

Every threshold comes from ``data/grading.yaml``. The result carries the category, the rule
applied (id, a short sentence and its source), the measures with the band each fell in, and
warnings as data. Differentiation is the pathologist's call: numbers alone never make a NEC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from osteodx.nen._errors import NenInputError
from osteodx.nen._inputs import Component, NenPathology
from osteodx.nen._load import grading, name_key
from osteodx.nen._schema import Band, CategoryEntry, Family, Grade, RuleEntry, System
from osteodx.nen._vocab import site_entry

__all__ = [
    "Criterion",
    "Ki67Index",
    "NenClassification",
    "NenWarning",
    "SourcedText",
    "classify",
    "gep_band",
    "ki67_index",
]

_GRADE_ORDER: dict[str, int] = {"G1": 1, "G2": 2, "G3": 3}
NeStatus = Literal["confirmed", "not_established", "not_assessed"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NenWarning(_Result):
    """Something the reader of a result must know: a code, a sentence and its source."""

    code: str
    message: str
    source: str | None = None


class SourcedText(_Result):
    """A sentence and its citation."""

    text: str
    source: str | None
    unverified: bool = False


class Criterion(_Result):
    """One measure and the band it fell in (``grade`` None when the measure grades nothing)."""

    measure: str
    value: float | str
    band: str
    grade: Grade | None = None
    decisive: bool = False


class ComponentResult(_Result):
    """A component of a mixed tumour and, for a neuroendocrine one, its own classification."""

    kind: Literal["neuroendocrine", "non_neuroendocrine"]
    percent: float
    histology: str | None
    classification: NenClassification | None = None


class NenClassification(_Result):
    """The WHO category of a NEN with the rule that gave it.

    ``category`` is the display label ('NET G2', 'atypical carcinoid'), ``category_id`` its
    stable id, ``grade`` the G grade (None for NECs, MiNEN and when not determinable; typical
    and atypical carcinoid carry their WHO 2022 synonyms G1 and G2). ``rule`` is a short
    sentence, ``rule_id`` the declared rule and ``source`` its citation. ``convention`` is set
    when a convention rather than a WHO rule was applied (unknown primary).
    """

    category: str
    category_id: str
    family: Family
    grade: Grade | None
    site: str
    system: System
    system_name: str
    rule_id: str
    rule: str
    source: str | None
    convention: str | None = None
    convention_source: str | None = None
    criteria: tuple[Criterion, ...] = ()
    ne_differentiation: NeStatus = "not_assessed"
    components: tuple[ComponentResult, ...] = ()
    warnings: tuple[NenWarning, ...] = ()

    @property
    def is_nec(self) -> bool:
        return self.family == "NEC"


ComponentResult.model_rebuild()


class Ki67Index(_Result):
    """A Ki-67 index counted from cells, with the GEP band and counting warnings."""

    percent: float
    positive: int
    total: int
    minimum_cells: int
    enough_cells: bool
    gep_grade: Grade
    band: str
    source: str | None
    warnings: tuple[NenWarning, ...] = ()


# --- helpers ----------------------------------------------------------------------------------


def _rule(rule_id: str) -> RuleEntry:
    for r in grading().rules:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


def _category(category_id: str) -> CategoryEntry:
    for c in grading().categories:
        if c.id == category_id:
            return c
    raise KeyError(category_id)


def _fmt(x: float) -> str:
    return f"{x:g}"


def band_text(band: Band, previous: Band | None, unit: str, name: str) -> str:
    """'Ki-67 < 3 %', '3 <= Ki-67 <= 20 %', 'Ki-67 > 20 %' from the declared bands."""
    lower = None
    lower_strict = False
    if previous is not None:
        if previous.below is not None:
            lower, lower_strict = previous.below, False
        elif previous.max is not None:
            lower, lower_strict = previous.max, True
    if band.below is None and band.max is None:
        op = ">" if lower_strict else ">="
        return f"{name} {op} {_fmt(lower or 0)}{unit}"
    upper_op, upper = ("<", band.below) if band.below is not None else ("<=", band.max)
    assert upper is not None
    if lower is None:
        return f"{name} {upper_op} {_fmt(upper)}{unit}"
    low_op = "<" if lower_strict else "<="
    return f"{_fmt(lower)} {low_op} {name} {upper_op} {_fmt(upper)}{unit}"


def _in_band(value: float, band: Band) -> bool:
    if band.below is not None:
        return value < band.below
    if band.max is not None:
        return value <= band.max
    return True


def gep_band(measure: Literal["ki67_percent", "mitoses_per_2mm2"], value: float) -> Criterion:
    """The GEP (WHO 2019) grade band of one measure."""
    bands = getattr(grading().gep, measure)
    unit, name = (" %", "Ki-67") if measure == "ki67_percent" else (" per 2 mm²", "mitoses")
    previous: Band | None = None
    for band in bands:
        if _in_band(value, band):
            return Criterion(
                measure=measure,
                value=value,
                band=band_text(band, previous, unit, name),
                grade=band.grade,
            )
        previous = band
    raise AssertionError("the last band is open")  # pragma: no cover


class _Builder:
    """Collects warnings and builds the result; one per classify() call."""

    def __init__(self, pathology: NenPathology) -> None:
        self.p = pathology
        self.site = site_entry(pathology.site)
        self.warnings: list[NenWarning] = []
        self.criteria: list[Criterion] = []

    def warn(self, code: str, message: str, source: str | None = None) -> None:
        if all(w.code != code for w in self.warnings):
            self.warnings.append(NenWarning(code=code, message=message, source=source))

    def system_name(self) -> str:
        g = grading()
        if self.site.system == "gep":
            return g.gep.name
        if self.site.system == "thoracic":
            return g.thoracic.name
        return "no implemented WHO grading for this organ system"

    def result(
        self,
        category_id: str,
        rule_id: str,
        detail: str = "",
        *,
        label: str | None = None,
        grade: Grade | None = None,
        ne: NeStatus = "not_assessed",
        components: tuple[ComponentResult, ...] = (),
    ) -> NenClassification:
        cat = _category(category_id)
        rule = _rule(rule_id)
        convention = convention_source = None
        if (
            self.p.site == "unknown"
            and cat.family in ("NET", "undetermined")
            and rule_id.startswith(("gep_", "proliferation_", "no_proliferation"))
        ):
            conv = _rule("gep_unknown_primary_convention")
            convention, convention_source = conv.statement, conv.source
        text = rule.statement if not detail else f"{rule.statement} {detail}"
        return NenClassification(
            category=label or cat.label,
            category_id=cat.id,
            family=cat.family,
            grade=grade if grade is not None else cat.grade,
            site=self.p.site,
            system=self.site.system,
            system_name=self.system_name(),
            rule_id=rule.id,
            rule=text,
            source=rule.source,
            convention=convention,
            convention_source=convention_source,
            criteria=tuple(self.criteria),
            ne_differentiation=ne,
            components=components,
            warnings=tuple(self.warnings),
        )


def _ne_status(p: NenPathology) -> NeStatus:
    conf = grading().ne_confirmation
    tested = [(m, p.marker(m)) for m in conf.confirming_markers]
    if any(s in ("pos", "focal") for _, s in tested):
        return "confirmed"
    if any(s == "neg" for _, s in tested):
        return "not_established"
    return "not_assessed"


def _renamed(p: NenPathology) -> str | None:
    if not p.diagnosis_term:
        return None
    key = name_key(p.diagnosis_term)
    for term in grading().renamed_terms:
        if key in {name_key(t) for t in (term.term, *term.aliases)}:
            return term.category
    return None


# --- GEP (and unknown / other organ systems) --------------------------------------------------


def _proliferation(b: _Builder) -> tuple[Grade | None, str, str]:
    """Grade from Ki-67 and mitoses with the WHO 2019 bands; (grade, rule id, detail)."""
    p = b.p
    parts: list[Criterion] = []
    if p.ki67_percent is not None:
        parts.append(gep_band("ki67_percent", p.ki67_percent))
    if p.mitoses_per_2mm2 is not None:
        parts.append(gep_band("mitoses_per_2mm2", p.mitoses_per_2mm2))
    if not parts:
        return None, "no_proliferation_data", ""
    final = max((c.grade for c in parts if c.grade), key=lambda g: _GRADE_ORDER[g])
    for c in parts:
        b.criteria.append(c.model_copy(update={"decisive": c.grade == final}))
    detail = "; ".join(f"{_measure_text(c)} -> {c.grade}" for c in parts) + "."
    if len(parts) == 1:
        rule_id = "gep_grade_single_measure"
    elif parts[0].grade == parts[1].grade:
        rule_id = "gep_grade_concordant"
    else:
        rule_id = "gep_grade_discordant_higher"
    _near_cutoff(b)
    return final, rule_id, detail


def _measure_text(c: Criterion) -> str:
    if c.measure == "ki67_percent":
        return f"Ki-67 {_fmt(float(c.value))} % ({c.band})"
    return f"{_fmt(float(c.value))} mitoses per 2 mm² ({c.band})"


def _near_cutoff(b: _Builder) -> None:
    g = grading()
    ki = b.p.ki67_percent
    if ki is None:
        return
    margin = g.ki67_count.near_cutoff_margin_percent.value
    bounds = [x.below if x.below is not None else x.max for x in g.gep.ki67_percent[:-1]]
    for bound in bounds:
        if bound is not None and abs(ki - bound) <= margin:
            b.warn(
                "ki67_near_cutoff",
                f"Ki-67 {_fmt(ki)} % is within {_fmt(margin)} point(s) of the {_fmt(bound)} % "
                f"cut-off: count at least {_fmt(g.ki67_count.minimum_cells.value)} tumour cells "
                "in the hot spot manually (e.g. on a printed image).",
                g.ki67_count.minimum_cells.source,
            )


def _classify_gep(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    g = grading()
    if p.differentiation == "poor":
        return _nec(b, ne)
    grade, rule_id, detail = _proliferation(b)
    if b.site.system == "other":
        if grade is not None and p.differentiation is None and grade == "G3":
            return b.result(
                "high_grade_undetermined", "proliferation_without_differentiation", ne=ne
            )
        if grade is not None:
            b.warn(
                "gep_thresholds_orientation_only",
                f"With the GEP thresholds this would be {grade} ({detail.rstrip('.')}); "
                "for orientation only, the organ's own cut-offs are not implemented.",
                g.gep.source,
            )
        return b.result("net_ungraded", "other_system_not_graded", ne=ne)
    if grade is None:
        b.warn(
            "no_proliferation_data",
            "Give the Ki-67 index (hot spot, >= 500 cells) and/or the mitotic count per 2 mm².",
            g.ki67_count.minimum_cells.source,
        )
        return b.result("net_ungraded", "no_proliferation_data", ne=ne)
    if p.differentiation is None:
        if grade == "G3":
            return b.result(
                "high_grade_undetermined", "proliferation_without_differentiation", ne=ne
            )
        b.warn(
            "differentiation_not_given",
            "Differentiation was not given; values in the G1/G2 range are a NET by definition "
            "(NECs have Ki-67 and mitoses > 20), but confirm well-differentiated morphology.",
            g.gep.source,
        )
    return b.result(f"net_{grade.lower()}", rule_id, detail, ne=ne)


def _nec(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    g = grading()
    limit = g.gep.nec_typical_above.value
    for measure, value in (
        ("ki67_percent", p.ki67_percent),
        ("mitoses_per_2mm2", p.mitoses_per_2mm2),
    ):
        if value is None:
            continue
        unit = " %" if measure == "ki67_percent" else " per 2 mm²"
        name = "Ki-67" if measure == "ki67_percent" else "mitoses"
        band = (
            f"{name} > {_fmt(limit)}{unit} (NEC range)"
            if value > limit
            else (f"{name} <= {_fmt(limit)}{unit} (below the usual NEC range)")
        )
        b.criteria.append(Criterion(measure=measure, value=value, band=band))
        if value <= limit:
            b.warn(
                f"nec_low_{measure}",
                f"{name} {_fmt(value)}{unit} is below the usual NEC range (> {_fmt(limit)}); "
                "morphology defines a NEC, but if it is uncertain consider DAXX/ATRX and p53/Rb "
                "immunohistochemistry (NET G3 vs NEC).",
                "PMC7141760",
            )
    b.criteria.append(
        Criterion(
            measure="differentiation", value="poor", band="poorly differentiated", decisive=True
        )
    )
    if p.morphology == "small_cell":
        return b.result("nec_small_cell", "differentiation_first_nec", ne=ne)
    if p.morphology == "large_cell":
        return b.result("nec_large_cell", "differentiation_first_nec", ne=ne)
    b.warn("nec_type_not_given", "Small vs large cell type was not given.")
    return b.result("nec", "differentiation_first_nec", ne=ne)


# --- lung and thymus -------------------------------------------------------------------------


def _classify_thoracic(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    t = grading().thoracic
    tc_below = t.typical_mitoses_below.value
    ac_max = t.atypical_mitoses_max.value
    mit = p.mitoses_per_2mm2
    carcinoma_mitoses = mit is not None and mit > ac_max
    if mit is not None:
        if mit < tc_below:
            band = f"mitoses < {_fmt(tc_below)} per 2 mm²"
        elif mit <= ac_max:
            band = f"{_fmt(tc_below)} <= mitoses <= {_fmt(ac_max)} per 2 mm²"
        else:
            band = f"mitoses > {_fmt(ac_max)} per 2 mm² (carcinoma range)"
        b.criteria.append(Criterion(measure="mitoses_per_2mm2", value=mit, band=band))
    if p.necrosis is not None:
        b.criteria.append(Criterion(measure="necrosis", value=p.necrosis, band=p.necrosis))
    if p.ki67_percent is not None:
        b.criteria.append(
            Criterion(
                measure="ki67_percent",
                value=p.ki67_percent,
                band="not a WHO thoracic criterion",
            )
        )

    if p.differentiation == "poor":
        return _thoracic_carcinoma(b, ne, stated=True)
    if carcinoma_mitoses:
        if p.morphology is None and p.differentiation == "well":
            _flag_ki67(b)
            return b.result("carcinoid_high_mitoses", "thoracic_carcinoid_high_mitoses", ne=ne)
        return _thoracic_carcinoma(b, ne, stated=False)

    if p.morphology is not None and p.differentiation is None:
        if mit is None:
            return _crushed_or_undetermined(b, ne)
        b.warn(
            "cytology_without_carcinoma_mitoses",
            f"{p.morphology.replace('_', ' ')} cytology was reported but mitoses are "
            f"<= {_fmt(ac_max)} per 2 mm²: the WHO criteria for SCLC/LCNEC are not met; "
            "classified by the carcinoid criteria - review the morphology.",
            t.atypical_mitoses_max.source,
        )
    if p.differentiation is None:
        b.warn(
            "carcinoid_morphology_assumed",
            "Differentiation was not given; carcinoid (well-differentiated) morphology is assumed.",
            t.source,
        )
    return _carcinoid(b, ne)


def _carcinoid(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    t = grading().thoracic
    mit = p.mitoses_per_2mm2
    tc_below = t.typical_mitoses_below.value
    necrotic = p.necrosis in ("focal", "extensive")
    if p.necrosis == "extensive":
        b.warn(
            "extensive_necrosis_in_carcinoid",
            "Extensive necrosis is unusual in a carcinoid (usually focal/punctate); "
            "review for LCNEC.",
            t.source,
        )
    _flag_ki67(b)
    if mit is None:
        if necrotic:
            _decisive(b, "necrosis")
            return b.result("atypical_carcinoid", "thoracic_atypical_necrosis", ne=ne)
        return _crushed_or_undetermined(b, ne)
    if mit >= tc_below:
        _decisive(b, "mitoses_per_2mm2")
        return b.result(
            "atypical_carcinoid",
            "thoracic_atypical_mitoses",
            f"Mitoses {_fmt(mit)} per 2 mm².",
            ne=ne,
        )
    if necrotic:
        _decisive(b, "necrosis")
        return b.result("atypical_carcinoid", "thoracic_atypical_necrosis", ne=ne)
    if p.necrosis is None:
        b.warn(
            "necrosis_not_reported",
            "Report necrosis (absent, focal or extensive) to separate typical from "
            "atypical carcinoid.",
        )
        return b.result("carcinoid_tc_ac_undetermined", "thoracic_necrosis_unknown", ne=ne)
    _decisive(b, "mitoses_per_2mm2")
    _decisive(b, "necrosis")
    if p.size_mm is not None:
        b.criteria.append(
            Criterion(measure="size_mm", value=p.size_mm, band=f"{_fmt(p.size_mm)} mm")
        )
        if p.size_mm < t.tumorlet_size_below_mm.value:
            _decisive(b, "size_mm")
            return b.result("tumorlet", "thoracic_tumorlet", ne=ne)
    else:
        b.warn(
            "size_not_given",
            f"Size not given: a lesion under {_fmt(t.tumorlet_size_below_mm.value)} mm "
            "would be a tumorlet.",
            t.tumorlet_size_below_mm.source,
        )
    return b.result("typical_carcinoid", "thoracic_typical", ne=ne)


def _crushed_or_undetermined(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    t = grading().thoracic
    cutoff = t.crushed_biopsy_carcinoid_ki67_below
    small_sample = p.crush_artefact or p.specimen in ("biopsy", "cytology")
    if (
        p.ki67_percent is not None
        and p.ki67_percent < cutoff.value
        and (small_sample or p.differentiation is None)
    ):
        b.warn(
            "ki67_cutoff_is_research",
            f"Ki-67 {_fmt(p.ki67_percent)} % < {_fmt(cutoff.value)} % separates a carcinoid from "
            "SCLC here; the cut-off is a research proposal (Rindi 2014), not a WHO criterion.",
            cutoff.source,
        )
        _decisive(b, "ki67_percent")
        return b.result("carcinoid_tc_ac_undetermined", "thoracic_crushed_biopsy_ki67", ne=ne)
    if p.differentiation == "well":
        b.warn(
            "mitoses_not_given",
            "Count mitoses per 2 mm² (and report necrosis) to separate typical from "
            "atypical carcinoid.",
        )
        return b.result("carcinoid_tc_ac_undetermined", "thoracic_no_data", ne=ne)
    return b.result("undetermined", "thoracic_no_data", ne=ne)


def _thoracic_carcinoma(b: _Builder, ne: NeStatus, *, stated: bool) -> NenClassification:
    p = b.p
    t = grading().thoracic
    mit = p.mitoses_per_2mm2
    ac_max = t.atypical_mitoses_max.value
    if stated and mit is not None and mit <= ac_max:
        b.warn(
            "carcinoma_with_low_mitoses",
            f"Poorly differentiated, but {_fmt(mit)} mitoses per 2 mm² is not above "
            f"{_fmt(ac_max)}: the WHO thoracic criteria for SCLC/LCNEC need > 10; review.",
            t.atypical_mitoses_max.source,
        )
    if not stated and p.differentiation is None and p.morphology is None:
        b.warn(
            "carcinoma_by_mitoses_only",
            "More than 10 mitoses per 2 mm² is the WHO carcinoma threshold, but carcinoids "
            "(mostly metastases) can exceed it; the morphology decides.",
            "DOI:10.1038/s41379-019-0248-2",
        )
    if mit is not None and mit > ac_max:
        _decisive(b, "mitoses_per_2mm2")
    if p.morphology == "small_cell":
        if (
            p.ki67_percent is not None
            and p.ki67_percent < t.crushed_biopsy_carcinoid_ki67_below.value
        ):
            b.warn(
                "low_ki67_for_sclc",
                f"Ki-67 {_fmt(p.ki67_percent)} % is low for SCLC; in a crushed biopsy consider a "
                "carcinoid.",
                "https://old.pathologica.it/article/view/542",
            )
        return b.result("sclc", "thoracic_carcinoma_small", ne=ne)
    if p.morphology == "large_cell":
        if ne == "not_assessed":
            b.warn(
                "lcnec_needs_ne_marker",
                "LCNEC requires at least one positive NE marker (synaptophysin, chromogranin A, "
                "INSM1); none was given.",
                "DOI:10.1038/s41379-019-0248-2",
            )
        return b.result("lcnec", "thoracic_carcinoma_large", ne=ne)
    return b.result("thoracic_nec", "thoracic_carcinoma_unspecified", ne=ne)


def _flag_ki67(b: _Builder) -> None:
    t = grading().thoracic
    ki = b.p.ki67_percent
    if ki is not None and ki > t.ki67_flag_above.value:
        b.warn(
            "elevated_ki67",
            f"Ki-67 {_fmt(ki)} % is discordant with a carcinoid (above "
            f"{_fmt(t.ki67_flag_above.value)} %): not a WHO thoracic criterion, but such "
            "tumours overlap with atypical carcinoid and LCNEC; review the morphology and "
            "count mitoses (and necrosis) on more tissue before accepting the class.",
            t.ki67_flag_above.source,
        )


def _decisive(b: _Builder, measure: str) -> None:
    b.criteria = [
        c.model_copy(update={"decisive": True}) if c.measure == measure else c for c in b.criteria
    ]


# --- mixed tumours -----------------------------------------------------------------------------


def _component_pathology(parent: NenPathology, c: Component) -> NenPathology:
    return NenPathology(
        site=parent.site,
        differentiation=c.differentiation,
        morphology=c.morphology,
        ki67_percent=c.ki67_percent,
        mitoses_per_2mm2=c.mitoses_per_2mm2,
        markers=parent.markers,
    )


def _classify_mixed(b: _Builder, ne: NeStatus) -> NenClassification:
    p = b.p
    threshold = grading().minen.component_min_percent.value
    nes = [c for c in p.components if c.kind == "neuroendocrine"]
    nons = [c for c in p.components if c.kind == "non_neuroendocrine"]
    ne_pct = sum(c.percent for c in nes)
    non_pct = sum(c.percent for c in nons)

    def results() -> tuple[ComponentResult, ...]:
        out = []
        for c in p.components:
            cls = classify(_component_pathology(p, c)) if c.kind == "neuroendocrine" else None
            out.append(
                ComponentResult(
                    kind=c.kind, percent=c.percent, histology=c.histology, classification=cls
                )
            )
        return tuple(out)

    b.criteria.append(
        Criterion(
            measure="neuroendocrine_percent",
            value=ne_pct,
            band=f">= {_fmt(threshold)} %" if ne_pct >= threshold else f"< {_fmt(threshold)} %",
        )
    )
    b.criteria.append(
        Criterion(
            measure="non_neuroendocrine_percent",
            value=non_pct,
            band=f">= {_fmt(threshold)} %" if non_pct >= threshold else f"< {_fmt(threshold)} %",
        )
    )
    if not nes:
        raise NenInputError(
            "components",
            "no neuroendocrine component was given",
            "describe the NE component (kind: neuroendocrine) or leave components empty",
        )
    if b.site.system == "thoracic" and nons and any(c.morphology == "small_cell" for c in nes):
        return b.result("combined_sclc", "combined_sclc", ne=ne, components=results())
    if ne_pct >= threshold and non_pct >= threshold:
        names = " + ".join(_component_name(r) for r in results())
        if b.site.system == "thoracic":
            b.warn(
                "thoracic_mixed",
                "Lung/thymus: the combined-LCNEC percentage rule is unverified here; MiNEN is the "
                "digestive-system term.",
                "https://breathe.ersjournals.com/",
            )
        return b.result(
            "minen",
            "minen_both_components",
            f"Components: {names}.",
            label=f"MiNEN ({names})",
            ne=ne,
            components=results(),
        )
    if ne_pct < threshold and nons:
        dominant = max(nons, key=lambda c: c.percent)
        name = dominant.histology or "non-neuroendocrine carcinoma"
        return b.result(
            "non_nen_minor_ne",
            "minen_minor_ne_component",
            f"NE component {_fmt(ne_pct)} %.",
            label=f"{name[0].upper()}{name[1:]} "
            f"(minor NE component of {_fmt(ne_pct)} % noted), not MiNEN",
            ne=ne,
            components=results(),
        )
    # The non-NE part is minor (or absent): classify the NE tumour itself.
    main = max(nes, key=lambda c: c.percent)
    merged = p.model_copy(
        update={
            "components": (),
            "differentiation": p.differentiation or main.differentiation,
            "morphology": p.morphology or main.morphology,
            "ki67_percent": p.ki67_percent if p.ki67_percent is not None else main.ki67_percent,
            "mitoses_per_2mm2": p.mitoses_per_2mm2
            if p.mitoses_per_2mm2 is not None
            else main.mitoses_per_2mm2,
        }
    )
    inner = classify(merged)
    minor = _rule("minen_minor_non_ne_component")
    extra = NenWarning(
        code="minor_non_ne_component",
        message=f"{minor.statement} Non-NE component {_fmt(non_pct)} %.",
        source=minor.source,
    )
    return inner.model_copy(update={"warnings": (*inner.warnings, extra), "components": results()})


def _component_name(r: ComponentResult) -> str:
    if r.classification is not None:
        return f"{r.classification.category} {_fmt(r.percent)} %"
    return f"{r.histology or 'non-neuroendocrine component'} {_fmt(r.percent)} %"


# --- public API ------------------------------------------------------------------------------


def classify(pathology: NenPathology) -> NenClassification:
    """The WHO category of a NEN, with the rule applied, its source and warnings.

    >>> classify(NenPathology(site="ileum", differentiation="well", ki67_percent=10,
    ...                       mitoses_per_2mm2=3)).category
    'NET G2'
    """
    b = _Builder(pathology)
    renamed = _renamed(pathology)
    if renamed is not None:
        return b.result(renamed, "renamed_goblet_cell")
    ne = _ne_status(pathology)
    if ne == "not_established":
        conf = grading().ne_confirmation
        if any(pathology.marker(m) in ("pos", "focal") for m in conf.non_specific_markers):
            b.warn(
                "cd56_only",
                "CD56 is positive but not specific for NE differentiation.",
                conf.source,
            )
        return b.result("ne_not_established", "ne_not_established", ne=ne)
    if ne == "not_assessed" and not pathology.components:
        b.warn(
            "ne_markers_not_given",
            "No NE marker result was given; the classification assumes NE differentiation is "
            "confirmed (NE morphology with synaptophysin, chromogranin A or INSM1).",
            grading().ne_confirmation.source,
        )
    if pathology.unrecognised_markers:
        b.warn(
            "unrecognised_markers",
            f"Markers not used: {', '.join(pathology.unrecognised_markers)}.",
        )
    if pathology.components:
        return _classify_mixed(b, ne)
    if b.site.system == "thoracic":
        return _classify_thoracic(b, ne)
    return _classify_gep(b, ne)


def ki67_index(positive: int, total: int) -> Ki67Index:
    """Ki-67 index from counted cells, warning when fewer cells were counted than required.

    >>> ki67_index(50, 500).percent, ki67_index(50, 500).gep_grade
    (10.0, 'G2')
    """
    _check_count("positive", positive)
    _check_count("total", total)
    if total == 0:
        raise NenInputError(
            "total", "no cells were counted (0)", "give the number of tumour cells counted (> 0)"
        )
    if positive > total:
        raise NenInputError(
            "positive",
            f"{positive} positive cells is more than the {total} counted",
            "give positive <= total (total = all tumour cells counted, positive or not)",
        )
    g = grading().ki67_count
    minimum = int(g.minimum_cells.value)
    percent = 100.0 * positive / total
    crit = gep_band("ki67_percent", percent)
    warnings: list[NenWarning] = []
    if total < minimum:
        warnings.append(
            NenWarning(
                code="too_few_cells",
                message=f"Only {total} cells were counted; WHO 2019 requires at least {minimum} "
                "tumour cells in the hot spot "
                f"(older datasets {_fmt(g.older_dataset_cells.value)}). "
                "If fewer are available, report that the index is based on fewer cells.",
                source=g.minimum_cells.source,
            )
        )
    margin = g.near_cutoff_margin_percent.value
    for band in grading().gep.ki67_percent[:-1]:
        bound = band.below if band.below is not None else band.max
        if bound is not None and abs(percent - bound) <= margin:
            warnings.append(
                NenWarning(
                    code="ki67_near_cutoff",
                    message=f"{percent:.1f} % is within {_fmt(margin)} point(s) of the "
                    f"{_fmt(bound)} % cut-off: a manual count on a printed image of the hot spot "
                    "is recommended.",
                    source=g.near_cutoff_margin_percent.source,
                )
            )
    assert crit.grade is not None
    return Ki67Index(
        percent=percent,
        positive=positive,
        total=total,
        minimum_cells=minimum,
        enough_cells=total >= minimum,
        gep_grade=crit.grade,
        band=crit.band,
        source=g.minimum_cells.source,
        warnings=tuple(warnings),
    )


def _check_count(field: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NenInputError(
            field, f"{value!r} is not a whole number of cells", "give a whole number >= 0"
        )
    if value < 0:
        raise NenInputError(field, f"{value} is negative", "give a cell count >= 0")


def highest_grade(grades: Iterable[Grade]) -> Grade:
    """The highest of some G grades (the WHO discordance rule)."""
    return max(grades, key=lambda g: _GRADE_ORDER[g])
