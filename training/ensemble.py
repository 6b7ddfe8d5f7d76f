"""Seed ensemble: several English models trained alike (seeds s, s+1, ...) merged into ONE ONNX graph.

The members share the vocabularies and feature list (both depend on the data only), so the merged
graph keeps the single-model inputs and outputs the mean of the members' emission scores; the CRF
parameters are the members' mean. Decoding the mean scores with the mean CRF is Viterbi under the
normalised product of the members' CRFs (a log-linear model), so the TypeScript side is unchanged.
"""
from __future__ import annotations

import datetime
import filecmp
import json
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import compose, helper


def merge_onnx(paths: list[str], out_path: str) -> None:
    graphs = []
    for i, p in enumerate(paths):
        m = onnx.load(p)
        graphs.append(compose.add_prefix(m, f"m{i}_", rename_inputs=False, rename_outputs=True).graph)
    first = graphs[0]
    nodes = [n for g in graphs for n in g.node]
    nodes.append(helper.make_node("Mean", [g.output[0].name for g in graphs], ["emissions"], name="ensemble_mean"))
    out = helper.make_tensor_value_info("emissions", onnx.TensorProto.FLOAT, ["batch", "tokens", None])
    graph = helper.make_graph(nodes, "ensemble", list(first.input), [out],
                              initializer=[t for g in graphs for t in g.initializer])
    base = onnx.load(paths[0])
    model = helper.make_model(graph, opset_imports=base.opset_import, ir_version=base.ir_version)
    onnx.checker.check_model(model)
    onnx.save(model, out_path)


def mean_crf(manifests: list[dict]) -> dict:
    def mean(key):
        return np.mean([np.array(m["crf"][key], dtype=np.float64) for m in manifests], axis=0)
    r = lambda a: np.round(a, 5).tolist()  # noqa: E731
    return {"transitions": r(mean("transitions")), "start": r(mean("start")), "end": r(mean("end")),
            "note": manifests[0]["crf"]["note"] + "; mean over the ensemble members"}


def evaluate_onnx(path: str, crf_params: dict, data_dir: str, manifest: dict, member_dir: str, log) -> dict:
    """Valid/test F1 of the merged graph, inputs built by train.py's own Encoder/collate."""
    import onnxruntime as ort

    from conlleval import f1
    from ekmm_data import load_twitter
    from ekmm_model import CRF
    from train import Encoder, collate

    def vocab(name):
        with open(os.path.join(member_dir, name), encoding="utf-8") as fh:
            return fh.read().split("\n")[:-1]

    labels = manifest["labels"]
    enc = Encoder("en", vocab("words.txt"), vocab("chars.txt"), [], labels,
                  manifest["knowledge_features"]["type_words"], False)
    crf = CRF(len(labels))
    with torch.no_grad():
        crf.trans.copy_(torch.tensor(crf_params["transitions"]))
        crf.start.copy_(torch.tensor(crf_params["start"]))
        crf.end.copy_(torch.tensor(crf_params["end"]))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    settings = {"text": (False, False), "caption": (False, True), "knowledge": (True, True)}
    results: dict = {"valid": {}, "test": {}}
    for split in ("valid", "test"):
        for year in ("2015", "2017"):
            posts = load_twitter(data_dir, year, split)
            items = [enc.encode(p) for p in posts]
            for sname, (k, c) in settings.items():
                preds = []
                for s in range(0, len(items), 64):
                    chunk = items[s:s + 64]
                    batch = collate(chunk, [k] * len(chunk), [c] * len(chunk))
                    em = torch.from_numpy(sess.run(None, {n: batch[n].numpy() for n in names})[0])
                    preds += [[labels[i] for i in path] for path in crf.decode(em, batch["word_ids"] != 0)]
                results[split][f"twitter{year}/{sname}"] = f1([p.tags for p in posts], preds)
    log("ensemble results: " + json.dumps({s: {k: v["f1"] for k, v in r.items()} for s, r in results.items()}))
    return results


def merge_members(member_dirs: list[str], out: str, data_dir: str, command: str, log) -> None:
    manifests = []
    for d in member_dirs:
        with open(os.path.join(d, "manifest.json"), encoding="utf-8") as fh:
            manifests.append(json.load(fh))
    for d, m in zip(member_dirs[1:], manifests[1:]):
        for f in ("words.txt", "chars.txt"):
            if not filecmp.cmp(os.path.join(member_dirs[0], f), os.path.join(d, f), shallow=False):
                raise RuntimeError(f"{d}/{f} differs from {member_dirs[0]}/{f}: members must share vocabularies")
        if m["features"] != manifests[0]["features"] or m["onnx"] != manifests[0]["onnx"]:
            raise RuntimeError(f"{d}: features or ONNX inputs differ from {member_dirs[0]}")
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "model.onnx")
    merge_onnx([os.path.join(d, "model.onnx") for d in member_dirs], onnx_path)
    crf = mean_crf(manifests)
    results = evaluate_onnx(onnx_path, crf, data_dir, manifests[0], member_dirs[0], log)
    for f in ("words.txt", "chars.txt"):
        shutil.copyfile(os.path.join(member_dirs[0], f), os.path.join(out, f))
    manifest = dict(manifests[0])
    manifest["command"] = command
    manifest["created"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    manifest["seeds"] = [m["seeds"][0] for m in manifests]
    training = {k: v for k, v in manifests[0]["training"].items()
                if k not in ("epochs_run", "best_epoch", "minutes", "history")}
    training["ensemble"] = "mean emissions of one model per seed (one ONNX graph), mean CRF parameters"
    training["minutes"] = round(sum(m["training"]["minutes"] for m in manifests), 1)
    training["members"] = [{"seed": m["seeds"][0], "epochs_run": m["training"]["epochs_run"],
                            "best_epoch": m["training"]["best_epoch"], "minutes": m["training"]["minutes"],
                            "valid_f1": {k: v["f1"] for k, v in m["results"]["valid"].items()},
                            "test_f1": {k: v["f1"] for k, v in m["results"]["test"].items()}} for m in manifests]
    manifest["training"] = training
    manifest["results"] = results
    manifest["crf"] = crf
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
