"""``osteodx score NAME ITEM=VALUE ... [--json]`` and ``osteodx treatments FIELD=VALUE ...``.

Add to the main app with ``register(app)``. One sub-command per declared score, its help
generated from the declaration. Bad input (unknown score, item or value, a word without ``=``,
a value out of range) prints ``error <field>: ...; fix: ...`` with the accepted values to stderr
and exits 2, without a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from osteodx.bone._engine import compute_score, parse_assignments
from osteodx.bone._errors import BoneInputError
from osteodx.bone._load import list_scores
from osteodx.bone._render import context_help, render_score, render_treatments, score_help
from osteodx.bone._treatment import treatment_context_from_assignments, treatment_options

__all__ = ["register", "score_app"]

EXIT_INPUT_ERROR = 2

score_app = typer.Typer(
    name="score",
    help="Bone-metastasis scores: mirels, sins, tokuhashi, tomita, katagiri, bauer "
    "(decision support, not a medical device). 'osteodx score NAME --help' lists the items.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

AssignmentsArg = Annotated[
    list[str] | None, typer.Argument(metavar="ITEM=VALUE", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as a JSON object.")]


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(exc: BoneInputError) -> typer.Exit:
    _stderr().print(
        f"[bold red]error[/bold red] {exc.field}: {exc.message}; fix: {exc.fix}",
        markup=True,
        soft_wrap=True,
        highlight=False,
    )
    return typer.Exit(EXIT_INPUT_ERROR)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _score_command(name: str) -> Callable[..., None]:
    def command(assignments: AssignmentsArg = None, json_output: JsonOption = False) -> None:
        try:
            result = compute_score(name, parse_assignments(name, assignments or []))
        except BoneInputError as exc:
            raise _fail(exc) from None
        if json_output:
            _print_json(result.model_dump(mode="json"))
            return
        render_score(result, Console(highlight=False))

    return command


def _add_score_commands() -> None:
    """One sub-command per declared score, built when the CLI is assembled (inside the main
    command's error handling), not at import: a broken score file then gives a message."""
    if score_app.registered_commands:
        return
    for decl in list_scores():
        score_app.command(
            decl.id,
            help=score_help(decl),
            short_help=f"{decl.name}: {decl.purpose}",
            no_args_is_help=False,
        )(_score_command(decl.id))


def treatments_command(
    assignments: Annotated[
        list[str] | None, typer.Argument(metavar="FIELD=VALUE", show_default=False)
    ] = None,
    json_output: JsonOption = False,
) -> None:
    try:
        ctx = treatment_context_from_assignments(assignments or [])
    except BoneInputError as exc:
        raise _fail(exc) from None
    options = treatment_options(ctx)
    if json_output:
        _print_json(options.model_dump(mode="json"))
        return
    render_treatments(options, Console(highlight=False))


def register(app: typer.Typer) -> None:
    """Add ``score`` (one sub-command per declared score) and ``treatments`` to the main app."""
    _add_score_commands()
    app.add_typer(score_app, name="score")
    app.command(
        "treatments",
        help=context_help(),
        short_help="Treatment options to discuss for a NEN with bone metastases "
        "(never a prescription).",
    )(treatments_command)
