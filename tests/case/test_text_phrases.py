"""Phrases and ConText rules of the shipped vocabulary, read from sentences of case summaries."""

from __future__ import annotations

from functools import cache

import pytest

from osteodx.case._text import TextMatch


@cache
def _read(text: str) -> tuple[TextMatch, ...]:
    from osteodx.case._build import default_context

    return tuple(default_context().text.read(text))


def _found(text: str) -> set[tuple[str, str]]:
    return {(m.finding_id, m.status) for m in _read(text) if m.lab is None}


def _ids(text: str) -> set[str]:
    return {finding_id for finding_id, _status in _found(text)}


@pytest.mark.parametrize(
    ("sentence", "finding_id"),
    [
        ("Calcium was high on admission, with hypercalcaemia and confusion.", "HP:0003072"),
        ("Laboratory tests showed hypercalcemia.", "HP:0003072"),
        ("Blood tests showed a normocytic anaemia.", "HP:0001903"),
        ("She was found to be anemic.", "HP:0001903"),
        ("Blood counts showed thrombocytopenia.", "HP:0001873"),
        ("Examination found hepatomegaly.", "HP:0002240"),
        ("He reported a 12 kg weight loss over six months.", "HP:0001824"),
        ("MRI showed an epidural deposit at T8 with cord compression.", "HP:0002176"),
        ("He had aching leg pain for a year.", "HP:0012514"),
        ("She reported thigh pain when walking.", "HP:0012514"),
        ("Blood tests showed raised alkaline phosphatase.", "HP:0003155"),
        ("Bone-specific alkaline phosphatase: elevated bone ALP.", "HP:0010639"),
        ("Serum chemistry showed elevated LDH.", "HP:0025435"),
        ("CT showed hyperostosis of the frontal bone.", "HP:0100774"),
        ("He had a low-grade fever for two weeks.", "HP:0001945"),
        ("She complained of night sweats.", "HP:0030166"),
        ("He had watery diarrhoea after meals.", "HP:0002014"),
        ("The main complaint was colicky abdominal pain.", "HP:0002027"),
        ("He had abdominal pain and constipation.", "HP:0002019"),
        ("She noticed proptosis of the left eye.", "HP:0000520"),
        ("He had a dry cough for a month.", "HP:0012735"),
        ("She had daily headaches.", "HP:0002315"),
        ("He had progressive visual loss.", "HP:0000505"),
        ("CT showed mediastinal lymphadenopathy.", "HP:0100721"),
        ("There was pitting oedema of both ankles.", "HP:0000969"),
        ("CT showed a right pleural effusion.", "HP:0002202"),
        ("Ultrasound found several liver tumours.", "HP:0002896"),
        ("CT showed blastic and lytic lesions of the spine.", "OSX:mixed_lytic_sclerotic"),
        ("X-rays showed sclerotic and lytic areas.", "OSX:mixed_lytic_sclerotic"),
        ("A skeletal survey found lytic bone lesions.", "HP:0002797"),
        ("The iliac biopsy showed a well-differentiated NET.", "OSX:history_nen"),
        ("Pathology: NET G2 with Ki-67 of 8%.", "OSX:history_nen"),
        ("The node contained a large-cell NEC.", "OSX:history_nen"),
        ("He had a bronchial carcinoid removed in 2015.", "HP:0030445"),
        ("She had a small cell carcinoma of the lung.", "HP:0030357"),
        ("CT found a pancreatic NET with liver deposits.", "HP:0030405"),
        ("Laparotomy revealed an ileal carcinoid.", "HP:0006722"),
    ],
)
def test_phrase_is_read_as_its_finding(sentence: str, finding_id: str) -> None:
    assert (finding_id, "present") in _found(sentence)


@pytest.mark.parametrize(
    ("sentence", "finding_id"),
    [
        ("She has had hay fever every spring.", "HP:0001945"),  # not a raised temperature
        ("MRI showed bone marrow oedema around the lesion.", "HP:0000969"),  # not body oedema
        ("The patient felt a net improvement after treatment.", "OSX:history_nen"),
    ],
)
def test_phrase_does_not_fire_on_another_meaning(sentence: str, finding_id: str) -> None:
    assert finding_id not in _ids(sentence)


def test_afebrile_is_read_as_fever_excluded() -> None:
    assert ("HP:0001945", "negated") in _found("On admission she was afebrile.")


def test_non_small_cell_lung_cancer_is_not_read_as_small_cell_carcinoma() -> None:
    ids = _ids("He had a non-small cell lung cancer treated with surgery.")
    assert "OSX:history_lung_cancer" in ids
    assert "HP:0030357" not in ids


