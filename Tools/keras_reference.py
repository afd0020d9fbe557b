#!/usr/bin/env python3
"""Keras reference numbers for Fovea's built-in architectures.

Builds each architecture of Sources/FoveaEngine/Architectures.swift in
tensorflow/keras and prints, per model, every layer's Keras name, class,
output shape and parameter count, plus Keras' total / trainable /
non-trainable counts. Tests/FoveaEngineTests/ArchitecturesTests.swift and
SummaryTests.swift record this output.

Usage:  python3 Tools/keras_reference.py            # JSON on stdout
        python3 Tools/keras_reference.py --swift    # Swift literals for the tests
        python3 Tools/keras_reference.py --keras-model-file
            # a small Keras model saved as a Fovea model file, with inputs and
            # Keras' predictions (ModelFileTests.testLoadsAModelSavedFromKeras)
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


def lenet5(classes=10, shape=(28, 28, 1)):
    return keras.Sequential([
        keras.Input(shape),
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


def textbook_cls_loc(classes=10):
    """Classification + localisation (TensorFlow Advanced Techniques course,
    MNIST digits on a 75x75 canvas): a functional model with two outputs."""
    inputs = keras.Input((75, 75, 1))
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    classification = layers.Dense(classes, activation="softmax", name="classification")(x)
    box = layers.Dense(4, name="bounding_box")(x)
    return keras.Model(inputs, [classification, box])


MODELS = {
    "textbook-cnn": lambda: textbook_cnn(47),
    "chollet-convnet": lambda: chollet_convnet(10),
    "chollet-conv-base": chollet_conv_base,
    "lenet5": lambda: lenet5(10),
    "lenet5-32x32x3-100": lambda: lenet5(100, (32, 32, 3)),
    "geron-deep-10": lambda: geron_deep(10),
    "geron-deep-47": lambda: geron_deep(47),
    "fovea-emnist": lambda: fovea_emnist(47),
    "textbook-cls-loc": lambda: textbook_cls_loc(10),
}


def describe(model):
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        rows.append({
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output.shape[1:]),
            "params": int(layer.count_params()),
        })
    trainable = int(sum(w.numpy().size for w in model.trainable_weights))
    non_trainable = int(sum(w.numpy().size for w in model.non_trainable_weights))
    printed = []
    model.summary(print_fn=lambda line, **_: printed.append(line))
    totals = [ln.strip() for ln in "\n".join(printed).splitlines() if "params:" in ln]
    return {"layers": rows, "total": trainable + non_trainable,
            "trainable": trainable, "non_trainable": non_trainable, "totals_lines": totals}


def swift_literal(key, info):
    lines = [f'    // {key}: Keras {keras.__version__}',
             f'    "{key}": KerasReference(',
             f'        total: {info["total"]}, trainable: {info["trainable"]}, '
             f'nonTrainable: {info["non_trainable"]},',
             '        layers: [']
    for row in info["layers"]:
        lines.append(f'            ("{row["name"]}", "{row["type"]}", {row["output_shape"]}, {row["params"]}),')
    lines.append('        ],')
    lines.append('        totalsLines: [' + ", ".join(json.dumps(t) for t in info["totals_lines"]) + ']),')
    return "\n".join(lines)


def keras_model_file():
    """A small Keras model saved the way Fovea saves models (safetensors, tensors
    keyed "layer/weight", metadata "architecture" = model.to_json()), with
    random weights and moving statistics, two inputs and Keras' predictions for
    them: Fovea must load the file and predict the same."""
    import base64
    import numpy as np
    from safetensors.numpy import save

    keras.backend.clear_session()
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((12, 10, 2)),
        layers.Conv2D(4, (3, 2), activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, padding="same", activation="tanh", use_bias=False),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(5, activation="sigmoid"),
        layers.Dropout(0.3),
        layers.Dense(3, activation="softmax"),
    ])
    rng = np.random.default_rng(11)
    for v in model.weights:
        values = rng.normal(0, 0.5, v.shape).astype(np.float32)
        if v.path.endswith("moving_variance"):
            values = np.abs(values) + 0.2
        v.assign(values)
    tensors = {v.path.split("/", 1)[1]: np.asarray(v.numpy(), np.float32) for v in model.weights}
    data = save(tensors, metadata={"architecture": model.to_json(), "labels": json.dumps(["a", "b", "c"])})
    x = rng.random((2, 12, 10, 2), dtype=np.float32)
    y = model.predict(x, verbose=0)
    return base64.b64encode(data).decode(), x, y


def main():
    if "--keras-model-file" in sys.argv:
        b64, x, y = keras_model_file()
        print(f"// Keras {keras.__version__} model file ({len(b64) * 3 // 4} bytes), base64:")
        print('"""\n' + "\n".join(b64[i:i + 100] for i in range(0, len(b64), 100)) + '\n"""')
        print("// input [2, 12, 10, 2]:", json.dumps([float(v) for v in x.ravel()]))
        print("// Keras predictions [2, 3]:", json.dumps([float(v) for v in y.ravel()]))
        return
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
