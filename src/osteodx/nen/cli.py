"""``osteodx nen grade|site|ki67|markers|workup``: parse options, call the engine, render.

Add to the main app with ``register(app)``. Bad input (Ki-67 outside 0-100, negative or
impossible cell counts, unknown marker, clue or site) prints ``error <field>: ...; fix: ...``
to stderr and exits 2, without a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from osteodx.nen._circulating import CirculatingResult, accepted_factors, interpret_markers
from osteodx.nen._classify import classify, ki67_index
from osteodx.nen._errors import NenInputError
from osteodx.nen._inputs import NenPathology
from osteodx.nen._render import (
    render_classification,
    render_ki67,
    render_markers,
    render_recommendations,
    render_site_posterior,
    render_workup,
)
from osteodx.nen._site import accepted_clues, recommend_markers, site_posterior
from osteodx.nen._vocab import accepted_sites
from osteodx.nen._workup import DISCLAIMER, nen_workup

__all__ = ["nen_app", "register"]

EXIT_INPUT_ERROR = 2
T = TypeVar("T")

nen_app = typer.Typer(
    name="nen",
    help="Neuroendocrine neoplasms: WHO grade, site of origin, Ki-67, circulating markers "
    "(decision support, not a medical device).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    """Add the ``nen`` command group to the main ``osteodx`` app."""
    app.add_typer(nen_app, name="nen")


class Differentiation(StrEnum):
    WELL = "well"
    POOR = "poor"


class Necrosis(StrEnum):
    NONE = "none"
    FOCAL = "focal"
    EXTENSIVE = "extensive"


class Morphology(StrEnum):
    SMALL_CELL = "small_cell"
    LARGE_CELL = "large_cell"


# Engine field names -> the option the user typed.
_OPTION_OF = {
    "site": "--site",
    "ki67_percent": "--ki67",
    "mitoses_per_2mm2": "--mitoses",
    "size_mm": "--size-mm",
    "markers": "--marker",
    "clues": "--clue",
    "positive": "--positive",
    "total": "--total",
    "results": "--result",
    "factors": "--factor",
}

_SITES_HELP = "Primary site: " + ", ".join(accepted_sites()) + " (aliases such as ileum accepted)."


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _field(field: str) -> str:
    head, _, rest = field.partition(".")
    head = head.split("[")[0]
    option = _OPTION_OF.get(head)
    if option is None:
        return field
    return f"{option} {rest}" if rest else option


def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except NenInputError as exc:
        _stderr().print(
            Text.assemble(
                ("error", "bold red"), f" {_field(exc.field)}: {exc.message}; fix: {exc.fix}"
            ),
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _pairs(values: list[str] | None, option: str, form: str) -> list[tuple[str, str]]:
    out = []
    for raw in values or []:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise NenInputError(option, f"{raw!r} is not NAME=VALUE", f"write {form}")
        out.append((name.strip(), value.strip()))
    return out


def _diff(d: Differentiation | None) -> Literal["well", "poor"] | None:
    if d is None:
        return None
    return "well" if d is Differentiation.WELL else "poor"


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


SiteOpt = Annotated[str, typer.Option("--site", help=_SITES_HELP)]
Ki67Opt = Annotated[float | None, typer.Option("--ki67", help="Ki-67 index, % (0-100).")]
MitosesOpt = Annotated[
    float | None, typer.Option("--mitoses", help="Mitotic count per 2 mm² (>= 0).")
]
DiffOpt = Annotated[
    Differentiation | None, typer.Option("--differentiation", help="Pathologist's call.")
]
NecrosisOpt = Annotated[Necrosis | None, typer.Option("--necrosis")]
MorphOpt = Annotated[
    Morphology | None, typer.Option("--morphology", help="Cytology of a carcinoma.")
]
SizeOpt = Annotated[float | None, typer.Option("--size-mm", help="Tumour size in mm (lung).")]
CrushOpt = Annotated[
    bool, typer.Option("--crush", help="Crushed biopsy / cytology: mitoses not countable.")
]
MarkerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--marker", "-m", help="NAME=pos|neg|focal|not_done (repeatable; TTF1, CDX2 ...)."
    ),
]
ClueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--clue",
        "-c",
        help="carcinoid_syndrome=yes|no, 5hiaa=raised|normal, imaging=SITE, sex=male|female.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON object.")]


def _pathology(
    site: str,
    ki67: float | None,
    mitoses: float | None,
    differentiation: Differentiation | None,
    necrosis: Necrosis | None,
    morphology: Morphology | None,
    size_mm: float | None,
    crush: bool,
    markers: list[tuple[str, str]],
) -> NenPathology:
    fields: dict[str, Any] = {
        "site": site,
        "ki67_percent": ki67,
        "mitoses_per_2mm2": mitoses,
        "differentiation": differentiation.value if differentiation else None,
        "necrosis": necrosis.value if necrosis else None,
        "morphology": morphology.value if morphology else None,
        "size_mm": size_mm,
        "crush_artefact": crush,
        "markers": dict(markers),
    }
    return NenPathology(**fields)


@nen_app.command("grade")
def grade_command(
    site: SiteOpt = "unknown",
    ki67: Ki67Opt = None,
    mitoses: MitosesOpt = None,
    differentiation: DiffOpt = None,
    necrosis: NecrosisOpt = None,
    morphology: MorphOpt = None,
    size_mm: SizeOpt = None,
    crush: CrushOpt = False,
    marker: MarkerOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """WHO category (NET G1-G3, NEC, carcinoid ...) with the rule applied and its source."""
    result = _run(
        lambda: classify(
            _pathology(
                site,
                ki67,
                mitoses,
                differentiation,
                necrosis,
                morphology,
                size_mm,
                crush,
                _pairs(marker, "--marker", "NAME=pos|neg|focal|not_done"),
            )
        )
    )
    if json_output:
        _print_json(result.model_dump(mode="json"))
        return
    render_classification(result, Console())


@nen_app.command("site")
def site_command(
    marker: MarkerOpt = None,
    clue: ClueOpt = None,
    differentiation: DiffOpt = None,
    top: Annotated[int, typer.Option(help="Sites shown.", min=1)] = 10,
    recommend: Annotated[int, typer.Option(help="Next markers to suggest.", min=0)] = 3,
    json_output: JsonOpt = False,
) -> None:
    """Posterior over primary sites from an IHC panel (and clues), with each contribution."""
    diff = _diff(differentiation)

    def compute() -> tuple[Any, Any]:
        markers = _pairs(marker, "--marker", "NAME=pos|neg|focal|not_done")
        clues = _pairs(clue, "--clue", f"NAME=VALUE with NAME one of {', '.join(accepted_clues())}")
        post = site_posterior(markers, clues, differentiation=diff)
        recs = recommend_markers(markers, clues, differentiation=diff, top=recommend)
        return post, recs

    post, recs = _run(compute)
    if json_output:
        data = post.model_dump(mode="json")
        data["recommended_markers"] = [r.model_dump(mode="json") for r in recs]
        data["disclaimer"] = DISCLAIMER
        _print_json(data)
        return
    console = Console()
    render_site_posterior(post, console, top=top)
    render_recommendations(recs, console)


@nen_app.command("ki67")
def ki67_command(
    positive: Annotated[int, typer.Option("--positive", help="Ki-67-positive tumour cells.")],
    total: Annotated[int, typer.Option("--total", help="All tumour cells counted.")],
    json_output: JsonOpt = False,
) -> None:
    """Ki-67 index from a cell count, with the WHO 2019 minimum-count warning."""
    result = _run(lambda: ki67_index(positive, total))
    if json_output:
        _print_json(result.model_dump(mode="json"))
        return
    render_ki67(result, Console())


_RESULT = re.compile(r"^(?P<value>\d+(?:\.\d+)?)(?:\s*/\s*(?P<uln>\d+(?:\.\d+)?))?\s*(?P<unit>.*)$")


def _circulating(values: list[str] | None) -> list[CirculatingResult]:
    out = []
    form = (
        "NAME=VALUE[/UPPER_LIMIT][UNIT] or NAME=raised|normal, e.g. cga=250/100 or 5hiaa=30mg/24h"
    )
    for i, (name, rhs) in enumerate(_pairs(values, "--result", form)):
        low = rhs.lower()
        if low in ("raised", "high", "elevated", "normal"):
            out.append(CirculatingResult(marker=name, elevated=low != "normal"))
            continue
        m = _RESULT.match(rhs.replace(",", "."))
        if m is None:
            raise NenInputError(f"results[{i}]", f"{rhs!r} is not a value", f"write {form}")
        uln = m.group("uln")
        out.append(
            CirculatingResult(
                marker=name,
                value=float(m.group("value")),
                upper_limit=float(uln) if uln else None,
                unit=m.group("unit").strip() or None,
            )
        )
    return out


ResultOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--result",
        "-r",
        help="NAME=VALUE[/UPPER_LIMIT][UNIT] or NAME=raised|normal; NAME: cga, nse, 5hiaa.",
    ),
]
FactorOpt = Annotated[
    list[str] | None,
    typer.Option("--factor", "-f", help="Drug/condition/food: " + ", ".join(accepted_factors())),
]


@nen_app.command("markers")
def markers_command(
    result: ResultOpt = None,
    factor: FactorOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Chromogranin A, NSE and 5-HIAA interpreted with confounders, caveats and sources."""
    interps = _run(lambda: interpret_markers(_circulating(result), factor or ()))
    if json_output:
        _print_json({"markers": [m.model_dump(mode="json") for m in interps]})
        return
    render_markers(interps, Console())


