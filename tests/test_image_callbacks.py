"""keras_sgan.callbacks.GeneratedImages: PNG grids and TensorBoard images."""

import functools
import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import LATENT_DIM
from conftest import make_data
from conftest import tiny_model
from PIL import Image

from keras_sgan import builders
from keras_sgan.callbacks import GeneratedImages

# A generator without batch normalisation: with a zero learning rate its
# output cannot change between epochs.
linear_generator = functools.partial(builders.mlp_generator, hidden_units=())


def fit(model, callbacks, epochs, x=None, **kwargs):
    if x is None:
        x, _ = make_data(n=24)
    y = np.arange(len(x)) % 3
    return model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=8,
        epochs=epochs,
        callbacks=callbacks,
        verbose=0,
        **kwargs,
    )


def pixels(path):
    with Image.open(path) as image:
        return image.mode, np.asarray(image)


def image_summaries(log_dir):
    """`(step, png bytes)` of every `generated_images` summary in log_dir."""
    found = []
    for path in sorted(glob.glob(os.path.join(log_dir, "events.out.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "generated_images":
                    assert value.metadata.plugin_data.plugin_name == "images"
                    # [width, height, png]
                    found.append((event.step, value.tensor.string_val[2]))
    return sorted(found)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Five epochs, a grid every second epoch, with a TensorBoard callback."""
    root = tmp_path_factory.mktemp("trained")
    model = tiny_model()
    model.compile()
    samples = GeneratedImages(
        root / "samples",
        every_n_epochs=2,
        num_samples=6,
        columns=4,
        image_shape=(2, 3),
        upscale=2,
        seed=3,
    )
    tensorboard = keras.callbacks.TensorBoard(root / "logs")
    fit(model, [samples, tensorboard], epochs=5)
    return model, samples, root


def test_grids_are_written_every_n_epochs(trained):
    _, samples, root = trained
    assert sorted(os.listdir(root / "samples")) == [
        "epoch_0002.png",
        "epoch_0004.png",
    ]
    assert samples.filepaths == [
        os.path.join(root / "samples", "epoch_0002.png"),
        os.path.join(root / "samples", "epoch_0004.png"),
    ]


def test_grid_size_layout_and_pixels(trained):
    model, samples, _ = trained
    mode, grid = pixels(samples.filepaths[-1])
    # 6 samples of 2x3 pixels, 4 to a row: 2 rows; 1-pixel borders; x2.
    assert mode == "L"
    assert grid.shape == ((2 * 3 + 1) * 2, (4 * 4 + 1) * 2)
    grid = grid[::2, ::2]  # undo the upscaling
    np.testing.assert_array_equal(grid[0], 255)
    np.testing.assert_array_equal(grid[:, 0], 255)
    # The last two cells of the second row are empty.
    np.testing.assert_array_equal(grid[4:6, 9:16], 255)
    # Every tile holds a sample: not a blank cell.
    for i in range(6):
        row, column = divmod(i, 4)
        tile = grid[1 + row * 3 : 3 + row * 3, 1 + column * 4 : 4 + column * 4]
        assert tile.min() < 255


def test_tensorboard_gets_the_same_grids(trained):
    _, samples, root = trained
    summaries = image_summaries(root / "logs" / "train")
    # TensorBoard counts epochs from 0: grids of epochs 2 and 4.
    assert [step for step, _ in summaries] == [1, 3]
    for (_, png), path in zip(summaries, samples.filepaths, strict=True):
        logged = tf.io.decode_png(png).numpy()
        np.testing.assert_array_equal(logged[..., 0], pixels(path)[1])


def test_fixed_noise_gives_identical_grids_for_a_frozen_generator(tmp_path):
    model = tiny_model(generator=linear_generator)
    model.compile(g_optimizer=keras.optimizers.Adam(0.0))
    same = GeneratedImages(tmp_path / "a", num_samples=4, image_shape=(2, 3))
    twin = GeneratedImages(tmp_path / "b", num_samples=4, image_shape=(2, 3))
    other = GeneratedImages(
        tmp_path / "c", num_samples=4, image_shape=(2, 3), seed=1
    )
    fit(model, [same, twin, other], epochs=2)
    first, second = (pixels(path)[1] for path in same.filepaths)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, pixels(twin.filepaths[0])[1])
    assert not np.array_equal(first, pixels(other.filepaths[0])[1])
    # The tiles are the generator's samples for the seeded noise, mapped
    # from [-1, 1] to [0, 255], in rows of ceil(sqrt(4)) = 2.
    noise = keras.random.normal((4, LATENT_DIM), seed=0)
    expected = np.asarray(model.generator(noise)).reshape(4, 2, 3)
    for i in range(4):
        row, column = divmod(i, 2)
        np.testing.assert_array_equal(
            first[1 + row * 3 : 3 + row * 3, 1 + column * 4 : 4 + column * 4],
            np.round((expected[i] + 1) / 2 * 255),
        )


def test_epochs_count_across_fit_calls(tmp_path):
    model = tiny_model()
    model.compile()
    samples = GeneratedImages(tmp_path, every_n_epochs=2, image_shape=(3, 2))
    fit(model, [samples], epochs=3)
    fit(model, [samples], epochs=6, initial_epoch=3)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch_0002.png",
        "epoch_0004.png",
        "epoch_0006.png",
    ]


def test_a_training_generator_changes_the_grid(tmp_path):
    model = tiny_model(generator=linear_generator)
    model.compile(g_optimizer=keras.optimizers.Adam(0.05))
    samples = GeneratedImages(tmp_path, num_samples=4, image_shape=(2, 3))
    fit(model, [samples], epochs=2)
    first, second = (pixels(path)[1] for path in samples.filepaths)
    assert not np.array_equal(first, second)


def test_image_data_needs_no_image_shape_and_keeps_colour(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (24, 4, 4, 3))
    model = tiny_model()
    model.compile()
    samples = GeneratedImages(tmp_path, num_samples=3, tensorboard=None)
    fit(model, [samples], epochs=1, x=x.astype("float32"))
    mode, grid = pixels(samples.filepaths[0])
    assert mode == "RGB"
    # ceil(sqrt(3)) = 2 columns, 2 rows of 4x4 tiles.
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 3)


def test_explicit_tensorboard_and_none(tmp_path):
    given = keras.callbacks.TensorBoard(tmp_path / "given")
    model = tiny_model()
    model.compile()
    fit(
        model,
        [
            # Logs to `given`, which is not in the callbacks of this fit.
            GeneratedImages(
                tmp_path / "a", image_shape=(6, 1), tensorboard=given
            ),
            # Logs nowhere, though a TensorBoard callback is present.
            GeneratedImages(
                tmp_path / "b", image_shape=(6, 1), tensorboard=None
            ),
            keras.callbacks.TensorBoard(tmp_path / "present"),
        ],
        epochs=1,
    )
    assert [s for s, _ in image_summaries(tmp_path / "given" / "train")] == [0]
    assert image_summaries(tmp_path / "present" / "train") == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"directory": ""}, "`directory` must be a non-empty path"),
        ({"directory": 3}, "Received: directory=3"),
        ({"every_n_epochs": 0}, "every_n_epochs=0"),
        ({"num_samples": 2.5}, "num_samples=2.5"),
        ({"columns": 0}, "columns=0"),
        ({"num_samples": 4, "columns": 5}, "columns=5, num_samples=4"),
        ({"image_shape": (8, 8, 2)}, r"image_shape=\(8, 8, 2\)"),
        ({"image_shape": (64,)}, r"image_shape=\(64,\)"),
        ({"image_shape": "8x8"}, "image_shape='8x8'"),
        ({"value_range": (1, -1)}, r"value_range=\(1, -1\)"),
        ({"value_range": (0,)}, r"value_range=\(0,\)"),
        ({"upscale": -1}, "upscale=-1"),
        ({"seed": None}, "seed=None"),
        ({"seed": True}, "seed=True"),
        ({"tensorboard": "logs"}, "tensorboard='logs'"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    kwargs = {"directory": tmp_path, **kwargs}
    with pytest.raises(ValueError, match=message):
        GeneratedImages(**kwargs)


def test_directory_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "grid.png"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="this path is a file"):
        GeneratedImages(path)


def test_flat_samples_need_image_shape(tmp_path):
    model = tiny_model()
    model.compile()
    with pytest.raises(ValueError, match=r"of shape \(6,\), are not images"):
        fit(model, [GeneratedImages(tmp_path)], epochs=1)
    assert not os.listdir(tmp_path)


def test_image_shape_must_fit_the_samples(tmp_path):
    model = tiny_model()
    model.compile()
    callback = GeneratedImages(tmp_path, image_shape=(8, 8))
    with pytest.raises(ValueError, match="64 pixels against 6 values"):
        fit(model, [callback], epochs=1)


def test_a_model_without_generator_is_refused(tmp_path):
    x, y = make_data(n=8)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    model.compile(loss="mse")
    with pytest.raises(TypeError, match="Received: a Sequential"):
        model.fit(
            x,
            np.zeros((8, 3)),
            callbacks=[GeneratedImages(tmp_path)],
            verbose=0,
        )
