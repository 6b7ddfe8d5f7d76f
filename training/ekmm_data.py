"""Dataset readers and the token/knowledge normalisation rules shared with the TypeScript tagger.

Every rule here is mirrored in src/recognizers/local/features.ts and written into the model
manifest; change both together.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

# Python's [^\W_] is "letter or digit" (Unicode), the TS side uses [\p{L}\p{N}].
ALNUM_RUN = re.compile(r"[^\W_]+")
EDGE_NON_ALNUM = re.compile(r"^[\W_]+|[\W_]+$")
DIGIT = re.compile(r"\d")
# Tweet-like tokenizer for raw text: URL | @mention/#hashtag/word (\w run) | any other single char.
TOKEN = re.compile(r"https?://\S+|www\.\S+|[@#]?\w+|\S")
ENTITY_LIST = re.compile(r"named entities\s*:(.*?)(?:reasoning\s*:|$)", re.I | re.S)
ENTITY_ITEM = re.compile(r"\d+\.\s*([^()]+?)\s*\(([^()]*)\)")
TYPES = ["PER", "LOC", "ORG", "OTHER"]
# First keyword (in reading order of the LLM's type text) that names one of our types wins.
TYPE_KEYWORDS = {
    "PER": ["person", "people", "player", "politician", "musician", "celebrity", "singer", "actor",
            "actress", "artist", "author", "athlete", "coach", "president", "performer",
            "photographer", "rapper", "comedian", "journalist", "footballer", "dj", "host"],
    "LOC": ["location", "country", "city", "place", "state", "region", "geographic", "continent",
            "river", "island", "street", "landmark", "venue", "stadium", "park", "town", "area",
            "province", "county", "neighborhood", "building"],
    "ORG": ["organization", "organisation", "company", "brand", "team", "league", "franchise",
            "institution", "band", "publication", "news", "club", "university", "school",
            "network", "agency", "party", "government", "channel", "magazine", "newspaper",
            "group", "business", "station", "media"],
}


def word_key(token: str) -> str:
    """Key of a token in the word-embedding vocabulary."""
    t = token.lower()
    if t.startswith("http://") or t.startswith("https://") or t.startswith("www."):
        return "<url>"
    return DIGIT.sub("0", t)


def match_key(token: str) -> str:
    """Key used to look a token up in knowledge/caption text: lowercased, edge punctuation off."""
    return EDGE_NON_ALNUM.sub("", token.lower())


def text_keys(text: str) -> set[str]:
    """Every whitespace word (edge punctuation off) and every letter/digit run of a text."""
    keys: set[str] = set()
    for w in text.lower().split():
        k = EDGE_NON_ALNUM.sub("", w)
        if k:
            keys.add(k)
        keys.update(ALNUM_RUN.findall(w))
    return keys


def map_llm_type(type_text: str) -> str:
    for word in re.split(r"[^a-z]+", type_text.lower()):
        for t, kws in TYPE_KEYWORDS.items():
            if word in kws:
                return t
    return "OTHER"


def type_text_words(type_text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z]+", type_text.lower()) if w}


def parse_entity_list(knowledge: str, raw_types: bool = False) -> list[tuple[list[str], str]]:
    """The LLM's 'Named entities: 1. name (type) 2. ...' list as (name match keys, type)."""
    m = ENTITY_LIST.search(knowledge)
    if not m:
        return []
    out = []
    for name, typ in ENTITY_ITEM.findall(m.group(1)):
        keys = [k for k in (match_key(w) for w in name.split()) if k]
        if keys:
            out.append((keys, typ if raw_types else map_llm_type(typ)))
    return out


FEATURES = ["knowledge_present", "in_knowledge_text",
            "listed_span_PER", "listed_span_LOC", "listed_span_ORG", "listed_span_OTHER",
            "listed_span_begin",
            "listed_word_PER", "listed_word_LOC", "listed_word_ORG", "listed_word_OTHER",
            "caption_present", "in_caption"]


