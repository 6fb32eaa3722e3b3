"""The REST API (``/api/v1``) and the web page, over the same Python API as the CLI.

Only this package imports FastAPI. No request body, case content or token is ever logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from osteodx._api import assess
from osteodx.api._forms import WebForm, errors_by_field
from osteodx.api._security import HardeningMiddleware
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
    similar: int = 5
    db: str | None = None

    @classmethod
    def from_environment(cls) -> ApiSettings:
        """Settings for server workers: OSTEODX_API_TOKEN, OSTEODX_DB, OSTEODX_MAX_BODY."""
        return cls(
            token=os.environ.get("OSTEODX_API_TOKEN") or None,
            max_body_bytes=int(os.environ.get("OSTEODX_MAX_BODY", "1000000")),
            db=os.environ.get("OSTEODX_DB") or None,
        )


def _problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _case_problem(exc: CaseInputError) -> JSONResponse:
    errors = [{"loc": i.loc, "message": i.message, "fix": i.fix} for i in exc.errors]
    first = exc.errors[0] if exc.errors else None
    detail = f"{first.loc}: {first.message}; {first.fix}" if first else "the case could not be read"
    return _problem(422, "The case could not be read", detail, errors=errors)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings.from_environment()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        compiled_kb()  # knowledge base and ontology: once per process, never per request
        default_context()
        yield

    app = FastAPI(
        title="osteodx",
        version="1",
        summary="Explained differential diagnosis of osteosclerosis (decision support, not a "
        "medical device).",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.add_middleware(HardeningMiddleware, max_body=settings.max_body_bytes, token=settings.token)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = f"{errors[0]['loc']}: {errors[0]['message']}" if errors else "invalid request"
        return _problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__)  # never the message: it may hold data
        return _problem(500, "Internal error", "the server failed; no details are given out")

    # --- REST API ---------------------------------------------------------------------------
    @app.post("/api/v1/assess", tags=["assess"])
    async def api_assess(
        document: Annotated[
            dict[str, Any], Body(description="A GA4GH phenopacket or a case form.")
        ],
        similar: Annotated[int, Query(ge=0, le=50)] = 0,
        tests: Annotated[int, Query(ge=0, le=30)] = 8,
    ) -> Response:
        """Assess one case: the explained differential, next tests and, optionally, similar
        published patients."""
        try:
            case = parse_document(document, "request body")
        except CaseInputError as exc:
            return _case_problem(exc)
        result = assess(case, tests=tests, similar=similar, db=settings.db)
        return Response(assessment_to_json(result, indent=None), media_type="application/json")

    @app.get("/api/v1/hpo/search", tags=["hpo"])
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

    # --- web page ---------------------------------------------------------------------------
    def _form_page(
        request: Request, form: WebForm, errors: dict[str, str], status: int = 200
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "form.html", {"form": form, "errors": errors}, status_code=status
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        return _form_page(request, WebForm(), {})

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
        result, errors = _assess_form(form)
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
        result, errors = _assess_form(form)
        if errors:
            return _form_page(request, form, errors, status=422)
        from weasyprint import HTML

        pdf = HTML(string=render_html(result, expand_all=True)).write_pdf()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": 'attachment; filename="osteodx.pdf"'},
        )

    return app
