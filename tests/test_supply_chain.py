"""The supply chain is pinned by hash: one lock, installs that refuse what it does not name.

Offline and cheap: the install drills use uv (the version the sessions use) against a
wheel built here, from a local directory with no index (``--no-index``).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import requirements_lock  # noqa: E402

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def test_the_lock_matches_constraints_and_every_declared_dependency() -> None:
    assert requirements_lock.problems(ROOT) == []


def _tree(tmp_path: Path) -> Path:
    """The lock's inputs and the lock itself, copied: a drill may change them."""
    for name in ("constraints.txt", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    for pyproject in (ROOT / "packages").glob("*/pyproject.toml"):
        target = tmp_path / pyproject.relative_to(ROOT)
        target.parent.mkdir(parents=True)
        shutil.copy(pyproject, target)
    return tmp_path


def test_a_new_declared_dependency_fails_the_check_and_names_the_command(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    pyproject = root / "packages" / "gates" / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("dependencies = [", 'dependencies = [\n    "not-in-the-lock>=1.0",', 1))
    found = requirements_lock.problems(root)
    assert any("not-in-the-lock" in line for line in found), found
    assert all("`nox -s lock`" in line for line in found), found


def test_a_changed_constraint_fails_the_check(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    constraints = root / "constraints.txt"
    constraints.write_text(constraints.read_text().replace("polars==", "polars==0.0.1 # was ", 1))
    found = requirements_lock.problems(root)
    assert found
    assert all("`nox -s lock`" in line for line in found), found


def test_every_locked_entry_is_pinned_and_hashed() -> None:
    pins = requirements_lock.parse(requirements_lock.LOCK.read_text())
    assert len(pins) > 50
    for pin in pins.values():
        assert pin.version, pin.name
        assert "--hash=sha256:" in pin.text, f"{pin.name} has no hash"


def test_every_session_install_requires_hashes_or_takes_no_dependencies() -> None:
    """No session installs around the lock: each `session.install` call hashes or is --no-deps."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "install"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "session"
    ]
    assert calls
    for call in calls:
        literals = {arg.value for arg in call.args if isinstance(arg, ast.Constant)}
        assert literals & {"--require-hashes", "--no-deps"}, (
            f"noxfile.py:{call.lineno} installs without hashes"
        )
        if "--no-deps" in literals and "--require-hashes" not in literals:  # the local packages, by path
            assert "--no-build-isolation" in literals, (
                f"noxfile.py:{call.lineno} builds local packages in an isolated env (an unpinned backend)"
            )


def test_no_pre_commit_hook_installs_its_own_tools() -> None:
    """Every hook runs a tool from PATH (`language: unsupported`, no `additional_dependencies`, which
    pre-commit would install by version, unhashed); each tool it runs is one `nox -s lint` installs
    from the lock with hashes (LINT_TOOLS), or a script of this repository run by that Python."""
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks
    assert all(repo["repo"] == "local" for repo in config["repos"])
    for hook in hooks:
        assert hook["language"] == "unsupported", f"{hook['id']}: language {hook['language']}"
        assert "additional_dependencies" not in hook, f"{hook['id']} installs its own, unhashed"
        program, *rest = hook["entry"].split()
        if program == "python":
            script = ROOT / rest[0]
            assert script.is_file(), hook["entry"]
            assert script.parent.name == "tools", hook["entry"]
        else:
            # ruff, check-jsonschema and zizmor: the executable is named as the distribution
            assert program in requirements_lock.LINT_TOOLS, f"{hook['id']}: {program}"
    pins = requirements_lock.parse(requirements_lock.LOCK.read_text())
    for tool in requirements_lock.LINT_TOOLS:
        assert tool in pins, f"{tool} is not in the lock"
        assert "--hash=sha256:" in pins[tool].text, f"{tool} is not hashed"
    imports = (ROOT / "tools" / "import_contracts.py").read_text()
    assert "lint-imports" in imports
    assert "import-linter" in requirements_lock.LINT_TOOLS


def test_the_build_backend_comes_from_the_lock_hashed() -> None:
    """The local packages are built by the backend their pyprojects name, pinned and hashed in the lock."""
    pins = requirements_lock.parse(requirements_lock.LOCK.read_text())
    backend = requirements_lock.BUILD_BACKEND
    for name in requirements_lock.BUILD_REQUIREMENTS:
        assert "--hash=sha256:" in pins[name].text, name
    for pyproject in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        build = tomllib.loads(pyproject.read_text())["build-system"]
        assert build["build-backend"].split(".")[0] == backend, pyproject
        assert all(requirements_lock.requirement_name(r) == backend for r in build["requires"]), pyproject


def _wheel(directory: Path) -> Path:
    """A minimal valid wheel of a package `aurora-drill` 1.0."""
    files = {
        "aurora_drill/__init__.py": b"VALUE = 1\n",
        "aurora_drill-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: aurora-drill\nVersion: 1.0\n",
        "aurora_drill-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("aurora_drill-1.0.dist-info/RECORD,,")
    path = directory / "aurora_drill-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr("aurora_drill-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def _install(tmp_path: Path, requirements: str) -> subprocess.CompletedProcess[str]:
    assert UV is not None, "uv is not installed beside this interpreter (nox -s l0 installs it from the lock)"
    venv = tmp_path / "venv"
    if not venv.exists():
        subprocess.run(
            [UV, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
        )
    (tmp_path / "requirements.txt").write_text(requirements)
    return subprocess.run(
        [
            *(UV, "pip", "install", "--python", str(venv / "bin" / "python"), "--offline", "--no-index"),
            *(
                "--find-links",
                str(tmp_path / "wheels"),
                "--require-hashes",
                "-r",
                str(tmp_path / "requirements.txt"),
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "UV_NO_CACHE": "1", "HOME": str(tmp_path)},
    )


@pytest.fixture
def wheel_sha(tmp_path: Path) -> str:
    (tmp_path / "wheels").mkdir()
    return hashlib.sha256(_wheel(tmp_path / "wheels").read_bytes()).hexdigest()


def test_the_right_hash_installs(tmp_path: Path, wheel_sha: str) -> None:
    done = _install(tmp_path, f"aurora-drill==1.0 --hash=sha256:{wheel_sha}\n")
    assert done.returncode == 0, done.stderr


def test_a_tampered_hash_is_refused(tmp_path: Path, wheel_sha: str) -> None:
    tampered = ("0" if wheel_sha[0] != "0" else "1") + wheel_sha[1:]
    done = _install(tmp_path, f"aurora-drill==1.0 --hash=sha256:{tampered}\n")
    assert done.returncode != 0
    assert "hash" in done.stderr.lower(), done.stderr
    assert not list((tmp_path / "venv").rglob("aurora_drill/__init__.py")), "a refused artifact was installed"


def test_an_unhashed_requirement_is_refused(tmp_path: Path, wheel_sha: str) -> None:
    done = _install(tmp_path, "aurora-drill==1.0\n")
    assert done.returncode != 0
    assert "hash" in done.stderr.lower(), done.stderr


def _lock_pin_install(
    venv: Path, pin: requirements_lock.Pin, hashes: list[str]
) -> subprocess.CompletedProcess[str]:
    """``uv pip install --require-hashes`` of one real pin of the lock into ``venv``, from uv's own
    cache (or the registry, when the cache lacks it: uv checks the hash either way)."""
    assert UV is not None, "uv is not installed beside this interpreter (nox -s l0 installs it from the lock)"
    if not venv.exists():
        subprocess.run(
            [UV, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
        )
    wanted = venv.parent / "requirements.txt"
    wanted.write_text(f"{pin.name}=={pin.version} " + " ".join(f"--hash=sha256:{h}" for h in hashes) + "\n")
    return subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            "--require-hashes",
            "-r",
            str(wanted),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_locked_wheel_with_a_tampered_hash_is_refused_and_with_its_own_installs(tmp_path: Path) -> None:
    """The lock's real pin of a small pure-Python wheel (pytest's iniconfig): every hash the lock
    records with one digit changed is refused and nothing is installed; the lock's hashes install."""
    pin = requirements_lock.parse(requirements_lock.LOCK.read_text())["iniconfig"]
    hashes = [
        line.split("sha256:")[1].split()[0] for line in pin.text.splitlines() if "--hash=sha256:" in line
    ]
    assert hashes, pin.text
    tampered = [("0" if h[0] != "0" else "1") + h[1:] for h in hashes]
    venv = tmp_path / "venv"
    refused = _lock_pin_install(venv, pin, tampered)
    assert refused.returncode != 0
    assert "hash mismatch" in refused.stderr.lower(), refused.stderr
    assert not list(venv.rglob("iniconfig/__init__.py")), "a refused wheel was installed"
    installed = _lock_pin_install(venv, pin, hashes)
    assert installed.returncode == 0, installed.stderr
    assert list(venv.rglob("iniconfig/__init__.py"))
