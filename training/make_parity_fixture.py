"""Writes test/local/fixtures/features-parity.json: hand-written posts with the keys and features
the Python side computes, so the TypeScript tests can check that inference builds the same ones.
Also test/local/fixtures/lexicon-parity-zh.json: the Chinese lexicon features of hand-written
sentences, with a small hand-made lexicon and with training/lexicon-zh.tsv itself."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ekmm_data import (CASES, TOKEN, TYPE_KEYWORDS, case_class, feature_names, gazetteer_features, load_gazetteer,  # noqa: E402
                       match_key, token_features, word_key)

# a small gazetteer in the gazetteer-en.tsv format: multi-word names, a name inside a longer one,
# names in two lists, keys with inner punctuation
GAZETTEER = ["city\tnew york", "city\tnew york city", "state\tnew york", "city\tboston", "city\tzürich",
             "country\tunited states", "country\tus", "first\tgeorge", "first\tparis", "city\tparis",
             "first\to'neil", "city\tst. louis"]
TYPE_WORDS = ["person", "handle", "location", "event", "team", "city", "hashtag"]
POSTS = [
    ("RT @JayKenMinaj_: George Zimmerman's trial #BlackLivesMatter http://t.co/Z3neVBQ7vF",
     "Named entities:1. JayKenMinaj (person/handle)2. George Zimmerman (person)Reasoning:The post mentions George Zimmerman, a person.",
     "a woman in a dress standing on a sidewalk"),
    ("Swan upping: first stop Hermitage Warf, Tower Bridge (Tower and Olympic rings)",
     "Named entities: 1. Swan upping (event/tradition) 2. Hermitage Warf (location) 3. Tower Bridge (location) 4. Tower(location) Reasoning: none",
     None),
    ("Café Müller in ZÜRICH 2015 — 3 ½ stars ¹²³ Ⅻ", "Named entities: 1. Café Müller (place/venue) 2. Zürich (city) Reasoning: Café Müller is in Zürich.",
     "a café at night"),
    ("Go #RedSox ! Boston 3 - 2 NYY", "named entities : 1. Red Sox (team) 2. Boston (city) 3. NYY (team/organization) reasoning : baseball",
     None),
    ("no knowledge here", None, "a cat"),
    ("O'Neil scores again !!", "Named entities: 1. O'Neil (person/player) Reasoning: O'Neil, the player.", None),
    ("List without reasoning: Paris Hilton in Paris", "Named entities: 1. Paris Hilton (person) 2. Paris (city)", None),
    ("NBA iPhone U.S. Ünal ÇA Ⅻ ½ @ # @x #y _ __init__ 3pm WWW.x.org", None, None),
    ("New York City , New York !! #Boston and St. Louis ( US ) , New new york", None, None),
    ("from the United States to #NewYork : George in ZÜRICH", None, None),
]


def main() -> None:
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(GAZETTEER) + "\n")
    gaz = load_gazetteer(fh.name)
    os.unlink(fh.name)
    out = []
    for text, knowledge, caption in POSTS:
        tokens = TOKEN.findall(text)
        out.append({"text": text, "tokens": tokens, "knowledge": knowledge, "caption": caption,
                    "word_keys": [word_key(t) for t in tokens], "match_keys": [match_key(t) for t in tokens],
                    "features": token_features(tokens, knowledge, caption, TYPE_WORDS),
                    "cases": [CASES[case_class(t)] for t in tokens],
                    "gazetteer_features": gazetteer_features(tokens, gaz)})
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "local", "fixtures",
                        "features-parity.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"type_keywords": TYPE_KEYWORDS, "type_words": TYPE_WORDS, "feature_names": feature_names(TYPE_WORDS),
                   "feature_names_case_gazetteer": feature_names(TYPE_WORDS, True, True), "gazetteer": GAZETTEER,
                   "posts": out}, fh, ensure_ascii=False, indent=0)
        fh.write("\n")


# a small lexicon in the lexicon-zh.tsv format: a word in two classes, a word inside a longer one,
# overlapping words, a prefix that is no word (北京大), Latin letters (lowercased keys)
LEXICON_ZH = ["LOC\t北京", "ORG\t北京大学", "WORD\t大学", "WORD\t北京", "PER\t刘德华", "LOC\t德华",
              "MISC\tnba", "ORG\tnba中国", "WORD\t学生", "PER\t张学友", "LOC\t香港", "MISC\t香港回归纪念日",
              "WORD\t纪念", "WORD\t纪念日", "LOC\t中国", "ORG\t中国银行", "LOC\t乌鲁木齐"]
SENTENCES_ZH = ["我今天在北京大学见到了刘德华和张学友。", "NBA中国赛在香港回归纪念日举行",
                "北京北京大学生", "中国银行😀中国 人民", "张学", "京", "", "2015年NBA总决赛，勇士队夺冠！",
                "李明在上海市浦东新区的华为公司上班", "周杰伦和王菲去了杭州西湖", "昨天深圳大学的学生去了故宫博物院", "我下周去乌鲁木齐出差", "他经历过文化大革命和抗日战争"]


def chinese_fixture(repo: str) -> None:
    import tempfile
    from ekmm_data import lexicon_feature_names, lexicon_features, lexicon_key, load_lexicon
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(LEXICON_ZH) + "\n")
    small = load_lexicon(fh.name)
    os.unlink(fh.name)
    full = load_lexicon(os.path.join(repo, "training", "lexicon-zh.tsv"))
    out = []
    for text in SENTENCES_ZH:
        tokens = [c for c in text if not c.isspace()]  # the char tokenizer: one code point, whitespace skipped
        out.append({"text": text, "tokens": tokens, "keys": [lexicon_key(t) for t in tokens],
                    "small": lexicon_features(tokens, small), "full": lexicon_features(tokens, full)})
    with open(os.path.join(repo, "test", "local", "fixtures", "lexicon-parity-zh.json"), "w", encoding="utf-8") as fh:
        json.dump({"feature_names": lexicon_feature_names(), "lexicon": LEXICON_ZH, "full_lexicon": "training/lexicon-zh.tsv",
                   "full_words": len(full.classes), "sentences": out}, fh, ensure_ascii=False, indent=0)
        fh.write("\n")


if __name__ == "__main__":
    main()
    chinese_fixture(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
