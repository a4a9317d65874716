#!/usr/bin/env python3
"""Training and check sets for the default quality model (models/README.md), deterministic.

usage: make_data.py REFERENCE_DIR OUT_DIR
writes OUT_DIR/train.jsonl and OUT_DIR/check.jsonl, one {"id","text","label","lang","kind"} per line.

- Good (label hq): articles of 3-5 consecutive paragraphs (1-3 for the long zh Wikipedia
  paragraphs, 8-12 sentences for the UD file) of
  ../shared/data/reference. Every 5th article of each file is held out for the check set; the
  parallel files (xquad en/zh) are cut the same way, so a translation never crosses the split.
  The Traditional GSD file is left out: after zh_variant it duplicates GSDSimp.
- Junk (label lq), generated here: cookie/privacy/terms/disclaimer prose, Chinese character
  salad, shuffled 2-4-character chunks of real Chinese, English word salad, keyword spam. Every
  phrase list is split in two (even items train, odd items check) and the check set uses other
  seeds, so the check junk has templates, phrases and random draws the model never saw; check
  spam phrases containing a term of filters/data/keywords_*.txt are dropped so the keyword
  filter cannot catch them for the model.
"""
import json
import os
import random
import re
import sys

from junk import EN, ZH, SPAM_EN, SPAM_ZH, boilerplate

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

REFERENCE = {
    "en": ["xquad_wikipedia_en.txt", "gum_wikinews-wikipedia-wikivoyage_en.txt",
           "cia_world_factbook_en.txt", "us_state_of_the_union_1945-2006_en.txt",
           "openstax_us_history_en.txt", "openstax_intro_political_science_en.txt",
           "openstax_intro_philosophy_en.txt"],
    "zh": ["drcd_wikipedia_zh-hant.txt", "cmrc2018_wikipedia_zh-hans.txt",
           "xquad_wikipedia_zh-hans.txt", "ud_gsdsimp_wikipedia_zh-hans.txt"],
}


def articles(path):
    """(index, text) of consecutive-paragraph articles; block sizes cycle so the cut is fixed."""
    lines = [l.strip() for l in open(path, encoding="utf-8") if l.strip()]
    # zh Wikipedia paragraphs are long (~400 characters): one to three make an article
    sizes = [8, 10, 12] if "/ud_" in path else [1, 2, 3] if "/zh/" in path else [3, 4, 5]
    out, i, k = [], 0, 0
    while i < len(lines):
        n = sizes[k % len(sizes)]
        out.append((k, "\n".join(lines[i:i + n])))
        i, k = i + n, k + 1
    return out


def reference(ref_dir):
    train, check = {"en": [], "zh": []}, {"en": [], "zh": []}
    for lang, files in REFERENCE.items():
        for f in files:
            for k, text in articles(os.path.join(ref_dir, lang, f)):
                (check if k % 5 == 0 else train)[lang].append(text)
    return train, check


def keywords():
    terms = []
    d = os.path.join(REPO, "filters", "data")
    for f in sorted(os.listdir(d)):
        if f.startswith("keywords_"):
            terms += [l.strip().lower() for l in open(os.path.join(d, f), encoding="utf-8")
                      if l.strip() and not l.startswith("#")]
    return terms


def char_salad(rng, chars, weights):
    n = rng.randint(300, 1200)
    body = rng.choices(chars, weights=weights, k=n)
    out, i = [], 0
    while i < n:
        step = rng.randint(8, 30)
        out.append("".join(body[i:i + step]) + rng.choice("，，，。、！"))
        i += step
    return "".join(out)


def chunk_salad(rng, text):
    s = re.sub(r"\s+", "", text)
    chunks, i = [], 0
    while i < len(s):
        n = rng.randint(2, 4)
        chunks.append(s[i:i + n])
        i += n
    rng.shuffle(chunks)
    return "".join(chunks)


def word_salad(rng, text):
    words = text.split()
    rng.shuffle(words)
    lines, i = [], 0
    while i < len(words):
        n = rng.randint(12, 40)
        lines.append(" ".join(words[i:i + n]))
        i += n
    return "\n".join(lines)


def spam(rng, phrases, lang):
    parts = []
    for _ in range(rng.randint(15, 60)):
        p = rng.choice(phrases)
        r = rng.random()
        if r < 0.2:
            p += f" www.{rng.choice(['best', 'top', 'vip', 'go', 'shop', 'win'])}{rng.randint(1, 999)}.com"
        elif r < 0.35:
            p += f" {rng.randint(100, 99999)}"
        parts.append(p)
    sep = rng.choice(["，", " ", "|", "！"]) if lang == "zh" else rng.choice([" ", " | ", "! ", ", "])
    lines, i = [], 0
    while i < len(parts):
        n = rng.randint(3, 10)
        lines.append(sep.join(parts[i:i + n]))
        i += n
    return "\n".join(lines)


def junk(good, pool, seed, counts, kw):
    """Generated junk docs for one split: pool 0 (train) or 1 (check) of every phrase list."""
    rng = random.Random(seed)
    half = lambda xs: xs[pool::2]
    spam_en = [p for p in half(SPAM_EN) if pool == 0 or not any(k in p.lower() for k in kw)]
    spam_zh = [p for p in half(SPAM_ZH) if pool == 0 or not any(k in p for k in kw)]
    zh_text = "".join(good["zh"])
    freq = {}
    for c in zh_text:
        if "\u4e00" <= c <= "\u9fff":
            freq[c] = freq.get(c, 0) + 1
    chars = sorted(freq)
    weights = [freq[c] for c in chars]
    top = sorted(chars, key=lambda c: -freq[c])[:3500]
    out = []
    for _ in range(counts["boilerplate"]):
        out.append(("en", "boilerplate", boilerplate(rng, EN, pool)))
        out.append(("zh", "boilerplate", boilerplate(rng, ZH, pool)))
    for i in range(counts["salad"]):
        if i % 2 == 0:
            out.append(("zh", "char_salad", char_salad(rng, chars, weights)))
        else:
            out.append(("zh", "char_salad", char_salad(rng, top, [1] * len(top))))
        out.append(("zh", "chunk_salad", chunk_salad(rng, rng.choice(good["zh"]))))
        out.append(("en", "word_salad", word_salad(rng, rng.choice(good["en"]))))
    for _ in range(counts["spam"]):
        out.append(("en", "spam", spam(rng, spam_en, "en")))
        out.append(("zh", "spam", spam(rng, spam_zh, "zh")))
    return out


def write(path, split, good, junk_docs):
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for lang in ["en", "zh"]:
            for i, text in enumerate(good[lang]):
                rec = {"id": f"{split}-{lang}-good-{i}", "text": text, "label": "hq",
                       "lang": lang, "kind": "good"}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
        for i, (lang, kind, text) in enumerate(junk_docs):
            rec = {"id": f"{split}-{lang}-{kind}-{i}", "text": text, "label": "lq",
                   "lang": lang, "kind": kind}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    print(f"{path}: {n} docs")


def main():
    ref_dir, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    train, check = reference(ref_dir)
    kw = keywords()
    write(os.path.join(out, "train.jsonl"), "train", train,
          junk(train, 0, 17, {"boilerplate": 900, "salad": 500, "spam": 400}, kw))
    write(os.path.join(out, "check.jsonl"), "check", check,
          junk(check, 1, 90210, {"boilerplate": 150, "salad": 100, "spam": 100}, kw))


if __name__ == "__main__":
    main()
