"""Junk and foreign-language page texts for the sample WARC (authored for this repository).

These are what the language and quality filters must drop. Used by make_sample_data.py.
"""

import random

ZH_SPAM_TITLE = "澳门赌场-澳门赌场官网-六合彩开奖结果-时时彩计划-北京赛车pk10-百家乐"
ZH_SPAM_KEYWORDS = [
    "澳门赌场", "澳门赌场官网", "澳门赌场网址", "六合彩", "六合彩开奖结果", "香港六合彩", "时时彩",
    "重庆时时彩", "时时彩计划", "北京赛车pk10", "百家乐", "真人百家乐", "网上赌场", "博彩网站",
    "成人视频", "午夜福利", "免费观看", "激情影院",
]
ZH_SPAM_SENTENCES = [
    "澳门赌场官网是亚洲最大的在线娱乐平台，注册即送888元彩金！",
    "六合彩开奖结果最快最准，六合彩资料大全，六合彩免费预测！",
    "时时彩计划稳赚不赔，时时彩平台信誉第一，时时彩高手带你赢！",
    "澳门赌场真人百家乐，澳门赌场网址最新，澳门赌场在线充值秒到账！",
    "午夜福利免费观看，成人视频在线播放，激情影院每日更新！",
]


def zh_spam_body(rng: random.Random) -> str:
    blocks = []
    for i in range(14):
        kws = rng.sample(ZH_SPAM_KEYWORDS, 8)
        blocks.append(f"<p>{'　'.join(kws)}</p>")
        blocks.append(f"<p>{ZH_SPAM_SENTENCES[i % len(ZH_SPAM_SENTENCES)]}{ZH_SPAM_SENTENCES[(i + 2) % len(ZH_SPAM_SENTENCES)]}</p>")
    links = "".join(f'<a href="/{i}.html">{k}</a> ' for i, k in enumerate(ZH_SPAM_KEYWORDS * 3))
    hidden = "　".join(ZH_SPAM_KEYWORDS * 6)
    return "\n".join(blocks) + f'\n<div class="tags">{links}</div>\n<div style="display:none">{hidden}</div>'


EN_SPAM_TITLE = "Best Online Casino Bonus 2024 | Free Spins | Cheap Loans | Casino Bonus No Deposit"
EN_SPAM_KEYWORDS = [
    "best online casino", "casino bonus", "free spins", "no deposit bonus", "cheap loans",
    "payday loans", "online slots", "real money casino", "casino bonus codes", "win big",
    "buy cheap", "fast cash", "bitcoin casino", "online gambling",
]


def en_spam_body(rng: random.Random) -> str:
    out = []
    for i in range(12):
        kws = rng.sample(EN_SPAM_KEYWORDS, 9)
        out.append("<p>" + " ".join(kws) + ". " + " ".join(kws[:4]).title() + "!!! "
                   "Best online casino casino bonus free spins no deposit bonus click here now!</p>")
    out.append('<div class="kw">' + ", ".join(EN_SPAM_KEYWORDS * 8) + "</div>")
    return "\n".join(out)


LOREM = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.",
    "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo.",
    "Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugit, sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.",
    "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur. Quis autem vel eum iure reprehenderit qui in ea voluptate velit esse quam nihil molestiae consequatur, vel illum qui dolorem eum fugiat quo voluptas nulla pariatur.",
]


def gibberish(rng: random.Random, n_words: int) -> str:
    cons, vows = "bcdfghjklmnpqrstvwxzqxj", "aeiouy"
    words = []
    for _ in range(n_words):
        w = "".join(rng.choice(cons) + (rng.choice(vows) if rng.random() < 0.35 else rng.choice(cons))
                    for _ in range(rng.randint(1, 5)))
        words.append(w)
    return " ".join(words)


