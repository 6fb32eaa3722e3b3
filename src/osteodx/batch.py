"""Batch ranking: many cases in, one JSON record per case out, in input order, flat memory.

The unit of work is a partition of raw records (bytes of one JSON document each, or already
parsed documents); :func:`rank_partition` is a pure, picklable function of that partition, so
the same code runs in this process, in local worker processes (:func:`rank_stream`) or on a
cluster (Dask ``map_partitions``, Spark ``mapPartitions``). The knowledge base is loaded once
per process on first use.
"""

from __future__ import annotations

import gzip
import multiprocessing
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from osteodx._api import ranking_line
from osteodx.case import CaseInputError, parse_document, read_case

__all__ = [
    "Record",
    "expand_paths",
    "iter_records",
    "rank_partition",
    "rank_record",
    "rank_stream",
]

# One input: (where it came from, raw JSON bytes | a Path to a case file | the OSError met
# opening it).
Record = tuple[str, bytes | Path | OSError]

CASE_SUFFIXES = (".json", ".yaml", ".yml")
STREAM_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


def _error(case_id: str, loc: str, message: str, fix: str) -> dict[str, Any]:
    return {"case_id": case_id, "error": f"{loc}: {message}; {fix}"}


def _refusal(exc: CaseInputError, case_id: str) -> dict[str, Any]:
    first = (exc.errors or exc.issues)[0]
    return _error(case_id, first.loc, first.message, first.fix)


def rank_record(record: Record) -> dict[str, Any]:
    """Rank one record; a bad record gives an error record, never an exception."""
    where, payload = record
    if isinstance(payload, OSError):
        return _error(where, "(file)", f"cannot be read ({payload.strerror})", "check the path")
    if isinstance(payload, Path):
        try:
            return ranking_line(read_case(payload))
        except CaseInputError as exc:
            return _refusal(exc, payload.stem)
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return _error(where, "(line)", f"malformed JSON ({exc})", "fix the JSON on that line")
    try:
        return ranking_line(parse_document(data, where))
    except CaseInputError as exc:
        case_id = data.get("id") if isinstance(data, dict) else None
        return _refusal(exc, case_id if isinstance(case_id, str) and case_id else where)


def rank_partition(records: Iterable[Record]) -> list[bytes]:
    """Rank a partition of records; returns one serialised JSON line (bytes, no newline) each."""
    return [orjson.dumps(rank_record(r)) for r in records]


def _open_stream(source: str) -> BinaryIO:
    if source == "-":
        return sys.stdin.buffer
    if source.lower().endswith(".gz"):
        return gzip.open(source, "rb")  # type: ignore[return-value]
    return open(source, "rb")


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; folders expanded (recursively, sorted) to their case and stream files."""
    for raw in paths:
        p = Path(raw)
        if raw != "-" and p.is_dir():
            for child in sorted(p.rglob("*")):
                name = child.name.lower()
                if child.is_file() and name.endswith(CASE_SUFFIXES + STREAM_SUFFIXES):
                    yield str(child)
        else:
            yield raw


def iter_records(paths: Iterable[str]) -> Iterator[Record]:
    """Every case of the inputs, lazily: JSON Lines streams line by line, other files whole."""
    for source in expand_paths(paths):
        if source == "-" or source.lower().endswith(STREAM_SUFFIXES):
            try:
                stream = _open_stream(source)
            except OSError as exc:
                yield source, exc
                continue
            with stream:
                for n, line in enumerate(stream, start=1):
                    if line.strip():
                        yield f"{source}:{n}", line
        else:
            yield source, Path(source)


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _warm_worker() -> None:
    from osteodx.differential import compiled_kb

    compiled_kb()


def rank_stream(
    records: Iterable[Record], workers: int = 1, chunk_size: int = 256
) -> Iterator[bytes]:
    """Ranked lines in input order. With ``workers > 1`` the chunks go to worker processes;
    at most ``4 x workers`` chunks are in flight, so memory stays flat however long the input."""
    if workers <= 1:
        for chunk in _chunks(records, chunk_size):
            yield from rank_partition(chunk)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    in_flight: deque[Future[list[bytes]]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_worker) as pool:
        for chunk in _chunks(records, chunk_size):
            in_flight.append(pool.submit(rank_partition, chunk))
            if len(in_flight) >= 4 * workers:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
