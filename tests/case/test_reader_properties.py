"""Property-based tests: any document gives a Case or a CaseInputError naming a field."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from osteodx.case import Case, CaseInputError, parse_document, parse_text
from osteodx.case._units import UnitError, convert, parse_value_with_unit

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
phenopacket_keys = st.sampled_from(
    [
        "id",
        "subject",
        "phenotypicFeatures",
        "measurements",
        "diseases",
        "medicalActions",
        "description",
        "metaData",
    ]
)
phenopacket_like = st.dictionaries(phenopacket_keys, json_values, min_size=1, max_size=6)
caseform_keys = st.sampled_from(
    ["id", "age", "sex", "findings", "excluded", "labs", "exposures", "history", "notes"]
)
caseform_like = st.dictionaries(caseform_keys, json_values, max_size=7)

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_or_refuse(document: object, ctx) -> None:
    try:
        case = parse_document(document, "fuzz", ctx)
    except CaseInputError as exc:
        assert exc.errors, "a refusal must carry at least one error"
        for issue in exc.errors:
            assert issue.loc and issue.message and issue.fix
    else:
        assert isinstance(case, Case)
        assert case.age_years is None or 0 <= case.age_years <= 125
        assert all(math.isfinite(m.value) for m in case.measurements)


@SETTINGS
@given(phenopacket_like)
@example({"phenotypicFeatures": [{"type": None}]})
@example({"subject": {"timeAtLastEncounter": {"age": {"iso8601duration": 7}}}, "id": "x"})
@example(
    {"measurements": [{"assay": {"id": "LOINC:6768-6"}, "value": {"quantity": {"value": "x"}}}]}
)
def test_any_phenopacket_like_document_is_read_or_refused(tiny_ctx, document) -> None:
    _read_or_refuse(document, tiny_ctx)


@SETTINGS
@given(caseform_like)
@example({"id": "x", "labs": {"alp": True}})
@example({"id": "x", "age": float("nan")})
@example({"id": "x", "labs": {"alp": "1e400 U/L"}})
def test_any_case_form_is_read_or_refused(tiny_ctx, document) -> None:
    _read_or_refuse(document, tiny_ctx)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_file_is_read_or_refused(tiny_ctx, text) -> None:
    try:
        case = parse_text(text, "fuzz.txt", tiny_ctx)
    except CaseInputError as exc:
        assert exc.errors
    else:
        assert isinstance(case, Case)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_lab_string_parses_or_raises_unit_error(text) -> None:
    try:
        value, _unit = parse_value_with_unit(text)
    except UnitError:
        return
    assert math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e4))
def test_calcium_mass_molar_round_trip_keeps_the_value(value) -> None:
    there = convert(value, "mg/dL", "mmol/L", 40.078)
    back = convert(there, "mmol/L", "mg/dL", 40.078)
    assert math.isclose(back, value, rel_tol=1e-9)


# --- mutations of real documents, read with the shipped knowledge base -------------------------
REPO = Path(__file__).parents[2]
EXAMPLES = REPO / "examples"
DEV_CASES = REPO.parent / "shared" / "benchmark" / "osteosclerosis-dev" / "cases"


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


PHENOPACKET_SEEDS = [
    _load(p) for p in [*sorted(EXAMPLES.glob("*.json")), *sorted(DEV_CASES.glob("*.json"))[:8]]
]
FHIR_SEEDS = [d for d in PHENOPACKET_SEEDS if d.get("resourceType") == "Bundle"]
PHENOPACKET_SEEDS = [d for d in PHENOPACKET_SEEDS if "resourceType" not in d]
CASE_FORM_SEEDS = [
    d
    for d in (_load(p) for p in sorted(EXAMPLES.glob("*.yaml")))
    if isinstance(d, dict) and "phenotypicFeatures" not in d
]
LAB_SEED = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
    "effectiveDateTime": "2025-06-01",
    "valueQuantity": {"value": 350, "unit": "U/L", "system": "http://unitsofmeasure.org"},
    "referenceRange": [{"low": {"value": 40, "unit": "U/L"}, "high": {"value": 130}}],
}
FHIR_SEEDS.append({**FHIR_SEEDS[0], "entry": [*FHIR_SEEDS[0]["entry"], {"resource": LAB_SEED}]})
odd_strings = st.sampled_from(
    ["", " ", "P-1Y", "P1e400Y", "HP:9999999", "HP:0000001", "LOINC:6768-6", "degC", "1/0",
     "2025-13-45", "NaN", "OSX:x", "no hepatitis C", "mg/dL", "x" * 500]
)  # fmt: skip
odd_values = json_values | odd_strings | st.sampled_from([math.inf, -math.inf, 1e308, 2**70])


def _paths(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _paths(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _paths(value, (*path, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any], keys: list[str]) -> Any:
    """A real document with one to three of its nodes deleted, replaced, wrapped or added to."""
    tree = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)))
        if not path:
            continue
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        op = draw(st.sampled_from(["delete", "replace", "wrap", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(odd_values)
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(keys))] = draw(odd_values)
    return tree


def _text_of(document: Any, as_yaml: bool) -> str:
    if as_yaml:
        return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    return json.dumps(document, allow_nan=True)


def _read_text_or_refuse(text: str, json_expected: bool) -> None:
    try:
        case = parse_text(text, "fuzz", json_expected=json_expected)
    except CaseInputError as exc:
        assert exc.errors, "a refusal must carry at least one error"
        for issue in exc.errors:
            assert issue.loc and issue.message and issue.fix
            # the FHIR reader's catch-all for exceptions no check foresaw must never be needed
            assert "could not be read (" not in issue.message, issue.message
    else:
        assert isinstance(case, Case)
        assert all(math.isfinite(m.value) for m in case.measurements)


REAL = settings(max_examples=60, deadline=None)
PHENOPACKET_FIELDS = [*phenopacket_keys.elements, "type", "excluded", "value", "quantity", "unit"]


@REAL
@given(mutated(PHENOPACKET_SEEDS, PHENOPACKET_FIELDS), st.booleans())
def test_any_mutated_real_phenopacket_as_json_or_yaml_is_read_or_refused(doc, as_yaml) -> None:
    _read_text_or_refuse(_text_of(doc, as_yaml), json_expected=not as_yaml)


@REAL
@given(mutated(CASE_FORM_SEEDS, list(caseform_keys.elements)))
def test_any_mutated_real_case_form_is_read_or_refused(document) -> None:
    _read_text_or_refuse(_text_of(document, as_yaml=True), json_expected=False)


FHIR_FIELDS = ["valueQuantity", "valueBoolean", "valueString", "code", "system", "referenceRange",
               "birthDate", "gender", "status", "effectiveDateTime", "note", "entry"]  # fmt: skip


@REAL
@given(mutated(FHIR_SEEDS, FHIR_FIELDS))
def test_any_mutated_fhir_bundle_is_read_or_refused_at_a_fhir_path(bundle) -> None:
    _read_text_or_refuse(_text_of(bundle, as_yaml=False), json_expected=True)


@REAL
@given(
    st.sampled_from(["{", "[", "id: x\n", '{"id": "x", "subject": ']),
    st.text(alphabet="{}[]:,\"' \n-!&*|>#0123456789abcdefHP", max_size=120),
)
def test_any_broken_json_or_yaml_text_is_refused(head, tail) -> None:
    _read_text_or_refuse(head + tail, json_expected=head.startswith(("{", "[")))


lab_lines = st.one_of(
    st.text(max_size=25),
    st.builds(
        lambda number, gap, unit: f"{number}{gap}{unit}",
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), odd_strings),
        st.sampled_from(["", " ", "  "]),
        st.sampled_from(["U/L", "IU/L", "mg/dL", "mmol/L", "pg/mL", "pmol/L", "10^9/L", "/uL",
                         "g/L", "degC", "degF", "kelvin", "%", "m**999", "1/0", "mg/(dL", ""]),
    ),
)  # fmt: skip


@REAL
@given(st.sampled_from(["alkaline phosphatase", "calcium", "phosphate", "pth", "platelets",
                        "haemoglobin", "egfr", "nse", "urine 5-hiaa", "unknown test"]),
       lab_lines, st.sampled_from(["male", "female"]))  # fmt: skip
def test_any_lab_line_with_a_unit_is_read_or_refused(name, line, sex) -> None:
    form = {"id": "lab", "sex": sex, "labs": {name: line}}
    _read_text_or_refuse(yaml.safe_dump(form, allow_unicode=True), json_expected=False)


# --- crashes the fuzzing found (benchmarks/fuzz.py), kept as regression tests ------------------
def _refusal(text: str, json_expected: bool = False) -> CaseInputError:
    try:
        parse_text(text, "regression", json_expected=json_expected)
    except CaseInputError as exc:
        return exc
    raise AssertionError("expected a refusal")


def test_regression_yaml_value_constructor_errors_are_refusals_not_crashes() -> None:
    # PyYAML raises ValueError for an impossible implicit date and IndexError for an empty
    # !!float; both escaped the reader before.
    for text in ["id: x\nage: 2025-13-45\n", "id: x\nfindings:\n- - !!float \n"]:
        exc = _refusal(text)
        assert exc.errors[0].loc == "(document)"
        assert "malformed YAML" in exc.errors[0].message


def test_regression_deeply_nested_json_is_refused_not_a_recursion_error() -> None:
    exc = _refusal('{"id": "x", "phenotypicFeatures": ' + "[" * 100_000, json_expected=True)
    assert "nested too deeply" in exc.errors[0].message


def test_regression_an_offset_unit_with_a_molar_mass_is_a_unit_error() -> None:
    # degF x g/mol raised pint's OffsetUnitCalculusError out of the reader.
    with pytest.raises(UnitError):
        convert(407080.0, "degF", "mg/dL", 30.974)
    exc = _refusal("id: x\nlabs:\n  serum phosphorus: 4 degF\n")
    assert exc.errors[0].loc == "labs.serum phosphorus.unit"
