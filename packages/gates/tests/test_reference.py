"""The reference the gates judge runs on: where aurora.toml points, what the goldens record, and the
one-line refusal of a run over another snapshot (in-process and through `aurora ratchet`; no run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from aurora_e2d.core.reference import find_goldens, locate_goldens
from aurora_e2d.data.ingest import load_lock
from aurora_gates.ratchet import Goldens, RatchetError, load_goldens
from aurora_gates.reference import config_hash_without_window, load_reference, require_run_on_reference
from aurora_safety import ConfigError
from gates_helpers import REPO_ROOT, aurora_exe, clean_env

BUNDLED_LOCK = load_lock(REPO_ROOT / "goldens" / "snapshot")[1]
OTHER_LOCK = "0" * 64


def repo(tmp_path: Path, project: str | None = None) -> Path:
    root = tmp_path / "repo"
    (root / "goldens").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "goldens" / "metrics.json", root / "goldens" / "metrics.json")
    (root / "noxfile.py").write_text("")
    if project is not None:
        (root / "aurora.toml").write_text(project)
    return root


def team_goldens(root: Path, lock: str = OTHER_LOCK) -> Path:
    data = json.loads((root / "goldens" / "metrics.json").read_text())
    data["reference"] = {
        "snapshot_lock_sha256": lock,
        "snapshot": "../snap",
        "config": None,
        "config_hash": None,
    }
    (root / "team").mkdir()
    (root / "team" / "metrics.json").write_text(json.dumps(data))
    return root / "team"


def run_over(tmp_path: Path, lock: str | None) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    identity = {} if lock is None else {"snapshot_identity": {"lock_sha256": lock}}
    (run / "manifest.json").write_text(json.dumps({"flags": {}, **identity}))
    return run


class TestLocation:
    def test_without_a_project_file_the_bundled_goldens_judge(self, tmp_path: Path) -> None:
        root = repo(tmp_path)
        reference = load_reference(root)
        assert reference.location.bundled
        assert reference.lock_sha256 == BUNDLED_LOCK
        assert reference.run_args() == []
        assert reference.config_hash == config_hash_without_window()

    def test_a_project_file_without_gates_is_the_bundled_goldens(self, tmp_path: Path) -> None:
        assert locate_goldens(repo(tmp_path, "[other]\nx = 1\n")).bundled

    def test_gates_goldens_names_the_teams_directory(self, tmp_path: Path) -> None:
        root = repo(tmp_path, '[gates]\ngoldens = "team"\n')
        team_goldens(root)
        reference = load_reference(root)
        assert reference.directory == root / "team"
        assert reference.lock_sha256 == OTHER_LOCK
        assert reference.snapshot_dir == (root / "snap").resolve()
        assert reference.run_args() == ["--snapshot", str((root / "snap").resolve())]
        assert reference.describe().startswith(
            "goldens team/metrics.json (aurora.toml [gates] goldens): snapshot "
        )
        assert find_goldens(root / "team").directory == root / "team"  # from below, as `aurora bless` looks

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                "[gates]\ngoldens = 3\n",
                "'gates.goldens' must be a directory path (relative to aurora.toml), was 3",
            ),
            ("[gates]\nsnapshot = 'x'\n", "'gates.snapshot' is not a known field (allowed: goldens)"),
            ("gates = 1\n", "'gates' must be a table, was 'int'"),
            ("[gates\n", "'project file' must be valid TOML"),
        ],
    )
    def test_a_bad_project_file_is_one_line_naming_it(self, tmp_path: Path, text: str, message: str) -> None:
        root = repo(tmp_path, text)
        with pytest.raises(ConfigError) as error:
            locate_goldens(root)
        assert str(error.value).startswith(message), str(error.value)
        assert str(error.value).endswith(f"({root / 'aurora.toml'})") or "TOML" in str(error.value)

    def test_goldens_the_project_file_names_but_that_do_not_exist(self, tmp_path: Path) -> None:
        root = repo(tmp_path, '[gates]\ngoldens = "nowhere"\n')
        with pytest.raises(RatchetError, match=r"nowhere/metrics.json: goldens file does not exist$"):
            load_reference(root)


class TestGoldensFormat:
    def test_the_bundled_goldens_record_the_bundled_snapshot(self) -> None:
        goldens = load_goldens(REPO_ROOT / "goldens" / "metrics.json")
        assert goldens.reference is not None
        assert goldens.reference.snapshot_lock_sha256 == BUNDLED_LOCK
        assert goldens.reference.snapshot is None
        assert goldens.reference.config is None

    def test_goldens_without_a_reference_still_read_and_belong_to_the_bundled_snapshot(
        self, tmp_path: Path
    ) -> None:
        root = repo(tmp_path)
        data = json.loads((root / "goldens" / "metrics.json").read_text())
        del data["reference"]
        (root / "goldens" / "metrics.json").write_text(json.dumps(data))
        reference = load_reference(root)
        assert reference.goldens.reference is None
        assert reference.lock_sha256 == BUNDLED_LOCK
        assert "reference" not in reference.goldens.as_dict()  # written back as it was read

    @pytest.mark.parametrize(
        ("reference", "message"),
        [
            (
                {"snapshot_lock_sha256": "x"},
                "'reference'.snapshot_lock_sha256 must be a sha256 hex digest, was 'x'",
            ),
            ({"snapshot_lock_sha256": OTHER_LOCK, "lock": 1}, "'reference': unknown key 'lock'"),
            (
                {"snapshot_lock_sha256": OTHER_LOCK, "config": "c.json"},
                "'config' and 'config_hash' go together",
            ),
            (
                {"snapshot_lock_sha256": OTHER_LOCK, "snapshot": ""},
                "'reference'.snapshot must be a path or null",
            ),
        ],
    )
    def test_a_bad_reference_is_refused(self, reference: dict, message: str) -> None:
        data = json.loads((REPO_ROOT / "goldens" / "metrics.json").read_text())
        with pytest.raises(RatchetError) as error:
            Goldens.from_dict({**data, "reference": reference}, "g.json")
        assert message in str(error.value)


class TestRefusal:
    def test_a_run_over_the_reference_snapshot_is_accepted(self, tmp_path: Path) -> None:
        require_run_on_reference(run_over(tmp_path, BUNDLED_LOCK), load_reference(repo(tmp_path)))

    @pytest.mark.parametrize("lock", [OTHER_LOCK, None])
    def test_a_run_over_another_snapshot_is_refused(self, tmp_path: Path, lock: str | None) -> None:
        run = run_over(tmp_path, lock)
        with pytest.raises(RatchetError) as error:
            require_run_on_reference(run, load_reference(repo(tmp_path)))
        assert str(error.value) == (
            f"{run}: the run is over snapshot {str(lock)[:12]}, but the goldens goldens/metrics.json belong to "
            f"snapshot {BUNDLED_LOCK[:12]} (bundled); compare runs of the reference snapshot, or name this "
            "snapshot's goldens in aurora.toml [gates] goldens"
        )

    def test_aurora_ratchet_refuses_with_one_line_and_exit_2(self, tmp_path: Path) -> None:
        root = repo(tmp_path, '[gates]\ngoldens = "team"\n')
        team_goldens(root)
        run = run_over(tmp_path, BUNDLED_LOCK)  # a bundled run, judged by the team's goldens
        done = subprocess.run(
            [aurora_exe(), "ratchet", "--run-dir", str(run)],
            cwd=root,
            env=clean_env(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.strip().splitlines() == [
            f"aurora: error: {run}: the run is over snapshot {BUNDLED_LOCK[:12]}, but the goldens "
            f"team/metrics.json belong to snapshot {OTHER_LOCK[:12]} (aurora.toml [gates] goldens); compare runs "
            "of the reference snapshot, or name this snapshot's goldens in aurora.toml [gates] goldens"
        ]


class TestGoldensInitRefusals:
    """`aurora goldens init` refuses before it runs anything (exit 2, one line)."""

    def init(self, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [aurora_exe(), "goldens", "init", *args],
            cwd=root,
            env=clean_env(),
            capture_output=True,
            text=True,
        )

    def test_without_a_named_goldens_directory(self, tmp_path: Path) -> None:
        done = self.init(repo(tmp_path), "--snapshot", "snap")
        assert done.returncode == 2
        assert done.stderr.strip() == (
            "aurora: error: name the goldens directory to write: --goldens-dir DIR (recorded in aurora.toml [gates])"
        )

    def test_over_the_bundled_goldens(self, tmp_path: Path) -> None:
        root = repo(tmp_path)
        done = self.init(root, "--snapshot", "snap", "--goldens-dir", "goldens")
        assert done.returncode == 2
        assert done.stderr.strip().startswith(
            f"aurora: error: {root / 'goldens'} holds the bundled demo's goldens"
        )

    def test_another_directory_than_aurora_toml_names(self, tmp_path: Path) -> None:
        root = repo(tmp_path, '[gates]\ngoldens = "team"\n')
        done = self.init(root, "--snapshot", "snap", "--goldens-dir", "other")
        assert done.returncode == 2
        assert done.stderr.strip() == (
            f"aurora: error: {root / 'aurora.toml'} names goldens {root / 'team'}, not {root / 'other'}: "
            "edit [gates] goldens there first, or omit --goldens-dir"
        )

    def test_a_directory_that_is_not_a_snapshot(self, tmp_path: Path) -> None:
        root = repo(tmp_path)
        done = self.init(root, "--snapshot", "nowhere", "--goldens-dir", "team")
        assert done.returncode == 2
        assert done.stderr.strip() == (
            "aurora: error: nowhere: snapshot directory is missing (no such directory); "
            "make one with `aurora data import`"
        )
        assert not (root / "team").exists()
        assert not (root / "aurora.toml").exists()
