"""benchmarks/run_all.py: selection, the table of ratios and targets, run_all.json (fake scripts and results)."""

import importlib.util
import json
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entry(name, value, baseline=None, target=None, higher=True, unit="x"):
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "target": target,
        "higher_is_better": higher,
    }


@pytest.fixture
def bench_dir(tmp_path):
    """Two fake benchmark scripts that write their results files, plus one saved result without a script."""
    results = tmp_path / "results"
    results.mkdir()
    for stem, entries in {
        "bench_fast": [_entry("speed-up", 8.5, baseline=1.0, target=8.0), _entry("rss", 120.0, 100.0, 110.0, False)],
        "bench_slow": [_entry("samples/s", 30.0, baseline=10.0, target=40.0), _entry("load", 1.2, unit="load/CPU")],
    }.items():
        script = f"import json, pathlib\npathlib.Path({str(results / f'{stem}.json')!r}).write_text({json.dumps(json.dumps(entries))})\n"
        (tmp_path / f"{stem}.py").write_text(script)
    (results / "bench_saved.json").write_text(json.dumps([_entry("identical", 1.0, 1.0, 1.0, None)]))
    return tmp_path


def test_met_and_ratio_rules(run_all):
    assert run_all.is_met(8.5, 8.0, True) is True
    assert run_all.is_met(7.9, 8.0, True) is False
    assert run_all.is_met(120.0, 110.0, False) is False
    assert run_all.is_met(100.0, 110.0, False) is True
    assert run_all.is_met(1.0, 1.0, None) is True
    assert run_all.is_met(1.0, None, True) is None
    assert run_all.ratio(30.0, 10.0) == 3.0
    assert run_all.ratio(30.0, None) is None and run_all.ratio(30.0, 0) is None


def test_select_only_skip_and_unknown_names(run_all):
    names = ["bench_eval", "bench_model", "bench_training"]
    assert run_all.select(names, ["eval", "bench_model.py"], None) == ["bench_eval", "bench_model"]
    assert run_all.select(names, None, ["training"]) == ["bench_eval", "bench_model"]
    with pytest.raises(ValueError, match="unknown benchmark"):
        run_all.select(names, ["nope"], None)


def test_runs_scripts_then_tabulates(run_all, bench_dir, capsys):
    assert run_all.main(["--bench-dir", str(bench_dir), "--skip", "slow"]) == 0
    out = capsys.readouterr().out
    assert "bench_fast exit 0" in out and "bench_slow" not in out.split("benchmark")[0]
    saved = json.loads((bench_dir / "results" / "run_all.json").read_text())
    assert [r["benchmark"] for r in saved["runs"]] == ["bench_fast"]
    rows = {(r["benchmark"], r["name"]): r for r in saved["rows"]}
    assert rows[("bench_fast", "speed-up")]["ratio"] == 8.5 and rows[("bench_fast", "speed-up")]["met"] is True
    assert rows[("bench_fast", "rss")]["ratio"] == pytest.approx(1.2) and rows[("bench_fast", "rss")]["met"] is False
    assert rows[("bench_saved", "identical")]["met"] is True  # a results file without a script is still shown
    assert saved["summary"] == {"met": 2, "missed": 1, "no_target": 0, "failed_scripts": []}


def test_table_only_with_only(run_all, bench_dir, capsys):
    (bench_dir / "results" / "bench_slow.json").write_text(
        json.dumps([_entry("samples/s", 30.0, baseline=10.0, target=40.0), _entry("load", 1.2)])
    )
    assert run_all.main(["--bench-dir", str(bench_dir), "--table-only", "--only", "slow"]) == 0
    table = capsys.readouterr().out
    header, rule, *lines = table.splitlines()[:4]
    assert header.split() == ["benchmark", "name", "value", "unit", "baseline", "ratio", "target", "met"]
    assert "bench_slow  samples/s" in lines[0] and lines[0].rstrip().endswith("NO") and " 3 " in lines[0]
    saved = json.loads((bench_dir / "results" / "run_all.json").read_text())
    assert saved["runs"] == [] and saved["summary"]["no_target"] == 1


def test_missing_results_file_and_failing_script(run_all, bench_dir):
    (bench_dir / "bench_broken.py").write_text("raise SystemExit(3)\n")
    assert run_all.main(["--bench-dir", str(bench_dir), "--only", "broken"]) == 1
    saved = json.loads((bench_dir / "results" / "run_all.json").read_text())
    assert saved["rows"] == [{"benchmark": "bench_broken", "name": "(no results file)", "met": None}]
    assert saved["summary"]["failed_scripts"] == ["bench_broken"]
