"""The ``osteodx`` command: thin wrappers over the Python API (parse options, call, render)."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console

from osteodx._api import assess, ranking_line
from osteodx.assessment import assessment_to_json
from osteodx.case import CaseInputError, parse_document, read_case
from osteodx.knowledge import KnowledgeError

app = typer.Typer(
    name="osteodx",
    help="Explained differential diagnosis of osteosclerosis "
    "(decision support, not a medical device).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold patient data
    add_completion=False,
)

EXIT_INPUT_ERROR = 2
EXIT_SOME_REFUSED = 3


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _report_input_error(exc: CaseInputError) -> None:
    err = _stderr()
    for issue in exc.errors or exc.issues:
        err.print(
            f"[bold red]error[/bold red] {exc.source}: {issue.loc}: {issue.message}; "
            f"fix: {issue.fix}",
            markup=True,
            soft_wrap=True,
        )


@app.command("assess")
def assess_command(
    case_file: Annotated[Path, typer.Argument(help="Phenopacket (JSON/YAML) or case form (YAML).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the full assessment as JSON.")
    ] = False,
    top: Annotated[int, typer.Option(help="Diagnoses shown in the table.", min=1)] = 10,
    tests: Annotated[int, typer.Option(help="Next tests to recommend.", min=0)] = 8,
) -> None:
    """Assess one case: ranked differential with reasons and sources, and the next best tests."""
    try:
        case = read_case(case_file)
    except CaseInputError as exc:
        _report_input_error(exc)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    assessment = assess(case, tests=tests)
    if json_output:
        sys.stdout.write(assessment_to_json(assessment) + "\n")
        return
    from osteodx.report import render_terminal

    render_terminal(assessment, Console(), top=top)


_CASE_SUFFIXES = (".json", ".yaml", ".yml")
_STREAM_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


def _expand(paths: list[str]) -> Iterator[str]:
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        p = Path(raw)
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                name = child.name.lower()
                if child.is_file() and name.endswith(_CASE_SUFFIXES + _STREAM_SUFFIXES):
                    yield str(child)
        else:
            yield raw


def _open_stream(source: str) -> TextIO:
    if source == "-":
        return sys.stdin
    if source.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(source, "rb"), encoding="utf-8")
    return open(source, encoding="utf-8")


def _records(sources: list[str]) -> Iterator[dict[str, Any]]:
    """One ranking or error record per case; never raises for a bad case."""
    for source in sources:
        lowered = source.lower()
        if source == "-" or lowered.endswith(_STREAM_SUFFIXES):
            try:
                stream = _open_stream(source)
            except OSError as exc:
                yield {
                    "case_id": source,
                    "error": f"(file): cannot be read ({exc.strerror}); check the path",
                }
                continue
            with stream:
                for n, line in enumerate(stream, start=1):
                    if not line.strip():
                        continue
                    where = f"{source}:{n}"
                    try:
                        data = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield {
                            "case_id": where,
                            "error": f"line {n}: malformed JSON ({exc.msg}); "
                            "fix the JSON on that line",
                        }
                        continue
                    yield _rank_document(data, where)
            continue
        try:
            yield ranking_line(read_case(source))
        except CaseInputError as exc:
            yield _error_record(exc, Path(source).stem)


def _rank_document(data: Any, where: str) -> dict[str, Any]:
    try:
        return ranking_line(parse_document(data, where))
    except CaseInputError as exc:
        case_id = data.get("id") if isinstance(data, dict) else None
        return _error_record(exc, case_id if isinstance(case_id, str) else where)


def _error_record(exc: CaseInputError, case_id: str) -> dict[str, Any]:
    first = (exc.errors or exc.issues)[0]
    return {"case_id": case_id, "error": f"{first.loc}: {first.message}; {first.fix}"}


@app.command("rank")
def rank_command(
    paths: Annotated[
        list[str], typer.Argument(help="Case files, folders, .jsonl[.gz] files or '-' for stdin.")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON Lines here.")
    ] = None,
) -> None:
    """Rank many cases: one JSON line per case with every diagnosis, best first."""
    sources = list(_expand(paths))
    out: TextIO = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    read = refused = out_of_scope = 0
    err = _stderr()
    show_progress = sys.stderr.isatty()
    try:
        if show_progress:
            from rich.progress import Progress

            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("ranking", total=len(sources))
                for record in _records(sources):
                    read, refused, out_of_scope = _emit(out, record, read, refused, out_of_scope)
                    progress.update(task, completed=min(read + refused, len(sources)))
        else:
            for record in _records(sources):
                read, refused, out_of_scope = _emit(out, record, read, refused, out_of_scope)
    finally:
        if output:
            out.close()
        else:
            out.flush()
    err.print(f"read {read}, refused {refused}, out of scope {out_of_scope}")
    if refused:
        raise typer.Exit(EXIT_SOME_REFUSED)


def _emit(
    out: TextIO, record: dict[str, Any], read: int, refused: int, oos: int
) -> tuple[int, int, int]:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    if "error" in record:
        return read, refused + 1, oos
    return read + 1, refused, oos + (0 if record.get("in_scope") else 1)


@app.command("findings")
def findings_command() -> None:
    """List the project-local findings (exposures, history, imaging signs) and their phrases."""
    from osteodx.knowledge import load_knowledge

    kb = load_knowledge()
    console = Console()
    for f in sorted(kb.local_findings.values(), key=lambda f: (f.category, f.id)):
        console.print(f"[bold]{f.id}[/bold] ({f.category}) {f.label}: {', '.join(f.phrases[:6])}")


@app.command("labs")
def labs_command() -> None:
    """List the laboratory tests osteodx understands, with units and LOINC codes."""
    from osteodx.knowledge import load_knowledge

    kb = load_knowledge()
    console = Console()
    for lab in kb.labs:
        codes = ", ".join(c.code for c in lab.loinc)
        console.print(f"[bold]{lab.key}[/bold] {lab.name}; unit {lab.unit}; LOINC {codes or '-'}")


def main() -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        app()
    except KnowledgeError as exc:
        _stderr().print(f"[bold red]knowledge base error[/bold red] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # last resort: a message, never a traceback with patient data
        _stderr().print(f"[bold red]internal error[/bold red] {type(exc).__name__}: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
