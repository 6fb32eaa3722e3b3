"""Findings and laboratory values read from free text with medspaCy.

Phrases come from the knowledge base (``phrases`` of local findings, ``hpo_phrases`` for HPO
terms). medspaCy's ConText marks each match as negated ("no history of tea drinking"), uncertain
("raising the question of prostate cancer"), about a relative ("her mother had ...") or
hypothetical; only plain and negated mentions count as evidence. Sentences are split by
spaCy's rule-based sentencizer.

Numeric laboratory values ("ALP was 1,250 IU/L") are found by ``case/_textlabs.py`` and come
back as matches with ``lab`` set, each with its sentence. A second ConText, over the value
mentions only, marks values of relatives and hypothetical values ("if PSA exceeds 10 ng/mL");
negation is not applied to them: a number written with a name is a measurement ("no rise in
ALP (95 U/L)" still says the ALP was 95 U/L), while "no PSA measured" has no number to read.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osteodx.case._model import MentionStatus
from osteodx.knowledge import Knowledge
from osteodx.knowledge._hpo import read_cache, write_cache

if TYPE_CHECKING:  # imported with the first text that holds a digit (its regexes take ~15 ms)
    from osteodx.case._textlabs import LabTextScanner, TextLabValue

__all__ = ["TextMatch", "TextReader"]

# Category of the clause marks (a comma, or "positive") that end the scope of the rules in
# _ENDS_AT_CLAUSE; it modifies nothing else (only negation, doubt, history and family categories
# set a mention's status).
_CLAUSE_BREAK = "CLAUSE_BREAK"

# A trailing "negative" (or "was negative") reports one result: "carcinoid, CDX2 negative",
# "osteosclerosis, HCV-negative", "synaptophysin positive, TTF-1 negative". Its backward scope
# ends at the previous comma or "positive", so it cannot reach findings named before. A comma
# inside a list of serologies ("hepatitis C, HIV negative") is not a clause mark (_SEROLOGY_LIST),
# and "were negative" or "were all negative" keep the whole sentence: they close a list of tests.
_ENDS_AT_CLAUSE = frozenset({"negative", "was negative"})

# Last word of an item in a list of serologies, before its comma.
_SEROLOGY_WORDS: tuple[str, ...] = (
    "c",
    "b",
    "hcv",
    "hbv",
    "hiv",
    "hbsag",
    "hbs",
    "syphilis",
    "vdrl",
    "rpr",
    "tpha",
    "serology",
    "serologies",
    "antibody",
    "antibodies",
    "antigen",
    "hiv-1",
    "hiv-2",
    "htlv",
    "htlv-1",
    "cmv",
    "ebv",
    "toxoplasma",
    "brucella",
    "quantiferon",
)

# ConText rules added to medspaCy's defaults, for phrasing common in case reports.
_EXTRA_CONTEXT_RULES: tuple[tuple[str, str, str], ...] = (
    ("question of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("raising the possibility of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("suspicion of", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("suspected", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("differential diagnosis", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("differential diagnoses", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("differential included", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("differential includes", "POSSIBLE_EXISTENCE", "FORWARD"),
    ("did not support", "NEGATED_EXISTENCE", "FORWARD"),
    ("did not show", "NEGATED_EXISTENCE", "FORWARD"),
    ("never", "NEGATED_EXISTENCE", "FORWARD"),
    ("was excluded", "NEGATED_EXISTENCE", "BACKWARD"),
    ("were excluded", "NEGATED_EXISTENCE", "BACKWARD"),
    ("ruled out", "NEGATED_EXISTENCE", "BACKWARD"),
    ("was normal", "NEGATED_EXISTENCE", "BACKWARD"),
    ("were normal", "NEGATED_EXISTENCE", "BACKWARD"),
    ("negative", "NEGATED_EXISTENCE", "BACKWARD"),
    # ... but "were negative" closes a list of tests ("hepatitis C, HIV and syphilis were
    # negative") and keeps the whole sentence, like "were normal".
    ("were negative", "NEGATED_EXISTENCE", "BACKWARD"),
    ("was negative", "NEGATED_EXISTENCE", "BACKWARD"),
    ("were all negative", "NEGATED_EXISTENCE", "BACKWARD"),
    ("all negative", "NEGATED_EXISTENCE", "BACKWARD"),
    # A semicolon joins separate statements in case summaries ("no primary found; biopsy showed
    # carcinoid"): a negation or doubt before it does not reach past it, nor one after it back.
    (";", "TERMINATE", "TERMINATE"),
    # Conjunctions that open another clause ("a carcinoid, while CDX2 and TTF-1 were negative").
    ("while", "TERMINATE", "TERMINATE"),
    ("whereas", "TERMINATE", "TERMINATE"),
    ("although", "TERMINATE", "TERMINATE"),
    # A negation inside brackets stays there: "a primary (not metastatic) spinal carcinoid".
    (")", "TERMINATE", "TERMINATE"),
    # Survival phrases say the disease is gone now, not that earlier findings were absent
    # ("treated with chemotherapy, disease-free for 4 years"); they hide the bare "free".
    *(
        (phrase, "PSEUDO", "PSEUDO")
        for phrase in (
            "disease-free", "disease free", "progression-free", "progression free",
            "recurrence-free", "recurrence free", "relapse-free", "relapse free",
            "event-free", "event free",
        )
    ),
    # Antifungal prophylaxis is a treatment given ("voriconazole prophylaxis after the
    # transplant"), not a negation (medspaCy reads "prophylaxis" as one: "DVT prophylaxis").
    *(
        (phrase, "PSEUDO", "PSEUDO")
        for phrase in (
            "voriconazole prophylaxis", "antifungal prophylaxis", "azole prophylaxis",
            "posaconazole prophylaxis", "prophylaxis with voriconazole",
            "prophylactic voriconazole",
        )
    ),
    # The patient, not a relative: "a 6-year-old child presented with ...", "born to
    # consanguineous parents" ("child" and "parents" are medspaCy's family words).
    *(
        (phrase, "PSEUDO", "PSEUDO")
        for phrase in (
            "year-old child", "month-old child", "year old child", "month old child",
            "the child", "this child", "consanguineous parents", "non-consanguineous parents",
            "nonconsanguineous parents", "unrelated parents", "healthy parents",
            "daughter of consanguineous", "son of consanguineous", "child of consanguineous",
        )
    ),
)  # fmt: skip

# ConText rules for laboratory values: whose value (a relative's) and whether it was measured
# (a conditional statement). Semicolons, "but" and "whereas" end a rule's scope.
_LAB_CONTEXT_RULES: tuple[tuple[str, str, str], ...] = (
    *(
        (word, "FAMILY", "BIDIRECTIONAL")
        for word in (
            "mother", "father", "sister", "brother", "sibling", "siblings", "son", "daughter",
            "parent", "parents", "relative", "relatives", "family", "cousin", "aunt", "uncle",
            "grandmother", "grandfather", "twin",
        )
    ),
    *((word, "HYPOTHETICAL", "FORWARD") for word in ("if", "should", "would", "unless", "whether")),
    ("in case", "HYPOTHETICAL", "FORWARD"),
    (";", "TERMINATE", "TERMINATE"),
    ("but", "TERMINATE", "TERMINATE"),
    ("whereas", "TERMINATE", "TERMINATE"),
)  # fmt: skip
_LAB_GROUP = "osteodx_lab_values"


# Label prefix of a phrase that states a finding's absence (``absent_phrases``).
_ABSENT = "absent:"
# Label prefix of a test name that speaks about a finding only when negated
# (``negative_test_phrases``: "octreoscan negative" excludes SSTR-avid bone lesions, while
# "octreoscan showed uptake in the ileum" says nothing about bone).
_IF_NEGATED = "if_negated:"


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A phrase read from a text. For a laboratory value, ``finding_id`` is ``lab:<analyte>``
    and ``lab`` holds the value (``status`` is present, family or uncertain)."""

    finding_id: str
    phrase: str
    sentence: str
    status: MentionStatus
    lab: TextLabValue | None = None
    # Read from a word that implies the finding's absence ("asymptomatic"): it yields to any
    # mention that names the finding.
    implied: bool = False


