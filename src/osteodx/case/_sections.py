"""Optional case sections: NEN pathology, bone scores and treatment context, observed test results.

The case form writes them as ``pathology:``, ``bone:`` and ``results:``; a phenopacket carries
the pathology in ``biosamples``. The NEN and bone packages validate the values (imported only
when a case has such a section); their errors become issues naming the field in the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from osteodx.case._build import CaseBuilder
from osteodx.case._model import PathologyReport, TestResult
from osteodx.knowledge._vocabulary import vocabulary

__all__ = [
    "NEN_BIOPSY_RESULT",
    "read_biosamples",
    "read_bone_section",
    "read_pathology_section",
    "read_results_section",
]

# A NEN pathology report counts as this outcome of this work-up test (knowledge/data/tests.yaml).
NEN_BIOPSY_RESULT = ("bone_biopsy_ihc", "neuroendocrine")
# ... and replaces the history finding "known neuroendocrine neoplasm" (the same evidence).
NEN_HISTORY = "OSX:history_nen"
NEGATIVE_OUTCOME = "negative"


def _key(text: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower())


def _metastases(b: CaseBuilder, raw: object, loc: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        b.error(loc, "must be a list of sites", "write e.g. 'metastases: [bone, lymph_nodes]'")
        return ()
    out: list[str] = []
    for i, item in enumerate(items):
        aliases = vocabulary().metastasis_sites.aliases
        site = aliases.get(_key(item))
        if site is None:
            accepted = ", ".join(sorted(set(aliases.values())))
            b.error(f"{loc}[{i}]", f"unknown metastatic site {item!r}", f"use one of: {accepted}")
        elif site not in out:
            out.append(site)
    return tuple(out)


def _set_pathology(
    b: CaseBuilder,
    fields: Mapping[str, Any],
    loc: str,
    metastases: tuple[str, ...],
    reported_grade: str | None,
    strict: bool,
) -> None:
    from osteodx.nen import NenInputError, classify, pathology_from_mapping

    if b.pathology is not None:
        b.error(loc, "a second NEN pathology report", "give one pathology report per case")
        return
    try:
        pathology = pathology_from_mapping(fields, loc=loc, strict=strict)
    except NenInputError as exc:
        fix = exc.fix if not exc.accepted else f"{exc.fix} (accepted: {', '.join(exc.accepted)})"
        b.error(exc.field, exc.message, fix)
        return
    for name in pathology.unrecognised_markers:
        b.warn(f"{loc}.markers.{name}", "marker not known to osteodx; ignored", "check the name")
    b.pathology = PathologyReport(pathology, metastases, reported_grade, loc)
    ne = classify(pathology).ne_differentiation
    stated = pathology.differentiation is not None or pathology.diagnosis_term is not None
    if ne == "confirmed" or (ne == "not_assessed" and stated):
        add_test_result(
            b,
            *NEN_BIOPSY_RESULT,
            loc,
            evidence="neuroendocrine neoplasm on pathology",
            supersedes=(NEN_HISTORY,),
        )
    else:
        b.warn(
            loc,
            "neuroendocrine differentiation is not established (no positive synaptophysin, "
            "chromogranin A or INSM1 and no stated differentiation); the differential does not "
            "count this report",
            "add the neuroendocrine markers or the differentiation",
        )


def read_pathology_section(b: CaseBuilder, data: object, loc: str = "pathology") -> None:
    """The case form's ``pathology`` mapping (``osteodx.nen.pathology_from_mapping`` keys plus
    ``metastases: [bone, ...]`` and ``reported_grade``)."""
    if data is None:
        return
    if not isinstance(data, Mapping):
        b.error(
            loc,
            "must be a mapping",
            "write lines such as 'differentiation: well', 'ki67: 10', "
            "'markers: {synaptophysin: pos}'",
        )
        return
    fields = dict(data)
    for key in ("markers", "ihc"):
        if fields.get(key) is not None and not isinstance(fields[key], Mapping):
            b.error(
                f"{loc}.{key}",
                "must map marker names to results",
                "write e.g. 'markers: {synaptophysin: pos, TTF-1: neg}'",
            )
            return
    components = fields.get("components")
    if components is not None and not (
        isinstance(components, list) and all(isinstance(c, Mapping) for c in components)
    ):
        b.error(
            f"{loc}.components",
            "must be a list of components",
            "write e.g. 'components: [{kind: neuroendocrine, percent: 60}, ...]'",
        )
        return
    metastases = _metastases(b, fields.pop("metastases", []) or [], f"{loc}.metastases")
    reported = fields.pop("reported_grade", None)
    _set_pathology(b, fields, loc, metastases, None if reported is None else str(reported), True)


def read_bone_section(b: CaseBuilder, data: object, loc: str = "bone") -> None:
    """The case form's ``bone`` mapping: score items and treatment-context fields."""
    if data is None:
        return
    if not isinstance(data, Mapping):
        b.error(loc, "must be a mapping", "write e.g. 'mirels: {site: lower_limb, ...}'")
        return
    from osteodx.bone import BoneInputError, bone_inputs_from_mapping

    try:
        b.bone = bone_inputs_from_mapping(data, loc=loc)
    except BoneInputError as exc:
        fix = exc.fix if not exc.accepted else f"{exc.fix} (accepted: {', '.join(exc.accepted)})"
        b.error(exc.field, exc.message, fix)


