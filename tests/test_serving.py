"""Exports load and serve in processes that never import keras_sgan."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import make_data
from conftest import tiny_model

import keras_sgan


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One trained model, exported three ways, with reference outputs."""
    import keras

    keras.utils.clear_session()
    root = tmp_path_factory.mktemp("serving")
    x, y = make_data(n=40)
    model = tiny_model()
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    model.export(root / "classifier", verbose=False)
    model.export(root / "classifier.onnx", format="onnx", verbose=False)
    model.export_generator(root / "generator", verbose=False)
    np.save(root / "x.npy", x)
    np.save(root / "probabilities.npy", model.predict(x, verbose=0))
    return root


def run_without_keras_sgan(code):
    """Runs `code` in a fresh interpreter and returns its JSON output."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import sys
        assert not any(m.startswith("keras_sgan") for m in sys.modules)
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_saved_model_serves_same_probabilities_with_plain_tensorflow(exported):
    out = run_without_keras_sgan(f"""
        import json, numpy as np, tensorflow as tf
        root = {str(exported)!r}
        serve = tf.saved_model.load(root + "/classifier").signatures[
            "serving_default"]
        x = np.load(root + "/x.npy")
        expected = np.load(root + "/probabilities.npy")
        one = serve(inputs=tf.constant(x[:1]))
        out = serve(inputs=tf.constant(x))
        print(json.dumps({{
            "inputs": sorted(serve.structured_input_signature[1]),
            "outputs": sorted(out),
            "max_diff": float(np.abs(out["probabilities"].numpy()
                                     - expected).max()),
            "class_ids_match": bool((out["class_ids"].numpy()
                                     == expected.argmax(1)).all()),
            "batch_shapes": [one["probabilities"].shape.as_list(),
                             out["probabilities"].shape.as_list()],
        }}))
    """)
    assert out["inputs"] == ["inputs"]
    assert out["outputs"] == ["class_ids", "probabilities"]
    assert out["max_diff"] < 1e-5
    assert out["class_ids_match"]
    assert out["batch_shapes"] == [[1, 3], [40, 3]]


def saved_model_cli(command, directory, *extra):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run(
        [
            cli,
            command,
            "--dir",
            str(directory),
            "--tag_set",
            "serve",
            "--signature_def",
            "serving_default",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_saved_model_cli_shows_and_runs_the_signature(exported, tmp_path):
    shown = saved_model_cli("show", exported / "classifier")
    assert "inputs['inputs']" in shown
    assert "shape: (-1, 6)" in shown
    assert "outputs['probabilities']" in shown
    assert "outputs['class_ids']" in shown

    saved_model_cli(
        "run",
        exported / "classifier",
        "--inputs",
        f"inputs={exported / 'x.npy'}",
        "--outdir",
        str(tmp_path),
    )
    served = np.load(tmp_path / "probabilities.npy")
    expected = np.load(exported / "probabilities.npy")
    assert np.abs(served - expected).max() < 1e-5


def test_onnx_export_matches_in_onnxruntime(exported):
    out = run_without_keras_sgan(f"""
        import json, numpy as np, onnxruntime
        root = {str(exported)!r}
        session = onnxruntime.InferenceSession(root + "/classifier.onnx")
        x = np.load(root + "/x.npy")
        expected = np.load(root + "/probabilities.npy")
        (probabilities,) = session.run(None, {{"inputs": x}})
        (one,) = session.run(None, {{"inputs": x[:1]}})
        print(json.dumps({{
            "inputs": [i.name for i in session.get_inputs()],
            "outputs": [o.name for o in session.get_outputs()],
            "max_diff": float(np.abs(probabilities - expected).max()),
            "one": list(one.shape),
        }}))
    """)
    assert out["inputs"] == ["inputs"]
    assert out["outputs"] == ["probabilities"]
    assert out["max_diff"] < 1e-5
    assert out["one"] == [1, 3]


def test_generator_export_turns_noise_into_samples(exported):
    out = run_without_keras_sgan(f"""
        import json, tensorflow as tf
        generate = tf.saved_model.load({str(exported)!r} + "/generator")
        samples = generate.signatures["serving_default"](
            noise=tf.random.normal((5, 4)))["samples"]
        print(json.dumps({{"shape": samples.shape.as_list(),
                           "in_range": bool(tf.reduce_all(
                               tf.abs(samples) <= 1.0))}}))
    """)
    assert out == {"shape": [5, 6], "in_range": True}


def test_export_refuses_unbuilt_and_untrained_models(tmp_path):
    with pytest.raises(RuntimeError, match="never built"):
        tiny_model().export(tmp_path / "a")
    model = tiny_model()
    model.compile()
    model.build((None, 6))
    with pytest.raises(RuntimeError, match="never trained"):
        model.export(tmp_path / "b")
    with pytest.raises(RuntimeError, match="never trained"):
        model.export_generator(tmp_path / "c")
    assert not any(tmp_path.iterdir())


@pytest.fixture
def trained():
    x, y = make_data()
    model = tiny_model()
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    return model


def test_export_never_overwrites(trained, tmp_path):
    target = tmp_path / "serving" / "1"
    target.mkdir(parents=True)
    (target / "keep.txt").write_text("an earlier version")
    with pytest.raises(
        FileExistsError, match="already exists and is not empty"
    ):
        trained.export(target, verbose=False)
    assert os.listdir(target) == ["keep.txt"]

    onnx_file = tmp_path / "model.onnx"
    onnx_file.write_text("old")
    with pytest.raises(FileExistsError, match="model.onnx' already exists"):
        trained.export(onnx_file, format="onnx", verbose=False)
    assert onnx_file.read_text() == "old"

    empty = tmp_path / "empty"
    empty.mkdir()
    trained.export(empty, verbose=False)  # an empty directory is fine
    assert (empty / "saved_model.pb").exists()


def test_a_failed_export_leaves_nothing_behind(trained, tmp_path, monkeypatch):
    import tensorflow as tf

    def crash_half_way(obj, export_dir, *args, **kwargs):
        os.makedirs(export_dir)
        with open(os.path.join(export_dir, "saved_model.pb"), "w") as f:
            f.write("half")
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        trained.export(tmp_path / "serving", verbose=False)
    assert list(tmp_path.iterdir()) == []  # no target, no staging directory


def test_export_rejects_unknown_formats(trained, tmp_path):
    with pytest.raises(ValueError, match="format='tflite'"):
        trained.export(tmp_path / "x", format="tflite")


def test_export_prints_where_it_wrote(trained, tmp_path, capsys):
    trained.export(tmp_path / "s")
    assert f"'{tmp_path / 's'}'" in capsys.readouterr().out
    assert isinstance(trained, keras_sgan.SemiSupervisedGAN)