JA_TITLE = "桜前線とお花見の楽しみ方"
JA = [
    "春になると、日本各地で桜の花が咲き始めます。桜の開花は南の沖縄から始まり、少しずつ北へ進んでいきます。この様子は「桜前線」と呼ばれ、毎年ニュースや天気予報で詳しく紹介されています。",
    "桜が満開になると、多くの人が公園や川沿いに集まり、お花見を楽しみます。家族や友人、会社の同僚と一緒にシートを広げ、お弁当を食べたりお茶を飲んだりしながら、花の美しさを味わいます。夜には提灯に照らされた夜桜も人気があります。",
    "しかし、桜の花が咲いている期間はとても短く、一週間ほどで散ってしまいます。昔から日本人は、そのはかなさに特別な美しさを感じてきました。多くの和歌や俳句にも、散りゆく桜の姿が詠まれています。",
    "最近では、外国からの観光客も桜の季節に合わせて日本を訪れるようになりました。人気の名所では混雑が問題になることもあり、ごみを持ち帰るなどのマナーを守ることが大切です。",
]
KO_TITLE = "김장 문화, 함께 나누는 겨울 준비"
KO = [
    "김장은 겨울을 앞두고 많은 양의 김치를 한꺼번에 담그는 한국의 전통 풍습입니다. 보통 11월 말에서 12월 초 사이에 이루어지며, 가족과 이웃이 함께 모여 배추를 절이고 양념을 버무립니다.",
    "김장을 하려면 먼저 배추를 소금물에 절여야 합니다. 절인 배추는 깨끗한 물에 여러 번 헹군 뒤 물기를 뺍니다. 그동안 무채, 고춧가루, 마늘, 생강, 젓갈 등을 섞어 양념을 만듭니다. 마지막으로 배추 잎 사이사이에 양념을 골고루 넣으면 김치가 완성됩니다.",
    "김장은 단순히 음식을 준비하는 일이 아니라 공동체의 정을 나누는 행사이기도 합니다. 이러한 가치를 인정받아 김장 문화는 2013년 유네스코 인류무형문화유산으로 등재되었습니다.",
    "요즘은 김치를 사 먹는 가정이 늘어나면서 김장을 하는 집이 예전보다 줄었습니다. 그래도 많은 사람들이 김장철이 되면 부모님 댁에 모여 함께 김치를 담그며 한 해를 마무리합니다.",
]
RU_TITLE = "Байкал: самое глубокое озеро планеты"
RU = [
    "Байкал — самое глубокое озеро на планете и крупнейший природный резервуар пресной воды. Его глубина достигает 1642 метров, а возраст, по оценкам учёных, составляет около двадцати пяти миллионов лет. Озеро расположено в Восточной Сибири, на границе Иркутской области и Республики Бурятия.",
    "Вода Байкала удивительно прозрачна: в некоторых местах камни на дне видны на глубине до сорока метров. Зимой озеро покрывается толстым льдом, по которому туристы путешествуют на машинах, велосипедах и коньках. Весной лёд трескается с громким гулом, который слышен за несколько километров.",
    "В Байкале обитает более двух тысяч видов растений и животных, и большинство из них больше нигде не встречаются. Самый известный обитатель озера — байкальская нерпа, единственный пресноводный тюлень в России. Учёные до сих пор спорят о том, как нерпа попала в озеро, удалённое от океана на тысячи километров.",
    "Сегодня Байкал входит в список объектов Всемирного наследия ЮНЕСКО. Местные жители и экологи прилагают много усилий, чтобы защитить озеро от загрязнения и сохранить его уникальную природу для будущих поколений.",
]

EXTRA_HEADLINES = [
    "Storm warning issued for the weekend as heavy rain moves in",
    "Ferry fares to rise by five per cent from April",
    "Farmers' market returns to the old town square",
    "Police appeal for witnesses after collision on ring road",
    "New café opens in former post office building",
    "Council tax bills explained: where your money goes",
    "Swimming pool reopens after roof repairs",
    "Local author shortlisted for national poetry prize",
    "Hospital car park charges to be reviewed",
    "Youth football league celebrates twenty years",
    "Road closures planned for the spring marathon",
    "Bus timetable changes: what you need to know",
    "Opinion: our parks deserve better funding",
    "Weather: sunny spells and a chilly breeze",
    "Planning application for riverside flats rejected",
    "Recycling collection dates over the holiday period",
]

