"""HTML page templates for the sample WARC: realistic site chrome around authored article text.

Several site styles so the extractor sees different layouts: semantic HTML5 news site, a
div-soup magazine, a WordPress-like blog, Chinese portals (div soup with `daohang`/`guanggao`
classes, and an old table layout), a Traditional-Chinese portal. Used by make_sample_data.py.
"""

from html import escape

EN_CSS = ("body{margin:0;font-family:Georgia,serif;color:#222}.nav a{padding:0 8px}"
          "#cookie-banner{position:fixed;bottom:0;background:#333;color:#fff;padding:12px}"
          ".sidebar{float:right;width:280px}.ad-slot{min-height:250px;background:#f4f4f4}")
ZH_CSS = ("body{font:12px/1.8 \"宋体\",SimSun;margin:0}.daohang li{float:left;padding:0 10px}"
          ".guanggao{margin:10px 0;text-align:center}.footer{border-top:2px solid #c00;color:#666}")
TRACKER = ("window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
           "gtag('js',new Date());gtag('config','G-SAMPLE123');")
ZH_TRACKER = ("var _hmt=_hmt||[];(function(){var hm=document.createElement('script');"
              "hm.src='//hm.example-stat.cn/hm.js?0a1b2c3d';var s=document.getElementsByTagName('script')[0];"
              "s.parentNode.insertBefore(hm,s);})();")


def paras_html(paras, inject_after=None, inject_html=""):
    out = []
    for i, p in enumerate(paras):
        out.append(f"<p>{escape(p)}</p>")
        if inject_after is not None and i == inject_after:
            out.append(inject_html)
    return "\n".join(out)


def link_list(items, cls=""):
    lis = "".join(f'<li><a href="{escape(h)}">{escape(t)}</a></li>' for h, t in items)
    return f'<ul class="{cls}">{lis}</ul>'


EN_NAV = ["Home", "News", "Local", "Business", "Science", "Tech", "Health", "Travel", "Opinion",
          "Sport", "Weather", "Subscribe", "Sign in"]
EN_FOOTER = ["About us", "Contact", "Careers", "Advertise with us", "Privacy Policy", "Terms of Use",
             "Cookie settings", "Accessibility", "Sitemap", "RSS"]
EN_COMMENTS = [
    ("jmk_77", "Great read, thanks for writing this up."),
    ("Sandra P.", "I tried this last year and it worked for me too."),
    ("oldtimer", "Not sure I agree with all of it, but interesting."),
    ("bluebird", "Shared with my sister, she will love this!"),
    ("R. Castle", "Any chance of a follow-up piece?"),
]


def en_semantic(site, host, url, art, related, most_read, date, body_extra=None, heavy=False):
    """Semantic HTML5 news layout (header/nav/article/aside/footer), cookie banner, comments."""
    slug, section, title, author, paras = art
    inject_after, inject_html = body_extra or (None, "")
    nav = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}/">{n}</a></li>' for n in EN_NAV)
    rel = link_list(related, "related-list")
    mr = "".join(f'<li><span class="rank">{i + 1}</span><a href="{escape(h)}">{escape(t)}</a></li>'
                 for i, (h, t) in enumerate(most_read))
    comments = "".join(
        f'<li class="comment"><div class="comment-author">{escape(u)}</div>'
        f'<div class="comment-body">{escape(c)}</div><a class="reply" href="#">Reply</a></li>'
        for u, c in EN_COMMENTS[: 3 + len(slug) % 3])
    footer = " | ".join(f'<a href="/{f.lower().replace(" ", "-")}">{f}</a>' for f in EN_FOOTER)
    extra_links = ""
    if heavy:
        extra_links = "".join(
            f'<section class="promo"><h3>{escape(t)}</h3>{link_list(related + most_read, "promo-links")}</section>'
            for t in ("More from our newsroom", "You might have missed", "Partner content"))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {escape(site)}</title>
