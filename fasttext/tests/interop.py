"""fastText side of the interop test (driven by tests/python_interop.rs).

usage: interop.py train DIR      train softmax/ova/hs models (+ a quantized .ftz) on DIR/train.txt
       interop.py predict MODEL FILE   print one JSON {label: prob} per line of FILE
"""
import json
import sys

import fasttext


def train(d):
    common = dict(input=f"{d}/train.txt", dim=10, epoch=8, lr=0.2, wordNgrams=2, minn=2,
                  maxn=4, bucket=5000, thread=1, seed=1, verbose=0)
    for loss in ["softmax", "ova", "hs"]:
        m = fasttext.train_supervised(loss=loss, **common)
        m.save_model(f"{d}/py_{loss}.bin")
        if loss == "softmax":
            m.quantize(input=f"{d}/train.txt", qnorm=True, retrain=False, cutoff=300)
            m.save_model(f"{d}/py_softmax.ftz")
    # no character n-grams: words and word bigrams only
    m = fasttext.train_supervised(loss="softmax", **dict(common, minn=0, maxn=0))
    m.save_model(f"{d}/py_words.bin")


def predict(model, path):
    m = fasttext.load_model(model)
    for line in open(path, encoding="utf-8"):
        labels, probs = m.predict(line.rstrip("\n"), k=-1)
        print(json.dumps({l.removeprefix("__label__"): float(p) for l, p in zip(labels, probs)}))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2])
    else:
        predict(sys.argv[2], sys.argv[3])
