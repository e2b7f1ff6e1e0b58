"""The benchmark scripts still run (quick modes) and write their reports."""

import importlib.util
import pathlib

import pytest

BENCHMARKS = pathlib.Path(__file__).parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", BENCHMARKS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_benchmark_quick_mode(tmp_path):
    table = load("accuracy").main(["--quick", "--out", str(tmp_path)])
    (results,) = table[5]
    assert set(results) == set(load("accuracy").METHODS)
    for accuracy, seconds in results.values():
        assert 0.0 <= accuracy <= 1.0 and seconds >= 0.0
    page = (tmp_path / "benchmarks.md").read_text()
    assert "## Accuracy (digits)" in page and "LabelSpreading" in page
    assert (tmp_path / "benchmarks_accuracy_digits.png").stat().st_size > 0
    assert (tmp_path / "benchmarks_accuracy_digits.json").exists()


def test_speed_benchmark_quick_mode(tmp_path):
    throughput = load("speed").main(["--quick", "--out", str(tmp_path)])
    assert all(seconds > 0 for seconds in throughput.values())
    page = (tmp_path / "benchmarks.md").read_text()
    assert "## Speed" in page and "train_on_batch loop" in page
    assert "| 2,000 |" in page  # the streamed-size table
    assert (tmp_path / "benchmarks_speed.png").stat().st_size > 0


def test_ablation_benchmark_quick_mode(tmp_path):
    ablation = load("ablation")
    results = ablation.main(
        ["--quick", "--jobs", "1", "--levers", "base", "entropy"]
        + ["--out", str(tmp_path)]
    )
    assert set(results) == {("base", 5, 0), ("entropy", 5, 0)}
    for runs in results.values():
        ((accuracy, seconds),) = runs.values()
        assert 0.0 <= accuracy <= 1.0 and seconds > 0.0
    page = (tmp_path / "benchmarks.md").read_text()
    assert "## Ablation (digits, validation split)" in page
    assert "| + entropy minimisation on unlabeled data (weight 1) |" in page
    assert (tmp_path / "benchmarks_ablation.json").exists()


def test_tabular_ablation_scores_the_sgan_against_labels_only(tmp_path):
    ablation = load("ablation")
    results = ablation.main(
        ["--dataset", "wine", "--quick", "--jobs", "1"]
        + ["--levers", "noise_0.1", "--out", str(tmp_path)]
    )
    (runs,) = results.values()
    assert set(runs) == {ablation.SGAN, ablation.LABELS_ONLY}
    for accuracy, seconds in runs.values():
        assert 0.0 <= accuracy <= 1.0 and seconds > 0.0
    page = (tmp_path / "benchmarks.md").read_text()
    assert "## Ablation (wine, validation split)" in page
    assert "| noise 0.1: the default for tabular rows |" in page
    gap = runs[ablation.SGAN][0] - runs[ablation.LABELS_ONLY][0]
    assert f"{gap:+.4f} |" in page
    assert (tmp_path / "benchmarks_ablation_wine.json").exists()


def test_ablation_refuses_levers_of_another_dataset(capsys):
    ablation = load("ablation")
    with pytest.raises(SystemExit):
        ablation.main(["--dataset", "wine", "--levers", "entropy"])
    assert "--levers entropy: not levers of --dataset wine" in (
        capsys.readouterr().err
    )


def test_report_sections_replace_each_other(tmp_path):
    update_section = load("report").update_section
    update_section(tmp_path, "a", "first A")
    update_section(tmp_path, "b", "B")
    update_section(tmp_path, "a", "second A")
    page = (tmp_path / "benchmarks.md").read_text()
    assert "second A" in page and "first A" not in page
    assert page.index("second A") < page.index("B\n")