# An English theme-demo page with one lorem ipsum paragraph: English overall, so only the C4
# lorem-ipsum rule can catch it.
THEME_DEMO = [
    "Welcome to the demo page of our new magazine theme. This page shows how headings, paragraphs and images will look once your own content is added. You can change the colours, fonts and layout from the settings panel at any time.",
    LOREM[0],
    "When you are ready to publish, simply replace this sample text with your own articles. Our support team is happy to help if you have any questions about customising the theme. Remember to check how your pages look on a phone as well as on a desktop screen.",
]
# A broken CMS that printed the same paragraph five times (paragraph/line repetition rules).
REPEATED_PARA = ("The Harbourview Guest House offers six comfortable rooms, each with a private bathroom and a view of the marina. "
                 "Breakfast is served every morning in the conservatory, and guests are welcome to use the garden and the reading lounge. "
                 "The town centre, the ferry terminal and the coastal path are all within a short walk.")
# Chinese pages the zh rules must drop.
ZH_SHORT = "本栏目正在升级维护中，暂时无法访问，给您带来的不便敬请谅解。如需查询办事指南，请拨打服务热线或前往政务服务大厅咨询。网站将于近期恢复正常访问，感谢您的理解与支持。维护期间，部分在线业务可以通过手机客户端办理，办理结果以短信方式通知本人。特此公告。"
ZH_REPEAT = "城市的发展离不开每一个人的努力，我们要珍惜今天的美好生活，共同建设更加美好的家园。"
ZH_TAGS = ["北京", "上海", "天津", "重庆", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安",
           "长沙", "郑州", "青岛", "大连", "厦门", "宁波", "合肥", "济南", "福州", "昆明", "南宁", "贵阳",
           "美食", "旅游", "亲子", "健身", "摄影", "装修", "汽车", "数码", "教育", "招聘", "二手", "租房"]
# A unique text for the JSONL mojibake doc, so a repaired copy can be found in the output.
ZH_MOJIBAKE_SOURCE = ("每天清晨，小区旁边的公园里总是十分热闹。打太极拳的老人动作舒缓，跳广场舞的阿姨们精神饱满，"
                      "还有不少年轻人沿着湖边慢跑。公园管理处在湖边新修了一条塑胶跑道，并安装了路灯和饮水机。\n\n"
                      "附近的居民说，有了这条跑道，晚上下班后也可以出来锻炼身体了。管理处提醒大家，锻炼时要注意安全，"
                      "不要在湖边嬉戏打闹，带孩子的家长要看护好自己的孩子。公园还计划在明年增设一片儿童游乐区。")
ZH_MOJIBAKE_SOURCE += ("\n\n据了解，这座公园建成已经有二十多年，是附近几个小区居民休闲锻炼的主要去处。"
                       "今年春天，管理处还对园内的老旧设施进行了全面检修，更换了一批座椅和健身器材，受到居民的普遍欢迎。")
# A checklist of short sentences: passes Gopher and C4, but most lines are < 30 chars (FineWeb).
CHECKLIST = [
    "Pack a warm hat.", "Bring two water bottles.", "Carry a paper map.", "Check the weather forecast.",
    "Charge your phone fully.", "Wear broken-in boots.", "Take a small first-aid kit.", "Pack extra socks.",
    "Bring a rain jacket.", "Carry some snacks.", "Tell someone your route.", "Take a head torch.",
    "Bring sun cream too.", "Pack a light fleece.", "Carry a whistle.", "Bring a spare battery.",
    "Pack your lunch early.", "Take a rubbish bag.", "Check the bus times.", "Bring some cash.",
    "Take a sit mat.", "Pack a small towel.", "Bring insect repellent.", "Leave no trace behind.",
]
