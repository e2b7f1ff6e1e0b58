import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import LATENT_DIM
from conftest import NUM_CLASSES
from conftest import StepCounter
from conftest import make_data
from conftest import tiny_discriminator
from conftest import tiny_generator
from conftest import tiny_model

import keras_sgan

TRAINING_LOGS = {"d_loss", "g_loss", "supervised_loss", "unsupervised_loss"}


def test_fit_from_arrays_logs_gan_losses_and_metrics(data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    history = model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=8,
        epochs=2,
        verbose=0,
        validation_data=(x, y),
    )
    assert set(history.history) == TRAINING_LOGS | {
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    }
    for values in history.history.values():
        assert len(values) == 2 and np.all(np.isfinite(values))
    # `loss` is the classifier's cross-entropy (pairs with val_loss), never
    # a meaningless zero.
    assert history.history["loss"] == history.history["supervised_loss"]
    assert min(history.history["loss"]) > 0


def test_fit_updates_both_networks(data):
    x, y = data
    model = tiny_model()
    model.compile()
    model.build((None, x.shape[1]))
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    g_before = [w.copy() for w in model.generator.get_weights()]
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    changed = lambda old, new: any(  # noqa: E731
        not np.allclose(a, b) for a, b in zip(old, new, strict=True)
    )
    assert changed(d_before, model.discriminator.get_weights())
    assert changed(g_before, model.generator.get_weights())
    assert int(model.d_optimizer.iterations) == 5
    assert int(model.g_optimizer.iterations) == 5


def test_fit_from_datasets(data):
    x, y = data
    labeled = tf.data.Dataset.from_tensor_slices((x[:6], y[:6])).batch(4)
    unlabeled = tf.data.Dataset.from_tensor_slices(x).batch(10)
    counter = StepCounter()
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    history = model.fit(
        labeled, unlabeled, epochs=2, callbacks=[counter], verbose=0
    )
    assert counter.steps == [4, 4]
    assert np.isfinite(history.history["d_loss"]).all()


def test_unlabeled_dataset_of_pairs_has_its_labels_dropped(data):
    x, y = data
    labeled = tf.data.Dataset.from_tensor_slices((x[:6], y[:6])).batch(4)
    # Labels out of range would fail the supervised loss if they reached it.
    unlabeled = tf.data.Dataset.from_tensor_slices(
        (x, np.full(len(x), 99))
    ).batch(10)
    model = tiny_model()
    model.compile()
    history = model.fit(labeled, unlabeled, verbose=0)
    assert np.isfinite(history.history["supervised_loss"]).all()


def test_unlabeled_array_pair_is_accepted(data):
    x, y = data
    model = tiny_model()
    model.compile()
    counter = StepCounter()
    model.fit(
        (x[:6], y[:6]), (x, y), batch_size=10, callbacks=[counter], verbose=0
    )
    assert counter.steps == [4]


@pytest.mark.parametrize("num_labeled", [3, 6, 40])
def test_epoch_is_one_pass_over_unlabeled_data(num_labeled):
    x, y = make_data(n=50)
    counter = StepCounter()
    model = tiny_model()
    model.compile()
    model.fit(
        (x[:num_labeled], y[:num_labeled]),
        x[:25],
        batch_size=5,
        labeled_batch_size=4,
        epochs=2,
        callbacks=[counter],
        verbose=0,
    )
    # 25 unlabeled samples in batches of 5, whatever the labeled set's size.
    assert counter.steps == [5, 5]


def test_last_partial_unlabeled_batch_is_kept():
    x, y = make_data(n=23)
    counter = StepCounter()
    model = tiny_model()
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=10, callbacks=[counter], verbose=0)
    assert counter.steps == [3]  # 10 + 10 + 3: nothing dropped


class BatchRecorder(keras_sgan.SemiSupervisedGAN):
    """Records what reaches the training step (runs eagerly)."""

    seen_labels = []
    batch_shapes = []

    def train_step(self, data):
        (x_labeled, y_labeled), x_unlabeled = data
        self.seen_labels.append(np.asarray(y_labeled))
        self.batch_shapes.append(
            (tuple(x_labeled.shape), tuple(x_unlabeled.shape))
        )
        return super().train_step(data)


def recorder(**kwargs):
    BatchRecorder.seen_labels = []
    BatchRecorder.batch_shapes = []
    return BatchRecorder(
        num_classes=NUM_CLASSES,
        latent_dim=LATENT_DIM,
        generator=tiny_generator,
        discriminator=tiny_discriminator,
        seed=0,
        **kwargs,
    )


def test_labeled_and_unlabeled_batch_sizes_may_differ():
    x, y = make_data(n=30)
    model = recorder()
    model.compile(run_eagerly=True)
    model.fit((x[:9], y[:9]), x, batch_size=10, labeled_batch_size=3, verbose=0)
    assert model.batch_shapes == [((3, 6), (10, 6))] * 3


