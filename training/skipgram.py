"""Skip-gram with negative sampling, small and deterministic, to initialise word vectors."""
from __future__ import annotations

import collections
import numpy as np
import torch


def train_skipgram(sentences: list[list[str]], dim: int = 100, window: int = 5, neg: int = 5,
                   min_count: int = 3, epochs: int = 3, batch: int = 4096, seed: int = 1,
                   log=print) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    counts = collections.Counter(w for s in sentences for w in s)
    vocab = [w for w, c in counts.most_common() if c >= min_count]
    index = {w: i for i, w in enumerate(vocab)}
    freq = np.array([counts[w] for w in vocab], dtype=np.float64)
    total = freq.sum()
    keep_p = np.minimum(1.0, np.sqrt(1e-4 * total / freq) + 1e-4 * total / freq)
    noise = freq ** 0.75
    noise /= noise.sum()
    ids = [np.array([index[w] for w in s if w in index], dtype=np.int64) for s in sentences]
    V = len(vocab)
    emb_in = torch.nn.Embedding(V, dim, sparse=True)
    emb_out = torch.nn.Embedding(V, dim, sparse=True)
    torch.nn.init.uniform_(emb_in.weight, -0.5 / dim, 0.5 / dim)
    torch.nn.init.zeros_(emb_out.weight)
    opt = torch.optim.SparseAdam(list(emb_in.parameters()) + list(emb_out.parameters()), lr=0.002)
    for ep in range(epochs):
        centers, contexts = [], []
        for s in ids:
            s = s[rng.random(len(s)) < keep_p[s]]
            n = len(s)
            if n < 2:
                continue
            spans = rng.integers(1, window + 1, size=n)
            for i in range(n):
                lo, hi = max(0, i - spans[i]), min(n, i + spans[i] + 1)
                ctx = np.concatenate([s[lo:i], s[i + 1:hi]])
                centers.append(np.full(len(ctx), s[i]))
                contexts.append(ctx)
        c = np.concatenate(centers)
        o = np.concatenate(contexts)
        perm = rng.permutation(len(c))
        c, o = torch.from_numpy(c[perm]), torch.from_numpy(o[perm])
        negs = torch.from_numpy(rng.choice(V, size=(len(c), neg), p=noise))
        tot = 0.0
        for b in range(0, len(c), batch):
            ci, oi, ni = c[b:b + batch], o[b:b + batch], negs[b:b + batch]
            vi = emb_in(ci)
            pos = (vi * emb_out(oi)).sum(1)
            ng = torch.bmm(emb_out(ni), vi.unsqueeze(2)).squeeze(2)
            loss = -(torch.nn.functional.logsigmoid(pos).mean() + torch.nn.functional.logsigmoid(-ng).sum(1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss) * len(ci)
        log(f"skipgram epoch {ep + 1}/{epochs}: {len(c)} pairs, loss {tot / len(c):.4f}, vocab {V}")
    w = emb_in.weight.detach().numpy()
    w = w / (np.linalg.norm(w, axis=1, keepdims=True) + 1e-8)  # unit norm, like the N(0,1/dim) init of the rest
    return {word: w[i] for i, word in enumerate(vocab)}
