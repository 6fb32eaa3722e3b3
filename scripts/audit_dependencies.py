#!/usr/bin/env python3
"""Check the pinned dependencies (constraints.txt) against PyPI's vulnerability data.

PyPI's JSON API (the registry every install here already uses) gives, for each project, the known
vulnerabilities (from the OSV database) of its newest release. A pin at the newest release is
therefore checked exactly; a pin behind it is reported with the newest release's advisories, if
any, and listed as not fully checkable (the per-version API and the OSV service are not reachable
from this build network). Exit 1 when a known vulnerability affects a pin at the newest release
or has no fixed version; exit 0 otherwise. A network failure is reported and does not fail:
the audit then says plainly that it could not run.

Usage: python scripts/audit_dependencies.py [constraints.txt]
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
API = "https://pypi.org/pypi/{name}/json"


@dataclass
class Result:
    name: str
    pinned: str
    newest: str | None = None
    advisories: list[dict[str, object]] = field(default_factory=list)
    error: str | None = None


def pins(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        m = PIN.match(line.strip())
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def check(name: str, pinned: str) -> Result:
    result = Result(name, pinned)
    try:
        with urllib.request.urlopen(API.format(name=name), timeout=20) as response:
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        result.error = str(getattr(exc, "reason", exc))
        return result
    result.newest = str(data.get("info", {}).get("version"))
    result.advisories = [v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return result


def main(argv: list[str]) -> int:
    path = (
        Path(argv[1])
        if len(argv) > 1
        else Path(__file__).resolve().parent.parent / "constraints.txt"
    )
    pinned = pins(path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: check(*p), pinned))
    failed = [r for r in results if r.error]
    if len(failed) == len(results):
        print(
            f"dependency audit: could not reach PyPI for any of {len(results)} pins "
            f"({failed[0].error if failed else 'no pins'}); the audit did not run",
            file=sys.stderr,
        )
        return 0
    exact = [r for r in results if not r.error and r.newest == r.pinned]
    behind = [r for r in results if not r.error and r.newest != r.pinned]
    bad = 0
    for r in results:
        for v in r.advisories:
            fixed = ", ".join(str(x) for x in v.get("fixed_in") or []) or "no fixed release"
            at_pin = r.newest == r.pinned
            serious = at_pin or not v.get("fixed_in")
            bad += serious
            where = "the pinned (newest) release" if at_pin else f"the newest release {r.newest}"
            print(
                f"{'VULNERABLE' if serious else 'check'} {r.name}=={r.pinned}: {v.get('id')} "
                f"affects {where}; fixed in {fixed}; {v.get('link') or ''}",
                file=sys.stderr,
            )
    print(
        f"dependency audit: {len(exact)} of {len(results)} pins are the newest release and were "
        f"checked exactly; {len(behind)} are behind it (only the newest release's advisories "
        f"are known); {len(failed)} could not be looked up; {bad} known vulnerabilities "
        "affect the pins",
        file=sys.stderr,
    )
    if behind:
        listing = ", ".join(f"{r.name}=={r.pinned} (newest {r.newest})" for r in behind)
        print(f"  behind the newest release: {listing}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
