"""BiLSTM-CRF over word (+char CNN, +bigram) embeddings and an optional per-token feature channel.

The backward LSTM runs over each sequence reversed within its own length (a gather), so padded
batches give exactly the same emissions as unpadded ones, in training and in the exported ONNX
graph alike. The CRF lives outside the graph: its parameters go into the manifest and the
TypeScript side runs Viterbi.
"""
from __future__ import annotations

import torch
from torch import nn


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B,T,D): reverse each row's first lengths[b] steps, leave the padding where it is."""
    T = x.shape[1]
    t = torch.arange(T, device=x.device).unsqueeze(0)  # (1,T)
    L = lengths.unsqueeze(1)
    idx = torch.where(t < L, L - 1 - t, t)  # (B,T)
    return x.gather(1, idx.unsqueeze(2).expand(-1, -1, x.shape[2]))


class Tagger(nn.Module):
    def __init__(self, n_words: int, n_labels: int, n_chars: int = 0, n_bigrams: int = 0,
                 n_feats: int = 0, wdim: int = 100, cdim: int = 30, cfilters: int = 50,
                 bdim: int = 50, hidden: int = 150, dropout: float = 0.5, feat_dropout: float = 0.0,
                 ctx_mode: str = "", ctx_dim: int = 100, ckernels: tuple[int, ...] = (3,)):
        super().__init__()
        self.ctx_mode = ctx_mode
        self.n_chars, self.n_bigrams, self.n_feats = n_chars, n_bigrams, n_feats
        self.word_emb = nn.Embedding(n_words, wdim, padding_idx=0)
        d = wdim
        if n_chars:
            self.char_emb = nn.Embedding(n_chars, cdim, padding_idx=0)
            # one kernel width keeps the original parameter names (char_cnn), several go in a ModuleList
            self.ckernels = list(ckernels)
            if self.ckernels == [3]:
                self.char_cnn = nn.Conv1d(cdim, cfilters, kernel_size=3, padding=1)
            else:
                self.char_cnns = nn.ModuleList(nn.Conv1d(cdim, cfilters, kernel_size=k, padding=k // 2) for k in self.ckernels)
            d += cfilters * len(self.ckernels)
        if n_bigrams:
            self.bigram_emb = nn.Embedding(n_bigrams, bdim, padding_idx=0)
            d += bdim
        if n_feats:
            self.feat_proj = nn.Linear(n_feats, 20)
            self.feat_drop = nn.Dropout(feat_dropout)
        self.drop = nn.Dropout(dropout)
        # the feature channel skips the (heavy) embedding dropout and also reaches the output layer
        # directly, so "the LLM listed this span as a person" can push B-PER without detours
        self.fwd = nn.LSTM(d + (20 if n_feats else 0), hidden, batch_first=True)
        self.bwd = nn.LSTM(d + (20 if n_feats else 0), hidden, batch_first=True)
        d_in = d + (20 if n_feats else 0)
        self.d_in = d_in
        if ctx_mode == "concat":
            # marks knowledge-context positions; they carry word vectors only (no chars/features)
            self.ctx_marker = nn.Parameter(torch.zeros(d_in - wdim))
        elif ctx_mode == "attn":
            self.ctx_conv = nn.Conv1d(wdim, ctx_dim, kernel_size=3, padding=1)
            self.ctx_q = nn.Linear(2 * hidden, ctx_dim)
        att = ctx_dim if ctx_mode == "attn" else 0
        self.out = nn.Linear(2 * hidden + att + n_feats, n_labels)

    def forward(self, word_ids, char_ids=None, bigram_ids=None, features=None, ctx_ids=None):
        mask = word_ids != 0
        lengths = mask.sum(1)
        parts = [self.word_emb(word_ids)]
        if self.n_chars:
            B, T, C = char_ids.shape
            ce = self.char_emb(char_ids.reshape(B * T, C)).transpose(1, 2)  # (BT,cdim,C)
            cmask = (char_ids.reshape(B * T, 1, C) != 0)
            has = cmask.any(dim=2)  # (BT,1)
            for cnn in ([self.char_cnn] if self.ckernels == [3] else self.char_cnns):
                conv = cnn(ce)[:, :, :C]  # (BT,F,C); even widths give C+1 positions, the last dropped
                conv = conv.masked_fill(~cmask, -1e4)
                pooled = conv.max(dim=2).values
                pooled = torch.where(has, pooled, torch.zeros_like(pooled))
                parts.append(pooled.reshape(B, T, -1))
        if self.n_bigrams:
            parts.append(self.bigram_emb(bigram_ids))
        x = self.drop(torch.cat(parts, dim=2))
        if self.n_feats:
            x = torch.cat([x, self.feat_drop(torch.relu(self.feat_proj(features)))], dim=2)
        # explicit zero states: otherwise the ONNX export bakes the example batch size into them
        T = x.shape[1]
        if self.ctx_mode == "concat":
            # [post ; knowledge context] packed per row (no padding in between), post positions read back
            B = x.shape[0]
            c = self.drop(self.word_emb(ctx_ids))
            c = torch.cat([c, self.ctx_marker.view(1, 1, -1).expand(B, c.shape[1], -1)], dim=2)
            kc = (ctx_ids != 0).sum(1)
            allx = torch.cat([x, c], dim=1)
            P = allx.shape[1]
            p = torch.arange(P, device=x.device).unsqueeze(0)
            L = lengths.unsqueeze(1)
            idx = torch.where(p < L, p, torch.where(p < L + kc.unsqueeze(1), T + p - L, P - 1 + 0 * p))
            x = allx.gather(1, idx.unsqueeze(2).expand(-1, -1, allx.shape[2]))
            lengths = lengths + kc
        # explicit zero states: otherwise the ONNX export bakes the example batch size into them
        h0 = x.new_zeros(1, x.shape[0], self.fwd.hidden_size)
        hf, _ = self.fwd(x, (h0, h0))
        hb, _ = self.bwd(reverse_within_length(x, lengths), (h0, h0))
        hb = reverse_within_length(hb, lengths)
        h = self.drop(torch.cat([hf, hb], dim=2))
        if self.ctx_mode == "concat":
            h = h[:, :T]
        elif self.ctx_mode == "attn":
            c = torch.tanh(self.ctx_conv(self.drop(self.word_emb(ctx_ids)).transpose(1, 2))).transpose(1, 2)
            q = self.ctx_q(h)
            s = torch.bmm(q, c.transpose(1, 2)) / (c.shape[2] ** 0.5)
            s = s.masked_fill((ctx_ids == 0).unsqueeze(1), -1e4)
            h = torch.cat([h, torch.bmm(torch.softmax(s, dim=2), c)], dim=2)
        if self.n_feats:
            h = torch.cat([h, features], dim=2)
        return self.out(h)


class CRF(nn.Module):
    def __init__(self, n_labels: int):
        super().__init__()
        self.trans = nn.Parameter(torch.zeros(n_labels, n_labels))  # trans[i,j]: i -> j
        self.start = nn.Parameter(torch.zeros(n_labels))
        self.end = nn.Parameter(torch.zeros(n_labels))

    def nll(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood; mask (B,T) bool with prefixes of ones."""
        B, T, L = em.shape
        maskf = mask.float()
        # score of gold path
        score = self.start[tags[:, 0]] + em[:, 0].gather(1, tags[:, :1]).squeeze(1)
        for t in range(1, T):
            s = self.trans[tags[:, t - 1], tags[:, t]] + em[:, t].gather(1, tags[:, t:t + 1]).squeeze(1)
            score = score + s * maskf[:, t]
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        score = score + self.end[last]
        # partition
        alpha = self.start.unsqueeze(0) + em[:, 0]
        for t in range(1, T):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans.unsqueeze(0), dim=1) + em[:, t]
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
        logz = torch.logsumexp(alpha + self.end.unsqueeze(0), dim=1)
        return (logz - score).mean()

    @torch.no_grad()
    def decode(self, em: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        B, T, L = em.shape
        score = self.start.unsqueeze(0) + em[:, 0]
        back = []
        for t in range(1, T):
            cand = score.unsqueeze(2) + self.trans.unsqueeze(0)  # (B,L,L)
            best, idx = cand.max(dim=1)
            nxt = best + em[:, t]
            score = torch.where(mask[:, t:t + 1], nxt, score)
            back.append(idx)
        score = score + self.end.unsqueeze(0)
        lengths = mask.sum(1).tolist()
        out = []
        for b in range(B):
            n = lengths[b]
            tag = int(score[b].argmax())
            path = [tag]
            for t in range(n - 1, 0, -1):
                tag = int(back[t - 1][b, tag])
                path.append(tag)
            out.append(path[::-1])
        return out
