#!/usr/bin/env python3
"""Independent reference scorer for the evaluator's tests: chunks from nltk's conlltags2tree
(lenient: an I- that does not continue a same-type chunk opens a new one, as conlleval does)
scored with nltk's ChunkScore, micro and per type.

Usage: python3 nltk_ner_score.py GOLD PRED   (prints JSON; P/R/F1 in percent)
Files: `token<TAB or spaces>...<TAG>` lines; blank, IMGID: or WID: lines separate posts.
Only B/I/O tags (nltk's conlltags2tree knows no E-/S-).
"""
import json
import re
import sys

from nltk.chunk.util import ChunkScore, conlltags2tree


def read_posts(path):
    posts, cur = [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith(("IMGID:", "WID:")):
                if cur:
                    posts.append(cur)
                    cur = []
                continue
            cols = line.split("\t") if "\t" in line else line.split()
            if len(cols) < 2:
                sys.exit(f"{path}:{n}: expected token and tag")
            cur.append((cols[0], cols[-1]))
    if cur:
        posts.append(cur)
    return posts


def to_tree(post):
    # The POS slot is unused; the token itself makes leaves comparable between gold and pred.
    return conlltags2tree([(tok, "X", tag) for tok, tag in post])


def main():
    gold, pred = read_posts(sys.argv[1]), read_posts(sys.argv[2])
    if len(gold) != len(pred):
        sys.exit(f"gold has {len(gold)} posts, pred has {len(pred)}")
    types = sorted({tag[2:] for post in gold + pred for _, tag in post if tag != "O"})
    micro = ChunkScore()
    per = {t: ChunkScore(chunk_label=f"^{re.escape(t)}$") for t in types}
    for g, p in zip(gold, pred):
        if [t for t, _ in g] != [t for t, _ in p]:
            sys.exit("gold and pred tokens differ")
        gt, pt = to_tree(g), to_tree(p)
        micro.score(gt, pt)
        for s in per.values():
            s.score(gt, pt)

    def summary(s):
        return {
            "p": 100 * s.precision(),
            "r": 100 * s.recall(),
            "f1": 100 * s.f_measure(),
            "support": len(s.correct()),
            "predicted": len(s.guessed()),
            "correct": len(set(s.correct()) & set(s.guessed())),
        }

    out = summary(micro)
    out["perType"] = {t: summary(s) for t, s in per.items() if s.correct() or s.guessed()}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