def test_only_labeled_subset_labels_reach_the_supervised_loss():
    x, _ = make_data(n=60)
    # The labeled subset holds classes 0 and 1 only; every other sample is
    # of class 2. If any unlabeled label leaked, a 2 would show up.
    y = np.full(len(x), 2)
    y[:8] = [0, 1, 0, 1, 0, 1, 0, 1]
    (x_l, y_l), x_u = keras_sgan.data.split_labeled(
        x[:8], y[:8], labels_per_class=4, seed=0
    )
    model = recorder()
    model.compile(run_eagerly=True)
    model.fit(
        (x_l, y_l),
        (x, y),
        batch_size=12,
        labeled_batch_size=4,
        epochs=2,
        verbose=0,
    )
    seen = np.concatenate(model.seen_labels)
    assert len(model.seen_labels) == 10
    assert set(seen.tolist()) == {0, 1}
    # Shuffled and repeated (afresh each epoch): both classes are drawn
    # about equally, 40 draws from 4 + 4 samples.
    assert all(16 <= count <= 24 for count in np.bincount(seen)), seen


def test_one_hot_and_column_labels_are_accepted(data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    one_hot = np.eye(NUM_CLASSES)[y]
    model.fit((x[:6], one_hot[:6]), x, batch_size=8, verbose=0)
    model.fit((x[:6], y[:6, None]), x, batch_size=8, verbose=0)
    labeled = tf.data.Dataset.from_tensor_slices((x[:6], one_hot[:6])).batch(3)
    model.fit(labeled, x, batch_size=8, verbose=0)
    loss_sparse = model.evaluate(x, y, verbose=0)
    loss_one_hot = model.evaluate(x, one_hot, verbose=0)
    np.testing.assert_allclose(loss_sparse, loss_one_hot, rtol=1e-6)


def test_predict_and_evaluate_behave_as_a_classifier(data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (len(x), NUM_CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    expected_accuracy = np.mean(probabilities.argmax(axis=1) == y)
    assert accuracy == pytest.approx(expected_accuracy)
    expected_loss = -np.mean(np.log(probabilities[np.arange(len(y)), y]))
    assert loss == pytest.approx(expected_loss, rel=1e-4)
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {
        "loss",
        "accuracy",
    }


def test_generate_draws_samples_shaped_like_data(data):
    x, y = data
    model = tiny_model()
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    samples = model.generate(5)
    assert samples.shape == (5, x.shape[1])
    assert np.all(np.abs(samples) <= 1.0)
    assert not np.allclose(samples[0], samples[1])


def test_default_builders_are_used_when_none_given(data):
    x, y = data
    model = keras_sgan.SemiSupervisedGAN(num_classes=NUM_CLASSES, latent_dim=4)
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=20, verbose=0)
    assert model.discriminator.name == "discriminator"
    assert model.discriminator.outputs[1].shape[-1] == 250  # improved-gan MLP
    assert model.generator.output_shape == (None, x.shape[1])


def test_image_data_gets_the_convolutional_builders():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    y = np.arange(8) % 2
    model = keras_sgan.SemiSupervisedGAN(num_classes=2, latent_dim=4)
    model.compile()
    model.fit((x, y), x, batch_size=4, verbose=0)
    layer_types = {type(layer).__name__ for layer in model.discriminator.layers}
    assert "Conv2D" in layer_types
    assert model.generate(2).shape == (2, 16, 16, 1)


def test_built_models_can_be_passed(data):
    x, y = data
    generator = tiny_generator(data_shape=(x.shape[1],), latent_dim=LATENT_DIM)
    discriminator = tiny_discriminator(
        data_shape=(x.shape[1],), num_classes=NUM_CLASSES
    )
    model = keras_sgan.SemiSupervisedGAN(
        num_classes=NUM_CLASSES,
        latent_dim=LATENT_DIM,
        generator=generator,
        discriminator=discriminator,
    )
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert model.generator is generator
    assert model.discriminator is discriminator


def test_custom_builder_receives_data_shape_and_sizes(data):
    x, y = data
    calls = []

    def discriminator_builder(data_shape, num_classes):
        calls.append(("d", data_shape, num_classes))
        inputs = keras.Input(data_shape)
        features = keras.layers.Dense(5, activation="relu")(inputs)
        return keras.Model(
            inputs, [keras.layers.Dense(num_classes)(features), features]
        )

    def generator_builder(data_shape, latent_dim):
        calls.append(("g", data_shape, latent_dim))
        noise = keras.Input((latent_dim,))
        return keras.Model(noise, keras.layers.Dense(data_shape[0])(noise))

    model = keras_sgan.SemiSupervisedGAN(
        num_classes=NUM_CLASSES,
        latent_dim=LATENT_DIM,
        generator=generator_builder,
        discriminator=discriminator_builder,
    )
    model.compile()
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert calls == [("d", (6,), NUM_CLASSES), ("g", (6,), LATENT_DIM)]
    assert model.discriminator.outputs[1].shape[-1] == 5


@keras.saving.register_keras_serializable(package="keras_sgan_tests")
class ConvSGAN(keras_sgan.SemiSupervisedGAN):
    """A subclass defining its architectures in the build hooks."""

    def build_discriminator(self, data_shape):
        inputs = keras.Input(data_shape)
        h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
        features = keras.layers.GlobalAveragePooling2D()(h)
        logits = keras.layers.Dense(self.num_classes)(features)
        return keras.Model(inputs, [logits, features], name="conv_d")

    def build_generator(self, data_shape):
        noise = keras.Input((self.latent_dim,))
        h = keras.layers.Dense(int(np.prod(data_shape)), activation="tanh")(
            noise
        )
        return keras.Model(
            noise, keras.layers.Reshape(data_shape)(h), name="conv_g"
        )


def test_subclass_overrides_build_hooks():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (12, 8, 8, 1)).astype("float32")
    y = np.arange(12) % 2
    model = ConvSGAN(num_classes=2, latent_dim=3, seed=0)
    model.compile(metrics=["accuracy"])
    history = model.fit((x[:4], y[:4]), x, batch_size=6, verbose=0)
    assert model.discriminator.name == "conv_d"
    assert model.generator.name == "conv_g"
    assert np.isfinite(history.history["g_loss"]).all()
    assert model.predict(x, verbose=0).shape == (12, 2)


def test_non_saturating_generator_loss_trains(data):
    x, y = data
    model = tiny_model(generator_loss="non_saturating")
    model.compile()
    history = model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert history.history["g_loss"][0] > 0.1  # -log D(G(z)), not ~0 FM


def test_keras_fit_arguments_keep_their_meaning(data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    counter = StepCounter()
    history = model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=4,
        epochs=3,
        initial_epoch=1,
        steps_per_epoch=2,
        callbacks=[counter],
        verbose=0,
        validation_data=(x, y),
        validation_freq=2,
    )
    assert history.epoch == [1, 2]
    assert counter.steps == [2, 2]
    assert len(history.history["val_accuracy"]) == 1  # epoch index 1 only


# Keras warns at the end of a dataset of unknown length even when, as here,
# the epoch simply ended there; training goes on (checked below).
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_fit_accepts_a_finite_generator_dataset(data):
    x, y = data

    def stream():
        for start in range(0, len(x), 10):
            yield x[start : start + 10]

    unlabeled = tf.data.Dataset.from_generator(
        stream, output_signature=tf.TensorSpec((None, 6), tf.float32)
    )
    counter = StepCounter()
    model = tiny_model()
    model.compile()
    model.fit(
        (x[:6], y[:6]), unlabeled, epochs=2, callbacks=[counter], verbose=0
    )
    assert counter.steps == [4, 4]


def test_seeded_runs_are_reproducible(data):
    x, y = data

    def run():
        keras.utils.clear_session()
        keras.utils.set_random_seed(1)
        model = tiny_model(seed=3)
        model.compile()
        model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
        return model.predict(x, verbose=0)

    np.testing.assert_allclose(run(), run(), rtol=1e-5, atol=1e-6)


def test_unsupervised_weight_zero_is_labels_only(data):
    x, y = data
    model = tiny_model(unsupervised_weight=0.0)
    model.compile()
    history = model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    np.testing.assert_allclose(
        history.history["d_loss"],
        history.history["supervised_loss"],
        rtol=1e-6,
    )


def test_builder_partials_are_plain_callables():
    builder = functools.partial(
        keras_sgan.builders.mlp_discriminator, hidden_units=(4,)
    )
    model = builder(data_shape=(3,), num_classes=2)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2), (None, 4)]


