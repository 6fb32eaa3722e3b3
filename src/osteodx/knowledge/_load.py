"""Load and cross-check the knowledge base shipped in ``osteodx/knowledge/data``."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from osteodx.knowledge._data import DataError, load_raw, read_data_text, validate
from osteodx.knowledge._hpo import HpoIndex, cache_dir, hpo_index, read_cache, write_cache
from osteodx.knowledge._schema import (
    AGE_BANDS,
    Condition,
    FindingsFile,
    HpoPhrases,
    LabAnalyte,
    LabsFile,
    LocalFinding,
    PriorsFile,
    ScopeFile,
    TestsFile,
    UnlistedFile,
    UnlistedFrequency,
    WorkupTest,
)

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "ConditionXref",
    "Knowledge",
    "KnowledgeError",
    "load_knowledge",
    "load_knowledge_from",
]


# One error type for every shipped data file (knowledge/_data.py); the name says where it is met.
KnowledgeError = DataError


@dataclass(frozen=True, slots=True)
class ConditionXref:
    key: str
    name: str
    group: str
    orpha: tuple[str, ...]
    omim: tuple[str, ...]
    genes: str
    notes: str


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The validated knowledge base: every number with its source."""

    conditions: tuple[Condition, ...]
    xrefs: dict[str, ConditionXref]
    local_findings: dict[str, LocalFinding]
    hpo_phrases: tuple[HpoPhrases, ...]
    labs: tuple[LabAnalyte, ...]
    tests: tuple[WorkupTest, ...]
    priors: PriorsFile
    scope: ScopeFile
    unlisted: dict[str, UnlistedFrequency]
    version: str
    hpo_version: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.conditions)

    def condition(self, key: str) -> Condition:
        for c in self.conditions:
            if c.key == key:
                return c
        raise KeyError(key)

    def setting(self, name: str) -> float:
        return self.priors.settings[name].value

    def finding_label(self, finding_id: str, hpo: HpoIndex) -> str:
        if finding_id in self.local_findings:
            return self.local_findings[finding_id].label
        return hpo.name(finding_id) if finding_id in hpo else finding_id


def _data_root() -> Traversable:
    return resources.files("osteodx.knowledge").joinpath("data")


def _load(model: type[M], node: Traversable | Path, name: str) -> M:
    """One knowledge-base file as ``model``; every problem named with its path and line."""
    return validate(load_raw(node), model, name, text=read_data_text(node))


