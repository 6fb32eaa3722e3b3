"""Shared fixtures: a tiny made-up knowledge base for engine math, and the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from osteodx.case import ReadingContext
from osteodx.case._text import TextReader
from osteodx.case._units import LabRegistry
from osteodx.differential import CompiledKB
from osteodx.knowledge import Knowledge, hpo_index, load_knowledge_from

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_kb() -> Knowledge:
    return load_knowledge_from(FIXTURES / "kb")


@pytest.fixture(scope="session")
def tiny_ctx(tiny_kb: Knowledge) -> ReadingContext:
    return ReadingContext(tiny_kb, hpo_index(), LabRegistry(tiny_kb.labs), TextReader(tiny_kb))


@pytest.fixture(scope="session")
def tiny_compiled(tiny_kb: Knowledge) -> CompiledKB:
    return CompiledKB(tiny_kb, hpo_index())