TYPE_STOPWORDS = {"a", "an", "and", "for", "in", "of", "on", "or", "the", "to"}


CASES = ["case_url", "case_mention", "case_hashtag", "case_no_alnum", "case_digit", "case_all_upper",
         "case_init_upper", "case_other"]
LETTER = re.compile(r"[^\W\d_]")


def case_class(token: str) -> int:
    """Shape of a token, first matching rule wins (always on, independent of knowledge)."""
    t = token.lower()
    if t.startswith("http://") or t.startswith("https://") or t.startswith("www."):
        return 0
    if token.startswith("@") and len(token) > 1:
        return 1
    if token.startswith("#") and len(token) > 1:
        return 2
    if not ALNUM_RUN.search(token):
        return 3
    if DIGIT.search(token):
        return 4
    letters = LETTER.findall(token)
    upper = [c != c.lower() for c in letters]
    if len(letters) > 1 and all(upper):
        return 5
    if letters and upper[0]:
        return 6
    return 7


GAZ_LISTS = ["country", "state", "city", "first"]


def feature_names(type_words: list[str], case_features: bool = False, gazetteer: bool = False) -> list[str]:
    return (FEATURES + [f"listed_typeword_{w}" for w in type_words] + (CASES if case_features else [])
            + ([f"gaz_{g}" for g in GAZ_LISTS] if gazetteer else []))


def load_gazetteer(path: str) -> dict[str, set[tuple[str, ...]]]:
    """training/gazetteer-en.tsv: `<list>\t<match keys joined by one space>` per line."""
    gaz: dict[str, set[tuple[str, ...]]] = {g: set() for g in GAZ_LISTS}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            name, sep, keys = line.partition("\t")
            if not sep or name not in gaz or not keys or keys != keys.strip() or "  " in keys:
                raise ValueError(f"{path}:{lineno}: expected '<{'|'.join(GAZ_LISTS)}>\\t<keys separated by one space>'")
            gaz[name].add(tuple(keys.split(" ")))
    return gaz


def gazetteer_features(tokens: list[str], gaz: dict[str, set[tuple[str, ...]]]) -> list[list[float]]:
    """gaz_L: the token lies inside a run of consecutive tokens whose match keys equal a name of list L
    (every run, overlapping ones too; always on, independent of knowledge)."""
    keys = [match_key(t) for t in tokens]
    n = len(tokens)
    rows = [[0.0] * len(GAZ_LISTS) for _ in range(n)]
    longest = {g: max((len(k) for k in names), default=0) for g, names in gaz.items()}
    for j, g in enumerate(GAZ_LISTS):
        names = gaz[g]
        for s in range(n):
            if not keys[s]:
                continue
            for L in range(1, min(longest[g], n - s) + 1):
                if tuple(keys[s:s + L]) in names:
                    for i in range(s, s + L):
                        rows[i][j] = 1.0
    return rows


def case_features(tokens: list[str], width: int) -> list[list[float]]:
    """Rows of `width` zeros with the one-hot token shape in the last len(CASES) columns."""
    rows = []
    for t in tokens:
        row = [0.0] * width
        row[width - len(CASES) + case_class(t)] = 1.0
        rows.append(row)
    return rows