def test_validation_data_may_be_a_dataset(data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    validation = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(
        (x[:6], y[:6]), x, batch_size=8, validation_data=validation, verbose=0
    )
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert history.history["val_loss"] == [pytest.approx(loss, rel=1e-5)]
    assert history.history["val_accuracy"] == [pytest.approx(accuracy)]


def test_alternating_updates_train_both_networks(data):
    x, y = data
    model = tiny_model(update_scheme="alternating")
    model.compile(metrics=["accuracy"])
    model.build((None, x.shape[1]))
    g_before = [w.copy() for w in model.generator.get_weights()]
    history = model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert int(model.g_optimizer.iterations) == 5
    assert any(
        not np.allclose(a, b)
        for a, b in zip(g_before, model.generator.get_weights(), strict=True)
    )
    clone = keras_sgan.SemiSupervisedGAN.from_config(model.get_config())
    assert clone.update_scheme == "alternating"


def test_entropy_weight_adds_the_unlabeled_entropy_to_d_loss(data):
    x, y = data
    model = tiny_model(entropy_weight=0.5)
    model.compile()
    logs = model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0).history
    # d_loss = supervised + unsupervised + 0.5 * entropy, and the entropy of
    # a 3-class prediction lies in (0, log 3].
    extra = logs["d_loss"][0] - logs["supervised_loss"][0]
    extra -= logs["unsupervised_loss"][0]
    assert 0.0 < extra <= 0.5 * np.log(3) + 1e-6
    assert model.get_config()["entropy_weight"] == 0.5
