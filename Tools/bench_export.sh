#!/usr/bin/env bash
# Speed of Fovea's own float32 and int8 inference against ONNX Runtime and
# LiteRT on the same models (exported by `fovea export`) and the same
# preprocessed real inputs, single image and batch, 1 and 2 threads
# (Tools/bench_export.py; table in Docs/export-speed.txt, ratios to Fovea float32;
# the README's Markdown table in out/bench-export/export-speed.md, all figures in
# out/bench-export/export-speed.json).
# Models and inputs (the ones Tools/verify_export.sh checks the exports on):
#   emnist-default  float32 and int8 (`fovea quantize`, calibrated on the 2,000
#                   mini train images); the 500 EMNIST mini test images (Datasets/emnist)
#   face-crop       the first 256 crops of ../shared/datasets/smiles (else Datasets/smiles-sample)
#   ocr-detector    64 lines of 32x256: the 12 bundled lines (Datasets/ocr-samples) and 52 made
#                   by `fovea synth-lines` from the mini test images (seed 15), preprocessed
#                   by Fovea to 32 px high, then cut or padded (paper) on the right to 256
# Environment:
#   FOVEA_EXPORT_VENV  a venv with onnxruntime, ai-edge-litert, numpy (default: .venv-export
#                      in the repository, shared with verify_export.sh, created if missing)
#   FOVEA_BIN          a release-built fovea (default: `swift build -c release --product fovea`)
#   THREADS            thread counts, comma-separated (default 1,2)
#   BATCH, DETECTOR_BATCH  images in a batch call (default 256; detector lines 32)
#   RUNS, WARMUP, BATCH_RUNS  timed / untimed single-image calls, timed batch calls (200, 20, 10)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="${FOVEA_EXPORT_VENV:-$root/.venv-export}"
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
if ! "$venv/bin/python" -c "import onnxruntime, ai_edge_litert, numpy" 2>/dev/null; then
    "$venv/bin/pip" install --quiet onnxruntime ai-edge-litert numpy
fi
if [ -z "${FOVEA_BIN:-}" ]; then
    Tools/setup.sh
    echo "building fovea (release)" >&2
    swift build -c release --product fovea >&2
    FOVEA_BIN="$(swift build -c release --show-bin-path)/fovea"
fi

out="$root/out/bench-export"
rm -rf "$out"
mkdir -p "$out/lines"
emnist="$root/Datasets/emnist"
test_images="$emnist/emnist-mini-test-images-idx3-ubyte.gz"
faces="$root/../shared/datasets/smiles"
face_source="first 256 crops of ../shared/datasets/smiles"
if [ ! -f "$faces/labels.csv" ]; then
    faces="$root/Datasets/smiles-sample"
    face_source="the crops of Datasets/smiles-sample"
fi

echo "exporting and quantizing" >&2
for model in emnist-default face-crop ocr-detector; do
    for format in onnx tflite; do
        "$FOVEA_BIN" export "Models/$model.safetensors" --output "$out/$model.$format" >/dev/null
    done
done
"$FOVEA_BIN" quantize Models/emnist-default.safetensors \
    --calibration-images "$emnist/emnist-mini-train-images-idx3-ubyte.gz" \
    --output "$out/emnist-default-int8.safetensors" >/dev/null
"$FOVEA_BIN" export "$out/emnist-default-int8.safetensors" --output "$out/emnist-default-int8.tflite" >/dev/null

echo "preprocessing the inputs" >&2
"$FOVEA_BIN" export-reference Models/emnist-default.safetensors --idx "$test_images" --count 500 \
    --output-dir "$out/emnist-reference" >/dev/null
"$FOVEA_BIN" export-reference Models/face-crop.safetensors --face-crops "$faces" --count 256 \
    --output-dir "$out/face-reference" >/dev/null
cp Datasets/ocr-samples/*.png "$out/lines/"
"$FOVEA_BIN" synth-lines --images "$test_images" --labels "$emnist/emnist-mini-test-labels-idx1-ubyte.gz" \
    --count 52 --seed 15 --output "$out/synth" >/dev/null
for f in "$out"/synth/*.png; do cp "$f" "$out/lines/synth-$(basename "$f")"; done
"$FOVEA_BIN" export-reference Models/ocr-detector.safetensors --lines "$out/lines" --count 64 \
    --output-dir "$out/lines-reference" >/dev/null
"$venv/bin/python" Tools/bench_export.py --line-inputs "$out/lines-reference" 256 "$out/lines-32x256.npy" >&2

exec "$venv/bin/python" Tools/bench_export.py --fovea "$FOVEA_BIN" --output Docs/export-speed.txt \
    --json "$out/export-speed.json" --markdown "$out/export-speed.md" --threads "${THREADS:-1,2}" \
    --batch "${BATCH:-256}" --batch "ocr-detector=${DETECTOR_BATCH:-32}" \
    --runs "${RUNS:-200}" --warmup "${WARMUP:-20}" --batch-runs "${BATCH_RUNS:-10}" \
    --case emnist-default "EMNIST mini test images" "$out/emnist-reference/batch-0000/input.npy" \
        Models/emnist-default.safetensors "$out/emnist-default.onnx" "$out/emnist-default.tflite" \
        "$out/emnist-default-int8.safetensors" "$out/emnist-default-int8.tflite" \
    --case face-crop "$face_source" "$out/face-reference/batch-0000/input.npy" \
        Models/face-crop.safetensors "$out/face-crop.onnx" "$out/face-crop.tflite" \
    --case ocr-detector "12 bundled + 52 synthetic lines, cut or padded to 256 px" "$out/lines-32x256.npy" \
        Models/ocr-detector.safetensors "$out/ocr-detector.onnx" "$out/ocr-detector.tflite"
