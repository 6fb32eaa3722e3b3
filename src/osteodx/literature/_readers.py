"""Readers for the import formats: PubMed XML, MEDLINE text, CSV, phenopackets, library JSON Lines.

Each reader yields one :class:`Incoming` per record, or a :class:`RecordProblem` naming the record's
position, the field and the fix; a problem with the file as a whole (not XML, unknown CSV column)
raises :class:`LibraryError` before anything is imported. Header of the CSV format:
:data:`CSV_COLUMNS` (docs/literature.md#csv).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from osteodx.knowledge._vocabulary import vocabulary
from osteodx.literature._config import vocabularies
from osteodx.literature._errors import LibraryError, RecordProblem

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "Incoming",
    "detect_format",
    "read_records",
]

Format = Literal["pubmed-xml", "medline", "csv", "phenopacket", "jsonl"]
FORMATS: tuple[str, ...] = ("pubmed-xml", "medline", "csv", "phenopacket", "jsonl")

CSV_COLUMNS: tuple[str, ...] = (
    "case_id",
    "first_author",
    "year",
    "journal",
    "title",
    "pmid",
    "doi",
    "url",
    "age",
    "sex",
    "presentation",
    "symptoms",
    "carcinoid_syndrome",
    "primary_site",
    "primary_found",
    "primary_found_by",
    "histology",
    "grade",
    "ki67_percent",
    "mitoses_per_2mm2",
    "ihc",
    "circulating_markers",
    "bone_lesion_type",
    "bone_sites",
    "other_metastases",
    "imaging",
    "treatments",
    "status",
    "follow_up_months",
    "response",
    "notes",
)
_CITATION_COLUMNS = ("first_author", "year", "journal", "title", "pmid", "doi", "url")
_LIST_COLUMNS = ("symptoms", "bone_sites", "other_metastases", "treatments")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One record read from a file, before validation and merging.

    ``article_level`` records (PubMed, MEDLINE) describe a publication, not a patient: merged into
    an existing patient they add only citation fields.
    """

    position: str
    data: dict[str, Any]
    explicit_id: bool = False
    article_level: bool = False
    extracted: tuple[str, ...] = field(default=())


Item = Incoming | RecordProblem


def detect_format(path: Path) -> Format:
    """The format from the file name, or from the first characters of the file."""
    name = path.name.lower()
    if path.is_dir():
        return "phenopacket"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".xml", ".xml.gz")):
        return "pubmed-xml"
    if name.endswith((".nbib", ".medline", ".txt")):
        return "medline"
    if name.endswith((".json", ".yaml", ".yml")):
        return "phenopacket"
    head = _read_text(path)[:2000].lstrip()
    if head.startswith("<"):
        return "pubmed-xml"
    if head.startswith("PMID-"):
        return "medline"
    raise LibraryError(
        f"{path}: the format cannot be told from the name or the content",
        f"give --format with one of: {', '.join(FORMATS)}",
    )


def _read_text(path: Path) -> str:
    try:
        if path.name.lower().endswith(".gz"):
            import gzip

            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LibraryError(f"{path}: file not found", "check the path") from None
    except IsADirectoryError:
        raise LibraryError(f"{path}: is a folder", "give a file, or phenopackets") from None
    except UnicodeDecodeError as exc:
        raise LibraryError(
            f"{path}: not UTF-8 text (byte {exc.start})", "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise LibraryError(f"{path}: cannot be read ({exc.strerror})", "check the file") from None


def read_records(path: Path, fmt: str | None = None) -> list[Item]:
    """All records of a file (or of a folder of phenopackets), in file order."""
    chosen = fmt or detect_format(path)
    if chosen not in FORMATS:
        raise LibraryError(
            f"--format: {chosen!r} is not a known format", f"use one of: {', '.join(FORMATS)}"
        )
    if chosen == "phenopacket" and path.is_dir():
        items: list[Item] = []
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".yaml", ".yml"))
        for p in files:
            items.extend(_phenopacket_file(p, str(p)))
        return items
    text = _read_text(path)
    source = path.name
    if chosen == "pubmed-xml":
        return list(_pubmed_xml(text, source))
    if chosen == "medline":
        return list(_medline(text, source))
    if chosen == "csv":
        return list(_csv(text, source))
    if chosen == "jsonl":
        return list(_jsonl(text, source))
    return _phenopacket_file(path, source, text)


