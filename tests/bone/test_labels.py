"""Score items and treatment-context fields are named as a reader names them, never by key."""

from __future__ import annotations

from osteodx.bone._render import derived_label, field_label, needs_text


def test_a_score_item_is_the_scores_name_and_the_items_label() -> None:
    assert derived_label("tomita.primary") == "Tomita score: Growth of the primary tumour"


def test_a_context_field_is_its_description_without_the_detail() -> None:
    assert derived_label("context.egfr_ml_min") == field_label("egfr_ml_min")
    assert field_label("egfr_ml_min") == "eGFR or creatinine clearance in mL/min"
    assert field_label("primary_site") == "Primary-site id"


def test_missing_items_and_fields_read_as_labels() -> None:
    assert needs_text("mirels", ["pain", "site"]) == "Pain, Site"
    assert "_" not in needs_text(None, ["sstr_krenning", "egfr_ml_min", "haemoglobin_g_dl"])
