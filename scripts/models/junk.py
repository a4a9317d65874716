"""Phrase pools for generated junk (make_data.py). Every list is split by position: even items
build the training junk, odd items the check junk, so the check set's boilerplate is written
from templates and fillers the model never saw."""
import re

EN = {
    "company": ["Acme Media Ltd", "Northwind Digital", "BrightPath Inc", "Globex Services",
                "Bluefin Labs", "Vertex Online", "Summit Publishing", "Orbit Networks"],
    "place": ["England and Wales", "the State of California", "Ireland", "Delaware",
              "Singapore", "the Netherlands", "New York", "Ontario"],
    "email": ["privacy@example.com", "dpo@example.org", "legal@example.net", "support@example.io"],
    "heading": ["Cookie Policy", "Privacy Notice", "Terms of Use", "Legal Disclaimer",
                "Your Privacy Choices", "Terms and Conditions", "Cookie Settings",
                "Data Protection Statement"],
    "subject": ["We", "This website", "Our site", "Our partners", "We and our trusted partners",
                "{company}", "Third-party vendors", "Our advertising partners", "This service",
                "The operator of this site"],
    "verb": ["use", "may use", "store and access", "set", "rely on", "place", "deploy", "read"],
    "object": ["cookies", "similar tracking technologies", "device identifiers",
               "web beacons and pixels", "local storage", "analytics cookies",
               "essential and optional cookies", "session cookies"],
    "purpose": ["to improve your browsing experience", "to analyse site traffic",
                "to personalise content and ads", "to remember your preferences",
                "to measure the performance of our campaigns", "to provide social media features",
                "for security and fraud prevention",
                "to understand how visitors interact with our pages"],
    "tail": ["By continuing to browse, you agree to our use of cookies.",
             "You can change your settings at any time.",
             "Click Accept to consent or Manage Preferences to customise your choices.",
             "For more information, see our Cookie Policy.",
             "You may withdraw your consent at any time.",
             "Some features may not work if you disable cookies.",
             "Read our Privacy Notice to learn more.",
             "Select Reject All to refuse non-essential cookies."],
    "data": ["personal information", "your name and email address", "your IP address",
             "payment details", "usage data", "location data", "information about your device",
             "your purchase history"],
    "action": ["create an account", "place an order", "contact customer support",
               "subscribe to our newsletter", "visit our website", "fill in a form",
               "enter a promotion", "use our mobile app"],
    "recipient": ["service providers", "affiliated companies", "law enforcement authorities",
                  "advertising partners", "payment processors", "analytics providers"],
    "purpose2": ["fulfil our legal obligations", "provide the services you request",
                 "comply with applicable law", "improve our products", "process transactions",
                 "prevent fraud"],
    "right": ["access, correct or delete your personal data", "object to processing",
              "request data portability", "lodge a complaint with a supervisory authority",
              "withdraw consent", "restrict how we use your data"],
    "privacy": ["We collect {data} when you {action}.",
                "We may share {data} with {recipient} to {purpose2}.",
                "You have the right to {right}.",
                "We retain {data} for as long as necessary to {purpose2}.",
                "To exercise your rights, contact our Data Protection Officer at {email}.",
                "{company} processes {data} only where we have a lawful basis to {purpose2}.",
                "We do not sell {data} to {recipient}.",
                "If you {action}, we will ask for {data}."],
    "terms": ["By accessing or using the Service, you agree to be bound by these Terms.",
              "{company} reserves the right to modify these Terms at any time without prior notice.",
              "You may not use the Service for any unlawful purpose.",
              "All content on this site is the property of {company} and is protected by copyright laws.",
              "These Terms shall be governed by the laws of {place}.",
              "Any dispute arising from these Terms shall be resolved by the courts of {place}.",
              "We may suspend or terminate your account at our sole discretion.",
              "You are responsible for maintaining the confidentiality of your password.",
              "You must be at least 18 years old to use the Service.",
              "If any provision of these Terms is held invalid, the remaining provisions remain in effect."],
    "disclaimer": ["The information on this website is provided for general informational purposes only.",
                   "{company} makes no representations or warranties of any kind, express or implied.",
                   "In no event shall {company} be liable for any indirect, incidental or consequential damages.",
                   "Nothing on this site constitutes legal, financial or medical advice.",
                   "Past performance is not indicative of future results.",
                   "Links to third-party websites are provided for convenience only.",
                   "Use of this information is at your own risk.",
                   "This content may not be reproduced without written permission.",
                   "Opinions expressed here are those of the authors and not of {company}.",
                   "Prices and availability are subject to change without notice."],
    "cookie": ["{subject} {verb} {object} {purpose}.", "{subject} {verb} {object} and {object} {purpose}.",
               "With your consent, {subject_l} {verb} {object} {purpose}.",
               "{subject} {verb} {object} {purpose} and {purpose}."],
}

