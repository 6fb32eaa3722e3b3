"""The phenopacket-store corpus (10,580 files other people's tooling wrote): every file is read or
refused with a one-line reason, and the scope flag separates sclerotic cases from the rest."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest

from osteodx.batch import rank_record
from osteodx.knowledge import hpo_index

STORE = Path(__file__).parents[2] / "shared" / "data" / "phenopacket-store" / "all_phenopackets.zip"
IBMD = "HP:0011001"

pytestmark = pytest.mark.skipif(
    not STORE.is_file(), reason="phenopacket-store corpus not beside the repo"
)


def _has_dense_bone_term(document: dict, hpo) -> bool:
    for feature in document.get("phenotypicFeatures") or []:
        if feature.get("excluded"):
            continue
        term = (feature.get("type") or {}).get("id", "")
        if term in hpo and hpo.is_obsolete(term):
            term = hpo.replacement(term) or term
        if term in hpo and (term == IBMD or IBMD in hpo.ancestors(term)):
            return True
    return False


def test_every_corpus_file_is_read_or_refused_and_scope_is_flagged() -> None:
    hpo = hpo_index()
    with zipfile.ZipFile(STORE) as zf:
        names = [n for n in zf.namelist() if n.endswith(".json")]
        counts = {"with": [0, 0], "without": [0, 0]}
        refused = 0
        for name in names:
            raw = zf.read(name)
            record = rank_record((name, raw))
            if "error" in record:
                refused += 1
                reason = record["error"]
                assert "\n" not in reason and ": " in reason and "; " in reason, reason
                continue
            assert len(record["ranking"]) == 33
            group = "with" if _has_dense_bone_term(orjson.loads(raw), hpo) else "without"
            counts[group][0] += 1
            counts[group][1] += int(record["in_scope"])
    assert len(names) == 10580
    assert refused < 0.02 * len(names)
    with_n, with_in = counts["with"]
    without_n, without_in = counts["without"]
    assert with_n >= 30 and with_in / with_n >= 0.95
    assert (without_n - without_in) / without_n >= 0.98
