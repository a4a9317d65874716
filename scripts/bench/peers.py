#!/usr/bin/env python3
"""The peer side of scripts/bench/run.sh: one measurement per call, one JSON line on stdout.

  peers.py read-fastwarc|read-warcio  --workers N FILE...
  peers.py extract-trafilatura|extract-resiliparse --workers N [--limit D] FILE...
  peers.py e2e-datatrove   --workers N --out DIR WARC_DIR
  peers.py minhash-datatrove --workers N --out DIR [--full] JSONL_DIR
  peers.py whole-datatrove --workers N --out DIR [--lid MODEL.bin] [--tokenizer TOKENIZER.json] WARC_DIR
  peers.py cl100k-tokenizer CL100K_BASE.tiktoken TOKENIZER.json   (no measurement: a conversion)
  peers.py check-stand-ins [--lid MODEL.bin] [--tokenizer TOKENIZER.json] OUR_PARQUET_DIR...

`secs` times the work only (not the interpreter, imports or the untimed preload of HTML for
the extraction runs). N workers = N processes; read and the datatrove runs take one file per
task, as datatrove does.
"""

import argparse
import base64
import json
import os
import resource
import shutil
import sys
import time
import zlib
from multiprocessing import Pool


def decode_fastwarc(path, limit=0):
    """FastWARC read + decode to str, the way a user has to do it with FastWARC 2.0.1.

    auto_decode='all' stops iterating silently after a chunked+gzip record, and 'content'
    raises on such records, so only transfer decoding is left to FastWARC and gzip bodies are
    inflated here; the charset is the HTTP one, else resiliparse's detect_encoding."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    for rec in ArchiveIterator(open(path, "rb"), record_types=WarcRecordType.response,
                               auto_decode="transfer"):
        ctype = rec.http_content_type or ""
        if "html" not in ctype:
            continue
        body = rec.reader.read()
        enc = (rec.http_headers.get("Content-Encoding") or "").lower()
        if enc in ("gzip", "x-gzip", "deflate"):
            try:
                body = zlib.decompress(body, 47)
            except zlib.error:
                continue
        elif enc not in ("", "identity"):
            continue
        yield bytes_to_str(body, rec.http_charset or detect_encoding(body))
        limit -= 1
        if limit == 0:
            return


def _read_fastwarc(path):
    n = b = 0
    for html in decode_fastwarc(path):
        n += 1
        b += len(html.encode("utf-8", "surrogatepass"))
    return n, b


def _read_warcio(path):
    """warcio + the decode datatrove's WarcReader does (UTF-8, else cchardet)."""
    from datatrove.pipeline.readers.warc import process_record
    from warcio.archiveiterator import ArchiveIterator

    n = b = 0
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            d = process_record(rec)
            if d:
                n += 1
                b += len(d["text"].encode("utf-8", "surrogatepass"))
    return n, b


def read(fn, files, workers):
    """`cpu`: user + system seconds of this process and its workers (reaped when the pool
    exits), without the interpreter's start-up: the per-core figure on a shared machine."""
    t, c = time.perf_counter(), _cpu()
    with Pool(workers) as p:
        res = p.map(fn, files, chunksize=1)
    secs = time.perf_counter() - t
    return {"docs": sum(r[0] for r in res), "bytes": sum(r[1] for r in res), "secs": secs,
            "cpu": _cpu() - c}


def _cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


PAGES = []


def _extract_slice(args):
    kind, w, n = args
    out = 0
    if kind == "trafilatura":
        import trafilatura

        for html in PAGES[w::n]:
            # datatrove's Trafilatura extractor call, without its per-doc sandbox process
            out += len(trafilatura.extract(html, favor_precision=True, include_comments=False,
                                           deduplicate=True) or "")
    else:
        from resiliparse.extract.html2text import extract_plain_text

        for html in PAGES[w::n]:
            out += len(extract_plain_text(html, main_content=True))
    return out


def extract(kind, files, workers, limit):
    for f in sorted(files):
        PAGES.extend(decode_fastwarc(f, limit - len(PAGES) if limit else 0))
        if limit and len(PAGES) >= limit:
            break
    nbytes = sum(len(h.encode("utf-8", "surrogatepass")) for h in PAGES)
    t = time.perf_counter()
    with Pool(workers) as p:  # forked after the preload: children share PAGES
        text = sum(p.map(_extract_slice, [(kind, w, workers) for w in range(workers)]))
    secs = time.perf_counter() - t
    return {"docs": len(PAGES), "bytes": nbytes, "text_bytes": text, "secs": secs}


