import inspect
import numbers
import os
import shutil
import tempfile

import keras
from keras import ops

from keras_sgan import builders
from keras_sgan import gradients
from keras_sgan import input_pipeline
from keras_sgan import losses

GENERATOR_LOSSES = ("feature_matching", "non_saturating")
UPDATE_SCHEMES = ("alternating", "simultaneous")
# Trackers of the GAN step; they mean nothing during evaluation.
_TRAINING_METRICS = ("d_loss", "g_loss", "supervised_loss", "unsupervised_loss")
_RANDOM_STATE = "random_state_"
# Chosen on a validation split of the digits (benchmarks/ablation.py):
# improved-gan's 3e-4 learned more slowly in the same number of steps.
_DEFAULT_LEARNING_RATE = 1e-3
_DEFAULT_BETA_1 = 0.5


def _default_optimizer():
    return keras.optimizers.Adam(
        learning_rate=_DEFAULT_LEARNING_RATE, beta_1=_DEFAULT_BETA_1
    )


def _check_sub_model(value, name, builder_args):
    if value is None or isinstance(value, keras.Model):
        return
    if not callable(value):
        raise TypeError(
            f"`{name}` must be a `keras.Model`, a builder (a callable "
            f"`{name}_builder({builder_args})` returning one) or None for the "
            f"default. Received: {name}={value!r}"
        )


