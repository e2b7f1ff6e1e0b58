import numpy as np
import pytest

from keras_sgan import builders


@pytest.mark.parametrize("shape", [(5,), (8, 8, 1), (12, 3)])
def test_mlp_pair_handles_any_shape(shape):
    g = builders.mlp_generator(
        data_shape=shape, latent_dim=3, hidden_units=(4,)
    )
    d = builders.mlp_discriminator(
        data_shape=shape, num_classes=2, hidden_units=(4,)
    )
    samples = g(np.zeros((2, 3), "float32"))
    assert tuple(samples.shape) == (2, *shape)
    logits, features = d(samples)
    assert tuple(logits.shape) == (2, 2) and tuple(features.shape) == (2, 4)


@pytest.mark.parametrize(
    "shape, start", [((32, 32, 3), (4, 4)), ((28, 28, 1), (7, 7))]
)
def test_dcgan_pair_for_small_images(shape, start):
    g = builders.dcgan_generator(data_shape=shape, latent_dim=3, base_filters=4)
    d = builders.dcgan_discriminator(
        data_shape=shape, num_classes=10, base_filters=4
    )
    assert g.get_layer(index=4).output.shape[1:3] == start
    assert g.output_shape == (None, *shape)
    assert [tuple(t.shape) for t in d.outputs] == [(None, 10), (None, 16)]


def test_default_builders_choose_by_shape():
    conv = builders.default_discriminator(
        data_shape=(32, 32, 3), num_classes=10
    )
    mlp = builders.default_discriminator(data_shape=(8, 8, 1), num_classes=10)
    assert any("conv" in layer.name for layer in conv.layers)
    assert not any("conv" in layer.name for layer in mlp.layers)


def test_dcgan_refuses_shapes_it_cannot_produce():
    with pytest.raises(ValueError, match=r"data_shape=\(30, 30, 3\)"):
        builders.dcgan_generator(data_shape=(30, 30, 3), latent_dim=2)


def test_builders_refuse_bad_data_shape():
    with pytest.raises(ValueError, match=r"data_shape=\(0, 3\)"):
        builders.mlp_generator(data_shape=(0, 3), latent_dim=2)


def test_default_generator_outputs_are_in_minus_one_one():
    g = builders.default_generator(data_shape=(4,), latent_dim=3)
    out = np.asarray(g(np.random.default_rng(0).normal(0, 10, (50, 3))))
    assert out.min() >= -1 and out.max() <= 1


def noise_levels(d):
    return [
        layer.stddev
        for layer in d.layers
        if type(layer).__name__ == "GaussianNoise"
    ]


def test_mlp_discriminator_noise_levels_are_options():
    # The default hidden noise (0.3) was chosen on a validation split;
    # improved-gan's 0.5 stays one argument away.
    default = builders.mlp_discriminator(data_shape=(5,), num_classes=2)
    assert noise_levels(default) == [0.3] + [0.3] * 5
    improved_gan = builders.mlp_discriminator(
        data_shape=(5,), num_classes=2, hidden_noise=0.5
    )
    assert noise_levels(improved_gan) == [0.3] + [0.5] * 5
    silent = builders.mlp_discriminator(
        data_shape=(5,), num_classes=2, input_noise=0.0, hidden_noise=0.0
    )
    assert noise_levels(silent) == []


@pytest.mark.parametrize(
    "shape, noise",
    [
        ((13,), builders.TABULAR_NOISE),  # wine
        ((builders.TABULAR_FEATURES - 1,), builders.TABULAR_NOISE),
        ((builders.TABULAR_FEATURES,), 0.3),  # the digits' 64 pixels
        ((784,), 0.3),
        ((8, 8, 1), 0.3),  # a small image, even with few pixels
        ((6, 2), 0.3),  # a signal
    ],
)
def test_default_discriminator_uses_less_noise_on_tabular_rows(shape, noise):
    d = builders.default_discriminator(data_shape=shape, num_classes=3)
    assert noise_levels(d) == [noise] * 6
