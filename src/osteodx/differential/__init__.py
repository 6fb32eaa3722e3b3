"""The likelihood-ratio differential of osteosclerosis, its explanations and next best tests."""

from osteodx.differential._compiled import CompiledKB, compiled_kb
from osteodx.differential._engine import (
    QUIET_LOG10_LR,
    EvidenceRow,
    evidence_rows,
    explain,
    observed_results,
    posterior,
    scope,
    score,
    score_batch,
)
from osteodx.differential._nexttests import entropy_bits, expected_information_gain, next_tests
from osteodx.differential._result import (
    Contribution,
    DiagnosisResult,
    Differential,
    OutcomeForecast,
    TestRecommendation,
)

__all__ = [
    "QUIET_LOG10_LR",
    "CompiledKB",
    "Contribution",
    "DiagnosisResult",
    "Differential",
    "EvidenceRow",
    "OutcomeForecast",
    "TestRecommendation",
    "compiled_kb",
    "entropy_bits",
    "evidence_rows",
    "expected_information_gain",
    "explain",
    "next_tests",
    "observed_results",
    "posterior",
    "scope",
    "score",
    "score_batch",
]