def _quiet():
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def _warc_inputs(indir):
    """The `.warc.gz` files of `indir` (sorted), and their HTML responses and payload bytes."""
    files = sorted(f for f in os.listdir(indir) if f.endswith(".warc.gz"))
    docs = nbytes = 0
    for f in files:
        n, b = _read_fastwarc(os.path.join(indir, f))
        docs, nbytes = docs + n, nbytes + b
    return files, docs, nbytes


def _parquet_rows(folder):
    """Rows written to the Parquet files of `folder` (0 when it or pyarrow is missing)."""
    try:
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(f"{folder}/{f}").num_rows for f in os.listdir(folder))
    except Exception:
        return 0


def e2e(indir, out, workers):
    _quiet()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                            GopherQualityFilter, GopherRepetitionFilter)
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    files, docs, nbytes = _warc_inputs(indir)
    # FineWeb's order and settings (minus its fastText LanguageFilter: needs a model download)
    ex = LocalPipelineExecutor(
        pipeline=[
            WarcReader(indir, glob_pattern="*.warc.gz"),
            Trafilatura(favour_precision=True),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            ParquetWriter(f"{out}/data"),
        ],
        tasks=len(files), workers=workers, logging_dir=f"{out}/logs", skip_completed=False)
    t = time.perf_counter()
    ex.run()
    secs = time.perf_counter() - t
    kept = _parquet_rows(f"{out}/data")
    return {"docs": docs, "bytes": nbytes, "kept": kept, "secs": secs}


def minhash(indir, out, workers, full):
    _quiet()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster,
                                          MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    files = sorted(f for f in os.listdir(indir) if f.endswith(".jsonl"))
    docs = nbytes = 0
    for f in files:
        for line in open(os.path.join(indir, f), encoding="utf-8"):
            docs += 1
            nbytes += len(json.loads(line)["text"].encode())
    cfg = MinhashConfig()  # 5-grams, 14 buckets x 8 hashes (ours: the same shape by default)
    tasks = len(files)

    def run(pipeline, n_tasks, name):
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=workers,
                              logging_dir=f"{out}/logs/{name}", skip_completed=False).run()

    t = time.perf_counter()
    run([JsonlReader(indir, glob_pattern="*.jsonl"),
         MinhashDedupSignature(output_folder=f"{out}/sigs", config=cfg)], tasks, "sigs")
    sig_secs = time.perf_counter() - t
    removed = 0
    if full:
        run([MinhashDedupBuckets(input_folder=f"{out}/sigs", output_folder=f"{out}/buckets",
                                 config=cfg)], cfg.num_buckets, "buckets")
        run([MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove_ids",
                                 config=cfg)], 1, "cluster")
        run([JsonlReader(indir, glob_pattern="*.jsonl"),
             MinhashDedupFilter(input_folder=f"{out}/remove_ids"),
             JsonlWriter(f"{out}/deduped")], tasks, "filter")
        for f in os.listdir(f"{out}/remove_ids"):
            if f.endswith(".remove"):
                removed += os.path.getsize(f"{out}/remove_ids/{f}") // 4
    secs = time.perf_counter() - t
    return {"docs": docs, "bytes": nbytes, "secs": secs, "sig_secs": sig_secs, "removed": removed}


def _text(doc):
    return doc.text


def _offline_lid(model, out):
    """datatrove's LanguageFilter (ft176 backend) with `model` instead of lid.176.bin, offline.

    - Its model URL is an attribute of the LID object (GlotLID sets it per instance too): a
      local path makes datatrove copy the file into its asset cache instead of downloading.
    - That copy is made here, untimed, as a download would be once per machine; the cache
      is a folder under `out` (HF_ASSETS_CACHE, set before huggingface_hub is imported),
      not the user's."""
    os.environ["HF_ASSETS_CACHE"] = f"{out}/hf-assets"
    from datatrove.io import cached_asset_path_or_download
    from datatrove.pipeline.filters import LanguageFilter

    step = LanguageFilter(languages=["zh", "en"])  # threshold 0.65, FineWeb's
    step.model.MODEL_URL = os.path.abspath(model)
    cached_asset_path_or_download(step.model.MODEL_URL, namespace="lid", subfolder=step.model.MODEL_SUBFOLDER,
                                  progress=False)
    return step


