#!/usr/bin/env python3
"""Write skypile's own sample data: sample_data/web/sample.warc.gz, sample_data/text/sample.jsonl,
sample_data/MANIFEST.md and sample_data/README.md.

Everything is authored by the project (texts in scripts/sample/sample_text_*.py and sample_junk.py,
page chrome in sample_html.py); nothing comes from ../shared/data. Python 3 stdlib only and
deterministic: fixed seed, dates and record ids, gzip mtime=0, so two runs give identical bytes.

If sample_data/benchmarks/*.jsonl exist (written by the decontamination work), a few items are
planted into otherwise good documents so the decontam step has something to remove. Rerun this
script after those files change.

Usage: python3 scripts/sample/make_sample_data.py [--out sample_data]
"""

import argparse
import struct
import zlib
import json
import random
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_html as H  # noqa: E402
from sample_warc import *  # noqa: E402,F401,F403  (Page, write_warc, self_check, gz, chunked, ...)
import sample_junk as J  # noqa: E402
import sample_text_en as EN  # noqa: E402
import sample_text_zh as ZH  # noqa: E402

SEED = 20240305


# ---------------------------------------------------------------- benchmark leaks

def cjk_ratio(s: str) -> float:
    return sum("\u4e00" <= c <= "\u9fff" for c in s) / max(1, len(s))


def load_benchmarks(bench_dir: Path) -> dict:
    """Items by file stem: a list of (id, question, options) tuples, whatever fields exist."""
    out = {}
    for f in sorted(bench_dir.glob("*.jsonl")) if bench_dir.is_dir() else []:
        items = []
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            q = next((d[k] for k in ("question", "query", "prompt", "input", "ctx", "sentence") if isinstance(d.get(k), str)), None)
            if not q:
                continue
            if isinstance(d.get("choices"), list):
                opts = [str(c) for c in d["choices"]]
            elif isinstance(d.get("options"), list):
                opts = [str(c) for c in d["options"]]
            else:
                opts = [str(d[k]) for k in "ABCD" if isinstance(d.get(k), str)]
            items.append((str(d.get("id", f"{f.stem}-{len(items)}")), q, opts))
        if items:
            out[f.stem] = items
    return out


def pick(bench: dict, prefer: list, zh: bool, index: int):
    """The index-th long item, from the preferred files first, else any file of that language."""
    stems = [s for s in prefer if s in bench] + [s for s in sorted(bench) if s not in prefer]
    for s in stems:
        items = [it for it in bench[s] if (cjk_ratio(it[1]) > 0.3) == zh and len(it[1]) >= (30 if zh else 80)]
        if len(items) > index:
            return s, items[index]
    return None


def leak_paragraph_en(item) -> str:
    _, q, opts = item
    letters = "ABCDEFGH"
    o = " ".join(f"({letters[i]}) {t}" for i, t in enumerate(opts))
    return (f"Here is one practice question that a teacher shared with her class last week: {q} {o}. "
            "Most of the class chose the right answer within a minute, which shows how much a little practice helps.")


def leak_paragraph_zh(item) -> str:
    _, q, opts = item
    o = "　".join(f"{'ABCDEFGH'[i]}．{t}" for i, t in enumerate(opts))
    return f"下面是一位老师在复习课上讲解过的一道练习题：{q}　{o}。全班大多数同学都选对了，可见平时多做练习确实有用。"


def mangle_en(q: str) -> str:
    """Whitespace/punctuation changes a copy-paste often introduces."""
    return q.replace(". ", ".  ").replace(",", " ,").replace("?", " ?")


def mangle_zh(q: str) -> str:
    return q.replace("，", ", ").replace("？", "?").replace("。", ". ")


# ---------------------------------------------------------------- page assembly

def with_sentence_changed(art, para_idx, old, new, title=None):
    slug, section, t, author, paras = art
    paras = list(paras)
    assert old in paras[para_idx], (slug, old)
    paras[para_idx] = paras[para_idx].replace(old, new)
    return (slug, section, title or t, author, paras)


ZH_SECTION_SLUG = {"新闻": "news", "体育": "sports", "科普": "kepu", "历史": "lishi", "文化": "wenhua",
                   "生活": "shenghuo", "教育": "jiaoyu", "社区": "shequ", "旅游": "lvyou"}


