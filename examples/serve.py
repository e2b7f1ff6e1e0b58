"""Export a trained SemiSupervisedGAN and serve it with plain TensorFlow.

Trains on scikit-learn's digits (as in train_digits.py), saves the whole
model (`.keras`, to resume training), exports the classifier as a TF
SavedModel (for TF Serving, `saved_model_cli`, or any TensorFlow process)
and as ONNX when tf2onnx is installed, then loads the SavedModel with
`tf.saved_model.load` alone and compares its predictions with Keras'.

Takes about 40 seconds on 2 CPU cores (`--quick`: a few seconds).

    python examples/serve.py [--epochs 30] [--out runs/serve] [--quick]

The served model takes what the model was trained on: float32 pixels in
[-1, 1], shape (batch, 64). Scale raw 0..16 digit pixels with
`keras_sgan.data.scale_images(x, input_range=(0, 16))` before sending them.
"""

import argparse
import importlib.util
import os
import shutil

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_sgan


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="runs/serve")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)

    digits = load_digits()
    x = keras_sgan.data.scale_images(digits.data, input_range=(0, 16))
    x_train, x_test, y_train, y_test = train_test_split(
        x,
        digits.target,
        test_size=0.3,
        stratify=digits.target,
        random_state=0,
    )
    labeled, unlabeled = keras_sgan.data.split_labeled(
        x_train, y_train, labels_per_class=5, seed=0
    )
    model = keras_sgan.SemiSupervisedGAN(num_classes=10, seed=0)
    model.compile(metrics=["accuracy"])
    model.fit(
        labeled,
        unlabeled,
        batch_size=100,
        epochs=1 if args.quick else args.epochs,
        verbose=0,
    )

    # A fresh version directory each run: exports never overwrite.
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    model.save(os.path.join(args.out, "sgan.keras"))  # resume with load_model
    serving_dir = os.path.join(args.out, "serving", "1")
    model.export(serving_dir)
    if importlib.util.find_spec("tf2onnx"):
        model.export(os.path.join(args.out, "sgan.onnx"), format="onnx")

    # What a serving process does: TensorFlow only, no keras_sgan.
    serve = tf.saved_model.load(serving_dir).signatures["serving_default"]
    served = serve(inputs=tf.constant(x_test[:5]))
    expected = model.predict(x_test[:5], verbose=0)

    print("served class ids:", served["class_ids"].numpy().tolist())
    print("true labels:     ", y_test[:5].tolist())
    difference = np.abs(served["probabilities"].numpy() - expected).max()
    print(f"max |SavedModel - Keras| probability difference: {difference:.2e}")
    print(f"saved model: {serving_dir}")
    return difference


if __name__ == "__main__":
    main()
