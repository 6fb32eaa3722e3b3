"""The case library on SQLAlchemy 2: open (migrate, seed), read, import (merge, one transaction).

The default library is an SQLite file in the user's data directory, created and seeded with the
shipped published cases on first use, in WAL mode. Any SQLAlchemy URL can be given instead
(``--db`` or the ``OSTEODX_DB`` environment variable), e.g. ``postgresql+psycopg://...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from osteodx.knowledge._data import data_path
from osteodx.literature import _tables as t
from osteodx.literature._config import similarity_config
from osteodx.literature._errors import LibraryError, RecordProblem
from osteodx.literature._features import encode, layout, profile_from_record
from osteodx.literature._location import ENV_VAR, HEAD_REVISION, default_url
from osteodx.literature._readers import Incoming, read_records
from osteodx.literature._record import LibraryCase, histology_family, publication_keys
from osteodx.literature._similarity import CompiledLibrary

__all__ = ["ENV_VAR", "ImportReport", "Library", "default_url", "open_library"]

SEED_VERSION = "nen-case-library-2026-11"
CHUNK = 1000
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: counts, the case ids touched and every skipped record."""

    read: int
    added: tuple[str, ...]
    merged: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[RecordProblem, ...]


_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]*@")
_PASSWORD_PARAM = re.compile(r"(?i)\b(password|passwd|pwd|sslpassword)=('[^']*'|[^&\s]*)")


def hide_secrets(text: str) -> str:
    """A database URL or connection string with every password masked: in the user part,
    as a URL query parameter (``?password=``) or as a ``key=value`` pair."""
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    return _PASSWORD_PARAM.sub(lambda m: f"{m.group(1)}=***", text)


def _hide(url: sa.URL) -> str:
    return hide_secrets(url.render_as_string(hide_password=True))


