"""Validation drills: each L0 check passes on a real run and fails on a real run
broken the way production breaks, naming the artifact and the reason."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aurora_gates import REGISTRY, CheckResult, GateContext, Level, run_check, run_gate


def check(name: str, run_dir: Path, repo_root: Path, **context: object) -> CheckResult:
    from aurora_gates import runner

    runner._load_checks()
    ctx = GateContext(repo_root=repo_root, run_dir=run_dir, **context)  # type: ignore[arg-type]
    return run_check(REGISTRY.get(name), ctx)


def rewrite(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def test_every_l0_check_passes_on_the_real_run(real_run: Path, repo_root: Path) -> None:
    report = run_gate(Level.L0, GateContext(repo_root=repo_root, run_dir=real_run))
    failed = [(r.name, r.reason) for r in report.results if not r.passed]
    assert not failed
    assert {r.name for r in report.results} >= {"snapshot_integrity", "timezone", "schema", "flags"}


class TestTimezoneDrills:
    def test_naive_timestamps(self, run_copy: Path, repo_root: Path) -> None:
        bars = pq.read_table(run_copy / "bars.parquet")
        index = bars.schema.get_field_index("ts")
        naive = bars.column("ts").cast(pa.timestamp("us"))
        rewrite(run_copy / "bars.parquet", bars.set_column(index, pa.field("ts", pa.timestamp("us")), naive))
        result = check("timezone", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "bars.parquet: column 'ts' is not tz-aware UTC"

    def test_summer_bar_shifted_by_the_dst_hour(self, run_copy: Path, repo_root: Path) -> None:
        bars = pq.read_table(run_copy / "bars.parquet")
        ts = bars.column("ts")
        months = pc.month(ts)
        summer = pc.and_(pc.greater_equal(months, 6), pc.less_equal(months, 8))
        shifted = pc.if_else(summer, pc.add(ts, pa.scalar(timedelta(hours=1))), ts)
        rewrite(run_copy / "bars.parquet", bars.set_column(bars.schema.get_field_index("ts"), "ts", shifted))
        result = check("timezone", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "bars.parquet: ts is not the XNYS session close of its date"
        assert result.evidence["expected"].endswith("20:00:00.000000Z")

    def test_duplicate_bar(self, run_copy: Path, repo_root: Path) -> None:
        bars = pq.read_table(run_copy / "bars.parquet")
        doubled = pa.concat_tables([bars.slice(0, 1), bars])
        rewrite(run_copy / "bars.parquet", doubled)
        result = check("timezone", run_copy, repo_root)
        assert not result.passed
        assert "not strictly ordered" in result.reason
        assert result.evidence["artifact"] == "bars.parquet"


class TestSchemaDrills:
    def test_float64_features(self, run_copy: Path, repo_root: Path) -> None:
        features = pq.read_table(run_copy / "features.parquet")
        index = features.schema.get_field_index("ret_1d")
        widened = features.set_column(index, "ret_1d", features.column("ret_1d").cast(pa.float64()))
        rewrite(run_copy / "features.parquet", widened)
        result = check("schema", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "features.parquet: column 'ret_1d' is double, declared float"

    def test_nan_in_a_feature(self, run_copy: Path, repo_root: Path) -> None:
        features = pq.read_table(run_copy / "features.parquet")
        index = features.schema.get_field_index("vol_21d")
        values = features.column("vol_21d").to_numpy().copy()
        values[7] = float("nan")
        field = features.schema.field("vol_21d")
        rewrite(
            run_copy / "features.parquet", features.set_column(index, field, pa.array(values, pa.float32()))
        )
        result = check("schema", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "features.parquet: column 'vol_21d' has NaN/inf/null where forbidden"
        assert (result.evidence["row"], result.evidence["value"]) == (7, "nan")

    def test_missing_column(self, run_copy: Path, repo_root: Path) -> None:
        bars = pq.read_table(run_copy / "bars.parquet").drop_columns(["close_tr"])
        rewrite(run_copy / "bars.parquet", bars)
        result = check("schema", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "bars.parquet: columns differ from the declared schema"


class TestIntegrityDrills:
    def test_one_flipped_byte(self, run_copy: Path, repo_root: Path) -> None:
        path = run_copy / "features.parquet"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        result = check("snapshot_integrity", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "features.parquet: sha256 differs from manifest.json"

    def test_missing_file(self, run_copy: Path, repo_root: Path) -> None:
        (run_copy / "bars.parquet").unlink()
        result = check("snapshot_integrity", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "bars.parquet: listed in manifest.json but missing"

    def test_file_not_covered_by_the_manifest(self, run_copy: Path, repo_root: Path) -> None:
        (run_copy / "extra.parquet").write_bytes(b"PAR1")
        result = check("snapshot_integrity", run_copy, repo_root)
        assert not result.passed
        assert result.evidence["files"] == ["extra.parquet"]

    def test_unpinned_input_snapshot(self, run_copy: Path, repo_root: Path) -> None:
        manifest = json.loads((run_copy / "manifest.json").read_text())
        manifest["snapshot"]["stocks.parquet"] = "0" * 64
        (run_copy / "manifest.json").write_text(json.dumps(manifest))
        result = check("snapshot_integrity", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "the run's input snapshot is not the one its lock pins"

    def test_missing_manifest(self, run_copy: Path, repo_root: Path) -> None:
        (run_copy / "manifest.json").unlink()
        for name in ("snapshot_integrity", "timezone", "schema", "flags"):
            result = check(name, run_copy, repo_root)
            assert not result.passed, name
            assert result.reason == "manifest.json is missing"


class TestFlagDrills:
    def test_flag_defaulted_on(self, run_copy: Path, repo_root: Path, tmp_path: Path) -> None:
        from aurora_safety import flags as flags_module

        declared = Path(flags_module.__file__).with_name("flags.toml").read_text()
        broken = tmp_path / "flags.toml"
        broken.write_text(declared.replace("default = false", "default = true", 1))
        result = check("flags", run_copy, repo_root, flags_file=broken)
        assert not result.passed
        assert result.reason.startswith("flag declarations refused:")
        assert "default" in result.reason

    def test_manifest_flags_differ_from_what_was_asked(self, run_copy: Path, repo_root: Path) -> None:
        manifest = json.loads((run_copy / "manifest.json").read_text())
        manifest["flags"]["hgb_model"] = True
        (run_copy / "manifest.json").write_text(json.dumps(manifest))
        result = check("flags", run_copy, repo_root)
        assert not result.passed
        assert result.reason == "manifest.json flags differ from what config and environment ask for"

    def test_rollback_must_be_honoured(self, run_copy: Path, repo_root: Path) -> None:
        manifest = json.loads((run_copy / "manifest.json").read_text())
        manifest["config"]["flags"] = {"hgb_model": True}
        manifest["flags"]["hgb_model"] = True
        (run_copy / "manifest.json").write_text(json.dumps(manifest))
        assert check("flags", run_copy, repo_root).passed  # asked for, recorded: consistent
        rolled_back = check("flags", run_copy, repo_root, environ={"AURORA_ROLLBACK": "1"})
        assert not rolled_back.passed
        assert rolled_back.evidence["expected"] == {"hgb_model": False}
