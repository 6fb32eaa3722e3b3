"""Comparable profiles of patients and their fixed-layout vectors.

A :class:`Profile` holds the features the similarity compares, normalised to the vocabularies of
``data/similarity.yaml``; ``None`` / empty means "not reported". A library record, a
:class:`~osteodx.case.Case` (plus optional pathology given as plain arguments) and an assessment
all become a profile, and a profile becomes one ``float32`` row (NaN = not reported) that is
stored with the record, so a query is array arithmetic over the stacked rows.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import numpy.typing as npt

from osteodx.case import Case, Sex
from osteodx.literature._config import Vocabulary, vocabularies
from osteodx.literature._errors import LibraryError
from osteodx.literature._record import (
    BONE_LESION_TYPES,
    GRADES,
    HISTOLOGY_FAMILIES,
    IHC_STATUSES,
    LibraryCase,
    histology_family,
)

__all__ = [
    "DISTRIBUTIONS",
    "Layout",
    "Profile",
    "encode",
    "layout",
    "profile_from_case",
    "profile_from_record",
]

DISTRIBUTIONS = ("diffuse", "multifocal", "single")
SEX_CODES = {"male": 0, "female": 1}
IHC_VALUES = {"pos": 1.0, "focal": 0.5, "neg": 0.0}

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Profile:
    """The compared features of one patient. Empty / None = not reported."""

    age: float | None = None
    sex: str | None = None
    bone_involved: bool | None = None
    lesion_type: str | None = None
    distribution: str | None = None
    bone_sites: frozenset[str] = frozenset()
    other_metastases: frozenset[str] = frozenset()
    primary_site: str | None = None
    histology: str | None = None
    grade: int | None = None
    ki67: float | None = None
    ihc: tuple[tuple[str, str], ...] = ()
    markers: tuple[tuple[str, bool], ...] = ()
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Layout:
    """Column positions of the stored vector."""

    bone_sites: tuple[str, ...]
    other_metastases: tuple[str, ...]
    ihc: tuple[str, ...]
    markers: tuple[str, ...]

    # fixed scalar columns
    AGE = 0
    SEX = 1
    BONE = 2
    LESION = 3
    DISTRIBUTION = 4
    PRIMARY = 5
    HISTOLOGY = 6
    GRADE = 7
    KI67 = 8
    SCALARS = 9

    @property
    def sites_slice(self) -> slice:
        return slice(self.SCALARS, self.SCALARS + len(self.bone_sites))

    @property
    def mets_slice(self) -> slice:
        start = self.sites_slice.stop
        return slice(start, start + len(self.other_metastases))

    @property
    def ihc_slice(self) -> slice:
        start = self.mets_slice.stop
        return slice(start, start + len(self.ihc))

    @property
    def markers_slice(self) -> slice:
        start = self.ihc_slice.stop
        return slice(start, start + len(self.markers))

    @property
    def width(self) -> int:
        return int(self.markers_slice.stop)


@cache
def layout() -> Layout:
    v = vocabularies()
    return Layout(
        v["bone_sites"].names, v["other_metastases"].names, v["ihc"].names, v["markers"].names
    )


def primary_code(site: str) -> float:
    """A stable integer code (exact in float32) for a primary site name."""
    return float(zlib.crc32(site.encode("utf-8")) % (1 << 24))


def encode(profile: Profile) -> FloatArray:
    """One row of the library matrix (NaN where the feature is not reported)."""
    lay = layout()
    row = np.full(lay.width, np.nan, dtype=np.float32)
    if profile.age is not None:
        row[lay.AGE] = profile.age
    if profile.sex is not None:
        row[lay.SEX] = SEX_CODES[profile.sex]
    if profile.bone_involved is not None:
        row[lay.BONE] = 1.0 if profile.bone_involved else 0.0
    if profile.lesion_type is not None:
        row[lay.LESION] = BONE_LESION_TYPES.index(profile.lesion_type)
    if profile.distribution is not None:
        row[lay.DISTRIBUTION] = DISTRIBUTIONS.index(profile.distribution)
    if profile.primary_site is not None:
        row[lay.PRIMARY] = primary_code(profile.primary_site)
    if profile.histology is not None:
        row[lay.HISTOLOGY] = HISTOLOGY_FAMILIES.index(profile.histology)
    if profile.grade is not None:
        row[lay.GRADE] = profile.grade
    if profile.ki67 is not None:
        row[lay.KI67] = profile.ki67
    if profile.bone_sites:
        block = row[lay.sites_slice]
        block[:] = 0.0
        for s in profile.bone_sites:
            block[lay.bone_sites.index(s)] = 1.0
    if profile.other_metastases:
        block = row[lay.mets_slice]
        block[:] = 0.0
        for s in profile.other_metastases:
            block[lay.other_metastases.index(s)] = 1.0
    ihc = row[lay.ihc_slice]
    for name, status in profile.ihc:
        ihc[lay.ihc.index(name)] = IHC_VALUES[status]
    markers = row[lay.markers_slice]
    for name, elevated in profile.markers:
        markers[lay.markers.index(name)] = 1.0 if elevated else 0.0
    return row


# --- library records ------------------------------------------------------------------------


def _canonical_set(vocab: Vocabulary, terms: Iterable[str]) -> frozenset[str]:
    return frozenset(c for t in terms if (c := vocab.canonical(t)) is not None)


def profile_from_record(record: LibraryCase) -> Profile:
    v = vocabularies()
    sites = _canonical_set(v["bone_sites"], record.bone_sites)
    raw = {s.lower() for s in record.bone_sites}
    distribution: str | None = None
    if "diffuse" in raw:
        distribution = "diffuse"
    elif "multiple" in raw or len(sites) >= 2:
        distribution = "multifocal"
    ihc: dict[str, str] = {}
    for name, status in record.ihc.items():
        canonical = v["ihc"].canonical(name)
        if canonical is not None and canonical not in ihc:
            ihc[canonical] = status
    markers: dict[str, bool] = {}
    for m in record.circulating_markers:
        canonical = v["markers"].canonical(m.name) or _first(v["markers"].find(m.name))
        if canonical is not None and m.elevated is not None and canonical not in markers:
            markers[canonical] = m.elevated
    text = record.presentation
    if record.symptoms:
        text = f"{text} Symptoms: {', '.join(record.symptoms)}."
    return Profile(
        age=record.age,
        sex=record.sex,
        bone_involved=record.bone_involved,
        lesion_type=record.bone_lesion_type,
        distribution=distribution,
        bone_sites=sites,
        other_metastases=_canonical_set(v["other_metastases"], record.other_metastases),
        primary_site=record.primary_site,
        histology=histology_family(record.histology),
        grade=int(record.grade[1]) if record.grade else None,
        ki67=record.ki67_percent,
        ihc=tuple(sorted(ihc.items())),
        markers=tuple(sorted(markers.items())),
        text=text.strip(),
    )


def _first(names: tuple[str, ...]) -> str | None:
    return names[0] if names else None


# --- a patient as read by osteodx.case --------------------------------------------------------

_SCLEROSIS_IDS = frozenset(
    {"HP:0011001", "HP:0005789", "HP:0005686", "HP:0004576", "HP:0100861", "OSX:ivory_vertebra"}
)
_LYSIS_IDS = frozenset({"HP:0002797"})
_MIXED_IDS = frozenset({"OSX:mixed_lytic_sclerotic"})
_DIFFUSE_IDS = frozenset({"HP:0005789", "OSX:superscan"})
_MULTIFOCAL_IDS = frozenset({"HP:0005686"})
_SINGLE_IDS = frozenset({"OSX:solitary_lesion"})
_SCLEROSIS_WORDS = re.compile(r"scleros|sclerotic|osteoblastic|bone mineral density|bone density")
_LYSIS_WORDS = re.compile(r"osteoly|lytic")
_BONE_LESION_WORDS = re.compile(r"scler|lytic|lesion|metasta|fracture|dense|endplate|ivory|bone")
_LESION_SENTENCE = re.compile(r"lesion|scler|metasta|lytic|blastic|bone")
_ELEVATED = re.compile(r"^(elevated|increased|raised|high)\b")
_HYPERCALCEMIA = "HP:0003072"


def _check_choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    if value is None:
        return None
    allowed_t = tuple(allowed)
    if value not in allowed_t:
        raise LibraryError(
            f"{name}: {value!r} is not accepted", f"use one of: {', '.join(allowed_t)}"
        )
    return value


def profile_from_case(
    case: Case,
    *,
    histology: str | None = None,
    grade: str | None = None,
    ki67_percent: float | None = None,
    ihc: Mapping[str, str] | None = None,
    markers: Mapping[str, bool] | None = None,
    primary_site: str | None = None,
    bone_lesion_type: str | None = None,
    bone_sites: Iterable[str] = (),
    other_metastases: Iterable[str] = (),
) -> Profile:
    """A profile from an osteodx :class:`Case`; pathology and sites may be given as plain values.

    The case gives age, sex, the bone lesion type (sclerosis / osteolysis findings), the
    distribution (generalised / patchy / solitary findings, or the description's words), bone
    sites named in lesion findings and circulating markers (``Elevated circulating ...``
    findings and measurements). Keyword arguments add what the case model does not hold:
    histology (``NET``...), grade (``G1``-``G3``), Ki-67 %, IHC (marker -> ``pos``/``neg``/
    ``focal``),
    markers (name -> elevated), primary site, and override the lesion type or sites.
    """
    v = vocabularies()
    present = [f for f in case.findings if f.present]
    excluded = [f for f in case.findings if not f.present]
    ids = {f.id for f in present}
    sclerosis = bool(ids & _SCLEROSIS_IDS) or any(
        _SCLEROSIS_WORDS.search(f.label.lower()) for f in present
    )
    lysis = bool(ids & _LYSIS_IDS) or any(_LYSIS_WORDS.search(f.label.lower()) for f in present)
    lesion: str | None = None
    if ids & _MIXED_IDS or (sclerosis and lysis):
        lesion = "mixed"
    elif sclerosis:
        lesion = "osteoblastic"
    elif lysis:
        lesion = "osteolytic"
    lesion = _check_choice("bone_lesion_type", bone_lesion_type, BONE_LESION_TYPES) or lesion

    # All evidence counts; the widest spread wins (diffuse > multifocal > single).
    spread: set[str] = set()
    if ids & _DIFFUSE_IDS:
        spread.add("diffuse")
    if ids & _MULTIFOCAL_IDS:
        spread.add("multifocal")
    if ids & _SINGLE_IDS:
        spread.add("single")
    for sentence in re.split(r"(?<=[.;])\s+", case.description):
        if _LESION_SENTENCE.search(sentence.lower()):
            spread.update(v["distribution"].find(sentence))
    distribution = next((d for d in DISTRIBUTIONS if d in spread), None)

    sites = set(_canonical_set(v["bone_sites"], bone_sites))
    unknown_sites = [s for s in bone_sites if v["bone_sites"].canonical(s) is None]
    if unknown_sites:
        raise LibraryError(
            f"bone_sites: {unknown_sites[0]!r} is not a known bone site",
            f"use one of: {', '.join(v['bone_sites'].names)}",
        )
    for f in present:
        if _BONE_LESION_WORDS.search(f.label.lower()):
            sites.update(v["bone_sites"].find(f.label))

    mets = set(_canonical_set(v["other_metastases"], other_metastases))
    for f in present:
        if "metasta" in f.label.lower():
            mets.update(v["other_metastases"].find(f.label))

    found_markers: dict[str, bool] = {}
    for f in [*present, *excluded]:
        label = f.label.lower()
        if f.id == _HYPERCALCEMIA:
            found_markers["calcium"] = f.present
        elif _ELEVATED.match(label) and ("circulating" in label or " level" in label):
            for name in v["markers"].find(label):
                found_markers[name] = f.present
    for m in case.measurements:
        analyte = v["markers"].canonical(m.analyte) or _first(v["markers"].find(m.name))
        if analyte is not None and m.interpretation != "unknown":
            found_markers[analyte] = m.interpretation == "high"
    for raw, elevated in (markers or {}).items():
        marker = v["markers"].canonical(raw) or _first(v["markers"].find(raw))
        if marker is None:
            raise LibraryError(
                f"markers: {raw!r} is not a known circulating marker",
                f"use one of: {', '.join(v['markers'].names)}",
            )
        found_markers[marker] = bool(elevated)

    ihc_norm: dict[str, str] = {}
    for raw, status in (ihc or {}).items():
        ihc_name = v["ihc"].canonical(raw)
        if ihc_name is None:
            raise LibraryError(
                f"ihc: {raw!r} is not a known IHC marker",
                f"use one of: {', '.join(v['ihc'].names)}",
            )
        _check_choice(f"ihc.{raw}", status, IHC_STATUSES)
        ihc_norm[ihc_name] = status

    family = histology_family(histology) if histology else None
    if histology and family is None:
        raise LibraryError(
            f"histology: {histology!r} is not accepted",
            f"start it with one of: {', '.join(HISTOLOGY_FAMILIES)}",
        )
    _check_choice("grade", grade, GRADES)
    if ki67_percent is not None and not 0 <= ki67_percent <= 100:
        raise LibraryError(f"ki67_percent: {ki67_percent} is out of range", "give 0-100 (%)")
    primary = primary_site.strip().lower().replace(" ", "_") if primary_site else None

    involved: bool | None = True if (lesion not in (None, "none") or sites) else None
    if lesion == "none":
        involved = False
    text = case.description.strip() or "; ".join(f.label for f in present)
    return Profile(
        age=case.age_years,
        sex=None if case.sex is Sex.UNKNOWN else case.sex.value,
        bone_involved=involved,
        lesion_type=lesion,
        distribution=distribution,
        bone_sites=frozenset(sites),
        other_metastases=frozenset(mets),
        primary_site=primary,
        histology=family,
        grade=int(grade[1]) if grade else None,
        ki67=ki67_percent,
        ihc=tuple(sorted(ihc_norm.items())),
        markers=tuple(sorted(found_markers.items())),
        text=text,
    )
