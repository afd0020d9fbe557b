#!/usr/bin/env bash
# Exports every committed model (each has an export contract) to ONNX and
# TensorFlow Lite and checks both
# against Fovea on real inputs: onnx.checker, then ONNX Runtime's and LiteRT's
# outputs against Fovea's on the same preprocessed tensors (Tools/verify_export.py).
# Inputs (1,000 a model when the shared data sets are there, else the bundled ones):
#   classifiers   the first 1,000 images of the EMNIST pool test split (../shared/datasets/emnist)
#   face crops    the first 1,000 crops of ../shared/datasets/smiles (labels.csv order), for
#                 face-crop and face-landmarks (the single forward pass, no flip averaging)
#   coverage      a seeded random model with the layer types the committed ones lack
#                 (verify_export.py --make-coverage-model), on the EMNIST images
#   soft-argmax   a seeded random classifier through a SpatialSoftArgmax, the heatmap landmark
#                 architecture's layer (verify_export.py --make-soft-argmax-model), on the EMNIST images
#   int8          emnist-default quantized by `fovea quantize` (calibrated on the first 2,000
#                 pool train images), its TFLite file in LiteRT against Fovea's int8 kernels
#   detector      the 12 bundled lines (Datasets/ocr-samples) + 988 lines made by
#                 `fovea synth-lines` from the pool test split (seed 15), for ocr-detector and
#                 ocr-detector-head (its class head also checked by arg-max at the peak cells)
#   face detector the photos `fovea evaluate-face-detector --write-dir` composes (test-split crops
#                 of the smiles set pasted on Datasets/face-backgrounds/heldout, seed 15), each
#                 read at Fovea's pyramid levels (longest side 256, 128, 64): one input a level,
#                 334 photos for 1,000 inputs
# Environment:
#   FOVEA_EXPORT_VENV  a venv with onnx, onnxruntime, ai-edge-litert, numpy
#                      (default: .venv-export in the repository, created if missing)
#   FOVEA_BIN          a built fovea (default: `swift build --product fovea`, debug)
#   COUNT              inputs a model (default 1000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
count="${COUNT:-1000}"

venv="${FOVEA_EXPORT_VENV:-$root/.venv-export}"
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
if ! "$venv/bin/python" -c "import onnx, onnxruntime, ai_edge_litert, numpy" 2>/dev/null; then
    "$venv/bin/pip" install --quiet onnx onnxruntime ai-edge-litert numpy
fi
if [ -z "${FOVEA_BIN:-}" ]; then
    Tools/setup.sh
    swift build --product fovea >&2
    FOVEA_BIN="$(swift build --show-bin-path)/fovea"
fi

out="$root/out/verify-export"
rm -rf "$out"
mkdir -p "$out/lines"

emnist="$root/../shared/datasets/emnist"
if [ -f "$emnist/emnist-bymerge-pool-test-images-idx3-ubyte.gz" ]; then
    idx="$emnist/emnist-bymerge-pool-test-images-idx3-ubyte.gz"
    labels="$emnist/emnist-bymerge-pool-test-labels-idx1-ubyte.gz"
    calibration="$emnist/emnist-bymerge-pool-train-images-idx3-ubyte.gz"
else
    idx="$root/Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz"
    labels="$root/Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz"
    calibration="$root/Datasets/emnist/emnist-mini-train-images-idx3-ubyte.gz"
fi
faces="$root/../shared/datasets/smiles"
[ -f "$faces/labels.csv" ] || faces="$root/Datasets/smiles-sample"
cp Datasets/ocr-samples/*.png "$out/lines/"
bundled=$(ls Datasets/ocr-samples/*.png | wc -l)
if [ "$count" -gt "$bundled" ]; then
    "$FOVEA_BIN" synth-lines --images "$idx" --labels "$labels" --count $((count - bundled)) --seed 15 \
        --output "$out/synth" >/dev/null
    for f in "$out"/synth/*.png; do cp "$f" "$out/lines/synth-$(basename "$f")"; done
fi

"$FOVEA_BIN" evaluate-face-detector --data "$faces" --count $(((count + 2) / 3)) --seed 15 \
    --write-dir "$out/face-photos" >/dev/null

"$venv/bin/python" Tools/verify_export.py --make-coverage-model "$out/coverage.safetensors"
"$venv/bin/python" Tools/verify_export.py --make-soft-argmax-model "$out/soft-argmax.safetensors"
args=()
for model in emnist-default ocr-classifier ocr-detector ocr-detector-head face-detector face-crop face-landmarks coverage soft-argmax; do
    file="Models/$model.safetensors"
    case "$model" in coverage|soft-argmax) file="$out/$model.safetensors" ;; esac
    for format in onnx tflite; do
        "$FOVEA_BIN" export "$file" --output "$out/$model.$format" >/dev/null
    done
    case "$model" in
        ocr-detector*) source=(--lines "$out/lines") ;;
        face-detector) source=(--photos "$out/face-photos") ;;
        face-*) source=(--face-crops "$faces") ;;
        *) source=(--idx "$idx") ;;
    esac
    "$FOVEA_BIN" export-reference "$file" "${source[@]}" --count "$count" \
        --output-dir "$out/$model-reference" >/dev/null
    args+=("$model" "$out/$model.onnx" "$out/$model.tflite" "$out/$model-reference")
done
"$FOVEA_BIN" quantize Models/emnist-default.safetensors --calibration-images "$calibration" \
    --output "$out/emnist-default-int8.safetensors"
"$FOVEA_BIN" export "$out/emnist-default-int8.safetensors" --output "$out/emnist-default-int8.tflite" >/dev/null
"$FOVEA_BIN" export-reference "$out/emnist-default-int8.safetensors" --idx "$idx" --count "$count" \
    --output-dir "$out/emnist-default-int8-reference" >/dev/null
args+=(emnist-default-int8 - "$out/emnist-default-int8.tflite" "$out/emnist-default-int8-reference")
"$venv/bin/python" Tools/verify_export.py --accuracy "$idx" "$labels" "$out/emnist-default.tflite" \
    "$out/emnist-default-int8.tflite"
exec "$venv/bin/python" Tools/verify_export.py "${args[@]}"
