"""Laboratory values read from free text, counted on real inputs.

Usage: python benchmarks/text_labs.py [--corpus ZIP] [--dev DIR] [--nen JSONL] [--extra TXT]

Reads, with the case readers and the shipped knowledge base:
  * every file of the phenopacket-store corpus (``../shared/data/phenopacket-store``; its free
    text is what the reader reads: description, feature, disease and treatment labels),
  * the development cases (``../shared/benchmark/osteosclerosis-dev``, phenopacket
    descriptions),
  * the presentation and notes of the published NEN case library
    (``../shared/data/nen-case-library/cases.jsonl``), each as a case-form ``notes`` field,
  * optionally, a text file of further published case-description passages, one per line
    (``source<TAB>text``), read as case-form notes.
For each source it counts the documents, the values read from text by how they counted
(``present`` = counted, ``overridden`` = a coded value of the analyte or an earlier text value
was counted instead, ``family``/``uncertain`` = listed, not counted) and the text values
refused with a warning, and lists every value with its phrase for checking by hand. Results go
to ``benchmarks/results/text-labs-<date>.md`` and are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from osteodx.case import Case, CaseInputError, ReadingContext, default_context, parse_document
from osteodx.case._text import TextMatch, TextReader

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared"


class _Memo(TextReader):
    """The context's text reader with results kept per text (labels repeat across a cohort)."""

    def __init__(self, inner: TextReader) -> None:  # wraps ``inner``; no super().__init__
        self._inner = inner
        self._memo: dict[str, list[TextMatch]] = {}

    def read(self, text: str) -> list[TextMatch]:
        if text not in self._memo:
            self._memo[text] = self._inner.read(text)
        return list(self._memo[text])


def _context() -> ReadingContext:
    ctx = default_context()
    return ReadingContext(ctx.knowledge, ctx.hpo, ctx.labs, _Memo(ctx.text))


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.documents = 0
        self.refused = 0
        self.with_values = 0
        self.status: Counter[str] = Counter()
        self.analytes: Counter[str] = Counter()
        self.warnings = 0
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, where: str, case: Case) -> None:
        self.documents += 1
        labs = [m for m in case.text_mentions if m.finding_id.startswith("lab:")]
        warned = [w for w in case.warnings if "read from the text" in w.message]
        if labs:
            self.with_values += 1
        for m in labs:
            self.status[m.status] += 1
            self.analytes[m.finding_id.removeprefix("lab:")] += 1
            self.rows.append((where, m.status, m.label, m.phrase, m.sentence))
        for w in warned:
            self.warnings += 1
            self.rows.append((where, "warning", w.message, w.loc, ""))

    def markdown(self) -> str:
        counted = sum(self.status.values())
        out = [
            f"### {self.name}\n",
            f"{self.documents} documents read ({self.refused} refused by the reader), "
            f"{self.with_values} with a value read from text; {counted} values: "
            + (", ".join(f"{n} {s}" for s, n in sorted(self.status.items())) or "none")
            + f"; {self.warnings} text values refused with a warning.\n",
        ]
        if self.analytes:
            out.append(
                "By analyte: " + ", ".join(f"{a} {n}" for a, n in self.analytes.most_common())
            )
            out.append("")
        if self.rows:
            out.append("| document | status | value (canonical unit) | phrase | sentence |")
            out.append("|---|---|---|---|---|")
            for row in self.rows:
                cells = [c.replace("|", "/").replace("\n", " ") for c in row]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        return "\n".join(out)


def _read(tally: Tally, where: str, data: Any, ctx: ReadingContext) -> None:
    try:
        tally.add(where, parse_document(data, where, ctx))
    except CaseInputError:
        tally.documents += 1
        tally.refused += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--corpus", type=Path, default=SHARED / "data/phenopacket-store/all_phenopackets.zip"
    )
    ap.add_argument("--dev", type=Path, default=SHARED / "benchmark/osteosclerosis-dev/cases")
    ap.add_argument("--nen", type=Path, default=SHARED / "data/nen-case-library/cases.jsonl")
    ap.add_argument("--extra", type=Path, default=None)
    args = ap.parse_args(argv)
    ctx = _context()
    tallies: list[Tally] = []

    start = time.perf_counter()
    corpus = Tally(f"phenopacket-store corpus ({args.corpus.name})")
    with zipfile.ZipFile(args.corpus) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".json"))
        described = 0
        for name in names:
            data = json.loads(zf.read(name))
            described += bool(isinstance(data, dict) and str(data.get("description", "")).strip())
            _read(corpus, name, data, ctx)
    corpus.name += f"; {described} with a description; read in {time.perf_counter() - start:.0f} s"
    tallies.append(corpus)

    dev = Tally(f"development cases ({args.dev.parent.name})")
    for path in sorted(args.dev.glob("*.json")):
        _read(dev, path.stem, json.loads(path.read_text(encoding="utf-8")), ctx)
    tallies.append(dev)

    nen = Tally(f"NEN case library ({args.nen.name}: presentation and notes as case-form notes)")
    for line in args.nen.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        notes = " ".join(t for t in (row.get("presentation"), row.get("notes")) if t)
        form = {"id": row["case_id"], "age": row.get("age"), "sex": row.get("sex"), "notes": notes}
        _read(nen, row["case_id"], {k: v for k, v in form.items() if v is not None}, ctx)
    tallies.append(nen)

    if args.extra:
        extra = Tally(f"published case passages ({args.extra.name})")
        for n, line in enumerate(args.extra.read_text(encoding="utf-8").splitlines()):
            if "\t" in line:
                source, text = line.split("\t", 1)
                _read(extra, f"{n + 1}: {source}", {"id": f"x{n + 1}", "notes": text}, ctx)
        tallies.append(extra)

    text = "\n".join(
        [
            f"# Laboratory values read from free text, {date.today()}\n",
            "Command: `python benchmarks/text_labs.py"
            + (f" --extra {args.extra}" if args.extra else "")
            + "`\n",
            *(t.markdown() for t in tallies),
        ]
    )
    (HERE / "results" / f"text-labs-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