def common_type_words(posts, limit: int = 40) -> list[str]:
    """Most frequent words of the LLM's type texts in these posts' knowledge (ties by word)."""
    import collections
    c = collections.Counter()
    for p in posts:
        if p.knowledge:
            for _, typ in parse_entity_list(p.knowledge, raw_types=True):
                c.update(type_text_words(typ) - TYPE_STOPWORDS)
    return [w for w, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def token_features(tokens: list[str], knowledge: str | None, caption: str | None,
                   type_words: list[str] = ()) -> list[list[float]]:
    n = len(tokens)
    f = [[0.0] * (len(FEATURES) + len(type_words)) for _ in range(n)]
    keys = [match_key(t) for t in tokens]
    if knowledge:
        kset = text_keys(knowledge)
        ents = parse_entity_list(knowledge)
        words = {t: set() for t in TYPES}
        for ek, et in ents:
            words[et].update(ek)
        for i, k in enumerate(keys):
            f[i][0] = 1.0
            if not k:
                continue
            if k in kset:
                f[i][1] = 1.0
            for j, t in enumerate(TYPES):
                if k in words[t]:
                    f[i][7 + j] = 1.0
        raw = parse_entity_list(knowledge, raw_types=True)
        for (ek, et), (_, rt) in zip(ents, raw):
            L = len(ek)
            tw = type_text_words(rt)
            cols = [len(FEATURES) + j for j, w in enumerate(type_words) if w in tw]
            for s in range(0, n - L + 1):
                if keys[s:s + L] == ek:
                    for i in range(s, s + L):
                        f[i][2 + TYPES.index(et)] = 1.0
                        for c in cols:
                            f[i][c] = 1.0
                    f[s][6] = 1.0
    if caption:
        cset = text_keys(caption)
        for i, k in enumerate(keys):
            f[i][11] = 1.0
            if k and k in cset:
                f[i][12] = 1.0
    return f


@dataclass
class Post:
    id: str
    tokens: list[str]
    tags: list[str]
    knowledge: str | None = None
    caption: str | None = None
    extra: dict = field(default_factory=dict)


def read_conll(path: str, id_prefix: str) -> list[Post]:
    """IMGID:/WID: headed CoNLL (token TAB tag), blank line between posts; CRLF tolerated."""
    posts: list[Post] = []
    cur: Post | None = None
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\r\n")
            if line.startswith(id_prefix):
                if cur and cur.tokens:
                    posts.append(cur)
                cur = Post(line[len(id_prefix):], [], [])
                continue
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2 or cur is None:
                raise ValueError(f"{path}:{lineno}: expected 'token<TAB>tag' after an {id_prefix} line: {line!r}")
            cur.tokens.append(parts[0])
            cur.tags.append(parts[1])
    if cur and cur.tokens:
        posts.append(cur)
    return posts


def read_knowledge(path: str) -> list[tuple[list[str], str]]:
    """PGIM knowledge file: per post (tokens, knowledge text joined by spaces)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        blocks = fh.read().split("\n\n")
    for b in blocks:
        lines = [l for l in b.split("\n") if l]
        if not lines:
            continue
        toks = [l.split("\t")[0] for l in lines]
        if "<EOS>" not in toks:
            raise ValueError(f"{path}: post without <EOS>: {toks[:5]}")
        e = toks.index("<EOS>")
        out.append((toks[:e], " ".join(toks[e + 1:])))
    return out


def attach_knowledge(posts: list[Post], know: list[tuple[list[str], str]], path: str) -> int:
    """Attach by order, checking the post tokens agree; returns how many posts got knowledge."""
    if len(know) > len(posts):
        raise ValueError(f"{path}: {len(know)} knowledge records for {len(posts)} posts")
    for i, (toks, text) in enumerate(know):
        if toks != posts[i].tokens:
            raise ValueError(f"{path}: record {i} tokens differ from post {posts[i].id}")
        posts[i].knowledge = text
    return len(know)


def read_captions(path: str) -> dict[str, str]:
    caps = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            name, sep, cap = line.partition(" :")
            if not sep:
                raise ValueError(f"{path}:{lineno}: expected '<IMGID>.jpg :<caption>'")
            caps[name.rsplit(".", 1)[0]] = cap.strip()
    return caps


def load_twitter(data_dir: str, year: str, split: str) -> list[Post]:
    posts = read_conll(os.path.join(data_dir, f"twitter{year}", f"{split}.txt"), "IMGID:")
    kpath = os.path.join(data_dir, "pgim_knowledge", f"twitter{year}", f"{split}.txt")
    attach_knowledge(posts, read_knowledge(kpath), kpath)
    caps = read_captions(os.path.join(data_dir, "captions", f"blip2_twitter{year}.txt"))
    for p in posts:
        p.caption = caps.get(p.id)
        # Twitter-2017 spells the fourth type MISC; the project calls it OTHER (config typeAliases)
        p.tags = [t[:2] + "OTHER" if t.endswith("-MISC") else t for t in p.tags]
    return posts


def load_cmner(data_dir: str, split: str) -> list[Post]:
    return read_conll(os.path.join(data_dir, "cmner", f"{split}.txt"), "WID:")


# Chinese lexicon features (train.py --lexicon training/lexicon-zh.tsv, made by make_lexicon.mjs):
# SoftLexicon-style position flags, mirrored in src/recognizers/local/features.ts.
LEX_CLASSES = ["PER", "LOC", "ORG", "MISC", "WORD"]
LEX_GROUPS = ["PER", "LOC", "ORG", "MISC", "ANY"]  # ANY: a word of any class, WORD included
LEX_POSITIONS = ["B", "M", "E"]
LEX_MIN_LEN = 2


def lexicon_feature_names() -> list[str]:
    return [f"lex_{g}_{p}" for g in LEX_GROUPS for p in LEX_POSITIONS]


def lexicon_key(token: str) -> str:
    """Key of a character token in the lexicon: lowercased (the lexicon words are lowercased too)."""
    return token.lower()


class Lexicon:
    """Words of training/lexicon-zh.tsv: for each word the bit set of its classes (bit i: LEX_CLASSES[i])."""

    def __init__(self, classes: dict[str, int], max_len: int, path: str):
        self.classes = classes
        self.max_len = max_len
        self.path = path


def load_lexicon(path: str) -> Lexicon:
    """`<class>\\t<word>` per line, class one of LEX_CLASSES, word of >= 2 code points, no whitespace."""
    classes: dict[str, int] = {}
    max_len = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            cls, sep, word = line.partition("\t")
            if (not sep or cls not in LEX_CLASSES or len(word) < LEX_MIN_LEN or any(c.isspace() for c in word)
                    or word != lexicon_key(word)):
                raise ValueError(f"{path}:{lineno}: expected '<{'|'.join(LEX_CLASSES)}>\\t<lowercase word of "
                                 f"{LEX_MIN_LEN}+ characters, no whitespace>', got {line!r}")
            classes[word] = classes.get(word, 0) | (1 << LEX_CLASSES.index(cls))
            max_len = max(max_len, len(word))
    if not classes:
        raise ValueError(f"{path}: no lexicon words")
    return Lexicon(classes, max_len, path)


def lexicon_features(tokens: list[str], lex: Lexicon) -> list[list[float]]:
    """lex_G_P: the token is at position P (B first, M inside, E last) of some run of LEX_MIN_LEN or more
    consecutive tokens whose keys, concatenated, are a lexicon word of group G (every run, overlapping
    ones too; ANY: a word of any class)."""
    keys = [lexicon_key(t) for t in tokens]
    n = len(tokens)
    width = len(LEX_GROUPS) * len(LEX_POSITIONS)
    rows = [[0.0] * width for _ in range(n)]
    any_group = LEX_GROUPS.index("ANY")
    for s in range(n):
        word = keys[s]
        for e in range(s + 1, n):
            word += keys[e]
            if len(word) > lex.max_len:
                break
            bits = lex.classes.get(word)
            if not bits:
                continue
            groups = [g for g in range(len(LEX_CLASSES)) if bits >> g & 1 and LEX_CLASSES[g] != "WORD"]
            for g in groups + [any_group]:
                base = g * len(LEX_POSITIONS)
                rows[s][base] = 1.0
                rows[e][base + 2] = 1.0
                for i in range(s + 1, e):
                    rows[i][base + 1] = 1.0
    return rows
