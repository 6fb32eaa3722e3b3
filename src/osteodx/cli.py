"""The ``osteodx`` command: thin wrappers over the Python API (parse options, call, render)."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console

from osteodx._api import assess
from osteodx.assessment import assessment_to_json
from osteodx.case import CaseInputError, default_context, read_case
from osteodx.knowledge import KnowledgeError, cache_dir

if TYPE_CHECKING:
    from osteodx.batch import Counts

app = typer.Typer(
    name="osteodx",
    help="Explained differential diagnosis of osteosclerosis "
    "(decision support, not a medical device).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold patient data
    add_completion=False,
)

EXIT_INPUT_ERROR = 2


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    FHIR = "fhir"


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


# A token shorter than this is guessable (the server compares it on every request).
MIN_TOKEN_CHARS = 16

StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse a case that holds an unknown code (an HPO id newer than the shipped HPO, an "
        "unknown LOINC code) instead of skipping that item with a warning.",
    ),
]


def _set_strict(strict: bool) -> None:
    from osteodx.case._build import STRICT_ENV

    if strict:
        os.environ[STRICT_ENV] = "1"  # read by the reading context, in worker processes too


@app.command("assess")
def assess_command(
    case_file: Annotated[
        Path,
        typer.Argument(help="Phenopacket (JSON/YAML), FHIR R4 Bundle (JSON) or case form (YAML)."),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the full assessment as JSON.")
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="text (default), json, or fhir: a FHIR R4 Bundle."),
    ] = OutputFormat.TEXT,
    top: Annotated[int, typer.Option(help="Diagnoses shown in the table.", min=1)] = 10,
    tests: Annotated[int, typer.Option(help="Next tests to recommend.", min=0)] = 8,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write the assessment as a report: out.html or out.pdf."
        ),
    ] = None,
    similar: Annotated[
        int,
        typer.Option(help="Similar published patients from the case library (0 = none).", min=0),
    ] = 5,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Case library as an SQLAlchemy URL (default: OSTEODX_DB)."),
    ] = None,
    strict: StrictOption = False,
) -> None:
    """Assess one case: ranked differential with reasons and sources, and the next best tests."""
    _set_strict(strict)
    default_context().text.use_disk_cache(cache_dir() / "text")
    try:
        case = read_case(case_file)
    except CaseInputError as exc:
        _report_input_error(exc)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if report is not None and report.suffix.lower() not in (".html", ".htm", ".pdf"):
        _stderr().print(
            f"[bold red]error[/bold red] --report: {report.name!r} must end in .html "
            "or .pdf; fix: e.g. --report assessment.pdf"
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    assessment = assess(case, tests=tests, similar=similar, db=db)
    if report is not None:
        from osteodx.report import write_report

        write_report(assessment, report, top=top)
        _stderr().print(f"report written to {report}")
    if output_format is OutputFormat.FHIR:
        from osteodx.report import assessment_to_fhir

        sys.stdout.write(json.dumps(assessment_to_fhir(assessment), indent=2, ensure_ascii=False))
        sys.stdout.write("\n")
        return
    if json_output or output_format is OutputFormat.JSON:
        sys.stdout.write(assessment_to_json(assessment) + "\n")
        return
    from osteodx.report import render_terminal

    render_terminal(assessment, Console(), top=top)


@app.command("rank")
def rank_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Case files, folders, .jsonl[.gz] files, or '-' for JSON Lines on stdin."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write JSON Lines here. With --dask: a folder for part-NNNNN.jsonl files, or a "
            "file ending in .jsonl.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (0 = one per CPU).", min=0)] = 0,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER_ADDRESS",
            help="Rank one JSON Lines file on a Dask cluster (needs the dask extra), "
            "e.g. tcp://10.0.0.5:8786.",
        ),
    ] = None,
    blocksize: Annotated[
        int, typer.Option(help="With --dask: bytes of input per partition.", min=1000)
    ] = 64_000_000,
    strict: StrictOption = False,
) -> None:
    """Rank many cases: one JSON line per case with every diagnosis, best first, in input order.

    Exit code 0 when every case was read, 3 when some were refused (their lines carry "error").
    """
    from osteodx.batch import Counts, default_workers, rank_stream

    _set_strict(strict)

    if dask is not None:
        _rank_on_dask(dask, paths, output, blocksize)
        return
    n_workers = workers or default_workers()
    out: BinaryIO = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115
    counts = Counts()
    err = _stderr()
    try:
        blocks = rank_stream(paths, workers=n_workers)
        if sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn

            with Progress(
                SpinnerColumn(),
                TextColumn("{task.completed} cases ranked"),
                console=err,
                transient=True,
            ) as progress:
                task = progress.add_task("rank", total=None)
                for block, block_counts in blocks:
                    out.write(block)
                    counts += block_counts
                    progress.advance(task, block_counts.total)
        else:
            for block, block_counts in blocks:
                out.write(block)
                counts += block_counts
    finally:
        if output:
            out.close()
        else:
            out.flush()
    _report_counts(counts)


def _rank_on_dask(address: str, paths: list[str], output: Path | None, blocksize: int) -> None:
    from osteodx.batch import DaskError, rank_with_dask

    err = _stderr()
    if len(paths) != 1 or paths[0] == "-":
        err.print(
            "error --dask: give exactly one JSON Lines file (not stdin); fix: merge the inputs"
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    to_folder = output is not None and not output.name.lower().endswith((".jsonl", ".ndjson"))
    try:
        if output is None:
            counts = rank_with_dask(address, paths[0], sys.stdout.buffer, blocksize)
            sys.stdout.buffer.flush()
        elif to_folder:
            counts = rank_with_dask(address, paths[0], output, blocksize)
        else:
            with open(output, "wb") as fh:
                counts = rank_with_dask(address, paths[0], fh, blocksize)
    except DaskError as exc:
        err.print(f"error --dask: {exc.message}; fix: {exc.fix}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    _report_counts(counts)


def _report_counts(counts: Counts) -> None:
    _stderr().print(
        f"read {counts.read}, refused {counts.refused}, out of scope {counts.out_of_scope}"
    )
    if counts.refused:
        raise typer.Exit(EXIT_SOME_REFUSED)


_SUBCOMMAND_GROUPS = ("cases", "nen", "score", "treatments")


def register_subcommands(target: typer.Typer = app) -> None:
    """Add the command groups of the other packages (imported on demand: they load more)."""
    from osteodx.bone.cli import register as register_bone
    from osteodx.literature.cli import register as register_cases
    from osteodx.nen.cli import register as register_nen

    register_cases(target)
    register_nen(target)
    register_bone(target)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 = this machine only.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="OSTEODX_API_TOKEN",
            help="API token (required off localhost). Prefer OSTEODX_API_TOKEN or --token-file: "
            "a value on the command line is visible to other users in the process list.",
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="Read the API token from this file (first line)."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Serve the REST API (/api/v1, docs at /docs) and the web page."""
    from osteodx.api._security import is_loopback

    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _stderr().print(
                f"[bold red]error[/bold red] --token-file {token_file}: cannot be read ({exc}); "
                "fix: give a readable text file holding the token"
            )
            raise typer.Exit(EXIT_INPUT_ERROR) from None
        token = lines[0].strip() if lines and lines[0].strip() else None
        if token is None:
            _stderr().print(
                f"[bold red]error[/bold red] --token-file {token_file}: the file is empty; "
                "fix: write the token on its first line"
            )
            raise typer.Exit(EXIT_INPUT_ERROR)

    if token is not None and (len(token.strip()) < MIN_TOKEN_CHARS or token != token.strip()):
        _stderr().print(
            f"[bold red]error[/bold red] the API token must be at least {MIN_TOKEN_CHARS} "
            'characters without surrounding spaces; fix: e.g. `python -c "import secrets; '
            'print(secrets.token_urlsafe(24))"`'
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    if not is_loopback(host) and not token:
        _stderr().print(
            f"[bold red]error[/bold red] --host {host}: binding beyond this machine needs an API "
            "token; fix: pass --token or set OSTEODX_API_TOKEN"
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    from osteodx.api._serve import serve

    if token:
        os.environ["OSTEODX_API_TOKEN"] = token  # read by each worker; never logged
    try:
        serve(host, port, workers)  # one socket per worker (SO_REUSEPORT) where it balances
    except OSError as exc:
        _stderr().print(
            f"[bold red]error[/bold red] --host {host} --port {port}: cannot listen there "
            f"({exc.strerror or exc}); fix: choose another --port or stop the program using it"
        )
        raise typer.Exit(EXIT_INPUT_ERROR) from None


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


knowledge_app = typer.Typer(
    help="Review the knowledge base: a seeded sample of claims, counts by evidence kind.",
    no_args_is_help=True,
)
app.add_typer(knowledge_app, name="knowledge")


@knowledge_app.command("audit")
def knowledge_audit_command(
    sample: Annotated[int, typer.Option("--sample", min=1, help="How many claims to draw.")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same claims).")] = 1,
) -> None:
    """Draw claims that cite a source, at random, and print each with its quote and citation,
    for a reviewer to check against the cited paper."""
    from osteodx.knowledge._audit import audit_sample

    console = Console()
    for i, c in enumerate(audit_sample(sample, seed), start=1):
        console.print(f"[bold]{i}. {c.file}[/bold] {c.path}", soft_wrap=True)
        console.print(f"   {c.kind}; {c.value}; {c.detail}", soft_wrap=True)
        if c.quote:
            console.print(f'   quote: "{c.quote}"', soft_wrap=True)
        console.print(f"   citation: {c.citation}", soft_wrap=True)


@knowledge_app.command("report")
def knowledge_report_command() -> None:
    """Counts of claims by evidence kind and citation form, per file (Markdown)."""
    from osteodx.knowledge._audit import report_markdown

    sys.stdout.write(report_markdown())


def main() -> None:
    """Entry point: no traceback ever reaches the user."""
    first = sys.argv[1] if len(sys.argv) > 1 else "--help"
    try:
        if first in _SUBCOMMAND_GROUPS or first.startswith("-"):
            register_subcommands()
        app()
    except KnowledgeError as exc:  # any shipped data file (one error type, knowledge/_data.py)
        _stderr().print(f"[bold red]data file error[/bold red] {exc}", soft_wrap=True)
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