ZH = {
    "company": ["本公司", "星辰科技有限公司", "华信网络", "云帆传媒", "蓝海数据服务有限公司",
                "远景信息技术有限公司", "本平台运营方", "启明电子商务有限公司"],
    "place": ["中华人民共和国", "北京市", "上海市", "广东省深圳市", "浙江省杭州市", "香港特别行政区",
              "江苏省南京市", "四川省成都市"],
    "email": ["privacy@example.cn", "service@example.com.cn", "legal@example.cn", "kefu@example.cn"],
    "heading": ["Cookie政策", "隐私政策", "用户协议", "免责声明", "个人信息保护指引", "服务条款",
                "Cookie设置", "法律声明"],
    "subject": ["本网站", "我们", "我们及合作伙伴", "{company}", "第三方服务商", "本平台",
                "我们的广告合作伙伴", "本应用"],
    "verb": ["使用", "可能使用", "会收集并使用", "存储和读取", "依赖", "设置", "部署", "读取"],
    "object": ["Cookie", "类似的追踪技术", "设备标识符", "网络信标", "本地存储", "分析类Cookie",
               "必要和可选的Cookie", "会话Cookie"],
    "purpose": ["以改善您的浏览体验", "以分析网站流量", "以向您推送个性化内容和广告", "以记住您的偏好设置",
                "以衡量推广活动的效果", "以提供社交媒体功能", "以保障账户安全和防范欺诈",
                "以了解访问者如何使用我们的网页"],
    "tail": ["继续浏览即表示您同意我们使用Cookie。", "您可以随时更改设置。",
             "点击“接受”即表示同意，点击“管理偏好”可自定义选择。", "详情请参阅我们的Cookie政策。",
             "您可以随时撤回同意。", "禁用Cookie后部分功能可能无法正常使用。",
             "请阅读我们的隐私声明了解更多信息。", "选择“全部拒绝”可拒绝非必要Cookie。"],
    "data": ["您的个人信息", "您的姓名和手机号码", "您的IP地址", "支付信息", "使用记录", "位置信息",
             "设备信息", "您的购买记录"],
    "action": ["注册账号", "下单购买", "联系客服", "订阅我们的资讯", "访问本网站", "填写表单",
               "参加促销活动", "使用我们的手机应用"],
    "recipient": ["服务提供商", "关联公司", "司法机关", "广告合作伙伴", "支付机构", "数据分析服务商"],
    "purpose2": ["履行法定义务", "提供您所请求的服务", "遵守相关法律法规", "改进我们的产品", "完成交易",
                 "防范欺诈行为"],
    "right": ["查阅、更正或删除您的个人信息", "撤回您的授权同意", "注销您的账号", "获取个人信息副本",
              "向监管部门投诉", "限制我们处理您的个人信息"],
    "privacy": ["当您{action}时，我们会收集{data}。", "我们可能会与{recipient}共享{data}，用于{purpose2}。",
                "您有权{right}。", "我们将在{purpose2}所需的期限内保存{data}。",
                "如需行使您的权利，请通过{email}联系我们的个人信息保护负责人。",
                "{company}仅在具有合法依据时处理{data}，以{purpose2}。",
                "我们不会向{recipient}出售{data}。", "如果您{action}，我们将请求获取{data}。"],
    "terms": ["访问或使用本服务即表示您同意受本条款约束。", "{company}有权随时修改本条款，恕不另行通知。",
              "您不得将本服务用于任何违法用途。", "本网站所有内容的版权均归{company}所有，受著作权法保护。",
              "本条款的订立、执行和解释均适用{place}法律。", "因本条款引起的争议，应提交{place}有管辖权的人民法院解决。",
              "我们有权自行决定暂停或终止您的账号。", "您应妥善保管您的账号和密码。",
              "您须年满十八周岁方可使用本服务。", "本条款任何条款被认定无效的，不影响其余条款的效力。"],
    "disclaimer": ["本网站所载信息仅供参考，不构成任何投资建议。",
                   "{company}不对信息的准确性、完整性作任何明示或暗示的保证。",
                   "对于因使用本网站内容而导致的任何直接或间接损失，{company}概不负责。",
                   "本站部分内容转载自互联网，如有侵权请联系删除。", "市场有风险，投资需谨慎。",
                   "本站提供的第三方链接仅为方便用户，不代表本站立场。", "用户使用本站信息的风险由用户自行承担。",
                   "未经书面许可，任何单位和个人不得转载。", "文中观点仅代表作者本人，与{company}无关。",
                   "商品价格及库存如有变动，恕不另行通知。"],
    "cookie": ["{subject}{verb}{object}，{purpose}。", "{subject}{verb}{object}和{object}，{purpose}。",
               "经您同意后，{subject}会{verb}{object}，{purpose}。", "{subject}{verb}{object}，{purpose}，并{purpose}。"],
}