# --- library JSON Lines (the shipped format) -------------------------------------------------


def _jsonl(text: str, source: str) -> Iterator[Item]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {n}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordProblem(
                where, "(line)", f"malformed JSON ({exc.msg})", "fix the JSON on that line"
            )
            continue
        if not isinstance(data, dict):
            yield RecordProblem(where, "(line)", "not a JSON object", "one case object per line")
            continue
        yield Incoming(where, data, explicit_id="case_id" in data)


# --- PubMed XML --------------------------------------------------------------------------------


def _text_of(node: ET.Element | None) -> str:
    return "".join(node.itertext()).strip() if node is not None else ""


def _pubmed_xml(text: str, source: str) -> Iterator[Item]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = exc.position
        raise LibraryError(
            f"{source} line {line} column {col}: malformed XML ({exc.msg.split(':')[0]})",
            "fix the XML at that position, or export the records again from PubMed",
        ) from None
    if root.tag != "PubmedArticleSet":
        raise LibraryError(
            f"{source}: the XML root is <{root.tag}>, not <PubmedArticleSet>",
            "export from PubMed with 'Save' > Format 'PubMed XML'",
        )
    n = 0
    for article in root:
        if article.tag not in ("PubmedArticle", "PubmedBookArticle"):
            continue
        n += 1
        where = f"{source} PubmedArticle #{n}"
        yield _pubmed_article(article, where)


def _pubmed_article(article: ET.Element, where: str) -> Item:
    medline = article.find("MedlineCitation")
    if medline is None:
        return RecordProblem(
            where, "MedlineCitation", "missing", "export complete records (PubMed XML)"
        )
    pmid = _text_of(medline.find("PMID")) or None
    art = medline.find("Article")
    title = _text_of(art.find("ArticleTitle")) if art is not None else ""
    journal = _text_of(art.find("Journal/Title")) if art is not None else ""
    year_text = ""
    if art is not None:
        year_text = _text_of(art.find("Journal/JournalIssue/PubDate/Year")) or _text_of(
            art.find("Journal/JournalIssue/PubDate/MedlineDate")
        )
    doi = None
    for node in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if node.get("IdType") == "doi":
            doi = _text_of(node)
    if doi is None and art is not None:
        for node in art.iterfind("ELocationID"):
            if node.get("EIdType") == "doi":
                doi = _text_of(node)
    author = None
    if art is not None:
        first = art.find("AuthorList/Author")
        if first is not None:
            last = _text_of(first.find("LastName")) or _text_of(first.find("CollectiveName"))
            initials = _text_of(first.find("Initials"))
            author = f"{last} {initials}".strip() or None
    parts = []
    if art is not None:
        for node in art.iterfind("Abstract/AbstractText"):
            label = node.get("Label")
            body = _text_of(node)
            parts.append(f"{label.capitalize()}: {body}" if label else body)
    abstract = " ".join(parts)
    return _article_record(
        where, pmid, doi, title, journal, year_text, author, abstract, "PubMed XML"
    )


# --- MEDLINE text ------------------------------------------------------------------------------

_MEDLINE_LINE = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- (.*)$")


def _medline(text: str, source: str) -> Iterator[Item]:
    record: dict[str, list[str]] = {}
    start = 0
    last_tag: str | None = None
    n = 0
    lines = text.splitlines()
    for i, line in enumerate([*lines, ""], start=1):
        if not line.strip():
            if record:
                n += 1
                yield _medline_record(record, f"{source} record #{n} (line {start})")
                record, last_tag = {}, None
            continue
        match = _MEDLINE_LINE.match(line)
        if match:
            last_tag = match.group(1).strip()
            record.setdefault(last_tag, []).append(match.group(2).strip())
            if len(record) == 1 and len(record[last_tag]) == 1:
                start = i
        elif line.startswith("      ") and last_tag is not None:
            record[last_tag][-1] += " " + line.strip()
        else:
            if not record:
                start = i
            record.setdefault("?", []).append(f"line {i}")
            last_tag = None