<meta name="description" content="{escape(paras[0][:150])}">
<meta property="og:title" content="{escape(title)}">
<meta property="og:type" content="article">
<link rel="canonical" href="{escape(url)}">
<link rel="stylesheet" href="/static/css/main.4f2a.css">
<style>{EN_CSS}</style>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-SAMPLE123"></script>
<script>{TRACKER}</script>
</head>
<body class="article-page section-{section}">
<div id="cookie-banner" role="dialog">We use cookies to improve your experience and to show you relevant ads. By continuing to browse this site you agree to our <a href="/cookie-policy">Cookie Policy</a>. <button>Accept all</button> <button>Manage settings</button></div>
<header class="site-header">
<a class="logo" href="/"><img src="/static/img/logo.svg" alt="{escape(site)}"></a>
<nav class="nav main-nav"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form>
</header>
<div class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/{section}/">{section.title()}</a></div>
<main>
<article class="story">
<h1 class="headline">{escape(title)}</h1>
<div class="byline">By <a rel="author" href="/authors/{escape(author.lower().replace(' ', '-'))}">{escape(author)}</a> &middot; <time datetime="{date}">{date[:10]}</time> &middot; {3 + len(paras)} min read</div>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email</a></div>
<div class="story-body">
{paras_html(paras, inject_after, inject_html)}
</div>
<div class="ad-slot" data-slot="in-article">Advertisement</div>
<div class="tags">Tags: <a href="/tag/{section}">{section}</a> <a href="/tag/local">local</a></div>
</article>
<section class="related"><h2>Related articles</h2>{rel}</section>
<section class="comments"><h2>Comments</h2><ol>{comments}</ol>
<form><textarea placeholder="Join the discussion"></textarea><button>Post comment</button></form></section>
{extra_links}
</main>
<aside class="sidebar">
<div class="widget most-read"><h3>Most read</h3><ol>{mr}</ol></div>
<div class="widget newsletter"><h3>Newsletter</h3><p>Get the day's top stories in your inbox.</p><input type="email" placeholder="Your email"><button>Sign up</button></div>
<div class="ad-slot" data-slot="sidebar">Advertisement</div>
</aside>
<footer class="site-footer"><nav>{footer}</nav>
<p class="copyright">&copy; 2024 {escape(site)} Media Ltd. All rights reserved.</p></footer>
<script src="/static/js/app.9c1e.js"></script>
<script>document.querySelectorAll('#cookie-banner button').forEach(function(b){{b.onclick=function(){{document.getElementById('cookie-banner').remove();}}}});</script>
</body>
</html>
"""


def en_divsoup(site, host, url, art, related, most_read, date, body_extra=None, heavy=False):
    """Older magazine layout: nested divs, widget columns, no semantic tags."""
    slug, section, title, author, paras = art
    inject_after, inject_html = body_extra or (None, "")
    topnav = " | ".join(f'<a href="/{n.lower()}">{n}</a>' for n in EN_NAV[:9])
    rel = "".join(f'<div class="rel-item"><a href="{escape(h)}"><img src="/thumbs/{i}.jpg" alt=""><span>{escape(t)}</span></a></div>'
                  for i, (h, t) in enumerate(related))
    pop = link_list(most_read, "popular")
    tags = ", ".join(f'<a href="/tag/{t}">{t}</a>' for t in (section, "tips", "guides", "weekend"))
    body = paras_html(paras, inject_after, inject_html)
    heavy_block = ""
    if heavy:
        heavy_block = "".join(f'<div class="widget"><div class="widget-title">{escape(t)}</div>{pop}</div>'
                              for t in ("Editor's picks", "Trending now", "From around the web"))
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{escape(title)} - {escape(site)}</title>
<style type="text/css">{EN_CSS}</style>
<script type="text/javascript">{TRACKER}</script>
</head>
<body>
<div id="wrapper">
<div id="top-bar"><div class="left">Welcome to {escape(site)}! <a href="/login">Log in</a> or <a href="/register">Register</a></div><div class="right">Follow us: <a href="#">Facebook</a> <a href="#">Instagram</a> <a href="#">Pinterest</a></div></div>
<div id="header"><div class="logo"><a href="/">{escape(site)}</a></div><div class="tagline">Ideas for everyday living</div></div>
<div id="menu" class="nav">{topnav}</div>
<div class="cookie-notice">This website uses cookies. <a href="/privacy">Learn more</a> <a href="#" class="ok">Got it!</a></div>
<div id="content">
<div class="col-left">
<div class="post">
<div class="post-title"><h1>{escape(title)}</h1></div>
<div class="post-meta">Posted by {escape(author)} on {date[:10]} in <a href="/{section}">{section.title()}</a> | <a href="#comments">{len(slug) % 9 + 2} Comments</a></div>
<div class="post-content">
{body}
</div>
<div class="post-tags">Tagged: {tags}</div>
<div class="share-box">Like this post? Share it: <a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">Pinterest</a></div>
</div>
<div class="related-posts"><div class="widget-title">You may also like</div>{rel}</div>
<div id="comments"><div class="widget-title">Leave a Reply</div><p class="note">Your email address will not be published. Required fields are marked *</p><textarea></textarea><input type="submit" value="Post Comment" /></div>
</div>
<div class="col-right sidebar">
<div class="widget"><div class="widget-title">Popular posts</div>{pop}</div>
<div class="widget ad"><a href="/ads/click?id=77"><img src="/ads/banner-300x250.gif" alt="Advertisement" /></a></div>
<div class="widget"><div class="widget-title">Archives</div><ul><li><a href="/2024/03">March 2024</a></li><li><a href="/2024/02">February 2024</a></li><li><a href="/2024/01">January 2024</a></li><li><a href="/2023/12">December 2023</a></li></ul></div>
{heavy_block}
</div>
</div>
<div id="footer"><div class="footer-links">{' | '.join(EN_FOOTER[:6])}</div>
<div class="copy">Copyright &copy; 2011-2024 {escape(site)}. All Rights Reserved. Powered by WordPress.</div></div>
</div>
<script type="text/javascript">var _paq=[];_paq.push(['trackPageView']);</script>
</body>
</html>
"""


