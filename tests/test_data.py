import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_sgan import data


def labeled_set(n=60, classes=3):
    x = np.arange(n * 2, dtype="float32").reshape(n, 2)
    y = np.arange(n) % classes
    return x, y


def test_split_is_class_balanced_and_consistent():
    x, y = labeled_set()
    (x_l, y_l), x_u, indices = data.split_labeled(
        x, y, labels_per_class=4, seed=0, return_indices=True
    )
    assert np.bincount(y_l).tolist() == [4, 4, 4]
    np.testing.assert_array_equal(x_l, x[indices])
    np.testing.assert_array_equal(y_l, y[indices])
    assert len(set(indices.tolist())) == 12
    # As in the reference implementation, the unlabeled part is all of x.
    np.testing.assert_array_equal(x_u, x)


def test_split_is_reproducible_and_seed_dependent():
    x, y = labeled_set()
    first = data.split_labeled(x, y, 4, seed=7, return_indices=True)[2]
    again = data.split_labeled(x, y, 4, seed=7, return_indices=True)[2]
    other = data.split_labeled(x, y, 4, seed=8, return_indices=True)[2]
    np.testing.assert_array_equal(first, again)
    assert sorted(first.tolist()) != sorted(other.tolist())


def test_split_can_exclude_labeled_rows():
    x, y = labeled_set()
    (x_l, _), x_u, indices = data.split_labeled(
        x, y, 2, seed=0, exclude_labeled=True, return_indices=True
    )
    assert len(x_u) == len(x) - 6
    remaining = {tuple(row) for row in x_u}
    assert not remaining & {tuple(row) for row in x_l}


def test_split_refuses_more_labels_than_a_class_has():
    x, y = labeled_set(n=10)  # class 0 has 4 samples, classes 1 and 2 have 3
    with pytest.raises(ValueError, match="labels_per_class=4.*class 1 has 3"):
        data.split_labeled(x, y, labels_per_class=4)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_split_refuses_bad_labels_per_class(bad):
    x, y = labeled_set()
    with pytest.raises(ValueError, match="labels_per_class"):
        data.split_labeled(x, y, labels_per_class=bad)


def test_split_refuses_mismatched_lengths():
    x, y = labeled_set()
    with pytest.raises(ValueError, match="60 samples in x and 59 labels"):
        data.split_labeled(x, y[:-1], labels_per_class=1)


def test_scale_images_maps_uint8_to_generator_range():
    images = np.array([[0, 128, 255]], "uint8")
    scaled = data.scale_images(images)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(
        scaled, [[-1.0, 128 / 127.5 - 1, 1.0]], atol=1e-6
    )
    np.testing.assert_allclose(
        data.scale_images(np.array([0, 8, 16]), input_range=(0, 16)),
        [-1.0, 0.0, 1.0],
    )


def test_scale_images_maps_over_a_dataset():
    ds = tf.data.Dataset.from_tensor_slices(np.array([[0, 255]], "uint8"))
    (value,) = list(ds.map(data.scale_images).as_numpy_iterator())
    np.testing.assert_allclose(value, [-1.0, 1.0])


def test_scale_images_refuses_empty_ranges():
    with pytest.raises(ValueError, match=r"input_range=\(3, 3\)"):
        data.scale_images(np.zeros(2), input_range=(3, 3))


def test_load_tfds_gives_labeled_unlabeled_and_test_parts():
    # mock_data serves random examples with MNIST's real features and splits.
    with tfds.testing.mock_data(num_examples=100):
        labeled, unlabeled, test = data.load_tfds(
            "mnist", labels_per_class=2, seed=0
        )
    (x_l, y_l), (x_test, y_test) = labeled, test
    assert x_l.shape == (20, 28, 28, 1)
    assert np.bincount(y_l).tolist() == [2] * 10
    assert unlabeled.shape == (100, 28, 28, 1)
    assert x_test.shape == (100, 28, 28, 1) and y_test.shape == (100,)
    for x in (x_l, unlabeled, x_test):
        assert x.dtype == np.float32 and x.min() >= -1 and x.max() <= 1


def test_load_tfds_without_scaling_or_test_split():
    with tfds.testing.mock_data(num_examples=100):
        (x_l, _), _, test = data.load_tfds(
            "mnist", labels_per_class=1, scale=False, test_split=None
        )
    assert x_l.dtype == np.uint8
    assert test is None
