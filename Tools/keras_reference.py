#!/usr/bin/env python3
"""Keras reference numbers for Fovea's built-in architectures.

Builds each architecture of Sources/FoveaEngine/Architectures.swift in
tensorflow/keras and prints, per model, every layer's Keras name, class,
output shape and parameter count, plus Keras' total / trainable /
non-trainable counts. Tests/FoveaEngineTests/ArchitecturesTests.swift and
SummaryTests.swift record this output.

Usage:  python3 Tools/keras_reference.py            # JSON on stdout
        python3 Tools/keras_reference.py --swift    # Swift literals for the tests
Needs tensorflow (e.g. FOVEA_PEER_VENV=/work/peer-venv: $FOVEA_PEER_VENV/bin/python).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402


def textbook_cnn(classes=47):
    return keras.Sequential([
        keras.Input((28, 28)),
        layers.Reshape((28, 28, 1)),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(classes, activation="softmax"),
    ])


def chollet_convnet(classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(classes, activation="softmax"),
    ])


def chollet_conv_base():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
    ])


def lenet5(classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(6, 5, padding="same", activation="tanh"),
        layers.AveragePooling2D(2),
        layers.Conv2D(16, 5, activation="tanh"),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(120, activation="tanh"),
        layers.Dense(84, activation="tanh"),
        layers.Dense(classes, activation="softmax"),
    ])


def geron_deep(classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 7, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, padding="same", activation="relu"),
        layers.Conv2D(128, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(256, 3, padding="same", activation="relu"),
        layers.Conv2D(256, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(classes, activation="softmax"),
    ])


def fovea_emnist(classes=47):
    def conv_bn_relu(filters):
        return [layers.Conv2D(filters, 3, padding="same", use_bias=False),
                layers.BatchNormalization(), layers.Activation("relu")]
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        *conv_bn_relu(32), *conv_bn_relu(32), layers.MaxPooling2D(2),
        *conv_bn_relu(64), *conv_bn_relu(64), layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(256, use_bias=False), layers.BatchNormalization(), layers.Activation("relu"),
        layers.Dropout(0.4),
        layers.Dense(classes, activation="softmax"),
    ])


MODELS = {
    "textbook-cnn": lambda: textbook_cnn(47),
    "chollet-convnet": lambda: chollet_convnet(10),
    "chollet-conv-base": chollet_conv_base,
    "lenet5": lambda: lenet5(10),
    "geron-deep-10": lambda: geron_deep(10),
    "geron-deep-47": lambda: geron_deep(47),
    "fovea-emnist": lambda: fovea_emnist(47),
}


def describe(model):
    rows = []
    for layer in model.layers:
        rows.append({
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output.shape[1:]),
            "params": int(layer.count_params()),
        })
    trainable = int(sum(w.numpy().size for w in model.trainable_weights))
    non_trainable = int(sum(w.numpy().size for w in model.non_trainable_weights))
    return {"layers": rows, "total": trainable + non_trainable,
            "trainable": trainable, "non_trainable": non_trainable}


def swift_literal(key, info):
    lines = [f'    // {key}: Keras {keras.__version__}',
             f'    "{key}": KerasReference(',
             f'        total: {info["total"]}, trainable: {info["trainable"]}, '
             f'nonTrainable: {info["non_trainable"]},',
             '        layers: [']
    for row in info["layers"]:
        lines.append(f'            ("{row["name"]}", "{row["type"]}", {row["output_shape"]}, {row["params"]}),')
    lines.append('        ]),')
    return "\n".join(lines)


def main():
    out = {}
    for key, make in MODELS.items():
        keras.backend.clear_session()  # restart Keras' per-session layer name counters
        out[key] = describe(make())
    if "--swift" in sys.argv:
        print("\n".join(swift_literal(k, v) for k, v in out.items()))
    else:
        json.dump({"keras": keras.__version__, "models": out}, sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