SPAM_EN = ["cheap designer handbags outlet", "best online casino bonus", "lose weight fast guaranteed",
           "free iphone giveaway", "crypto trading signals 1000x", "discount pharmacy no prescription",
           "hot singles in your area", "instant loan approval bad credit", "download free movies hd",
           "top seo backlinks service", "earn passive income daily", "luxury watches wholesale price",
           "miracle anti aging cream", "get rich with forex robots", "unlock any phone instantly",
           "wholesale sneakers lowest price", "win big jackpot tonight", "grow followers overnight",
           "best vpn deal 90% off", "essay writing service cheap"]

SPAM_ZH = ["高仿名牌包包批发", "正品低价手机专卖", "快速减肥不反弹", "免费看高清电影", "网络兼职日结工资",
           "低息贷款当天到账", "优惠券领取中心", "专业刷粉丝点赞", "彩票预测稳赚不赔", "祖传秘方包治百病",
           "官方授权代理招商", "二手车低价急售", "私人侦探调查取证", "一手房源特价直销", "美女主播在线直播",
           "工厂直销厂家批发", "名校文凭快速办理", "游戏金币装备交易", "特效药品海外代购", "手机靓号低价出售"]


def fill(rng, pools, pool, template):
    """Fill {slot}s from the chosen half of each filler list."""
    def one(m):
        key = m.group(1)
        lower = key.endswith("_l")
        key = key[:-2] if lower else key
        xs = pools[key][pool::2]
        v = fill(rng, pools, pool, rng.choice(xs))
        starts = ("We", "This", "Our", "Third-party", "The")
        return v[0].lower() + v[1:] if lower and v.split()[0] in starts else v
    return re.sub(r"\{(\w+)\}", one, template)


def boilerplate(rng, pools, pool):
    """A cookie banner, privacy notice, terms or disclaimer: a heading and 3-10 sentences."""
    kind = rng.choice(["cookie", "privacy", "terms", "disclaimer"])
    sents = [fill(rng, pools, pool, rng.choice(pools[kind][pool::2]))
             for _ in range(rng.randint(3, 10))]
    if kind == "cookie":
        sents.append(rng.choice(pools["tail"][pool::2]))
    sep = "" if pools is ZH else " "
    body = [sep.join(sents[i:i + 3]) for i in range(0, len(sents), 3)]
    return "\n".join([rng.choice(pools["heading"][pool::2])] + body)
