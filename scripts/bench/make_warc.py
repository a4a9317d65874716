#!/usr/bin/env python3
"""Build the benchmark WARC from the real pages in ../shared/data (stdlib only).

Sources: every HTML `response` record of ../shared/data/warc (original HTTP headers and body
bytes: gzip Content-Encoding, chunking, GBK/Big5/EUC-JP charsets kept) and every raw page of
../shared/data/extraction (wrapped as a response with no HTTP charset, so meta/detection
decide). The pool is replicated to the target size: the first copy of a page keeps its bytes;
later copies get a new URL and record id and, by a seeded draw, no edit (exact duplicate),
a few edits (near duplicate) or many edits (a different page to a 5-gram MinHash). Edits work
on bytes between `>` and `<` only (deleting, repeating or swapping text nodes, inserting ASCII
words), which is safe in every ASCII-compatible charset: no GBK/Big5/Shift-JIS trail byte is
below 0x40. Records are shuffled so any prefix is a representative mix, then written as
per-record gzip (as Common Crawl does) into `parts` files; `sub-<N>/` holds the first N docs
split the same way, for the slow peers. Each response is preceded by a short request record.

usage: make_warc.py DATA_DIR OUT_DIR --mb 300 --parts 2 --sub 400 --seed 1
"""

import argparse
import gzip
import json
import random
import re
import uuid
import zlib
from pathlib import Path

WORDS = ("data pipeline corpus model token quality filter crawl page text web archive news "
         "update report market city school health music travel science").split()


def gunzip_members(raw: bytes) -> bytes:
    out, pos = [], 0
    while pos < len(raw):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(d.decompress(raw[pos:]))
        except zlib.error:
            break
        if not d.eof:
            break
        pos = len(raw) - len(d.unused_data)
    return b"".join(out)


def warc_records(path: Path):
    raw = path.read_bytes()
    data = gunzip_members(raw) if path.name.endswith(".gz") else raw
    pos = 0
    while True:
        start = data.find(b"WARC/1.", pos)
        if start < 0:
            return
        end = data.find(b"\r\n\r\n", start)
        if end < 0:
            return
        head = data[start:end].decode("latin-1").split("\r\n")
        hdr = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdr[k.strip().lower()] = v.strip()
        try:
            n = int(hdr.get("content-length", ""))
        except ValueError:
            return
        block = data[end + 4:end + 4 + n]
        pos = end + 4 + n
        if len(block) == n:
            yield hdr, block


def dechunk(body: bytes):
    out, pos = [], 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(body[pos:eol].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[eol + 2:eol + 2 + size])
        pos = eol + 2 + size + 2


def split_http(block: bytes):
    end = block.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = block[:end].split(b"\r\n")
    return lines[0], lines[1:], block[end + 4:]


def header(lines, name: bytes):
    for l in lines:
        k, _, v = l.partition(b":")
        if k.strip().lower() == name:
            return v.strip().lower()
    return b""


def load_pool(data: Path):
    """[(url, status_line, header_lines, body_bytes_decoded, content_encoding)]"""
    pool = []
    for p in sorted((data / "warc").rglob("*")):
        if not p.is_file() or not re.search(r"\.(warc|warc\.gz)$", p.name):
            continue
        for hdr, block in warc_records(p):
            if hdr.get("warc-type") != "response" or "application/http" not in hdr.get("content-type", ""):
                continue
            parts = split_http(block)
            if not parts:
                continue
            status, lines, body = parts
            if b"text/html" not in header(lines, b"content-type") or b" 200" not in status:
                continue
            if b"chunked" in header(lines, b"transfer-encoding"):
                body = dechunk(body) or body  # Webrecorder stores some bodies de-chunked already
            enc = header(lines, b"content-encoding")
            if enc in (b"gzip", b"x-gzip"):
                try:
                    body = gzip.decompress(body)
                except Exception:
                    continue
            elif enc not in (b"", b"identity"):
                continue  # brotli etc.: few pages, not worth re-encoding
            keep = [l for l in lines if l.split(b":")[0].strip().lower() not in
                    (b"content-length", b"transfer-encoding", b"content-encoding")]
            pool.append((hdr.get("warc-target-uri", "").strip("<>"), status, keep, body,
                         "gzip" if enc in (b"gzip", b"x-gzip") else ""))
    for p in sorted((data / "extraction").rglob("*")):
        if p.is_file() and p.suffix in (".html", ".htm"):
            ds, *rest = p.relative_to(data / "extraction").with_suffix("").parts
            # one URL per page: nested sets (readability-test-pages/<case>/source.html) need
            # the folders, or a hundred pages share a URL and URL dedup keeps one
            pool.append((f"http://{ds}.example.org/{'/'.join(rest)}", b"HTTP/1.1 200 OK",
                         [b"Content-Type: text/html", b"Server: nginx"], p.read_bytes(), ""))
    return pool


