"""Batch ranking: the array path gives the single-case API's lines, in input order, streaming."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import orjson
import pytest

from osteodx.batch import (
    Counts,
    rank_lines,
    rank_partition,
    rank_record,
    rank_stream,
)

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
STORE = SHARED / "data" / "phenopacket-store" / "all_phenopackets.zip"
DEV_CASES = SHARED / "benchmark" / "osteosclerosis-dev" / "cases"


def _store_sample(every: int = 40) -> list[bytes]:
    """Every 40th corpus file (265 phenopackets written by other tools, 719 gene cohorts)."""
    if not STORE.is_file():
        return []
    with zipfile.ZipFile(STORE) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".json"))
        return [orjson.dumps(orjson.loads(zf.read(n))) for n in names[::every]]


def _real_lines() -> list[bytes]:
    lines = [orjson.dumps(orjson.loads(p.read_bytes())) for p in sorted(EXAMPLES.glob("*.json"))]
    lines += [orjson.dumps(orjson.loads(p.read_bytes())) for p in sorted(DEV_CASES.glob("*.json"))]
    return lines + _store_sample()


def _single_path(lines: list[bytes], source: str) -> list[bytes]:
    out = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            out.append(orjson.dumps(rank_record((f"{source}:{n}", line))))
    return out


@pytest.mark.skipif(
    not DEV_CASES.is_dir(), reason="needs ../shared (the development cases) beside the repository"
)
def test_batch_lines_equal_the_single_case_lines_on_real_phenopackets() -> None:
    lines = _real_lines()
    assert len(lines) >= 25
    batch, counts = rank_lines(lines, "sample.jsonl")
    single = _single_path(lines, "sample.jsonl")
    assert batch == single  # byte for byte: same probabilities, same order, same scope flag
    assert counts.total == len(lines)
    assert counts.read >= 0.9 * len(lines)
    assert counts.out_of_scope < counts.read  # the sample holds in-scope cases too


def test_refused_and_malformed_lines_keep_their_place_and_number() -> None:
    good = (EXAMPLES / "founding-case.json").read_bytes().replace(b"\n", b"")
    unknown = {"id": "bad-term", "phenotypicFeatures": [{"type": {"id": "HP:99"}}]}
    unknown_term = orjson.dumps(unknown)
    lines = [good, b"", b"{not json", orjson.dumps({"id": 7, "subject": {"sex": "alien"}}), good]
    lines.insert(4, unknown_term)
    batch, counts = rank_lines(lines, "in.jsonl")
    assert batch == _single_path(lines, "in.jsonl")
    records = [orjson.loads(b) for b in batch]
    assert [r["case_id"] for r in records] == [
        "founding-case",
        "in.jsonl:3",
        "in.jsonl:4",
        "bad-term",
        "founding-case",
    ]
    assert "malformed JSON" in records[1]["error"]
    assert records[2]["error"].startswith("id: ")
    assert records[3]["error"].startswith("phenotypicFeatures[0].type.id: 'HP:99'")
    assert counts == Counts(read=2, refused=3, out_of_scope=0)


def _write_jsonl(path: Path, lines: list[bytes]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as fh:
        for line in lines:
            fh.write(line + b"\n")


def _retagged(lines: list[bytes], copies: int) -> list[bytes]:
    out = []
    for i in range(copies):
        for j, line in enumerate(lines):
            doc = orjson.loads(line)
            doc["id"] = f"c{i}-{j}"
            out.append(orjson.dumps(doc))
    return out


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_worker_processes_keep_input_order_and_match_one_process(
    tmp_path: Path, suffix: str
) -> None:
    sample = _real_lines()[:40]
    # At least 40 lines, also when only the bundled examples are there (no ../shared).
    lines = _retagged(sample, max(5, -(-40 // len(sample))))
    path = tmp_path / f"cases{suffix}"
    _write_jsonl(path, lines)
    # Small chunks, so that many are in flight and could finish out of order.
    parallel = list(rank_stream([str(path)], workers=2, chunk_bytes=8_000))
    serial = list(rank_stream([str(path)], workers=1, chunk_bytes=1 << 20))
    assert len(parallel) > 8
    out = b"".join(block for block, _ in parallel)
    assert out == b"".join(block for block, _ in serial)
    ids = [orjson.loads(x)["case_id"] for x in out.splitlines()]
    assert ids == [orjson.loads(x)["id"] for x in lines]
    total = sum((c for _, c in parallel), Counts())
    assert total.total == len(lines)


def test_case_files_and_streams_mix_in_the_order_given(tmp_path: Path) -> None:
    stream = tmp_path / "more.jsonl"
    _write_jsonl(stream, _retagged(_real_lines()[:3], 1))
    out = b"".join(
        b for b, _ in rank_stream([str(EXAMPLES / "founding-case.yaml"), str(stream)], workers=1)
    )
    ids = [orjson.loads(x)["case_id"] for x in out.splitlines()]
    assert ids[0] == "founding-case"
    assert ids[1:] == ["c0-0", "c0-1", "c0-2"]
    single = orjson.dumps(rank_record(("x", EXAMPLES / "founding-case.yaml")))
    assert out.splitlines()[0] == single


def test_a_missing_input_file_is_one_refused_line(tmp_path: Path) -> None:
    out = list(rank_stream([str(tmp_path / "absent.jsonl")], workers=1))
    assert len(out) == 1
    record = orjson.loads(out[0][0])
    assert "cannot be read" in record["error"]
    assert out[0][1] == Counts(refused=1)


def test_rank_partition_is_picklable_and_gives_the_same_lines_for_any_record_shape() -> None:
    lines = _real_lines()[:6]
    again = pickle.loads(pickle.dumps(rank_partition))
    as_bytes = again(lines, "p")
    as_text = rank_partition([line.decode() for line in lines], "p")
    as_docs = rank_partition([orjson.loads(line) for line in lines], "p")
    as_records = rank_partition([(f"p:{n}", line) for n, line in enumerate(lines, start=1)])
    expected = [line.decode() for line in rank_lines(lines, "p")[0]]
    assert as_bytes == as_text == as_docs == as_records == expected
    assert rank_partition(lines, "p") == expected  # pure: the same again


def test_a_json_line_with_a_key_given_twice_is_refused_naming_the_key() -> None:
    from osteodx.batch import rank_record

    line = b'{"id": "a", "age": 62, "sex": "male", "age": 3, "findings": ["HP:0005789"]}'
    out = rank_record(("cohort.jsonl:1", line))
    assert "error" in out and "'age' appears twice" in out["error"]


def test_a_ranking_line_carries_what_was_not_read() -> None:
    line = orjson.dumps(
        {"id": "w", "age": 50, "sex": "male", "findings": ["HP:0011001", "HP:9999999"]}
    )
    batch, counts = rank_lines([line], "in.jsonl")
    assert batch == _single_path([line], "in.jsonl")
    (record,) = [orjson.loads(b) for b in batch]
    assert any("HP:9999999" in w for w in record["warnings"])
    assert counts == Counts(read=1, refused=0, out_of_scope=0)
