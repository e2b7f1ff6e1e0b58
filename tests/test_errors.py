"""Each plausible bad input gets an error naming what was received."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import NUM_CLASSES
from conftest import make_data
from conftest import tiny_model

import keras_sgan


@pytest.fixture
def compiled():
    model = tiny_model()
    model.compile()
    return model


def fit(model, labeled, unlabeled, **kwargs):
    return model.fit(labeled, unlabeled, batch_size=8, verbose=0, **kwargs)


def test_labels_out_of_range(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match=r"outside \[0, 3\).*\[3, 7\]"):
        fit(compiled, (x[:4], np.array([0, 1, 3, 7])), x)
    with pytest.raises(ValueError, match=r"outside \[0, 3\).*\[-1\]"):
        fit(compiled, (x[:4], np.array([0, 1, -1, 2])), x)


def test_labels_not_integers(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match=r"non-integer values such as \[0.5\]"):
        fit(compiled, (x[:4], np.array([0.0, 1.0, 0.5, 2.0])), x)
    with pytest.raises(TypeError, match="labeled y.*dtype"):
        fit(compiled, (x[:3], np.array(["a", "b", "c"])), x)


def test_whole_float_labels_are_accepted(compiled, data):
    x, y = data
    fit(compiled, (x[:4], np.array([0.0, 1.0, 2.0, 1.0])), x)


def test_rows_that_are_not_one_hot(compiled, data):
    x, y = data
    soft = np.full((4, NUM_CLASSES), 1 / NUM_CLASSES)
    with pytest.raises(ValueError, match="rows are not one-hot"):
        fit(compiled, (x[:4], soft), x)


def test_labels_of_wrong_shape(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match=r"labeled y.shape=\(4, 5\)"):
        fit(compiled, (x[:4], np.zeros((4, 5), int)), x)


def test_x_and_y_of_different_lengths(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match="5 samples in x and 4 labels in y"):
        fit(compiled, (x[:5], y[:4]), x)


def test_labeled_and_unlabeled_shapes_differ(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match=r"\(6,\) and unlabeled.*\(5,\)"):
        fit(compiled, (x[:4], y[:4]), x[:, :5])


def test_labeled_and_unlabeled_dataset_shapes_differ(compiled, data):
    x, y = data
    unlabeled = tf.data.Dataset.from_tensor_slices(x[:, :5]).batch(4)
    with pytest.raises(ValueError, match=r"\(6,\) and unlabeled.*\(5,\)"):
        fit(compiled, (x[:4], y[:4]), unlabeled)


def test_empty_labeled_or_unlabeled_set(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match="`labeled x` is empty"):
        fit(compiled, (x[:0], y[:0]), x)
    with pytest.raises(ValueError, match="`unlabeled x` is empty"):
        fit(compiled, (x[:4], y[:4]), x[:0])
    empty = tf.data.Dataset.from_tensor_slices(x[:0]).batch(4)
    with pytest.raises(ValueError, match="`unlabeled` is empty"):
        fit(compiled, (x[:4], y[:4]), empty)
    empty_labeled = tf.data.Dataset.from_tensor_slices((x[:0], y[:0])).batch(2)
    with pytest.raises(ValueError, match="`labeled` is empty"):
        fit(compiled, empty_labeled, x)


def test_unbatched_datasets_are_named(compiled, data):
    x, y = data
    labeled = tf.data.Dataset.from_tensor_slices((x[:4], y[:4]))
    with pytest.raises(ValueError, match="`labeled` looks unbatched.*batch"):
        fit(compiled, labeled, x)
    unlabeled = tf.data.Dataset.from_tensor_slices(x)
    with pytest.raises(ValueError, match="`unlabeled` looks unbatched"):
        fit(compiled, (x[:4], y[:4]), unlabeled)


def test_dataset_labels_out_of_range_fail_with_a_named_error(compiled, data):
    x, y = data
    labeled = tf.data.Dataset.from_tensor_slices(
        (x[:4], np.array([0, 1, 2, 5]))
    ).batch(4)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="labeled.*>= num_classes=3"
    ):
        fit(compiled, labeled, x)


def test_integer_images_get_a_scaling_hint(compiled):
    x = np.zeros((4, 6), "uint8")
    with pytest.raises(TypeError, match="uint8.*scale_images"):
        fit(compiled, (x, np.array([0, 1, 2, 0])), x)


def test_data_outside_the_default_generator_range(data):
    x, y = data
    model = keras_sgan.SemiSupervisedGAN(num_classes=NUM_CLASSES, latent_dim=2)
    model.compile()
    with pytest.raises(
        ValueError,
        match=r"`labeled x` has values in \[-15.91, 13.92\].*\[-1.0, 1.0\]",
    ):
        fit(model, (x[:4] * 16, y[:4]), x * 16)


def test_custom_generator_lifts_the_range_check(compiled, data):
    x, y = data
    fit(compiled, (x[:4] * 16, y[:4]), x * 16)


def test_labeled_in_a_wrong_container(compiled, data):
    x, y = data
    with pytest.raises(
        TypeError, match="`labeled` must be a tuple `\\(x, y\\)`"
    ):
        fit(compiled, x[:4], x)
    with pytest.raises(TypeError, match="sample weights are not supported"):
        weighted = tf.data.Dataset.from_tensor_slices(
            (x[:4], y[:4], np.ones(4))
        ).batch(2)
        fit(compiled, weighted, x)


def test_missing_unlabeled_data(compiled, data):
    x, y = data
    with pytest.raises(
        ValueError, match="needs both `labeled` and `unlabeled`"
    ):
        compiled.fit((x[:4], y[:4]), verbose=0)


def test_keras_style_x_y_keywords(compiled, data):
    x, y = data
    with pytest.raises(TypeError, match=r"fit\(labeled, unlabeled\)"):
        compiled.fit(x=x, y=y, verbose=0)


def test_unsupported_fit_arguments(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match="validation_data=\\(x, y\\)"):
        fit(compiled, (x[:4], y[:4]), x, validation_split=0.2)
    with pytest.raises(ValueError, match="class_weight"):
        fit(compiled, (x[:4], y[:4]), x, class_weight={0: 1.0})
    with pytest.raises(TypeError, match=r"unexpected arguments \['epoch'\]"):
        fit(compiled, (x[:4], y[:4]), x, epoch=3)


def test_bad_batch_sizes(compiled, data):
    x, y = data
    with pytest.raises(ValueError, match="batch_size=0"):
        compiled.fit((x[:4], y[:4]), x, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="labeled_batch_size=2.5"):
        compiled.fit((x[:4], y[:4]), x, labeled_batch_size=2.5, verbose=0)


def test_infinite_unlabeled_dataset_needs_steps_per_epoch(compiled, data):
    x, y = data
    endless = tf.data.Dataset.from_tensor_slices(x).batch(4).repeat()
    with pytest.raises(ValueError, match="infinite.*steps_per_epoch"):
        fit(compiled, (x[:4], y[:4]), endless)


def test_fit_before_compile(data):
    x, y = data
    with pytest.raises(RuntimeError, match=r"Call `model.compile\(\)` before"):
        fit(tiny_model(), (x[:4], y[:4]), x)


def test_single_optimizer_is_refused_with_what_to_pass():
    model = tiny_model()
    with pytest.raises(ValueError, match="d_optimizer=.*g_optimizer="):
        model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="losses are fixed"):
        model.compile(loss="mse")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        model.compile(d_optimizer=shared, g_optimizer=shared)


def test_compile_defaults_to_recommended_adam():
    model = tiny_model()
    model.compile()
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert optimizer.beta_1 == 0.5
        assert float(optimizer.learning_rate) == pytest.approx(1e-3)
    assert model.optimizer is model.d_optimizer
    assert model.d_optimizer is not model.g_optimizer


def _discriminator(outputs):
    inputs = keras.Input((6,))
    features = keras.layers.Dense(4)(inputs)
    return keras.Model(inputs, outputs(inputs, features))


@pytest.mark.parametrize(
    "outputs, message",
    [
        (
            lambda i, f: [keras.layers.Dense(5)(f), f],
            r"logits must have shape \(batch, num_classes\) = \(batch, 3\).*"
            r"\(None, 5\)",
        ),
        (
            lambda i, f: keras.layers.Dense(3)(f),
            r"must return `\(logits, features\)`.*\(None, 3\)",
        ),
        (
            lambda i, f: [keras.layers.Dense(3)(f), f, f],
            r"must return `\(logits, features\)`",
        ),
    ],
)
def test_bad_discriminator_is_refused_at_build(data, outputs, message):
    x, y = data
    model = tiny_model(discriminator=_discriminator(outputs))
    model.compile()
    with pytest.raises(ValueError, match=message):
        fit(model, (x[:4], y[:4]), x)


def test_discriminator_for_other_data_is_refused(data):
    x, y = data
    inputs = keras.Input((9,))
    features = keras.layers.Dense(4)(inputs)
    model = tiny_model(
        discriminator=keras.Model(
            inputs, [keras.layers.Dense(3)(features), features]
        )
    )
    model.compile()
    with pytest.raises(ValueError, match=r"cannot take batches.*\(None, 6\)"):
        fit(model, (x[:4], y[:4]), x)


def test_generator_output_not_shaped_like_data(data):
    x, y = data
    noise = keras.Input((4,))
    generator = keras.Model(noise, keras.layers.Dense(5)(noise))
    model = tiny_model(generator=generator)
    model.compile()
    with pytest.raises(ValueError, match=r"\(None, 5\) for data of shape"):
        fit(model, (x[:4], y[:4]), x)


def test_generator_with_wrong_latent_dim(data):
    x, y = data
    noise = keras.Input((7,))
    generator = keras.Model(noise, keras.layers.Dense(6)(noise))
    model = tiny_model(generator=generator)
    model.compile()
    with pytest.raises(ValueError, match=r"noise of shape \(None, 4\)"):
        fit(model, (x[:4], y[:4]), x)


def test_builder_returning_a_non_model(data):
    x, y = data
    model = tiny_model(generator=lambda data_shape, latent_dim: "nope")
    model.compile()
    with pytest.raises(TypeError, match="must return a `keras.Model`.*nope"):
        fit(model, (x[:4], y[:4]), x)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 1}, "num_classes=1"),
        ({"num_classes": 2.5}, "num_classes=2.5"),
        ({"latent_dim": 0}, "latent_dim=0"),
        ({"generator_loss": "wasserstein"}, "'feature_matching'.*wasserstein"),
        ({"unsupervised_weight": -1}, "unsupervised_weight=-1"),
        ({"entropy_weight": "high"}, "entropy_weight='high'"),
        ({"update_scheme": "joint"}, "'alternating'.*update_scheme='joint'"),
        ({"seed": "0"}, "seed='0'"),
        ({"generator": 3}, "`generator` must be a `keras.Model`.*3"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    options = {"num_classes": 3, **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        keras_sgan.SemiSupervisedGAN(**options)


def test_refit_with_other_data_shape(compiled, data):
    x, y = data
    fit(compiled, (x[:4], y[:4]), x)
    x2, y2 = make_data(dim=4)
    with pytest.raises(ValueError, match=r"built for samples of shape \(6,\)"):
        fit(compiled, (x2[:4], y2[:4]), x2)


def test_generate_before_build():
    with pytest.raises(RuntimeError, match="built from the data shape"):
        tiny_model().generate(3)


def test_subclass_hook_and_given_model_conflict():
    from test_fit import ConvSGAN

    discriminator = keras.Sequential([keras.Input((8, 8, 1))])
    model = ConvSGAN(num_classes=2, latent_dim=3, discriminator=discriminator)
    with pytest.raises(
        ValueError, match="overrides `build_discriminator\\(\\)`"
    ):
        model.build((None, 8, 8, 1))
