"""Helpers shared by the scripts that rewrite an exported model in place (merge_bilstm.py,
split_char_cnn.py, quantize_lstm.py, int8_embeddings.py)."""
from __future__ import annotations

import json

import numpy as np


def topological(nodes, available: set[str]):
    """The nodes in an order ONNX accepts: each after the nodes whose outputs it reads."""
    out, pending, have = [], list(nodes), set(available)
    while pending:
        ready = [n for n in pending if all(i == "" or i in have for i in n.input)]
        if not ready:
            raise SystemExit("graph has a cycle or a missing input")
        for n in ready:
            out.append(n)
            have.update(n.output)
        # identity, not ==: two protobuf nodes with the same fields are still two nodes
        pending = [n for n in pending if all(n is not r for r in ready)]
    return out


def write_manifest(path: str, manifest: dict) -> None:
    """The manifest as train.py writes it (one-space indent, UTF-8 names kept, final newline)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def max_emission_diff(before, after, batches) -> float:
    """Max |difference| of the two graphs' emissions over each sequence's own positions (padding
    not read). `batches` yields (feeds for `before`, feeds for `after`, the sequences' lengths);
    0 without onnxruntime, which says so."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed; skipping the comparison")
        return 0.0
    a = ort.InferenceSession(before.SerializeToString(), providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(after.SerializeToString(), providers=["CPUExecutionProvider"])
    worst = 0.0
    for feeds_a, feeds_b, lengths in batches:
        ra, rb = a.run(None, feeds_a)[0], b.run(None, feeds_b)[0]
        for i, n in enumerate(lengths):
            worst = max(worst, float(np.abs(ra[i, :n] - rb[i, :n]).max()))
    return worst
