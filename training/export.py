"""ONNX export: int64 ids (+ float features) in, per-token emission scores out; batch and lengths dynamic."""
from __future__ import annotations

import os

import torch
from torch import nn


class EnglishGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, word_ids, char_ids, features):
        return self.m(word_ids, char_ids=char_ids, features=features)


class ContextGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, word_ids, char_ids, features, ctx_ids):
        return self.m(word_ids, char_ids=char_ids, features=features, ctx_ids=ctx_ids)


class ChineseGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, word_ids, bigram_ids):
        return self.m(word_ids, bigram_ids=bigram_ids)


class ChineseLexiconGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, word_ids, bigram_ids, features):
        return self.m(word_ids, bigram_ids=bigram_ids, features=features)


def export_model(model, out_dir: str, lang: str, n_feats: int, ctx: bool = False, int8_embeddings: bool = False) -> str:
    model.eval()
    path = os.path.join(out_dir, "model.onnx")
    B, T = 2, 7
    w = torch.randint(2, 10, (B, T))
    w[1, 5:] = 0
    if lang == "en" and ctx:
        graph = ContextGraph(model)
        c = torch.randint(2, 10, (B, 5))
        c[0, 3:] = 0
        args = (w, torch.randint(1, 5, (B, T, 4)), torch.zeros(B, T, n_feats), c)
        names = ["word_ids", "char_ids", "features", "ctx_ids"]
        axes = {"word_ids": {0: "batch", 1: "tokens"}, "char_ids": {0: "batch", 1: "tokens", 2: "chars"},
                "features": {0: "batch", 1: "tokens"}, "ctx_ids": {0: "batch", 1: "ctx"}}
    elif lang == "en":
        graph = EnglishGraph(model)
        args = (w, torch.randint(1, 5, (B, T, 4)), torch.zeros(B, T, n_feats))
        names = ["word_ids", "char_ids", "features"]
        axes = {"word_ids": {0: "batch", 1: "tokens"}, "char_ids": {0: "batch", 1: "tokens", 2: "chars"},
                "features": {0: "batch", 1: "tokens"}}
    elif n_feats:
        graph = ChineseLexiconGraph(model)
        args = (w, torch.randint(1, 5, (B, T)), torch.zeros(B, T, n_feats))
        names = ["word_ids", "bigram_ids", "features"]
        axes = {"word_ids": {0: "batch", 1: "tokens"}, "bigram_ids": {0: "batch", 1: "tokens"},
                "features": {0: "batch", 1: "tokens"}}
    else:
        graph = ChineseGraph(model)
        args = (w, torch.randint(1, 5, (B, T)))
        names = ["word_ids", "bigram_ids"]
        axes = {"word_ids": {0: "batch", 1: "tokens"}, "bigram_ids": {0: "batch", 1: "tokens"}}
    axes["emissions"] = {0: "batch", 1: "tokens"}
    # the exporter restores the wrapper's mode recursively afterwards; a fresh wrapper is in train mode
    graph.eval()
    with torch.no_grad():
        torch.onnx.export(graph, args, path, input_names=names, output_names=["emissions"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    if int8_embeddings:
        quantize_embeddings(path)
    else:
        halve_embeddings(path)
    check(graph, args, names, path)
    return path


def halve_embeddings(path: str, min_size: int = 200_000) -> None:
    """Store large embedding tables as float16 (Gather in fp16, then Cast to float): half the file."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes = list(g.node)
    out_nodes = []
    halved: set[str] = set()
    for node in nodes:
        out_nodes.append(node)
        if node.op_type != "Gather" or node.input[0] not in inits:
            continue
        init = inits[node.input[0]]
        if init.name not in halved:  # a table may feed several Gathers (post words, knowledge context)
            arr = numpy_helper.to_array(init)
            if arr.dtype != np.float32 or arr.size < min_size:
                continue
            init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), init.name))
            halved.add(init.name)
        original = node.output[0]
        node.output[0] = original + "_f16"
        out_nodes.append(helper.make_node("Cast", [node.output[0]], [original], to=onnx.TensorProto.FLOAT,
                                          name=(node.name or original) + "_to_float"))
    del g.node[:]
    g.node.extend(out_nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def int8_rows(arr):
    """Symmetric int8 per row: (q, scale) with arr ~= q * scale."""
    import numpy as np
    scale = np.abs(arr).max(axis=1, keepdims=True).astype(np.float32) / np.float32(127.0)
    scale[scale == 0] = 1.0
    q = np.clip(np.round(arr / scale), -127, 127).astype(np.int8)
    return q, scale


def int8_round_trip_(weight: torch.Tensor) -> None:
    """Give a torch embedding table the values its int8 export will have, so the F1 measured is the shipped one's."""
    q, scale = int8_rows(weight.detach().numpy())
    with torch.no_grad():
        weight.copy_(torch.from_numpy(q.astype("float32") * scale))


def row_scale_nodes(table: str, ids: str, gathered: str, out: str, base: str) -> list:
    """out = gathered rows (as float) * their scales from `<table>_row_scale`, gathered with the same ids."""
    from onnx import helper
    return [helper.make_node("Gather", [table + "_row_scale", ids], [out + "_scale"], name=base + "_scale", axis=0),
            helper.make_node("Mul", [gathered, out + "_scale"], [out], name=base + "_dequant")]


def quantize_embeddings(path: str, min_size: int = 200_000) -> None:
    """Store large embedding tables as int8 with one float scale per row (a quarter of float32).

    A large pretrained vocabulary is mostly rows that training never touched; per-row scales keep
    each word's vector within 1/254 of its largest component. Gather int8 -> Cast -> Mul by the
    row's scale (gathered with the same ids), so the graph's inputs and outputs do not change.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    out_nodes = []
    done: set[str] = set()
    for node in list(g.node):
        out_nodes.append(node)
        if node.op_type != "Gather" or node.input[0] not in inits:
            continue
        table = node.input[0]
        init = inits[table]
        if table not in done:  # a table may feed several Gathers (post words, knowledge context)
            arr = numpy_helper.to_array(init)
            if arr.dtype != np.float32 or arr.size < min_size or arr.ndim != 2:
                continue
            q, scale = int8_rows(arr)
            init.CopyFrom(numpy_helper.from_array(q, table))
            g.initializer.append(numpy_helper.from_array(scale.astype(np.float32), table + "_row_scale"))
            done.add(table)
        original = node.output[0]
        base = node.name or original
        node.output[0] = original + "_i8"
        out_nodes.append(helper.make_node("Cast", [node.output[0]], [original + "_f"], to=onnx.TensorProto.FLOAT,
                                          name=base + "_to_float"))
        out_nodes.extend(row_scale_nodes(table, node.input[1], original + "_f", original, base))
    del g.node[:]
    g.node.extend(out_nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def check(graph, args, names, path) -> None:
    """Compare the ONNX graph with torch on a differently shaped batch, when onnxruntime is installed."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed; skipping the export check")
        return
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    B, T = 3, 11
    new = []
    for a in args:
        if a.dtype == torch.long and len(new) == 3:  # ctx_ids: its own length, one row shorter
            x = torch.randint(1, 5, (B, 9))
            x[1, 4:] = 0
            new.append(x)
        elif a.dtype == torch.long:
            shape = (B, T) + tuple(a.shape[2:])
            x = torch.randint(1, 5, shape)
            new.append(x)
        else:
            new.append(torch.rand(B, T, a.shape[2]).round())
    new[0][2, 6:] = 0
    with torch.no_grad():
        ref = graph(*new).numpy()
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, new)})[0]
    diff = float(abs(ref - got)[:, :6].max())
    print(f"onnx check: max |torch - onnxruntime| = {diff:.2e}")
    if diff > 0.05:  # float16 embedding tables round by ~1e-3 relative
        raise RuntimeError(f"exported graph disagrees with torch by {diff}")