def test_neuroendocrine_lung_carcinoma_is_a_neuroendocrine_neoplasm_not_lung_carcinoma() -> None:
    found = _found("Biopsy showed a large cell neuroendocrine lung carcinoma.")
    assert ("OSX:history_nen", "present") in found
    assert "OSX:history_lung_cancer" not in {finding_id for finding_id, _ in found}


def test_negation_before_a_semicolon_does_not_reach_the_next_statement() -> None:
    found = _found("No primary was seen on CT; a bone biopsy showed a neuroendocrine carcinoma.")
    assert ("OSX:history_nen", "present") in found


def test_negation_after_a_second_semicolon_does_not_reach_back() -> None:
    found = _found("Tired for months; biopsy showed a carcinoid; octreotide scan negative.")
    assert ("OSX:history_nen", "present") in found
    assert ("OSX:sstr_avid_bone_lesions", "negated") in found


def test_negation_still_covers_its_own_statement_before_a_semicolon() -> None:
    found = _found("No weight loss or fever; watery diarrhoea for a month.")
    assert ("HP:0001824", "negated") in found
    assert ("HP:0002014", "present") in found


def test_doubt_does_not_cross_a_semicolon() -> None:
    found = _found("The primary was probably in the lung; he had back pain for a year.")
    assert ("HP:0003418", "present") in found


def test_disease_free_survival_does_not_negate_earlier_treatment() -> None:
    found = _found("She received chemotherapy and radiotherapy, disease-free for three years.")
    assert ("OSX:systemic_cancer_therapy", "present") in found


def test_free_of_still_negates_what_follows() -> None:
    assert ("HP:0002653", "negated") in _found("Since radiotherapy she is free of bone pain.")


def test_negation_in_brackets_stays_inside_them() -> None:
    found = _found("It was read as a primary (not metastatic) spinal carcinoid.")
    assert ("OSX:history_nen", "present") in found
    inside = _found("Lytic lesion of the femur (no pathologic fracture).")
    assert ("HP:0002756", "negated") in inside


def test_conditions_listed_in_a_differential_are_uncertain() -> None:
    found = _found("The differential included osteopetrosis and Paget disease.")
    assert ("HP:0011002", "uncertain") in found


def test_a_child_patient_is_not_read_as_a_relative() -> None:
    found = _found("A 6-year-old child presented with anaemia and hepatomegaly.")
    assert {("HP:0001903", "present"), ("HP:0002240", "present")} <= found


def test_patient_born_to_consanguineous_parents_is_not_read_as_a_relative() -> None:
    found = _found("The daughter of consanguineous parents had generalized osteosclerosis.")
    assert ("HP:0005789", "present") in found
    assert ("OSX:family_history_bone_dysplasia", "present") in found


def test_a_relative_is_still_read_as_family() -> None:
    assert ("HP:0011002", "family") in _found("Her daughter has osteopetrosis.")


@pytest.mark.parametrize(
    ("sentence", "present", "negated"),
    [
        (
            "Biopsy showed a neuroendocrine tumour, synaptophysin positive, TTF-1 negative.",
            "OSX:history_nen",
            None,
        ),
        ("Metastatic carcinoid, CDX2 negative and TTF-1 negative.", "OSX:history_nen", None),
        ("Bone biopsy: carcinoid; CDX2 negative.", "OSX:history_nen", None),
        ("Anaemia, HCV-negative.", "HP:0001903", "OSX:hepatitis_c"),
        ("Sclerotic bone lesions, Octreoscan negative.", "HP:0011001", None),
        ("Diffuse osteosclerosis, PET negative.", "HP:0005789", None),
        ("Myelofibrosis, JAK2 negative, CALR positive.", "HP:0011974", None),
        ("HCV positive, HIV negative.", "OSX:hepatitis_c", None),
        ("Breast carcinoma, HER2 negative.", "OSX:history_breast_cancer", None),
        ("Carcinoid tumour, positive for chromogranin, GATA-3 negative.", "OSX:history_nen", None),
        (
            "A carcinoid positive for chromogranin, while CDX2 and TTF-1 were negative.",
            "OSX:history_nen",
            None,
        ),
        ("Bone scan showed increased uptake, PSA negative.", "HP:6001022", None),
    ],
)
def test_trailing_negative_reports_one_result_not_the_whole_sentence(
    sentence: str, present: str, negated: str | None
) -> None:
    found = _found(sentence)
    assert (present, "present") in found
    if negated:
        assert (negated, "negated") in found