def _medline_record(record: dict[str, list[str]], where: str) -> Item:
    if "?" in record:
        return RecordProblem(
            where,
            record["?"][0],
            "not a MEDLINE field line ('TAG - value' or a 6-space continuation)",
            "export from PubMed with 'Save' > Format 'PubMed' (MEDLINE text)",
        )
    pmid = record["PMID"][0] if record.get("PMID") else None
    doi = None
    for tag in ("LID", "AID"):
        for value in record.get(tag, []):
            if value.endswith("[doi]"):
                doi = value[: -len("[doi]")].strip()
                break
        if doi:
            break
    author = record["AU"][0] if record.get("AU") else None
    return _article_record(
        where,
        pmid,
        doi,
        (record.get("TI") or [""])[0],
        (record.get("JT") or record.get("TA") or [""])[0],
        (record.get("DP") or [""])[0],
        author,
        (record.get("AB") or [""])[0],
        "MEDLINE",
    )


# --- shared for article-level records -------------------------------------------------------


def _article_record(
    where: str,
    pmid: str | None,
    doi: str | None,
    title: str,
    journal: str,
    year_text: str,
    author: str | None,
    abstract: str,
    kind: str,
) -> Item:
    if not pmid and not doi:
        return RecordProblem(
            where, "PMID", "the record has neither a PMID nor a DOI", "export it again"
        )
    year_match = re.search(r"\b(1[89]\d\d|20\d\d)\b", year_text)
    facts, extracted = extract_from_abstract(f"{title}. {abstract}")
    url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid and pmid.isdigit() else None
    note = f"Imported from a {kind} record (abstract only)."
    if extracted:
        note += (
            " Extracted automatically from the title and abstract, not reviewed: "
            + ", ".join(extracted)
            + "."
        )
    data: dict[str, Any] = {
        "citation": {
            "first_author": author,
            "year": int(year_match.group(1)) if year_match else None,
            "journal": journal or None,
            "title": title or None,
            "pmid": pmid,
            "doi": doi,
            "url": url,
        },
        "presentation": abstract[:4000],
        "notes": note,
        **facts,
    }
    return Incoming(where, data, article_level=True, extracted=extracted)


_AGE_SEX = re.compile(
    r"\b(\d{1,3})[- ](?:year|yr)s?[- ]old[- ]"
    r"(man|woman|male|female|boy|girl|gentleman|lady|patient)",
    re.IGNORECASE,
)
_KI67 = re.compile(r"ki[- ]?67[^.%<>0-9]{0,40}?(\d{1,2}(?:\.\d)?)\s?%", re.IGNORECASE)
_RANGE_AFTER = re.compile(r"^\s*(-|–|to)\s*\d")
_GRADE = re.compile(r"\b(?:G([123])|grade ([123]))\b", re.IGNORECASE)


