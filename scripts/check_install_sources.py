#!/usr/bin/env python3
"""Fail when an install file names anything but a package registry.

A fresh machine has only the registries (PyPI, Debian): a requirement pinned to a wheel in a local
folder, a `file://` or VCS URL, or an extra index works on the machine it was written on and
nowhere else. This check reads the install files (no network) and prints every offending line with
its file and line number. It runs first in `make test` and so in CI.

Usage: python scripts/check_install_sources.py [ROOT]   (exit 0 clean, 1 offending lines found)
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

# A requirement line in constraints or requirements files: name, optional extras and markers,
# then only version specifiers (==, >=, ~= ...). Anything else ("name @ URL", a path) is refused.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"^{_NAME}(?:\[[A-Za-z0-9._,\s-]+\])?"
    r"\s*(?:(?:===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|~=|!=|<=|>=|<|>)"
    r"\s*[A-Za-z0-9.*+!_-]+\s*)*)?(?:;.*)?$"
)

# Text that points at a non-registry source wherever it appears in a shell command or Makefile.
_FORBIDDEN_IN_COMMANDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"file:/", re.IGNORECASE), "a file:// URL"),
    (re.compile(r"\b(?:git|hg|svn|bzr)\+", re.IGNORECASE), "a VCS URL"),
    (re.compile(r"(?<![\w-])(?:--find-links|-f)\b(?!\s*-)"), "--find-links (a local source)"),
    (re.compile(r"--(?:extra-)?index-url\b"), "a package index other than the default registry"),
    (re.compile(r"\S+\.whl\b"), "a wheel file"),
    (re.compile(r"\S+\.tar\.gz\b"), "a source archive file"),
    (re.compile(r"\s@\s"), "a direct reference (name @ URL)"),
)

# Settings that point pip or uv at another source, wherever they are set.
_SOURCE_SETTINGS = re.compile(
    r"\b(PIP_(?:EXTRA_)?INDEX_URL|PIP_FIND_LINKS|PIP_TRUSTED_HOST|UV_(?:EXTRA_)?INDEX_URL|"
    r"UV_INDEX|UV_FIND_LINKS|UV_DEFAULT_INDEX)\b"
)

# pip and apt lines in shell scripts and Makefiles: only names (with versions) may follow.
_PIP_INSTALL = re.compile(r"\bpip\b[^\n]*\binstall\b")
_APT_INSTALL = re.compile(r"\bapt(?:-get)?\b[^\n]*\binstall\b")


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}: {self.text.strip()}"


def _check_requirement_lines(path: Path, rel: str) -> list[Offence]:
    found: list[Offence] = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            why = "an option line (only 'name==version' is allowed)"
            found.append(Offence(rel, number, raw, why))
        elif not _REQUIREMENT.match(line):
            found.append(Offence(rel, number, raw, "not a registry requirement 'name==version'"))
    return found


def _check_pyproject(path: Path, rel: str) -> list[Offence]:
    data = tomllib.loads(path.read_text("utf-8"))
    project = data.get("project", {})
    requirements: list[str] = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    requirements.extend(data.get("build-system", {}).get("requires", []))
    lines = path.read_text("utf-8").splitlines()
    found: list[Offence] = []
    tool = data.get("tool", {})
    for section in ("pip",):
        if section in tool:
            found.append(Offence(rel, 0, f"[tool.{section}]", "pip settings in pyproject.toml"))
    uv = tool.get("uv", {})
    for key in ("sources", "index", "find-links", "extra-index-url", "index-url"):
        if key in uv:
            found.append(Offence(rel, 0, f"[tool.uv] {key}", "a package source other than PyPI"))
    for requirement in requirements:
        if _REQUIREMENT.match(requirement.strip()):
            continue
        number = next((i for i, text in enumerate(lines, 1) if requirement in text), 0)
        found.append(Offence(rel, number, requirement, "not a registry requirement"))
    return found


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        out.append((start, pending + raw))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _check_commands(path: Path, rel: str) -> list[Offence]:
    found: list[Offence] = []
    for number, raw in _logical_lines(path.read_text("utf-8")):
        code = raw.split("#", 1)[0] if not raw.lstrip().startswith("#") else ""
        if _SOURCE_SETTINGS.search(code):
            found.append(Offence(rel, number, raw, "a setting that adds a package source"))
            continue
        if not (_PIP_INSTALL.search(code) or _APT_INSTALL.search(code)):
            continue
        for pattern, why in _FORBIDDEN_IN_COMMANDS:
            if pattern.search(code):
                found.append(Offence(rel, number, raw, why))
        if _APT_INSTALL.search(code) and re.search(r"\s(?:\.{0,2}/)\S+\.deb\b", code):
            found.append(Offence(rel, number, raw, "a local .deb file"))
    return found


def install_files(root: Path) -> list[Path]:
    """Every file that decides what gets installed."""
    files = [root / "constraints.txt", root / "pyproject.toml", root / "Makefile"]
    files.extend(sorted(root.glob("requirements*.txt")))
    files.extend(root / name for name in ("pip.conf", "uv.toml", ".pip.conf"))
    for folder in ("scripts", ".ci"):
        files.extend(p for p in sorted((root / folder).glob("*")) if p.is_file())
    files.extend(sorted((root / "tests").rglob("*.sh")))
    return [f for f in files if f.is_file()]


def check(root: Path) -> list[Offence]:
    found: list[Offence] = []
    for path in install_files(root):
        rel = path.relative_to(root).as_posix()
        if path.name == Path(__file__).name:
            continue  # this file names the forbidden forms in order to find them
        if path.name in ("pip.conf", "uv.toml", ".pip.conf"):
            found.append(Offence(rel, 1, path.name, "a package-installer configuration file"))
        elif path.name.endswith(".txt"):
            found.extend(_check_requirement_lines(path, rel))
        elif path.name == "pyproject.toml":
            found.extend(_check_pyproject(path, rel))
        else:
            found.extend(_check_commands(path, rel))
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    offences = check(root)
    for offence in offences:
        print(offence, file=sys.stderr)
    if offences:
        print(
            f"{len(offences)} install line(s) name a source other than the package registries; "
            "pin the package by name and version instead (e.g. 'name==1.2.3').",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