ZH_S = dict(
    top="设为首页 | 加入收藏 | 手机版 | 登录 | 注册",
    nav=["首页", "新闻", "体育", "财经", "娱乐", "科技", "汽车", "房产", "教育", "旅游", "健康", "视频"],
    pos="您的位置：", home="首页", body_tail="正文", source="来源", author="作者", time="发布时间",
    views="浏览次数", size="字号：大 中 小", share="分享到：微信 微博 QQ空间", ad="广告",
    related="相关阅读", prev="上一篇", next="下一篇", editor="责任编辑", hot="热门推荐",
    rank="排行榜", footer=["关于我们", "联系我们", "广告服务", "网站地图", "版权声明", "招聘信息", "意见反馈"],
    rights="版权所有", reserved="未经书面授权禁止转载", icp="滨ICP备2024000123号",
    report="违法和不良信息举报电话：0571-12345678", comment="网友评论", comment_note="请文明上网，理性发言",
    comments=["写得很好，支持一下！", "学习了，谢谢分享。", "这个说法有道理。"], user="网友",
    editor_name="张伟", hot24="24小时热点",
)
ZH_T = dict(
    top="設為首頁 | 加入收藏 | 手機版 | 登入 | 註冊",
    nav=["首頁", "新聞", "體育", "財經", "娛樂", "科技", "生活", "旅遊", "健康", "影音"],
    pos="目前位置：", home="首頁", body_tail="內文", source="來源", author="作者", time="發布時間",
    views="瀏覽次數", size="字級：大 中 小", share="分享到：臉書 LINE 推特", ad="廣告",
    related="相關閱讀", prev="上一篇", next="下一篇", editor="責任編輯", hot="熱門推薦",
    rank="排行榜", footer=["關於我們", "聯絡我們", "廣告服務", "網站地圖", "隱私權政策", "徵才資訊"],
    rights="版權所有", reserved="未經授權請勿轉載", icp="",
    report="客服信箱請見聯絡我們頁面", comment="讀者留言", comment_note="請遵守留言規則，理性發言",
    comments=["寫得真好，推一個！", "謝謝分享，長知識了。", "很有同感。"], user="網友",
    editor_name="陳美玲", hot24="24小時熱點",
)


