"""`osteodx rank --dask`: a real two-worker LocalCluster gives the single-process output, line for
line; a missing scheduler or a missing Dask is a clear error with exit code 2."""

from __future__ import annotations

import socket
import sys
import zipfile
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from osteodx.batch import Counts, rank_stream
from osteodx.cli import app

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
STORE = REPO.parent / "shared" / "data" / "phenopacket-store" / "all_phenopackets.zip"
runner = CliRunner()


def _input_lines() -> list[bytes]:
    """300 records: real corpus phenopackets (or the examples), plus refused and blank lines."""
    docs: list[bytes] = []
    if STORE.is_file():
        with zipfile.ZipFile(STORE) as zf:
            names = sorted(n for n in zf.namelist() if n.endswith(".json"))
            docs = [orjson.dumps(orjson.loads(zf.read(n))) for n in names[::36]][:290]
    else:
        base = orjson.loads((EXAMPLES / "founding-case.json").read_bytes())
        docs = [orjson.dumps({**base, "id": f"c{i}"}) for i in range(290)]
    docs[10:10] = [b"{broken", b"", orjson.dumps({"phenotypicFeatures": [{"type": {"id": 3}}]})]
    return docs


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as local:
        yield local


def _single_process(path: Path) -> bytes:
    return b"".join(block for block, _ in rank_stream([str(path)], workers=1))


def _single_counts(path: Path) -> Counts:
    return sum((counts for _, counts in rank_stream([str(path)], workers=1)), Counts())


def test_dask_output_folder_equals_the_single_process_output(cluster, tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_bytes(b"\n".join(_input_lines()) + b"\n")
    out = tmp_path / "ranked"
    args = ["rank", "--dask", cluster.scheduler_address, str(source), "-o", str(out)]
    result = runner.invoke(app, [*args, "--blocksize", "150000"])
    assert result.exit_code == 3, result.output  # the broken lines are refused
    parts = sorted(out.glob("part-*.jsonl"))
    assert len(parts) > 3  # really partitioned
    dask_lines = b"".join(p.read_bytes() for p in parts).splitlines()
    single = _single_process(source).splitlines()
    assert dask_lines == single
    assert len(single) == len(_input_lines()) - 1  # the blank line gives no record
    counts = _single_counts(source)
    assert counts.refused >= 2
    summary = f"read {counts.read}, refused {counts.refused}, out of scope {counts.out_of_scope}"
    assert summary in result.output


def test_dask_output_to_a_file_keeps_input_order(cluster, tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_bytes(b"\n".join(_input_lines()[:120]) + b"\n")
    out = tmp_path / "ranked.jsonl"
    args = ["rank", "--dask", cluster.scheduler_address, str(source), "-o", str(out)]
    result = runner.invoke(app, [*args, "--blocksize", "40000"])
    assert result.exit_code == 3, result.output
    assert out.read_bytes() == _single_process(source)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_scheduler_exits_2_with_the_address(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_bytes((EXAMPLES / "founding-case.json").read_bytes().replace(b"\n", b"") + b"\n")
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = runner.invoke(app, ["rank", "--dask", address, str(source)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
    assert address in result.output
    assert "Traceback" not in result.output


def test_without_dask_installed_the_option_exits_2_and_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_bytes(b"{}\n")
    for name in [m for m in sys.modules if m == "dask" or m.startswith(("dask.", "distributed"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)  # makes `import dask` raise ImportError
    result = runner.invoke(app, ["rank", "--dask", "tcp://127.0.0.1:1", str(source)])
    assert result.exit_code == 2
    assert "osteodx[dask]" in result.output