def add_test_result(
    b: CaseBuilder,
    test_key: str,
    outcome: object,
    loc: str,
    evidence: str = "",
    supersedes: tuple[str, ...] = (),
) -> None:
    """Record an observed outcome (its id, 1-based number or 'negative') of a declared test."""
    tests = {t.key: t for t in b.ctx.knowledge.tests}
    test = tests.get(_key(test_key))
    if test is None:
        b.error(loc, f"unknown test {test_key!r}", f"use one of: {', '.join(sorted(tests))}")
        return
    names = [o.id or str(i + 1) for i, o in enumerate(test.outcomes)]
    text = _key(outcome)
    index: int | None = None
    if text == NEGATIVE_OUTCOME:
        index = len(test.outcomes)
    elif text in names:
        index = names.index(text)
    elif text.isdigit() and 1 <= int(text) <= len(test.outcomes):
        index = int(text) - 1
    if index is None:
        b.error(
            loc,
            f"unknown result {outcome!r} of {test.key}",
            f"use one of: {', '.join([*names, NEGATIVE_OUTCOME])}",
        )
        return
    if any(r.test == test.key for r in b.test_results):
        b.error(loc, f"a second result of {test.key}", "give each test's result once")
        return
    result = (
        test.outcomes[index].result if index < len(test.outcomes) else "negative / none of these"
    )
    b.test_results.append(TestResult(test.key, index, result, loc, evidence, supersedes))


def read_results_section(b: CaseBuilder, data: object, loc: str = "results") -> None:
    """The case form's ``results`` mapping: test key -> outcome id (see tests.yaml)."""
    if data is None:
        return
    if not isinstance(data, Mapping):
        b.error(loc, "must map test keys to results", "write e.g. 'dotatate_pet: sstr_avid'")
        return
    for key, value in data.items():
        add_test_result(b, str(key), value, f"{loc}.{key}")


def read_fhir_pathology(b: CaseBuilder, fields: dict[str, Any], text: str, loc: str) -> None:
    """A report from FHIR pathology Observations (Ki-67, IHC); the differentiation comes from
    the Bundle's texts (DiagnosticReport conclusions, Condition texts) when they name a NEN."""
    merged = dict(fields)
    merged.update(
        {k: v for k, v in _differentiation(text).items() if k in ("differentiation", "morphology")}
    )
    _set_pathology(b, merged, loc, (), None, strict=False)


# --- phenopacket biosamples ----------------------------------------------------------------------

# LOINC 29593-1: Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain (unit %).
_KI67_LOINC = "LOINC:29593-1"
_MARKER_RESULT = re.compile(
    r"^(?P<marker>.+?)\s*(?:[:=]\s*)?"
    r"(?P<status>positive|negative|focal(?:ly positive)?|pos|neg|\+|-)$",
    re.IGNORECASE,
)
_STATUS = {"positive": "pos", "pos": "pos", "+": "pos", "negative": "neg", "neg": "neg", "-": "neg"}
_GRADE = re.compile(r"\b(?:who\s+)?(?:grade\s*|g)([123])\b", re.IGNORECASE)


def _mapping(node: object) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def _items(node: object) -> list[Any]:
    return node if isinstance(node, list) else []


def _label(node: object) -> str:
    if isinstance(node, Mapping):
        return str(node.get("label") or node.get("id") or "")
    return ""


