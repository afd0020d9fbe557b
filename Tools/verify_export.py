"""Checks Fovea's exported models against Fovea itself.

For each model: onnx.checker on the .onnx file, then the same input tensors
Fovea preprocessed (written by `fovea export-reference` as DIR/batch-*/input.npy)
through ONNX Runtime and LiteRT, each output compared with Fovea's own
(DIR/batch-*/OUTPUT.npy). Prints one line per model, format and output, and
exits 1 when a tolerance is missed:
  probabilities (classifier, smile, detector and face-detector heatmap): max |diff| <= 1e-4
  points and boxes in pixels (landmarks, size, offset): max |diff| <= 1e-3
  classifier: identical arg-max for every input.
  detector with a class head: identical class_probabilities arg-max at every
  cell Fovea keeps as a centre (heat a 3x3 local maximum of at least 0.3).
  face-landmarks: also the flip averaging its metadata leaves to the caller, done
  here on the exported file, against Fovea's flip-averaged points (<= 1e-3 px).
  int8 models (NAME ending in -int8, no ONNX file: give -): LiteRT's integer
  kernels against Fovea's, max |diff| <= 1/32 (8 steps of the 1/256 softmax
  output grid; the two requantize with different rounding) and identical arg-max.
Usage: verify_export.py NAME MODEL.onnx MODEL.tflite REFERENCE_DIR [NAME ...]
       verify_export.py --make-coverage-model OUT.safetensors
       verify_export.py --make-soft-argmax-model OUT.safetensors
       verify_export.py --accuracy IMAGES.idx.gz LABELS.idx.gz MODEL.tflite ...
         (LiteRT's accuracy on an EMNIST IDX set, images transposed upright
         and divided by 255 as Fovea reads them)
The coverage model (random weights, seeded) holds the layer types the committed
models lack: tanh and ReLU convolutions, 'valid' and stride-2 'same' padding
(TensorFlow's uneven split), 'same' average and max pooling, a lone
BatchNormalization, sigmoid, global average pooling, and a softmax Dense.
The soft-argmax model (random weights, seeded) is a classifier through a
SpatialSoftArgmax (the heatmap landmark architecture's layer): 3x3 ReLU
convolution, max pooling to 14x14, 1x1 convolution to 4 sharp maps, their
expected (x, y) on a grid over [-1, 1], a softmax Dense.
"""
import glob
import gzip
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter

TOLERANCE = {"probabilities": 1e-4, "smile": 1e-4, "heatmap": 1e-4, "class_probabilities": 1e-4,
             "landmarks": 1e-3, "flip-averaged": 1e-3, "size": 1e-3, "offset": 1e-3}
PEAK_HEAT = 0.3  # Fovea keeps a cell whose heat is a 3x3 local maximum of at least this