@pytest.mark.parametrize(
    "sentence",
    [
        "Tests for hepatitis C, HIV and syphilis were negative.",
        "Hepatitis C, HIV and syphilis serologies were all negative.",
        "Hepatitis C, HIV, syphilis: all negative.",
        "Serology for hepatitis C was negative.",
        "Hepatitis C, HIV negative.",
        "Serology for hepatitis C, HIV and syphilis negative.",
        "Anaemia; HCV, HIV negative.",
        "Anti-HCV, HBsAg and HIV antibodies negative.",
    ],
)
def test_negative_closing_a_list_of_tests_covers_the_list(sentence: str) -> None:
    assert ("OSX:hepatitis_c", "negated") in _found(sentence)


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("68Ga-DOTATATE PET negative.", "negated"),
        ("No uptake on octreoscan.", "negated"),
        ("The bone lesions were DOTATATE-avid.", "present"),
        ("Bone lesions showed intense uptake on 68Ga-DOTATATE PET/CT.", "present"),
    ],
)
def test_sstr_avidity_is_read_from_what_the_scan_showed(sentence: str, status: str) -> None:
    assert ("OSX:sstr_avid_bone_lesions", status) in _found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "OctreoScan uptake in the ileum confirmed the primary.",
        "Ga-DOTATATE PET localised a right middle lobe nodule.",
        "A DOTATATE PET is planned.",
    ],
)
def test_naming_the_scan_alone_does_not_make_the_bone_lesions_avid(sentence: str) -> None:
    assert "OSX:sstr_avid_bone_lesions" not in _ids(sentence)


@pytest.mark.parametrize(
    ("notes", "pain"),
    [
        ("He was asymptomatic until he developed bone pain.", "HP:0002653"),
        ("He was asymptomatic apart from back pain.", "HP:0003418"),
        ("He was asymptomatic until he developed leg pain.", "HP:0012514"),
    ],
)
def test_a_word_implying_no_pain_yields_to_pain_named_in_the_text(notes: str, pain: str) -> None:
    from osteodx.case import parse_case_form
    from osteodx.case._build import default_context

    case = parse_case_form({"id": "a", "notes": notes}, "form.yaml", default_context())
    assert [(f.id, f.present) for f in case.findings] == [(pain, True)]


@pytest.mark.parametrize(
    ("sentence", "absent"),
    [
        ("An asymptomatic 64-year-old man had a routine chest film.", True),
        ("The patient was asymptomatic.", True),
        ("She had asymptomatic hypercalcaemia.", False),
    ],
)
def test_asymptomatic_speaks_of_the_patient_not_of_another_finding(
    sentence: str, absent: bool
) -> None:
    assert (("HP:0002653", "negated") in _found(sentence)) is absent


@pytest.mark.parametrize(
    ("sentence", "finding_id"),
    [
        ("He received voriconazole prophylaxis after the transplant.", "OSX:voriconazole_therapy"),
        ("Antifungal prophylaxis with voriconazole for two years.", "OSX:voriconazole_therapy"),
        ("Previous thyroid surgery in 2010.", "OSX:neck_surgery"),
        ("Born to consanguineous parents.", "OSX:family_history_bone_dysplasia"),
        ("On omeprazole for reflux.", "OSX:proton_pump_inhibitor"),
        ("Long-term proton-pump inhibitor use.", "OSX:proton_pump_inhibitor"),
    ],
)
def test_a_treatment_or_history_in_the_text_is_read_as_present(
    sentence: str, finding_id: str
) -> None:
    assert (finding_id, "present") in _found(sentence)


def test_voriconazole_prophylaxis_is_not_a_negation_of_the_drug() -> None:
    assert ("OSX:voriconazole_therapy", "negated") not in _found("Voriconazole prophylaxis.")


def test_a_proton_pump_inhibitor_is_flagged_as_a_chromogranin_confounder() -> None:
    from osteodx import assess
    from osteodx.case import parse_case_form

    case = parse_case_form(
        {
            "id": "p",
            "age": 55,
            "sex": "female",
            "findings": ["Patchy osteosclerosis"],
            "exposures": ["proton pump inhibitor"],
            "labs": {"chromogranin A": "400 ng/mL"},
            "pathology": {"site": "unknown", "differentiation": "well", "ki67": 5},
        },
        "form",
    )
    assert any(f.id == "OSX:proton_pump_inhibitor" for f in case.findings)
    workup = assess(case, similar=0).nen
    assert workup is not None
    cga = [m for m in workup.circulating if m.marker == "chromogranin_a"]
    assert cga and any(c.id == "ppi" for c in cga[0].confounders)
