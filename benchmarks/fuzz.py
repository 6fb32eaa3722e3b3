"""Fuzzing the readers: many generated inputs, each must give a Case or a refusal naming a field.

Usage: python benchmarks/fuzz.py [--total 100000] [--seed 9] [--jobs 2] [--store ZIP]

A seeded generator (reproducible: the same seed gives the same inputs) mutates real documents:
the examples, the 24 development phenopackets, 60 phenopacket-store files, a FHIR Bundle with
labs, conditions and medications, and laboratory lines. Mutations work on the parsed tree
(delete, replace with an odd value of any JSON type, insert, wrap, retype, deep nesting) and on
the serialised text (insert, delete, replace or duplicate characters, truncate, YAML tags,
anchors and aliases, brackets opened up to 2,000 deep), so that both the parsers and the
readers behind them are exercised. (Deeper nesting is refused too, but PyYAML takes about 2 s to
scan 20,000 open brackets, which made such inputs most of a run's time.)

Readers and what each input goes through:

- ``phenopacket-json``: JSON text -> ``parse_text`` (JSON parser, format detection, reader)
- ``phenopacket-yaml``: the same documents as YAML text -> ``parse_text``
- ``case-form``: case-form YAML text -> ``parse_text``
- ``fhir``: FHIR Bundle JSON text -> ``parse_text`` (validation with fhir.resources, reader)
- ``lab-string``: "350 U/L"-like lines -> a case form's ``labs`` entry (``parse_value_with_unit``,
  pint conversion, plausibility and reference ranges)

Each outcome is one of: read (a Case), refused (``CaseInputError`` whose every error names a
field, a message and a fix), refused by a catch-all (an error at ``(document)`` that only says
an unforeseen exception happened: a finding too), or crash (any other exception). Every crash
and catch-all is listed with its input. Results go to benchmarks/results/fuzz-<date>.md.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import math
import os
import random
import sys
import time
import traceback
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from osteodx.case._caseform import CASE_FORM_FIELDS

HERE = Path(__file__).parent
REPO = HERE.parent
EXAMPLES = REPO / "examples"
DEV_CASES = REPO.parent / "shared" / "benchmark" / "osteosclerosis-dev" / "cases"
DEFAULT_STORE = REPO.parent / "shared" / "data" / "phenopacket-store" / "all_phenopackets.zip"
READERS = ("phenopacket-json", "phenopacket-yaml", "case-form", "fhir", "lab-string")
SHARE = {  # of the total, by cost: YAML parsing and unknown-label suggestions are the slowest
    "phenopacket-json": 0.30,
    "phenopacket-yaml": 0.06,
    "case-form": 0.14,
    "fhir": 0.14,
    "lab-string": 0.36,
}

# --- odd values -------------------------------------------------------------------------------
ODD_STRINGS = [
    "",
    " ",
    "\u0000",
    "null",
    "NaN",
    "-inf",
    "1e400",
    "-0",
    "P30Y",
    "P-1Y",
    "P1e400Y",
    "P99999999999999999999Y",
    "PT5H",
    "P",
    "P0.5M3W",
    "P200Y",
    "38 days",
    "0 days",
    "1e308 years",
    "HP:0000118",
    "HP:9999999",
    "HP:0000001",
    "HP:00001",
    "hp:0001250",
    "HP:0001250 ",
    "OSX:",
    "OSX:fluoride_exposure",
    "OSX:NOT_KNOWN",
    "LOINC:6768-6",
    "LOINC:",
    "LOINC:0000-0",
    "Back pain",
    "back PAIN",
    "no hepatitis C",
    "No ",
    "MALE",
    "FEMALE",
    "OTHER_SEX",
    "unknown",
    "mg/dL",
    "mmol/L",
    "U/L",
    "UCUM:mg/dL",
    "degC",
    "kelvin",
    "%",
    "1/0",
    "m**999999",
    "10^9/L",
    "/",
    "**",
    "(",
    "mg/dL/",
    "\u00b5mol/L",
    "2025-13-45",
    "1900-01-01",
    "2025-11-25T10:00:00+01:00",
    "http://loinc.org",
    "http://snomed.info/sct",
    "http://purl.obolibrary.org/obo/hp.owl",
    "urn:osteodx:finding",
    "urn:osteodx:observation",
    "age-at-assessment",
    "\u202e\u0635\u0648\u0631\u0629",
    "x" * 3000,
]
UNITS = [
    "U/L",
    "IU/L",
    "ukat/L",
    "mg/dL",
    "mmol/L",
    "pg/mL",
    "ng/L",
    "pmol/L",
    "ng/mL",
    "ug/L",
    "nmol/L",
    "umol/L",
    "g/dL",
    "g/L",
    "10*9/L",
    "10^9/L",
    "/uL",
    "fL",
    "mm/h",
    "mg/L",
    "mg/d",
    "mg/24h",
    "umol/d",
    "mL/min/1.73m2",
    "mL/min/{1.73_m2}",
    "%",
    "degC",
    "degF",
    "kelvin",
    "m",
    "s",
    "mol",
    "1/0",
    "m**99999",
    "dimensionless",
    "",
    "   ",
    "mg/dL mg/dL",
    "mg/(dL",
    "\u00b5g/L",
    "U/L)",
    "percent",
    "ppm",
    "a",
    "mo",
    "wk",
    "d",
    "h",
]
NUMBERS = [
    0,
    -1,
    1,
    0.5,
    -0.0,
    1e-320,
    1e308,
    -1e308,
    2**63,
    -(2**63),
    10**30,
    350,
    9.1,
    125,
    126,
    math.inf,
    -math.inf,
    math.nan,
]


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(NUMBERS)
    if kind == 3:
        return rng.uniform(-1e6, 1e6) if rng.random() < 0.5 else rng.randrange(-(10**6), 10**6)
    if kind in (4, 5):
        return rng.choice(ODD_STRINGS)
    if kind == 6:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000)]))
                       for _ in range(rng.randrange(0, 12)))  # fmt: skip
    if kind == 7:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if kind == 8:
        return {
            rng.choice(["id", "label", "value", "unit", "type", "code", "x"]): odd_value(
                rng, depth + 1
            )
            for _ in range(rng.randrange(0, 4))
        }
    return rng.choice(ODD_STRINGS) + str(rng.randrange(100))


# --- tree mutations ---------------------------------------------------------------------------
def _nodes(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.extend(_nodes(value, (*path, key)))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out.extend(_nodes(value, (*path, i)))
    return out


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def mutate_tree(tree: Any, rng: random.Random, keys: list[str]) -> Any:
    tree = copy.deepcopy(tree)
    for _ in range(rng.choice([1, 1, 2, 3, 5])):
        paths = _nodes(tree)
        path = rng.choice(paths)
        if not path:
            if rng.random() < 0.05:
                return odd_value(rng)
            continue
        parent = _get(tree, path[:-1])
        step = path[-1]
        node = parent[step]
        op = rng.randrange(12)
        if op == 0:
            del parent[step]
        elif op in (1, 2, 3):
            parent[step] = odd_value(rng)
        elif op == 4:
            parent[step] = [node]
        elif op == 5 and isinstance(node, list) and node:
            parent[step] = node[0]
        elif op == 6 and isinstance(node, int | float) and not isinstance(node, bool):
            parent[step] = str(node)
        elif op == 6 and isinstance(node, str):
            try:
                parent[step] = float(node) if "." in node else int(node)
            except ValueError:
                parent[step] = node[: rng.randrange(len(node) + 1)]
        elif op == 7 and isinstance(node, dict):
            node[rng.choice(keys)] = odd_value(rng)
        elif op == 8 and isinstance(node, list):
            node.insert(rng.randrange(len(node) + 1), copy.deepcopy(rng.choice(node or [None])))
        elif op == 9:
            deep: Any = node
            for _ in range(rng.choice([3, 30, 150])):
                deep = [deep] if rng.random() < 0.5 else {"x": deep}
            parent[step] = deep
        elif op == 10 and isinstance(node, str):
            parent[step] = rng.choice(ODD_STRINGS)
        elif op == 11 and isinstance(parent, dict):
            parent[rng.choice(keys)] = copy.deepcopy(node)
    return tree


def mutate_text(text: str, rng: random.Random) -> str:
    if not text:
        return text
    for _ in range(rng.choice([1, 1, 2, 4])):
        op = rng.randrange(8)
        i = rng.randrange(len(text) + 1)
        if op == 0:
            text = text[:i] + rng.choice("{}[]:,\"'\n -#&*!|>%@`\\\t0123456789") + text[i:]
        elif op == 1:
            text = text[:i] + text[i + rng.randrange(1, 8) :]
        elif op == 2:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[min(i, j) : max(i, j)] + text[i:]
        elif op == 3:
            text = text[: max(1, i)]
        elif op == 4:
            text = text[:i] + rng.choice(["!!python/object:os.system ", "!!binary ", "!!float "])
            text += ""
        elif op == 5:
            text = "base: &a [1, 2]\n" + text.replace(": ", ": *a\n#", 1)
        elif op == 6:
            text = text[:i] + "[" * rng.choice([10, 200, 2000]) + text[i:]
        else:
            text = text[:i] + chr(rng.randrange(0, 0x10FFFF)) + text[i:]
            text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return text


# --- seeds ------------------------------------------------------------------------------------
PHENOPACKET_KEYS = [
    "id",
    "subject",
    "phenotypicFeatures",
    "measurements",
    "diseases",
    "medicalActions",
    "description",
    "metaData",
    "biosamples",
    "interpretations",
    "type",
    "excluded",
    "assay",
    "value",
    "quantity",
    "unit",
    "referenceRange",
    "low",
    "high",
    "timeAtLastEncounter",
    "age",
    "iso8601duration",
    "sex",
    "term",
    "treatment",
    "agent",
    "label",
]
CASE_FORM_KEYS = list(CASE_FORM_FIELDS)  # the reader's own field list
FHIR_KEYS = [
    "resourceType",
    "entry",
    "resource",
    "code",
    "coding",
    "system",
    "display",
    "text",
    "valueQuantity",
    "valueBoolean",
    "valueString",
    "valueCodeableConcept",
    "referenceRange",
    "effectiveDateTime",
    "birthDate",
    "gender",
    "status",
    "verificationStatus",
    "interpretation",
    "note",
    "medicationCodeableConcept",
    "medicationReference",
    "conclusion",
    "timestamp",
    "identifier",
    "fullUrl",
    "dataAbsentReason",
]


def _lab_bundle() -> dict[str, Any]:
    """A FHIR Bundle with what the founding-case Bundle lacks: labs, conditions, medication."""
    loinc, ucum, hpo = (
        "http://loinc.org",
        "http://unitsofmeasure.org",
        ("http://purl.obolibrary.org/obo/hp.owl"),
    )

    def lab(code: str, value: float, unit: str, low: float | None = None) -> dict[str, Any]:
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": loinc, "code": code}]},
            "effectiveDateTime": "2025-06-01",
            "valueQuantity": {"value": value, "unit": unit, "system": ucum, "code": unit},
        }
        if low is not None:
            obs["referenceRange"] = [{"low": {"value": low, "unit": unit}}]
        return obs

    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1961-04"},
        lab("6768-6", 350, "U/L", 40),
        lab("17861-6", 2.6, "mmol/L"),
        lab("2731-8", 95, "pg/mL"),
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": hpo, "code": "HP:0011001"}]},
            "valueBoolean": True,
            "note": [{"text": "Diffuse sclerosis of the spine."}],
        },
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "85052009"}]},
            "valueCodeableConcept": {"text": "absent"},
        },
        {
            "resourceType": "Condition",
            "code": {"text": "Chronic kidney disease stage 5"},
            "verificationStatus": {"coding": [{"code": "confirmed"}]},
        },
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {"text": "voriconazole"},
            "subject": {"reference": "Patient/p1"},
        },
        {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "code": {"text": "CT"},
            "conclusion": "Rugger-jersey spine. No lytic lesion.",
        },
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2025-06-02T09:00:00Z",
        "entry": [{"resource": r} for r in resources],
    }


@dataclass
class Seeds:
    phenopackets: list[Any] = field(default_factory=list)
    case_forms: list[Any] = field(default_factory=list)
    bundles: list[Any] = field(default_factory=list)
    lab_names: list[str] = field(default_factory=list)


def load_seeds(store: Path) -> Seeds:
    from osteodx.case import default_context

    seeds = Seeds()
    for path in sorted(EXAMPLES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        (seeds.bundles if "resourceType" in doc else seeds.phenopackets).append(doc)
    seeds.bundles.append(_lab_bundle())
    for path in sorted(DEV_CASES.glob("*.json")):
        seeds.phenopackets.append(json.loads(path.read_text(encoding="utf-8")))
    if store.is_file():
        with zipfile.ZipFile(store) as zf:
            names = sorted(n for n in zf.namelist() if n.endswith(".json"))
            for name in names[:: max(1, len(names) // 60)][:60]:
                seeds.phenopackets.append(json.loads(zf.read(name)))
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "phenotypicFeatures" not in doc:
            seeds.case_forms.append(doc)
    labs = default_context().labs
    seeds.lab_names = [n for lab in labs.labs for n in (lab.key, lab.name, *lab.aliases)]
    return seeds


def lab_line(rng: random.Random) -> str:
    number = rng.choice(
        [
            str(rng.choice(NUMBERS)),
            f"{rng.uniform(0, 500):.{rng.randrange(0, 4)}f}",
            str(rng.randrange(0, 10**6)),
            rng.choice(["1,5", "1.", ".5", "+3", "-2", "1e3", "1E-3", "1e400", "0x10", "١٢"]),
            "",
        ]
    )
    sep = rng.choice([" ", "", "  ", "\t", " x "])
    line = number + sep + rng.choice(UNITS)
    return mutate_text(line, rng) if rng.random() < 0.3 else line


def _yaml(tree: Any) -> str:
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    except RecursionError:  # PyYAML's dumper recurses; JSON is YAML too (flow style)
        return json.dumps(tree, allow_nan=True)


def make_input(reader: str, rng: random.Random, seeds: Seeds) -> str:
    """One generated input (text) for a reader."""
    for _ in range(10):
        try:
            return _make_input(reader, rng, seeds)
        except RecursionError:  # mutations stacked too deep for copy.deepcopy: draw again
            continue
    return "{}"


def _make_input(reader: str, rng: random.Random, seeds: Seeds) -> str:
    if reader in ("phenopacket-json", "phenopacket-yaml"):
        tree = mutate_tree(rng.choice(seeds.phenopackets), rng, PHENOPACKET_KEYS)
        text = json.dumps(tree, allow_nan=True) if reader == "phenopacket-json" else _yaml(tree)
    elif reader == "case-form":
        tree = mutate_tree(rng.choice(seeds.case_forms), rng, CASE_FORM_KEYS)
        text = _yaml(tree)
    elif reader == "fhir":
        tree = mutate_tree(rng.choice(seeds.bundles), rng, FHIR_KEYS)
        text = json.dumps(tree, allow_nan=True)
    else:
        name = rng.choice(seeds.lab_names)
        labs = {name: lab_line(rng)}
        if rng.random() < 0.2:
            labs[rng.choice(seeds.lab_names)] = rng.choice(NUMBERS)
        form = {"id": "lab-line", "sex": rng.choice(["male", "female"]), "labs": labs}
        if rng.random() < 0.5:
            form["age"] = rng.choice([0, 0.1, 5, 17.9, 30, 64, 125])
        return yaml.safe_dump(form, allow_unicode=True)
    if rng.random() < 0.25:
        text = mutate_text(text, rng)
    return text


# --- running ----------------------------------------------------------------------------------
@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    findings: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key -> sample
    finding_counts: Counter[str] = field(default_factory=Counter)


def classify(reader: str, text: str, tally: Tally) -> None:
    from osteodx.case import Case, CaseInputError, parse_text

    def note(kind: str, key: str, detail: str) -> None:
        tally.counts[f"{reader}:{kind}"] += 1
        tally.finding_counts[key] += 1
        if key not in tally.findings:
            tally.findings[key] = (reader, detail, text[:600])

    try:
        case = parse_text(text, f"fuzz-{reader}", json_expected=reader.endswith(("json", "fhir")))
    except CaseInputError as exc:
        errors = exc.errors
        named = bool(errors) and all(e.loc and e.message and e.fix for e in errors)
        catch_all = any(
            e.loc == "(document)" and "could not be read (" in e.message for e in errors
        )
        if catch_all:
            first = next(e for e in errors if "could not be read (" in e.message)
            note("catch-all", f"{reader} catch-all: {first.message[:120]}", first.message)
        elif named:
            tally.counts[f"{reader}:refused"] += 1
        else:
            note("unnamed", f"{reader} refusal without a field", str(exc))
    except Exception as exc:  # a crash: what the readers must never do
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if "osteodx" in f.filename] or frames
        where = f"{Path(own[-1].filename).name}:{own[-1].lineno}" if own else "?"
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
        note("crash", f"{reader} crash: {type(exc).__name__} at {where}", detail)
    else:
        assert isinstance(case, Case)
        tally.counts[f"{reader}:read"] += 1


def run_job(job: tuple[int, dict[str, int], str]) -> tuple[Tally, dict[str, float]]:
    seed, quota, store = job
    seeds = load_seeds(Path(store))
    rng = random.Random(seed)
    tally = Tally()
    seconds: dict[str, float] = {}
    for reader, n in quota.items():
        t = time.perf_counter()
        for _ in range(n):
            classify(reader, make_input(reader, rng, seeds), tally)
        seconds[reader] = time.perf_counter() - t
        print(f"job {seed}: {reader} {n} inputs in {seconds[reader]:.0f} s", file=sys.stderr)
    return tally, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE)
    args = ap.parse_args(argv)

    per_reader = {r: round(args.total * SHARE[r]) for r in READERS}
    jobs = []
    for j in range(args.jobs):
        quota = {r: n // args.jobs + (1 if j < n % args.jobs else 0) for r, n in per_reader.items()}
        jobs.append((args.seed * 1000 + j, quota, str(args.store)))
    t = time.perf_counter()
    if args.jobs == 1:
        results = [run_job(jobs[0])]
    else:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_job, jobs))
    wall = time.perf_counter() - t

    total = Tally()
    cpu: Counter[str] = Counter()
    for tally, seconds in results:
        total.counts.update(tally.counts)
        total.finding_counts.update(tally.finding_counts)
        for key, sample in tally.findings.items():
            total.findings.setdefault(key, sample)
        cpu.update(seconds)
    report = io.StringIO()
    with redirect_stdout(report):
        print(f"# Reader fuzzing, {date.today()}\n")
        print(
            f"Command: `python benchmarks/fuzz.py --total {args.total} --seed {args.seed} "
            f"--jobs {args.jobs}` ({os.cpu_count()} CPUs, shared with other jobs).\n"
        )
        n_inputs = sum(per_reader.values())
        print(f"{n_inputs:,} generated inputs in {wall:.0f} s wall.\n")
        print("| reader | inputs | read | refused (field named) | catch-all | crash | CPU s |")
        print("|---|---|---|---|---|---|---|")
        for r in READERS:
            c = total.counts
            print(
                f"| {r} | {per_reader[r]:,} | {c[f'{r}:read']:,} | {c[f'{r}:refused']:,} | "
                f"{c[f'{r}:catch-all'] + c[f'{r}:unnamed']} | {c[f'{r}:crash']} | "
                f"{cpu[r]:.0f} |"
            )
        print()
        if not total.findings:
            print("No crash, no catch-all refusal and no refusal without a field.")
        for key in sorted(total.findings):
            _reader, detail, sample = total.findings[key]
            print(f"## {key} ({total.finding_counts[key]} inputs)\n")
            print(f"{detail}\n")
            print("First input:\n")
            print("```")
            print(sample.replace("```", "'''"))
            print("```\n")
    text = report.getvalue()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"fuzz-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    crashes = sum(v for k, v in total.counts.items() if k.endswith(":crash"))
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
