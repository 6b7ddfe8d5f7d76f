"""Exact float rewrites of the PP-OCRv4 graphs (PPLCNetV3 backbone) that onnxruntime does not do.

    python tools/ocr-quantize/fold.py --src FILE.onnx --out FILE.folded.onnx

The paddle2onnx export spells every activation out in elementwise ops on whole feature maps:
each hard-swish is Add(3) -> Clip(0, 6) -> Mul -> Div(6), and each PPLCNetV3 "learnable affine
block" is a Mul and an Add by a scalar, before and after the activation. onnxruntime's CPU
optimiser fuses none of them, so in the recognizer these memory-bound passes (and the layout
reorders they force around the NCHWc convolutions) took ~60% of the kernel time, the Conv
nodes ~28% (onnxruntime profile, 10 crops of the bench's speed image). This rewrite:

1. replaces each hard-swish chain by one HardSwish node (opset 14; the same function);
2. folds a scalar Mul / Add that follows a Conv into that Conv's weights and bias
   (w' = s*w, b' = s*b + t);
3. folds a scalar Mul that precedes a Conv into its weights (exact: zero padding stays zero) and
   the Add too when the Conv has no padding (b' = b + t * sum(w)); before a padded Conv the Add
   stays (a padded border would otherwise get t where it had 0).

Each step is the same arithmetic reordered, so the outputs agree to float rounding (the bench
and test/ocr/model-variant.test.ts check that the text read is the same).
"""

import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper, version_converter

from onnx_prep import constants_to_initializers

OPSET = 14


class Graph:
    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.init = {t.name: t for t in self.g.initializer}
        self.outputs = {o.name for o in self.g.output}

    def consumers(self, name):
        return [n for n in self.g.node if name in n.input]

    def producer(self, name):
        for n in self.g.node:
            if name in n.output:
                return n
        return None

    def const(self, name):
        t = self.init.get(name)
        return None if t is None else numpy_helper.to_array(t)

    def set_const(self, name, value):
        t = numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)
        if name in self.init:
            self.init[name].CopyFrom(t)
        else:
            self.g.initializer.append(t)
            self.init[name] = self.g.initializer[-1]

    def scalar_operand(self, node):
        """(scalar value, the other input) of a Mul/Add with one scalar initializer input, else None."""
        if len(node.input) != 2:
            return None
        for i in (0, 1):
            c = self.const(node.input[i])
            if c is not None and c.size == 1 and self.const(node.input[1 - i]) is None:
                return float(c.ravel()[0]), node.input[1 - i]
        return None

    def only_consumer(self, name):
        cs = self.consumers(name)
        return cs[0] if len(cs) == 1 and name not in self.outputs else None

    def remove(self, node, new_input_name, old_output):
        """Drops `node`, rewiring readers of `old_output` to `new_input_name`."""
        for n in self.g.node:
            for i, inp in enumerate(n.input):
                if inp == old_output:
                    n.input[i] = new_input_name
        for o in self.g.output:
            if o.name == old_output:
                raise ValueError(f"cannot remove {node.name}: its output is a graph output")
        self.g.node.remove(node)


def conv_params(graph, conv):
    w = graph.const(conv.input[1])
    b = graph.const(conv.input[2]) if len(conv.input) > 2 and conv.input[2] else np.zeros(w.shape[0], np.float32)
    return w, b


def set_conv_params(graph, conv, w, b):
    graph.set_const(conv.input[1], w)
    if len(conv.input) > 2 and conv.input[2]:
        graph.set_const(conv.input[2], b)
    else:
        name = conv.input[1] + "_folded_bias"
        graph.set_const(name, b)
        while len(conv.input) < 3:
            conv.input.append("")
        conv.input[2] = name


def conv_unpadded(conv):
    for a in conv.attribute:
        if a.name == "pads" and any(a.ints):
            return False
        if a.name == "auto_pad" and a.s not in (b"", b"NOTSET", b"VALID"):
            return False
    return True


