"""Entity micro F1 with conlleval chunk semantics (an I-X after O or after another type starts a chunk)."""
from __future__ import annotations


def chunks(tags: list[str]) -> set[tuple[int, int, str]]:
    out = set()
    start, typ = None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, t = tag.partition("-")
        begins = prefix == "B" or (prefix == "I" and (typ is None or t != typ))
        ends = tag == "O" or begins
        if typ is not None and ends:
            out.add((start, i, typ))
            start, typ = None, None
        if begins:
            start, typ = i, t
    return out


def f1(gold: list[list[str]], pred: list[list[str]]) -> dict:
    tp = ng = np_ = 0
    for g, p in zip(gold, pred):
        gc, pc = chunks(g), chunks(p)
        tp += len(gc & pc)
        ng += len(gc)
        np_ += len(pc)
    prec = tp / np_ if np_ else 0.0
    rec = tp / ng if ng else 0.0
    f = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(100 * prec, 2), "recall": round(100 * rec, 2), "f1": round(100 * f, 2),
            "gold": ng, "predicted": np_, "correct": tp}