def build(bench: dict):
    rng = random.Random(SEED)
    pages = []
    en = {a[0]: a for a in EN.ARTICLES}
    zh_all = ZH.UTF8 + ZH.GBK + ZH.GBK_NO_CHARSET + ZH.BIG5 + ZH.TRAD_UTF8
    zh = {a[0]: a for a in zh_all}
    leaks = []

    def when(i):
        return f"2024-02-{(i % 27) + 1:02d}T09:{(i * 7) % 60:02d}:00+08:00"

    en_sites = {
        "news": ("The Millbrook Courier", "https://www.millbrookcourier.com", H.en_semantic),
        "how-to": ("Hearth & Home", "https://www.hearthandhome-mag.com", H.en_divsoup),
        "blog": ("Hearth & Home", "https://www.hearthandhome-mag.com", H.en_divsoup),
        "travel": ("Hearth & Home", "https://www.hearthandhome-mag.com", H.en_divsoup),
        "finance": ("Hearth & Home", "https://www.hearthandhome-mag.com", H.en_divsoup),
        "science": ("Curious Minds", "https://curiousminds-science.org", H.en_semantic),
        "nature": ("Curious Minds", "https://curiousminds-science.org", H.en_semantic),
        "history": ("Curious Minds", "https://curiousminds-science.org", H.en_semantic),
        "health": ("Curious Minds", "https://curiousminds-science.org", H.en_semantic),
        "tech": ("Bytesized Dev Notes", "http://blog.bytesized-dev.net", H.en_divsoup),
        "education": ("Study Corner", "https://www.studycorner-edu.org", H.en_semantic),
    }

    def en_links(exclude, n):
        others = [a for a in EN.ARTICLES if a[0] != exclude]
        chosen = rng.sample(others, n)
        return [(f"{en_sites[a[1]][1]}/{a[1]}/{a[0]}", a[2]) for a in chosen]

    def zh_links(exclude, n, trad=False):
        pool = (ZH.BIG5 + ZH.TRAD_UTF8) if trad else (ZH.UTF8 + ZH.GBK + ZH.GBK_NO_CHARSET)
        pool = [(f"/{ZH_SECTION_SLUG[a[1]]}/{20240000 + len(a[0]) * 13}/{a[0]}.html", a[2]) for a in pool if a[0] != exclude]
        pool += [(f"/news/2024/{k + 101}.html", t) for k, t in enumerate(ZH.HEADLINES_T if trad else ZH.HEADLINES_S)]
        return rng.sample(pool, n)

    def en_page(art, i, url=None, site=None, tmpl=None, heavy=False, body_extra=None, **kw):
        s_name, s_base, s_tmpl = en_sites[art[1]]
        site, tmpl = site or s_name, tmpl or s_tmpl
        url = url or f"{s_base}/{art[1]}/{art[0]}"
        html = tmpl(site, url.split("/")[2], url, art, en_links(art[0], 5), en_links(art[0], 6), when(i),
                    body_extra=body_extra, heavy=heavy)
        return Page(url, kw.pop("kind", "en_article"), "en", html.encode("utf-8"), http_charset=kw.pop("http_charset", "utf-8"), **kw)

    # --- English articles (20)
    heavy_en = {"why-sleep-matters", "tides-and-the-moon", "cast-iron-cooking"}
    for i, art in enumerate(EN.ARTICLES):
        p = en_page(art, i, heavy=art[0] in heavy_en,
                    gzip_ce=art[0] in ("understanding-hash-tables", "how-volcanoes-form"),
                    chunked_te=art[0] == "urban-foxes",
                    server="Apache/2.4.57 (Debian)" if art[1] in ("how-to", "blog", "travel", "finance") else "nginx/1.18.0",
                    note="boilerplate-heavy" if art[0] in heavy_en else "")
        if art[0] == "millbrook-bike-lanes":
            p.cluster, p.note = "A", "near-dup cluster A original"
        pages.append(p)

    # --- Chinese articles (20)
    zh_sites = {
        "新闻": ("滨江新闻网", "http://www.binjiangnews.cn"), "体育": ("滨江新闻网", "http://www.binjiangnews.cn"),
        "科普": ("知识天地", "http://www.zhishitiandi.com.cn"), "历史": ("知识天地", "http://www.zhishitiandi.com.cn"),
        "文化": ("知识天地", "http://www.zhishitiandi.com.cn"), "生活": ("生活家", "http://www.shenghuojia.net.cn"),
        "教育": ("滨江新闻网", "http://www.binjiangnews.cn"), "社区": ("幸福里社区网", "http://www.xingfuli-shequ.cn"),
    }

    def zh_url(art, base=None):
        base = base or zh_sites[art[1]][1]
        return f"{base}/{ZH_SECTION_SLUG[art[1]]}/{20240000 + len(art[0]) * 13}/{art[0]}.html"

    def zh_page(art, i, *, site=None, base=None, tmpl=H.zh_portal, served="utf-8", http_cs="utf-8",
                meta_cs="utf-8", trad=False, heavy=False, body_extra=None, url=None, **kw):
        site = site or zh_sites[art[1]][0]
        url = url or zh_url(art, base)
        args = dict(meta_charset=meta_cs, body_extra=body_extra, heavy=heavy)
        if tmpl is H.zh_portal:
            args["trad"] = trad
        html = tmpl(site, url.split("/")[2], url, art, zh_links(art[0], 5, trad), zh_links(art[0], 8, trad), when(i), **args)
        body = html.encode(served)
        lang = "zh-hant" if trad else "zh"
        p = Page(url, kw.pop("kind", "zh_article"), lang, body, http_charset=http_cs, meta_charset=meta_cs,
                 served=served, server=kw.pop("server", "Tengine"), **kw)
        if served in ("gbk", "gb18030"):
            p.strict_gb2312_fails = gb2312_strict_fails(body)
        return p

    for i, art in enumerate(ZH.UTF8):
        pages.append(zh_page(art, i, heavy=art[0] == "yangtai-zhongcai", gzip_ce=art[0] == "tianqi-yubao-yuanli",
                             note="boilerplate-heavy" if art[0] == "yangtai-zhongcai" else ""))
        if art[0] == "binjiang-ditie-sanhao":
            pages[-1].cluster, pages[-1].note = "B", "near-dup cluster B original"
    gbk_decl = {  # slug: (bytes encoding, HTTP charset, meta charset, template, gzip)
        "zhenghe-xiaxiyang": ("gb18030", "gb2312", "gb2312", H.zh_table, False),
        "yuexiang-bianhua": ("gbk", "gb2312", None, H.zh_portal, False),
        "shequ-tushuguan": ("gbk", None, "gb2312", H.zh_table, False),
        "bao-jiaozi": ("gbk", "gb2312", "gb2312", H.zh_portal, True),
        "da-yunhe": ("gbk", "gb2312", "gb2312", H.zh_portal, True),
        "ershisi-jieqi": ("gbk", None, "gb2312", H.zh_table, False),
        "chengshi-malasong": ("gbk", "gb2312", "gbk", H.zh_portal, False),
        "zhao-mengfu-shufa": ("gbk", "gb2312", "gb2312", H.zh_portal, False),
    }
    for i, art in enumerate(ZH.GBK):
        enc, hcs, mcs, tmpl, gzc = gbk_decl[art[0]]
        p = zh_page(art, 10 + i, tmpl=tmpl, served=enc, http_cs=hcs, meta_cs=mcs, gzip_ce=gzc,
                    kind="zh_article_gbk", heavy=art[0] == "ershisi-jieqi", server="Microsoft-IIS/6.0" if tmpl is H.zh_table else "Apache",
                    note=("GB18030 4-byte char 䶮; " if enc == "gb18030" else "") + ("boilerplate-heavy" if art[0] == "ershisi-jieqi" else ""))
        if art[0] == "da-yunhe":
            p.cluster, p.note = "C", "near-dup cluster C original (GBK)"
        pages.append(p)
    for i, art in enumerate(ZH.GBK_NO_CHARSET):
        pages.append(zh_page(art, 20 + i, tmpl=H.zh_table, served="gbk", http_cs=None, meta_cs=None,
                             kind="zh_article_gbk_nocharset", server="Microsoft-IIS/6.0", note="no charset declared anywhere"))
    for i, art in enumerate(ZH.BIG5):
        pages.append(zh_page(art, 22 + i, site="台灣生活誌", base="http://www.twlife.com.tw", served="big5",
                             http_cs="big5", meta_cs="big5", trad=True, kind="zh_article_big5", server="Apache"))
    for i, art in enumerate(ZH.TRAD_UTF8):
        pages.append(zh_page(art, 24 + i, site="香港文化網", base="https://www.hkculture.com.hk", trad=True,
                             kind="zh_article_trad_utf8"))

    # --- near-duplicate clusters
    a = en["millbrook-bike-lanes"]
    v1 = with_sentence_changed(a, 0, "ending a debate that has run through four public meetings",
                               "ending a long debate that ran through four public meetings",
                               title="Harbour Road to get protected cycle track after council vote")
    v1 = with_sentence_changed(v1, 4, "The council also approved a small budget for new bike racks outside the library and the swimming pool.",
                               "Councillors also set aside a modest sum for new bike racks at the library and the swimming pool.")
    pages.append(en_page(v1, 40, url="https://www.coastalregionwire.com/local/2024/02/harbour-road-cycle-track",
                         site="Coastal Region Wire", tmpl=H.en_divsoup, kind="en_near_dup", cluster="A",
                         expect="near-dup (cluster A)", note="title + 2 sentences changed, other chrome"))
    v2 = with_sentence_changed(a, 2, "One teacher said that most of her students would ride if they felt safe, and that the school car park is full every morning.",
                               "A teacher told councillors that many students would cycle if the route felt safe.",
                               title="Millbrook votes for Harbour Road bike lane")
    pages.append(en_page(v2, 41, url="https://www.dailybriefhub.com/news/millbrook-votes-for-harbour-road-bike-lane",
                         site="Daily Brief Hub", heavy=True, kind="en_near_dup", cluster="A",
                         expect="near-dup (cluster A)", note="title + 1 sentence changed, heavy chrome"))
    b = zh["binjiang-ditie-sanhao"]
    w1 = with_sentence_changed(b, 2, "开通首日，不少市民专程前来体验。", "开通当天，许多市民特地赶来乘坐体验。",
                               title="滨江地铁3号线开通 高铁站到大学城只需40分钟")
    w1 = (w1[0], w1[1], w1[2], "本报记者 陈思远 实习生 刘赟", w1[4])
    pages.append(zh_page(w1, 42, site="江南信息港", base="http://www.jiangnan-info.com.cn", tmpl=H.zh_table,
                         served="gbk", http_cs="gb2312", meta_cs="gb2312", kind="zh_near_dup", cluster="B",
                         expect="near-dup (cluster B)", note="republished as GBK: title + 1 sentence changed"))
    w2 = with_sentence_changed(b, 4, "预计两年后建成", "计划于二零二六年底建成",
                               title="三号线来了！滨江市民出行再添新选择")
    pages.append(zh_page(w2, 43, site="新闻快报", base="https://www.xinwen-kuaibao.cn", heavy=True,
                         kind="zh_near_dup", cluster="B", expect="near-dup (cluster B)",
                         note="title + 1 sentence changed, heavy chrome"))
    c = zh["da-yunhe"]
    x1 = with_sentence_changed(c, 4, "近年来，沿线各地加强了对运河的保护和治理，", "近些年，沿线城市不断加大对运河的保护和整治力度，",
                               title="千年大运河的前世今生")
    pages.append(zh_page(x1, 44, site="文化中国行", base="https://www.wenhuaxing.cn",
                         kind="zh_near_dup", cluster="C", expect="near-dup (cluster C)",
                         note="UTF-8 copy of a GBK page: title + 1 sentence changed"))

    # --- exact duplicates (identical bytes, different URL)
    src = next(p for p in pages if p.url.endswith("/why-the-sky-is-blue"))
    src.cluster = "E1"
    pages.append(Page("https://curiousminds-science.org/amp/why-the-sky-is-blue", "en_exact_dup", "en", src.body,
                      http_charset="utf-8", expect="exact-dup", cluster="E1", note=f"same bytes as {src.url}"))
    src = next(p for p in pages if p.url.endswith("/chapao-zhidao.html"))
    src.cluster = "E2"
    murl = src.url.replace("http://www.", "http://m.")
    pages.append(Page(murl, "zh_exact_dup", "zh", src.body, http_charset="utf-8", server="Tengine",
                      expect="exact-dup", cluster="E2", note=f"same bytes as {src.url}"))

    # --- benchmark leaks inside otherwise good pages
    for lang, prefer, idx, para, make, host, page_no in (
            ("en", "mmlu_like", 0, leak_paragraph_en, en_page, EN.LEAK_HOST, 45),
            ("zh", "ceval_like", 1, leak_paragraph_zh, zh_page, ZH.LEAK_HOST, 46)):
        item = pick(bench, [prefer], zh=lang == "zh", index=idx)
        extra = (1, f"<p>{escape(para(item[1]))}</p>") if item else None
        pages.append(make(host, page_no, body_extra=extra, kind=f"{lang}_leak" if item else f"{lang}_article",
                          expect="leak (decontam)" if item else "keep",
                          note=f"contains {item[1][0]} verbatim" if item else "benchmarks absent: no leak planted"))
        if item:
            leaks.append(("warc", pages[-1].url, item[0], item[1][0], "verbatim question + options"))

    # --- PII inside a good article
    pii = dict(ID=cn_id("110105", "19561023", "451"), PHONE="13812345678",
               EMAIL="liumin.xfl@example-mail.cn", IP="203.0.113.45")
    art = ZH.PII_HOST
    art = (art[0], art[1], art[2], art[3], [para.format(**pii) for para in art[4]])
    pages.append(zh_page(art, 47, kind="zh_pii", expect="keep (PII redacted)",
                         note=f"id {pii['ID']}, phone {pii['PHONE']}, email {pii['EMAIL']}, ip {pii['IP']}"))

    # --- junk the quality filters must drop
    courier = "https://www.millbrookcourier.com"
    heads = [a[2] for a in EN.ARTICLES] + J.EXTRA_HEADLINES
    secs = ["Top stories", "Local", "Business", "Science", "Sport", "Opinion"]
    blocks = []
    for k, sec in enumerate(secs):
        hs = heads[k * 6:(k + 1) * 6] or J.EXTRA_HEADLINES[:6]
        blocks.append(f'<section><h2><a href="/{sec.lower()}">{sec}</a></h2>' +
                      H.link_list([(f"/{sec.lower()}/{n}", h) for n, h in enumerate(hs)]) + "</section>")
    pages.append(junk_page(courier + "/", "The Millbrook Courier - Local news, sport and weather", "en",
                           "\n".join(blocks) * 2, "junk_linklist", "drop (link list / low text)"))
    pages.append(junk_page("http://www.amcp-8888.cc/index.html", J.ZH_SPAM_TITLE, "zh", J.zh_spam_body(rng),
                           "junk_spam_zh", "drop (gambling/porn keyword spam)", charset="utf-8"))
    pages.append(junk_page("http://www.hotoffers-24.info/page/777", J.EN_SPAM_TITLE, "en", J.en_spam_body(rng),
                           "junk_spam_en", "drop (gambling keyword stuffing)"))
    pages.append(junk_page("https://www.hearthandhome-mag.com/theme-demo/sample-page", "Sample page", "en",
                           "".join(f"<p>{t}</p>" for t in J.THEME_DEMO), "junk_lorem",
                           "drop (contains lorem ipsum; English otherwise)"))
    pages.append(junk_page("https://www.harbourview-guesthouse.com/rooms", "Rooms | Harbourview Guest House", "en",
                           f"<p>{J.REPEATED_PARA}</p>" * 5, "junk_repeated_paragraphs", "drop (repeated paragraphs)"))
    pages.append(junk_page("https://www.hearthandhome-mag.com/lists/weekend-hike-packing-list", "Weekend hike packing list", "en",
                           "".join(f"<p>{t}</p>" for t in J.CHECKLIST), "junk_short_lines", "drop (mostly short lines)"))
    pages.append(junk_page("http://www.jiangnan-info.com.cn/zhengwu/notice.html", "栏目维护通知", "zh",
                           f"<p>{J.ZH_SHORT}</p>", "junk_short_zh", "drop (zh too short)"))
    pages.append(junk_page("http://www.shenghuojia.net.cn/zt/jiayuan.html", "共建美好家园", "zh",
                           f"<p>{J.ZH_REPEAT * 3}</p>" * 4, "junk_repetitive_zh", "drop (repetition: duplicate lines / char n-grams)"))
    pages.append(junk_page("http://www.binjiangnews.cn/tags/", "热门标签_滨江新闻网", "zh",
                           "".join(f"<div>{t}</div>" for t in J.ZH_TAGS), "junk_tags_zh", "drop (zh tag dump / short lines)"))
    gib = "".join(f"<p>{J.gibberish(rng, 60)}.</p>" for _ in range(5))
    pages.append(junk_page("http://qwxz-kjhv.net/p/3321", "xkq bvn trew lopp", "und", gib, "junk_gibberish",
                           "drop (gibberish)"))
    nav_only = "".join(f'<h3>{s}</h3>' + H.link_list([(f"/{s.lower()}/{x.lower()}", x) for x in H.EN_NAV]) for s in secs)
    pages.append(junk_page(courier + "/sitemap", "Site map | The Millbrook Courier", "en", nav_only,
                           "junk_nav_only", "drop (navigation only)"))
    pages.append(junk_page(courier + "/newsletter/thanks", "Thank you", "en", "<p>Thanks! You are subscribed.</p>",
                           "junk_short", "drop (too short)"))
    moji_art = ("gu-zhen", "旅游", "江南古镇慢时光", "许静", ZH.JSONL_ONLY[1][1].split("\n\n") + ZH.JSONL_ONLY[0][1].split("\n\n"))
    html = H.zh_portal("生活家", "www.shenghuojia.net.cn", "", moji_art, zh_links("", 5), zh_links("", 8), when(50), meta_charset="utf-8")
    moji = html.encode("utf-8").decode("latin-1").encode("utf-8")
    pages.append(Page("http://www.shenghuojia.net.cn/lvyou/2024/gu-zhen.html", "junk_mojibake", "zh", moji,
                      http_charset="utf-8", server="Tengine", expect="drop (mojibake from a latin-1 misdecode, C1 controls included)",
                      note="UTF-8 text decoded as latin-1 and re-encoded as UTF-8"))
    for url, title, lang, paras, enc, kind in (
            ("http://www.sakura-dayori.jp/column/sakura-zensen.html", J.JA_TITLE, "ja", J.JA, "shift_jis", "foreign_ja"),
            ("https://www.hanguk-munhwa.co.kr/story/kimjang", J.KO_TITLE, "ko", J.KO, "euc-kr", "foreign_ko"),
            ("http://www.priroda-sibiri.ru/baikal.html", J.RU_TITLE, "ru", J.RU, "windows-1251", "foreign_ru")):
        body = "".join(f"<p>{escape(t)}</p>" for t in paras)
        pages.append(junk_page(url, title, lang, body, kind, f"drop (language {lang})", charset=enc))

    # --- non-HTML and non-200 responses that ingest must skip
    pages.append(Page("https://curiousminds-science.org/static/img/logo.png", "skip_image", "und", tiny_png(),
                      ctype="image/png", expect="skip (not HTML)"))
    api = json.dumps({"status": "ok", "items": [{"id": n, "title": a[2]} for n, a in enumerate(EN.ARTICLES[:3])]},
                     ensure_ascii=False).encode()
    pages.append(Page("https://www.millbrookcourier.com/api/v1/latest.json", "skip_json", "und", api,
                      ctype="application/json", http_charset="utf-8", expect="skip (not HTML)"))
    nf = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>"
    pages.append(Page("https://www.hearthandhome-mag.com/2019/old-post-removed", "skip_404", "en", nf, status=404,
                      http_charset="iso-8859-1", server="Apache/2.4.57 (Debian)", expect="skip (HTTP 404)"))
    pages.append(Page("http://binjiangnews.cn/", "skip_redirect", "und", b"", status=301,
                      extra_headers=("Location: http://www.binjiangnews.cn/",), expect="skip (HTTP 301)"))
    return pages, leaks, pii


