"""The REST API (``/api/v1``) and the web page, over the same Python API as the CLI.

Only this package imports FastAPI. No request body, case content or token is ever logged.
"""

from __future__ import annotations

import gc
import hmac
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException

from osteodx._api import assess
from osteodx.api._clinical import clinical_router
from osteodx.api._forms import WebForm, errors_by_field, form_sections
from osteodx.api._library import LibraryHolder
from osteodx.api._problems import (
    MAX_ERRORS,
    PROBLEM_RESPONSES,
    Problem,
    case_problem,
    problem,
    validation_items,
)
from osteodx.api._security import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    HardeningMiddleware,
    session_value,
)
from osteodx.api._strict import StrictJsonRoute
from osteodx.api._summary import AssessmentSummary, summarise
from osteodx.api._work import off_loop as _off_loop
from osteodx.api._work import too_long as _too_long
from osteodx.assessment import _adapter as assessment_adapter
from osteodx.assessment import assessment_to_json
from osteodx.case import CaseInputError, default_context, parse_case_form, parse_document
from osteodx.differential import compiled_kb
from osteodx.knowledge import hpo_index
from osteodx.report import render_html, report_css

__all__ = ["ApiSettings", "create_app"]


HERE = Path(__file__).parent
log = logging.getLogger("osteodx.api")


@dataclass(frozen=True, slots=True)
class ApiSettings:
    token: str | None = None
    max_body_bytes: int = 1_000_000
    similar: int = 5  # similar published patients on the web results page
    db: str | None = None
    freeze_heap: bool = False  # server workers: keep the start-up heap out of the collector

    @classmethod
    def from_environment(cls) -> ApiSettings:
        """Settings for server workers: OSTEODX_API_TOKEN, OSTEODX_DB, OSTEODX_MAX_BODY."""
        return cls(
            token=os.environ.get("OSTEODX_API_TOKEN") or None,
            max_body_bytes=int(os.environ.get("OSTEODX_MAX_BODY", "1000000")),
            db=os.environ.get("OSTEODX_DB") or None,
            freeze_heap=True,
        )