def _whole_stages(indir, out, tasks, lang, tokenizer):
    """[(name, tasks, pipeline)] of `whole`, in order (each dedup's filter runs where ours does)."""
    from datatrove.pipeline.dedup import (ExactDedupConfig, ExactDedupFilter, ExactDedupSignature,
                                          ExactFindDedups, MinhashDedupBuckets, MinhashDedupCluster,
                                          MinhashDedupFilter, MinhashDedupSignature, SentDedupConfig,
                                          SentenceDedupFilter, SentenceDedupSignature, SentenceFindDedups)
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter, URLFilter)
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.tokens import TokensCounter
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

    exact, sent, mh = ExactDedupConfig(content_getter=_text), SentDedupConfig(), MinhashConfig()
    spool = lambda name: JsonlWriter(f"{out}/{name}", compression=None)  # noqa: E731
    read = lambda name: JsonlReader(f"{out}/{name}", compression=None)  # noqa: E731
    return [
        ("extract", tasks, [WarcReader(indir, glob_pattern="*.warc.gz"), URLFilter(),
                            Trafilatura(favour_precision=True), *lang, spool("extracted")]),
        ("exact-sigs", tasks, [read("extracted"), ExactDedupSignature(f"{out}/exact-sigs", config=exact)]),
        ("exact-find", 1, [ExactFindDedups(f"{out}/exact-sigs", f"{out}/exact-dups", config=exact)]),
        ("sentence-sigs", tasks, [read("extracted"), ExactDedupFilter(f"{out}/exact-dups", config=exact),
                                  SentenceDedupSignature(f"{out}/sent-sigs", config=sent)]),
        ("sentence-find", 1, [SentenceFindDedups(f"{out}/sent-sigs", f"{out}/sent-dups", config=sent)]),
        ("filters", tasks, [read("extracted"), ExactDedupFilter(f"{out}/exact-dups", config=exact),
                            SentenceDedupFilter(f"{out}/sent-dups", config=sent), GopherRepetitionFilter(),
                            GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
                            FineWebQualityFilter(), PIIFormatter(), spool("filtered")]),
        ("minhash-sigs", tasks, [read("filtered"), MinhashDedupSignature(f"{out}/mh-sigs", config=mh)]),
        ("minhash-buckets", mh.num_buckets, [MinhashDedupBuckets(f"{out}/mh-sigs", f"{out}/mh-buckets", config=mh)]),
        ("minhash-cluster", 1, [MinhashDedupCluster(f"{out}/mh-buckets", f"{out}/mh-remove", config=mh)]),
        ("write", tasks, [read("filtered"), MinhashDedupFilter(f"{out}/mh-remove"),
                          *([TokensCounter(tokenizer)] if tokenizer else []), ParquetWriter(f"{out}/data")]),
    ]


def whole(indir, out, workers, lid, tokenizer):
    """datatrove's closest equivalent of pipelines/skypile.yaml, with what it ships, offline.

    - Stages as datatrove runs them (FineWeb's layout): each dedup is signatures -> find ->
      filter, and docs are spooled to JSONL between passes; every stage gets `workers`.
    - url_filter, extract, lang + lang_filter, exact_dedup, line_dedup (closest: SentenceDedup,
      3-sentence spans), Gopher repetition + quality, C4, FineWeb, pii, MinHash (4 stages),
      token counts (TokensCounter with `tokenizer`, a tokenizers file of cl100k), Parquet.
    - No equivalent in datatrove: normalize, zh_variant, url_dedup, zh_quality, keywords,
      perplexity filtering (its stats module only scores), quality_model; its filters run
      with English settings on every doc (they take one language per step).
    - `secs` is the sum of the stages, `stage_secs` each one; `cpu` (1 worker) the CPU seconds
      of the stages (user + sys), without start-up, the input count and the model copy."""
    _quiet()
    shutil.rmtree(out, ignore_errors=True)  # leftover signatures of an earlier run would be read
    lang = [_offline_lid(lid, out)] if lid else []
    from datatrove.executor import LocalPipelineExecutor

    files, docs, nbytes = _warc_inputs(indir)
    stages = _whole_stages(indir, out, len(files), lang, tokenizer)
    stage_secs, c = {}, _cpu()
    for name, n, pipeline in stages:
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=workers, logging_dir=f"{out}/logs/{name}",
                              skip_completed=False).run()
        stage_secs[name] = round(time.perf_counter() - t, 3)
    kept = _parquet_rows(f"{out}/data")
    # docs Trafilatura gave up on after its 1 s wall-clock limit (more when the machine is busy)
    steps = json.load(open(f"{out}/logs/extract/stats.json"))
    timeouts = sum(x["stats"].get("timeout", 0) for x in steps if "Trafilatura" in x["name"])
    # with N > 1 workers datatrove forks them from a forkserver: not our children, CPU unknown here
    return {"docs": docs, "bytes": nbytes, "kept": kept, "secs": sum(stage_secs.values()),
            "cpu": _cpu() - c if workers == 1 else None, "stage_secs": stage_secs, "timeouts": timeouts}


# tiktoken's cl100k_base pre-tokenizer regex (the same in tiktoken-rs and OpenAI's tiktoken)
CL100K_SPLIT = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")