def junk_page(url, title, lang, body_html, kind, expect, charset="utf-8"):
    html = (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{charset}">\n<title>{escape(title)}</title>\n'
            f'</head>\n<body>\n<div id="main">\n<h1>{escape(title)}</h1>\n{body_html}\n</div>\n'
            f'<div class="footer">&copy; 2024</div>\n</body>\n</html>\n')
    return Page(url, kind, lang, html.encode(charset), http_charset=charset, served=charset, expect=expect)


def cn_id(area: str, birth: str, seq: str) -> str:
    """A syntactically valid PRC resident ID number (GB 11643 ISO 7064 MOD 11-2 check digit)."""
    body = area + birth + seq
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def tiny_png() -> bytes:
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes([(x * 16) % 256, (y * 16) % 256, 160]) for x in range(16)) for y in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- JSONL sample

JSONL_LEAK_HOST_EN = [
    "Our school maths club meets every Wednesday after lessons, and this term the members decided to write their own word problems for the younger pupils. The idea was to practise clear writing as well as arithmetic. Each problem had to tell a short story, use realistic numbers and have a single correct answer.",
    "Some of the problems were borrowed from practice sheets that circulate online, which led to a lively discussion about where such questions come from. The club leader explained that many popular test questions are copied from one website to another. Here is one that a member brought along: {Q}",
    "The pupils solved it in pairs and then explained their reasoning to the group. Several of them noticed that the hardest part was not the calculation but reading the question carefully. The club plans to publish a small booklet of its own problems at the end of the year.",
]
JSONL_LEAK_HOST_ZH = [
    "这学期，我们语文组尝试在早读时间开展“一日一题”活动。每天早上，老师在黑板上写一道题目，同学们先独立思考，再分小组讨论。活动开展一个多月以来，大家的阅读理解能力和表达能力都有了明显提高。",
    "有些题目来自历年的练习册，也有一些是老师从网上收集的。下面这道题曾经引起了热烈的讨论：{Q}　同学们各抒己见，有的从诗句的意境入手，有的从字词的含义分析，最后在老师的引导下得出了答案。",
    "老师告诉我们，做题的目的不是死记答案，而是学会分析问题的方法。今后，语文组还准备让同学们自己出题，互相考一考，让学习变得更加有趣。",
]
JSONL_MIXED = ("zh-en-mixed-dev-note", "今天在团队周会上，我们讨论了数据清洗流程中的几个问题。第一个问题是 HTML 抽取：有些网页的正文被放在很深的 div 嵌套里，抽取工具容易把导航栏和广告一起保留下来。我们决定先用一批人工标注的网页做评估，再决定是否更换抽取工具。\n\n第二个问题是去重。目前使用的 MinHash 参数对中文不太友好，因为中文没有空格，按空格切分会把整段文字当成一个词。大家一致认为应该先分词，或者直接使用字符级的 n-gram。下周由小李负责做一组对比实验，并在 Slack 频道里同步结果。")


