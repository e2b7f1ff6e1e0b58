"""Every example runs in its quick mode."""

import importlib.util
import os
import pathlib
import subprocess
import sys

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


def test_train_mnist_example_quick_mode_on_mock_data(
    tmp_path, capsys, monkeypatch
):
    import requests
    import tensorflow_datasets as tfds

    # Offline: the download check passes and TFDS serves random images in
    # MNIST's format.
    monkeypatch.setattr(requests, "head", lambda *args, **kwargs: None)
    with tfds.testing.mock_data(num_examples=300):
        result = load("train_mnist").main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "100 labels (10 per class), 300 unlabeled" in printed
    assert 0.0 <= result["accuracy"] <= 1.0
    grid = tmp_path / "samples" / "epoch_0001.png"
    assert result["samples"] == [str(grid)]
    with Image.open(grid) as image:
        # 100 digits of 28x28, 10 to a row, 1-pixel borders, enlarged twice.
        assert image.size == ((10 * 29 + 1) * 2, (10 * 29 + 1) * 2)
    # The grid also went to TensorBoard, beside the losses.
    assert os.listdir(tmp_path / "logs" / "train")


def test_train_mnist_example_says_when_there_is_no_network(tmp_path):
    # A proxy that refuses every connection: no network, and fast.
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "train_mnist.py"),
            "--quick",
            "--data-dir",
            str(tmp_path / "tfds"),
            "--out",
            str(tmp_path / "out"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Cannot download MNIST" in done.stderr
    assert "needs a network" in done.stderr
    assert not (tmp_path / "out").exists()


def test_custom_architecture_example_quick_mode(tmp_path, capsys):
    module = load("custom_architecture")
    result = module.main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "ConvSGAN (subclass)" in printed
    assert 0.0 <= result["subclass"] <= 1.0
    assert 0.0 <= result["builders"] <= 1.0
    # The subclass came back as itself, with its own networks and weights.
    reloaded = result["reloaded"]
    assert type(reloaded).__name__ == "ConvSGAN"
    assert any(
        "conv2d" in layer.name for layer in reloaded.discriminator.layers
    )
    assert result["reload_difference"] == 0.0