def peak_cells(heat):
    """Cells of [N, H, W, 1] heat that are 3x3 local maxima of at least PEAK_HEAT."""
    h = heat[..., 0]
    padded = np.pad(h, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    windows = np.stack([padded[:, dy:dy + h.shape[1], dx:dx + h.shape[2]] for dy in range(3) for dx in range(3)])
    return (h >= windows.max(0)) & (h >= PEAK_HEAT)


def onnx_runner(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def run(x):
        return dict(zip(names, session.run(None, {"image": x})))
    return run, meta


def litert_runner(path):
    interpreter = Interpreter(model_path=path, num_threads=2)
    runner = interpreter.get_signature_runner("serving_default")

    def run(x):
        return runner(image=x)
    return run


# Point pairs a left-right mirror swaps (eye_left/eye_right, mouth_left/mouth_right).
MIRROR = [1, 0, 2, 4, 3, 5, 6, 7, 8, 9]


def flip_averaged(run, x):
    """The caller's flip averaging on an exported landmark file, as its metadata says:
    the crop and its mirror, the mirror's points mapped back, the two averaged."""
    direct = run(x)["landmarks"].reshape(-1, 10, 2)
    mirrored = run(np.ascontiguousarray(x[:, :, ::-1, :]))["landmarks"].reshape(-1, 10, 2)[:, MIRROR]
    mirrored[..., 0] = x.shape[2] - 1 - mirrored[..., 0]
    return ((direct + mirrored) / 2).reshape(-1, 20)


def check(name, onnx_path, tflite_path, reference):
    batches = sorted(glob.glob(os.path.join(reference, "batch-*")))
    runners = {}
    if onnx_path != "-":
        run_onnx, meta = onnx_runner(onnx_path)
        labels = json.loads(meta.get("labels", "[]"))
        print(f"{name}: onnx.checker passed; metadata kind={meta.get('kind')}, {len(labels)} labels; "
              f"{len(batches)} batch(es)")
        runners["onnxruntime"] = run_onnx
    else:
        print(f"{name}: TFLite only; {len(batches)} batch(es)")
    runners["litert"] = litert_runner(tflite_path)
    int8 = name.endswith("-int8")
    ok = True
    for runtime, run in runners.items():
        worst, count, argmax_same, argmax_total = {}, 0, 0, 0
        for batch in batches:
            x = np.load(os.path.join(batch, "input.npy"))
            count += x.shape[0]
            outputs = run(x)
            for out, got in outputs.items():
                want = np.load(os.path.join(batch, f"{out}.npy"))
                if got.shape != want.shape:
                    print(f"  {runtime} {out}: shape {got.shape}, Fovea {want.shape}")
                    ok = False
                    continue
                worst[out] = max(worst.get(out, 0.0), float(np.abs(got - want).max()))
                if out == "probabilities":
                    argmax_same += int((got.argmax(1) == want.argmax(1)).sum())
                    argmax_total += got.shape[0]
                averaged = os.path.join(batch, "landmarks-flip-averaged.npy")
                if out == "landmarks" and os.path.exists(averaged):
                    diff = float(np.abs(flip_averaged(run, x) - np.load(averaged)).max())
                    worst["flip-averaged"] = max(worst.get("flip-averaged", 0.0), diff)
                if out == "class_probabilities":
                    peaks = peak_cells(np.load(os.path.join(batch, "heatmap.npy")))
                    argmax_same += int((got.argmax(-1) == want.argmax(-1))[peaks].sum())
                    argmax_total += int(peaks.sum())
        for out, diff in sorted(worst.items()):
            limit = 1 / 32 if int8 else TOLERANCE[out]
            verdict = "ok" if diff <= limit else "FAIL"
            ok &= diff <= limit
            print(f"  {runtime:11s} {out:19s} max |diff| {diff:.3g} (limit {limit:g}) over {count} inputs  {verdict}")
        if argmax_total:
            same = argmax_same == argmax_total
            ok &= same
            where = " peak cells" if "class_probabilities" in worst else ""
            print(f"  {runtime:11s} arg-max identical for {argmax_same}/{argmax_total}{where}  {'ok' if same else 'FAIL'}")
    return ok


def make_coverage_model(path):
    rng = np.random.default_rng(15)
    layers, tensors = [], {}

    def conv(name, cin, filters, activation, padding, strides):
        layers.append({"class_name": "Conv2D", "config": {
            "name": name, "filters": filters, "kernel_size": [3, 3], "strides": [strides, strides],
            "padding": padding, "activation": activation, "use_bias": True, "trainable": True}})
        tensors[f"{name}/kernel"] = rng.normal(0, (2 / (9 * cin)) ** 0.5, (3, 3, cin, filters))
        tensors[f"{name}/bias"] = rng.normal(0, 0.1, filters)

    def pool(kind, name, size, strides, padding):
        layers.append({"class_name": kind, "config": {"name": name, "pool_size": [size, size],
                       "strides": [strides, strides], "padding": padding, "trainable": True}})

    conv("conv_tanh", 1, 8, "tanh", "valid", 1)
    pool("AveragePooling2D", "avg_same", 3, 2, "same")
    layers.append({"class_name": "BatchNormalization", "config": {"name": "bn_alone", "epsilon": 0.001,
                   "momentum": 0.99, "trainable": True}})
    tensors["bn_alone/gamma"] = rng.uniform(0.5, 2, 8)
    tensors["bn_alone/beta"] = rng.normal(0, 0.5, 8)
    tensors["bn_alone/moving_mean"] = rng.normal(0, 0.3, 8)
    tensors["bn_alone/moving_variance"] = rng.uniform(0.05, 0.5, 8)
    layers.append({"class_name": "Activation", "config": {"name": "sigmoid", "activation": "sigmoid", "trainable": True}})
    conv("conv_stride2", 8, 16, "relu", "same", 2)
    pool("MaxPooling2D", "max_same", 3, 2, "same")
    layers.append({"class_name": "GlobalAveragePooling2D", "config": {"name": "gap", "trainable": True}})
    layers.append({"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "softmax",
                   "use_bias": True, "trainable": True}})
    tensors["dense/kernel"] = rng.normal(0, 1.5, (16, 10))
    tensors["dense/bias"] = rng.normal(0, 0.1, 10)
    write_classifier(path, "coverage", layers, tensors)


def make_soft_argmax_model(path):
    rng = np.random.default_rng(16)
    layers, tensors = [], {}

    def conv(name, cin, filters, size, activation, scale):
        layers.append({"class_name": "Conv2D", "config": {
            "name": name, "filters": filters, "kernel_size": [size, size], "strides": [1, 1],
            "padding": "same", "activation": activation, "use_bias": True, "trainable": True}})
        tensors[f"{name}/kernel"] = rng.normal(0, scale * (2 / (size * size * cin)) ** 0.5, (size, size, cin, filters))
        tensors[f"{name}/bias"] = rng.normal(0, 0.1, filters)

    conv("conv", 1, 8, 3, "relu", 1)
    layers.append({"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2], "strides": [2, 2],
                   "padding": "valid", "trainable": True}})
    conv("logits", 8, 4, 1, "linear", 8)
    layers.append({"class_name": "SpatialSoftArgmax", "config": {"name": "soft_argmax", "x0": -1.0, "dx": 2 / 13,
                   "y0": -1.0, "dy": 2 / 13, "trainable": True}})
    layers.append({"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "softmax",
                   "use_bias": True, "trainable": True}})
    tensors["dense/kernel"] = rng.normal(0, 3, (8, 10))
    tensors["dense/bias"] = rng.normal(0, 0.1, 10)
    write_classifier(path, "soft_argmax", layers, tensors)


