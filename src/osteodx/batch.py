"""Batch ranking: many cases in, one JSON record per case out, in input order, flat memory.

Two paths give the same lines (a test holds them together):

- :func:`rank_record` ranks one record through :func:`osteodx.ranking_line`, the single-case API.
- The batch path reads a chunk of records into cases, scores them together with arrays
  (:class:`BatchScorer`: the same cached per-term log-likelihood vectors as
  :func:`osteodx.differential.score`, gathered into one matrix per chunk and summed in the same
  order) and serialises the lines with orjson. :func:`rank_stream` runs it in worker processes
  over files, folders, JSON Lines files (``.jsonl``, ``.jsonl.gz``) and stdin, with at most
  ``4 x workers`` chunks in flight, so memory stays flat however long the input.

:func:`rank_partition` is a pure, picklable function of a partition of records (JSON lines,
``(where, payload)`` records or already parsed documents), so the same code runs on a cluster
(Dask ``map_partitions``, Spark ``mapPartitions``). The knowledge base, the HPO index and the
reading context are loaded once per process (module-level caches) on first use.
"""

from __future__ import annotations

import gc
import gzip
import importlib
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
from numpy.typing import NDArray

from osteodx._api import ranking_line, reading_warnings
from osteodx.case import Case, CaseInputError, ReadingContext, default_context, parse_document
from osteodx.case import read_case as _read_case
from osteodx.case._read import DuplicateKeyError, refuse_duplicate_keys
from osteodx.case._text import TextMatch, TextReader
from osteodx.differential import CompiledKB, compiled_kb, posterior, score
from osteodx.differential._compiled import age_band_index
from osteodx.knowledge._schema import SEXES

__all__ = [
    "BatchScorer",
    "Counts",
    "Record",
    "expand_paths",
    "iter_records",
    "rank_lines",
    "rank_partition",
    "rank_record",
    "rank_stream",
    "round6",
]

# One input: (where it came from, raw JSON bytes | a Path to a case file | the OSError met
# opening it).
Record = tuple[str, bytes | Path | OSError]

CASE_SUFFIXES = (".json", ".yaml", ".yml")
STREAM_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
CHUNK_BYTES = 1 << 20  # JSON Lines are cut into chunks of about 1 MB
CHUNK_FILES = 64  # case files per chunk


@dataclass(frozen=True, slots=True)
class Counts:
    """How many records were read (ranked), refused, and ranked but out of scope."""

    read: int = 0
    refused: int = 0
    out_of_scope: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.read + other.read,
            self.refused + other.refused,
            self.out_of_scope + other.out_of_scope,
        )

    @property
    def total(self) -> int:
        return self.read + self.refused


# --- one record at a time (the reference path) -------------------------------------------------
def _error(case_id: str, loc: str, message: str, fix: str) -> dict[str, Any]:
    return {"case_id": case_id, "error": f"{loc}: {message}; {fix}"}


def _refusal(exc: CaseInputError, case_id: str) -> dict[str, Any]:
    first = (exc.errors or exc.issues)[0]
    return _error(case_id, first.loc, first.message, first.fix)


def _unexpected(exc: Exception, case_id: str) -> dict[str, Any]:
    """A reader failure no check foresaw: one refused line instead of a stopped run."""
    message = f"could not be read ({type(exc).__name__}: {exc})"[:300].replace("\n", " ")
    return _error(case_id, "(document)", message, "check the document; report this to osteodx")


def _id_of(data: object, where: str) -> str:
    case_id = data.get("id") if isinstance(data, dict) else None
    return case_id if isinstance(case_id, str) and case_id else where


_ONE_VALUE = "keep one value per key (a repeated key would silently replace the first)"


def _loads(payload: bytes | str) -> Any:
    """One JSON record; a key given twice in one object is refused (the last would win)."""
    return json.loads(payload, object_pairs_hook=refuse_duplicate_keys)