@keras.saving.register_keras_serializable(package="keras_sgan")
class SemiSupervisedGAN(keras.Model):
    """A classifier trained on few labels and many unlabeled samples by a GAN.

    The discriminator is a K-class classifier whose "fake" class is an
    implicit logit fixed at 0 (Salimans et al. 2016): it learns the labeled
    classes from the labeled batch, and learns that unlabeled data is real
    and generated data is fake. The generator is trained by feature
    matching. `call(x)` returns the discriminator's class probabilities, so
    `predict`, `evaluate` and `export` see a plain classifier.

    Train with `fit(labeled, unlabeled)`: `labeled` is `(x, y)` arrays or a
    batched `tf.data.Dataset` of `(x, y)`; `unlabeled` is an array or a
    batched dataset of `x` (labels, if present, are ignored). One epoch is one
    pass over the unlabeled data; the (small) labeled set is shuffled and
    repeated alongside. The sub-models are built at the first `fit` (or
    call) from the shape of the data.

    The default generator ends in `tanh`: scale real data to `[-1, 1]`
    (`keras_sgan.data.scale_images` does it for images); array inputs
    outside that range are refused while the default generator is used.

    Args:
        num_classes: int. Number of real classes K (at least 2).
        latent_dim: int. Size of the generator's noise vector.
        generator: `keras.Model`, a builder, or None. A model mapping
            `(batch, latent_dim)` noise to a batch shaped like the data, or a
            callable `builder(data_shape=..., latent_dim=...)` returning one.
            None uses `keras_sgan.builders.default_generator`.
        discriminator: `keras.Model`, a builder, or None. A model mapping a
            batch of data to `(logits, features)`, `logits` of shape
            `(batch, num_classes)`, or a callable
            `builder(data_shape=..., num_classes=...)` returning one. None uses
            `keras_sgan.builders.default_discriminator`.
        generator_loss: str. `"feature_matching"` (default) or
            `"non_saturating"`.
        unsupervised_weight: float. Weight of the unsupervised term in the
            discriminator loss.
        entropy_weight: float. Weight of the conditional entropy of the
            class prediction on unlabeled data, added to the discriminator
            loss (Dai et al. 2017); 0 turns it off.
        update_scheme: str. `"simultaneous"` (default): both networks step
            from one forward pass, the generator's gradient taken against
            the discriminator before its update. `"alternating"` (as
            improved-gan): the discriminator steps, then the generator
            steps on a fresh generated batch against the updated
            discriminator, which costs a generator and a discriminator pass
            more per step for the same accuracy (see the benchmarks).
        seed: int or None. Seed of the generator noise and of the shuffling
            done by `fit`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Examples:
        >>> import numpy as np
        >>> x = np.random.uniform(-1, 1, (64, 8)).astype("float32")
        >>> y = np.arange(64) % 2
        >>> model = SemiSupervisedGAN(num_classes=2, latent_dim=4, seed=0)
        >>> model.compile(metrics=["accuracy"])
        >>> history = model.fit((x[:8], y[:8]), x, batch_size=16, verbose=0)
        >>> print(*sorted(history.history))
        accuracy d_loss g_loss loss supervised_loss unsupervised_loss
        >>> model.predict(x, verbose=0).shape
        (64, 2)

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
        - [Odena, 2016](https://arxiv.org/abs/1606.01583)
        - [Dai et al., 2017](https://arxiv.org/abs/1705.09783)
    """

    def __init__(
        self,
        num_classes,
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_loss="feature_matching",
        unsupervised_weight=1.0,
        entropy_weight=0.0,
        update_scheme="simultaneous",
        seed=None,
        **kwargs,
    ):
        gradients.check_backend()
        super().__init__(**kwargs)
        if (
            isinstance(num_classes, bool)
            or not isinstance(num_classes, numbers.Integral)
            or num_classes < 2
        ):
            raise ValueError(
                "`num_classes` must be an integer >= 2 (the number of real "
                f"classes). Received: num_classes={num_classes!r}"
            )
        input_pipeline.check_positive_int(latent_dim, "latent_dim")
        _check_sub_model(generator, "generator", "data_shape, latent_dim")
        _check_sub_model(
            discriminator, "discriminator", "data_shape, num_classes"
        )
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"`generator_loss` must be one of {GENERATOR_LOSSES}. "
                f"Received: generator_loss={generator_loss!r}"
            )
        for name, value in (
            ("unsupervised_weight", unsupervised_weight),
            ("entropy_weight", entropy_weight),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not value >= 0
            ):
                raise ValueError(
                    f"`{name}` must be a non-negative number. "
                    f"Received: {name}={value!r}"
                )
        if update_scheme not in UPDATE_SCHEMES:
            raise ValueError(
                f"`update_scheme` must be one of {UPDATE_SCHEMES}. "
                f"Received: update_scheme={update_scheme!r}"
            )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"`seed` must be an integer or None. Received: seed={seed!r}"
            )

        # === Config ===
        self.num_classes = int(num_classes)
        self.latent_dim = int(latent_dim)
        self.generator_loss = generator_loss
        self.unsupervised_weight = float(unsupervised_weight)
        self.entropy_weight = float(entropy_weight)
        self.update_scheme = update_scheme
        self.seed = seed

        # === Sub-models ===
        # Built models are kept as given; builders run in `build()`, once
        # the data shape is known. The discriminator is assigned first so
        # that its variables lead `model.trainable_variables`.
        self._discriminator_builder = (
            None if isinstance(discriminator, keras.Model) else discriminator
        )
        self._generator_builder = (
            None if isinstance(generator, keras.Model) else generator
        )
        self._default_generator = generator is None
        self.discriminator = (
            discriminator if isinstance(discriminator, keras.Model) else None
        )
        self.generator = (
            generator if isinstance(generator, keras.Model) else None
        )
        self.data_shape = None

        # === State ===
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.supervised_loss_tracker = keras.metrics.Mean(
            name="supervised_loss"
        )
        self.unsupervised_loss_tracker = keras.metrics.Mean(
            name="unsupervised_loss"
        )
        self.d_optimizer = None
        self.g_optimizer = None

    # === Building ===

    def build_discriminator(self, data_shape):
        """Returns the discriminator for samples of shape `data_shape`.

        Override in a subclass to define the architecture in code; the
        returned model must map `(batch, *data_shape)` to
        `(logits, features)`.

        Args:
            data_shape: tuple of ints. Shape of one sample.

        Returns:
            A `keras.Model`.
        """
        if self.discriminator is not None:
            return self.discriminator
        builder = self._discriminator_builder or builders.default_discriminator
        return builder(data_shape=data_shape, num_classes=self.num_classes)

    def build_generator(self, data_shape):
        """Returns the generator for samples of shape `data_shape`.

        Override in a subclass to define the architecture in code; the
        returned model must map `(batch, latent_dim)` to
        `(batch, *data_shape)`.

        Args:
            data_shape: tuple of ints. Shape of one sample.

        Returns:
            A `keras.Model`.
        """
        if self.generator is not None:
            return self.generator
        builder = self._generator_builder or builders.default_generator
        return builder(data_shape=data_shape, latent_dim=self.latent_dim)

    def build(self, input_shape):
        data_shape = tuple(input_shape[1:])
        for name in ("discriminator", "generator"):
            given = getattr(self, f"_{name}_builder") or getattr(self, name)
            if self._overrides(f"build_{name}") and given is not None:
                raise ValueError(
                    f"{type(self).__name__} overrides `build_{name}()` and was "
                    f"also given `{name}=`; the override would ignore it. "
                    "Pass one or the other."
                )
        discriminator = self.build_discriminator(data_shape)
        generator = self.build_generator(data_shape)
        self._check_discriminator(discriminator, data_shape)
        self._check_generator(generator, data_shape)
        self.discriminator = discriminator
        self.generator = generator
        self.data_shape = data_shape

    def _check_discriminator(self, discriminator, data_shape):
        if not isinstance(discriminator, keras.Model):
            raise TypeError(
                "The discriminator builder must return a `keras.Model`. "
                f"Received: {discriminator!r}"
            )
        inputs = keras.KerasTensor((None, *data_shape), dtype="float32")
        try:
            outputs = discriminator.compute_output_spec(inputs)
        except Exception as error:
            raise ValueError(
                "The discriminator cannot take batches of data of shape "
                f"{(None, *data_shape)}: {error}"
            ) from error
        if not isinstance(outputs, (tuple, list)) or len(outputs) != 2:
            raise ValueError(
                "The discriminator must return `(logits, features)`: logits of "
                f"shape (batch, {self.num_classes}) and the feature-matching "
                f"layer. Received outputs: {_shapes(outputs)}"
            )
        logits, features = outputs
        if len(logits.shape) != 2 or logits.shape[-1] != self.num_classes:
            raise ValueError(
                "The discriminator's logits must have shape (batch, "
                f"num_classes) = (batch, {self.num_classes}); the fake class "
                f"is implicit. Received logits of shape {logits.shape}"
            )
        if len(features.shape) < 2:
            raise ValueError(
                "The discriminator's features must have a batch axis and at "
                f"least one feature axis. Received features of shape "
                f"{features.shape}"
            )

    def _check_generator(self, generator, data_shape):
        if not isinstance(generator, keras.Model):
            raise TypeError(
                "The generator builder must return a `keras.Model`. "
                f"Received: {generator!r}"
            )
        noise = keras.KerasTensor((None, self.latent_dim), dtype="float32")
        try:
            samples = generator.compute_output_spec(noise)
        except Exception as error:
            raise ValueError(
                "The generator cannot take noise of shape "
                f"{(None, self.latent_dim)} (latent_dim={self.latent_dim}): "
                f"{error}"
            ) from error
        if (
            isinstance(samples, (tuple, list))
            or tuple(samples.shape[1:]) != data_shape
        ):
            raise ValueError(
                "The generator's output must be shaped like the data: "
                f"(batch, *{data_shape}). Received generator output "
                f"{_shapes(samples)} for data of shape (batch, *{data_shape})"
            )

    def call(self, inputs, training=False):
        logits, _ = self.discriminator(inputs, training=training)
        return ops.softmax(ops.cast(logits, "float32"))

    # === Training ===

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        metrics=None,
        *,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
        **kwargs,
    ):
        """Configures the model for training.

        Args:
            d_optimizer: optimizer, name or None. Trains the discriminator
                (the classifier). None gives `Adam(1e-3, beta_1=0.5)`.
                It is also `model.optimizer`, the one Keras callbacks such
                as `LearningRateScheduler` and `SwapEMAWeights` act on.
            g_optimizer: optimizer, name or None. Trains the generator.
                None gives `Adam(1e-3, beta_1=0.5)`.
            metrics: list of metrics of the classifier, computed on the
                labeled batch in training and on `validation_data`, e.g.
                `["accuracy"]`.
            run_eagerly: bool. As in `keras.Model.compile`.
            steps_per_execution: int. As in `keras.Model.compile`.
            jit_compile: bool or `"auto"`. As in `keras.Model.compile`.
            auto_scale_loss: bool. Wrap both optimizers in a
                `LossScaleOptimizer` under the `mixed_float16` policy.
        """
        if "optimizer" in kwargs:
            raise ValueError(
                "SemiSupervisedGAN trains two networks, so it takes two "
                "optimizers: `compile(d_optimizer=..., g_optimizer=...)` "
                "(either may be omitted for the default Adam(1e-3, "
                f"beta_1=0.5)). Received: optimizer={kwargs['optimizer']!r}"
            )
        if "loss" in kwargs:
            raise ValueError(
                "SemiSupervisedGAN's losses are fixed by the method; choose "
                "the generator's with `SemiSupervisedGAN(generator_loss=...)` "
                "and weigh the unsupervised term with `unsupervised_weight`. "
                f"Received: loss={kwargs['loss']!r}"
            )
        if kwargs:
            raise TypeError(
                f"compile() got unexpected arguments {sorted(kwargs)}. "
                "Accepted: d_optimizer, g_optimizer, metrics, run_eagerly, "
                "steps_per_execution, jit_compile, auto_scale_loss"
            )
        gradients.check_strategy(self)
        d_optimizer = keras.optimizers.get(d_optimizer or _default_optimizer())
        g_optimizer = keras.optimizers.get(g_optimizer or _default_optimizer())
        if d_optimizer is g_optimizer:
            raise ValueError(
                "`d_optimizer` and `g_optimizer` must be two optimizer "
                "instances: an optimizer keeps per-variable state for the "
                "network it trains. Received the same object for both."
            )
        # The classifier's loss is what `evaluate` and `val_loss` report.
        super().compile(
            optimizer=d_optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=metrics,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            auto_scale_loss=auto_scale_loss,
        )
        if (
            auto_scale_loss
            and self.dtype_policy.name == "mixed_float16"
            and not isinstance(g_optimizer, keras.optimizers.LossScaleOptimizer)
        ):
            g_optimizer = keras.optimizers.LossScaleOptimizer(
                g_optimizer, name="g_loss_scale_optimizer"
            )
        self.d_optimizer = self.optimizer
        self.g_optimizer = g_optimizer
        self._sgan_compile_config = {
            "d_optimizer": d_optimizer,
            "g_optimizer": g_optimizer,
            "metrics": metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
            "auto_scale_loss": auto_scale_loss,
        }
        self._build_optimizers()

    def _build_optimizers(self):
        # Each optimizer owns the variables of one network. Keras would
        # otherwise build `model.optimizer` on all trainable variables.
        if not self.built or not self.compiled:
            return
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

    def train_step(self, data):
        (x_labeled, y_labeled), x_unlabeled = data
        batch_size = ops.shape(x_unlabeled)[0]
        d_target = (self.discriminator.trainable_variables, self.d_optimizer)
        g_target = (self.generator.trainable_variables, self.g_optimizer)
        # Under tf.distribute each replica minimises its share of each loss
        # on the global batch (see `gradients`); shares of one step sum to
        # the loss of the global batch, over any split of the batch.
        labeled_share = gradients.replica_share(x_labeled)
        unlabeled_share = gradients.replica_share(x_unlabeled)

        def discriminator_pass(with_generator_loss):
            logits_labeled, _ = self.discriminator(x_labeled, training=True)
            logits_real, features_real = self.discriminator(
                x_unlabeled, training=True
            )
            x_fake = self.generator(
                self._train_noise(batch_size), training=True
            )
            logits_fake, features_fake = self.discriminator(
                x_fake, training=True
            )
            supervised = labeled_share * losses.supervised_loss(
                y_labeled, logits_labeled
            )
            unsupervised = unlabeled_share * (
                losses.unsupervised_discriminator_loss(logits_real, logits_fake)
            )
            d_loss = supervised + self.unsupervised_weight * unsupervised
            if self.entropy_weight:
                d_loss += (
                    self.entropy_weight
                    * unlabeled_share
                    * (losses.conditional_entropy(logits_real))
                )
            # The generator matches the real features; for it they are
            # constants.
            # Only feature matching uses them (an all-reduce under a
            # strategy).
            real_mean = (
                ops.stop_gradient(gradients.global_mean(features_real))
                if self.generator_loss == "feature_matching"
                else None
            )
            aux = (supervised, unsupervised, logits_labeled, real_mean)
            if not with_generator_loss:
                return (d_loss,), aux
            g_loss = self._generator_loss(
                real_mean, features_fake, logits_fake, unlabeled_share
            )
            return (d_loss, g_loss), aux

        if self.update_scheme == "simultaneous":
            # Both networks step from one forward pass: the generator's
            # gradient is taken against the discriminator before its update.
            (d_loss, g_loss), aux = gradients.minimize(
                lambda: discriminator_pass(True), [d_target, g_target]
            )
            supervised, unsupervised, logits_labeled, _ = aux
        else:
            (d_loss,), aux = gradients.minimize(
                lambda: discriminator_pass(False), [d_target]
            )
            supervised, unsupervised, logits_labeled, real_mean = aux

            # Improved-gan's order: the generator steps on a fresh batch
            # against the updated discriminator.
            def generator_pass():
                x_fake = self.generator(
                    self._train_noise(batch_size), training=True
                )
                logits_fake, features_fake = self.discriminator(
                    x_fake, training=True
                )
                loss = self._generator_loss(
                    real_mean, features_fake, logits_fake, unlabeled_share
                )
                return (loss,), None

            (g_loss,), _ = gradients.minimize(generator_pass, [g_target])

        # Keras averages each tracker over the replicas: N shares of a
        # step average to the loss of the global batch divided by N.
        replicas = gradients.num_replicas()
        self.d_loss_tracker.update_state(d_loss * replicas)
        self.g_loss_tracker.update_state(g_loss * replicas)
        self.supervised_loss_tracker.update_state(supervised * replicas)
        self.unsupervised_loss_tracker.update_state(unsupervised * replicas)
        # `loss` is the classifier's cross-entropy, on the labeled batch
        # here and on validation data in `val_loss`, as for any Keras
        # classifier; callbacks such as TerminateOnNaN watch it.
        self._loss_tracker.update_state(supervised * replicas)
        probabilities = ops.softmax(ops.cast(logits_labeled, "float32"))
        logs = self.compute_metrics(x_labeled, y_labeled, probabilities)
        return gradients.reducible_logs(logs)

    def _generator_loss(self, real_mean, features_fake, logits_fake, share):
        """This replica's share of the generator loss on the global batch."""
        if self.generator_loss == "feature_matching":
            # Matches means over the global batch: every replica computes
            # the whole loss and owns an equal part of it.
            loss = losses.feature_matching_loss(
                real_mean, gradients.global_mean(features_fake), reduced=True
            )
            return loss / gradients.num_replicas()
        return share * losses.non_saturating_generator_loss(logits_fake)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if y is not None and len(y.shape) == 2:
            # One-hot rows or a trailing axis of 1, as accepted by `fit`.
            y = (
                ops.argmax(y, axis=-1)
                if y.shape[-1] == self.num_classes and self.num_classes > 1
                else ops.squeeze(y, axis=-1)
            )
        logs = super().test_step((x, y, sample_weight))
        return gradients.reducible_logs(
            {
                name: value
                for name, value in logs.items()
                if name not in _TRAINING_METRICS
            }
        )

    def _noise(self, batch_size):
        return keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )

    def _shuffle_seed(self):
        if self.seed is not None:
            return self.seed
        # Drawn from the noise generator's state, which tf.distribute
        # copies from worker 0: every worker shuffles the same way, so each
        # takes its own part of the same batches.
        state = ops.convert_to_numpy(self.seed_generator.state)
        return int(state.sum() % (2**31 - 1))

    def _train_noise(self, batch_size):
        # Each replica takes its rows of one global noise batch, so training
        # draws the same noise however many replicas share the batch.
        if gradients.num_replicas() == 1:
            return self._noise(batch_size)
        offset, global_size = gradients.replica_rows(batch_size)
        noise = self._noise(global_size)
        return ops.slice(noise, (offset, 0), (batch_size, self.latent_dim))

    def fit(
        self,
        labeled=None,
        unlabeled=None,
        *,
        batch_size=None,
        labeled_batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_data=None,
        shuffle=True,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        **kwargs,
    ):
        """Trains the model on labeled and unlabeled data.

        Args:
            labeled: `(x, y)` arrays, or a batched `tf.data.Dataset` of
                `(x, y)`. `y` holds class ids (or one-hot rows). The set is
                shuffled and repeated for as long as the epoch lasts.
            unlabeled: an array, `(x, y)` arrays whose labels are ignored, or
                a batched dataset of `x` or `(x, y)`. One pass over it is one
                epoch.
            batch_size: int. Unlabeled batch size for array inputs
                (default 32). Datasets keep their own batching.
            labeled_batch_size: int. Labeled batch size for array inputs
                (default `batch_size`).
            epochs: int. As in `keras.Model.fit`.
            verbose: `"auto"`, 0, 1 or 2. As in `keras.Model.fit`.
            callbacks: list of `keras.callbacks.Callback`. As in
                `keras.Model.fit`.
            validation_data: `(x, y)` or a dataset of `(x, y)` batches on
                which the classifier is evaluated after each epoch.
            shuffle: bool. Whether array inputs are shuffled every epoch.
            initial_epoch: int. As in `keras.Model.fit`.
            steps_per_epoch: int or None. As in `keras.Model.fit`; by
                default one pass over the unlabeled data.
            validation_steps: int or None. As in `keras.Model.fit`.
            validation_batch_size: int or None. As in `keras.Model.fit`
                (default `batch_size`).
            validation_freq: int. As in `keras.Model.fit`.

        Returns:
            A `keras.callbacks.History`.
        """
        for name in ("x", "y"):
            if name in kwargs:
                raise TypeError(
                    "SemiSupervisedGAN.fit takes `fit(labeled, unlabeled)`: "
                    "`labeled` as `(x, y)` or a dataset of `(x, y)` batches "
                    "and `unlabeled` as `x` or a dataset. Received the "
                    f"keyword argument {name}="
                )
        unsupported = {
            "validation_split": 0.0,
            "class_weight": None,
            "sample_weight": None,
        }
        for name, neutral in unsupported.items():
            value = kwargs.pop(name, neutral)
            if value is not None and value != neutral:
                raise ValueError(
                    f"`{name}` is not supported by SemiSupervisedGAN.fit. "
                    "Pass held-out labeled data as `validation_data=(x, y)`."
                    if name == "validation_split"
                    else f"`{name}` is not supported by SemiSupervisedGAN.fit."
                    f" Received: {name}={value!r}"
                )
        if kwargs:
            raise TypeError(
                f"fit() got unexpected arguments {sorted(kwargs)}. Accepted: "
                f"{', '.join(inspect.signature(self.fit).parameters)}"
            )
        gradients.check_strategy(self)
        if not self.compiled:
            raise RuntimeError(
                "Call `model.compile()` before `model.fit()`. "
                "`compile()` with no arguments uses the recommended Adam "
                "settings for both networks."
            )
        if labeled is None or unlabeled is None:
            raise ValueError(
                "fit() needs both `labeled` and `unlabeled` data: "
                "`fit(labeled, unlabeled)`. Received: "
                f"labeled={'None' if labeled is None else '...'}, "
                f"unlabeled={'None' if unlabeled is None else '...'}"
            )
        batch_size = 32 if batch_size is None else batch_size
        input_pipeline.check_positive_int(batch_size, "batch_size")
        labeled_batch_size = (
            batch_size if labeled_batch_size is None else labeled_batch_size
        )
        input_pipeline.check_positive_int(
            labeled_batch_size, "labeled_batch_size"
        )
        input_pipeline.check_positive_int(
            steps_per_epoch, "steps_per_epoch", allow_none=True
        )

        dataset, data_shape, epoch_callback = (
            input_pipeline.make_training_dataset(
                labeled,
                unlabeled,
                num_classes=self.num_classes,
                batch_size=batch_size,
                labeled_batch_size=labeled_batch_size,
                shuffle=shuffle,
                seed=self._shuffle_seed(),
                value_range=(-1.0, 1.0)
                if self._uses_default_generator()
                else None,
                steps_per_epoch=steps_per_epoch,
                initial_epoch=initial_epoch,
                replicas=self.distribute_strategy.num_replicas_in_sync,
            )
        )
        if isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks.callbacks.insert(0, epoch_callback)
        else:
            callbacks = [epoch_callback, *(callbacks or [])]
        if self.built and self.data_shape != data_shape:
            raise ValueError(
                f"This model was built for samples of shape {self.data_shape}. "
                f"Received: samples of shape {data_shape}"
            )
        # Built here, not by Keras: callbacks such as BackupAndRestore need a
        # built model, and each optimizer must own one network's variables.
        # Variables belong to the strategy the model was created under,
        # even when `fit` is called outside its scope.
        with gradients.strategy_scope(self):
            if not self.built:
                self.build((None, *data_shape))
            self._build_optimizers()
            # Under a strategy Keras builds the compiled metrics from the
            # first batch, read as `(x, y)`; ours is `((x_l, y_l), x_u)`.
            self._symbolic_build(data_batch=dataset.element_spec[0])
        history = super().fit(
            dataset,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            # The pipeline shuffles arrays itself; Keras warns on datasets.
            shuffle=False,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size or batch_size,
            validation_freq=validation_freq,
        )
        # Keras finalises `model.optimizer` (the discriminator's) only.
        if epochs > initial_epoch:
            self.g_optimizer.finalize_variable_values(
                self.generator.trainable_variables
            )
        return history

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy Keras builds the model from the first batch,
        # which it first reduces across replicas; that reduction fails under
        # MultiWorkerMirroredStrategy (keras-team/keras#20585). `fit` has
        # built everything already.
        built = (
            self.built
            and self.optimizer is not None
            and self.optimizer.built
            and (self._compile_metrics is None or self._compile_metrics.built)
            and (self._compile_loss is None or self._compile_loss.built)
        )
        if not built:
            super()._maybe_symbolic_build(iterator, data_batch)

    @property
    def trainable_weights(self):
        # Keras pairs `model.trainable_variables` positionally with the
        # moving averages of `model.optimizer` (SwapEMAWeights, and the EMA
        # finalisation at the end of `fit`). That optimizer is the
        # discriminator's, so its variables must come first, in its order.
        weights = super().trainable_weights
        if self.discriminator is None:
            return weights
        first = self.discriminator.trainable_weights
        seen = {id(v) for v in first}
        return first + [v for v in weights if id(v) not in seen]

    def _overrides(self, method):
        return getattr(type(self), method) is not getattr(
            SemiSupervisedGAN, method
        )

    def _uses_default_generator(self):
        return self._default_generator and not self._overrides(
            "build_generator"
        )

    def generate(self, n, batch_size=256):
        """Draws `n` samples from the generator.

        Args:
            n: int. Number of samples.
            batch_size: int. Samples generated per batch.

        Returns:
            A NumPy array of shape `(n, *data_shape)`.
        """
        input_pipeline.check_positive_int(n, "n")
        input_pipeline.check_positive_int(batch_size, "batch_size")
        if not self.built:
            raise RuntimeError(
                "The generator does not exist yet: it is built from the data "
                "shape at the first `fit()`, or by `model.build((None, "
                "*data_shape))`."
            )
        noise = self._noise(n)
        return self.generator.predict(noise, batch_size=batch_size, verbose=0)

    # === Export ===

    def export(self, filepath, format="tf_saved_model", verbose=True, **kwargs):
        """Exports the classifier for serving.

        `"tf_saved_model"` writes a TF SavedModel whose `serving_default`
        signature takes `inputs`, a float32 batch of shape
        `(batch, *data_shape)` (any batch size, in the range the model was
        trained on), and returns `probabilities` `(batch, num_classes)` and
        `class_ids` `(batch,)` int32. Only the discriminator is exported;
        loading needs TensorFlow alone, not `keras_sgan`. `"onnx"` writes
        an ONNX file (needs `tf2onnx`) with input `inputs` and the class
        probabilities as output.

        The export is written to a temporary sibling and moved into place,
        so an interrupted export never leaves a half-written `filepath`.

        Args:
            filepath: str or path. Directory (SavedModel) or file (ONNX) to
                create; it must not exist, or be an empty directory.
            format: str. `"tf_saved_model"` or `"onnx"`.
            verbose: bool. Whether to print a message once written.
            **kwargs: passed to Keras' ONNX export (e.g. `opset_version`).
        """
        if format not in ("tf_saved_model", "onnx"):
            raise ValueError(
                "SemiSupervisedGAN.export supports format='tf_saved_model' "
                f"and format='onnx'. Received: format={format!r}"
            )
        self._check_exportable("export")
        inputs = _tensor_spec((None, *self.data_shape), "inputs")
        if format == "onnx":

            def write(path):
                super(SemiSupervisedGAN, self).export(
                    path,
                    format="onnx",
                    verbose=False,
                    input_signature=[inputs],
                    **kwargs,
                )
                _name_onnx_output(path, "probabilities")

        else:
            if kwargs:
                raise TypeError(
                    f"export() got unexpected arguments {sorted(kwargs)} for "
                    "format='tf_saved_model'."
                )

            def serve(batch):
                probabilities = self(batch, training=False)
                return {
                    "probabilities": probabilities,
                    "class_ids": ops.argmax(probabilities, axis=-1),
                }

            def write(path):
                _write_archive(path, self.discriminator, serve, inputs)

        _write_atomically(filepath, write, is_dir=format != "onnx")
        if verbose:
            print(f"Saved the classifier ({format}) at '{filepath}'.")

    def export_generator(self, filepath, verbose=True):
        """Exports the generator as a TF SavedModel: noise in, samples out.

        The `serving_default` signature takes `noise`, float32 of shape
        `(batch, latent_dim)` (draw it from a standard normal), and returns
        `samples` of shape `(batch, *data_shape)`.

        Args:
            filepath: str or path. Directory to create; it must not exist,
                or be an empty directory.
            verbose: bool. Whether to print a message once written.
        """
        self._check_exportable("export_generator")
        noise = _tensor_spec((None, self.latent_dim), "noise")

        def generate(batch):
            return {"samples": self.generator(batch, training=False)}

        _write_atomically(
            filepath,
            lambda path: _write_archive(path, self.generator, generate, noise),
            is_dir=True,
        )
        if verbose:
            print(f"Saved the generator at '{filepath}'.")

    def _check_exportable(self, method):
        if not self.built:
            raise RuntimeError(
                f"Cannot {method}() a model that was never built: train it "
                "with `fit()` first (or load a trained one)."
            )
        if not self.compiled or int(self.d_optimizer.iterations) == 0:
            raise RuntimeError(
                f"Cannot {method}() a model that was never trained: its "
                "weights are the random initial ones. Train it with `fit()` "
                "first (or load a trained one)."
            )

    # === Serialization ===

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "latent_dim": self.latent_dim,
                # A subclass that overrides a build hook rebuilds that
                # network from its code; the others are saved whole.
                "generator": None
                if self._overrides("build_generator")
                else keras.saving.serialize_keras_object(
                    self.generator or self._generator_builder
                ),
                "discriminator": None
                if self._overrides("build_discriminator")
                else keras.saving.serialize_keras_object(
                    self.discriminator or self._discriminator_builder
                ),
                "generator_loss": self.generator_loss,
                "unsupervised_weight": self.unsupervised_weight,
                "entropy_weight": self.entropy_weight,
                "update_scheme": self.update_scheme,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in ("generator", "discriminator"):
            config[name] = keras.saving.deserialize_keras_object(
                config[name], custom_objects=custom_objects
            )
        return cls(**config)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # Keras does not save random-number state; keeping it makes a
        # restored model (BackupAndRestore, load_model) draw the same noise
        # and dropout masks as one that was never interrupted.
        for i, state in enumerate(self._random_states()):
            store[f"{_RANDOM_STATE}{i}"] = state.numpy()

    def load_own_variables(self, store):
        keys = list(store.keys())
        states = self._random_states()
        for i, state in enumerate(states):
            key = f"{_RANDOM_STATE}{i}"
            if key in keys:
                state.assign(store[key])
        super().load_own_variables(
            {k: store[k] for k in keys if not k.startswith(_RANDOM_STATE)}
        )

    def _random_states(self):
        return [
            v
            for v in self.non_trainable_variables
            if v.name == "seed_generator_state"
        ]

    def get_compile_config(self):
        if not self.compiled:
            return None
        return keras.saving.serialize_keras_object(self._sgan_compile_config)

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)