def extract_from_abstract(text: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Cautious facts from a single-patient abstract: only unambiguous mentions are kept."""
    facts: dict[str, Any] = {}
    found: list[str] = []
    low = text.lower()
    ages = _AGE_SEX.findall(text)
    if len({(a, s.lower()) for a, s in ages}) == 1:
        age, sex = ages[0]
        facts["age"] = float(age)
        found.append("age")
        word = sex.lower()
        if word in ("man", "male", "boy", "gentleman"):
            facts["sex"] = "male"
            found.append("sex")
        elif word in ("woman", "female", "girl", "lady"):
            facts["sex"] = "female"
            found.append("sex")
    kis = [m for m in _KI67.finditer(text) if not _RANGE_AFTER.match(text[m.end() :])]
    if len({m.group(1) for m in kis}) == 1:
        facts["ki67_percent"] = float(kis[0].group(1))
        found.append("ki67_percent")
    grades = {g1 or g2 for g1, g2 in _GRADE.findall(text)}
    if len(grades) == 1 and ("neuroendocrine" in low or "carcinoid" in low):
        facts["grade"] = f"G{grades.pop()}"
        found.append("grade")
    if "mixed neuroendocrine" in low or "minen" in low or "manec" in low:
        facts["histology"] = "MiNEN"
    elif "neuroendocrine carcinoma" in low or "small cell carcinoma" in low:
        facts["histology"] = "NEC"
    elif "atypical carcinoid" in low:
        facts["histology"] = "carcinoid-atypical"
    elif "carcinoid" in low:
        facts["histology"] = "carcinoid"
    elif re.search(r"neuroendocrine (tumou?r|neoplasm)", low):
        facts["histology"] = "NET"
    if "histology" in facts:
        found.append("histology")
    if re.search(
        r"unknown primary|unknown origin|primary (site )?(was )?(not|never) (found|identified)", low
    ):
        facts["primary_site"] = "unknown"
        facts["primary_found"] = False
        found.append("primary_site")
    bone_sentences = [
        s
        for s in re.split(r"(?<=[.;])\s+", text)
        if re.search(r"bone|osse|osteo|skelet|vertebr|spine|\brib", s, re.I)
    ]
    if bone_sentences:
        joined = " ".join(bone_sentences).lower()
        blastic = bool(re.search(r"osteoblastic|sclerotic|osteosclero|blastic", joined))
        lytic = bool(re.search(r"osteolytic|lytic", joined))
        if blastic and lytic:
            facts["bone_lesion_type"] = "mixed"
        elif blastic:
            facts["bone_lesion_type"] = "osteoblastic"
        elif lytic:
            facts["bone_lesion_type"] = "osteolytic"
        if "bone_lesion_type" in facts:
            found.append("bone_lesion_type")
        if re.search(r"metasta", joined):
            sites = list(vocabularies()["bone_sites"].find(joined))
            if "bone marrow" not in joined and "bone_marrow" in sites:
                sites.remove("bone_marrow")
            facts["bone_sites"] = sites or ["unspecified"]
            found.append("bone_sites")
    return facts, tuple(found)


# --- CSV -------------------------------------------------------------------------------------

_MARKER_ITEM = re.compile(
    r"^(?P<name>[^=:]+?)\s*(?:=\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[^:]*?))?\s*"
    r"(?::\s*(?P<flag>elevated|raised|high|normal|unknown))?$",
    re.IGNORECASE,
)


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def _csv(text: str, source: str) -> Iterator[Item]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LibraryError(
            f"{source}: the CSV file is empty", "start with the header line"
        ) from None
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise LibraryError(
            f"{source} line 1: unknown column {unknown[0]!r}",
            f"use only these columns (docs/literature.md#csv): {', '.join(CSV_COLUMNS)}",
        )
    if not {"pmid", "doi", "url"} & set(header):
        raise LibraryError(
            f"{source} line 1: no citation column",
            "add at least one of the columns pmid, doi, url",
        )
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        where = f"{source} line {line}"
        if len(row) != len(header):
            yield RecordProblem(
                where,
                "(row)",
                f"{len(row)} fields for {len(header)} columns",
                "quote fields that contain commas, one value per column",
            )
            continue
        yield _csv_row(dict(zip(header, (c.strip() for c in row), strict=True)), where)


def _csv_row(row: dict[str, str], where: str) -> Item:
    data: dict[str, Any] = {"citation": {}}
    try:
        for col, raw in row.items():
            if raw == "":
                continue
            if col in _CITATION_COLUMNS:
                data["citation"][col] = _number(raw, col, integer=True) if col == "year" else raw
            elif col in _LIST_COLUMNS:
                data[col] = _split(raw)
            elif col in ("age", "ki67_percent", "mitoses_per_2mm2"):
                data[col] = _number(raw, col)
            elif col in ("carcinoid_syndrome", "primary_found"):
                data[col] = _boolean(raw, col)
            elif col == "ihc":
                data["ihc"] = _ihc(raw)
            elif col == "circulating_markers":
                data["circulating_markers"] = _markers(raw)
            elif col == "imaging":
                data["imaging"] = [
                    {"modality": m.strip(), "finding": f.strip()}
                    for item in _split(raw)
                    for m, _, f in [item.partition(":")]
                ]
            elif col in ("status", "follow_up_months", "response"):
                outcome = data.setdefault("outcome", {})
                outcome[col] = _number(raw, col) if col == "follow_up_months" else raw
            else:
                data[col] = raw
    except _CellError as exc:
        return RecordProblem(where, exc.column, exc.message, exc.fix)
    return Incoming(where, data, explicit_id="case_id" in data)


class _CellError(Exception):
    def __init__(self, column: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.column, self.message, self.fix = column, message, fix


def _number(raw: str, col: str, integer: bool = False) -> float | int:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise _CellError(col, f"{raw!r} is not {kind}", f"write {kind} or leave it empty") from None


def _boolean(raw: str, col: str) -> bool:
    low = raw.lower()
    if low in ("true", "yes", "1"):
        return True
    if low in ("false", "no", "0"):
        return False
    raise _CellError(col, f"{raw!r} is not true/false", "write true, false or leave it empty")


def _ihc(raw: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in _split(raw):
        name, sep, status = item.partition(":")
        status = status.strip().lower()
        status = {"positive": "pos", "negative": "neg", "partial": "focal", "weak": "focal"}.get(
            status, status
        )
        if not sep or status not in ("pos", "neg", "focal"):
            raise _CellError(
                "ihc", f"{item!r} is not 'marker:pos|neg|focal'", "write e.g. 'ttf1:neg;cdx2:pos'"
            )
        result[name.strip()] = status
    return result


def _markers(raw: str) -> list[dict[str, Any]]:
    result = []
    for item in _split(raw):
        m = _MARKER_ITEM.match(item)
        if not m:
            raise _CellError(
                "circulating_markers",
                f"{item!r} is not 'name[=value unit][:elevated|normal]'",
                "write e.g. 'NSE:elevated;chromogranin A=350 ng/mL:elevated'",
            )
        flag = (m.group("flag") or "unknown").lower()
        result.append(
            {
                "name": m.group("name").strip(),
                "value": float(m.group("value")) if m.group("value") else None,
                "unit": (m.group("unit") or "").strip() or None,
                "elevated": None if flag == "unknown" else flag != "normal",
            }
        )
    return result


# --- phenopackets ----------------------------------------------------------------------------


def _phenopacket_file(path: Path, where: str, text: str | None = None) -> list[Item]:
    body = text if text is not None else _read_text(path)
    data: Any
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(body)
        else:
            data = json.loads(body)
    except (json.JSONDecodeError, ValueError) as exc:
        return [RecordProblem(where, "(file)", f"malformed JSON/YAML ({exc})", "fix the syntax")]
    docs = data if isinstance(data, list) else [data]
    items: list[Item] = []
    for i, doc in enumerate(docs):
        pos = f"{where} [{i}]" if isinstance(data, list) else where
        items.append(_phenopacket(doc, pos))
    return items


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _label(node: Any) -> str:
    label = _dict(node).get("label")
    return label if isinstance(label, str) else ""


@cache
def _treatment_words() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Words naming a NEN treatment in an abstract (knowledge/data/vocabulary.yaml)."""
    return tuple(
        (re.compile(p.pattern), p.treatment) for p in vocabulary().library_treatments.patterns
    )


def _primary_words() -> tuple[tuple[str, str], ...]:
    """Words naming the primary site in an abstract (knowledge/data/vocabulary.yaml)."""
    return tuple((p.site, p.pattern) for p in vocabulary().library_primary_sites.patterns)


def _phenopacket(doc: Any, where: str) -> Item:
    if not isinstance(doc, dict):
        return RecordProblem(
            where, "(document)", "a phenopacket must be an object", "check the file"
        )
    pid = doc.get("id")
    if not isinstance(pid, str) or not pid.strip():
        return RecordProblem(where, "id", "the phenopacket has no 'id'", 'add a top-level "id"')
    refs = _dict(doc.get("metaData")).get("externalReferences") or []
    citation: dict[str, Any] = {}
    for ref in refs if isinstance(refs, list) else []:
        rid = str(_dict(ref).get("id") or "")
        if rid.upper().startswith("PMID:") and "pmid" not in citation:
            citation["pmid"] = rid
            citation["title"] = _dict(ref).get("description") or None
            citation["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{rid.split(':', 1)[1].strip()}/"
        elif rid.upper().startswith("DOI:") and "doi" not in citation:
            citation["doi"] = rid
        elif rid.startswith(("http://", "https://")) and "url" not in citation:
            citation["url"] = rid
    if not citation:
        return RecordProblem(
            where,
            "metaData.externalReferences",
            "no PMID:, DOI: or https:// reference",
            'add {"id": "PMID:12345678"} to metaData.externalReferences',
        )
    subject = _dict(doc.get("subject"))
    data: dict[str, Any] = {"case_id": pid.strip(), "citation": citation}
    sex = str(subject.get("sex") or "").lower()
    if sex in ("male", "female"):
        data["sex"] = sex
    iso = _dict(_dict(subject.get("timeAtLastEncounter")).get("age")).get("iso8601duration")
    if isinstance(iso, str):
        m = re.match(r"^P(\d+)Y", iso)
        if not m:
            return RecordProblem(
                where,
                "subject.timeAtLastEncounter.age.iso8601duration",
                f"{iso!r} is not an age in years",
                "write e.g. P30Y",
            )
        data["age"] = float(m.group(1))
    symptoms: list[str] = []
    sclerotic = lytic = False
    sites: list[str] = []
    mets: list[str] = []
    markers: list[dict[str, Any]] = []
    v = vocabularies()
    for i, feature in enumerate(doc.get("phenotypicFeatures") or []):
        label = _label(_dict(feature).get("type"))
        if not label:
            return RecordProblem(
                where,
                f"phenotypicFeatures[{i}].type.label",
                "missing label",
                'give {"id": "HP:...", "label": "..."}',
            )
        low = label.lower()
        excluded = _dict(feature).get("excluded") is True
        marker = v["markers"].find(low) if ("circulating" in low or " level" in low) else ()
        if marker:
            markers.append({"name": marker[0], "elevated": not excluded})
            continue
        if excluded:
            continue
        if re.search(r"scleros|sclerotic|osteoblastic|bone mineral density", low):
            sclerotic = True
        if re.search(r"osteoly|lytic", low):
            lytic = True
        if re.search(r"scler|lytic|lesion|metasta|fracture", low):
            sites.extend(v["bone_sites"].find(low))
        if "metasta" in low:
            mets.extend(v["other_metastases"].find(low))
        symptoms.append(label)
    if sclerotic or lytic:
        data["bone_lesion_type"] = (
            "mixed" if sclerotic and lytic else ("osteoblastic" if sclerotic else "osteolytic")
        )
    data["bone_sites"] = sorted(set(sites))
    data["other_metastases"] = sorted(set(mets))
    data["symptoms"] = symptoms
    data["circulating_markers"] = markers
    for disease in doc.get("diseases") or []:
        label = _label(_dict(disease).get("term")).lower()
        if "neuroendocrine carcinoma" in label:
            data.setdefault("histology", "NEC")
        elif "carcinoid" in label:
            data.setdefault("histology", "carcinoid")
        elif "neuroendocrine" in label:
            data.setdefault("histology", "NET")
        site_label = (_label(_dict(disease).get("primarySite")) or label).lower()
        for site, site_pattern in _primary_words():
            if re.search(site_pattern, site_label):
                data.setdefault("primary_site", site)
                data.setdefault("primary_found", True)
                break
    treatments: list[str] = []
    for action in doc.get("medicalActions") or []:
        node = _dict(action)
        label = " ".join(
            _label(_dict(node.get(kind)).get(key))
            for kind, key in (
                ("treatment", "agent"),
                ("procedure", "code"),
                ("radiationTherapy", "modality"),
                ("therapeuticRegimen", "ontologyClass"),
            )
        ).lower()
        for pattern, treatment in _treatment_words():
            if pattern.search(label) and treatment not in treatments:
                treatments.append(treatment)
                break
    data["treatments"] = treatments
    vital = _dict(subject.get("vitalStatus"))
    status = str(vital.get("status") or "").upper()
    outcome: dict[str, Any] = {}
    if status == "ALIVE":
        outcome["status"] = "alive"
    elif status == "DECEASED":
        outcome["status"] = "dead"
    days = vital.get("survivalTimeInDays")
    if isinstance(days, int | float) and not isinstance(days, bool):
        outcome["follow_up_months"] = round(days / 30.4375, 1)
    if outcome:
        data["outcome"] = outcome
    description = doc.get("description")
    data["presentation"] = description if isinstance(description, str) else ""
    data["notes"] = "Imported from a phenopacket."
    return Incoming(where, data, explicit_id=True)