def write_classifier(path, name, layers, tensors):
    """A Fovea model file: a Sequential on [28, 28, 1] with 10 labels."""
    architecture = {"class_name": "Sequential", "format": "fovea.sequential/1", "config": {"name": name, "layers":
                    [{"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1]}}] + layers}}
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        blob = np.ascontiguousarray(value, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"architecture": json.dumps(architecture), "labels": json.dumps([str(i) for i in range(10)]),
                              "training": "{}", "format": "fovea"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(blobs))


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def accuracy(images_path, labels_path, models):
    images = read_idx(images_path).transpose(0, 2, 1)[..., None].astype(np.float32) / 255
    labels = read_idx(labels_path)
    for path in models:
        run = litert_runner(path)
        predicted = np.concatenate([run(images[i:i + 500])["probabilities"].argmax(1)
                                    for i in range(0, len(images), 500)])
        print(f"LiteRT accuracy of {os.path.basename(path)} on {len(images)} images: "
              f"{100 * (predicted == labels).mean():.2f}%")


def main(argv):
    if len(argv) >= 3 and argv[0] == "--accuracy":
        accuracy(argv[1], argv[2], argv[3:])
        return 0
    if len(argv) == 2 and argv[0] == "--make-coverage-model":
        make_coverage_model(argv[1])
        return 0
    if len(argv) == 2 and argv[0] == "--make-soft-argmax-model":
        make_soft_argmax_model(argv[1])
        return 0
    if len(argv) % 4 != 0 or not argv:
        print(__doc__)
        return 2
    ok = True
    for i in range(0, len(argv), 4):
        ok &= check(*argv[i:i + 4])
    print("all exported models agree with Fovea" if ok else "some exported models DISAGREE with Fovea")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