def rank_record(record: Record) -> dict[str, Any]:
    """Rank one record; a bad record gives an error record, never an exception."""
    where, payload = record
    if isinstance(payload, OSError):
        return _error(where, "(file)", f"cannot be read ({payload.strerror})", "check the path")
    if isinstance(payload, Path):
        try:
            return ranking_line(_read_case(payload))
        except CaseInputError as exc:
            return _refusal(exc, payload.stem)
    try:
        data = _loads(payload)
    except DuplicateKeyError as exc:
        return _error(where, f"key {exc.key!r}", str(exc.msg), _ONE_VALUE)
    except (orjson.JSONDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return _error(where, "(line)", f"malformed JSON ({exc})", "fix the JSON on that line")
    try:
        return ranking_line(parse_document(data, where))
    except CaseInputError as exc:
        return _refusal(exc, _id_of(data, where))


# --- the batch path ----------------------------------------------------------------------------
class _MemoText(TextReader):
    """The shared text reader with results kept per text in this process.

    Disease and treatment labels repeat across a cohort ("Hepatitis C", a syndrome's name), and
    reading one with medspaCy costs about half a millisecond. Bounded: cleared when full."""

    LIMIT = 50_000

    def __init__(self, inner: TextReader) -> None:  # wraps ``inner``; no super().__init__
        self._inner = inner
        self._memo: dict[str, list[TextMatch]] = {}

    def read(self, text: str) -> list[TextMatch]:
        hit = self._memo.get(text)
        if hit is None:
            if len(self._memo) >= self.LIMIT:
                self._memo.clear()
            hit = self._memo[text] = self._inner.read(text)
        return list(hit)


@cache
def _context() -> ReadingContext:
    ctx = default_context()
    return ReadingContext(ctx.knowledge, ctx.hpo, ctx.labs, _MemoText(ctx.text), ctx.strict)


class BatchScorer:
    """Posterior probabilities of many cases at once, equal to :func:`ranking_line`'s.

    Every distinct (term, present, age band) and (silence finding, age band) gets a row in one
    table of log-likelihood vectors, taken from :meth:`CompiledKB.evidence` and
    :meth:`CompiledKB.silence` (the vectors :func:`score` sums). A chunk of cases becomes a
    matrix of row indices; the rows are gathered and summed column by column in the order
    :func:`score` adds them, so the sums are bit for bit the same. Which silence findings a case
    leaves unmentioned is the intersection over its findings of ``kb.unmentioned`` of that one
    finding (the rule is a union over terms), kept per (term, present) as a bit mask.
    """

    def __init__(self, kb: CompiledKB) -> None:
        self.kb = kb
        self._rows: dict[tuple[str, bool, int], int] = {}
        self._table = np.zeros((256, kb.K))  # row 0 stays zero: padding
        self._n = 1
        self._silence = kb.silence_findings
        self._all = (1 << len(self._silence)) - 1
        self._spoken: dict[tuple[str, bool], int] = {}
        self._in_scope: dict[str, bool] = {}
        self._silence_rows: dict[tuple[int, int], list[int]] = {}

    def _add(self, key: tuple[str, bool, int], log_probability: NDArray[np.float64]) -> int:
        if self._n == len(self._table):
            self._table = np.concatenate([self._table, np.zeros_like(self._table)])
        row = self._rows[key] = self._n
        self._table[row] = log_probability
        self._n += 1
        return row

    def _row(self, term: str, present: bool, band: int) -> int:
        row = self._rows.get((term, present, band))
        if row is None:
            evidence = self.kb.evidence(term, present, band)
            row = self._add((term, present, band), evidence.log_probability)
        return row

    def _silence_row(self, finding_id: str, band: int) -> int:
        key = (f"silence:{finding_id}", True, band)
        row = self._rows.get(key)
        if row is None:
            row = self._add(key, self.kb.silence(finding_id, band).log_probability)
        return row

    def _unmentioned_mask(self, term: str, present: bool) -> int:
        mask = self._spoken.get((term, present))
        if mask is None:
            left = set(self.kb.unmentioned({term}, (term,) if present else ()))
            mask = sum(1 << i for i, s in enumerate(self._silence) if s in left)
            self._spoken[(term, present)] = mask
        return mask

    def _silence_rows_for(self, mask: int, band: int) -> list[int]:
        rows = self._silence_rows.get((mask, band))
        if rows is None:
            rows = [
                self._silence_row(s, band) for i, s in enumerate(self._silence) if mask >> i & 1
            ]
            self._silence_rows[(mask, band)] = rows
        return rows

    def in_scope(self, case: Case) -> bool:
        """:func:`osteodx.differential.scope`'s flag, with the per-term check kept per term."""
        for f in case.findings:
            if not f.present:
                continue
            hit = self._in_scope.get(f.id)
            if hit is None:
                hit = self._in_scope[f.id] = self.kb.in_scope_term(f.id)
            if hit:
                return True
        return False

    def posteriors(self, cases: Sequence[Case]) -> NDArray[np.float64]:
        """One row of posterior probabilities (over ``kb.keys``) per case."""
        kb = self.kb
        n = len(cases)
        if n == 0:
            return np.zeros((0, kb.K))
        flat: list[int] = []
        lengths = np.zeros(n, dtype=np.intp)
        bands: list[int] = []
        sexes: list[int] = []
        fallback: list[int] = []
        rows_get, spoken_get = self._rows.get, self._spoken.get
        for i, case in enumerate(cases):
            band = age_band_index(case.age_years)
            sex = case.sex.value
            bands.append(band)
            sexes.append(SEXES.index(sex) if sex in SEXES else len(SEXES))
            if getattr(case, "test_results", ()):
                fallback.append(i)  # evidence beyond findings: scored by score() itself
                continue
            start = len(flat)
            mask = self._all
            for f in case.findings:
                row = rows_get((f.id, f.present, band))
                flat.append(self._row(f.id, f.present, band) if row is None else row)
                spoken = spoken_get((f.id, f.present))
                mask &= self._unmentioned_mask(f.id, f.present) if spoken is None else spoken
            flat.extend(self._silence_rows_for(mask, band))
            lengths[i] = len(flat) - start
        width = max(1, int(lengths.max()))
        index = np.zeros((n, width), dtype=np.intp)  # row 0 of the table is zero: padding
        index[np.arange(width) < lengths[:, None]] = flat
        table = self._table
        evidence = table[index[:, 0]].copy()
        for t in range(1, width):  # column by column: the order score() adds in
            evidence += table[index[:, t]]
        log_scores = kb.log_prior[bands, sexes] + kb.tempering * evidence
        for i in fallback:
            log_scores[i] = score(cases[i], kb)
        return posterior(log_scores)


@cache
def _scorer() -> BatchScorer:
    return BatchScorer(compiled_kb())


def _warm_worker() -> None:
    """Load once per worker process, then keep the loaded objects out of the garbage
    collector's scans (they live as long as the process; about 10 % faster)."""
    _context()
    _scorer()
    gc.freeze()


_Outcome = Case | dict[str, Any]


def _read_one(payload: bytes | str | dict[str, Any] | Path | OSError, where: str) -> _Outcome:
    """A Case, or the error record that stands for the refused input."""
    if isinstance(payload, OSError):
        return _error(where, "(file)", f"cannot be read ({payload.strerror})", "check the path")
    if isinstance(payload, Path):
        try:
            return _read_case(payload, _context())
        except CaseInputError as exc:
            return _refusal(exc, payload.stem)
        except Exception as exc:
            return _unexpected(exc, payload.stem)
    data: Any = payload
    if isinstance(payload, bytes | str):
        try:
            data = _loads(payload)
        except DuplicateKeyError as exc:
            return _error(where, f"key {exc.key!r}", str(exc.msg), _ONE_VALUE)
        except (orjson.JSONDecodeError, json.JSONDecodeError, RecursionError) as exc:
            return _error(where, "(line)", f"malformed JSON ({exc})", "fix the JSON on that line")
    try:
        return parse_document(data, where, _context())
    except CaseInputError as exc:
        return _refusal(exc, _id_of(data, where))
    except Exception as exc:
        return _unexpected(exc, _id_of(data, where))


def round6(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``round(x, 6)`` for every element, as Python's ``round`` gives it (ranking_line uses it).

    ``rint(x * 1e6) / 1e6`` is the nearest double to n / 10**6, which is what ``round`` returns,
    unless ``x * 1e6`` lies so close to a half that the product's own rounding could pick the
    other integer; those few elements are rounded by ``round`` itself. About 30 times faster."""
    scaled = values * 1e6
    out = np.rint(scaled) / 1e6
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near.any():
        out[near] = [round(v, 6) for v in values[near].tolist()]
    return np.asarray(out)


def _rank_outcomes(outcomes: list[_Outcome]) -> tuple[list[bytes], Counts]:
    scorer = _scorer()
    kb = scorer.kb
    cases = [o for o in outcomes if isinstance(o, Case)]
    post = scorer.posteriors(cases)
    order = np.argsort(-post, axis=1, kind="stable")
    ranked = round6(np.take_along_axis(post, order, axis=1)).tolist()
    orders = order.tolist()
    keys, names = kb.keys, kb.names
    lines: list[bytes] = []
    read = refused = out_of_scope = 0
    row = 0
    for outcome in outcomes:
        if not isinstance(outcome, Case):
            lines.append(orjson.dumps(outcome))
            refused += 1
            continue
        in_scope = scorer.in_scope(outcome)
        record = {
            "case_id": outcome.case_id,
            "in_scope": in_scope,
            "ranking": [
                {"key": keys[k], "name": names[k], "probability": p}
                for k, p in zip(orders[row], ranked[row], strict=True)
            ],
        }
        if outcome.warnings:
            record["warnings"] = reading_warnings(outcome)
        lines.append(orjson.dumps(record))
        row += 1
        read += 1
        out_of_scope += not in_scope
    return lines, Counts(read, refused, out_of_scope)


SUB_BATCH = 256  # cases read, scored and serialised together


def _rank_in_batches(outcomes: Iterable[_Outcome]) -> tuple[list[bytes], Counts]:
    """Score ``SUB_BATCH`` cases at a time, so that however large a partition is, only a few
    hundred cases are alive at once (fewer objects for the garbage collector to scan)."""
    lines: list[bytes] = []
    counts = Counts()
    batch: list[_Outcome] = []
    for outcome in outcomes:
        batch.append(outcome)
        if len(batch) >= SUB_BATCH:
            ranked, batch_counts = _rank_outcomes(batch)
            lines += ranked
            counts += batch_counts
            batch = []
    if batch or not lines:
        ranked, batch_counts = _rank_outcomes(batch)
        lines += ranked
        counts += batch_counts
    return lines, counts


def rank_lines(
    lines: Iterable[bytes | str], source: str = "(partition)", first_line: int = 1
) -> tuple[list[bytes], Counts]:
    """Rank JSON lines (one document each; blank lines skipped but counted for numbering).

    A line that cannot be read gives an error record whose ``case_id`` is the document's id,
    or ``source:line`` when it has none."""
    return _rank_in_batches(
        _read_one(line, f"{source}:{n}")
        for n, line in enumerate(lines, start=first_line)
        if line.strip()
    )


def rank_partition(
    records: Iterable[bytes | str | dict[str, Any] | Record],
    source: str = "(partition)",
    first_line: int = 1,
) -> list[str]:
    """Rank a partition of records; one JSON line (``str``, no newline) per non-blank record.

    A record is a JSON line (``bytes`` or ``str``, as ``dask.bag.read_text`` or Spark's
    ``textFile`` give them), an already parsed document (``dict``), or a ``(where, payload)``
    :data:`Record`. Pure and picklable: the output depends only on the input and the shipped
    knowledge base, which is loaded once per process."""

    def outcomes() -> Iterator[_Outcome]:
        for n, record in enumerate(records, start=first_line):
            if isinstance(record, tuple):
                yield _read_one(record[1], record[0])
            elif isinstance(record, dict) or record.strip():
                yield _read_one(record, f"{source}:{n}")

    lines, _ = _rank_in_batches(outcomes())
    return [line.decode() for line in lines]


# --- inputs ------------------------------------------------------------------------------------
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


def _is_stream(source: str) -> bool:
    return source == "-" or source.lower().endswith(STREAM_SUFFIXES)


def _open_stream(source: str) -> BinaryIO:
    if source == "-":
        return sys.stdin.buffer
    if source.lower().endswith(".gz"):
        return gzip.open(source, "rb")  # type: ignore[return-value]
    return open(source, "rb")


def iter_records(paths: Iterable[str]) -> Iterator[Record]:
    """Every case of the inputs, lazily: JSON Lines streams line by line, other files whole."""
    for source in expand_paths(paths):
        if _is_stream(source):
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


@dataclass(frozen=True, slots=True)
class _Lines:
    """Whole lines of a stream, starting at line ``first_line``."""

    source: str
    first_line: int
    data: bytes


@dataclass(frozen=True, slots=True)
class _Range:
    """Whole lines of a plain file, read by the worker itself (no copy through a pipe)."""

    source: str
    first_line: int
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class _Files:
    records: tuple[Record, ...]


_Work = _Lines | _Range | _Files


def _blocks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """Blocks of about ``size`` bytes, each ending at a line end (or the end of the stream)."""
    while True:
        block = stream.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += stream.readline()
        yield block


def _work_items(paths: Iterable[str], chunk_bytes: int) -> Iterator[_Work]:
    files: list[Record] = []
    for source in expand_paths(paths):
        if not _is_stream(source):
            files.append((source, Path(source)))
            if len(files) >= CHUNK_FILES:
                yield _Files(tuple(files))
                files = []
            continue
        if files:
            yield _Files(tuple(files))
            files = []
        plain = source != "-" and not source.lower().endswith(".gz")
        try:
            stream = _open_stream(source)
        except OSError as exc:
            yield _Files(((source, exc),))
            continue
        line, offset = 1, 0
        try:
            for block in _blocks(stream, chunk_bytes):
                if plain:
                    yield _Range(source, line, offset, len(block))
                else:
                    yield _Lines(source, line, block)
                line += block.count(b"\n")
                offset += len(block)
        except OSError as exc:  # e.g. a truncated .gz: the lines read so far are kept
            yield _Files(((f"{source}:{line}", exc),))
        finally:
            if source != "-":
                stream.close()
    if files:
        yield _Files(tuple(files))


def _run(item: _Work) -> tuple[bytes, Counts]:
    """One work item ranked: its output lines (each ending in a newline) and counts."""
    if isinstance(item, _Files):
        lines, counts = _rank_in_batches(_read_one(p, where) for where, p in item.records)
    else:
        if isinstance(item, _Range):
            with open(item.source, "rb") as fh:
                fh.seek(item.offset)
                data = fh.read(item.length)
        else:
            data = item.data
        lines, counts = rank_lines(data.split(b"\n"), item.source, item.first_line)
    return b"".join(line + b"\n" for line in lines), counts


def rank_stream(
    paths: Iterable[str], workers: int = 1, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[bytes, Counts]]:
    """Ranked output in input order, as blocks of JSON lines with their counts.

    With ``workers > 1`` the chunks go to worker processes; at most ``4 x workers`` chunks are
    in flight, so memory stays flat however long the input."""
    items = _work_items(paths, chunk_bytes)
    if workers <= 1:
        for item in items:
            yield _run(item)
        return
    method = "fork" if sys.platform == "linux" else "spawn"
    context = multiprocessing.get_context(method)
    in_flight: deque[Future[tuple[bytes, Counts]]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_worker) as pool:
        for item in items:
            in_flight.append(pool.submit(_run, item))
            if len(in_flight) >= 4 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def default_workers() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


# --- Dask --------------------------------------------------------------------------------------
class DaskError(Exception):
    """Dask is not installed, the scheduler cannot be reached, or the input cannot be used."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(f"{message}; {fix}")
        self.message = message
        self.fix = fix


def _count_lines(lines: Iterable[str]) -> int:
    return sum(1 for _ in lines)


def _rank_block(
    lines: Iterable[str], source: str, first_line: int
) -> list[tuple[str, tuple[int, int, int]]]:
    """One Dask partition ranked into one text block (its lines, each ending in a newline)."""
    ranked, counts = rank_lines(lines, source, first_line)
    text = "".join(line.decode() + "\n" for line in ranked)
    return [(text, (counts.read, counts.refused, counts.out_of_scope))]


def _rank_to_file(
    lines: Iterable[str], source: str, first_line: int, target: Any
) -> list[tuple[int, int, int]]:
    """One Dask partition ranked and written to its part file (an fsspec ``OpenFile``, as
    ``Bag.to_textfiles`` uses); returns the partition's counts."""
    [(text, counts)] = _rank_block(lines, source, first_line)
    with target as fh:
        fh.write(text)
    return [counts]


def _part_name(i: int) -> str:
    return f"part-{i:05d}"


def rank_with_dask(
    address: str,
    source: str,
    out: BinaryIO | Path,
    blocksize: int = 64_000_000,
    connect_timeout: float = 10.0,
) -> Counts:
    """Rank a JSON Lines file on a Dask cluster, partition by partition.

    The input is read with ``dask.bag.read_text`` (``blocksize`` bytes per partition; one
    partition per file for ``.gz``), each partition is ranked by :func:`rank_lines` on a worker
    (the knowledge base is loaded once per worker process), and the output is either written as
    partitioned JSON Lines (``out`` a folder: ``part-00000.jsonl`` ..., opened through fsspec as
    ``Bag.to_textfiles`` opens them, each written by the task that ranks its partition; their
    concatenation in name order is the single-process output) or streamed in input order to
    ``out`` (a binary stream), with at most two partitions per worker thread in flight. A first,
    cheap pass counts each partition's lines, so that refused lines are numbered as in the
    single-process output.
    """
    try:  # imported as untyped modules: Dask's own annotations are partial
        dask: Any = importlib.import_module("dask")
        db: Any = importlib.import_module("dask.bag")
        client_class: Any = importlib.import_module("distributed").Client
        fsspec: Any = importlib.import_module("fsspec")
    except ImportError:
        raise DaskError(
            "--dask needs Dask, which is not installed",
            "install the extra: pip install 'osteodx[dask]'",
        ) from None
    path = Path(source)
    if not path.is_file():
        raise DaskError(f"{source}: no such file", "give a JSON Lines file (.jsonl or .jsonl.gz)")
    if not source.lower().endswith(STREAM_SUFFIXES):
        raise DaskError(
            f"{source}: --dask reads JSON Lines files only",
            "give a .jsonl or .jsonl.gz file (one phenopacket per line)",
        )
    try:
        client = client_class(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskError(
            f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc})"[:300],
            "start one (dask scheduler; dask worker ADDRESS) or check the address, "
            "e.g. tcp://10.0.0.5:8786",
        ) from None
    try:
        compressed = source.lower().endswith(".gz")
        lines = db.read_text(
            str(path.resolve()), blocksize=None if compressed else blocksize, encoding="utf-8"
        )
        parts = lines.to_delayed()
        with dask.config.set(scheduler=client):
            sizes = dask.compute(*[dask.delayed(_count_lines)(p) for p in parts])
        starts = [1]
        for size in sizes[:-1]:
            starts.append(starts[-1] + size)
        if isinstance(out, Path):
            # One part file per partition, opened as Bag.to_textfiles opens them; ranking and
            # writing in one task, so that each partition is ranked once and its counts return.
            out.mkdir(parents=True, exist_ok=True)
            targets = fsspec.open_files(
                str(out.resolve() / "*.jsonl"),
                mode="wt",
                encoding="utf-8",
                name_function=_part_name,
                num=len(parts),
            )
            tasks = [
                dask.delayed(_rank_to_file)(p, source, start, target)
                for p, start, target in zip(parts, starts, targets, strict=True)
            ]
            with dask.config.set(scheduler=client):
                counted = db.from_delayed(tasks).compute()
            totals = list(counted)
        else:
            window = 2 * max(1, sum(client.nthreads().values()))
            in_flight: deque[Any] = deque()
            totals = []

            def drain() -> None:
                text, counts = in_flight.popleft().result()[0]
                out.write(text.encode())
                totals.append(counts)

            for p, start in zip(parts, starts, strict=True):
                in_flight.append(client.compute(dask.delayed(_rank_block)(p, source, start)))
                if len(in_flight) >= window:
                    drain()
            while in_flight:
                drain()
    finally:
        client.close()
    return sum((Counts(*c) for c in totals), Counts())