class TextReader:
    """A medspaCy pipeline built once from the knowledge base's phrases."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._targets: list[tuple[str, str]] = []
        for finding in knowledge.local_findings.values():
            self._targets.extend((phrase, finding.id) for phrase in finding.phrases)
            self._targets.extend(
                (phrase, _IF_NEGATED + finding.id) for phrase in finding.negative_test_phrases
            )
        for entry in knowledge.hpo_phrases:
            self._targets.extend((phrase, entry.id) for phrase in entry.phrases)
            self._targets.extend((phrase, _ABSENT + entry.id) for phrase in entry.absent_phrases)
        self._analytes = knowledge.labs
        self._labs: LabTextScanner | None = None
        self._nlp: Any = None
        self._lab_context: Any = None
        self._splitter: Any = None
        self._disk_cache: Path | None = None
        digest = hashlib.sha256(repr(sorted(self._targets)).encode())
        digest.update(
            repr((_EXTRA_CONTEXT_RULES, sorted(_ENDS_AT_CLAUSE), _SEROLOGY_WORDS)).encode()
        )
        digest.update(_source_of("_text.py"))
        digest.update(repr(_LAB_CONTEXT_RULES).encode())
        # The value reader's names and its code: a change to either reads texts anew.
        digest.update(repr([(a.key, a.name, a.aliases, a.unit) for a in self._analytes]).encode())
        digest.update(_source_of("_textlabs.py"))
        self._rules_digest = digest.hexdigest()[:16]

    def use_disk_cache(self, folder: Path) -> None:
        """Keep results per text on disk: loading spaCy and medspaCy takes about two seconds,
        which a repeated single-case run (the CLI) can skip. Keyed by the text and the rules."""
        self._disk_cache = folder

    def _pipeline(self) -> Any:
        if self._nlp is None:
            self._nlp = _build_pipeline(self._targets)
            self._lab_context = _build_lab_context(self._nlp)
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
        nlp = self._pipeline()
        values = self._scan_labs(text)
        mentions: list[TextMatch] = []
        labs: list[TextMatch] = []
        # ConText compares every cue with every mention of a text, so a long text is read in
        # pieces of whole sentences (no cue reaches beyond its sentence): the work then grows
        # with the text's length instead of its square.
        for offset, piece in self._pieces(text):
            doc = nlp(piece)
            sentences = _Sentences(doc)
            mentions.extend(self._mentions(doc, sentences))
            here = [v for v in values if offset <= v.start < offset + len(piece)]
            labs.extend(self._read_labs(doc, text, offset, here, sentences))
        return mentions + labs

    def _pieces(self, text: str) -> list[tuple[int, str]]:
        """``text`` as (offset, piece) pairs of whole sentences, each at most ``_PIECE_CHARS``
        long unless one sentence is longer."""
        if len(text) <= _PIECE_CHARS:
            return [(0, text)]
        if self._splitter is None:
            self._splitter = _build_splitter()
        pieces: list[tuple[int, str]] = []
        start = 0
        last_end = 0
        for sent in self._splitter(text).sents:
            if sent.start_char - start >= _PIECE_CHARS or (
                sent.end_char - start > _PIECE_CHARS and sent.start_char > start
            ):
                pieces.append((start, text[start : sent.start_char]))
                start = sent.start_char
            last_end = sent.end_char
        pieces.append((start, text[start : max(last_end, len(text))]))
        return [(o, p) for o, p in pieces if p.strip()]

    def _mentions(self, doc: Any, sentences: _Sentences) -> list[TextMatch]:
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
            finding_id = ent.label_
            implied = False
            if finding_id.startswith(_ABSENT):
                # "asymptomatic" says bone pain is absent; "not asymptomatic" says nothing clear.
                if status != "present":
                    continue
                finding_id, status = finding_id.removeprefix(_ABSENT), "negated"
                implied = True
            elif finding_id.startswith(_IF_NEGATED):
                if status != "negated":
                    continue
                finding_id = finding_id.removeprefix(_IF_NEGATED)
            sentence = sentences.quote(ent.start, ent.end)
            matches.append(TextMatch(finding_id, ent.text, sentence, status, implied=implied))
        return matches

    def _scan_labs(self, text: str) -> list[TextLabValue]:
        if not any(ch.isdigit() for ch in text):
            return []
        if self._labs is None:
            from osteodx.case._textlabs import LabTextScanner

            self._labs = LabTextScanner(self._analytes)
        return list(self._labs.scan(text))

    def _read_labs(
        self,
        doc: Any,
        text: str,
        offset: int,
        values: list[TextLabValue],
        sentences: _Sentences,
    ) -> list[TextMatch]:
        if not values:
            return []
        spans = [
            doc.char_span(v.start - offset, v.end - offset, alignment_mode="expand") for v in values
        ]
        doc.spans[_LAB_GROUP] = [span for span in spans if span is not None]
        self._lab_context(doc)
        matches: list[TextMatch] = []
        for value, span in zip(values, spans, strict=True):
            status: MentionStatus = "present"
            sentence = _window(text, value.start, value.end)
            if span is not None:
                sentence = sentences.quote(span.start, span.end)
                if span._.is_family:
                    status = "family"
                elif span._.is_hypothetical:
                    status = "uncertain"
            phrase = text[value.start : value.end]
            matches.append(TextMatch(f"lab:{value.analyte}", phrase, sentence, status, value))
        return matches


# Texts longer than this are read in pieces of whole sentences (see TextReader._read).
_PIECE_CHARS = 2_000


def _build_splitter() -> Any:
    """Tokenizer and sentence rules only: where a long text may be cut into pieces."""
    import spacy

    _register_sentence_breaks()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("osteodx_sentence_breaks")
    return nlp


# A quoted sentence is cut to this many characters around the mention: the reader sees the
# context, and a long text without full stops does not repeat itself in every mention.
QUOTE_CHARS = 300


def _window(text: str, start: int, end: int, limit: int = QUOTE_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters around [start, end), with ellipses."""
    text_start, text_end = 0, len(text)
    if text_end - text_start <= limit:
        return text.strip()
    room = max(limit - (end - start), 0)
    left = max(start - room // 2, text_start)
    right = min(left + limit, text_end)
    left = max(right - limit, text_start)
    # Cut at word boundaries.
    if left > text_start:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < text_end:
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    head = "..." if left > text_start else ""
    tail = "..." if right < text_end else ""
    return f"{head}{text[left:right].strip()}{tail}"


class _Sentences:
    """The sentences of a parsed text, found once (``Span.sent`` walks the text on every call,
    which made reading quadratic in the text's length)."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self._text: str = doc.text  # built from the tokens on every access: read it once
        self._starts: list[int] = []
        self._spans: list[tuple[int, int, int, int]] = []  # token start/end, char start/end
        for sent in doc.sents:
            self._starts.append(sent.start)
            self._spans.append((sent.start, sent.end, sent.start_char, sent.end_char))

    def quote(self, start: int, end: int) -> str:
        """The sentence holding tokens [start, end), cut to a window around them."""
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        _, _, first_char, last_char = self._spans[i]
        text = self._text[first_char:last_char]
        mention_start = self._doc[start].idx - first_char
        mention_end = self._doc[end - 1].idx + len(self._doc[end - 1].text) - first_char
        return _window(text, mention_start, mention_end)


def _source_of(module_file: str) -> bytes:
    try:
        return Path(__file__).with_name(module_file).read_bytes()
    except OSError:  # installed without sources: the package version keys the cache instead
        from importlib.metadata import version

        return version("osteodx").encode()


def _build_lab_context(nlp: Any) -> Any:
    """ConText over the laboratory-value mentions only (span group ``_LAB_GROUP``)."""
    from medspacy.context import ConText, ConTextRule

    context = ConText(
        nlp,
        name="osteodx_lab_context",
        rules=None,
        input_span_type="group",
        span_group_name=_LAB_GROUP,
    )
    context.add(
        [
            # Terminators kept to their neighbours, as in _build_pipeline (see there).
            ConTextRule(
                literal,
                category,
                direction=direction,
                max_scope=1 if direction == "TERMINATE" else None,
            )
            for literal, category, direction in _LAB_CONTEXT_RULES
        ]
    )
    return context


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
    _register_sentence_breaks()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("osteodx_sentence_breaks")
    matcher: TargetMatcher = nlp.add_pipe("medspacy_target_matcher")
    matcher.add([_target_rule(TargetRule, phrase, finding_id) for phrase, finding_id in targets])
    context: ConText = nlp.add_pipe("medspacy_context")
    # A terminator's scope is kept to its neighbours: medspaCy lets a terminator cut a scope only
    # when the terminator's scope starts or ends inside it, and a whole-sentence scope does not
    # once an earlier terminator has cut the scope (the second ";" of a sentence was ignored).
    context.add(
        [
            ConTextRule(
                literal,
                category,
                direction=direction,
                max_scope=1 if direction == "TERMINATE" else None,
                terminated_by={_CLAUSE_BREAK} if literal in _ENDS_AT_CLAUSE else None,
            )
            for literal, category, direction in _EXTRA_CONTEXT_RULES
        ]
    )
    # Clause marks: backward and one token long, so that their scope lies inside the scope of a
    # later "negative" and cuts it there. A comma ending a serology item is covered by a longer
    # PSEUDO match, which medspaCy keeps instead of the bare comma.
    context.add(
        [
            ConTextRule(",", _CLAUSE_BREAK, direction="BACKWARD", max_scope=1),
            ConTextRule("positive", _CLAUSE_BREAK, direction="BACKWARD", max_scope=1),
            ConTextRule(
                "<serology> ,",
                "PSEUDO",
                pattern=[{"LOWER": {"IN": list(_SEROLOGY_WORDS)}}, {"ORTH": ","}],
                direction="PSEUDO",
            ),
        ]
    )
    return nlp


# A token that ends a sentence although spaCy keeps its full stop inside it: a unit with a slash
# ("90 U/L.", "2.4 mmol/L.") or a unit after a number ("90 U."). The sentencizer misses these, so
# a negation ran on into the next sentence ("no fever and the ALP was 90 U/L. A rugger-jersey
# spine was seen" read the spine as absent).
_UNIT_WITH_STOP = re.compile(r"^[^\s]*[A-Za-z\u00b5][^\s]*\.$")
# Sentences longer than this many tokens (a text without full stops) are cut at a comma or
# semicolon: negation and history cues do not reach that far, and ConText's work grows with the
# square of a sentence's length.
_LONG_SENTENCE = 120


def _mark_sentence_breaks(doc: Any) -> Any:
    """Sentence starts the rule-based sentencizer misses: after a unit that carries its full
    stop, at a line break that ends a statement (``_line_break_before``), and inside very long
    sentences."""
    tokens = list(doc)
    for i in range(1, len(tokens)):
        token, before = tokens[i], tokens[i - 1]
        if token.is_space:
            continue
        unit_before = i >= 2 and (tokens[i - 2].like_num or tokens[i - 2].text == "/")
        if _UNIT_WITH_STOP.match(before.text) and ("/" in before.text or unit_before):
            if token.text[:1].isupper():
                token.is_sent_start = True
        elif _line_break_before(tokens, i):
            token.is_sent_start = True
    since = 0
    for i in range(1, len(tokens)):
        if tokens[i].is_sent_start:
            since = 0
            continue
        since += 1
        if (
            since >= _LONG_SENTENCE and tokens[i - 1].text in (",", ";")
        ) or since >= 2 * _LONG_SENTENCE:
            tokens[i].is_sent_start = True
            since = 0
    return doc


_ENDS_A_LINE = (".", "!", "?", ":", ";")
_BULLETS = ("-", "*", "•", "–")


def _line_break_before(tokens: list[Any], i: int) -> bool:
    """Whether a line break just before token ``i`` ends a statement: a blank line, a bullet,
    a line that ends with a full stop, colon or semicolon, or one that ends with a number or a
    unit (a list of results, "ALP 90 U/L" then the next finding). A hard-wrapped sentence ("The
    patient denies" / "bone pain or fractures") is kept whole, whatever its capitals."""
    token = tokens[i]
    before = tokens[i - 1]
    gap = before.text if before.is_space else before.whitespace_
    if "\n" not in gap:
        return False
    if "\n\n" in gap or "\n \n" in gap or token.text in _BULLETS:
        return True
    j = i - 1
    while j >= 0 and tokens[j].is_space:
        j -= 1
    if j < 0:
        return False
    last = tokens[j]
    if last.text.endswith(_ENDS_A_LINE):
        return True
    unit_like = "/" in last.text or (j >= 1 and tokens[j - 1].like_num and last.is_alpha)
    return bool(last.like_num or unit_like) and token.text[:1].isupper()


def _register_sentence_breaks() -> None:
    from spacy.language import Language

    if "osteodx_sentence_breaks" not in Language.factories:
        Language.component("osteodx_sentence_breaks", func=_mark_sentence_breaks)
