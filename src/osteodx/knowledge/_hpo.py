"""A compact, read-only index of the Human Phenotype Ontology.

The ontology ships inside the ``hpo3`` package (imported as ``pyhpo``); nothing is downloaded.
Building ``pyhpo.Ontology()`` takes about a second, so the few facts osteodx needs (names, parents,
obsolete replacements) are extracted once and kept in a pickle in the user cache directory, keyed by
the hpo3 version. Later processes load that pickle in a few tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TypeVar

__all__ = ["HpoIndex", "cache_dir", "hpo_index", "read_cache", "write_cache"]

T = TypeVar("T")

_CACHE_FORMAT = 2


@dataclass(slots=True)
class HpoIndex:
    """Term names, parents and replacements of one HPO release."""

    version: str
    names: dict[str, str]
    parents: dict[str, tuple[str, ...]]
    obsolete: frozenset[str]
    replaced_by: dict[str, str]
    _by_label: dict[str, str] = field(default_factory=dict, repr=False)
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _children: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._by_label:
            for term_id, name in self.names.items():
                if term_id not in self.obsolete:
                    self._by_label.setdefault(name.casefold(), term_id)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self.names

    def name(self, term_id: str) -> str:
        return self.names[term_id]

    def is_obsolete(self, term_id: str) -> bool:
        return term_id in self.obsolete

    def replacement(self, term_id: str) -> str | None:
        """The current term that replaces an obsolete one, if the HPO names one."""
        return self.replaced_by.get(term_id)

    def by_label(self, label: str) -> str | None:
        """The id of the current term with exactly this label (case-insensitive)."""
        return self._by_label.get(label.strip().casefold())

    def ancestors(self, term_id: str) -> frozenset[str]:
        """All proper ancestors of a term (not the term itself)."""
        cached = self._ancestors.get(term_id)
        if cached is not None:
            return cached
        result: set[str] = set()
        stack = list(self.parents.get(term_id, ()))
        while stack:
            parent = stack.pop()
            if parent not in result:
                result.add(parent)
                stack.extend(self.parents.get(parent, ()))
        frozen = frozenset(result)
        self._ancestors[term_id] = frozen
        return frozen

    def child_count(self, term_id: str) -> int:
        """Number of direct, current children of a term."""
        if not self._children:
            counts: dict[str, int] = {}
            for child, parents in self.parents.items():
                if child in self.obsolete:
                    continue
                for parent in parents:
                    counts[parent] = counts.get(parent, 0) + 1
            self._children.update(counts)
        return self._children.get(term_id, 0)

    def is_descendant_or_self(self, term_id: str, ancestor: str) -> bool:
        return term_id == ancestor or ancestor in self.ancestors(term_id)

    def search(self, text: str, limit: int = 20) -> list[tuple[str, str]]:
        """Current terms whose label contains every word of ``text``; shortest labels first."""
        words = text.casefold().split()
        if not words:
            return []
        hits = [
            (term_id, name)
            for term_id, name in self.names.items()
            if term_id not in self.obsolete and all(w in name.casefold() for w in words)
        ]
        hits.sort(key=lambda hit: (len(hit[1]), hit[0]))
        return hits[:limit]


def _hpo3_version() -> str:
    try:
        return metadata.version("hpo3")
    except metadata.PackageNotFoundError:  # pragma: no cover - hpo3 is a hard dependency
        return "unknown"


def cache_dir() -> Path:
    """Where derived, rebuildable data is cached (``OSTEODX_CACHE_DIR`` overrides)."""
    override = os.environ.get("OSTEODX_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "osteodx"


def read_cache(path: Path, kind: type[T]) -> T | None:
    """The pickled value at ``path`` if it is there, readable and of ``kind``; else None."""
    try:
        with path.open("rb") as fh:
            loaded = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ImportError):
        return None
    return loaded if isinstance(loaded, kind) else None


def write_cache(path: Path, value: object) -> None:
    """Pickle ``value`` atomically; a read-only cache directory is silently skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed, so concurrent readers never see half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            pickle.dump(value, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
    except OSError:
        pass


def _build_from_hpo3() -> HpoIndex:
    from pyhpo import Ontology

    Ontology()  # builds the process-wide ontology shipped in the package
    ontology = Ontology
    names: dict[str, str] = {}
    parents: dict[str, tuple[str, ...]] = {}
    obsolete: set[str] = set()
    replaced_by: dict[str, str] = {}
    for term in ontology:
        names[term.id] = term.name
        parents[term.id] = tuple(p.id for p in term.parents)
        if term.is_obsolete:
            obsolete.add(term.id)
            if term.replaced_by:
                replaced_by[term.id] = str(term.replaced_by)
    version = str(ontology.version())
    return HpoIndex(version, names, parents, frozenset(obsolete), replaced_by)


@cache
def hpo_index() -> HpoIndex:
    """The process-wide HPO index, from the cache when it matches the installed hpo3."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    key = f"hpo3-{_hpo3_version()}-v{_CACHE_FORMAT}-{code}.pickle"
    path = cache_dir() / key
    cached = read_cache(path, HpoIndex)
    if cached is not None:
        return cached
    index = _build_from_hpo3()
    write_cache(path, index)
    return index