def zh_portal(site, host, url, art, related, hot, date, meta_charset=None, trad=False,
              body_extra=None, heavy=False, lang_attr=None):
    """Chinese news portal, div soup: daohang (nav), guanggao (ads), 相关阅读, 上一篇/下一篇, footer."""
    L = ZH_T if trad else ZH_S
    slug, section, title, author, paras = art
    inject_after, inject_html = body_extra or (None, "")
    meta = ""
    if meta_charset:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">\n'
    nav = "".join(f'<li><a href="/{i}/">{n}</a></li>' for i, n in enumerate(L["nav"]))
    rel = link_list(related, "xiangguan")
    hotl = "".join(f'<li><em>{i + 1}</em><a href="{escape(h)}">{escape(t)}</a></li>' for i, (h, t) in enumerate(hot))
    prev_h, prev_t = related[0]
    next_h, next_t = related[-1]
    comments = "".join(f'<li><span class="user">{L["user"]}{1000 + 37 * i}</span>{escape(c)}</li>'
                       for i, c in enumerate(L["comments"]))
    footer = " | ".join(f'<a href="/about/{i}.html">{f}</a>' for i, f in enumerate(L["footer"]))
    extra = ""
    if heavy:
        extra = "".join(f'<div class="box"><h3>{t}</h3><ul>{hotl}</ul></div>'
                        for t in (L["rank"], L["hot"], L["hot24"]))
    lang = lang_attr or ("zh-Hant" if trad else "zh-CN")
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
{meta}<title>{escape(title)}_{escape(site)}</title>
<meta name="keywords" content="{escape(section)},{escape(title[:8])},{escape(site)}">
<meta name="description" content="{escape(paras[0][:60])}">
<link rel="stylesheet" href="/css/style.css" type="text/css">
<style>{ZH_CSS}</style>
<script type="text/javascript">{ZH_TRACKER}</script>
</head>
<body>
<div class="topbar"><div class="w1000">{L['top']}</div></div>
<div class="header w1000"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{escape(site)}"></a></div>
<div class="guanggao" id="ad_top"><a href="/ad/click.php?id=12" target="_blank"><img src="/ad/banner_760x90.jpg" alt="{L['ad']}"></a><span>{L['ad']}</span></div></div>
<div class="daohang w1000"><ul>{nav}</ul></div>
<div class="main w1000">
<div class="left">
<div class="weizhi">{L['pos']}<a href="/">{L['home']}</a> &gt; <a href="/{section}/">{escape(section)}</a> &gt; {L['body_tail']}</div>
<div class="article">
<h1>{escape(title)}</h1>
<div class="info">{L['source']}：{escape(site)}　{L['author']}：{escape(author)}　{L['time']}：{date[:10]} {date[11:16]}　{L['views']}：<span id="hits">{len(slug) * 137 % 9000 + 1000}</span>　{L['size']}</div>
<div class="content" id="zoom">
{paras_html(paras, inject_after, inject_html)}
</div>
<div class="bianji">【{L['editor']}：{L['editor_name']}】</div>
<div class="share">{L['share']}</div>
<div class="guanggao"><script type="text/javascript">var ad_slot='article_bottom';</script><span>{L['ad']}</span></div>
<div class="fanye"><p>{L['prev']}：<a href="{escape(prev_h)}">{escape(prev_t)}</a></p><p>{L['next']}：<a href="{escape(next_h)}">{escape(next_t)}</a></p></div>
</div>
<div class="xgyd"><h3>{L['related']}</h3>{rel}</div>
<div class="pinglun"><h3>{L['comment']}</h3><p class="tip">{L['comment_note']}</p><ul>{comments}</ul></div>
</div>
<div class="right">
<div class="box"><h3>{L['hot']}</h3><ul class="remen">{hotl}</ul></div>
<div class="guanggao"><img src="/ad/side_300x250.gif" alt="{L['ad']}"><span>{L['ad']}</span></div>
{extra}
</div>
</div>
<div class="footer"><div class="links">{footer}</div>
<p>{L['rights']} &copy; 2008-2024 {escape(site)} All Rights Reserved　{L['reserved']}</p>
<p>{L['icp']}　{L['report']}</p></div>
<script type="text/javascript">document.getElementById('hits').innerHTML=parseInt(document.getElementById('hits').innerHTML)+1;</script>
</body>
</html>
"""


def zh_table(site, host, url, art, related, hot, date, meta_charset=None, body_extra=None, heavy=False):
    """Old-style table-layout portal (typical of gb2312 sites from the 2000s)."""
    slug, section, title, author, paras = art
    inject_after, inject_html = body_extra or (None, "")
    meta = ""
    if meta_charset:
        meta = f'<META http-equiv=Content-Type content="text/html; charset={meta_charset}">\n'
    nav = "&nbsp;|&nbsp;".join(f'<A href="/list_{i}.html">{n}</A>' for i, n in enumerate(ZH_S["nav"][:10]))
    rel = "".join(f'<TR><TD>·<A href="{escape(h)}" target=_blank>{escape(t)}</A></TD></TR>' for h, t in related)
    hotl = "".join(f'<TR><TD>{i + 1}.<A href="{escape(h)}">{escape(t)}</A></TD></TR>' for i, (h, t) in enumerate(hot))
    body = "\n".join(f"<P>　　{escape(p)}</P>" for p in paras)
    if inject_after is not None:
        parts = [f"<P>　　{escape(p)}</P>" for p in paras]
        parts.insert(inject_after + 1, inject_html)
        body = "\n".join(parts)
    heavy_rows = ""
    if heavy:
        heavy_rows = f'<TR><TD class=guanggao>{ZH_S["ad"]}：<A href="/ad/1.html">特价机票</A> <A href="/ad/2.html">在线教育</A> <A href="/ad/3.html">装修报价</A></TD></TR>' * 3
    return f"""<HTML>