def _yaml_files(folder: Traversable | Path) -> Iterator[Traversable | Path]:
    yield from sorted(
        (f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name
    )


def _read_xrefs(root: Traversable | Path) -> dict[str, ConditionXref]:
    text = root.joinpath("conditions.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")

    def ids(cell: str | None) -> tuple[str, ...]:
        return tuple(x.strip() for x in (cell or "").split(";") if x.strip())

    return {
        row["key"]: ConditionXref(
            key=row["key"],
            name=row["name"],
            group=row["group"],
            orpha=ids(row.get("orpha")),
            omim=ids(row.get("omim")),
            genes=row.get("genes") or "",
            notes=row.get("notes") or "",
        )
        for row in rows
    }


def _check_term(
    term_id: str, label: str, where: str, hpo: HpoIndex, local: dict[str, LocalFinding]
) -> None:
    if term_id.startswith("OSX:"):
        if term_id not in local:
            raise KnowledgeError(f"{where}: local finding {term_id} is not defined in findings/")
        if local[term_id].label != label:
            raise KnowledgeError(
                f"{where}: label {label!r} differs from the definition "
                f"{local[term_id].label!r} of {term_id}"
            )
        return
    if term_id not in hpo:
        raise KnowledgeError(f"{where}: {term_id} is not an HPO term")
    if hpo.is_obsolete(term_id):
        raise KnowledgeError(f"{where}: {term_id} is obsolete in HPO {hpo.version}")
    if hpo.name(term_id) != label:
        raise KnowledgeError(
            f"{where}: label {label!r} of {term_id} should be {hpo.name(term_id)!r}"
        )


def _add_graded_findings(labs: tuple[LabAnalyte, ...], local: dict[str, LocalFinding]) -> None:
    """Define the graded lab levels of labs.yaml as local findings, each implying the one below.

    A level may reuse a finding defined in findings/ (to keep its text phrases); that definition
    must then imply the level below it.
    """
    seen: set[str] = set()
    for lab in labs:
        for i, level in enumerate(lab.graded):
            where = f"labs.yaml {lab.key} graded[{i}]"
            if level.finding in seen:
                raise KnowledgeError(f"{where}: {level.finding} is a graded level of two labs")
            seen.add(level.finding)
            parent = lab.graded_parent(i)
            implies = (parent,) if parent else ()
            existing = local.get(level.finding)
            if existing is not None:
                if existing.label != level.label:
                    raise KnowledgeError(
                        f"{where}: label {level.label!r} differs from the definition "
                        f"{existing.label!r} of {level.finding}"
                    )
                if parent and parent not in existing.implies:
                    raise KnowledgeError(
                        f"{where}: the definition of {level.finding} in findings/ must imply "
                        f"{parent}, the level below it"
                    )
                continue
            local[level.finding] = LocalFinding(
                id=level.finding,
                label=level.label,
                category="lab",
                definition=f"{lab.name} {level.describe(lab.unit)}.",
                implies=implies,
            )


def _check_graded_frequencies(
    condition: Condition, labs: tuple[LabAnalyte, ...], name: str
) -> None:
    """A condition that lists a graded level lists the level below it too, with a higher
    frequency in every age band: P(PSA > 100 | k) cannot exceed P(PSA > 20 | k)."""
    listed = {f.finding: f for f in condition.findings}
    for lab in labs:
        for i, level in enumerate(lab.graded):
            child = listed.get(level.finding)
            parent_id = lab.graded_parent(i)
            if child is None or parent_id is None:
                continue
            parent = listed.get(parent_id)
            if parent is None:
                raise KnowledgeError(
                    f"{name}: lists {level.finding} but not {parent_id}, the level below it"
                )
            for band in range(len(AGE_BANDS)):
                if child.frequency_for(band) >= parent.frequency_for(band):
                    raise KnowledgeError(
                        f"{name}: {level.finding} ({child.frequency_for(band):g}) must be rarer "
                        f"than {parent_id} ({parent.frequency_for(band):g}) in band "
                        f"{AGE_BANDS[band]}"
                    )


@cache
def load_knowledge() -> Knowledge:
    """Load, validate and cross-check the shipped knowledge base (cached for the process).

    Validation takes a few hundred milliseconds, so the validated result is also kept in the
    user cache directory, keyed by a hash of every data file and of the HPO release; any edit to
    the data (or to the code of the models) makes a new key, so a stale copy is never used.
    """
    root = _data_root()
    path = cache_dir() / f"knowledge-{_content_digest(root)}.pickle"
    cached = read_cache(path, Knowledge)
    if cached is not None:
        return cached
    knowledge = load_knowledge_from(root)
    write_cache(path, knowledge)
    return knowledge


def _content_digest(root: Traversable | Path) -> str:
    digest = hashlib.sha256(hpo_index().version.encode())
    # The code that defines and builds the pickled objects is part of the key too: after an
    # upgrade a pickle of older classes must not be loaded.
    for module in (Path(__file__), Path(__file__).with_name("_schema.py")):
        digest.update(module.read_bytes())
    files = [root.joinpath("conditions.tsv"), root.joinpath("priors.yaml")]
    for folder in ("findings", "conditions"):
        files.extend(_yaml_files(root.joinpath(folder)))
    for name in ("labs.yaml", "tests.yaml", "scope.yaml", "unlisted.yaml"):
        if root.joinpath(name).is_file():
            files.append(root.joinpath(name))
    for node in files:
        digest.update(node.name.encode())
        digest.update(node.read_bytes())
    return digest.hexdigest()[:16]


def load_knowledge_from(root: Traversable | Path) -> Knowledge:
    """Load a knowledge base from a folder laid out like ``osteodx/knowledge/data``."""
    hpo = hpo_index()
    digest = hashlib.sha256()

    xrefs = _read_xrefs(root)
    local: dict[str, LocalFinding] = {}
    phrases: list[HpoPhrases] = []
    for node in _yaml_files(root.joinpath("findings")):
        name = f"findings/{node.name}"
        digest.update(node.read_bytes())
        parsed: FindingsFile = _load(FindingsFile, node, name)
        for finding in parsed.findings:
            if finding.id in local:
                raise KnowledgeError(f"{name}: local finding {finding.id} is defined twice")
            local[finding.id] = finding
        phrases.extend(parsed.hpo_phrases)
    for finding in local.values():
        for implied in finding.implies:
            if implied not in local and implied not in hpo:
                raise KnowledgeError(f"findings: {finding.id} implies unknown {implied}")
        if (finding.answered_by or finding.not_answered_by) and finding.category not in (
            "exposure",
            "history",
        ):
            raise KnowledgeError(
                f"findings: {finding.id} has answered_by, but only an exposure or history item "
                "counts its silence; remove it or change the category"
            )
        if finding.not_answered_by and not finding.answered_by:
            raise KnowledgeError(f"findings: {finding.id} has not_answered_by without answered_by")
        for excepted in finding.not_answered_by:
            if excepted in hpo and not (
                set(finding.answered_by) & (hpo.ancestors(excepted) | {excepted})
            ):
                raise KnowledgeError(
                    f"findings: {finding.id} not_answered_by {excepted} is not below any of its "
                    "answered_by terms, so it excepts nothing"
                )
        for field in ("answered_by", "not_answered_by"):
            for answering in getattr(finding, field):
                if answering not in hpo or hpo.is_obsolete(answering):
                    raise KnowledgeError(
                        f"findings: {finding.id} {field} {answering} is not a current HPO id"
                    )
    for entry in phrases:
        _check_term(entry.id, entry.label, "findings hpo_phrases", hpo, local)
        for root_term in entry.absent_yields_to:
            if root_term not in hpo or hpo.is_obsolete(root_term):
                raise KnowledgeError(
                    f"findings hpo_phrases {entry.id}: absent_yields_to {root_term} is not a "
                    "current HPO id"
                )

    labs: tuple[LabAnalyte, ...] = ()
    labs_node = root.joinpath("labs.yaml")
    if labs_node.is_file():
        digest.update(labs_node.read_bytes())
        labs = _load(LabsFile, labs_node, "labs.yaml").labs
        for lab in labs:
            for term in (lab.high_term, lab.low_term):
                if term is not None:
                    _check_term(term.id, term.label, f"labs.yaml {lab.key}", hpo, local)
        _add_graded_findings(labs, local)

    conditions: list[Condition] = []
    for node in _yaml_files(root.joinpath("conditions")):
        name = f"conditions/{node.name}"
        digest.update(node.read_bytes())
        condition: Condition = _load(Condition, node, name)
        if node.name != f"{condition.key}.yaml":
            raise KnowledgeError(f"{name}: key {condition.key!r} does not match the file name")
        if condition.key not in xrefs:
            raise KnowledgeError(f"{name}: key {condition.key!r} is not in conditions.tsv")
        for i, f in enumerate(condition.findings):
            _check_term(f.finding, f.label, f"{name} findings[{i}]", hpo, local)
        _check_graded_frequencies(condition, labs, name)
        conditions.append(condition)
    order = list(xrefs)
    conditions.sort(key=lambda c: order.index(c.key))

    digest.update(root.joinpath("priors.yaml").read_bytes())
    priors: PriorsFile = _load(PriorsFile, root.joinpath("priors.yaml"), "priors.yaml")
    groups = {c.group for c in conditions}
    missing_groups = groups - set(priors.groups)
    if missing_groups:
        raise KnowledgeError(f"priors.yaml: groups {sorted(missing_groups)} have no prior mass")

    tests: tuple[WorkupTest, ...] = ()
    tests_node = root.joinpath("tests.yaml")
    if tests_node.is_file():
        digest.update(tests_node.read_bytes())
        tests = _load(TestsFile, tests_node, "tests.yaml").tests
        for test in tests:
            for outcome in test.outcomes:
                unknown = [k for k in outcome.given if k not in xrefs]
                if unknown:
                    raise KnowledgeError(f"tests.yaml {test.key}: unknown condition keys {unknown}")

    scope_node = root.joinpath("scope.yaml")
    digest.update(scope_node.read_bytes())
    scope: ScopeFile = _load(ScopeFile, scope_node, "scope.yaml")
    for term in scope.hpo_roots:
        _check_term(term.id, term.label, "scope.yaml", hpo, local)
    for local_id in scope.local:
        if local_id not in local:
            raise KnowledgeError(f"scope.yaml: {local_id} is not defined in findings/")

    graded_with_parent = {
        level.finding
        for lab in labs
        for i, level in enumerate(lab.graded)
        if lab.graded_parent(i) is not None
    }
    unlisted: dict[str, UnlistedFrequency] = {}
    unlisted_node = root.joinpath("unlisted.yaml")
    if unlisted_node.is_file():
        digest.update(unlisted_node.read_bytes())
        parsed_unlisted: UnlistedFile = _load(UnlistedFile, unlisted_node, "unlisted.yaml")
        for i, item in enumerate(parsed_unlisted.unlisted):
            _check_term(item.finding, item.label, f"unlisted.yaml unlisted[{i}]", hpo, local)
            if item.finding in unlisted:
                raise KnowledgeError(f"unlisted.yaml: {item.finding} is listed twice")
            if item.finding in graded_with_parent:
                raise KnowledgeError(
                    f"unlisted.yaml: {item.finding} is a graded lab level; its background is "
                    "'unlisted_given_parent' in labs.yaml"
                )
            unlisted[item.finding] = item

    return Knowledge(
        conditions=tuple(conditions),
        xrefs=xrefs,
        local_findings=local,
        hpo_phrases=tuple(phrases),
        labs=labs,
        tests=tests,
        priors=priors,
        scope=scope,
        unlisted=unlisted,
        version=digest.hexdigest()[:12],
        hpo_version=hpo.version,
    )
