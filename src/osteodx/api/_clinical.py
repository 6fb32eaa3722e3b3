"""Routes over the NEN, bone-score, treatment and case-library engines (``/api/v1/...``).

Each route validates its request model (errors become problem details through the app's
handler) and turns the engines' own input errors (``NenInputError``, ``BoneInputError``,
``LibraryError``) into problem details naming the request field and the accepted values.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from osteodx.api._library import LibraryHolder
from osteodx.api._models import (
    CategoryInfo,
    ChoiceInfo,
    ComparisonOut,
    NenGradeRequest,
    NenMarkersRequest,
    NenMarkersResponse,
    NenSiteRequest,
    NenSiteResponse,
    NumberInfo,
    ScoreInfo,
    ScoreItemInfo,
    SimilarCaseOut,
    SimilarCasesResponse,
)
from osteodx.api._problems import PROBLEM_RESPONSES, case_problem, field_problem, problem
from osteodx.api._strict import StrictJsonRoute
from osteodx.api._work import off_loop, too_long
from osteodx.bone import (
    SCORE_NAMES,
    BoneInputError,
    ScoreResult,
    TreatmentContext,
    TreatmentOptions,
    accepted_values,
    compute_score,
    list_scores,
    score_request_model,
    treatment_options,
)
from osteodx.case import CaseInputError, parse_document
from osteodx.literature import LibraryCase, LibraryError
from osteodx.nen import (
    NenClassification,
    NenInputError,
    classify,
    interpret_markers,
    pathology_from_mapping,
    recommend_markers,
    site_posterior,
)

__all__ = ["clinical_router"]

# Engine field names -> the request field the user sent.
_REQUEST_NAMES = {
    "ki67_percent": "ki67",
    "mitoses_per_2mm2": "mitoses",
    "diagnosis_term": "diagnosis",
}
_INDEX = re.compile(r"\[(\d+)\]")


def _request_loc(field: str) -> str:
    parts = _INDEX.sub(r".\1", field).split(".")
    named = [_REQUEST_NAMES.get(p, p) for p in parts if p]
    if named and named[0] == "body":
        named = named[1:]
    return ".".join(["body", *named])


def _nen_problem(exc: NenInputError) -> Response:
    return field_problem(_request_loc(exc.field), exc.message, exc.fix, exc.accepted)


def _pathology_mapping(req: NenGradeRequest) -> dict[str, Any]:
    data = req.model_dump(exclude_none=True, exclude_defaults=True)
    if req.components:
        data["components"] = [
            {
                {"ki67": "ki67_percent", "mitoses": "mitoses_per_2mm2"}.get(k, k): v
                for k, v in c.model_dump(exclude_none=True).items()
            }
            for c in req.components
        ]
    return data


def _score_info(decl: Any) -> ScoreInfo:
    return ScoreInfo(
        id=decl.id,
        name=decl.name,
        purpose=decl.purpose,
        direction=decl.direction,
        total_min=decl.total_min,
        total_max=decl.total_max,
        citation=decl.citation,
        source=decl.source,
        endpoint=f"/api/v1/scores/{decl.id}",
        items=[
            ScoreItemInfo(
                name=i.name,
                label=i.label,
                help=i.help,
                kind=i.kind,
                accepted=list(accepted_values(i)),
                choices=[
                    ChoiceInfo(value=c.value, label=c.label, points=c.points) for c in i.choices
                ],
                number=NumberInfo(
                    min=i.number.min, max=i.number.max, step=i.number.step, unit=i.number.unit
                )
                if i.number is not None
                else None,
            )
            for i in decl.items
        ],
        categories=[
            CategoryInfo(
                id=c.id, min=c.min, max=c.max, label=c.label, interpretation=c.interpretation
            )
            for c in decl.categories
        ],
    )


def _score_endpoint(name: str, model: type[BaseModel]) -> Callable[..., Any]:
    async def endpoint(values: Any) -> Any:
        try:
            return compute_score(name, values.model_dump(exclude_none=True))
        except BoneInputError as exc:
            return field_problem(_bone_loc(exc.field, name), exc.message, exc.fix, exc.accepted)

    # FastAPI reads the body model from the signature: one generated model per score.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "values",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[model, Body()],
            )
        ],
        return_annotation=ScoreResult,
    )
    endpoint.__name__ = f"score_{name}"
    return endpoint


def _bone_loc(field: str, score: str) -> str:
    head, _, rest = field.partition(".")
    if head == score and rest:
        return f"body.{rest}"
    return "path.name" if head in ("score", score) else f"body.{field}"


def clinical_router(holder: LibraryHolder) -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES, route_class=StrictJsonRoute)

    # --- NEN -----------------------------------------------------------------------------
    @router.post("/nen/grade", tags=["nen"], response_model=NenClassification)
    async def nen_grade(request: NenGradeRequest) -> Any:
        """WHO category (NET G1-G3, NEC, carcinoid, MiNEN ...) with the rule applied and its
        source, the measures and the band each fell in, and warnings."""
        try:
            return classify(pathology_from_mapping(_pathology_mapping(request), loc="body"))
        except NenInputError as exc:
            return _nen_problem(exc)

    @router.post("/nen/site", tags=["nen"], response_model=NenSiteResponse)
    async def nen_site(request: NenSiteRequest) -> Any:
        """Posterior over primary sites from an IHC panel and clues, best first, with every
        marker's contribution; and the next markers by expected information gain."""
        try:
            posterior = site_posterior(
                request.markers, request.clues, differentiation=request.differentiation
            )
            recs = recommend_markers(
                request.markers,
                request.clues,
                differentiation=request.differentiation,
                top=request.recommend,
            )
        except NenInputError as exc:
            return _nen_problem(exc)
        return NenSiteResponse(posterior=posterior, recommended_markers=list(recs))

    @router.post("/nen/markers", tags=["nen"], response_model=NenMarkersResponse)
    async def nen_markers(request: NenMarkersRequest) -> Any:
        """Chromogranin A, NSE and 5-HIAA interpreted with confounders, caveats and sources."""
        try:
            results = [r.model_dump(exclude_none=True) for r in request.results]
            out = interpret_markers(results, request.factors)
        except NenInputError as exc:
            return _nen_problem(exc)
        return NenMarkersResponse(markers=list(out))

    # --- bone scores and treatment options ----------------------------------------------
    @router.get("/scores", tags=["bone"])
    async def scores() -> list[ScoreInfo]:
        """Every declared score with its items, accepted values, categories and source."""
        return [_score_info(d) for d in list_scores()]

    for name in SCORE_NAMES:
        decl = next(d for d in list_scores() if d.id == name)
        router.add_api_route(
            f"/scores/{name}",
            _score_endpoint(name, score_request_model(name)),
            methods=["POST"],
            tags=["bone"],
            response_model=ScoreResult,
            summary=f"{decl.name}",
            description=f"{decl.purpose} Give each item as ITEM: VALUE; a missing item gives "
            "status 'cannot_compute' with the totals and categories still possible. "
            f"Source: {decl.citation} [{decl.source}].",
        )

    @router.post("/scores/{name}", include_in_schema=False)
    async def unknown_score(name: str) -> Response:
        return field_problem(
            "path.name",
            f"{name!r} is not a known score",
            f"use one of: {', '.join(SCORE_NAMES)}",
            SCORE_NAMES,
        )

    @router.post("/treatments", tags=["bone"], response_model=TreatmentOptions)
    async def treatments(context: TreatmentContext) -> Any:
        """Options to discuss for a NEN with bone metastases, each eligible, not eligible (with
        the rules not met) or unknown (with the fields that would decide it). Never a
        prescription."""
        return treatment_options(context)

    # --- published-case library -----------------------------------------------------------
    @router.post("/cases/similar", tags=["cases"], response_model=SimilarCasesResponse)
    async def cases_similar(
        document: Annotated[
            dict[str, Any],
            Body(description="A case as for /api/v1/assess: phenopacket, FHIR Bundle or form."),
        ],
        top: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Any:
        """Published patients most like this case, each with what matched and what differed."""
        try:
            case = await off_loop(parse_document, document, "request body")
        except CaseInputError as exc:
            return case_problem(exc)
        except TimeoutError:
            return too_long()

        def lookup() -> tuple[Any, int]:
            return holder.similar(case, top), len(holder.get().compiled().ids)

        try:
            matches, size = await off_loop(lookup)
        except LibraryError as exc:
            return problem(503, "Case library unavailable", f"{exc.message}; {exc.fix}")
        except TimeoutError:
            return too_long()
        return SimilarCasesResponse(
            case_id=case.case_id,
            library_size=size,
            cases=[
                SimilarCaseOut(
                    case_id=m.case_id,
                    citation=m.citation,
                    similarity=m.similarity,
                    coverage=m.coverage,
                    matched=[_comparison(c) for c in m.matched],
                    differed=[_comparison(c) for c in m.differed],
                    not_reported=list(m.not_reported),
                )
                for m in matches
            ],
        )

    @router.get(
        "/cases/{case_id}",
        tags=["cases"],
        response_model=LibraryCase,
        responses={404: PROBLEM_RESPONSES[422]},
    )
    async def library_case(
        case_id: Annotated[str, Path(max_length=64, description="A library case id.")],
    ) -> Any:
        """One published patient of the library, with the publication it was read from."""
        try:
            record: LibraryCase = holder.get().get(case_id)
        except LibraryError as exc:
            if "is not in the library" in exc.message:
                return field_problem(
                    "path.case_id", exc.message, exc.fix, title="Not found", status=404
                )
            return problem(503, "Case library unavailable", f"{exc.message}; {exc.fix}")
        return record

    return router


def _comparison(c: Any) -> ComparisonOut:
    return ComparisonOut(field=c.field, query=c.query, case=c.case, score=round(c.score, 4))
