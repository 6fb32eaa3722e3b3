"""Bone metastases: Mirels, SINS, revised Tokuhashi, Tomita, new Katagiri, modified Bauer, and
treatment options with eligibility for a neuroendocrine neoplasm with bone metastases.

Each score is declared once in ``bone/scores/<name>.yaml`` and evaluated by one engine; the
treatment options, trials and rules are in ``bone/data/treatments.yaml``. Everything medical
carries its source. Decision support for clinicians and researchers, not a medical device:
treatment output lists options to discuss and never prescribes.

>>> from osteodx.bone import compute_score
>>> r = compute_score("sins", {"location": "junctional", "pain": "mechanical",
...     "bone_lesion": "lytic", "alignment": "deformity", "collapse": "lt_50",
...     "posterolateral": "unilateral"})
>>> r.total, r.category.label
(13, 'unstable')
>>> compute_score("mirels", {"site": "peritrochanteric"}).missing
('pain', 'lesion', 'size')
"""

from osteodx.bone._assessment import BoneAssessment, DerivedValue, assess_bone
from osteodx.bone._engine import (
    ItemScore,
    ScoreResult,
    WorkedExampleCheck,
    accepted_values,
    compute_score,
    parse_assignments,
    score_request_model,
    worked_examples,
)
from osteodx.bone._errors import BoneDataError, BoneInputError
from osteodx.bone._inputs import BoneInputs, bone_inputs_from_mapping
from osteodx.bone._labs import LabItemValue, item_from_labs
from osteodx.bone._load import SCORE_NAMES, list_scores, score_declaration
from osteodx.bone._nen import NenItemValue, nen_score_values
from osteodx.bone._render import (
    context_help,
    render_score,
    render_treatments,
    score_help,
    scores_markdown,
    worked_examples_markdown,
)
from osteodx.bone._schema import Category, Item, LabCutoff, LabDerivation, ScoreDeclaration
from osteodx.bone._treatment import (
    ContextField,
    CriterionResult,
    IndicationResult,
    OptionResult,
    TreatmentContext,
    TreatmentOptions,
    context_fields,
    treatment_context_from_assignments,
    treatment_context_from_mapping,
    treatment_options,
)

__all__ = [
    "SCORE_NAMES",
    "BoneAssessment",
    "BoneDataError",
    "BoneInputError",
    "BoneInputs",
    "Category",
    "ContextField",
    "CriterionResult",
    "DerivedValue",
    "IndicationResult",
    "Item",
    "ItemScore",
    "LabCutoff",
    "LabDerivation",
    "LabItemValue",
    "NenItemValue",
    "OptionResult",
    "ScoreDeclaration",
    "ScoreResult",
    "TreatmentContext",
    "TreatmentOptions",
    "WorkedExampleCheck",
    "accepted_values",
    "assess_bone",
    "bone_inputs_from_mapping",
    "compute_score",
    "context_fields",
    "context_help",
    "item_from_labs",
    "list_scores",
    "nen_score_values",
    "parse_assignments",
    "render_score",
    "render_treatments",
    "score_declaration",
    "score_help",
    "score_request_model",
    "scores_markdown",
    "treatment_context_from_assignments",
    "treatment_context_from_mapping",
    "treatment_options",
    "worked_examples",
    "worked_examples_markdown",
]
