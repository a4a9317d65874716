#!/usr/bin/env python3
"""The peer side of scripts/bench/run.sh: one measurement per call, one JSON line on stdout.

  peers.py read-fastwarc|read-warcio  --workers N FILE...
  peers.py extract-trafilatura|extract-resiliparse --workers N [--limit D] FILE...
  peers.py e2e-datatrove   --workers N --out DIR WARC_DIR
  peers.py minhash-datatrove --workers N --out DIR [--full] JSONL_DIR

`secs` times the work only (not the interpreter, imports or the untimed preload of HTML for
the extraction runs). N workers = N processes; read and the datatrove runs take one file per
task, as datatrove does.
"""

import argparse
import json
import os
import resource
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


def e2e(indir, out, workers):
    _quiet()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                            GopherQualityFilter, GopherRepetitionFilter)
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    files = sorted(f for f in os.listdir(indir) if f.endswith(".warc.gz"))
    docs, nbytes = 0, 0
    for f in files:
        n, b = _read_fastwarc(os.path.join(indir, f))
        docs, nbytes = docs + n, nbytes + b
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
    kept = 0
    try:
        import pyarrow.parquet as pq

        kept = sum(pq.read_metadata(f"{out}/data/{f}").num_rows for f in os.listdir(f"{out}/data"))
    except Exception:
        pass
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out")
    ap.add_argument("--full", action="store_true")
    a = ap.parse_args()
    if a.what == "read-fastwarc":
        r = read(_read_fastwarc, sorted(a.paths), a.workers)
    elif a.what == "read-warcio":
        r = read(_read_warcio, sorted(a.paths), a.workers)
    elif a.what.startswith("extract-"):
        r = extract(a.what.split("-", 1)[1], a.paths, a.workers, a.limit)
    elif a.what == "e2e-datatrove":
        r = e2e(a.paths[0], a.out, a.workers)
    elif a.what == "minhash-datatrove":
        r = minhash(a.paths[0], a.out, a.workers, a.full)
    else:
        sys.exit(f"unknown measurement {a.what}")
    r["workers"] = a.workers
    print(json.dumps(r))


if __name__ == "__main__":
    main()
