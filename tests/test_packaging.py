"""The schemas ship inside the wheel and load from both the wheel and the editable install."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

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


# ------------------------------------------------------------------------------------------------
# Dependencies: the constraints file, and what start-up imports.


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins() -> dict[str, str]:
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("==") for line in lines if line and not line.startswith("#")]
    assert all(len(pair) == 2 for pair in pairs), "every line of constraints.txt is NAME==VERSION"
    return {_name(name): version for name, version in pairs}


def _closure(name: str, seen: set[str]) -> set[str]:
    """`name` and every requirement it has in this environment (no extras), recursively."""
    seen.add(_name(name))
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is not None and not marker.evaluate({"extra": ""}):
            continue
        if _name(requirement.name) not in seen:
            _closure(requirement.name, seen)
    return seen


def test_constraints_pin_every_runtime_dependency_within_pyproject() -> None:
    pins = _pins()
    needed = _closure("connectorctl", set()) - {"connectorctl"}
    assert needed - set(pins) == set()
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    for text in declared["project"]["dependencies"]:
        requirement = Requirement(text)
        assert requirement.specifier.contains(pins[_name(requirement.name)]), text
    assert {"starlette", "uvicorn", "httpx", "ruamel-yaml-clib"} <= set(pins)


def test_the_emulator_extra_is_an_empty_alias() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert declared["project"]["optional-dependencies"]["emulator"] == []
    names = [Requirement(t).name for t in declared["project"]["dependencies"]]
    assert {"starlette", "uvicorn"} <= set(names)


def _imported_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "connectorctl", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def test_version_help_and_validate_import_no_server_and_no_http_client() -> None:
    for args in (["--version"], ["--help"], ["validate", str(REPO / "examples" / "connectors")]):
        top = {module.split(".")[0] for module in _imported_modules(*args)}
        assert top & {"starlette", "uvicorn", "httpx", "anyio", "httpcore"} == set(), args


def test_a_missing_emulator_dependency_is_one_line_exit_1(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['starlette'] = None\n"
        "from connectorctl.cli import run_cli\n"
        "sys.exit(run_cli(['plan', '--emulator']))\n"
    )
    (tmp_path / "c.yaml").write_text(
        "apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: kk\nname: N\n"
        "creator: {email: a@b.example}\n"
        "repository: {url: 'https://github.com/acme/c', tag: v1.0.0}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr == (
        "error: the local emulator needs starlette, which is not installed; "
        "reinstall connectorctl with its default dependencies\n"
    )
