"""The sourced knowledge base: loading, validation and compilation into arrays."""

from osteodx.knowledge._data import DataError
from osteodx.knowledge._hpo import HpoIndex, cache_dir, hpo_index
from osteodx.knowledge._load import (
    ConditionXref,
    Knowledge,
    KnowledgeError,
    load_knowledge,
    load_knowledge_from,
)
from osteodx.knowledge._vocabulary import calibration, vocabulary

__all__ = [
    "ConditionXref",
    "DataError",
    "HpoIndex",
    "Knowledge",
    "KnowledgeError",
    "cache_dir",
    "calibration",
    "hpo_index",
    "load_knowledge",
    "load_knowledge_from",
    "vocabulary",
]
