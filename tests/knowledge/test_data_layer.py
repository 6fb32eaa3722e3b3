"""Only knowledge/ opens the data shipped in the package (issue: one knowledge layer)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "osteodx"


def _imports_resources(path: Path) -> bool:
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.startswith("importlib.resources") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").startswith("importlib.resources")
            or (node.module == "importlib" and any(a.name == "resources" for a in node.names))
        ):
            return True
    return False


def test_no_module_outside_knowledge_opens_package_data() -> None:
    outside = [
        p.relative_to(SRC).as_posix()
        for p in sorted(SRC.rglob("*.py"))
        if "knowledge" not in p.relative_to(SRC).parts and _imports_resources(p)
    ]
    assert outside == []


def test_the_check_finds_an_import_of_importlib_resources(tmp_path: Path) -> None:
    for source in (
        "from importlib import resources\n",
        "import importlib.resources\n",
        "from importlib.resources import files\n",
    ):
        path = tmp_path / "m.py"
        path.write_text(source, "utf-8")
        assert _imports_resources(path)
    (tmp_path / "m.py").write_text("from importlib import metadata\n", "utf-8")
    assert not _imports_resources(tmp_path / "m.py")


def test_no_shipped_yaml_file_repeats_a_key() -> None:
    import yaml

    from osteodx.case._read import DuplicateKeyError, _StrictSafeLoader

    for path in sorted(SRC.rglob("*.yaml")):
        try:
            yaml.load(path.read_text("utf-8"), Loader=_StrictSafeLoader)
        except DuplicateKeyError as exc:  # pragma: no cover - the failure message
            raise AssertionError(f"{path.relative_to(SRC)}: {exc.msg} (line {exc.line})") from None
