"""Collects what a reader found, resolves it against the HPO and the knowledge base, and
builds the immutable :class:`Case` - or raises :class:`CaseInputError` with every problem."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from osteodx.case._issues import CaseInputError, Issue
from osteodx.case._model import (
    Case,
    Finding,
    FindingOrigin,
    Measurement,
    MentionStatus,
    PathologyReport,
    Sex,
    TestResult,
    TextMention,
)
from osteodx.case._text import TextMatch, TextReader
from osteodx.case._units import LabRegistry, UnitError, convert, parse_value_with_unit
from osteodx.knowledge import Knowledge, load_knowledge
from osteodx.knowledge._hpo import HpoIndex, hpo_index
from osteodx.knowledge._schema import LabAnalyte

if TYPE_CHECKING:
    from osteodx.bone import BoneInputs
    from osteodx.case._textlabs import Comparator, TextLabValue

__all__ = ["CaseBuilder", "ReadingContext", "default_context"]

MAX_AGE_YEARS = 125.0
_HPO_ID = re.compile(r"HP:\d{7}")


@dataclass(frozen=True, slots=True)
class _PendingLab:
    """A laboratory value waiting for sex and age to be interpreted.

    ``value`` is in the analyte's unit; ``comparator`` is set for a censored value read from
    text ("<0.1 ng/mL": the value lies below ``value``); ``from_text`` marks a value read from
    free text, whose findings yield to findings coded in the case.
    """

    lab: LabAnalyte
    value: float
    entered: str
    loinc: str | None
    own_range: tuple[float | None, float | None] | None
    loc: str
    comparator: Comparator = ""
    from_text: bool = False


@dataclass(frozen=True, slots=True)
class ReadingContext:
    """Everything readers need, built once per process."""

    knowledge: Knowledge
    hpo: HpoIndex
    labs: LabRegistry
    text: TextReader
    # An unknown code (an HPO id newer than the shipped HPO, an unknown LOINC code) refuses the
    # whole case when strict; otherwise the item is skipped with a warning and the case is read.
    strict: bool = False


# Set to 1 (by `--strict`) to refuse a case for an unknown code instead of skipping the item;
# an environment variable so that batch worker processes see it too.
STRICT_ENV = "OSTEODX_STRICT"

# Free text longer than this is refused (a case summary is a few thousand characters; reading
# grows with the text, and a request must not hold a worker for long).
MAX_TEXT_CHARS = 50_000


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@cache
def default_context() -> ReadingContext:
    knowledge = load_knowledge()
    return ReadingContext(
        knowledge,
        hpo_index(),
        LabRegistry(knowledge.labs),
        TextReader(knowledge),
        strict=os.environ.get(STRICT_ENV) == "1",
    )


_ISO_AGE = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T.*)?$"
)
_PLAIN_AGE = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<u>y|yr|yrs|year|years|m|mo|month|months|w|wk|week|weeks|d|day|days)?\s*(old)?\s*$",
    re.IGNORECASE,
)


def parse_age(value: object) -> float:
    """Age in years from a number, an ISO 8601 duration (``P30Y``) or text (``38 days``)."""
    if isinstance(value, bool):
        raise ValueError("an age must be a number of years, 'P30Y' or '38 days'")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("an age must be a number of years, 'P30Y' or '38 days'")
    text = value.strip()
    iso = _ISO_AGE.match(text.upper())
    if iso and any(iso.group(g) for g in "ymwd"):
        y, m, w, d = (float(iso.group(g) or 0) for g in "ymwd")
        return y + m / 12 + w / 52.1775 + d / 365.25
    plain = _PLAIN_AGE.match(text)
    if plain:
        n = float(plain.group("n"))
        unit = (plain.group("u") or "y").lower()[0]
        return {"y": n, "m": n / 12, "w": n / 52.1775, "d": n / 365.25}[unit]
    raise ValueError(f"{value!r} is not an age; write e.g. 30, 'P30Y' or '38 days'")


class CaseBuilder:
    """Accumulates findings, labs and text for one case, with issues located in the source."""

    def __init__(self, source: str, context: ReadingContext | None = None) -> None:
        self.source = source
        self.ctx = context or default_context()
        self.case_id = ""
        self.sex = Sex.UNKNOWN
        self.age_years: float | None = None
        self.description = ""
        self._findings: list[Finding] = []
        self._measurements: list[Measurement] = []
        self._texts: list[tuple[str, str]] = []
        self._pending_labs: list[_PendingLab] = []
        self.issues: list[Issue] = []
        # Optional sections (case/_sections.py reads them).
        self.pathology: PathologyReport | None = None
        self.bone: BoneInputs | None = None
        self.test_results: list[TestResult] = []

    # --- problems ---------------------------------------------------------------------------
    def error(self, loc: str, message: str, fix: str) -> None:
        self.issues.append(Issue("error", loc, message, fix))

    def warn(self, loc: str, message: str, fix: str) -> None:
        self.issues.append(Issue("warning", loc, message, fix))

    def unknown_code(self, loc: str, message: str, fix: str) -> None:
        """A code osteodx does not know in an otherwise good record: the item is skipped with a
        warning that every output shows, unless the reading is strict (then it refuses)."""
        if self.ctx.strict:
            self.error(loc, message, fix)
        else:
            self.warn(loc, f"{message}; skipped", fix)

    # --- demographics -----------------------------------------------------------------------
    def set_sex(self, raw: object, loc: str) -> None:
        text = str(raw).strip().casefold() if raw is not None else ""
        mapping = {
            "male": Sex.MALE,
            "m": Sex.MALE,
            "man": Sex.MALE,
            "female": Sex.FEMALE,
            "f": Sex.FEMALE,
            "woman": Sex.FEMALE,
            "unknown_sex": Sex.UNKNOWN,
            "unknown": Sex.UNKNOWN,
            "other_sex": Sex.UNKNOWN,
            "": Sex.UNKNOWN,
        }
        if text in mapping:
            self.sex = mapping[text]
        else:
            self.error(loc, f"sex {raw!r} is not recognised", "use male, female or unknown")

    def set_age(self, raw: object, loc: str) -> None:
        try:
            years = parse_age(raw)
        except ValueError as exc:
            self.error(loc, str(exc), "write the age in years (30), as 'P30Y' or as '38 days'")
            return
        if not math.isfinite(years) or years < 0 or years > MAX_AGE_YEARS:
            self.error(
                loc,
                f"age {years:g} years is impossible",
                f"give an age between 0 and {MAX_AGE_YEARS:g} years",
            )
            return
        self.age_years = years

    # --- findings ---------------------------------------------------------------------------
    def resolve_term(self, raw: str, loc: str) -> tuple[str, str] | None:
        """Resolve an HPO id, an exact HPO label, or a local finding id/label to (id, label)."""
        text = raw.strip()
        hpo = self.ctx.hpo
        local = self.ctx.knowledge.local_findings
        if _HPO_ID.fullmatch(text):
            if text not in hpo:
                self.unknown_code(
                    loc,
                    f"{text} is not an HPO term of the shipped release (HPO {hpo.version})",
                    "check the id at https://hpo.jax.org or give the term's label",
                )
                return None
            if hpo.is_obsolete(text):
                new = hpo.replacement(text)
                if new and new in hpo:
                    self.warn(
                        loc,
                        f"{text} is obsolete; read as its replacement {new} ({hpo.name(new)})",
                        f"use {new} in future",
                    )
                    return new, hpo.name(new)
                self.warn(
                    loc,
                    f"{text} is obsolete and the HPO names no replacement; ignored",
                    "replace it with a current term",
                )
                return None
            return text, hpo.name(text)
        if text.startswith("OSX:"):
            if text in local:
                return text, local[text].label
            self.unknown_code(
                loc,
                f"{text} is not a finding known to osteodx",
                "use an HPO id or one of the ids listed by `osteodx findings`",
            )
            return None
        term_id = hpo.by_label(text)
        if term_id:
            return term_id, hpo.name(term_id)
        for finding in local.values():
            if finding.label.casefold() == text.casefold():
                return finding.id, finding.label
        suggestions = ", ".join(f"{i} {n}" for i, n in hpo.search(text, 3))
        self.error(
            loc,
            f"{text!r} is neither an HPO id nor an exact HPO label",
            "use an HPO id (HP:nnnnnnn) or an exact label"
            + (f"; close terms: {suggestions}" if suggestions else ""),
        )
        return None

    def add_term(
        self,
        raw: object,
        present: bool,
        loc: str,
        origin: FindingOrigin = "coded",
        evidence: str = "",
    ) -> None:
        if not isinstance(raw, str) or not raw.strip():
            self.error(
                loc, "a finding must be an HPO id or label", "e.g. 'HP:0003418' or 'Back pain'"
            )
            return
        resolved = self.resolve_term(raw, loc)
        if resolved:
            self._findings.append(Finding(resolved[0], resolved[1], present, origin, loc, evidence))

    def add_named(self, raw: object, category: str, present: bool, loc: str) -> None:
        """An exposure, history item or treatment written as a word or phrase ('fluoride')."""
        if not isinstance(raw, str) or not raw.strip():
            self.error(loc, f"a {category} entry must be text", "e.g. 'fluoride' or 'dialysis'")
            return
        text = raw.strip()
        if re.fullmatch(r"(HP:\d{7}|OSX:[a-z0-9_]+)", text):
            self.add_term(text, present, loc, origin="form")
            return
        folded = text.casefold()
        matches: list[tuple[str, str]] = []
        for finding in self.ctx.knowledge.local_findings.values():
            names = {finding.label.casefold(), finding.id.removeprefix("OSX:").replace("_", " ")}
            names.update(p.casefold() for p in finding.phrases)
            if folded in names:
                matches.append((finding.id, finding.label))
        for entry in self.ctx.knowledge.hpo_phrases:
            if folded in {p.casefold() for p in entry.phrases} or folded == entry.label.casefold():
                matches.append((entry.id, entry.label))
        if not matches:
            term_id = self.ctx.hpo.by_label(text)
            if term_id:
                matches.append((term_id, self.ctx.hpo.name(term_id)))
        if not matches:
            known = sorted(
                f.id.removeprefix("OSX:").replace("_", " ")
                for f in self.ctx.knowledge.local_findings.values()
                if f.category in ("exposure", "history")
            )
            self.error(
                loc,
                f"{category} {text!r} is not recognised",
                "write a known name such as " + ", ".join(known[:8]) + " (see `osteodx findings`)",
            )
            return
        for finding_id, label in dict(matches).items():
            self._findings.append(Finding(finding_id, label, present, "form", loc, text))

    # --- labs -------------------------------------------------------------------------------
    def add_lab(
        self,
        lab: LabAnalyte,
        value: object,
        unit: str | None,
        loc: str,
        loinc: str | None = None,
        own_range: tuple[float | None, float | None] | None = None,
    ) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(f"{loc}.value", f"value {value!r} is not a number", "give a number")
            return
        if unit is None or not str(unit).strip():
            self.error(
                f"{loc}.unit",
                f"no unit given for {lab.name}",
                f"add a unit, e.g. {lab.unit} (accepted: {', '.join(lab.units or (lab.unit,))})",
            )
            return
        try:
            canonical = convert(float(value), str(unit), lab.unit, lab.molar_mass_g_per_mol)
            if own_range is not None:
                own_range = tuple(  # type: ignore[assignment]
                    None if b is None else convert(b, str(unit), lab.unit, lab.molar_mass_g_per_mol)
                    for b in own_range
                )
        except UnitError:
            self.error(
                f"{loc}.unit",
                f"unit {unit!r} not recognised for {lab.name}",
                f"use {', '.join(lab.units or (lab.unit,))}",
            )
            return
        if not lab.plausible.min <= canonical <= lab.plausible.max:
            self.error(
                f"{loc}.value",
                f"{lab.name} {value:g} {unit} is impossible",
                f"check the value; plausible range is {lab.plausible.min:g}-"
                f"{lab.plausible.max:g} {lab.unit}",
            )
            return
        # Interpretation needs sex and age, which may be read after the labs: defer it.
        self._pending_labs.append(
            _PendingLab(lab, canonical, f"{value:g} {unit}", loinc, own_range, loc)
        )

    def add_lab_text(self, name: str, raw: object, loc: str) -> None:
        """A case-form lab line: ``alkaline phosphatase: 350 U/L``."""
        lab = self.ctx.labs.by_name(name)
        if lab is None:
            self.error(
                loc,
                f"laboratory test {name!r} is not known",
                "use one of: " + ", ".join(self.ctx.labs.names()),
            )
            return
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            self.add_lab(lab, raw, None, loc)
            return
        try:
            value, unit = parse_value_with_unit(str(raw))
        except UnitError as exc:
            self.error(loc, str(exc), f"write it like '{name}: 350 {lab.unit}'")
            return
        self.add_lab(lab, value, unit, loc)

    # --- text -------------------------------------------------------------------------------
    def add_text(self, text: str, loc: str) -> None:
        if not text or not text.strip():
            return
        if len(text) > MAX_TEXT_CHARS:
            self.error(
                loc,
                f"the text has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} are read",
                "shorten it to the clinical summary (history, findings, imaging, laboratory)",
            )
            return
        if _has_lone_surrogate(text):
            self.error(
                loc,
                "the text holds an unpaired UTF-16 surrogate (a broken character)",
                "save the file or send the request as valid UTF-8",
            )
            return
        self._texts.append((text, loc))

    # --- result -----------------------------------------------------------------------------
    def build(self) -> Case:
        if any(i.level == "error" for i in self.issues):
            raise CaseInputError(self.source, tuple(self.issues))
        readings = [(text, loc, self.ctx.text.read(text)) for text, loc in self._texts]
        lab_mentions = self._add_text_labs(readings)
        measurements = self._interpret_labs({f.id for f in self._findings})
        findings = list(self._findings)
        coded_ids = {f.id for f in findings}
        mentions = self._read_texts(readings, findings, coded_ids) + lab_mentions
        findings = self._add_implied(findings)
        findings = self._drop_conflicts(findings)
        findings = self._one_finding_per_form(findings)
        findings, answered = self._count_once(findings)
        if answered:
            mentions = [
                replace(m, status="overridden")
                if m.finding_id in answered and m.status == "present"
                else m
                for m in mentions
            ]
        # A test result replaces the findings it already counts (a NEN biopsy, "known NEN").
        superseded = {s for r in self.test_results for s in r.supersedes}
        if superseded:
            findings = [f for f in findings if f.id not in superseded]
            mentions = [
                replace(m, status="overridden") if m.finding_id in superseded else m
                for m in mentions
            ]
        return Case(
            case_id=self.case_id or self.source,
            sex=self.sex,
            age_years=self.age_years,
            findings=tuple(findings),
            measurements=tuple(measurements),
            text_mentions=tuple(mentions),
            description=self.description,
            source=self.source,
            warnings=tuple(self.issues),
            pathology=self.pathology,
            bone=self.bone,
            test_results=tuple(self.test_results),
        )

    def _interpret_labs(self, coded_ids: set[str]) -> list[Measurement]:
        out: list[Measurement] = []
        for pending in self._pending_labs:
            lab, value, entered, loc = pending.lab, pending.value, pending.entered, pending.loc
            loinc, own_range = pending.loinc, pending.own_range
            # A censored value lies beyond its bound: ">200" is above 200, "<0.1" below 0.1.
            judged = _beyond(value, pending.comparator)
            interp = self.ctx.labs.interpret(lab, judged, self.sex.value, self.age_years, own_range)
            lab_findings: list[Finding] = []
            out.append(
                Measurement(
                    analyte=lab.key,
                    name=lab.name,
                    value=value,
                    unit=lab.unit,
                    entered=entered,
                    loinc=loinc,
                    interpretation=interp.flag,  # type: ignore[arg-type]
                    reference_low=interp.low,
                    reference_high=interp.high,
                    reference_source=interp.source,
                    loc=loc,
                )
            )
            evidence = f"{lab.name} {entered} ({interp.flag}"
            if interp.low is not None or interp.high is not None:
                evidence += f"; reference {_fmt(interp.low)}-{_fmt(interp.high)} {lab.unit}"
            evidence += ")"
            if interp.flag == "high" and lab.high_term:
                lab_findings.append(
                    Finding(lab.high_term.id, lab.high_term.label, True, "lab", loc, evidence)
                )
            elif interp.flag == "low" and lab.low_term:
                lab_findings.append(
                    Finding(lab.low_term.id, lab.low_term.label, True, "lab", loc, evidence)
                )
            elif interp.flag == "normal":
                for term in (lab.high_term, lab.low_term):
                    if term:
                        lab_findings.append(
                            Finding(term.id, term.label, False, "lab", loc, evidence)
                        )
            # Graded levels (labs.yaml): each exceeded level is observed, and the first level not
            # exceeded is excluded, so the value counts once, in its band (docs/model.md).
            levels = lab.graded_levels(judged, interp.flag, interp.high)
            if pending.comparator in (">", ">=") and levels and not levels[-1][1]:
                levels = levels[:-1]  # ">200": whether it is above the next level is unknown
            for level, exceeded in levels:
                said = f"{evidence[:-1]}; {'' if exceeded else 'not '}{level.describe(lab.unit)})"
                lab_findings.append(Finding(level.finding, level.label, exceeded, "lab", loc, said))
            if pending.from_text:  # a finding coded in the case wins over a value read from text
                lab_findings = [f for f in lab_findings if f.id not in coded_ids]
            self._findings.extend(lab_findings)
        return out

    # --- laboratory values read from free text (case/_textlabs.py) -------------------------
    def _add_text_labs(self, readings: list[tuple[str, str, list[TextMatch]]]) -> list[TextMention]:
        """Queue the values read from text as labs; coded values of an analyte win."""
        coded = {p.lab.key for p in self._pending_labs}
        first: dict[str, _PendingLab] = {}
        mentions: list[TextMention] = []
        for _text, loc, matches in readings:
            for match in matches:
                found = match.lab
                lab = self.ctx.labs.by_name(found.analyte) if found is not None else None
                if found is None or lab is None:
                    continue
                where = f'{loc} "{match.phrase}"'
                if found.problem:
                    self.warn(
                        where,
                        f"{lab.name} {found.problem}; not read from the text",
                        f"write one value with its unit, e.g. '{lab.name} 350 {lab.unit}', or "
                        "add it as a coded measurement",
                    )
                    continue
                if match.status not in ("present", "negated"):
                    mentions.append(
                        TextMention(
                            match.finding_id, lab.name, match.phrase, match.sentence,
                            match.status, loc,
                        )
                    )  # fmt: skip
                    continue
                pending = self._text_lab(lab, found, where)
                if pending is None:
                    continue
                status: MentionStatus = "present"
                if lab.key in coded:
                    status = "overridden"  # the coded measurement is counted, not the text
                elif lab.key in first:
                    status = "overridden"
                    earlier = first[lab.key]
                    if (pending.comparator, pending.value) != (earlier.comparator, earlier.value):
                        self.warn(
                            where,
                            f"a second {lab.name} value in the text ({pending.entered}) differs "
                            f"from the first ({earlier.entered}); the first is used",
                            "keep one value in the text, or give each value as a coded measurement",
                        )
                else:
                    first[lab.key] = pending
                    self._pending_labs.append(pending)
                label = f"{lab.name} {pending.comparator}{pending.value:g} {lab.unit}"
                mentions.append(
                    TextMention(match.finding_id, label, match.phrase, match.sentence, status, loc)
                )
        return mentions

    def _text_lab(self, lab: LabAnalyte, found: TextLabValue, where: str) -> _PendingLab | None:
        """A value read from text, checked like a coded one; problems are warnings here."""
        assert found.value is not None
        accepted = ", ".join(lab.units or (lab.unit,))
        unit = found.unit
        entered = found.written
        if unit is None:
            # No unit written: taken only when exactly one accepted unit gives a plausible value.
            readings: dict[float, str] = {}
            for candidate in lab.units or (lab.unit,):
                try:
                    converted = convert(found.value, candidate, lab.unit, lab.molar_mass_g_per_mol)
                except UnitError:
                    continue
                if lab.plausible.min <= converted <= lab.plausible.max:
                    readings.setdefault(round(converted, 9), candidate)
            if len(readings) != 1:
                units = " or ".join(readings.values())
                why = f"could be {units}" if readings else "is implausible in every unit"
                self.warn(
                    where,
                    f"{lab.name} {found.written} has no unit and {why}; not read from the text",
                    f"write the unit ({accepted})",
                )
                return None
            unit = next(iter(readings.values()))
            entered = f"{found.written} (no unit written; read as {unit})"
        own_range: tuple[float | None, float | None] | None = None
        try:
            value = convert(found.value, unit, lab.unit, lab.molar_mass_g_per_mol)
            if found.reference is not None:
                low, high = (
                    None if b is None else convert(b, unit, lab.unit, lab.molar_mass_g_per_mol)
                    for b in found.reference
                )
                own_range = (low, high)
        except UnitError:
            self.warn(
                where,
                f"unit {unit!r} cannot be read for {lab.name}; not read from the text",
                f"write the value in {accepted}",
            )
            return None
        if not lab.plausible.min <= value <= lab.plausible.max:
            self.warn(
                where,
                f"{lab.name} {found.written} is implausible; not read from the text",
                f"check the value; plausible range is {lab.plausible.min:g}-"
                f"{lab.plausible.max:g} {lab.unit}",
            )
            return None
        if found.comparator:
            # A censored value is read only when every value beyond its bound reads the same.
            extreme = lab.plausible.min if found.comparator.startswith("<") else lab.plausible.max
            flags = {
                self.ctx.labs.interpret(lab, x, self.sex.value, self.age_years, own_range).flag
                for x in (_beyond(value, found.comparator), extreme)
            }
            if len(flags) > 1:
                self.warn(
                    where,
                    f"{lab.name} {found.written} may be inside or outside the reference range; "
                    "not read from the text",
                    "give the measured value",
                )
                return None
        return _PendingLab(
            lab, value, f"{entered} (read from text)", None, own_range, where,
            found.comparator, from_text=True,
        )  # fmt: skip

    def _read_texts(
        self,
        readings: list[tuple[str, str, list[TextMatch]]],
        findings: list[Finding],
        coded_ids: set[str],
    ) -> list[TextMention]:
        mentions: list[TextMention] = []
        seen: dict[str, str] = {}
        # Findings the text names outright: a word that only implies absence yields to them
        # ("asymptomatic until he developed bone pain").
        named = {
            m.finding_id
            for _text, _loc, matches in readings
            for m in matches
            if m.lab is None and not m.implied and m.status in ("present", "negated")
        }
        for _text, loc, matches in readings:
            for match in matches:
                if match.lab is not None:
                    continue  # laboratory values: _add_text_labs
                label = _label(self.ctx, match.finding_id)
                status: MentionStatus = match.status
                if status in ("present", "negated") and (
                    self._related_to_any(match.finding_id, coded_ids)
                    or match.finding_id in seen
                    or (match.implied and self._implied_yields(match.finding_id, named))
                ):
                    # Coded data wins over text (also over a broader or narrower HPO term of the
                    # same thing, e.g. "back pain" in text beside a coded Low back pain); within
                    # text, the first counted mention wins.
                    status = "overridden"
                mentions.append(
                    TextMention(match.finding_id, label, match.phrase, match.sentence, status, loc)
                )
                if status in ("present", "negated"):
                    seen[match.finding_id] = status
                    findings.append(
                        Finding(
                            match.finding_id,
                            label,
                            status == "present",
                            "text",
                            loc,
                            match.sentence,
                        )
                    )
        return mentions

    def _implied_yields(self, finding_id: str, named: set[str]) -> bool:
        """Whether an absence read from a word like "asymptomatic" gives way: the text names the
        finding, a related term, or a finding at or below one of its ``absent_yields_to``."""
        if self._related_to_any(finding_id, named):
            return True
        roots = {
            root
            for entry in self.ctx.knowledge.hpo_phrases
            if entry.id == finding_id
            for root in entry.absent_yields_to
        }
        hpo = self.ctx.hpo
        return any(
            n in roots or (n in hpo and bool(roots & hpo.ancestors(n)))
            for n in named
            if n.startswith("HP:")
        )

    def _related_to_any(self, finding_id: str, others: set[str]) -> bool:
        if finding_id in others:
            return True
        if not finding_id.startswith("HP:") or finding_id not in self.ctx.hpo:
            return False
        ancestors = self.ctx.hpo.ancestors(finding_id)
        return any(
            other in ancestors or finding_id in self.ctx.hpo.ancestors(other)
            for other in others
            if other.startswith("HP:") and other in self.ctx.hpo
        )

    def _add_implied(self, findings: list[Finding]) -> list[Finding]:
        # An observed finding's implication is added even when the text negated it: "no tea
        # drinking" must not cancel the fluoride exposure that voriconazole implies.
        known = {f.id for f in findings if f.present}
        local = self.ctx.knowledge.local_findings
        queue = [f for f in findings if f.present and f.id in local]
        while queue:
            finding = queue.pop()
            for implied in local[finding.id].implies:
                if implied in known:
                    continue
                known.add(implied)
                new = Finding(
                    implied,
                    _label(self.ctx, implied),
                    True,
                    "implied",
                    finding.loc,
                    f"implied by {finding.label}",
                )
                findings.append(new)
                if implied in local:
                    queue.append(new)
        return findings

    def _drop_conflicts(self, findings: list[Finding]) -> list[Finding]:
        present = {f.id for f in findings if f.present}
        kept: list[Finding] = []
        seen: set[tuple[str, bool]] = set()
        for f in findings:
            if not f.present and f.id in present:
                self.issues.append(
                    Issue(
                        "warning",
                        f.loc,
                        f"{f.label} ({f.id}) is both observed and excluded; counted as observed",
                        "remove one of the two",
                    )
                )
                continue
            if (f.id, f.present) in seen:
                continue
            seen.add((f.id, f.present))
            kept.append(f)
        return kept

    def _one_finding_per_form(self, findings: list[Finding]) -> list[Finding]:
        """Present HPO terms that are one finding at two granularities count once.

        A term more specific than a listed term counts as the listed term does (docs/model.md),
        so "Peripheral neuropathy" with "Polyneuropathy", or "Polyneuropathy" with "Sensory
        neuropathy" (two forms of the neuropathy the knowledge base lists), would count the
        same finding twice. Kept: the most specific term of an ancestor-descendant pair, and the
        first of several terms that no condition lists whose nearest listed ancestor is the same.
        """
        hpo = self.ctx.hpo
        listed = _listed_terms(self.ctx)
        present = [f for f in findings if f.present and f.id.startswith("HP:") and f.id in hpo]
        ids = {f.id for f in present}
        lineage = {i: hpo.ancestors(i) for i in ids}
        dropped: dict[str, str] = {}
        for i in ids:
            for other in ids:
                if other != i and i in lineage[other]:
                    dropped[i] = other  # i is broader than other
                    break
        seen: dict[str, str] = {}
        for f in present:
            if f.id in dropped or f.id in listed:
                continue
            above = [a for a in lineage[f.id] if a in listed]
            if not above:
                continue
            nearest = max(sorted(above), key=lambda a: len(hpo.ancestors(a)))
            if nearest in seen:
                dropped[f.id] = seen[nearest]
            else:
                seen[nearest] = f.id
        if not dropped:
            return findings
        for f in present:
            kept = dropped.get(f.id)
            # A broader term given with a specific one is ordinary coding: dropped silently.
            # Two forms merged into one listed finding are said, since both were meant.
            if kept is not None and f.id not in lineage[kept]:
                self.warn(
                    f.loc,
                    f"{f.label} ({f.id}) and {hpo.name(kept)} ({kept}) are two forms of one "
                    "finding the knowledge base lists; counted once",
                    "nothing to do; give the most specific term when you know it",
                )
        return [f for f in findings if not (f.present and f.id in dropped)]

    def _count_once(self, findings: list[Finding]) -> tuple[list[Finding], set[str]]:
        """A history item and a reported term that answers it ("history of breast cancer" and
        Breast carcinoma) are one fact: the history item is dropped, the term counts once."""
        local = self.ctx.knowledge.local_findings
        hpo = self.ctx.hpo
        present_terms = [f.id for f in findings if f.present and f.id.startswith("HP:")]
        answered: set[str] = set()
        for f in findings:
            item = local.get(f.id)
            if not f.present or item is None or not item.answered_by:
                continue
            for term in present_terms:
                lineage = hpo.ancestors(term) | {term} if term in hpo else {term}
                if lineage & set(item.answered_by) and not lineage & set(item.not_answered_by):
                    answered.add(f.id)
                    break
        if not answered:
            return findings, answered
        return [f for f in findings if not (f.present and f.id in answered)], answered


def _listed_terms(ctx: ReadingContext) -> frozenset[str]:
    """Every HPO term some condition file lists (cached per knowledge base)."""
    cached = _LISTED.get(id(ctx.knowledge))
    if cached is None:
        cached = frozenset(f.finding for c in ctx.knowledge.conditions for f in c.findings)
        _LISTED[id(ctx.knowledge)] = cached
    return cached


_LISTED: dict[int, frozenset[str]] = {}


def _label(ctx: ReadingContext, finding_id: str) -> str:
    return ctx.knowledge.finding_label(finding_id, ctx.hpo)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _beyond(value: float, comparator: Comparator) -> float:
    """The value a censored result is judged at: just past its bound for '<' and '>'."""
    if comparator == ">":
        return math.nextafter(value, math.inf)
    if comparator == "<":
        return math.nextafter(value, -math.inf)
    return value
