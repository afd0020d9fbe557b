#!/usr/bin/env python3
"""Interoperability check: Fovea's safetensors files against Python's reader and writer.

1. `fovea summary ARCH --seed 1 --save-weights A.safetensors --dump-weights A.json`
   writes a fresh model's weights twice: as safetensors and as plain JSON numbers.
   Python's `safetensors` (numpy backend) must read A.safetensors with exactly
   the names, shapes and float32 values of A.json, and its metadata must hold
   the architecture as JSON.
2. Python rewrites the tensors (changed values, its own tensor order) with the
   same metadata into B.safetensors; `fovea summary B.safetensors --dump-weights
   B.json` must read back exactly those values.
3. With --keras: keras.models.model_from_json rebuilds the model from the
   metadata alone, and its weights (by path) take the file's tensors.
Exit status 0 when every check passes. Called by Tools/check_safetensors.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def run(cmd):
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def dumped(path):
    with open(path) as fh:
        doc = json.load(fh)
    return {name: np.asarray(t["values"], dtype=np.float64).astype(np.float32).reshape(t["shape"])
            for name, t in doc["tensors"].items()}


def compare(label, expected, actual):
    problems = []
    if sorted(expected) != sorted(actual):
        problems.append(f"{label}: names differ: {sorted(set(expected) ^ set(actual))}")
    for name in sorted(set(expected) & set(actual)):
        e, a = expected[name], actual[name]
        if e.shape != a.shape:
            problems.append(f"{label}: {name}: shape {a.shape}, expected {e.shape}")
        elif not np.array_equal(e.view(np.uint32), a.view(np.uint32)):
            diff = int(np.sum(e.view(np.uint32) != a.view(np.uint32)))
            problems.append(f"{label}: {name}: {diff} of {e.size} values differ bitwise")
    return problems


def keras_rebuild(arch, architecture, tensors):
    """Keras rebuilds the model from the metadata alone; its weights, by path, must
    have exactly the shapes of the file's tensors, and take their values."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    spec = json.loads(architecture)
    if spec["class_name"] == "FoveaMultiOutput":
        # A trunk and heads, each a Sequential description of its own.
        parts = [spec["config"]["trunk"]] + [h["model"] for h in spec["config"]["heads"]]
    else:
        parts = [spec]
    models = [keras.models.model_from_json(json.dumps(part)) for part in parts]
    problems = []
    keras_weights = {v.path.split("/", 1)[1]: v for m in models for v in m.weights}
    if sorted(keras_weights) != sorted(tensors):
        return [f"{arch} keras: weight names differ: {sorted(set(keras_weights) ^ set(tensors))}"]
    for name, v in keras_weights.items():
        if tuple(v.shape) != tensors[name].shape:
            problems.append(f"{arch} keras: {name}: Keras shape {tuple(v.shape)}, file {tensors[name].shape}")
        else:
            v.assign(tensors[name])
    if not problems:
        print(f"{arch}: Keras rebuilt the model from the metadata "
              f"({sum(m.count_params() for m in models):,} params in {len(models)} part(s)) "
              f"and took all {len(tensors)} tensors by name", flush=True)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fovea", required=True, help="path to the fovea binary")
    ap.add_argument("--arch", action="append", help="built-in architecture(s) to check (default: all that matter)")
    ap.add_argument("--keras", action="store_true",
                    help="also rebuild each model in Keras from the metadata (needs tensorflow in the venv)")
    args = ap.parse_args()
    archs = args.arch or ["textbook-cnn", "fovea-emnist", "lenet5", "textbook-cls-loc"]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in archs:
            a_st, a_js = os.path.join(tmp, f"{arch}-a.safetensors"), os.path.join(tmp, f"{arch}-a.json")
            run([args.fovea, "summary", arch, "--seed", "1", "--save-weights", a_st, "--dump-weights", a_js])
            expected = dumped(a_js)
            with safe_open(a_st, framework="np") as f:
                metadata = f.metadata() or {}
                loaded = {k: f.get_tensor(k) for k in f.keys()}
            if any(t.dtype != np.float32 for t in loaded.values()):
                problems.append(f"{arch}: Python read a dtype other than float32")
            problems += compare(f"{arch} fovea->python", expected, loaded)
            try:
                spec = json.loads(metadata.get("architecture", ""))
                print(f"{arch}: {len(loaded)} tensors, {sum(t.size for t in loaded.values()):,} values, "
                      f"architecture metadata of class {spec['class_name']}", flush=True)
            except (json.JSONDecodeError, KeyError, TypeError):
                problems.append(f"{arch}: metadata 'architecture' is not Keras-style JSON: "
                                f"{metadata.get('architecture')!r:.80}")
            if args.keras:
                problems += keras_rebuild(arch, metadata["architecture"], loaded)

            changed = {k: (v * np.float32(-0.5) + np.float32(0.25)).astype(np.float32) for k, v in loaded.items()}
            b_st, b_js = os.path.join(tmp, f"{arch}-b.safetensors"), os.path.join(tmp, f"{arch}-b.json")
            save_file(changed, b_st, metadata=metadata)
            run([args.fovea, "summary", b_st, "--dump-weights", b_js])
            problems += compare(f"{arch} python->fovea", changed, dumped(b_js))
    for p in problems:
        print("FAIL", p)
    print("safetensors interoperability:", "FAILED" if problems else f"OK ({', '.join(archs)})")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
