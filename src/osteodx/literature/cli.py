"""``osteodx cases import|list|show|similar|summary|plot``: parse options, call, render.

Add to the main app with ``register(app)``. Bad input (malformed record, unknown filter field,
unreachable database) prints ``error ...; fix: ...`` to stderr and exits 2, without a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from osteodx.case import Case, CaseInputError
from osteodx.literature._errors import LibraryError
from osteodx.literature._features import Profile, profile_from_case, profile_from_record
from osteodx.literature._filters import apply_filters, parse_filter
from osteodx.literature._readers import FORMATS
from osteodx.literature._render import render_case, render_cases, render_import, render_similar
from osteodx.literature._search import similar_cases, similar_to_dict
from osteodx.literature._store import ENV_VAR, Library, open_library
from osteodx.literature._summary import render_csv, render_markdown, review_table

__all__ = ["cases_app", "print_similar_section", "register", "similar_json_for_case"]

EXIT_INPUT_ERROR = 2

cases_app = typer.Typer(
    name="cases",
    help="Published-case library: import, list, show, similar patients, review tables and plots.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=ENV_VAR,
        help="SQLAlchemy URL of the library (default: SQLite file in the user data folder).",
        show_envvar=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FiltersArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Filters FIELD=VALUE, FIELD!=VALUE, FIELD>=N ... (e.g. sex=male bone=true age>=18)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``cases`` command group to the main ``osteodx`` app."""
    app.add_typer(cases_app, name="cases")


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, fix: str) -> typer.Exit:
    _stderr().print(
        f"[bold red]error[/bold red] {message}; fix: {fix}", markup=True, soft_wrap=True
    )
    return typer.Exit(EXIT_INPUT_ERROR)


def _open(db: str | None) -> Library:
    try:
        return open_library(db)
    except LibraryError as exc:
        raise _fail(exc.message, exc.fix) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _selected(lib: Library, filters: list[str] | None) -> tuple[Any, ...]:
    try:
        parsed = [parse_filter(f) for f in filters or []]
    except LibraryError as exc:
        raise _fail(exc.message, exc.fix) from None
    return apply_filters(lib.cases(), parsed)


@cases_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="PubMed XML, MEDLINE, CSV, phenopackets.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)} (default: from the name)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing from a file with a bad record.")
    ] = False,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import published patients; duplicates (same PMID/DOI) are merged, bad records skipped."""
    lib = _open(db)
    err = _stderr()
    bad = False
    results = []
    for path in files:
        try:
            report = lib.import_file(path, fmt, strict=strict)
        except LibraryError as exc:
            err.print(f"[bold red]error[/bold red] {exc.message}; fix: {exc.fix}", soft_wrap=True)
            bad = True
            continue
        for problem in report.skipped:
            err.print(f"[bold red]error[/bold red] {problem.text()}", soft_wrap=True)
        bad = bad or bool(report.skipped)
        results.append(
            {
                "file": str(path),
                "read": report.read,
                "added": list(report.added),
                "merged": list(report.merged),
                "unchanged": list(report.unchanged),
                "skipped": [
                    {"position": p.position, "field": p.field, "message": p.message, "fix": p.fix}
                    for p in report.skipped
                ],
            }
        )
        if not json_output:
            Console().print(f"{path}: ", end="")
            render_import(report, Console())
    if json_output:
        _print_json(results)
    lib.close()
    if bad:
        raise typer.Exit(EXIT_INPUT_ERROR)


@cases_app.command("list")
def list_command(
    filters: FiltersArg = None, db: DbOption = None, json_output: JsonOption = False
) -> None:
    """List the library (or a filtered subset)."""
    lib = _open(db)
    records = _selected(lib, filters)
    if json_output:
        _print_json([r.model_dump(mode="json") for r in records])
    else:
        render_cases(records, Console())


@cases_app.command("show")
def show_command(case_id: str, db: DbOption = None, json_output: JsonOption = False) -> None:
    """Show one published patient with its citation."""
    lib = _open(db)
    try:
        record = lib.get(case_id)
    except LibraryError as exc:
        raise _fail(exc.message, exc.fix) from None
    if json_output:
        _print_json(record.model_dump(mode="json"))
    else:
        render_case(record, Console())


def _parse_pairs(values: list[str] | None, option: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        name, sep, status = v.partition(":")
        if not sep or not name.strip() or not status.strip():
            raise _fail(f"{option} {v!r} is not NAME:VALUE", f"write e.g. {option} {example}")
        out[name.strip()] = status.strip().lower()
    return out


def _query_profile(
    lib: Library, case: str, extra: dict[str, Any]
) -> tuple[Profile, tuple[str, ...]]:
    path = Path(case)
    if path.is_file():
        from osteodx.case import read_case

        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix.lower() == ".json" and '"differential"' in text:
            from osteodx import assessment_from_json

            try:
                parsed = assessment_from_json(text).case
            except Exception as exc:  # pydantic/JSON errors of an assessment file
                raise _fail(
                    f"{case}: not a readable assessment ({type(exc).__name__})",
                    "give the JSON printed by `osteodx assess --json`, or a case file",
                ) from None
        else:
            parsed = read_case(path)
        return profile_from_case(parsed, **extra), ()
    try:
        record = lib.get(case)
    except LibraryError:
        raise _fail(
            f"CASE {case!r} is neither a file nor a case id of the library",
            "give a phenopacket, a case form, an assessment JSON, or an id from "
            "`osteodx cases list`",
        ) from None
    return profile_from_record(record), (record.case_id,)


@cases_app.command("similar")
def similar_command(
    case: Annotated[
        str, typer.Argument(help="Phenopacket, case form, assessment JSON, or a library case id.")
    ],
    top: Annotated[int, typer.Option(min=1, help="How many patients.")] = 10,
    text: Annotated[
        bool, typer.Option("--text", help="Add MiniLM text similarity (offline model package).")
    ] = False,
    histology: Annotated[str | None, typer.Option(help="NET, NEC, MiNEN, carcinoid...")] = None,
    grade: Annotated[str | None, typer.Option(help="G1, G2 or G3.")] = None,
    ki67: Annotated[float | None, typer.Option("--ki67", help="Ki-67 index, %.")] = None,
    ihc: Annotated[
        list[str] | None, typer.Option("--ihc", help="IHC result MARKER:pos|neg|focal (repeat).")
    ] = None,
    marker: Annotated[
        list[str] | None,
        typer.Option("--marker", help="Circulating marker NAME:elevated|normal (repeat)."),
    ] = None,
    primary_site: Annotated[
        str | None, typer.Option(help="Known primary site, or 'unknown' for an occult primary.")
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Rank published patients by similarity to CASE; each says what matched and what differed."""
    lib = _open(db)
    markers = {}
    for name, status in _parse_pairs(marker, "--marker", "NSE:elevated").items():
        if status not in ("elevated", "normal"):
            raise _fail(f"--marker {name}:{status}: status must be elevated or normal", "fix it")
        markers[name] = status == "elevated"
    extra: dict[str, Any] = {
        "histology": histology,
        "grade": grade,
        "ki67_percent": ki67,
        "ihc": _parse_pairs(ihc, "--ihc", "synaptophysin:pos"),
        "markers": markers,
        "primary_site": primary_site,
    }
    try:
        profile, exclude = _query_profile(lib, case, extra)
        if exclude and any(v for v in extra.values()):
            raise LibraryError(
                "pathology options apply to a case file, not to a library case id",
                "leave out --histology/--grade/--ki67/--ihc/--marker/--primary-site",
            )
        matches = similar_cases(lib, profile, top=top, text=text, exclude=exclude)
    except CaseInputError as exc:
        issue = (exc.errors or exc.issues)[0]
        raise _fail(f"{exc.source}: {issue.loc}: {issue.message}", issue.fix) from None
    except LibraryError as exc:
        raise _fail(exc.message, exc.fix) from None
    if json_output:
        _print_json([similar_to_dict(m) for m in matches])
    else:
        render_similar(matches, Console())


