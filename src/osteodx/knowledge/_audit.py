"""Every claim of the shipped data, for review: a seeded sample with quotes and citations
(``osteodx knowledge audit``) and counts by evidence kind and citation form (``osteodx knowledge
report``, docs/knowledge-report.md).

A claim is a mapping in a shipped YAML file that carries a number's provenance: an ``evidence``
record (count, statement or judgement: the frequencies and probabilities of the differential) or
a reference fact's ``source`` / ``estimate`` (thresholds, definitions, codes, score points).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from osteodx._yaml import load_shipped_yaml
from osteodx.knowledge._evidence import FREQUENCY_SCALE, citation_form

__all__ = ["Claim", "FileTally", "all_claims", "audit_sample", "report_markdown", "tally"]

# Shipped data folders, relative to the osteodx package.
_DATA_DIRS = ("knowledge/data", "nen/data", "bone/scores", "bone/data", "literature/data")
_VALUE_KEYS = ("frequency", "p", "value", "points", "weights")


@dataclass(frozen=True, slots=True)
class Claim:
    file: str
    path: str
    kind: str  # count | statement | judgement | reference
    value: str
    citation: str | None
    quote: str | None
    detail: str
    is_finding_frequency: bool
    adjusted: bool = False  # the number differs from the source's own figure (a conversion)


def _files() -> Iterator[tuple[str, Traversable]]:
    root = resources.files("osteodx")
    for folder in _DATA_DIRS:
        base = root.joinpath(*folder.split("/"))
        if not base.is_dir():
            continue
        stack = [(folder, base)]
        while stack:
            name, node = stack.pop()
            for child in sorted(node.iterdir(), key=lambda c: c.name):
                if child.is_dir():
                    stack.append((f"{name}/{child.name}", child))
                elif child.name.endswith(".yaml") and child.name != "citation_policy.yaml":
                    yield f"{name}/{child.name}", child


def _value(node: dict[str, Any]) -> str:
    for key in _VALUE_KEYS:
        if key in node and not isinstance(node[key], dict | list):
            return f"{key} {node[key]}"
    return ""


def _walk(file: str, node: Any, path: str) -> Iterator[Claim]:
    if isinstance(node, dict):
        label = node.get("label") or node.get("finding") or node.get("id") or node.get("name")
        where = f"{path} ({label})" if isinstance(label, str) else path
        evidence = node.get("evidence")
        if isinstance(evidence, dict) and "kind" in evidence:
            yield Claim(
                file,
                where,
                str(evidence["kind"]),
                _value(node),
                evidence.get("citation"),
                evidence.get("quote"),
                str(
                    evidence.get("reasoning")
                    or evidence.get("population")
                    or evidence.get("scale")
                    or ""
                ),
                "finding" in node and "frequency" in node,
                _adjusted(node, evidence),
            )
        elif "source" in node or node.get("estimate"):
            yield Claim(
                file,
                where,
                "judgement" if node.get("estimate") else "reference",
                _value(node),
                node.get("source"),
                None,
                str(node.get("basis") or node.get("text") or node.get("statement") or ""),
                False,
            )
        for key, value in node.items():
            if key != "evidence":
                yield from _walk(file, value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(file, value, f"{path}[{i}]")


def _adjusted(node: dict[str, Any], evidence: dict[str, Any]) -> bool:
    """Whether a finding frequency differs from what its count or statement gives."""
    value = node.get("frequency")
    if not isinstance(value, int | float):
        return False
    if evidence.get("kind") == "count" and evidence.get("n"):
        own = min(max(float(evidence["k"]) / float(evidence["n"]), 0.01), 0.99)
        return bool(abs(value - own) > 0.011)
    if evidence.get("kind") == "statement" and evidence.get("scale") in FREQUENCY_SCALE:
        return not FREQUENCY_SCALE[evidence["scale"]].admits(value)
    return False


def all_claims() -> list[Claim]:
    """Every claim of every shipped data file, in file order."""
    out: list[Claim] = []
    for name, file in _files():
        out.extend(_walk(name, load_shipped_yaml(file.read_text("utf-8")), ""))
    return out


def audit_sample(n: int, seed: int) -> list[Claim]:
    """``n`` claims drawn at random (reproducible with ``seed``) from every claim that cites a
    source: what a reviewer checks against the cited paper."""
    cited = [c for c in all_claims() if c.citation]
    return random.Random(seed).sample(cited, min(n, len(cited)))


@dataclass
class FileTally:
    kinds: Counter[str] = field(default_factory=Counter)
    forms: Counter[str] = field(default_factory=Counter)
    frequencies: int = 0
    frequencies_backed: int = 0
    frequencies_adjusted: int = 0


def tally(claims: list[Claim]) -> dict[str, FileTally]:
    """Counts per file: evidence kinds, citation forms (per citation part) and finding
    frequencies backed by a count or a statement."""
    out: dict[str, FileTally] = {}
    for c in claims:
        t = out.setdefault(c.file, FileTally())
        t.kinds[c.kind] += 1
        for part in (c.citation or "").split(";"):
            if part.strip():
                t.forms[citation_form(part.strip().split()[0])] += 1
        if c.is_finding_frequency:
            t.frequencies += 1
            t.frequencies_backed += c.kind in ("count", "statement")
            t.frequencies_adjusted += c.kind in ("count", "statement") and c.adjusted
    return out


_KINDS = ("count", "statement", "judgement", "reference")
_FORMS = ("pmid", "pmc", "doi", "reference", "laboratory", "other_url", "project", "denied")


def report_markdown() -> str:
    """The knowledge report (docs/knowledge-report.md): claims by evidence kind and citation form,
    per file and in all."""
    tallies = tally(all_claims())
    total = FileTally()
    for t in tallies.values():
        total.kinds.update(t.kinds)
        total.forms.update(t.forms)
        total.frequencies += t.frequencies
        total.frequencies_backed += t.frequencies_backed
        total.frequencies_adjusted += t.frequencies_adjusted
    share = total.frequencies_backed / total.frequencies if total.frequencies else 0.0
    lines = [
        "# Knowledge report",
        "",
        "Generated by `osteodx knowledge report` (a test keeps this file equal to its output).",
        "Evidence kinds: `count` (k of n in a stated population, quoted), `statement` (a quoted",
        "qualitative frequency mapped to an HPO frequency term), `judgement` (our reasoning) and,",
        "for thresholds, definitions, codes and score points, `reference` (a reference fact with",
        "its source). Citation forms count each cited part; `other_url` is a page that is neither",
        "a paper identifier nor an official reference host.",
        "",
        f"Finding frequencies backed by a count or a statement: {total.frequencies_backed} of "
        f"{total.frequencies} ({share:.0%}); {total.frequencies_adjusted} of them differ from "
        "the source's own figure by a stated conversion (another population, a bound, a "
        "combination), the others are the source's figure.",
        "",
        "| file | " + " | ".join(_KINDS) + " | " + " | ".join(_FORMS) + " | frequencies backed |",
        "|---|" + "---:|" * (len(_KINDS) + len(_FORMS) + 1),
    ]

    def row(name: str, t: FileTally) -> str:
        backed = f"{t.frequencies_backed}/{t.frequencies}" if t.frequencies else ""
        cells = [str(t.kinds[k]) for k in _KINDS] + [str(t.forms[f]) for f in _FORMS]
        return f"| {name} | " + " | ".join(cells) + f" | {backed} |"

    lines += [row(name, tallies[name]) for name in sorted(tallies)]
    lines.append(row("**all**", total))
    return "\n".join(lines) + "\n"