@nen_app.command("workup")
def workup_command(
    site: SiteOpt = "unknown",
    ki67: Ki67Opt = None,
    mitoses: MitosesOpt = None,
    differentiation: DiffOpt = None,
    necrosis: NecrosisOpt = None,
    morphology: MorphOpt = None,
    size_mm: SizeOpt = None,
    crush: CrushOpt = False,
    marker: MarkerOpt = None,
    clue: ClueOpt = None,
    metastasis: Annotated[
        list[str] | None,
        typer.Option(
            "--metastasis", help="Distant site (liver, bone, lymph_nodes ...); repeatable."
        ),
    ] = None,
    result: ResultOpt = None,
    factor: FactorOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Everything for one biopsy: classification, staging, site of origin, imaging, markers."""

    def compute() -> Any:
        pathology = _pathology(
            site,
            ki67,
            mitoses,
            differentiation,
            necrosis,
            morphology,
            size_mm,
            crush,
            _pairs(marker, "--marker", "NAME=pos|neg|focal|not_done"),
        )
        return nen_workup(
            pathology,
            clues=_pairs(clue, "--clue", "NAME=VALUE"),
            metastases=metastasis or (),
            circulating=_circulating(result),
            factors=factor or (),
        )

    w = _run(compute)
    if json_output:
        _print_json(w.model_dump(mode="json"))
        return
    render_workup(w, Console())
