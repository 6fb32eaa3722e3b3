"""Findings read from free text with medspaCy: phrase targets plus ConText for negation.

Phrases come from the knowledge base (``phrases`` of local findings, ``hpo_phrases`` for HPO
terms). medspaCy's ConText marks each match as negated ("no history of tea drinking"), uncertain
("raising the question of prostate cancer"), about a relative ("her mother had ...") or
hypothetical; only plain and negated mentions count as evidence. Sentences are split by
spaCy's rule-based sentencizer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osteodx.case._model import MentionStatus
from osteodx.knowledge import Knowledge
from osteodx.knowledge._hpo import read_cache, write_cache

__all__ = ["TextMatch", "TextReader"]

# ConText rules added to medspaCy's defaults, for phrasing common in case reports.
_EXTRA_CONTEXT_RULES: tuple[tuple[str, str, str], ...] = (
    ("question of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("raising the possibility of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("suspicion of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("suspected", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("differential diagnosis", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("did not support", "NEGATED_EXISTENCE", "FORWARD"),
    ("did not show", "NEGATED_EXISTENCE", "FORWARD"),
    ("never", "NEGATED_EXISTENCE", "FORWARD"),
    ("was excluded", "NEGATED_EXISTENCE", "BACKWARD"),
    ("were excluded", "NEGATED_EXISTENCE", "BACKWARD"),
    ("ruled out", "NEGATED_EXISTENCE", "BACKWARD"),
    ("was normal", "NEGATED_EXISTENCE", "BACKWARD"),
    ("were normal", "NEGATED_EXISTENCE", "BACKWARD"),
    ("negative", "NEGATED_EXISTENCE", "BACKWARD"),
)


@dataclass(frozen=True, slots=True)
class TextMatch:
    finding_id: str
    phrase: str
    sentence: str
    status: MentionStatus


class TextReader:
    """A medspaCy pipeline built once from the knowledge base's phrases."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._targets: list[tuple[str, str]] = []
        for finding in knowledge.local_findings.values():
            self._targets.extend((phrase, finding.id) for phrase in finding.phrases)
        for entry in knowledge.hpo_phrases:
            self._targets.extend((phrase, entry.id) for phrase in entry.phrases)
        self._nlp: Any = None
        self._disk_cache: Path | None = None
        digest = hashlib.sha256(repr(sorted(self._targets)).encode())
        digest.update(repr(_EXTRA_CONTEXT_RULES).encode())
        self._rules_digest = digest.hexdigest()[:16]

    def use_disk_cache(self, folder: Path) -> None:
        """Keep results per text on disk: loading spaCy and medspaCy takes about two seconds,
        which a repeated single-case run (the CLI) can skip. Keyed by the text and the rules."""
        self._disk_cache = folder

    def _pipeline(self) -> Any:
        if self._nlp is None:
            self._nlp = _build_pipeline(self._targets)
        return self._nlp

    def read(self, text: str) -> list[TextMatch]:
        if not text.strip():
            return []
        if self._disk_cache is None:
            return self._read(text)
        key = hashlib.sha256((self._rules_digest + "\0" + text).encode()).hexdigest()[:32]
        path = self._disk_cache / f"{key}.pickle"
        cached = read_cache(path, list)
        if cached is not None:
            return cached
        matches = self._read(text)
        write_cache(path, matches)
        return matches

    def _read(self, text: str) -> list[TextMatch]:
        doc = self._pipeline()(text)
        matches: list[TextMatch] = []
        for ent in doc.ents:
            status: MentionStatus
            if ent._.is_family:
                status = "family"
            elif ent._.is_negated:
                status = "negated"
            elif ent._.is_uncertain or ent._.is_hypothetical:
                status = "uncertain"
            else:
                status = "present"
            matches.append(TextMatch(ent.label_, ent.text, ent.sent.text.strip(), status))
        return matches


def _target_rule(rule_type: Any, phrase: str, finding_id: str) -> Any:
    """A phrase, or a token pattern when the phrase holds ``*`` (one optional token there)."""
    if "*" not in phrase.split():
        return rule_type(phrase, finding_id)
    pattern: list[dict[str, Any]] = []
    for word in phrase.split():
        if word == "*":
            pattern.append({"OP": "?"})
        else:
            pattern.extend({"LOWER": token} for token in _tokens(word))
    return rule_type(phrase, finding_id, pattern=pattern)


def _tokens(word: str) -> list[str]:
    """Split a phrase word as spaCy's tokenizer would split hyphens ('bone-within' -> 3)."""
    parts: list[str] = []
    for piece in word.casefold().replace("-", " - ").split():
        parts.append(piece)
    return parts


def _build_pipeline(targets: list[tuple[str, str]]) -> Any:
    import logging

    import spacy
    from medspacy.context import ConText, ConTextRule
    from medspacy.ner import TargetMatcher, TargetRule

    logging.getLogger("PyRuSH").setLevel(logging.WARNING)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher: TargetMatcher = nlp.add_pipe("medspacy_target_matcher")
    matcher.add([_target_rule(TargetRule, phrase, finding_id) for phrase, finding_id in targets])
    context: ConText = nlp.add_pipe("medspacy_context")
    context.add(
        [
            ConTextRule(literal, category, direction=direction)
            for literal, category, direction in _EXTRA_CONTEXT_RULES
        ]
    )
    return nlp