# WARC articles that also appear (verbatim or reworded) in the JSONL sample: one group each.
CROSS_FORMAT = ["understanding-hash-tables", "how-volcanoes-form", "zaozhishu-fazhan",
                "tides-and-the-moon", "daxiongmao-shixing", "taifeng-xingcheng"]


def xcluster(slug: str) -> str:
    return f"X{CROSS_FORMAT.index(slug) + 1}"


def build_jsonl(bench: dict, leaks: list, rng: random.Random) -> tuple:
    docs = []  # (id, url, text, expect, note)

    def add(slug, url, text, expect="keep", note="", cluster=""):
        docs.append((f"jsonl-{len(docs) + 1:04d}-{slug}", url, text, expect, note, cluster))

    for slug, text in EN.JSONL_ONLY:
        add(slug, f"https://notes.skypile-sample.org/en/{slug}", text)
    for slug, text in ZH.JSONL_ONLY:
        add(slug, f"https://notes.skypile-sample.org/zh/{slug}", text)
    add(JSONL_MIXED[0], "https://notes.skypile-sample.org/zh/dev-note", JSONL_MIXED[1], note="zh with English terms")
    art_text = {a[0]: a[2] + "\n\n" + "\n\n".join(a[4]) for a in EN.ARTICLES + ZH.UTF8 + ZH.GBK + ZH.TRAD_UTF8}
    for slug in ("understanding-hash-tables", "how-volcanoes-form", "zaozhishu-fazhan"):
        add(slug, f"https://mirror.skypile-sample.org/{slug}", art_text[slug], "cross-format dup of WARC page",
            "title + paragraphs of the WARC article, verbatim", cluster=xcluster(slug))
    near = (("tides-and-the-moon", "Twice a day, along most", "Two times every day, along most"),
            ("daxiongmao-shixing", "大熊猫是中国特有的珍稀动物", "大熊猫是我国特有的珍稀野生动物"),
            ("taifeng-xingcheng", "颱風其實是一種發生在熱帶海洋上的強烈氣旋", "颱風是一種在熱帶海洋上形成的強烈氣旋"))
    for slug, old, new in near:
        t = art_text[slug]
        assert old in t, slug
        add(slug + "-repost", f"https://forum.skypile-sample.org/t/{slug}", t.replace(old, new, 1),
            "cross-format near-dup of WARC page", "one sentence reworded", cluster=xcluster(slug))
    docs[0] = docs[0][:5] + ("J1",)
    add("en-rain-gardens-copy", "https://notes.skypile-sample.org/en/garden/rain-gardens-copy", EN.JSONL_ONLY[0][1],
        "exact dup within JSONL", f"same text as {docs[0][0]}", cluster="J1")
    en_item = pick(bench, ["gsm8k_like"], zh=False, index=1)
    zh_item = pick(bench, ["cmmlu_like"], zh=True, index=0)
    if en_item:
        q = mangle_en(en_item[1][1])
        add("maths-club", "https://notes.skypile-sample.org/en/maths-club", "\n\n".join(JSONL_LEAK_HOST_EN).replace("{Q}", q),
            "leak (decontam)", f"{en_item[1][0]} question with whitespace/punctuation changes")
        leaks.append(("jsonl", docs[-1][0], en_item[0], en_item[1][0], "question, whitespace/punctuation mangled"))
    if zh_item:
        _, q, opts = zh_item[1]
        q = mangle_zh(q) + "　" + "　".join(f"{'ABCD'[i]}. {o}" for i, o in enumerate(opts))
        add("yiri-yiti", "https://notes.skypile-sample.org/zh/yiri-yiti", "\n\n".join(JSONL_LEAK_HOST_ZH).replace("{Q}", q),
            "leak (decontam)", f"{zh_item[1][0]} question with ASCII punctuation + options")
        leaks.append(("jsonl", docs[-1][0], zh_item[0], zh_item[1][0], "question, full-width punctuation → ASCII"))
    # junk
    add("spam-zh", "http://www.amcp-8888.cc/tag/liuhecai.html",
        "\n".join("　".join(rng.sample(J.ZH_SPAM_KEYWORDS, 10)) + "。" + J.ZH_SPAM_SENTENCES[i % 5] for i in range(12)),
        "drop (gambling/porn keyword spam)")
    add("spam-en", "http://best-casino-bonus-2024.info/tag/slots",
        "\n".join(" ".join(rng.sample(J.EN_SPAM_KEYWORDS, 10)) + "!!!" for _ in range(15)), "drop (keyword stuffing)")
    add("lorem", "https://notes.skypile-sample.org/draft/lorem", "\n\n".join(J.LOREM), "drop (lorem ipsum)")
    add("short", "https://notes.skypile-sample.org/draft/short", "Click here to subscribe.", "drop (too short)")
    add("gibberish", "http://qwxz-kjhv.net/p/9917", "\n\n".join(J.gibberish(rng, 50) + "." for _ in range(4)), "drop (gibberish)")
    add("repeated-lines", "https://notes.skypile-sample.org/draft/menu",
        "\n".join(["Home | About | Contact | Login", "Share this page on Facebook", "All rights reserved."] * 20),
        "drop (repeated lines / boilerplate)")
    add("mojibake-zh", "https://notes.skypile-sample.org/zh/broken",
        J.ZH_MOJIBAKE_SOURCE.encode("utf-8").decode("latin-1"), "keep (mojibake that normalize repairs)",
        "UTF-8 bytes read as latin-1; repaired text starts 每天清晨，小区旁边的公园")
    add("japanese", "https://notes.skypile-sample.org/ja/sakura", "\n\n".join(J.JA), "drop (language ja)")
    return docs


