"""WARC/HTTP record writing and the self-check for scripts/sample/make_sample_data.py (stdlib only).

Split out of the generator to keep each file readable; the output bytes do not depend on it.
"""
import datetime as dt
import gzip
import hashlib
import base64
import io
import uuid
import json
import zlib
from pathlib import Path

NS = uuid.UUID("6f1c0b52-6d0e-4d8e-9a51-5b8f0e0c7a11")  # namespace for record ids
WARC_FILENAME = "sample.warc.gz"
BASE_TIME = dt.datetime(2024, 3, 5, 8, 0, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- WARC / HTTP plumbing

def rec_id(*parts) -> str:
    return f"<urn:uuid:{uuid.uuid5(NS, '|'.join(map(str, parts)))}>"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def chunked(data: bytes, sizes=(512, 1000, 777)) -> bytes:
    out, i, k = io.BytesIO(), 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        part = data[i:i + n]
        out.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        i, k = i + n, k + 1
    out.write(b"0\r\n\r\n")
    return out.getvalue()


def http_date(t: dt.datetime) -> str:
    return t.strftime("%a, %d %b %Y %H:%M:%S GMT")


def warc_record(wtype: str, headers: list, block: bytes) -> bytes:
    head = ["WARC/1.1", f"WARC-Type: {wtype}"] + [f"{k}: {v}" for k, v in headers]
    head.append(f"Content-Length: {len(block)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


class Page:
    """One fetched URL: the HTTP response plus what the pipeline is expected to do with it."""

    def __init__(self, url, kind, lang, body, *, status=200, ctype="text/html", http_charset=None,
                 meta_charset=None, served="utf-8", expect="keep", note="", gzip_ce=False,
                 chunked_te=False, server="nginx/1.18.0", cluster="", strict_gb2312_fails=None,
                 extra_headers=()):
        self.__dict__.update(locals())
        del self.__dict__["self"]


def http_response(p: Page, when: dt.datetime) -> tuple:
    """Return (block, payload) for the response record."""
    payload = p.body
    reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently"}[p.status]
    hdr = [f"HTTP/1.1 {p.status} {reason}", f"Date: {http_date(when)}", f"Server: {p.server}"]
    ct = p.ctype + (f"; charset={p.http_charset}" if p.http_charset else "")
    hdr.append(f"Content-Type: {ct}")
    if p.gzip_ce:
        payload = gz(payload)
        hdr.append("Content-Encoding: gzip")
        hdr.append("Vary: Accept-Encoding")
    if p.chunked_te:
        hdr.append("Transfer-Encoding: chunked")
    else:
        hdr.append(f"Content-Length: {len(payload)}")
    hdr += [f"Last-Modified: {http_date(when - dt.timedelta(days=3, hours=5))}",
            "Cache-Control: max-age=600", "Connection: close"]
    hdr += list(p.extra_headers)
    # The payload digest covers the body bytes as stored (still chunked), as warcio and fastwarc
    # compute it; the spec's "entity-body" wording is ambiguous (iipc/warc-specifications#23).
    wire = payload if not p.chunked_te else chunked(payload)
    return ("\r\n".join(hdr) + "\r\n\r\n").encode() + wire, wire


def http_request(p: Page) -> bytes:
    host = p.url.split("/")[2]
    path = "/" + p.url.split("/", 3)[3] if p.url.count("/") >= 3 else "/"
    lang = "zh-CN,zh;q=0.9,en;q=0.6" if p.lang.startswith("zh") else "en-US,en;q=0.8"
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
            "User-Agent: Mozilla/5.0 (compatible; skypile-sample-crawler/0.1)\r\n"
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            f"Accept-Language: {lang}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n").encode()


def write_warc(pages: list, path: Path) -> None:
    info_id = rec_id("warcinfo", WARC_FILENAME)
    info = ("software: skypile scripts/sample/make_sample_data.py\r\n"
            "format: WARC File Format 1.1\r\n"
            "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
            "description: Sample crawl authored by the skypile project for tests and the quickstart\r\n"
            "isPartOf: skypile-sample\r\n"
            "robots: obey\r\n").encode()
    members = [gz(warc_record("warcinfo", [
        ("WARC-Date", BASE_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")), ("WARC-Record-ID", info_id),
        ("WARC-Filename", WARC_FILENAME), ("Content-Type", "application/warc-fields"),
        ("WARC-Block-Digest", sha1_b32(info))], info))]
    for i, p in enumerate(pages):
        when = BASE_TIME + dt.timedelta(seconds=41 * (i + 1))
        wdate = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        ip = f"203.0.113.{10 + i}"
        req_id, resp_id = rec_id("request", i, p.url), rec_id("response", i, p.url)
        req = http_request(p)
        members.append(gz(warc_record("request", [
            ("WARC-Date", wdate), ("WARC-Record-ID", req_id), ("Content-Type", "application/http; msgtype=request"),
            ("WARC-Warcinfo-ID", info_id), ("WARC-IP-Address", ip), ("WARC-Target-URI", p.url),
            ("WARC-Block-Digest", sha1_b32(req))], req)))
        block, payload = http_response(p, when)
        members.append(gz(warc_record("response", [
            ("WARC-Date", wdate), ("WARC-Record-ID", resp_id), ("Content-Type", "application/http; msgtype=response"),
            ("WARC-Warcinfo-ID", info_id), ("WARC-Concurrent-To", req_id), ("WARC-IP-Address", ip),
            ("WARC-Target-URI", p.url), ("WARC-Payload-Digest", sha1_b32(payload)),
            ("WARC-Block-Digest", sha1_b32(block)), ("WARC-Identified-Payload-Type", p.ctype)], block)))
        # Common Crawl-style metadata on every other page (fetch time, detected charset, language).
        if i % 2 == 0:
            meta = (f"fetchTimeMs: {120 + (i * 37) % 800}\r\n"
                    f"charset-detected: {p.served.upper()}\r\n"
                    f"languages-cld2: {json.dumps({'reliable': True, 'languages': [{'code': p.lang}]})}\r\n").encode()
            members.append(gz(warc_record("metadata", [
                ("WARC-Date", wdate), ("WARC-Record-ID", rec_id("metadata", i, p.url)),
                ("Content-Type", "application/warc-fields"), ("WARC-Warcinfo-ID", info_id),
                ("WARC-Concurrent-To", resp_id), ("WARC-Target-URI", p.url),
                ("WARC-Block-Digest", sha1_b32(meta))], meta)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(members))


def gb2312_strict_fails(b: bytes) -> bool:
    try:
        b.decode("gb2312")
        return False
    except UnicodeDecodeError:
        return True


# ---------------------------------------------------------------- self-check

def dechunk(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while True:
        j = data.index(b"\r\n", i)
        n = int(data[i:j], 16)
        if n == 0:
            return bytes(out)
        out += data[j + 2:j + 2 + n]
        i = j + 2 + n + 2


def self_check(warc: Path, pages: list, jsonl: Path, docs: list) -> None:
    data, members, records = warc.read_bytes(), 0, []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        rec = d.decompress(data) + d.flush()
        assert d.eof, "truncated gzip member"
        data, members = d.unused_data, members + 1
        head, _, rest = rec.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0] == "WARC/1.1", lines[0]
        h = dict(l.split(": ", 1) for l in lines[1:])
        n = int(h["Content-Length"])
        assert len(rest) == n + 4 and rest[n:] == b"\r\n\r\n", "Content-Length mismatch / more than one record per member"
        records.append((h, rest[:n]))
    types = {}
    for h, _ in records:
        types[h["WARC-Type"]] = types.get(h["WARC-Type"], 0) + 1
    assert members == len(records) and types["response"] == len(pages) == types["request"], types
    assert len({h["WARC-Record-ID"] for h, _ in records}) == len(records), "duplicate record ids"
    responses = [(h, b) for h, b in records if h["WARC-Type"] == "response"]
    for (h, block), p in zip(responses, pages):
        assert h["WARC-Target-URI"] == p.url
        hh, _, body = block.partition(b"\r\n\r\n")
        hl = hh.decode("latin-1").split("\r\n")
        hd = {k.lower(): v for k, v in (l.split(": ", 1) for l in hl[1:])}
        assert int(hl[0].split()[1]) == p.status
        assert h["WARC-Payload-Digest"] == sha1_b32(body), p.url
        assert h["WARC-Block-Digest"] == sha1_b32(block), p.url
        if hd.get("transfer-encoding") == "chunked":
            body = dechunk(body)
        else:
            assert int(hd["content-length"]) == len(body)
        if hd.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        assert body == p.body, p.url
        if p.ctype == "text/html" and p.status == 200:
            body.decode(p.served)  # strict: every page is valid in the encoding it is served in
        if p.strict_gb2312_fails is not None:
            assert p.strict_gb2312_fails == gb2312_strict_fails(body)
            if "gb2312" in (p.http_charset, p.meta_charset):
                assert p.strict_gb2312_fails, f"{p.url}: page labelled gb2312 decodes as strict gb2312"
    for p in pages:
        if p.served == "big5":
            try:
                p.body.decode("utf-8")
                raise AssertionError("big5 page is valid UTF-8")
            except UnicodeDecodeError:
                pass
    lines = jsonl.read_text(encoding="utf-8").rstrip("\n").split("\n")  # not splitlines: U+0085 in mojibake
    assert len(lines) == len(docs) and all(json.loads(l)["text"] for l in lines)
    # summary
    counts = {}
    for p in pages:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    print(f"{warc}: {members} gzip members = {len(records)} records {types}, {warc.stat().st_size} bytes")
    print(f"{'kind':28} {'pages':>5}")
    for k, v in counts.items():
        print(f"{k:28} {v:>5}")
    print(f"{'TOTAL':28} {len(pages):>5}")
    gbk = [p for p in pages if p.strict_gb2312_fails is not None]
    print(f"GBK/GB18030 pages: {len(gbk)}, strict gb2312 decode fails on {sum(p.strict_gb2312_fails for p in gbk)}")
    ex = {}
    for _, _, _, e, *_ in docs:
        ex[e] = ex.get(e, 0) + 1
    print(f"{jsonl}: {len(docs)} docs " + ", ".join(f"{k}: {v}" for k, v in ex.items()))