TEXT_NODE = re.compile(rb">([^<>]{20,})<")


def edit(body: bytes, rng: random.Random, n_edits: int) -> bytes:
    nodes = [m.span(1) for m in TEXT_NODE.finditer(body)]
    if not nodes:
        return body
    ops = []
    for _ in range(n_edits):
        a, b = nodes[rng.randrange(len(nodes))]
        kind = rng.random()
        if kind < 0.4:
            ops.append((a, a, (" ".join(rng.choices(WORDS, k=rng.randint(1, 4))) + " ").encode()))
        elif kind < 0.7:
            ops.append((a, b, b""))
        else:
            c, d = nodes[rng.randrange(len(nodes))]
            ops.append((a, b, body[c:d]))
    ops.sort(key=lambda o: (o[0], o[1]))
    out, pos = [], 0
    for a, b, rep in ops:
        if a < pos:
            continue  # overlapping edit on an already edited node
        out += [body[pos:a], rep]
        pos = b
    out.append(body[pos:])
    return b"".join(out)


def record(kind: str, url: str, block: bytes, extra: str = "") -> bytes:
    rid = uuid.UUID(int=random.getrandbits(128))
    ctype = "application/http; msgtype=" + ("response" if kind == "response" else "request")
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\n"
            f"WARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n{extra}"
            f"Content-Type: {ctype}\r\nContent-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6, mtime=0)


def response(url, status, lines, body, enc, chunked):
    if enc == "gzip":
        body = gzip.compress(body, compresslevel=6, mtime=0)
    hl = list(lines)
    if enc:
        hl.append(b"Content-Encoding: gzip")
    if chunked:
        hl.append(b"Transfer-Encoding: chunked")
        body = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    else:
        hl.append(b"Content-Length: %d" % len(body))
    http = status + b"\r\n" + b"\r\n".join(hl) + b"\r\n\r\n" + body
    req = f"GET / HTTP/1.1\r\nHost: {url.split('/')[2] if url.count('/') >= 2 else 'x'}\r\n\r\n".encode()
    return (record("request", url, req)
            + record("response", url, http, "WARC-Identified-Payload-Type: text/html\r\n")), len(http)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=300)
    ap.add_argument("--parts", type=int, default=2)
    ap.add_argument("--sub", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    out = Path(a.out)
    done = out / "done.json"
    if done.exists():
        print(f"cached: {out}")
        return
    random.seed(a.seed)
    rng = random.Random(a.seed)
    pool = load_pool(Path(a.data))
    base = sum(len(p[3]) for p in pool)
    docs, size, copy = [], 0, 0
    while size < a.mb * 1e6:
        for i in range(len(pool)):
            if size >= a.mb * 1e6:
                break
            docs.append((i, copy))
            size += len(pool[i][3])
        copy += 1
    rng.shuffle(docs)
    for d in ("sub-%d" % a.sub, ""):
        (out / d).mkdir(parents=True, exist_ok=True)
    files = [open(out / f"part-{r}.warc.gz.tmp", "wb") for r in range(a.parts)]
    subf = [open(out / f"sub-{a.sub}" / f"part-{r}.warc.gz", "wb") for r in range(a.parts)]
    per = (len(docs) + a.parts - 1) // a.parts
    stats = {"docs": len(docs), "pool_pages": len(pool), "pool_bytes": base, "copies": copy,
             "http_bytes": 0, "exact": 0, "near": 0, "far": 0, "seed": a.seed}
    for n, (i, c) in enumerate(docs):
        url, status, lines, body, enc = pool[i]
        if c:
            u = rng.random()
            url = f"{url}{'&' if '?' in url else '?'}copy={c}"
            if u < 0.3:
                stats["exact"] += 1
            elif u < 0.8:
                body = edit(body, rng, rng.randint(1, 4))
                stats["near"] += 1
            else:
                body = edit(body, rng, rng.randint(30, 80))
                stats["far"] += 1
        rec, http_len = response(url, status, lines, body, enc, chunked=(n % 7 == 0))
        stats["http_bytes"] += http_len
        files[min(n // per, a.parts - 1)].write(rec)
        if n < a.sub:
            subf[n * a.parts // a.sub].write(rec)
    for f in files + subf:
        f.close()
    for r in range(a.parts):
        (out / f"part-{r}.warc.gz.tmp").rename(out / f"part-{r}.warc.gz")
    stats["gz_bytes"] = sum((out / f"part-{r}.warc.gz").stat().st_size for r in range(a.parts))
    done.write_text(json.dumps(stats, indent=1))
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