def _tensor_spec(shape, name):
    import tensorflow as tf

    return tf.TensorSpec(shape, tf.float32, name=name)


def _write_archive(path, model, fn, spec):
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", tf.function(fn, input_signature=[spec]))
    archive.write_out(path, verbose=False)


def _name_onnx_output(path, name):
    # tf2onnx names the output after the graph's last op ("Identity:0").
    import onnx

    model = onnx.load(path)
    old = model.graph.output[0].name
    model.graph.output[0].name = name
    for node in model.graph.node:
        node.output[:] = [name if o == old else o for o in node.output]
    onnx.save(model, path)


def _write_atomically(filepath, write, is_dir):
    """Writes with `write(tmp_path)` beside `filepath`, then renames."""
    filepath = os.fspath(filepath)
    if os.path.exists(filepath):
        empty_dir = os.path.isdir(filepath) and not os.listdir(filepath)
        if not (is_dir and empty_dir):
            raise FileExistsError(
                f"Export path '{filepath}' already exists"
                f"{' and is not empty' if os.path.isdir(filepath) else ''}. "
                "Exports never overwrite: choose a new path (serving stacks "
                "expect a new version directory, e.g. 'serving/2')."
            )
    parent = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=parent)
    target = os.path.join(staging, "artifact")
    try:
        write(target)
        if os.path.isdir(filepath):
            os.rmdir(filepath)  # the empty directory checked above
        os.replace(target, filepath)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _shapes(outputs):
    if isinstance(outputs, (tuple, list)):
        return [tuple(o.shape) for o in outputs]
    return tuple(outputs.shape)
