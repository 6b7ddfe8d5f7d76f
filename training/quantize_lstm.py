"""Store a model's bidirectional LSTM weights as int8 (onnxruntime dynamic quantization), in place.

Run after merge_bilstm.py: onnxruntime's quantize_dynamic turns the one LSTM node into
DynamicQuantizeLSTM (int8 W and R, one scale per direction and gate matrix; activations are
quantized per run); every other node stays float. reduce_range keeps the weights in 7 bits, so
the u8 x s8 kernels of CPUs without VNNI cannot saturate: the graph gives the same tags on every
x86 machine class, not only on the VNNI machine it was measured on.

Measured on this 2-core VM (AMD EPYC, AVX-512 VNNI), onnxruntime-node 1.30, one thread,
bench/tagger-speed.ts side by side: the CMNER model tags 1.56-1.61x the posts per CPU-second; entity
F1 (bench/model-compare.ts): dev 84.01 -> 83.93, test 83.60 -> 83.56. The English models lose
more on valid (text model Twitter-2015 valid -0.32, paired bootstrap p = 0.001) and already tag
above 2,000 posts per CPU-second, so train.py applies this to Chinese models only by default.
The F1 in the manifest's `results` is train.py's (float) figure; compare the int8 graph with the
float one with bench/model-compare.ts before shipping it.

    python3 training/quantize_lstm.py models/ner-zh
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from graph_edit import write_manifest

NOTE = ("int8 LSTM weights, 7-bit range (training/quantize_lstm.py: onnxruntime quantize_dynamic, "
        "DynamicQuantizeLSTM)")


def quantize(model_dir: str) -> int:
    mpath = os.path.join(model_dir, "manifest.json")
    with open(mpath, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest["onnx"].get("lstm_weights"):
        raise SystemExit(f"{mpath}: the LSTM is already quantized ({manifest['onnx']['lstm_weights']})")
    path = os.path.join(model_dir, manifest["onnx"]["file"])
    lstms = [n for n in onnx.load(path).graph.node if n.op_type == "LSTM"]
    if len(lstms) != 1 or not any(a.name == "direction" and a.s == b"bidirectional" for a in lstms[0].attribute):
        raise SystemExit(f"{path}: expected one bidirectional LSTM node (run training/merge_bilstm.py first), "
                         f"found {len(lstms)} LSTM node(s)")
    with tempfile.TemporaryDirectory(dir=model_dir) as tmp:
        out = os.path.join(tmp, "model.onnx")
        quantize_dynamic(path, out, op_types_to_quantize=["LSTM"], weight_type=QuantType.QInt8, reduce_range=True)
        quantized = onnx.load(out)
        ops = [n.op_type for n in quantized.graph.node]
        if "DynamicQuantizeLSTM" not in ops or "LSTM" in ops:
            raise SystemExit(f"{path}: quantize_dynamic left the LSTM as it was ({ops})")
        before = os.path.getsize(path)
        os.replace(out, path)
    manifest["onnx"]["lstm_weights"] = NOTE
    write_manifest(mpath, manifest)
    print(f"{path}: LSTM weights int8, {before} -> {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 training/quantize_lstm.py MODEL_DIR")
    sys.exit(quantize(sys.argv[1]))
