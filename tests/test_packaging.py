"""The schemas ship inside the wheel and load from both the wheel and the editable install."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from connectorctl.resources import load_schema, schema_text

REPO = Path(__file__).resolve().parents[1]


def test_editable_install_loads_every_schema_from_the_one_copy() -> None:
    for path in sorted((REPO / "schemas").glob("*.json")):
        assert schema_text(path.name) == path.read_text(encoding="utf-8")
    assert load_schema("manifest.schema.json")["properties"]["apiVersion"]["const"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # offline: use the installed backend
    result = subprocess.run([*command, str(REPO)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip()[-300:]}")
    (built,) = out.glob("connectorctl-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_every_schema(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {p.name for p in (REPO / "schemas").glob("*.json")}
    for name in shipped:
        assert f"connectorctl/_schemas/{name}" in names


@pytest.mark.slow
def test_installed_wheel_loads_schemas_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    probe = (
        "import connectorctl, connectorctl.resources as r;"
        "print(connectorctl.__file__);"
        "print(r.load_schema('manifest.schema.json')['properties']['kind']['const'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module_file, kind = result.stdout.splitlines()
    assert module_file.startswith(str(tmp_path / "site"))
    assert kind == "ConnectorStaged"