def _write_failed(url: str, exc: sa.exc.DBAPIError) -> LibraryError:
    """A failed write as a message that names the database and the reason only: SQLAlchemy's
    own text carries the statement and its parameters, i.e. patient records."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return LibraryError(
        f"the case library at {url} could not be written ({reason})",
        "check that the file or database is writable and not locked by another program, "
        "or point --db / OSTEODX_DB at another library",
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _make_engine(url_text: str) -> Engine:
    try:
        url = sa.make_url(url_text)
    except sa.exc.ArgumentError:
        raise LibraryError(
            f"the database URL (starting {url_text.split(':', 1)[0][:20]!r}) is not a URL",
            "give an SQLAlchemy URL such as sqlite:///path/library.sqlite or "
            "postgresql+psycopg://user@host/db (--db or OSTEODX_DB)",
        ) from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            folder = Path(url.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(
                    f"cannot create the library folder {folder} ({exc.strerror})",
                    "give a writable path with --db sqlite:///PATH or OSTEODX_DB",
                ) from None
    elif url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = 5
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise LibraryError(
            f"database URL {_hide(url)}: {exc}",
            "use sqlite:///PATH or postgresql+psycopg://user@host/db "
            "(install psycopg[binary] for PostgreSQL)",
        ) from None
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _at_head(conn: Connection) -> bool:
    if not sa.inspect(conn).has_table("alembic_version"):
        return False
    row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
    return row is not None and row[0] == HEAD_REVISION


def _migrate(conn: Connection) -> None:
    if _at_head(conn):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    with data_path("literature/migrations") as scripts:
        cfg.set_main_option("script_location", str(scripts))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_library(url: str | None = None, *, seed: bool = True) -> Library:
    """Open (creating, migrating and seeding if needed) the library at ``url``.

    Raises :class:`LibraryError` when the database cannot be reached or the URL is bad.
    """
    return Library(url or default_url(), seed=seed)


class Library:
    """A case library in a database. Open with :func:`open_library`."""

    def __init__(self, url: str, *, seed: bool = True) -> None:
        self.engine = _make_engine(url)
        self.url = _hide(self.engine.url)
        self._compiled: tuple[int, CompiledLibrary] | None = None
        try:
            with self.engine.begin() as conn:
                _migrate(conn)
                meta = self._meta(conn)
                if meta.get("vector_version") not in (
                    None,
                    str(similarity_config().vector_version),
                ):
                    self._reencode(conn)
                if "revision" not in meta:
                    self._set_meta(conn, "revision", "0")
                    self._set_meta(conn, "vector_version", str(similarity_config().vector_version))
            if seed and "seeded" not in meta:
                self._seed()
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            reason = (
                hide_secrets(str(exc.orig).strip().splitlines()[0])
                if exc.orig
                else type(exc).__name__
            )
            raise LibraryError(
                f"cannot open the case library at {self.url} ({reason})",
                "check the URL, that the server runs and accepts you, or point --db / "
                "OSTEODX_DB at another library",
            ) from None
        except sa.exc.DBAPIError as exc:  # pragma: no cover - server-specific failures
            self.engine.dispose()
            raise LibraryError(
                f"the case library at {self.url} failed: {str(exc.orig).splitlines()[0]}",
                "check the database and its permissions",
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- metadata ----------------------------------------------------------------------------
    @staticmethod
    def _meta(conn: Connection) -> dict[str, str]:
        rows = conn.execute(sa.select(t.library_meta.c.key, t.library_meta.c.value))
        return {k: v for k, v in rows}

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        updated = conn.execute(
            sa.update(t.library_meta).where(t.library_meta.c.key == key).values(value=value)
        )
        if updated.rowcount == 0:
            conn.execute(sa.insert(t.library_meta).values(key=key, value=value))

    def revision(self) -> int:
        with self.engine.connect() as conn:
            return int(self._meta(conn).get("revision", "0"))

    def _bump(self, conn: Connection) -> None:
        rev = int(self._meta(conn).get("revision", "0"))
        self._set_meta(conn, "revision", str(rev + 1))

    def _reencode(self, conn: Connection) -> None:
        """Re-encode every stored vector after the vocabularies changed."""
        rows = conn.execute(sa.select(t.cases.c.case_id, t.cases.c.record)).all()
        for case_id, record in rows:
            vec = encode(profile_from_record(LibraryCase.model_validate_json(record)))
            conn.execute(
                sa.update(t.cases).where(t.cases.c.case_id == case_id).values(vector=vec.tobytes())
            )
        self._set_meta(conn, "vector_version", str(similarity_config().vector_version))
        self._bump(conn)

    def _seed(self) -> None:
        with data_path("literature/data/cases.jsonl") as p:
            items = read_records(p, "jsonl")
        report = self.import_items(items, origin="seed:nen-case-library", seed_marker=True)
        if report.skipped:  # pragma: no cover - guarded by a test of the shipped data
            raise LibraryError(
                f"shipped case data: {report.skipped[0].text()}", "reinstall osteodx"
            )

    # --- reading -----------------------------------------------------------------------------
    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.cases)).scalar_one())

    def ids(self) -> tuple[str, ...]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.cases.c.case_id).order_by(t.cases.c.case_id))
            return tuple(r[0] for r in rows)

    def get(self, case_id: str) -> LibraryCase:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.cases.c.record).where(t.cases.c.case_id == case_id)
            ).first()
        if row is None:
            raise LibraryError(
                f"case {case_id!r} is not in the library",
                "list the case ids with `osteodx cases list`",
            )
        return LibraryCase.model_validate_json(row[0])

    def get_many(self, case_ids: Sequence[str]) -> dict[str, LibraryCase]:
        out: dict[str, LibraryCase] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(case_ids), 500):
                chunk = list(case_ids[start : start + 500])
                rows = conn.execute(
                    sa.select(t.cases.c.case_id, t.cases.c.record).where(
                        t.cases.c.case_id.in_(chunk)
                    )
                )
                for cid, rec in rows:
                    out[cid] = LibraryCase.model_validate_json(rec)
        return out

    def cases(self) -> tuple[LibraryCase, ...]:
        """Every case, by case id."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.cases.c.record).order_by(t.cases.c.case_id))
            return tuple(LibraryCase.model_validate_json(r[0]) for r in rows)

    def compiled(self) -> CompiledLibrary:
        """The stacked vectors of the current revision (read once per revision)."""
        rev = self.revision()
        if self._compiled is not None and self._compiled[0] == rev:
            return self._compiled[1]
        width = layout().width
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.cases.c.case_id, t.cases.c.vector).order_by(t.cases.c.case_id)
            ).all()
        ids = [r[0] for r in rows]
        buf = b"".join(bytes(r[1]) for r in rows)
        matrix = np.frombuffer(buf, dtype=np.float32).reshape(len(ids), width)
        compiled = CompiledLibrary(ids, matrix)
        self._compiled = (rev, compiled)
        return compiled

    def text_vectors(self, model: str) -> dict[str, tuple[str, bytes]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    t.case_text_vectors.c.case_id,
                    t.case_text_vectors.c.text_sha,
                    t.case_text_vectors.c.vector,
                ).where(t.case_text_vectors.c.model == model)
            )
            return {cid: (sha, bytes(vec)) for cid, sha, vec in rows}

    def store_text_vectors(self, model: str, rows: Iterable[tuple[str, str, bytes]]) -> None:
        """Cache text embeddings (case id, text hash, float32 bytes) in one transaction."""
        data = [
            {"case_id": cid, "model": model, "text_sha": sha, "vector": vec}
            for cid, sha, vec in rows
        ]
        if not data:
            return
        with self.engine.begin() as conn:
            ids = [d["case_id"] for d in data]
            for start in range(0, len(ids), 500):
                conn.execute(
                    sa.delete(t.case_text_vectors).where(
                        t.case_text_vectors.c.model == model,
                        t.case_text_vectors.c.case_id.in_(ids[start : start + 500]),
                    )
                )
            conn.execute(sa.insert(t.case_text_vectors), data)

    # --- importing ---------------------------------------------------------------------------
    def import_file(
        self,
        path: Path,
        fmt: str | None = None,
        *,
        strict: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a file: good records in one transaction, bad ones reported and skipped.

        With ``strict`` any bad record refuses the whole file. Raises :class:`LibraryError` for a
        file that cannot be read at all (nothing is written then).
        """
        items = read_records(path, fmt)
        return self.import_items(
            items, origin=f"import:{path.name}", strict=strict, progress=progress
        )

    def import_items(
        self,
        items: Sequence[Incoming | RecordProblem],
        *,
        origin: str,
        strict: bool = False,
        progress: Progress | None = None,
        seed_marker: bool = False,
    ) -> ImportReport:
        plan = _Plan(self)
        skipped: list[RecordProblem] = []
        for item in items:
            if isinstance(item, RecordProblem):
                skipped.append(item)
                continue
            problem = plan.add(item)
            if problem is not None:
                skipped.append(problem)
        if strict and skipped:
            first = skipped[0]
            raise LibraryError(
                f"{len(skipped)} bad record(s), nothing imported; first: {first.position}: "
                f"{first.field}: {first.message}",
                first.fix,
            )
        try:
            with self.engine.begin() as conn:
                plan.write(conn, origin[:256], progress)
                if plan.new or plan.updated or seed_marker:
                    self._bump(conn)
                if seed_marker:
                    self._set_meta(conn, "seeded", SEED_VERSION)
        except sa.exc.DBAPIError as exc:
            raise _write_failed(self.url, exc) from None
        return ImportReport(
            read=len(items),
            added=tuple(plan.new),
            merged=tuple(plan.updated),
            unchanged=tuple(plan.unchanged),
            skipped=tuple(skipped),
        )


# --- merging -----------------------------------------------------------------------------------


def _problem_from_validation(where: str, exc: ValidationError) -> RecordProblem:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(record)"
    msg = str(first["msg"]).removeprefix("Value error, ")
    return RecordProblem(where, loc, msg, "correct or remove that value (docs/literature.md)")


def _merge(old: LibraryCase, new: LibraryCase, article_level: bool) -> LibraryCase:
    """``old`` with gaps filled from ``new``; the existing (reviewed) values always win."""
    cit = old.citation.model_dump()
    for k, v in new.citation.model_dump().items():
        if cit.get(k) is None and v is not None:
            cit[k] = v
    data = old.model_dump()
    data["citation"] = cit
    if not article_level:
        fresh = new.model_dump()
        for key, value in fresh.items():
            if key in ("case_id", "citation"):
                continue
            current: Any = data.get(key)
            if key == "ihc":
                data[key] = {**value, **current}
            elif key == "outcome":
                data[key] = {
                    k: current.get(k) if current.get(k) is not None else v for k, v in value.items()
                }
            elif isinstance(current, list | tuple):
                seen = list(current)
                for v in value:
                    if v not in seen:
                        seen.append(v)
                data[key] = seen
            elif key in ("presentation", "notes"):
                if value and value not in current:
                    data[key] = f"{current} {value}".strip() if current else value
            elif current is None and value is not None:
                data[key] = value
    return LibraryCase.model_validate(data)


class _Plan:
    """The changes an import will make, worked out in memory before one transaction writes them."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.by_key: dict[str, list[str]] = {}
        self.existing: set[str] = set()
        with lib.engine.connect() as conn:
            for cid, pmid, doi in conn.execute(
                sa.select(t.cases.c.case_id, t.cases.c.pmid, t.cases.c.doi)
            ):
                self.existing.add(cid)
                if pmid:
                    self.by_key.setdefault(f"pmid:{pmid}", []).append(cid)
                if doi:
                    self.by_key.setdefault(f"doi:{doi}", []).append(cid)
        self.records: dict[str, LibraryCase] = {}
        self.new: list[str] = []
        self.updated: list[str] = []
        self.unchanged: list[str] = []
        self._lit = 1 + max(
            (int(c[4:]) for c in self.existing if re.fullmatch(r"lit-\d+", c)), default=0
        )

    def _current(self, case_id: str) -> LibraryCase:
        if case_id not in self.records:
            self.records[case_id] = self.lib.get(case_id)
        return self.records[case_id]

    def _known(self, case_id: str) -> bool:
        return case_id in self.existing or case_id in self.records

    def _new_id(self, record: LibraryCase) -> str:
        c = record.citation
        base = (
            f"pmid-{c.pmid}"
            if c.pmid
            else (f"doi-{re.sub(r'[^A-Za-z0-9._-]', '_', c.doi)[:56]}" if c.doi else "")
        )
        if not base:
            while self._known(f"lit-{self._lit:06d}"):
                self._lit += 1
            return f"lit-{self._lit:06d}"
        candidate, n = base, 2
        while self._known(candidate):
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def add(self, item: Incoming) -> RecordProblem | None:
        data = dict(item.data)
        explicit = item.explicit_id and isinstance(data.get("case_id"), str)
        data.setdefault("case_id", "incoming")
        try:
            record = LibraryCase.model_validate(data)
        except ValidationError as exc:
            return _problem_from_validation(item.position, exc)
        keys = publication_keys(record.citation)
        if explicit and self._known(record.case_id):
            target = self._current(record.case_id)
            clash = _clash(target, record)
            if clash:
                return RecordProblem(
                    item.position,
                    "case_id",
                    f"{record.case_id} is already a patient of {clash[0]}, this record cites "
                    f"{clash[1]}",
                    "give this patient a new case_id, or correct the citation",
                )
            self._merge_into(target, record, item.article_level)
            return None
        if explicit:
            self._add_new(record)
            return None
        matches = sorted({cid for k in keys for cid in self.by_key.get(k, [])})
        if not matches:
            self._add_new(record.model_copy(update={"case_id": self._new_id(record)}))
            return None
        if len(matches) == 1 or item.article_level:
            for cid in matches:
                self._merge_into(self._current(cid), record, item.article_level)
            return None
        return RecordProblem(
            item.position,
            "case_id",
            f"the publication ({', '.join(keys)}) has {len(matches)} patients in the library "
            f"({', '.join(matches)}) and the record does not say which",
            "add a case_id naming the patient to update, or a new case_id for a further patient",
        )

    def _index(self, record: LibraryCase) -> None:
        for k in publication_keys(record.citation):
            ids = self.by_key.setdefault(k, [])
            if record.case_id not in ids:
                ids.append(record.case_id)

    def _add_new(self, record: LibraryCase) -> None:
        self.records[record.case_id] = record
        self.new.append(record.case_id)
        self._index(record)

    def _merge_into(self, target: LibraryCase, record: LibraryCase, article_level: bool) -> None:
        merged = _merge(target, record, article_level)
        cid = target.case_id
        if merged == target:
            if cid not in self.new and cid not in self.updated and cid not in self.unchanged:
                self.unchanged.append(cid)
            return
        self.records[cid] = merged
        self._index(merged)
        if cid in self.unchanged:
            self.unchanged.remove(cid)
        if cid not in self.new and cid not in self.updated:
            self.updated.append(cid)

    def write(self, conn: Connection, origin: str, progress: Progress | None) -> None:
        total = len(self.new) + len(self.updated)
        done = 0
        new_rows = [_row(self.records[cid], origin) for cid in self.new]
        for start in range(0, len(new_rows), CHUNK):
            conn.execute(sa.insert(t.cases), new_rows[start : start + CHUNK])
            done += len(new_rows[start : start + CHUNK])
            if progress is not None:
                progress(done, total)
        for cid in self.updated:
            row = _row(self.records[cid], origin)
            del row["origin"]
            conn.execute(sa.update(t.cases).where(t.cases.c.case_id == cid).values(**row))
            done += 1
            if progress is not None and done % CHUNK == 0:
                progress(done, total)
        if progress is not None and total:
            progress(total, total)


def _clash(a: LibraryCase, b: LibraryCase) -> tuple[str, str] | None:
    for field in ("pmid", "doi"):
        x, y = getattr(a.citation, field), getattr(b.citation, field)
        if x and y and x.lower() != y.lower():
            return f"{field.upper()} {x}", f"{field.upper()} {y}"
    return None


def _row(record: LibraryCase, origin: str) -> dict[str, Any]:
    c = record.citation
    return {
        "case_id": record.case_id,
        "pmid": c.pmid,
        "doi": c.doi.lower() if c.doi else None,
        "url": c.url,
        "year": c.year,
        "age": record.age,
        "sex": record.sex,
        "primary_site": record.primary_site,
        "histology": histology_family(record.histology),
        "grade": record.grade,
        "bone_lesion_type": record.bone_lesion_type,
        "status": record.outcome.status,
        "origin": origin,
        "record": record.model_dump_json(),
        "vector": encode(profile_from_record(record)).tobytes(),
    }
