"""fastText side of the interop test (driven by tests/python_interop.rs).

usage: interop.py train DIR      train softmax/ova/hs models (+ a quantized .ftz) on DIR/train.txt
       interop.py quantize DIR   more .ftz kinds: DIR/train.txt and DIR/train_many.txt (>= 256 labels)
       interop.py predict MODEL FILE   print one JSON {label: prob} per line of FILE
"""
import json
import sys

import fasttext


def train(d):
    common = dict(input=f"{d}/train.txt", dim=10, epoch=8, lr=0.2, wordNgrams=2, minn=2,
                  maxn=4, bucket=5000, thread=1, seed=1, verbose=0)
    for loss in ["softmax", "ova", "hs"]:
        m = train_retrying(loss=loss, **common)
        m.save_model(f"{d}/py_{loss}.bin")
        if loss == "softmax":
            m.quantize(input=f"{d}/train.txt", qnorm=True, retrain=False, cutoff=300)
            m.save_model(f"{d}/py_softmax.ftz")
    # no character n-grams: words and word bigrams only
    m = train_retrying(loss="softmax", **dict(common, minn=0, maxn=0))
    m.save_model(f"{d}/py_words.bin")


def train_retrying(**kw):
    """fastText's "Encountered NaN" fires intermittently on these tiny corpora (seen 1-2 times in
    3 runs on a loaded machine, same arguments succeeding on the next call): try again; the
    model is the same either way (one thread, fixed seed)."""
    for attempt in range(5):
        try:
            return fasttext.train_supervised(**kw)
        except RuntimeError as e:
            if "NaN" not in str(e) or attempt == 4:
                raise


def quantize(d):
    """The `.ftz` paths the default quantization leaves out.

    - py_q_plain.ftz: no norm quantizer, no pruning, dsub 3 on dim 10 (a narrower last
      sub-quantizer: 3+3+3+1), OVA loss.
    - py_qout.ftz: quantized output matrix too (`qout`; fastText's quantizer needs >= 256 rows,
      hence >= 256 labels), norms quantized, pruned to 400 rows and retrained."""
    common = dict(dim=10, epoch=8, lr=0.2, wordNgrams=2, minn=2, maxn=4, bucket=5000,
                  thread=1, seed=1, verbose=0)
    m = train_retrying(input=f"{d}/train.txt", loss="ova", **common)
    m.quantize(qnorm=False, dsub=3, retrain=False)
    m.save_model(f"{d}/py_q_plain.ftz")
    # 300 classes need more passes to learn anything
    many = dict(common, epoch=40, lr=0.3)
    m = train_retrying(input=f"{d}/train_many.txt", loss="softmax", **many)
    m.quantize(input=f"{d}/train_many.txt", qout=True, qnorm=True, cutoff=400, retrain=True,
               epoch=2, lr=0.05, thread=1, verbose=0)
    m.save_model(f"{d}/py_qout.ftz")


def predict(model, path):
    m = fasttext.load_model(model)
    for line in open(path, encoding="utf-8"):
        labels, probs = m.predict(line.rstrip("\n"), k=-1)
        print(json.dumps({l.removeprefix("__label__"): float(p) for l, p in zip(labels, probs)}))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2])
    elif sys.argv[1] == "quantize":
        quantize(sys.argv[2])
    else:
        predict(sys.argv[2], sys.argv[3])
