import math

import numpy as np
import pytest
from keras import ops

from keras_sgan import losses


def softplus(v):
    return math.log1p(math.exp(v)) if v < 30 else v + math.log1p(math.exp(-v))


def lse(row):
    top = max(row)
    return top + math.log(sum(math.exp(v - top) for v in row))


def close(tensor, expected, tol=1e-5):
    return float(ops.convert_to_numpy(tensor)) == pytest.approx(
        expected, abs=tol
    )


REAL = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]], "float32")
FAKE = np.array([[0.0, -2.0, -1.0], [2.0, 1.0, -3.0]], "float32")


def test_real_probability_is_z_over_z_plus_one():
    z = [sum(math.exp(v) for v in row) for row in REAL]
    expected = [v / (v + 1) for v in z]
    got = ops.convert_to_numpy(losses.real_probability(REAL))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_supervised_loss_is_mean_cross_entropy():
    labels = np.array([1, 2])
    expected = np.mean([lse(REAL[0]) - REAL[0][1], lse(REAL[1]) - REAL[1][2]])
    assert close(losses.supervised_loss(labels, REAL), expected)


def test_unsupervised_loss_matches_hand_computation():
    real_term = np.mean([softplus(-lse(row)) for row in REAL])
    fake_term = np.mean([softplus(lse(row)) for row in FAKE])
    expected = 0.5 * real_term + 0.5 * fake_term
    assert close(losses.unsupervised_discriminator_loss(REAL, FAKE), expected)


def test_unsupervised_loss_is_log_d_form():
    # -log D(real) - log(1 - D(fake)), with D = Z / (Z + 1).
    d_real = [sum(map(math.exp, r)) / (sum(map(math.exp, r)) + 1) for r in REAL]
    d_fake = [sum(map(math.exp, r)) / (sum(map(math.exp, r)) + 1) for r in FAKE]
    expected = 0.5 * np.mean(-np.log(d_real)) + 0.5 * np.mean(
        -np.log(1 - np.array(d_fake))
    )
    assert close(losses.unsupervised_discriminator_loss(REAL, FAKE), expected)


def test_losses_stay_finite_for_logits_that_overflow_exp():
    # exp(200) overflows float32: a naive sum(exp(logits)) gives inf or nan.
    big = np.array([[200.0, 199.0, -5.0]], "float32")
    lse_big = lse(big[0])  # 200.3133
    lse_neg = lse(-big[0])  # 5.0000...
    assert close(
        losses.unsupervised_discriminator_loss(big, -big),
        0.5 * softplus(-lse_big) + 0.5 * softplus(lse_neg),
    )
    assert close(
        losses.unsupervised_discriminator_loss(-big, big),
        0.5 * softplus(-lse_neg) + 0.5 * softplus(lse_big),
        tol=1e-3,
    )
    assert close(
        losses.supervised_loss(np.array([2]), big), lse_big + 5.0, tol=1e-3
    )
    assert close(losses.non_saturating_generator_loss(big), 0.0)
    assert close(losses.real_probability(big)[0], 1.0)


def test_feature_matching_compares_batch_means():
    real = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")  # mean (2, 3)
    fake = np.array([[0.0, 0.0], [0.0, 2.0], [3.0, 1.0]], "float32")  # (1, 1)
    expected = ((2 - 1) ** 2 + (3 - 1) ** 2) / 2
    assert close(losses.feature_matching_loss(real, fake), expected)
    assert close(losses.feature_matching_loss(real, real[::-1]), 0.0)


def test_feature_matching_accepts_feature_maps():
    real = np.ones((2, 3, 3, 4), "float32")
    fake = np.zeros((5, 3, 3, 4), "float32")
    assert close(losses.feature_matching_loss(real, fake), 1.0)


def test_non_saturating_loss_is_minus_log_d_of_fake():
    d_fake = [sum(map(math.exp, r)) / (sum(map(math.exp, r)) + 1) for r in FAKE]
    expected = np.mean(-np.log(d_fake))
    assert close(losses.non_saturating_generator_loss(FAKE), expected)


def test_losses_reduce_float16_logits_in_float32():
    big16 = np.array([[60000.0, 0.0]], "float16")
    value = losses.unsupervised_discriminator_loss(big16, -big16)
    assert ops.convert_to_numpy(value).dtype == np.float32
    assert np.isfinite(ops.convert_to_numpy(value))


def test_conditional_entropy_is_mean_prediction_entropy():
    def entropy(row):
        p = [math.exp(v - lse(row)) for v in row]
        return -sum(q * math.log(q) for q in p)

    expected = np.mean([entropy(REAL[0]), entropy(REAL[1])])
    assert close(losses.conditional_entropy(REAL), expected)
    # A replica with no rows contributes 0, not NaN.
    assert close(losses.conditional_entropy(np.zeros((0, 3), "float32")), 0.0)