<HEAD>
{meta}<TITLE>{escape(title)}--{escape(site)}</TITLE>
<LINK href="/css/css.css" type=text/css rel=stylesheet>
<SCRIPT language=javascript>function fontZoom(size){{document.getElementById('fontzoom').style.fontSize=size+'px';}}</SCRIPT>
</HEAD>
<BODY leftMargin=0 topMargin=0>
<TABLE class=daohang cellSpacing=0 cellPadding=0 width=778 align=center border=0>
<TR><TD><IMG src="/images/top_logo.gif" width=200 height=60></TD><TD class=guanggao><A href="/ad/top.html"><IMG src="/ad/top468x60.gif" border=0></A></TD></TR>
<TR><TD colSpan=2 bgColor=#cc0000 height=26>&nbsp;{nav}</TD></TR>
</TABLE>
<TABLE cellSpacing=0 cellPadding=0 width=778 align=center border=0>
<TR>
<TD vAlign=top width=570>
<TABLE width="100%"><TR><TD>{ZH_S['pos']}<A href="/">{ZH_S['home']}</A> &gt;&gt; {escape(section)} &gt;&gt; {ZH_S['body_tail']}</TD></TR></TABLE>
<TABLE width="100%">
<TR><TD align=center><FONT size=4><B>{escape(title)}</B></FONT></TD></TR>
<TR><TD align=center bgColor=#f0f0f0>{ZH_S['time']}：{date[:10]}　{ZH_S['source']}：{escape(site)}　{ZH_S['author']}：{escape(author)}　【字体：<A href="javascript:fontZoom(16)">大</A> <A href="javascript:fontZoom(14)">中</A> <A href="javascript:fontZoom(12)">小</A>】</TD></TR>
<TR><TD id=fontzoom>
{body}
</TD></TR>
<TR><TD align=right>（{ZH_S['editor']}：李明）</TD></TR>
<TR><TD>{ZH_S['prev']}：<A href="{escape(related[0][0])}">{escape(related[0][1])}</A><BR>{ZH_S['next']}：<A href="{escape(related[-1][0])}">{escape(related[-1][1])}</A></TD></TR>
</TABLE>
<TABLE width="100%"><TR><TD bgColor=#eeeeee><B>{ZH_S['related']}</B></TD></TR>{rel}</TABLE>
</TD>
<TD vAlign=top width=200>
<TABLE width="100%"><TR><TD bgColor=#eeeeee><B>{ZH_S['hot']}</B></TD></TR>{hotl}</TABLE>
<TABLE width="100%"><TR><TD class=guanggao><IMG src="/ad/right.gif"><BR>{ZH_S['ad']}</TD></TR>{heavy_rows}</TABLE>
</TD></TR>
</TABLE>
<TABLE class=footer width=778 align=center><TR><TD align=center>{' | '.join(ZH_S['footer'])}<BR>{ZH_S['rights']} &copy; {escape(site)} 2003-2024　{ZH_S['icp']}</TD></TR></TABLE>
</BODY>
</HTML>
"""
