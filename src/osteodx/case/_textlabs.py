"""Numeric laboratory values written in free text: "ALP was 1,250 IU/L", "PSA 8 ug/L".

:class:`LabTextScanner` finds an analyte's name, key or alias from ``labs.yaml`` followed, after
a short gap of linking words ("was", "of", ":", "=", "level", "serum", "elevated at",
"increased to", a parenthesised abbreviation or reference interval), by a number and usually a
unit. It reads thousands separators (1,250), decimal commas (2,9), censored values (<0.1,
>1000) and a reference interval written with the value ("(normal 40-129)", "(27-86 U/L)",
"(N < 4)"), which becomes the value's own range and is never taken as the value.

It reads syntax only: which analyte, which number, the unit as written (normalised to the
spellings ``case/_units.convert`` understands) and what must not be read. Two kinds of refusal:

* silent, because the text is not a measurement of that analyte: a name in a list
  ("calcium and ALP were ..."), another sample or fraction ("urine calcium", "bone ALP",
  "ionised calcium", "free PSA"), an environmental or dietary amount ("fluoride in the water
  4 mg/L", "vitamin D 1000 IU daily"), a dose (a bare mass unit, "mg/day" for a serum analyte),
  a percentage, a date, an age, a size ("2 x 3 cm") or a number followed by another word;
* with a ``problem`` (a measurement the reader cannot use; the case gets a warning): a range or
  series instead of one value, a multiple of the upper limit ("3 times normal"), a count unit
  without its power of ten.

Whether the unit converts, whether the value is plausible, and which unit a number written
without one has (taken only when exactly one accepted unit gives a plausible value) are decided
by :class:`~osteodx.case._build.CaseBuilder`, which sends the value down the same path as a
coded laboratory result. Sentences and ConText (relatives, hypothetical statements) come from
``case/_text.py``. Nothing heavy is imported here: this module loads with ``osteodx.case``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from osteodx.knowledge._schema import LabAnalyte

__all__ = ["Comparator", "LabTextScanner", "TextLabValue", "parse_number"]

Comparator = Literal["", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class TextLabValue:
    """One laboratory value found in a text (or, with ``problem``, one that cannot be used).

    ``start``/``end`` delimit the mention in the text (name to value, unit and any reference
    interval); ``unit`` is ``None`` when none was written; ``reference`` is the interval written
    with the value, in ``unit``; ``written`` is the number and unit as they appear.
    """

    analyte: str
    start: int
    end: int
    value: float | None = None
    written: str = ""
    unit: str | None = None
    comparator: Comparator = ""
    reference: tuple[float | None, float | None] | None = None
    problem: str = ""


# --- numbers ---------------------------------------------------------------------------------
# 1,250 and 12,500,000 (thousands, never after a leading 0); 1 250 with a thin or no-break space;
# 2,9 / 2.9 / 4·5 (decimal comma, point or middle dot); .5
_NUM = (
    r"(?:[1-9]\d{0,2}(?:,\d{3})+(?![\d,])"
    r"|[1-9]\d{0,2}(?:[\u00a0\u202f\u2009]\d{3})+(?!\d)"
    r"|\d+(?:[.,\u00b7]\d+)?"
    r"|[.,]\d+)"
)
_NUMBER = re.compile(r"(?<![\w.,])" + _NUM + r"(?![\d_])")


def parse_number(written: str) -> float:
    """The value of a number as written in text: ``'1,250'`` -> 1250, ``'2,9'`` -> 2.9."""
    text = written.strip()
    for space in ("\u00a0", "\u202f", "\u2009"):
        text = text.replace(space, "")
    if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", ".").replace("\u00b7", "."))


# --- words around the name ---------------------------------------------------------------------
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A sample, fraction or form other than the analyte's own, written just before its name.
_OTHER_SAMPLE = _words(
    "urine urinary 24-hour 24-h 24h csf cerebrospinal pleural ascitic peritoneal synovial fluid "
    "salivary saliva sweat stool faecal fecal hair nail tissue tumour tumor bone bone-specific "
    "ionised ionized ionic free direct indirect conjugated unconjugated fetal cord water "
    "drinking dietary intake sodium stannous supplemental supplementary elemental"
)
# Analytes measured in urine: their own sample words are not "another sample".
_URINE_WORDS = _words("urine urinary 24-hour 24-h 24h")
_BLOOD_WORDS = _words("serum plasma blood")
# An environmental, dietary or dosing context in the same clause before the name.
_ENVIRONMENT = re.compile(
    r"\b(?:water|drinking|well\s+water|groundwater|borehole|tea|toothpaste|soil|dust|paint|food"
    r"|diet|dietary|ppm|doses?|dosage|dosing|supplements?|supplementation|intake|tablets?"
    r"|capsules?|infusion|injection)\b",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[.;:,()\[\]!?]")
# Names that are also ordinary words, matched only in a longer name ("blood lead level").
_AMBIGUOUS_NAMES = frozenset({"lead"})

# Linking words allowed between a name and its value.
_GAP_WORDS = _words(
    """was were is are been be being has had have of at level levels value values concentration
    concentrations activity activities serum plasma blood venous total result results measured
    measurement found noted recorded detected reported documented elevated raised increased high
    higher highly very markedly marked mildly mild slightly moderately significantly severely
    extremely greatly substantially low lower decreased reduced normal abnormal initially
    persistently still already baseline count titre titer reading showed revealed demonstrated
    a an the within limits"""
)
# For analytes measured in 24-hour urine ("5-HIAA excretion of 45 mg/24 h").
_URINE_GAP_WORDS = _words("excretion output urine urinary collection")
_GAP_PHRASE = re.compile(
    r"(?:(?:on|at)\s+(?:admission|presentation|diagnosis|baseline|referral)"
    r"|(?:increased|rose|risen|raised|elevated|fell|fallen|dropped|decreased|declined|reduced"
    r"|climbed|went\s+up|up|normali[sz]ed|returned|came\s+down|peaked|amounting|found|noted"
    r"|shown)\s+to(?:\s+be)?"
    r"|(?:increased|rose|risen|fell|fallen|dropped|decreased|declined|changed|went|improved)"
    r"\s+from"
    r"|to\s+be)\b",
    re.IGNORECASE,
)
_GAP_WORD = re.compile(r"[A-Za-z]+")
_GAP_PUNCT = re.compile(r"\s*(?::|=|\s[-\u2013\u2014]\s)\s*")
_SPACE = re.compile(r"\s+")
_ABBREVIATION = re.compile(r"\(\s*[A-Za-z][A-Za-z0-9\s\-]{0,20}\)")
# Names in a list ("calcium, phosphate and ALP were ..."): the values that follow cannot be
# matched to the names. Between two names, or after an abbreviation that is not an analyte here.
_LIST_JOIN = re.compile(r"^\s*\)?\s*(?:(?:,|/|&|(?i:and|or))\s*(?:[A-Z][A-Z0-9\-]{1,7}\s*)?)+$")
_LIST_BEFORE = re.compile(r"(?<![\w/])[A-Z][A-Z0-9\-]{1,7}\s*(?:,|/|&|(?i:and|or))\s*$")
_TUMOUR_MARKER_OR_ION = re.compile(r"\s*-?\s*(?:19-9|125|15-3|72-4|27[-.]29|242|50|549|2\+|\+\+)")
_MAX_GAP = 60

# --- values -------------------------------------------------------------------------------------
_APPROX = re.compile(
    r"(?:approximately|approx\.?|about|around|roughly|nearly|almost|up\s+to|ca\.|circa|~|\u2248"
    r"|\u223c)\s*",
    re.IGNORECASE,
)
_COMPARATORS: tuple[tuple[str, Comparator], ...] = (
    (r"<=|=<|\u2264|\u2a7d|less\s+than\s+or\s+equal\s+to|at\s+most", "<="),
    (r">=|=>|\u2265|\u2a7e|greater\s+than\s+or\s+equal\s+to|at\s+least", ">="),
    (r"<|less\s+than|lower\s+than|below|under", "<"),
    (r">|greater\s+than|more\s+than|higher\s+than|above|over|exceeding|in\s+excess\s+of", ">"),
)
_COMPARATOR = [(re.compile(r"(?:" + p + r")\s*", re.IGNORECASE), c) for p, c in _COMPARATORS]
_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{1,2}/\d{2,4}(?!\d)|\d{1,2}/\d{1,2}")
_RANGE_AFTER = re.compile(r"\s*(?:-|\u2013|\u2014|to|and)\s*(?:[<>]\s*)?" + _NUM, re.IGNORECASE)
_FROM_BEFORE = re.compile(r"\bfrom\s*$", re.IGNORECASE)
_MULTIPLE = re.compile(
    r"\s*(?:(?:[x\u00d7]|times)\s*(?:the\s+)?(?:uln\b|upper|normal|n\b|the\s+normal)"
    r"|-?\s*fold\b|\s+times\b)",
    re.IGNORECASE,
)
_DIMENSION = re.compile(r"\s*[x\u00d7*]\s*\d", re.IGNORECASE)
# A unit-less value must end its clause.
_VALUE_END = re.compile(
    r"\s*(?:[,;)\]]|\.(?!\d)|$|\(|\s(?:and|with|while|but|which|whereas|in|on|at|for|after|"
    r"before|during|when|respectively)\b)",
    re.IGNORECASE,
)

# --- units --------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans(
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789"
)
_COUNT = re.compile(
    r"(?:[x\u00d7*\u00b7]\s*)?10\s*(?:\^|\*\*?|[eE]|\s)?\s*(?P<exp>12|9|6|3|[\u00b9\u00b2\u00b3\u2076\u2079]+)"
    r"\s*(?:cells\s*)?(?:/|per\s+)\s*(?P<den>[u\u00b5\u03bc]l|mcl|mm3|mm\u00b3|cmm|l|litre|liter)\b",
    re.IGNORECASE,
)
_COUNT_LOST_POWER = re.compile(  # "95 x 109/L": a copied 10^9 whose superscript was lost
    r"[x\u00d7]\s*10(?P<exp>9|12|3)\s*/\s*(?P<den>l|[u\u00b5\u03bc]l|mm3)\b", re.IGNORECASE
)
_PER_VOLUME = re.compile(
    r"(?:cells\s*)?(?:/|per\s+)\s*(?:[u\u00b5\u03bc]l|mcl|mm3|mm\u00b3|cmm|cu\.?\s*mm)\b",
    re.IGNORECASE,
)
_GIGA = re.compile(r"(?:G|Gpt)\s*/\s*[lL]\b|(?:K|k|thou)\s*/\s*(?:[u\u00b5\u03bc][lL]|mm3|cmm)\b")
_ESR = re.compile(
    r"mm\s*(?:/|per|in|at|after)\s*(?:the\s+)?(?:1st|first|one|1)?\s*(?:h|hr|hrs|hour)\b"
    r"|mm\s*/\s*h\b",
    re.IGNORECASE,
)
_EGFR = re.compile(
    r"m[lL]\s*/\s*min(?:ute)?(?:\s*(?:/|per)\s*1[.,]73\s*(?:m2|m\u00b2|m\^2|sq\.?\s*m))?\b",
)
_MASS_OR_AMOUNT = (
    r"(?:mc|[munpfkd\u00b5\u03bc])?(?:g|mol|kat|eq)|m?iu|units?|[mk]?u|[mdu\u00b5\u03bc]?l"
)
_RATIO = re.compile(
    r"(?P<num>" + _MASS_OR_AMOUNT + r")\s*(?:/|per\s+)\s*"
    r"(?P<den>(?:24|12)\s*-?\s*(?:h|hr|hrs|hours?)\b|d\b|day\b|(?:100\s*)?[mdcu\u00b5\u03bc]?l\b"
    r"|lit(?:re|er)\b|kg\b|g\b|h\b|hr\b|hour\b|min\b|w(?:ee)?k\b)",
    re.IGNORECASE,
)
_MG_PERCENT = re.compile(r"mg\s*%|mg\s*per\s*cent\b", re.IGNORECASE)
_PERCENT = re.compile(r"%|per\s*cent\b|percent\b", re.IGNORECASE)
_FEMTOLITRE = re.compile(r"f[lL]\b|femtolit(?:re|er)s?\b")
_BARE_ENZYME = re.compile(r"(?:i\.?u\.?|units?|u)\b(?!\s*/)", re.IGNORECASE)
_BARE_DOSE = re.compile(
    r"(?:(?:mc|[munp\u00b5\u03bc])?g|(?:[munp\u00b5\u03bc])?mol|m?eq|ml)\b(?!\s*/)"
    r"|ppm\b|ppb\b|cm\b|mm\b",
    re.IGNORECASE,
)
_BARE_MM = re.compile(r"mm\b(?!\s*/)", re.IGNORECASE)

_NUM_CASE = {
    "mg": "mg", "g": "g", "ug": "ug", "mcg": "ug", "ng": "ng", "pg": "pg", "fg": "fg",
    "kg": "kg", "dg": "dg", "mmol": "mmol", "umol": "umol", "mcmol": "umol", "nmol": "nmol",
    "pmol": "pmol", "fmol": "fmol", "mol": "mol", "ukat": "ukat", "mkat": "mkat", "nkat": "nkat",
    "kat": "kat", "meq": "mEq", "eq": "eq", "iu": "IU", "miu": "mIU", "u": "U", "mu": "mU",
    "ku": "kU", "ml": "mL", "l": "L", "dl": "dL", "ul": "uL", "unit": "U", "units": "U",
}  # fmt: skip


_TIME_CASE = {"hr": "h", "hour": "h", "week": "wk"}


def _normalise_unit(num: str, den: str) -> tuple[str, str]:
    """('MG', '24 h') -> ('mg/d', 'time'): a unit spelling for convert() and its kind."""
    n = num.casefold().replace("\u00b5", "u").replace("\u03bc", "u").replace(" ", "")
    d = _SPACE.sub("", den.casefold().replace("\u00b5", "u").replace("\u03bc", "u"))
    numerator = _NUM_CASE.get(n, num)
    if re.fullmatch(r"24-?(?:h|hr|hrs|hour|hours)|d|day", d):
        return f"{numerator}/d", "time"
    if d in ("h", "hr", "hour", "min", "wk", "week") or d.startswith("12"):
        return f"{numerator}/{_TIME_CASE.get(d, d)}", "time"
    if d in ("kg", "g"):
        return f"{numerator}/{d}", "per_mass"
    if d == "100ml":
        return f"{numerator}/dL", "volume"
    if d in ("litre", "liter"):
        d = "l"
    return f"{numerator}/{_NUM_CASE.get(d, d)}", "volume"


@dataclass(frozen=True, slots=True)
class _Unit:
    unit: str | None  # spelling for convert(); None: not a unit of a concentration
    kind: str  # volume, time, per_mass, count, esr, egfr, volume_cell, percent, dose, enzyme, none
    end: int


_UNIT_SPACE = re.compile(r"[ \t\u00a0\u202f\u2009]+")


def _read_unit(text: str, pos: int) -> _Unit:
    """The unit starting at ``pos`` (after optional spaces), or kind 'none'."""
    space = _UNIT_SPACE.match(text, pos)
    at = space.end() if space else pos
    count = _COUNT.match(text, at) or _COUNT_LOST_POWER.match(text, at)
    if count:
        exp = int(count.group("exp").translate(_SUPERSCRIPT))
        den = count.group("den").casefold()
        per_litre = exp + (0 if den in ("l", "litre", "liter") else 6)
        unit = {9: "10*9/L", 12: "10*12/L", 6: "/uL"}.get(per_litre)
        return _Unit(unit, "count" if unit else "count_unknown", count.end())
    for pattern, unit in ((_GIGA, ""), (_PER_VOLUME, "/uL")):
        m = pattern.match(text, at)
        if m:
            if not unit:
                unit = "10*9/L" if m.group(0).upper().startswith("G") else "10*3/uL"
            return _Unit(unit, "count", m.end())
    m = _ESR.match(text, at)
    if m:
        return _Unit("mm/h", "esr", m.end())
    m = _EGFR.match(text, at)
    if m:
        return _Unit("mL/min/{1.73_m2}", "egfr", m.end())
    m = _MG_PERCENT.match(text, at)
    if m:
        return _Unit("mg/dL", "volume", m.end())
    m = _RATIO.match(text, at)
    if m:
        unit, kind = _normalise_unit(m.group("num"), m.group("den"))
        return _Unit(unit, kind, m.end())
    m = _PERCENT.match(text, at)
    if m:
        return _Unit("%", "percent", m.end())
    m = _FEMTOLITRE.match(text, at)
    if m:
        return _Unit("fL", "volume_cell", m.end())
    m = _BARE_MM.match(text, at)
    if m:
        return _Unit("mm", "mm", m.end())
    m = _BARE_ENZYME.match(text, at)
    if m:
        return _Unit(m.group(0), "enzyme", m.end())
    m = _BARE_DOSE.match(text, at)
    if m:
        return _Unit(None, "dose", m.end())
    return _Unit(None, "none", pos)


# --- reference intervals ---------------------------------------------------------------------
_REF_WORDS = (
    r"(?:normal(?:\s+(?:range|values?|limits?|levels?|interval))?|reference(?:\s+(?:range|"
    r"interval|values?|limits?))?|ref\.?(?:\s+range)?|range|n\.\s?v\.|nv|nr|rr|ri|n"
    r"|upper\s+limit(?:\s+of\s+normal)?|normal\s+upper\s+limit|uln|(?:lab(?:oratory)?\s+)?"
    r"normal)"
)
_REF_HEAD = re.compile(r"\s*(?P<word>" + _REF_WORDS + r")\s*(?:[:=,]|is|of)?\s*", re.IGNORECASE)
_REF_RANGE = re.compile(
    r"(?P<lo>" + _NUM + r")\s*(?:-|\u2013|\u2014|to)\s*(?P<hi>" + _NUM + r")", re.IGNORECASE
)


_UP_TO = re.compile(r"up\s+to\s*", re.IGNORECASE)


def _read_reference(
    text: str, pos: int, closing: str | None
) -> tuple[tuple[float | None, float | None], str | None, int] | None:
    """A reference interval at ``pos``: ((low, high), its unit or None, end).

    With ``closing`` (a bracket) the interval may be bare ("(27-86)", "(<4)"); without, it needs
    its word ("normal 40-129", "reference range: <4 ng/mL").
    """
    head = _REF_HEAD.match(text, pos)
    if head is None and closing is None:
        return None
    word = head.group("word").casefold() if head else ""
    at = head.end() if head else pos
    bounds: tuple[float | None, float | None]
    rng = _REF_RANGE.match(text, at)
    if rng:
        bounds = (parse_number(rng.group("lo")), parse_number(rng.group("hi")))
        at = rng.end()
    else:
        comparator: Comparator = ""
        up_to = _UP_TO.match(text, at)
        if up_to:
            comparator, at = "<=", up_to.end()
        for pattern, comp in () if up_to else _COMPARATOR:
            m = pattern.match(text, at)
            if m:
                comparator, at = comp, m.end()
                break
        number = _NUMBER.match(text, at)
        if number is None:
            return None
        limit = parse_number(number.group(0))
        at = number.end()
        if comparator in ("<", "<="):
            bounds = (None, limit)
        elif comparator in (">", ">="):
            bounds = (limit, None)
        elif word.startswith(("upper", "uln", "normal upper")):
            bounds = (None, limit)
        else:
            return None
    unit = _read_unit(text, at)
    unit_written = unit.unit if unit.kind != "none" else None
    if unit.kind != "none":
        at = unit.end
    if closing is not None:
        tail = _SPACE.match(text, at)
        at = tail.end() if tail else at
        if not text.startswith(closing, at):
            return None
        at += len(closing)
    low, high = bounds
    if low is not None and high is not None and low > high:
        return None
    return bounds, unit_written, at


# --- the scanner --------------------------------------------------------------------------------
def _name_key(name: str) -> str:
    return _SPACE.sub(" ", name.casefold().replace("-", " ")).strip()


def _name_pattern(name: str) -> str:
    words = _name_key(name).split(" ")
    return r"[\s\-]+".join(re.escape(w) for w in words)


def _text_names(lab: LabAnalyte) -> set[str]:
    display = lab.name.split(" (")[0].split(", ")[0]
    names = {lab.key.replace("_", " "), display, *lab.aliases}
    return {n for n in names if _name_key(n) not in _AMBIGUOUS_NAMES}


class LabTextScanner:
    """Finds laboratory values in text for the analytes of ``labs.yaml`` (see the module doc)."""

    def __init__(self, labs: Iterable[LabAnalyte]) -> None:
        self._analytes: dict[str, LabAnalyte] = {}
        self._by_name: dict[str, str] = {}
        for lab in labs:
            self._analytes[lab.key] = lab
            for name in sorted(_text_names(lab)):
                self._by_name.setdefault(_name_key(name), lab.key)
        names = sorted(self._by_name, key=lambda n: (-len(n), n))
        self._names = re.compile(
            r"(?<![\w\-/.])(?:"
            + "|".join(_name_pattern(n) for n in names)
            + r")(?![\w]|-[A-Za-z])",
            re.IGNORECASE,
        )

    def signature(self) -> str:
        """What the scanner reads with, for the keys of cached results."""
        return self._names.pattern

    def scan(self, text: str) -> list[TextLabValue]:
        """Every laboratory value (or unusable value, with ``problem``) in ``text``."""
        if not any(ch.isdigit() for ch in text):
            return []
        found: list[TextLabValue] = []
        pos = 0
        previous_end = -1  # end of the last name that gave no value, for lists of names
        while (name := self._names.search(text, pos)) is not None:
            in_list = (
                previous_end >= 0 and bool(_LIST_JOIN.match(text[previous_end : name.start()]))
            ) or bool(_LIST_BEFORE.search(text[max(0, name.start() - 30) : name.start()]))
            key = self._by_name[_name_key(name.group(0))]
            result = None
            if not in_list and self._applies(text, name, key):
                result = self._value_after(text, name.start(), name.end(), key)
            if result is None:
                previous_end = pos = name.end()
                continue
            found.append(result)
            pos = max(result.end, name.end())
            previous_end = -1
        return found

    def _applies(self, text: str, name: re.Match[str], key: str) -> bool:
        """Whether a name is this analyte measured in its own sample (see the module doc)."""
        written = name.group(0)
        spelled = _name_key(written)
        if len(spelled.replace(" ", "")) <= 3 and written.islower():
            return False  # "ca." circa, "mg" the unit, "cr": short names need a capital
        if key == "calcium" and _TUMOUR_MARKER_OR_ION.match(text, name.end()):
            return False  # CA 19-9, CA 125 (tumour markers), Ca2+ (ionised calcium)
        urine_analyte = self._analytes[key].unit.endswith("/d")
        clause = _CLAUSE_START.split(text[max(0, name.start() - 40) : name.start()])[-1]
        for word in re.findall(r"[a-z0-9\-]+", clause.casefold())[-2:]:
            if urine_analyte and word in _BLOOD_WORDS:
                return False
            if word in _OTHER_SAMPLE and not (urine_analyte and word in _URINE_WORDS):
                return False
        if any(w in spelled.split() for w in ("serum", "plasma", "blood", "urine", "urinary")):
            return True  # the name says the sample: "serum fluoride" after "well water"
        return not _ENVIRONMENT.search(clause)

    def _skip_gap(
        self, text: str, pos: int, urine: bool
    ) -> tuple[int, tuple[tuple[float | None, float | None], str | None] | None]:
        """Past the linking words after a name; a bracketed interval there is kept."""
        start = pos
        reference: tuple[tuple[float | None, float | None], str | None] | None = None
        for _ in range(8):
            if pos - start > _MAX_GAP:
                break
            punct = _GAP_PUNCT.match(text, pos)
            if punct:
                pos = punct.end()
                continue
            space = _SPACE.match(text, pos)
            at = space.end() if space else pos
            if at >= len(text):
                break
            phrase = _GAP_PHRASE.match(text, at)
            if phrase:
                pos = phrase.end()
                continue
            word = _GAP_WORD.match(text, at)
            linking = word is not None and (
                word.group(0).casefold() in _GAP_WORDS
                or (urine and word.group(0).casefold() in _URINE_GAP_WORDS)
            )
            if word and linking and not any(p.match(text, at) for p, _ in _COMPARATOR):
                pos = word.end()
                continue
            if text.startswith("(", at):
                ref = _read_reference(text, at + 1, ")")
                if ref is not None:
                    reference, pos = (ref[0], ref[1]), ref[2]
                    continue
                abbreviation = _ABBREVIATION.match(text, at)
                if abbreviation:
                    pos = abbreviation.end()
                    continue
            return at, reference
        space = _SPACE.match(text, pos)
        return (space.end() if space else pos), reference

    def _value_after(self, text: str, start: int, pos: int, key: str) -> TextLabValue | None:
        lab = self._analytes[key]
        # 1. the gap: linking words, ':' or '=', an abbreviation or interval in brackets
        pos, reference_before = self._skip_gap(text, pos, lab.unit.endswith("/d"))
        # 2. the value: an optional '(', approximation and comparator, then the number
        opened = text.startswith("(", pos)
        if opened:
            space = _SPACE.match(text, pos + 1)
            pos = space.end() if space else pos + 1
        approx = _APPROX.match(text, pos)
        if approx:
            pos = approx.end()
        comparator: Comparator = ""
        for pattern, comp in _COMPARATOR:
            m = pattern.match(text, pos)
            if m:
                comparator, pos = comp, m.end()
                break
        if _DATE.match(text, pos):
            return None
        number = _NUMBER.match(text, pos)
        if number is None:
            return None
        value = parse_number(number.group(0))
        pos = number.end()
        # 3. what follows the number decides whether it is a value, and its unit
        multiple = _MULTIPLE.match(text, pos)
        if multiple:
            return _problem(key, start, multiple.end(), "written as a multiple of the upper limit")
        unit = _read_unit(text, pos)
        if unit.kind == "none" and _DIMENSION.match(text, pos):
            return None  # a size such as 2 x 3 cm
        rng = _RANGE_AFTER.match(text, pos)
        if rng and not comparator and unit.kind == "none":
            series = _FROM_BEFORE.search(text[start : number.start()])
            what = "a series of values" if series else "a range or series"
            return _problem(key, start, rng.end(), f"written as {what}, not as one value")
        if unit.kind == "mm" and lab.unit == "mm/h":
            unit = _Unit("mm/h", "esr", unit.end)  # "ESR 80 mm": millimetres in the first hour
        if unit.kind in ("percent", "dose", "mm"):
            return None  # a percentage, a dose or amount, a length
        if unit.kind in ("time", "per_mass") and not lab.unit.endswith("/d"):
            return None  # a dose or an excretion rate, not this analyte's concentration
        if unit.kind == "enzyme":
            if lab.unit != "U/L":
                return None  # a dose in international units (vitamin D 1000 IU)
            return _problem(key, start, unit.end, f"unit {unit.unit!r} is given without a volume")
        if unit.kind == "count_unknown":
            return _problem(key, start, unit.end, "the count unit is not recognised")
        if unit.kind == "none" and not _VALUE_END.match(text, pos):
            return None  # a number followed by a word: an age, a duration, a count
        end = unit.end if unit.kind != "none" else pos
        later = _RANGE_AFTER.match(text, end)
        if later and _FROM_BEFORE.search(text[start : number.start()]):
            return _problem(
                key, start, later.end(), "written as a series of values, not as one value"
            )
        written = text[number.start() : end].strip()
        if comparator:
            written = f"{comparator}{written}"
        # 4. a closing bracket, then an interval written after the value
        at = end
        reference = reference_before
        if opened:
            close = re.compile(r"\s*\)").match(text, at)
            inner = re.compile(r"\s*[;,]").match(text, at)
            if close:
                at = close.end()
            elif inner and (ref := _read_reference(text, inner.end(), ")")) is not None:
                reference, at = (ref[0], ref[1]), ref[2]
            else:
                return None
        if reference is None:
            for opener, closing in (("(", ")"), ("[", "]"), (",", None), (";", None)):
                lead = re.compile(r"\s*" + re.escape(opener)).match(text, at)
                if lead:
                    ref = _read_reference(text, lead.end(), closing)
                    if ref is not None:
                        reference, at = (ref[0], ref[1]), ref[2]
                    break
        unit_written = unit.unit if unit.kind != "none" else None
        bounds = None
        if reference is not None:
            bounds, reference_unit = reference
            if unit_written is None and reference_unit is not None:
                unit_written = reference_unit  # "ALP 125 (27-86 U/L)": the unit of the interval
                written = f"{written} ({reference_unit} from the interval)"
            elif reference_unit is not None and reference_unit != unit_written:
                bounds = None  # an interval in another unit is not used
        return TextLabValue(
            analyte=key,
            start=start,
            end=max(at, end),
            value=value,
            written=written,
            unit=unit_written,
            comparator=comparator,
            reference=bounds,
        )


def _problem(key: str, start: int, end: int, problem: str) -> TextLabValue:
    return TextLabValue(analyte=key, start=start, end=end, problem=problem)