def _differentiation(text: str) -> dict[str, str]:
    low = text.lower()
    out: dict[str, str] = {}
    if "neuroendocrine" not in low and "carcinoid" not in low:
        return out
    if "carcinoid" in low or "well differentiated" in low or "well-differentiated" in low:
        out["differentiation"] = "well"
    elif "poorly differentiated" in low or "neuroendocrine carcinoma" in low:
        out["differentiation"] = "poor"
    elif "neuroendocrine tumor" in low or "neuroendocrine tumour" in low:
        out["differentiation"] = "well"
    if "small cell" in low:
        out["morphology"] = "small_cell"
    elif "large cell" in low:
        out["morphology"] = "large_cell"
    out["diagnosis"] = text
    return out


def _biosample_fields(b: CaseBuilder, sample: Mapping[str, Any], loc: str) -> dict[str, Any]:
    from osteodx.nen import canonical_marker

    fields: dict[str, Any] = {}
    diagnosis = _label(sample.get("histologicalDiagnosis"))
    fields.update(_differentiation(diagnosis))
    markers: dict[str, str] = {}
    for i, node in enumerate(_items(sample.get("diagnosticMarkers"))):
        m = _MARKER_RESULT.match(_label(node).strip())
        if m is None:
            continue
        name = m.group("marker").strip()
        status = _STATUS.get(m.group("status").lower(), "focal")
        if canonical_marker(name) is None:
            b.warn(f"{loc}.diagnosticMarkers[{i}]", f"marker {name!r} not known; ignored", "")
            continue
        markers[name] = status
    for i, node in enumerate(_items(sample.get("measurements"))):
        assay = _mapping(_mapping(node).get("assay"))
        code, name = str(assay.get("id", "")), str(assay.get("label", "")).lower()
        value = _mapping(_mapping(_mapping(node).get("value")).get("quantity")).get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        where = f"{loc}.measurements[{i}]"
        if code == _KI67_LOINC or "ki-67" in name or "ki67" in name or "mib-1" in name:
            fields["ki67"] = float(value)
        elif "mitos" in name or "mitotic" in name:
            fields["mitoses"] = float(value)
        else:
            b.warn(where, f"biosample measurement {code or name!r} is not used", "")
    if markers:
        fields["markers"] = markers
    return fields


def read_biosamples(b: CaseBuilder, biosamples: object, loc: str = "biosamples") -> None:
    """Read a NEN pathology report from a phenopacket's ``biosamples``.

    A biosample counts when its ``histologicalDiagnosis`` names a neuroendocrine neoplasm or
    carcinoid, or when its ``diagnosticMarkers`` include neuroendocrine markers ('Synaptophysin
    positive'). Ki-67 comes from a measurement with LOINC 29593-1 (or an assay labelled Ki-67 /
    MIB-1) in %; mitoses from an assay labelled mitoses per 2 mm²; ``tumorGrade`` is kept as
    the reported grade; ``sampledTissue`` and ``tumorProgression`` give the metastatic sites.
    Biosamples without neuroendocrine content are left alone.
    """
    if not isinstance(biosamples, list):
        if biosamples is not None:
            b.error(loc, "must be a list", "write biosamples as a JSON array")
        return
    for i, sample in enumerate(biosamples):
        where = f"{loc}[{i}]"
        if not isinstance(sample, Mapping):
            b.error(where, "a biosample must be an object", 'write {"id": ..., ...}')
            continue
        fields = _biosample_fields(b, sample, where)
        if "differentiation" not in fields and "markers" not in fields:
            continue
        from osteodx.nen import canonical_marker

        ne_markers = {"synaptophysin", "chromogranin_a", "insm1", "cd56"}
        named = {canonical_marker(str(k)) for k in fields.get("markers", {})}
        if "differentiation" not in fields and not (named & ne_markers):
            continue
        tissue = _key(_label(sample.get("sampledTissue")))
        metastases: list[str] = []
        for word, site in (("bone", "bone"), ("marrow", "bone"), ("lymph", "lymph_nodes")):
            if word in tissue and site not in metastases:
                metastases.append(site)
        if "liver" in tissue:
            metastases.append("liver")
        grade = _GRADE.search(_label(sample.get("tumorGrade")))
        if b.pathology is not None:
            # Several biopsies of the same tumour (e.g. bone and lymph node): one report.
            known = set(b.pathology.metastases)
            extra = tuple(s for s in metastases if s not in known)
            if extra:
                b.pathology = PathologyReport(
                    b.pathology.pathology,
                    b.pathology.metastases + extra,
                    b.pathology.reported_grade,
                    b.pathology.loc,
                )
            continue
        fields.setdefault("site", "unknown")
        _set_pathology(
            b,
            fields,
            where,
            tuple(metastases),
            f"G{grade.group(1)}" if grade else None,
            strict=False,
        )