@cases_app.command("summary")
def summary_command(
    filters: FiltersArg = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown or csv.")] = "markdown",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    db: DbOption = None,
) -> None:
    """The literature-review table (counts, median/IQR age, sites, treatments, outcomes)."""
    if fmt not in ("markdown", "csv"):
        raise _fail(f"--format {fmt!r} is not accepted", "use --format markdown or --format csv")
    lib = _open(db)
    table = review_table(_selected(lib, filters))
    title = "Published patients" + (f" ({' '.join(filters)})" if filters else "")
    body = render_markdown(table, title) if fmt == "markdown" else render_csv(table)
    if out is None:
        sys.stdout.write(body)
        return
    try:
        out.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"--out: cannot write {out} ({exc.strerror})", "give a writable path") from None


@cases_app.command("plot")
def plot_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the plots.")],
    filters: FiltersArg = None,
    fmt: Annotated[
        list[str] | None, typer.Option("--format", help="png and/or svg (default both).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write age distribution, primary sites, lesion types and Kaplan-Meier plots into --out."""
    from osteodx.literature._plots import write_plots

    lib = _open(db)
    records = _selected(lib, filters)
    try:
        written = write_plots(records, out, tuple(fmt or ("png", "svg")))
    except LibraryError as exc:
        raise _fail(exc.message, exc.fix) from None
    for path in written:
        Console().print(str(path))


def print_similar_section(
    case: Case, console: Console, *, top: int = 5, db: str | None = None
) -> None:
    """For ``osteodx assess``: the most similar published patients under the differential.

    A library that cannot be opened is reported in one line and does not fail the assessment.
    """
    try:
        lib = open_library(db)
        matches = similar_cases(lib, profile_from_case(case), top=top)
        lib.close()
    except LibraryError as exc:
        console.print(f"[dim]similar published patients unavailable: {exc.message}[/dim]")
        return
    render_similar(matches, console, title="Most similar published patients (case library)")


def similar_json_for_case(case: Case, *, top: int = 5, db: str | None = None) -> list[Any]:
    """For ``osteodx assess --json``: the similar patients as JSON objects (empty on error)."""
    try:
        lib = open_library(db)
        matches = similar_cases(lib, profile_from_case(case), top=top)
        lib.close()
    except LibraryError:
        return []
    return [similar_to_dict(m) for m in matches]