def _version() -> str:
    try:
        return metadata.version("osteodx")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings.from_environment()
    library = LibraryHolder(settings.db)
    version = _version()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        compiled_kb()  # knowledge base and ontology: once per process, never per request
        # The text pipeline too, before the heap is frozen: built on the first request it made
        # that request take seconds and stayed outside the frozen heap.
        default_context().text.read("Warm-up: bone pain, ALP 120 U/L.")
        # The knowledge base, ontology and text pipeline are hundreds of thousands of objects
        # that live as long as the process; a full garbage collection scanning them paused a
        # worker for about 100 ms (the p99 of a loaded server). Freezing them leaves the
        # collector only what requests allocate.
        if settings.freeze_heap:
            gc.collect()
            gc.freeze()
        yield
        library.close()

    app = FastAPI(
        title="osteodx",
        version="1",
        summary="Explained differential diagnosis of osteosclerosis and work-up of metastatic "
        "neuroendocrine neoplasms (decision support, not a medical device).",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.router.route_class = StrictJsonRoute  # duplicate keys and broken characters refused
    app.add_middleware(HardeningMiddleware, max_body=settings.max_body_bytes, token=settings.token)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        route = request.scope.get("route")
        body_field = getattr(route, "body_field", None)
        field_info = getattr(body_field, "field_info", None)
        body_model = getattr(field_info, "annotation", None)
        every = exc.errors()
        errors = validation_items(every[:MAX_ERRORS], body_model)
        first = errors[0] if errors else None
        detail = (
            f"{first['loc']}: {first['message']}" + (f"; {first['fix']}" if "fix" in first else "")
            if first
            else "invalid request"
        )
        total = {"errors_total": len(every)} if len(every) > MAX_ERRORS else {}
        return problem(422, "Invalid request", detail, errors=errors, **total)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__)  # never the message: it may hold data
        return JSONResponse(
            Problem(
                title="Internal error",
                status=500,
                detail="the server failed; no details are given out",
            ).model_dump(exclude_none=True),
            status_code=500,
            media_type="application/problem+json",
        )

    # --- REST API ---------------------------------------------------------------------------
    @app.post(
        "/api/v1/assess",
        tags=["assess"],
        response_model=None,
        responses={
            200: {
                "description": "detail=full: the whole explained assessment (every finding's "
                "contribution to every diagnosis, about 230 kB for a typical case); "
                "detail=summary: the ranking with the main reasons for the best diagnoses "
                "(a few kB).",
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/Assessment"},
                                {"$ref": "#/components/schemas/AssessmentSummary"},
                            ]
                        }
                    }
                },
            },
            **PROBLEM_RESPONSES,
        },
    )
    async def api_assess(
        document: Annotated[
            dict[str, Any],
            Body(description="A GA4GH phenopacket, a FHIR R4 Bundle or a case form."),
        ],
        detail: Annotated[
            Literal["full", "summary"],
            Query(
                description="'full' (default): the whole explained assessment. 'summary': "
                "every diagnosis ranked with its probability and, for the best `top`, the "
                "main `reasons` for and against with their sources; next tests only when "
                "`tests` is given. The fast path for high request rates."
            ),
        ] = "full",
        similar: Annotated[
            int, Query(ge=0, le=50, description="Similar published patients (0 = no lookup).")
        ] = 0,
        tests: Annotated[
            int | None,
            Query(ge=0, le=30, description="Next tests (default 8 in full, 0 in summary)."),
        ] = None,
        top: Annotated[int, Query(ge=1, le=40, description="summary: diagnoses with reasons.")] = 5,
        reasons: Annotated[
            int, Query(ge=1, le=20, description="summary: reasons for and against each.")
        ] = 3,
    ) -> Response:
        """Assess one case: the explained differential, next tests and, when asked, similar
        published patients."""
        # Reading the text and scoring are CPU work: off the event loop and time-limited, so that
        # the worker keeps answering (/api/v1/health) while one request is long.
        try:
            case = await _off_loop(parse_document, document, "request body")
        except CaseInputError as exc:
            return case_problem(exc)
        except TimeoutError:
            return _too_long()
        if detail == "full":
            n_tests = 8 if tests is None else tests
            try:
                result = await _off_loop(
                    assess, case, tests=n_tests, similar=similar, db=settings.db
                )
            except TimeoutError:
                return _too_long()
            return Response(assessment_to_json(result, indent=None), media_type="application/json")
        kb = compiled_kb()
        try:
            body = await _off_loop(
                summarise,
                case,
                kb,
                top=top,
                reasons=reasons,
                tests=tests or 0,
                versions=(kb.knowledge.version, kb.hpo.version, version),
            )
        except TimeoutError:
            return _too_long()
        if similar > 0:
            from osteodx.literature import LibraryError

            try:
                matches = library.similar(case, similar)
                body["similar_patients"] = [
                    {"case_id": m.case_id, "citation": m.citation, "similarity": m.similarity}
                    for m in matches
                ]
            except LibraryError as exc:
                body["similar_patients_note"] = f"case library unavailable: {exc.message}"
        return Response(orjson.dumps(body), media_type="application/json")

    @app.get("/api/v1/hpo/search", tags=["hpo"], responses=PROBLEM_RESPONSES)
    async def hpo_search(
        q: Annotated[str, Query(min_length=2, max_length=100)],
        limit: Annotated[int, Query(ge=1, le=50)] = 15,
    ) -> list[dict[str, str]]:
        """HPO terms whose label contains every word of ``q`` (current terms only)."""
        return [{"id": i, "label": n} for i, n in hpo_index().search(q, limit)]

    @app.get("/api/v1/health", tags=["meta"])
    async def health() -> dict[str, str]:
        kb = compiled_kb()
        return {"status": "ok", "knowledge_base": kb.knowledge.version, "hpo": kb.hpo.version}

    app.include_router(clinical_router(library))

    def openapi() -> dict[str, Any]:
        """FastAPI's schema plus the two response shapes of /api/v1/assess."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            _, defs = TypeAdapter.json_schemas(
                [
                    ("full", "serialization", assessment_adapter()),
                    ("summary", "serialization", TypeAdapter(AssessmentSummary)),
                ],
                ref_template="#/components/schemas/{model}",
            )
            known = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                known.setdefault(name, definition)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # --- web page ---------------------------------------------------------------------------
    sections = form_sections()

    def _form_page(
        request: Request, form: WebForm, errors: dict[str, str], status: int = 200
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "form.html",
            {"form": form, "errors": errors, "sections": sections},
            status_code=status,
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        return _form_page(request, WebForm(), {})

    # --- sign-in for the web page (when the server has a token) ----------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_page(request: Request) -> Response:
        if settings.token is None:
            return RedirectResponse("/", status_code=303)
        return templates.TemplateResponse(request, "login.html", {"error": None})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        if settings.token is None:
            return RedirectResponse("/", status_code=303)
        data = await request.form()
        given = data.get("token")
        if not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), settings.token.encode()
        ):
            return templates.TemplateResponse(
                request,
                "login.html",
                {"error": "That is not this server's access token."},
                status_code=401,
            )
        response = RedirectResponse("/", status_code=303)
        behind_tls = request.headers.get("x-forwarded-proto", "").lower() == "https"
        response.set_cookie(
            SESSION_COOKIE,
            session_value(settings.token.encode()).decode(),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https" or behind_tls,
            path="/",
        )
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def _read_form(request: Request) -> WebForm:
        data = await request.form()
        return WebForm({k: str(v) for k, v in data.items() if isinstance(v, str)})

    def _assess_form(form: WebForm) -> tuple[Any, dict[str, str]]:
        document, errors = form.to_document()
        if errors:
            return None, errors
        try:
            case = parse_case_form(document, "web form")
        except CaseInputError as exc:
            return None, errors_by_field([(i.loc, f"{i.message}; {i.fix}") for i in exc.errors])
        return assess(case, similar=settings.similar, db=settings.db), {}

    @app.post("/assess", response_class=HTMLResponse, include_in_schema=False)
    async def web_assess(request: Request) -> Response:
        form = await _read_form(request)
        try:
            result, errors = await _off_loop(_assess_form, form)
        except TimeoutError:
            return _too_long()
        if errors:
            return _form_page(request, form, errors, status=422)
        return HTMLResponse(
            render_html(result, stylesheet="/report.css", export_fields=dict(form.values))
        )

    @app.get("/report.css", include_in_schema=False)
    async def stylesheet() -> Response:
        return Response(report_css(), media_type="text/css")

    @app.post("/assess.pdf", include_in_schema=False)
    async def web_pdf(request: Request) -> Response:
        form = await _read_form(request)
        try:
            result, errors = await _off_loop(_assess_form, form)
        except TimeoutError:
            return _too_long()
        if errors:
            return _form_page(request, form, errors, status=422)

        def render() -> bytes:
            from weasyprint import HTML

            out: bytes = HTML(string=render_html(result, expand_all=True)).write_pdf()
            return out

        # Seconds of work: in a thread, so that this worker keeps answering API requests.
        try:
            pdf = await _off_loop(render)
        except TimeoutError:
            return _too_long()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": 'attachment; filename="osteodx.pdf"'},
        )

    return app
