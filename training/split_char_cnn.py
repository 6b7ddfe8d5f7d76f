"""Move an English model's char CNN out of its ONNX graph, same weights, in place.

The graph then reads one vector per token (input `char_features`, batch x tokens x filters)
where it read char ids (`char_ids`, batch x tokens x chars), and char_cnn.json holds the char
table and the convolution for the tagger to compute those vectors itself
(src/recognizers/local/char-cnn.ts). Why: onnxruntime ran the convolution, its mask and max over
every token padded to the longest token of the batch (up to 20 characters) and the tagger built
that char id tensor token by token: 38% of session.run and most of the tensor building for
models/ner-en. Outside the graph a token costs its own characters only (each position the sum of
one precomputed row per kernel tap, no multiplications), and nothing else in the graph changes:
every other node, initializer and the output are the exported ones.

The emissions agree with the original graph to float rounding (printed: max |difference| on
random batches); check tags and F1 with bench/quality.ts afterwards.

    python3 training/split_char_cnn.py models/ner-en
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from graph_edit import max_emission_diff, write_manifest

CHAR_CNN_FILE = "char_cnn.json"
# conv.masked_fill(~cmask, -1e4) in ekmm_model.Tagger.forward: positions past the token's end
MASKED = -1e4


def char_vectors(char_ids: np.ndarray, cnn: dict) -> np.ndarray:
    """The char CNN's pooled output for (..., chars) ids: what the graph computed, in float64.

    Position i of a token of n characters: bias + sum over taps j of W[:, :, j] . emb[id at
    i + j - padding], ids outside 0..n-1 contributing nothing (zero padding, and emb row 0, the
    padding id's, is zero); the vector is the maximum over positions 0..n-1, zeros for n = 0.
    """
    emb = np.asarray(cnn["embedding"]["data"], dtype=np.float64).reshape(cnn["embedding"]["rows"], cnn["embedding"]["dim"])
    shape = char_ids.shape[:-1]
    flat = char_ids.reshape(-1, char_ids.shape[-1])
    parts = []
    for k in cnn["kernels"]:
        w = np.asarray(k["weight"], dtype=np.float64).reshape(k["filters"], cnn["embedding"]["dim"], k["width"])
        taps = np.einsum("cd,fdj->jcf", emb, w)  # (width, chars in the table, filters)
        out = np.zeros((flat.shape[0], k["filters"]))
        for r, ids in enumerate(flat):
            n = int((ids != 0).sum())
            if n == 0:
                continue
            best = np.full(k["filters"], MASKED)
            for i in range(n):
                v = np.asarray(k["bias"], dtype=np.float64).copy()
                for j in range(k["width"]):
                    c = i + j - k["padding"]
                    if 0 <= c < n:
                        v += taps[j, ids[c]]
                best = np.maximum(best, v)
            out[r] = best
        parts.append(out)
    return np.concatenate(parts, axis=1).reshape(*shape, -1)


def ancestors(g, tensor: str) -> set[str]:
    """Names of the nodes that `tensor` is computed from."""
    by_out = {o: n for n in g.node for o in n.output}
    seen, stack = set(), [tensor]
    while stack:
        n = by_out.get(stack.pop())
        if n is None or n.name in seen:
            continue
        seen.add(n.name)
        stack.extend(n.input)
    return seen


def depends_on(g, source: str) -> set[str]:
    """Tensors computed (directly or not) from graph input `source`, source included."""
    dep = {source}
    for n in g.node:  # exported graphs are in topological order
        if any(i in dep for i in n.input):
            dep.update(n.output)
    return dep


def split(model_dir: str) -> int:
    mpath = os.path.join(model_dir, "manifest.json")
    with open(mpath, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if "char_ids" not in manifest["onnx"]["inputs"]:
        raise SystemExit(f"{mpath}: the graph reads no char_ids (already split, or not an English model)")
    if manifest.get("knowledge_context"):
        raise SystemExit(f"{mpath}: knowledge-context models are not supported")
    path = os.path.join(model_dir, manifest["onnx"]["file"])
    original = onnx.load(path)
    model = onnx.load(path)
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    chars = depends_on(g, "char_ids")
    words = depends_on(g, "word_ids")
    # the cut: char-only tensors that meet the word path, i.e. the pooled vectors concatenated
    # with the word embeddings (one per kernel width, in the concatenation's order)
    cut = []
    for n in g.node:
        if any(i in words for i in n.input):
            cut.extend(i for i in n.input if i in chars and i not in words and i not in cut)
    if not cut:
        raise SystemExit(f"{path}: no char features meet the word embeddings")
    by_name = {n.name: n for n in g.node}
    emb_name = "m.char_emb.weight"
    emb = inits[emb_name]
    if np.abs(emb[0]).max() != 0:
        raise SystemExit(f"{path}: row 0 (padding) of the char table is not zero")
    kernels = []
    for t in cut:
        convs = [by_name[a] for a in ancestors(g, t) if by_name[a].op_type == "Conv"]
        if len(convs) != 1:
            raise SystemExit(f"{path}: {t} is not computed by exactly one Conv")
        conv = convs[0]
        attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
        w, b = inits[conv.input[1]], inits[conv.input[2]]
        width = int(w.shape[2])
        if list(attrs.get("strides", [1])) != [1] or list(attrs.get("dilations", [1])) != [1] or attrs.get("group", 1) != 1:
            raise SystemExit(f"{path}: {conv.name}: only stride 1, dilation 1, one group")
        pads = list(attrs.get("pads", [0, 0]))
        kernels.append({"width": width, "padding": int(pads[0]), "filters": int(w.shape[0]),
                        "weight": [float(x) for x in w.astype(np.float32).ravel()],
                        "bias": [float(x) for x in b.astype(np.float32).ravel()]})
    total = sum(k["filters"] for k in kernels)
    cnn = {
        "format": "ekmm-char-cnn/1",
        "note": "per token of n characters (ids from the chars vocabulary, first max.chars_per_token): "
                "for each kernel, position i in 0..n-1 = bias + sum over taps j of weight[:, :, j] . "
                "embedding[id at i + j - padding] (positions outside 0..n-1 contribute nothing); the "
                f"token's vector is the maximum over positions, starting from {MASKED:g}, zeros for n = 0; "
                "kernels concatenated in order. weight is filters x dim x width, row-major.",
        "masked": MASKED,
        "embedding": {"rows": int(emb.shape[0]), "dim": int(emb.shape[1]), "data": [float(x) for x in emb.astype(np.float32).ravel()]},
        "kernels": kernels,
    }

    new_nodes = []
    if len(cut) == 1:
        for n in g.node:
            for j, i in enumerate(n.input):
                if i == cut[0]:
                    n.input[j] = "char_features"
    else:
        sizes = numpy_helper.from_array(np.array([k["filters"] for k in kernels], dtype=np.int64), "char_features_split")
        g.initializer.append(sizes)
        new_nodes.append(helper.make_node("Split", ["char_features", "char_features_split"], cut, axis=2, name="char_features_split"))
    # keep what the output needs, the cut tensors now coming from the new input
    needed, keep = {o.name for o in g.output}, []
    old_nodes = [n for n in g.node if not any(o in cut for o in n.output)]
    for n in reversed(new_nodes + old_nodes):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    keep.reverse()
    keep = new_nodes + [n for n in keep if n not in new_nodes]
    del g.node[:]
    g.node.extend(keep)
    inputs = [i for i in g.input if i.name != "char_ids"]
    at = [i.name for i in g.input].index("char_ids")
    inputs.insert(at, helper.make_tensor_value_info("char_features", TensorProto.FLOAT, ["batch", "tokens", total]))
    del g.input[:]
    g.input.extend(inputs)
    unused = [i for i in g.initializer if i.name not in needed]
    for i in unused:
        g.initializer.remove(i)
    del g.value_info[:]
    onnx.checker.check_model(model)

    n_words = int(inits["m.word_emb.weight"].shape[0])
    diff = compare(original, model, cnn, len(manifest["features"]), n_words)
    print(f"{path}: max |emissions before - after| = {diff:.2e} on random batches")
    if diff > 1e-4:
        raise SystemExit(f"{path}: the split graph disagrees with the original by {diff}")

    onnx.save(model, path)
    with open(os.path.join(model_dir, CHAR_CNN_FILE), "w", encoding="utf-8") as fh:
        json.dump(cnn, fh)
        fh.write("\n")
    manifest["onnx"]["inputs"] = ["char_features" if i == "char_ids" else i for i in manifest["onnx"]["inputs"]]
    manifest["char_cnn"] = {"file": CHAR_CNN_FILE, "filters": total,
                            "note": "the graph's char_features input: per-token vectors the tagger computes from this file "
                                    "(training/split_char_cnn.py moved the char CNN out of the graph)"}
    write_manifest(mpath, manifest)
    removed = len(original.graph.node) - len(model.graph.node)
    print(f"{path}: {removed} nodes removed, {len(model.graph.node)} left, {os.path.getsize(path)} bytes; wrote {CHAR_CNN_FILE}")
    return 0


def compare(before, after, cnn: dict, n_feats: int, n_words: int) -> float:
    """Max |difference| of emissions: original graph on char ids vs split graph on their vectors."""
    return max_emission_diff(before, after, random_batches(cnn, n_feats, n_words))


def random_batches(cnn: dict, n_feats: int, n_words: int):
    """Random padded batches of word and char ids, as the original graph's and the split graph's feeds."""
    rng = np.random.default_rng(0)
    for B, T, C in ((1, 1, 1), (3, 11, 20), (16, 30, 7), (5, 4, 20)):
        lengths = rng.integers(1, T + 1, B)
        lengths[0] = T
        n_chars = cnn["embedding"]["rows"]
        word = rng.integers(1, n_words, (B, T)).astype(np.int64)
        ids = np.zeros((B, T, C), dtype=np.int64)
        for i in range(B):
            word[i, lengths[i]:] = 0
            for t in range(lengths[i]):
                n = int(rng.integers(1, C + 1))
                ids[i, t, :n] = rng.integers(1, n_chars, n)
        feats = (rng.random((B, T, n_feats)) < 0.2).astype(np.float32)
        yield ({"word_ids": word, "char_ids": ids, "features": feats},
               {"word_ids": word, "char_features": char_vectors(ids, cnn).astype(np.float32), "features": feats},
               lengths)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: split_char_cnn.py <model dir>")
    sys.exit(split(sys.argv[1]))
