"""Helpers shared by the scripts that rewrite an exported model in place (merge_bilstm.py,
split_char_cnn.py, quantize_lstm.py, int8_embeddings.py)."""
from __future__ import annotations

import json


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
