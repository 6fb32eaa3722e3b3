"""Next tests: a leading neoplasm always lists tissue confirmation."""

from __future__ import annotations

from typing import Any


def _assessed(findings: list[str], **extra: object) -> Any:
    import osteodx
    from osteodx.case import parse_case_form

    document = {"id": "t", "age": 52, "sex": "female", "findings": findings, **extra}
    return osteodx.assess(parse_case_form(document, "form"), tests=3, similar=0)


def test_a_leading_neoplasm_always_lists_tissue_confirmation_with_receptor_retesting() -> None:
    a = _assessed(["Breast carcinoma", "Patchy osteosclerosis"])
    assert a.differential.diagnoses[0].key == "metastasis_breast"
    biopsy = [t for t in a.next_tests if t.key == "bone_biopsy_ihc"]
    assert len(biopsy) == 1 and len(a.next_tests) == 3
    assert "tissue confirmation" in biopsy[0].reason and "ER, PR and HER2" in biopsy[0].reason


def test_no_confirmation_is_forced_when_a_non_neoplastic_cause_leads() -> None:
    a = _assessed(["Generalized osteosclerosis", "Cranial nerve compression"], age=6)
    assert a.differential.diagnoses[0].group != "neoplastic"
    assert all(not t.reason for t in a.next_tests)
