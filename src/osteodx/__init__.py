"""osteodx: explained, sourced differential diagnosis of osteosclerosis.

Decision support for clinicians and researchers, not a medical device.

>>> import osteodx
>>> case = osteodx.read_case("examples/founding-case.yaml")  # doctest: +SKIP
>>> osteodx.assess(case).differential.diagnoses[0].key  # doctest: +SKIP
'metastasis_nen'
"""

from osteodx._api import assess, rank, ranking_line
from osteodx.assessment import (
    DISCLAIMER,
    Assessment,
    assessment_from_json,
    assessment_to_dict,
    assessment_to_json,
)
from osteodx.case import Case, CaseInputError, Issue, parse_document, read_case
from osteodx.knowledge import load_knowledge

__all__ = [
    "DISCLAIMER",
    "Assessment",
    "Case",
    "CaseInputError",
    "Issue",
    "assess",
    "assessment_from_json",
    "assessment_to_dict",
    "assessment_to_json",
    "load_knowledge",
    "parse_document",
    "rank",
    "ranking_line",
    "read_case",
]
