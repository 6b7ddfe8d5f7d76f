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


class ChineseGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, word_ids, bigram_ids):
        return self.m(word_ids, bigram_ids=bigram_ids)


def export_model(model, out_dir: str, lang: str, n_feats: int) -> str:
    model.eval()
    path = os.path.join(out_dir, "model.onnx")
    B, T = 2, 7
    w = torch.randint(2, 10, (B, T))
    w[1, 5:] = 0
    if lang == "en":
        graph = EnglishGraph(model)
        args = (w, torch.randint(1, 5, (B, T, 4)), torch.zeros(B, T, n_feats))
        names = ["word_ids", "char_ids", "features"]
        axes = {"word_ids": {0: "batch", 1: "tokens"}, "char_ids": {0: "batch", 1: "tokens", 2: "chars"},
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
    check(graph, args, names, path)
    return path


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
        if a.dtype == torch.long:
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
    if diff > 1e-3:
        raise RuntimeError(f"exported graph disagrees with torch by {diff}")