def write_jsonl(docs: list, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": i, "url": u, "text": t}, ensure_ascii=False) for i, u, t, *_ in docs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- docs for humans and tests

def verdict(expect: str, cluster: str) -> str:
    """`expect | reason` cells: keep, keep-one (of its cluster), drop or skip (at ingest)."""
    head, _, rest = expect.partition(" (")
    rest = rest.rstrip(")")
    if cluster:
        return f"keep-one | {'group original' if expect == 'keep' else expect}"
    if head == "leak":
        return "drop | benchmark leak (decontam)"
    if head in ("keep", "drop", "skip"):
        return f"{head} | {rest}"
    return f"{expect} | "


def write_manifest(pages, docs, leaks, pii, path: Path) -> None:
    out = ["# sample_data manifest (generated by scripts/sample/make_sample_data.py — do not edit)", "",
           "Ground truth for tests: one row per WARC response record (in file order) and per JSONL line.",
           "`expect`: `keep`; `keep-one` = exactly one document of its `cluster` survives dedup (clusters",
           "span both files: `X*` groups a WARC article with its JSONL copy); `drop` by some filter",
           "(`reason` names the intended rule family; which step fires first depends on step order);",
           "`skip` = not a document (ingest counts it). Clusters: A/B/C near-dup, E*/J1 exact, X* cross-format.", "",
           "## web/sample.warc.gz", "",
           "| # | url | kind | lang | bytes as | HTTP charset | meta charset | transfer | strict gb2312 fails | cluster | expect | reason | note |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, p in enumerate(pages):
        te = "+".join(x for x, on in (("gzip", p.gzip_ce), ("chunked", p.chunked_te)) if on) or "-"
        sf = "" if p.strict_gb2312_fails is None else ("yes" if p.strict_gb2312_fails else "no")
        out.append(f"| {n} | {p.url} | {p.kind} | {p.lang} | {p.served if p.ctype == 'text/html' else p.ctype} | "
                   f"{p.http_charset or '-'} | {p.meta_charset or '-'} | {te} | {sf} | {p.cluster or '-'} | {verdict(p.expect, p.cluster)} | {p.note} |")
    out += ["", "## text/sample.jsonl", "", "| # | id | cluster | expect | reason | note |", "|---|---|---|---|---|---|"]
    for n, (i, u, t, e, note, cl) in enumerate(docs):
        out.append(f"| {n} | {i} | {cl or '-'} | {verdict(e, cl)} | {note} |")
    out += ["", "## Planted benchmark items", "", "| where | document | benchmark file | item id | how |", "|---|---|---|---|---|"]
    out += [f"| {w} | {d} | {f}.jsonl | {i} | {how} |" for w, d, f, i, how in leaks] or ["| - | (no sample_data/benchmarks/*.jsonl when generated) | | | |"]
    out += ["", "## PII planted in the zh_pii page", ""]
    out += [f"- {k}: `{v}`" for k, v in pii.items()]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


README = """# sample_data — skypile's own sample corpus

Everything in this folder except `benchmarks/` is generated by

    python3 scripts/sample/make_sample_data.py

from texts written by the skypile authors for this repository (`scripts/sample/sample_text_en.py`,
`scripts/sample/sample_text_zh.py`, `scripts/sample/sample_junk.py`, page chrome in `scripts/sample/sample_html.py`).
People, places and sites are invented; nothing is copied from `../shared/data` or the web. The
script is deterministic (fixed seed, dates and record ids, gzip mtime 0): rerunning it rewrites
byte-identical files. It plants a few items from `benchmarks/*.jsonl` (if present) into sample
documents, so rerun it when those files change. `MANIFEST.md` lists every document with the
expected outcome; tests should read expectations from there rather than hard-code them.

## web/sample.warc.gz

WARC/1.1, one gzip member per record: a `warcinfo` record, then a `request` + `response` pair
for each URL and a Common-Crawl-style `metadata` record for every other URL. Digests are
`sha1:` base32 on every record (`WARC-Payload-Digest` over the HTTP body bytes as stored, i.e.
still chunked / gzip-encoded, which is what warcio and FastWARC verify).

{warc_table}

Encodings: Chinese pages come as UTF-8, GBK labelled `gb2312` in the HTTP header and/or
`<meta>` (every one contains characters outside GB2312 — 镕 喆 堃 頫 玥 珺 赟 昇 啰 — so a strict
gb2312 decoder fails; one is GB18030 with the 4-byte character 䶮), GBK with no charset anywhere,
Big5 (declared) and Traditional Chinese in UTF-8. Foreign pages: Shift_JIS (ja), EUC-KR (ko),
windows-1251 (ru). Some responses use `Content-Encoding: gzip`, one `Transfer-Encoding: chunked`.

## text/sample.jsonl

One JSON object per line: `{{"id", "url", "text"}}` — {n_jsonl} documents: short zh/en articles,
copies and near-copies of WARC articles (cross-format dedup), an exact duplicate, benchmark leaks
and junk (spam, lorem ipsum, gibberish, repeated lines, mojibake, Japanese).

## benchmarks/

Benchmark-like items written by the decontamination work (see `benchmarks/README.md`); not
generated by this script.
"""


def write_readme(pages, docs, path: Path) -> None:
    counts = {}
    for p in pages:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    rows = ["| kind | pages |", "|---|---|"] + [f"| {k} | {v} |" for k, v in counts.items()]
    path.write_text(README.format(warc_table="\n".join(rows), n_jsonl=len(docs)), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "sample_data"))
    out = Path(ap.parse_args().out)
    bench = load_benchmarks(out / "benchmarks")
    if not bench:
        print("note: no sample_data/benchmarks/*.jsonl yet: no leaks planted; rerun once they exist", file=sys.stderr)
    pages, leaks, pii = build(bench)
    docs = build_jsonl(bench, leaks, random.Random(SEED + 1))
    for p in pages:
        slug = p.url.rsplit("/", 1)[-1].removesuffix(".html")
        if slug in CROSS_FORMAT and p.kind.startswith(("en_article", "zh_article")):
            p.cluster, p.expect = xcluster(slug), "cross-format dup group"
    warc, jsonl = out / "web" / WARC_FILENAME, out / "text" / "sample.jsonl"
    write_warc(pages, warc)
    write_jsonl(docs, jsonl)
    write_manifest(pages, docs, leaks, pii, out / "MANIFEST.md")
    write_readme(pages, docs, out / "README.md")
    self_check(warc, pages, jsonl, docs)
    total = sum(f.stat().st_size for f in (warc, jsonl))
    assert total < 1_500_000, f"sample too big: {total} bytes"


if __name__ == "__main__":
    main()
