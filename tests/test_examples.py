"""Every example runs in its quick mode."""

import importlib.util
import os
import pathlib

from PIL import Image

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_digits_example_quick_mode(tmp_path, capsys):
    result = load("train_digits").main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "SemiSupervisedGAN" in printed and "labels only" in printed
    assert "50 labels (5 per class)" in printed
    assert 0.0 <= result["sgan"] <= 1.0 and 0.0 <= result["labels_only"] <= 1.0
    # Quick mode trains 2 epochs: one grid, after the last.
    grid = tmp_path / "samples" / "epoch_0002.png"
    assert os.listdir(tmp_path / "samples") == ["epoch_0002.png"]
    assert f"generated digits: {grid}" in printed
    with Image.open(grid) as image:
        # 50 digits of 8x8, 10 to a row, 1-pixel borders, enlarged 8 times.
        assert image.size == ((10 * 9 + 1) * 8, (5 * 9 + 1) * 8)


def test_serve_example_quick_mode(tmp_path, capsys):
    difference = load("serve").main(["--quick", "--out", str(tmp_path)])
    assert difference < 1e-5
    assert (tmp_path / "serving" / "1" / "saved_model.pb").exists()
    assert (tmp_path / "sgan.keras").exists()
    assert (tmp_path / "sgan.onnx").exists()
    assert "served class ids" in capsys.readouterr().out