def _byte_chars():
    """GPT-2's byte -> printable character map (what the `ByteLevel` pre-tokenizer emits)."""
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = [b for b in range(256) if b not in bs]
    return {b: chr(c) for b, c in zip(bs + extra, bs + [256 + i for i in range(len(extra))])}


def cl100k_tokenizer(src, dst):
    """A `tokenizers` JSON equal to tiktoken's cl100k_base, from its rank file (which cargo
    keeps with tiktoken-rs): datatrove's TokensCounter takes only `tokenizers` files, and the
    tiktoken package would download the same ranks. Merges are recovered the way transformers'
    TikTokenConverter does (each token splits into the two parts BPE merges last);
    `ignore_merges` takes a whole pre-token that is in the vocabulary, as tiktoken does."""
    ranks = {}
    for line in open(src, "rb"):
        if line.strip():
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    chars = _byte_chars()
    name = lambda b: "".join(chars[x] for x in b)  # noqa: E731
    merges = []
    for tok, rank in sorted(ranks.items(), key=lambda x: x[1]):
        parts = [bytes([b]) for b in tok]
        while len(parts) > 2:
            best, i = min((ranks.get(x + y, rank), i) for i, (x, y) in enumerate(zip(parts, parts[1:])))
            if best >= rank:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        if len(parts) == 2:
            merges.append([name(parts[0]), name(parts[1])])
        elif len(parts) > 2:
            sys.exit(f"{src}: token of rank {rank} is not a merge of two tokens: not a tiktoken rank file?")
    level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "Split", "pattern": {"Regex": CL100K_SPLIT}, "behavior": "Removed", "invert": True}, level]},
           "post_processor": None, "decoder": level,
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                     "vocab": {name(t): r for t, r in ranks.items()}, "merges": merges}}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)


def check_stand_ins(lid, tokenizer, dirs):
    """How far the whole row's offline stand-ins are from what they stand for, on our Parquet
    output in `dirs` (its `lang` and `token_count` columns).

    - `tokens_equal` of `docs`: docs whose count by the converted cl100k equals ours (tiktoken's).
    - `lid`: per language of ours (en, zh), [docs the model gives that label with a score above
      LanguageFilter's 0.65, docs]."""
    import pyarrow.parquet as pq

    rows = [r for d in dirs for f in sorted(os.listdir(d)) if f.endswith(".parquet")
            for r in pq.read_table(os.path.join(d, f), columns=["text", "lang", "token_count"]).to_pylist()]
    res = {"docs": len(rows)}
    if tokenizer:
        from tokenizers import Tokenizer

        enc = Tokenizer.from_file(tokenizer).encode_batch([x["text"] for x in rows])
        res["tokens_equal"] = sum(len(e.ids) == x["token_count"] for e, x in zip(enc, rows))
        res["tokens"] = sum(x["token_count"] for x in rows)
    if lid:
        from fasttext.FastText import _FastText

        model, agree = _FastText(lid), {"en": [0, 0], "zh": [0, 0]}
        for x in rows:
            if x["lang"] in agree:
                (label,), (p,) = model.predict(x["text"].replace("\n", " "), k=1)
                agree[x["lang"]][0] += int(label == f"__label__{x['lang']}" and p > 0.65)
                agree[x["lang"]][1] += 1
        res["lid"] = agree
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--lid", help="fastText LID model for datatrove's LanguageFilter (none: no LID)")
    ap.add_argument("--tokenizer", help="tokenizers JSON for datatrove's TokensCounter (none: no counts)")
    a = ap.parse_args()
    if a.what == "read-fastwarc":
        r = read(_read_fastwarc, sorted(a.paths), a.workers)
    elif a.what == "read-warcio":
        r = read(_read_warcio, sorted(a.paths), a.workers)
    elif a.what.startswith("extract-"):
        r = extract(a.what.split("-", 1)[1], a.paths, a.workers, a.limit)
    elif a.what == "e2e-datatrove":
        r = e2e(a.paths[0], a.out, a.workers)
    elif a.what == "cl100k-tokenizer":
        return cl100k_tokenizer(*a.paths)
    elif a.what == "check-stand-ins":
        r = check_stand_ins(a.lid, a.tokenizer, a.paths)
    elif a.what == "whole-datatrove":
        r = whole(a.paths[0], a.out, a.workers, a.lid, a.tokenizer)
    elif a.what == "minhash-datatrove":
        r = minhash(a.paths[0], a.out, a.workers, a.full)
    else:
        sys.exit(f"unknown measurement {a.what}")
    r["workers"] = a.workers
    print(json.dumps(r))


if __name__ == "__main__":
    main()
