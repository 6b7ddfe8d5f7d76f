"""Convert a model directory's float16 word table (export.halve_embeddings) to int8 rows in place.

For a model trained before --int8-embeddings existed: the same per-row int8 form train.py now
exports (export.int8_rows), so the file shrinks by half again. Measure the converted model with
bench/quality.ts afterwards: the F1 in its manifest was measured before the conversion.

    python3 training/int8_embeddings.py training/out/text-g30-s1
"""
from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

from export import int8_rows, row_scale_nodes
from graph_edit import topological


def convert(model_dir: str) -> int:
    path = os.path.join(model_dir, "model.onnx")
    model = onnx.load(path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    casts = {n.input[0]: n for n in g.node if n.op_type == "Cast"}
    out_nodes, done = [], set()
    for node in list(g.node):
        out_nodes.append(node)
        if node.op_type != "Gather" or node.input[0] not in inits:
            continue
        table = inits[node.input[0]]
        arr = numpy_helper.to_array(table)
        if arr.dtype != np.float16 and table.name not in done:
            continue
        cast = casts.get(node.output[0])
        if cast is None:
            raise SystemExit(f"{path}: float16 table {table.name} is not followed by a Cast")
        if table.name not in done:
            q, scale = int8_rows(arr.astype(np.float32))
            table.CopyFrom(numpy_helper.from_array(q, table.name))
            g.initializer.append(numpy_helper.from_array(scale.astype(np.float32), table.name + "_row_scale"))
            done.add(table.name)
        original = cast.output[0]
        cast.output[0] = original + "_f"
        out_nodes.extend(row_scale_nodes(table.name, node.input[1], original + "_f", original, node.name or original))
    if not done:
        raise SystemExit(f"{path}: no float16 embedding table found")
    # the Cast nodes were appended in their original order after their Gathers; sort topologically
    del g.node[:]
    g.node.extend(topological(out_nodes, {i.name for i in g.input} | {i.name for i in g.initializer}))
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print(f"{path}: int8 rows for {sorted(done)}, {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: int8_embeddings.py <model dir>")
    sys.exit(convert(sys.argv[1]))
