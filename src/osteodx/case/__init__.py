"""Case intake: the immutable :class:`Case` and the readers that build it."""

from osteodx.case._build import CaseBuilder, ReadingContext, default_context, parse_age
from osteodx.case._caseform import parse_case_form
from osteodx.case._fhir import parse_fhir_bundle
from osteodx.case._issues import CaseInputError, Issue
from osteodx.case._model import Case, Finding, Measurement, Sex, TextMention
from osteodx.case._phenopacket import parse_phenopacket
from osteodx.case._read import parse_document, parse_text, read_case

__all__ = [
    "Case",
    "CaseBuilder",
    "CaseInputError",
    "Finding",
    "Issue",
    "Measurement",
    "ReadingContext",
    "Sex",
    "TextMention",
    "default_context",
    "parse_age",
    "parse_case_form",
    "parse_document",
    "parse_fhir_bundle",
    "parse_phenopacket",
    "parse_text",
    "read_case",
]