def fuse_hardswish(graph):
    count = 0
    for add in list(graph.g.node):
        if add.op_type != "Add" or add not in graph.g.node:
            continue
        so = graph.scalar_operand(add)
        if not so or so[0] != 3.0:
            continue
        x = so[1]
        clip = graph.only_consumer(add.output[0])
        if not clip or clip.op_type != "Clip":
            continue
        lo = graph.const(clip.input[1]) if len(clip.input) > 1 and clip.input[1] else None
        hi = graph.const(clip.input[2]) if len(clip.input) > 2 and clip.input[2] else None
        if lo is None or hi is None or float(lo) != 0.0 or float(hi) != 6.0:
            continue
        mul = graph.only_consumer(clip.output[0])
        if not mul or mul.op_type != "Mul" or set(mul.input) != {x, clip.output[0]}:
            continue
        div = graph.only_consumer(mul.output[0])
        if not div or div.op_type != "Div" or div.input[0] != mul.output[0]:
            continue
        six = graph.const(div.input[1])
        if six is None or six.size != 1 or float(six.ravel()[0]) != 6.0:
            continue
        hs = helper.make_node("HardSwish", [x], [div.output[0]], name=f"{div.name}.hardswish")
        at = list(graph.g.node).index(add)
        for n in (add, clip, mul, div):
            graph.g.node.remove(n)
        graph.g.node.insert(at, hs)
        count += 1
    return count


def fold_after_conv(graph):
    """Conv -> Mul(s) [-> Add(t)] and Conv -> Add(t): into the Conv."""
    count = 0
    changed = True
    while changed:
        changed = False
        for conv in list(graph.g.node):
            if conv.op_type != "Conv":
                continue
            nxt = graph.only_consumer(conv.output[0])
            if not nxt or nxt.op_type not in ("Mul", "Add"):
                continue
            so = graph.scalar_operand(nxt)
            if not so or so[1] != conv.output[0]:
                continue
            w, b = conv_params(graph, conv)
            if nxt.op_type == "Mul":
                w, b = w * so[0], b * so[0]
            else:
                b = b + so[0]
            set_conv_params(graph, conv, w.astype(np.float32), b.astype(np.float32))
            graph.remove(nxt, conv.output[0], nxt.output[0])
            count += 1
            changed = True
    return count


def fold_before_conv(graph):
    """Mul(s) [-> Add(t)] -> Conv: s into the weights; t too when the Conv has no padding."""
    count = 0
    for mul in list(graph.g.node):
        if mul not in graph.g.node or mul.op_type != "Mul":
            continue
        so = graph.scalar_operand(mul)
        if not so:
            continue
        s, x = so
        add = graph.only_consumer(mul.output[0])
        t = None
        if add and add.op_type == "Add":
            sa = graph.scalar_operand(add)
            if sa and sa[1] == mul.output[0]:
                t = sa[0]
        tail = add.output[0] if t is not None else mul.output[0]
        conv = graph.only_consumer(tail)
        if not conv or conv.op_type != "Conv" or conv.input[0] != tail:
            continue
        w, b = conv_params(graph, conv)
        keep_add = t is not None and not conv_unpadded(conv)
        if t is not None and not keep_add:
            b = b + t * w.sum(axis=(1, 2, 3))
        w = w * s
        set_conv_params(graph, conv, w.astype(np.float32), b.astype(np.float32))
        if t is not None and keep_add:
            # Conv(pad(s*x + t)) = Conv_{s*w}(pad(x + t/s)): the Add stays, by t/s, before the padded Conv.
            # As a per-channel 1x1 Conv (weight 1, bias t/s) rather than an Add: onnxruntime runs a
            # Conv in its blocked (NCHWc) layout, a broadcast Add only after reordering out and back.
            group = next((a.i for a in conv.attribute if a.name == "group"), 1)
            channels = w.shape[1] * group
            ones, bias = f"{add.name}.as_conv.w", f"{add.name}.as_conv.b"
            graph.set_const(ones, np.ones((channels, 1, 1, 1), np.float32))
            graph.set_const(bias, np.full(channels, t / s, np.float32))
            shift = helper.make_node("Conv", [x, ones, bias], [add.output[0]], name=f"{add.name}.as_conv", group=channels, kernel_shape=[1, 1])
            at = list(graph.g.node).index(add)
            graph.g.node.remove(add)
            graph.g.node.insert(at, shift)
            graph.g.node.remove(mul)
        else:
            if t is not None:
                graph.remove(add, mul.output[0], add.output[0])
            graph.remove(mul, x, mul.output[0])
        count += 1
    return count


def prune(model):
    used = {i for n in model.graph.node for i in n.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)


def fold(model):
    model = constants_to_initializers(model)
    if model.opset_import[0].version < OPSET:
        # The converter spells Clip's bounds (attributes before opset 11) as Constant nodes.
        model = constants_to_initializers(version_converter.convert_version(model, OPSET))
    graph = Graph(model)
    counts = {"hardswish": fuse_hardswish(graph), "after_conv": fold_after_conv(graph), "before_conv": fold_before_conv(graph)}
    prune(model)
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    return model, counts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    model, counts = fold(onnx.load(args.src))
    onnx.save(model, args.out)
    print({"out": args.out, **counts, "nodes": len(model.graph.node)})


if __name__ == "__main__":
    main()
