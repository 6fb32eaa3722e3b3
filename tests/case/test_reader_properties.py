"""Property-based tests: any document gives a Case or a CaseInputError naming a field."""

from __future__ import annotations

import math

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
