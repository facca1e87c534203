#!/usr/bin/env python3
"""Generate the Huayue Retail (华悦零售) sample data set for cxreport.

华悦零售 is a fictional Chinese supermarket chain with sixteen stores in four
regions and two online channels: its own App and a WeChat mini-program
(小程序). This script builds an entirely synthetic member survey for it —
one response per member after a purchase, in the shape a Chinese survey
platform exports it (Chinese column headers, "2026/1/3 10:05:22" time
stamps, a GB18030-encoded CSV) — plus a small competitor survey, a
desk-research competitor table and a vector logo.

Outputs (relative to this script, or to ``--out DIR``):

    data/responses.csv           the member survey, 2026 Q1–Q4, GB18030
    data/competitor_survey.csv   four retailers rated, one row per
                                 respondent and brand (UTF-8)
    data/competitor_table.csv    syndicated / desk-research figures (UTF-8)
    brand/logo.svg               the mark and the wordmark 华悦零售 as paths
    data/cases.csv               the service desk's case log (客服工单), 2026,
                                 ISO timestamps with +08:00 (UTF-8)
    data/transactions.csv        the member purchase log (会员交易记录), 2026,
                                 one row per purchase (UTF-8 with a BOM)

Everything is seeded, so re-running the script reproduces the files byte for
byte. Dependencies: numpy, pandas and fontTools, plus the Noto Sans CJK
fonts (Debian fonts-noto-cjk) whose outlines draw the wordmark.

How the data are built
----------------------
Each member gets a latent "general satisfaction" score. Their eight
attribute ratings are noisy readings of it plus effects specific to the
attribute (华北's delivery partner is slow, the mini-program gets better
after its April release, ...). Likelihood to recommend (NPS), satisfaction
(CSAT) and ease (CES) are then weighted combinations of the attributes, so
key-driver analysis recovers the intended drivers: product quality, delivery
speed and staff service matter most; price, for all the complaints about it,
moves recommendation least.

The patterns a report should find:

* 华北 trails the other regions: its delivery partner misses promised slots,
  so 配送速度 is far lower there, its NPS is below its own (lower) target and
  its members' comments are about late and damaged deliveries.
* The mini-program (小程序) was rebuilt in April 2026: its App易用性 ratings
  and NPS climb from Q2 to Q4, while the standalone App stays flat with
  complaints about crashes. The mini-program's share of orders grows.
* Store checkouts are the hardest part of a store visit, worst at weekends.
  成都春熙路店 had the longest queues until self-checkout tills opened in
  July and has improved since; 北京海淀店 lost experienced staff in the
  autumn and slipped in Q4.
* 金卡 (gold) members are the most satisfied, 普通会员 (standard) the least
  and the most sensitive about price. 贵阳观山湖店 has a small base.
* Delivery slips at the 618 (June) and 双十一 (November) promotion peaks.

Two patterns for the voice-of-the-customer and customer-value sections
(issue 16), each drawn from its own seeded generator after everything else,
so the scores and every other column are exactly as before:

* An emerging complaint in 2026 Q4 (the quarterly review's quarter): the
  self-checkout machines (自助结算机) installed in every store in October
  often fail to scan ("自助结算机……扫不出来", in seven phrasings). Store
  customers append it to about 8 % of their Q4 comments (detractors and
  passives far more often, more at the checkout stage) or write it alone:
  about 5 % of Q4's comments, against one comment in each earlier quarter.
  None of its words is in the code frame (自助结算机, not 收银), so the
  report should list 自助结算机 among the suggested themes and flag it as
  emerging in Q4 against Q3.
* The member purchase log: every respondent but 2.5 % (members who joined
  after the export; the report counts them apart) plus twice as many
  members who did not answer, about 86,000 purchases of about 17,800
  members. Spend is long-tailed (the top 20 % bring about 70 %); promoters
  buy about twice as often as detractors and lapse far less (已流失: about
  3 % of promoters, 7 % of passives, 18 % of detractors); 金卡 members spend
  most; and satisfied passives (CSAT 4-5, NPS 7-8) spend more than most, so
  a third of the top value tier is satisfied but not a promoter.

The competitor survey puts 华悦零售 second of four on NPS: 乐家商城 (an online
mall) leads on NPS and ease, 华悦零售 on satisfaction, 优选超市 (a discount
supermarket) is mid-pack and 惠邻便利店 (a convenience chain) trails.

Real exports are messy, so the data contain "don't know" codes (99), blanks,
invalid entries (11, 十 and 满意 typed where a number belongs), two double
submissions, and comments in which members typed phone numbers, e-mail
addresses, a card number or named a member of staff. E-mail addresses use
example.com; the phone numbers are placeholders padded with zeros (China has
no reserved range for fiction); the card number is a made-up test number.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

RESPONSES = Path("data/responses.csv")
COMPETITOR_SURVEY = Path("data/competitor_survey.csv")
COMPETITOR_TABLE = Path("data/competitor_table.csv")
LOGO = Path("brand/logo.svg")

#: The survey file's encoding, as Chinese survey platforms export it.
ENCODING = "gb18030"

SEED = 6606
N_UNIQUE = 6000          # members answering, before double submissions
START, END = "2026-01-01", "2026-12-31"
N_DUPLICATES = 2
INVALID_VALUES = (        # (column, what was typed)
    ("Q1推荐意愿", "11"),
    ("Q1推荐意愿", "十"),
    ("Q1推荐意愿", "11"),
    ("Q2总体满意度", "6"),
    ("Q2总体满意度", "满意"),
    ("Q3办事省力", "8"),
)

CRIMSON = "#A4161A"
GOLD = "#D4A017"


# ---------------------------------------------------------------------------
# Survey structure
# ---------------------------------------------------------------------------

# Column headers as the survey platform exports them.
ID, TIME, REGION, STORE, CHANNEL, STAGE, TOUCH, TIER = (
    "答卷编号", "提交时间", "区域", "门店", "渠道", "旅程阶段", "触点", "会员等级")
NPS, CSAT, CES = "Q1推荐意愿", "Q2总体满意度", "Q3办事省力"
COMMENT, WEIGHT = "Q5意见建议", "权重"

# Attribute key -> column header. The report labels are set in cxreport.yaml.
ATTRIBUTES = {
    "range": "Q4_1商品丰富度",
    "quality": "Q4_2商品品质",
    "price": "Q4_3价格实惠",
    "staff": "Q4_4店员服务",
    "queue": "Q4_5排队结账",
    "delivery": "Q4_6配送速度",
    "app": "Q4_7App易用性",
    "returns": "Q4_8退换货便捷",
}

COLUMNS = [ID, TIME, REGION, STORE, CHANNEL, STAGE, TOUCH, TIER, NPS, CSAT, CES,
           *ATTRIBUTES.values(), COMMENT, WEIGHT]

# Four stores per region, named by city and district.
STORES = {
    "华东": ["上海徐汇店", "上海浦东店", "杭州西湖店", "南京新街口店"],
    "华南": ["广州天河店", "深圳南山店", "厦门思明店", "东莞南城店"],
    "华北": ["北京朝阳店", "北京海淀店", "天津和平店", "石家庄长安店"],
    "西南": ["成都春熙路店", "重庆解放碑店", "昆明五华店", "贵阳观山湖店"],
}
REGION_OF = {s: r for r, ss in STORES.items() for s in ss}
ALL_STORES = [s for ss in STORES.values() for s in ss]
# Relative response volume of each store (1 = a typical store).
STORE_SIZE = {"贵阳观山湖店": 0.30, "昆明五华店": 0.65, "石家庄长安店": 0.75,
              "上海徐汇店": 1.25, "广州天河店": 1.20, "北京朝阳店": 1.15}

CHANNELS = ["门店", "App", "小程序"]
ONLINE = ("App", "小程序")
TIERS = ["普通会员", "银卡", "金卡"]

# Tier mix of the responding members by region (华东 has the most gold members).
TIER_MIX = {"华东": [0.48, 0.32, 0.20], "华南": [0.52, 0.31, 0.17],
            "华北": [0.56, 0.29, 0.15], "西南": [0.60, 0.28, 0.12]}
# Membership (region x tier) the weights restore: gold members answer far
# more readily than standard ones, so they are weighted down.
POPULATION = {"华东": [0.200, 0.070, 0.030], "华南": [0.180, 0.060, 0.022],
              "华北": [0.190, 0.058, 0.020], "西南": [0.120, 0.038, 0.012]}

# Channel of the purchase the survey asked about, by tier (门店, App, 小程序).
CHANNEL_MIX = {"普通会员": [0.54, 0.16, 0.30], "银卡": [0.46, 0.24, 0.30],
               "金卡": [0.40, 0.34, 0.26]}

# Journey stage of the interaction, by channel; touchpoints by stage and
# channel ("online" = App or 小程序).
STAGES = ["选购", "结账支付", "收货", "售后"]
STAGE_MIX = {"门店": [0.42, 0.40, 0.04, 0.14], "App": [0.26, 0.20, 0.40, 0.14],
             "小程序": [0.26, 0.24, 0.38, 0.12]}
TOUCHPOINTS = {
    ("选购", "store"): {"商品陈列": 0.55, "导购咨询": 0.45},
    ("选购", "online"): {"商品搜索": 0.60, "促销活动": 0.40},
    ("结账支付", "store"): {"收银结账": 1.0},
    ("结账支付", "online"): {"在线支付": 1.0},
    ("收货", "store"): {"门店自提": 1.0},
    ("收货", "online"): {"送货到家": 0.70, "门店自提": 0.30},
    ("售后", "store"): {"退换货": 0.60, "客服咨询": 0.40},
    ("售后", "online"): {"退换货": 0.50, "客服咨询": 0.50},
}

# Attribute model on the 1-5 scale: mean + loading * latent + effects + noise.
ATTR_MEAN = {"range": 3.95, "quality": 4.00, "price": 3.45, "staff": 4.00,
             "queue": 3.50, "delivery": 3.85, "app": 3.80, "returns": 3.65}
ATTR_LOADING = {"range": 0.45, "quality": 0.65, "price": 0.35, "staff": 0.60,
                "queue": 0.50, "delivery": 0.55, "app": 0.50, "returns": 0.60}
ATTR_NOISE = 0.62

# How much each attribute moves the headline questions. Quality, delivery and
# staff drive recommendation; price barely moves it.
NPS_WEIGHT = {"range": 0.22, "quality": 0.80, "price": 0.10, "staff": 0.60,
              "queue": 0.35, "delivery": 0.65, "app": 0.30, "returns": 0.40}
CSAT_WEIGHT = {"range": 0.10, "quality": 0.30, "price": 0.08, "staff": 0.22,
               "queue": 0.15, "delivery": 0.22, "app": 0.10, "returns": 0.15}
CES_WEIGHT = {"range": 0.10, "quality": 0.00, "price": 0.00, "staff": 0.15,
              "queue": 0.45, "delivery": 0.30, "app": 0.35, "returns": 0.35}

# Share answering "did not use" (coded 0), by channel: members rate the whole
# chain, so store shoppers rate delivery when they have used it, and so on.
NOT_APPLICABLE = {
    "range": {"门店": 0.02, "App": 0.02, "小程序": 0.02},
    "quality": {"门店": 0.01, "App": 0.02, "小程序": 0.02},
    "price": {"门店": 0.02, "App": 0.02, "小程序": 0.02},
    "staff": {"门店": 0.01, "App": 0.35, "小程序": 0.35},
    "queue": {"门店": 0.02, "App": 0.42, "小程序": 0.40},
    "delivery": {"门店": 0.45, "App": 0.04, "小程序": 0.05},
    "app": {"门店": 0.40, "App": 0.00, "小程序": 0.00},
    "returns": {"门店": 0.20, "App": 0.18, "小程序": 0.20},
}

RATING_COLUMNS = [NPS, CSAT, CES, *ATTRIBUTES.values()]
BLANK_RATE = 0.02        # item non-response on each rating
DONT_KNOW_RATE = 0.01    # 99 = "don't know" on CSAT and CES


# ---------------------------------------------------------------------------
# Who answered, when, about what
# ---------------------------------------------------------------------------


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights``
    (largest remainder, so the counts add up exactly)."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[:total - counts.sum()]] += 1
    return counts


def day_weights() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Fieldwork days and their relative volumes: busier weekends, the run-up
    to the Spring Festival (17 Feb 2026), the 618 and 双十一 promotions; a
    quiet Spring Festival week; a little growth through the year."""
    days = pd.date_range(START, END, freq="D")
    w = np.where(days.day_of_week >= 5, 1.25, 1.0) * (1 + 0.06 * days.quarter)
    for first, last, factor in (("2026-02-05", "2026-02-16", 1.4),
                                ("2026-02-17", "2026-02-23", 0.55),
                                ("2026-06-01", "2026-06-18", 1.3),
                                ("2026-11-01", "2026-11-11", 1.5)):
        w = np.where((days >= first) & (days <= last), w * factor, w)
    return days, w


def choose(rng: np.random.Generator, options: list[str], probs: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: one option per row of ``probs``."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    idx = (rng.random(len(probs))[:, None] > cum).sum(axis=1)
    return np.asarray(options, dtype=object)[np.minimum(idx, len(options) - 1)]


def build_frame(rng: np.random.Generator) -> pd.DataFrame:
    n = N_UNIQUE
    size = np.array([STORE_SIZE.get(s, 1.0) for s in ALL_STORES])
    counts = allocate(n, size * rng.uniform(0.9, 1.1, len(ALL_STORES)))
    store = np.repeat(ALL_STORES, counts)
    rng.shuffle(store)
    days, w = day_weights()
    date = rng.choice(days, size=n, p=w / w.sum())
    seconds = rng.integers(8 * 3600, 22 * 3600 + 1800, size=n)   # 08:00-22:30
    df = pd.DataFrame({"store": store, "stamp": pd.to_datetime(date) + pd.to_timedelta(seconds, unit="s")})
    df = df.sort_values("stamp", kind="stable").reset_index(drop=True)
    df["date"] = df["stamp"].dt.normalize()
    df["region"] = df["store"].map(REGION_OF)
    # Position in the year: 0 on 1 January, 1 on 31 December.
    df["t"] = (df["date"] - pd.Timestamp(START)).dt.days / 364

    df["tier"] = choose(rng, TIERS, np.array([TIER_MIX[r] for r in df["region"]]))
    ch_p = np.array([CHANNEL_MIX[t] for t in df["tier"]])
    ch_p[:, 2] *= 1.0 + 0.45 * df["t"].to_numpy()     # the mini-program grows
    df["channel"] = choose(rng, CHANNELS, ch_p)
    df["stage"] = choose(rng, STAGES, np.array([STAGE_MIX[c] for c in df["channel"]]))
    touch = []
    for stage, channel in zip(df["stage"], df["channel"]):
        options = TOUCHPOINTS[(stage, "online" if channel in ONLINE else "store")]
        touch.append(str(rng.choice(list(options), p=list(options.values()))))
    df["touchpoint"] = touch
    return df


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


def ramp(df: pd.DataFrame, dates: tuple[str, str, str, str]) -> np.ndarray:
    """0 before the first date, rising to 1 by the second, 1 until the
    third, back to 0 by the fourth."""
    day = (df["date"] - pd.Timestamp(START)).dt.days.to_numpy()
    knots = [(pd.Timestamp(d) - pd.Timestamp(START)).days for d in dates]
    return np.interp(day, knots, [0.0, 1.0, 1.0, 0.0])


def mini_program(df: pd.DataFrame) -> np.ndarray:
    """The mini-program's lag behind the norm: clunky in Q1, rebuilt in
    April, better every month to the autumn."""
    day = (df["date"] - pd.Timestamp(START)).dt.days.to_numpy()
    start = (pd.Timestamp("2026-04-01") - pd.Timestamp(START)).days
    end = (pd.Timestamp("2026-10-15") - pd.Timestamp(START)).days
    return -0.55 + 0.95 * np.clip((day - start) / (end - start), 0, 1)


# A store's own character (general satisfaction, before any story); the
# rest are 0.
STORE_FX = {"东莞南城店": 0.10, "广州天河店": 0.06, "上海徐汇店": 0.05,
            "重庆解放碑店": 0.04, "上海浦东店": -0.08, "昆明五华店": -0.06,
            "天津和平店": -0.04, "石家庄长安店": -0.07}

# Store stories: (trouble builds, full, easing, gone) and the shifts at full
# strength.
STORE_STORIES = {
    # Long checkout queues until self-checkout tills opened in July.
    "成都春熙路店": (("2025-12-01", "2025-12-31", "2026-06-30", "2026-08-15"),
                 {"latent": -0.15, "queue": -0.90}),
    # Two experienced supervisors left in September; short-staffed since.
    "北京海淀店": (("2026-09-01", "2026-10-01", "2027-03-31", "2027-04-30"),
               {"latent": -0.30, "staff": -0.70, "queue": -0.30, "returns": -0.30}),
}


def build_scores(rng: np.random.Generator, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latent satisfaction -> attributes -> NPS, CSAT, CES. Returns the
    integer answers and the continuous attribute scores behind them (the
    latter steer what a comment talks about)."""
    n = len(df)
    ch = df["channel"].to_numpy()
    store_ch, app, mini = ch == "门店", ch == "App", ch == "小程序"
    online = app | mini
    north = (df["region"] == "华北").to_numpy()
    weekend = (df["date"].dt.day_of_week >= 5).to_numpy()
    peak = ((df["date"].between("2026-06-10", "2026-06-20"))
            | (df["date"].between("2026-11-08", "2026-11-15"))).to_numpy()
    mp = mini_program(df)

    story = {k: np.zeros(n) for k in ["latent", *ATTRIBUTES]}
    for store, (dates, shifts) in STORE_STORIES.items():
        strength = np.where(df["store"].to_numpy() == store, ramp(df, dates), 0.0)
        for key, shift in shifts.items():
            story[key] += shift * strength

    tier_fx = {"普通会员": -0.10, "银卡": 0.02, "金卡": 0.25}
    stage_fx = {"选购": 0.08, "结账支付": 0.0, "收货": -0.05, "售后": -0.20}
    touch_fx = {"退换货": -0.20, "客服咨询": -0.05, "导购咨询": 0.10, "促销活动": 0.05}
    latent = (rng.normal(0, 1, n)
              + df["store"].map(STORE_FX).fillna(0).to_numpy()
              + df["tier"].map(tier_fx).to_numpy()
              + df["stage"].map(stage_fx).to_numpy()
              + df["touchpoint"].map(touch_fx).fillna(0).to_numpy()
              + np.where(mini, 0.25 * mp, 0.0)
              - 0.05 * north
              + story["latent"])

    specific = {k: story[k].copy() for k in ATTRIBUTES}
    specific["delivery"] += -0.60 * north - 0.35 * (peak & online)
    specific["queue"] += -0.30 * (weekend & store_ch) - 0.15 * (df["region"] == "西南").to_numpy()
    specific["app"] += np.where(mini, mp, 0.0) - 0.20 * app
    specific["price"] += df["tier"].map({"普通会员": -0.25, "银卡": 0.0, "金卡": 0.15}).to_numpy()
    specific["returns"] += np.where(df["touchpoint"] == "退换货", -0.30, 0.0)
    specific["range"] += 0.15 * (df["region"] == "华东").to_numpy()

    true = pd.DataFrame({k: ATTR_MEAN[k] + ATTR_LOADING[k] * latent + specific[k]
                         + rng.normal(0, ATTR_NOISE, n) for k in ATTRIBUTES})
    dev = true - pd.Series(ATTR_MEAN)

    def combine(weights: dict[str, float], scale: float = 1.0) -> np.ndarray:
        # Online shoppers weigh delivery and the app more, store shoppers the
        # staff and the queue.
        out = np.zeros(n)
        for k, w in weights.items():
            boost = 1.0
            if k in ("delivery", "app"):
                boost = np.where(online, 1.4, 0.5)
            elif k in ("staff", "queue"):
                boost = np.where(online, 0.5, 1.3)
            out += w * scale * boost * dev[k].to_numpy()
        return out

    nps_star = 8.85 + combine(NPS_WEIGHT) + 0.35 * latent + rng.normal(0, 1.25, n)
    csat_star = 4.42 + combine(CSAT_WEIGHT) + 0.15 * latent + rng.normal(0, 0.55, n)
    ces_star = (5.30 + combine(CES_WEIGHT) + rng.normal(0, 0.95, n)
                + df["channel"].map({"门店": 0.0, "App": 0.10, "小程序": 0.30}).to_numpy()
                - 0.55 * (df["stage"] == "售后").to_numpy())

    scores = pd.DataFrame({NPS: np.clip(np.rint(nps_star), 0, 10),
                           CSAT: np.clip(np.rint(csat_star), 1, 5),
                           CES: np.clip(np.rint(ces_star), 1, 7)})
    for key, column in ATTRIBUTES.items():
        rating = np.clip(np.rint(true[key].to_numpy()), 1, 5)
        na = df["channel"].map(NOT_APPLICABLE[key]).to_numpy()
        if key == "returns":   # those asking about a return have used it
            na = np.where(df["touchpoint"] == "退换货", 0.0, na)
        scores[column] = np.where(rng.random(n) < na, 0, rating)
    return scores.astype(int), true


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------

SLOTS = {
    "wait": ["二十分钟", "快半个小时", "四十多分钟", "二十五分钟", "将近一个小时",
             "十五分钟", "半个多小时", "三十五分钟"],
    "day": ["周末", "周六下午", "周日上午", "下班高峰", "节假日", "晚上七八点",
            "会员日", "中午"],
    "tills": ["两个", "三个", "一个"],
    "staff": ["收银员", "理货员", "导购", "店长", "生鲜区的阿姨", "值班经理",
              "服务台的工作人员", "店员"],
    "ostaff": ["客服", "在线客服", "配送小哥", "骑手", "拣货员"],
    "product": ["牛奶", "鸡蛋", "大米", "洗衣液", "进口牛排", "酸奶", "冻饺子",
                "婴儿纸尿裤", "橄榄油", "咖啡豆", "纸巾", "零食"],
    "fresh": ["草莓", "车厘子", "三文鱼", "鸡蛋", "蔬菜", "牛奶", "酸奶", "面包",
              "猪肉", "青菜", "芒果", "虾"],
    "late": ["一个多小时", "两个小时", "四十分钟", "大半天", "三个小时"],
    "promise": ["30分钟达", "一小时达", "半日达", "次日达", "定时达"],
    "bad_feature": ["支付页面", "优惠券", "购物车", "搜索功能", "会员码", "订单页面",
                    "登录", "地址管理"],
    "good_feature": ["扫码购", "会员码", "一键复购", "订单追踪", "领券", "在线客服",
                     "积分抵扣"],
    "coupon": ["满减券", "会员折扣", "积分兑换", "新人券", "周三会员日的折扣"],
    "rival": ["楼下的菜市场", "网上", "别的超市", "隔壁的超市", "社区团购"],
}

# Theme sentences: "neg" for unhappy members, "pos" for happy ones. Keys with
# "_online" are used for App and 小程序 orders, "_mini"/"_app" for one online
# channel, "_late" variants join in once the mini-program had been rebuilt.
THEMES = {
    "queue": {
        "neg": [
            "{day}去{store}，排队结账等了{wait}，只开了{tills}收银台。",
            "结账的队伍太长了，等了{wait}才轮到我。",
            "收银台开得太少，{day}根本排不动。",
            "自助收银机老是出故障，最后还得去人工收银台排队。",
            "每次去{store}都要排很久的队，希望多开几个收银台。",
            "排队等了{wait}，前面的人还在办会员卡。",
            "称重的地方也要排队，买点水果前后花了{wait}。",
            "{day}的{store}人挤人，结账排了{wait}。",
        ],
        "pos": [
            "结账很快，基本不用排队。",
            "自助收银很方便，几分钟就结完账了。",
            "{day}人那么多，收银台全开了，排队也不算久。",
            "{store}结账速度很快，收银员动作麻利。",
            "现在可以扫码购，不用排队结账了。",
        ],
        "neg_online": [
            "在小程序下单后到店自提还要排队，等了{wait}。",
            "自提点只有一个人，取个货等了{wait}。",
            "到店取货找不到人，在服务台等了{wait}。",
        ],
        "pos_online": [
            "到店自提不用排队，拿了就走。",
            "自提柜很方便，下班顺路就取了。",
        ],
    },
    "staff": {
        "neg": [
            "{staff}态度很差，问个东西爱答不理。",
            "找不到商品去问{staff}，只说不知道，让我自己找。",
            "{staff}一直在聊天，结账的时候头都不抬。",
            "问了三个{staff}都说不清楚促销规则。",
            "{staff}算错了价格，还不承认。",
            "店里人手明显不够，想找个{staff}都找不到。",
            "{staff}说话很冲，让人很不舒服。",
        ],
        "pos": [
            "{staff}很热情，主动帮我找到了{product}。",
            "{store}的{staff}特别耐心，给我介绍了很多优惠。",
            "{staff}服务很好，还帮我把东西装好了。",
            "店员态度好，有问必答。",
            "{staff}看我东西多，主动帮我送到停车场。",
            "{store}的服务一直很好，店员都很亲切。",
            "{staff}很细心，提醒我{product}今天有会员价。",
        ],
        "neg_online": [
            "{ostaff}回复很慢，问题也没解决。",
            "{ostaff}态度不好，话没说完就挂了电话。",
            "{ostaff}一直用模板回复，根本不看我的问题。",
            "联系{ostaff}要等很久，转了几次人工都没人接。",
        ],
        "pos_online": [
            "{ostaff}很专业，几分钟就帮我处理好了。",
            "{ostaff}很有礼貌，还提醒我冷冻食品尽快放冰箱。",
            "{ostaff}服务态度很好，点赞。",
            "{ostaff}很负责，东西送到还打电话确认。",
        ],
    },
    "quality": {
        "neg": [
            "买的{fresh}不新鲜，回家一看坏了好几个。",
            "{fresh}的品质越来越差了，价格却没降。",
            "买到了临期的{product}，货架上也没人检查。",
            "{fresh}有异味，只能扔掉。",
            "生鲜区的{fresh}看着就不新鲜。",
            "这次的{fresh}和图片差太多了。",
        ],
        "pos": [
            "{fresh}很新鲜，品质比菜市场还好。",
            "商品质量有保障，买得放心。",
            "这里的{fresh}一直很新鲜，全家都爱吃。",
            "进口商品都是正品，品质不错。",
            "{fresh}又新鲜又好吃，会继续回购。",
            "生鲜品质稳定，{fresh}每次都很好。",
        ],
    },
    "range": {
        "neg": [
            "想买的{product}经常缺货。",
            "商品种类比以前少了，很多牌子都买不到。",
            "进口商品的选择太少了。",
            "{store}的货架空了一大片，一直没补货。",
            "线上能买的东西比门店少很多。",
        ],
        "pos": [
            "商品种类很齐全，一站式就能买齐。",
            "品种很多，还有不少进口商品。",
            "经常上新品，逛起来很有意思。",
            "想买的东西基本都能买到。",
        ],
    },
    "price": {
        "neg": [
            "价格比{rival}贵了不少。",
            "{product}又涨价了，性价比越来越低。",
            "会员价和普通价差不多，办会员没什么意义。",
            "优惠券限制太多，满减门槛太高。",
            "标价和结账价格不一样，还得自己去服务台退差价。",
        ],
        "pos": [
            "价格实惠，经常有{coupon}。",
            "{coupon}很划算，一个月能省不少钱。",
            "性价比很高，有时候比网上还便宜。",
            "会员日的折扣力度很大。",
        ],
    },
    "delivery": {
        "neg": [
            "说好的{promise}，结果晚了{late}才送到。",
            "配送太慢了，下单{late}了还没到。",
            "骑手把东西放在门口就走了，{fresh}都被晒坏了。",
            "送来的鸡蛋碎了好几个，包装太随便。",
            "配送时间一改再改，打客服也说不清楚。",
            "{day}下单基本当天送不到。",
            "少送了一样东西，联系了两次才补上。",
        ],
        "pos": [
            "配送很快，下单不到半小时就送到了。",
            "配送小哥很准时，东西包装得也很好。",
            "{promise}真的做到了，很方便。",
            "冷链配送很到位，{fresh}送到时还是冰的。",
            "下雨天配送也很准时，辛苦骑手了。",
        ],
    },
    "app": {
        "neg_app": [
            "App经常闪退，付款付到一半就卡住了。",
            "App的{bad_feature}很难用，找了半天。",
            "更新之后App登录不了，只能去门店买。",
            "App太卡了，还不如小程序好用。",
            "App的{bad_feature}老是出错，{coupon}也用不了。",
        ],
        "neg_mini": [
            "小程序的{bad_feature}老是加载不出来。",
            "小程序下单总是提示系统繁忙。",
            "小程序里{bad_feature}用不了，{coupon}也领不到。",
            "在小程序找个商品要翻好几页，太麻烦了。",
        ],
        "neg_mini_late": [
            "小程序比以前好用了，但{bad_feature}还是偶尔出问题。",
        ],
        "pos_app": [
            "App很好用，下单很方便。",
            "App的{good_feature}很好用，省了很多时间。",
            "用App买菜很方便，每周都会下单。",
        ],
        "pos_mini": [
            "小程序用起来很顺手，{good_feature}特别方便。",
            "在小程序上几分钟就下好单了。",
            "小程序的{good_feature}很好用，省了很多时间。",
        ],
        "pos_mini_late": [
            "小程序更新后好用多了，{good_feature}很方便。",
            "新版小程序速度快了很多，再也不卡了。",
            "小程序改版后找东西方便多了。",
        ],
    },
    "returns": {
        "neg": [
            "退货流程太麻烦，跑了两趟门店才退成。",
            "申请退款一个星期了还没到账。",
            "{product}有问题想换货，客服一直推来推去。",
            "线上买的东西不能在门店退，很不方便。",
            "退换货一定要小票，丢了就不给退。",
        ],
        "pos": [
            "退货很顺利，当场就退款了。",
            "{product}有问题，客服直接给我退了款，不用寄回。",
            "线上买的可以在门店退换，很方便。",
            "售后很省心，退款第二天就到账了。",
        ],
    },
}

OPENERS = {
    "neg": ["", "", "", "", "说实话，", "太失望了。", "体验很差。", "非常不满意！",
            "不得不吐槽一下，", "唉，", "又是这样。"],
    "pos": ["", "", "", "", "很满意！", "非常好。", "总体不错。", "体验很棒！",
            "一直很喜欢华悦。", "没得说，"],
}
CLOSERS = {
    "neg": ["", "", "", "", "希望尽快改进。", "再这样就不来了。", "已经不是第一次了。",
            "真的很影响心情。", "麻烦管理层重视一下。", "考虑换别家了。"],
    "pos": ["", "", "", "", "会继续支持！", "已经推荐给朋友了。", "点赞！", "谢谢！",
            "希望保持下去。", "下次还来。"],
}
# Joining a passive's praise and complaint, by which half comes second.
LINK_TO_BAD = ["不过", "但是", "唯一不足的是，", "美中不足的是，", "可惜"]
LINK_TO_GOOD = ["不过", "好在", "但是", "还好", "值得表扬的是，"]

# Personal details members typed into the comment box.
PII_SENTENCES = [
    "我的手机是13800001234，请尽快联系我。",
    "电话139 0000 5678，麻烦回个电话。",
    "有问题请打我手机+86 137-0000-2468。",
    "邮箱wang.fang@example.com，请把退款凭证发给我。",
    "会员卡号6222000012345678901，积分一直没到账。",
    "联系方式：15900008888（李女士）。",
    "门店电话021-60001234一直打不通。",
    "手机：18600004321，希望有人回复。",
    "请发邮件到chen_lei@example.com说明处理结果。",
    "我的号码是 135 0000 9999 ，随时可以打。",
]
# Staff the members named (listed in comments.mask_names of cxreport.yaml).
NAMED_STAFF = ["张伟", "李娜", "王芳"]
NAMED_SENTENCES = [
    "特别感谢{store}的店员{name}，帮了我大忙。",
    "收银员{name}态度很差，希望店长管一管。",
    "{name}很耐心地帮我办好了退货。",
]


def fill(rng: np.random.Generator, template: str, row: pd.Series) -> str:
    picked = {key: str(rng.choice(values)) for key, values in SLOTS.items()
              if "{" + key + "}" in template}
    return template.format(store=row["store"], **picked)


def theme_weights(row: pd.Series, true: pd.Series, polarity: str) -> dict[str, float]:
    """How likely each theme is to come up: unhappy members talk about what
    went worst, happy ones about what went best, each about their channel."""
    sign = -1 if polarity == "neg" else 1
    w = {k: float(np.exp(1.3 * sign * (true[k] - 3.6))) for k in THEMES}
    online = row["channel"] in ONLINE
    w["app"] *= 3.0 if online else 0.1
    w["delivery"] *= 2.5 if online else 0.15
    w["queue"] *= 0.3 if online else 1.8
    w["staff"] *= 0.5 if online else 1.4
    w["returns"] *= 6.0 if row["touchpoint"] == "退换货" else 0.4
    w["price"] *= 1.6 if row["tier"] == "普通会员" else 0.8
    if polarity == "neg" and row["region"] == "华北" and online:
        w["delivery"] *= 4.0      # late deliveries are what 华北 complains about
    return w


def sentence(rng, row, true, polarity, exclude=()) -> tuple[str, str]:
    """One theme sentence of the given polarity; returns (theme, text)."""
    w = {k: v for k, v in theme_weights(row, true, polarity).items() if k not in exclude}
    themes = list(w)
    p = np.array(list(w.values()))
    theme = themes[rng.choice(len(themes), p=p / p.sum())]
    pools = THEMES[theme]
    online = row["channel"] in ONLINE
    if theme == "app":
        kind = "mini" if row["channel"] == "小程序" else "app"
        pool = list(pools[f"{polarity}_{kind}"])
        if kind == "mini" and row["date"] >= pd.Timestamp("2026-06-01"):
            pool += pools[f"{polarity}_mini_late"] * 2      # the rebuild shows
    elif online and f"{polarity}_online" in pools:
        pool = list(pools[f"{polarity}_online"])
    else:
        pool = list(pools[polarity])
    return theme, fill(rng, str(rng.choice(pool)), row)


def compose_comment(rng: np.random.Generator, row: pd.Series, true: pd.Series) -> str:
    """Praise from promoters, mixed feelings from passives, complaints from
    detractors."""
    nps = row[NPS]
    tone = "pos" if nps >= 9 else "mixed" if nps >= 7 else "neg"
    if tone == "mixed":
        t1, good = sentence(rng, row, true, "pos")
        _, bad = sentence(rng, row, true, "neg", exclude=(t1,))
        if rng.random() < 0.5:
            text = good + str(rng.choice(LINK_TO_BAD)) + bad
        else:
            text = bad + str(rng.choice(LINK_TO_GOOD)) + good
    else:
        t1, s1 = sentence(rng, row, true, tone)
        parts = [s1]
        if rng.random() < 0.35:
            parts.append(sentence(rng, row, true, tone, exclude=(t1,))[1])
        text = str(rng.choice(OPENERS[tone])) + "".join(parts) + str(rng.choice(CLOSERS[tone]))

    # The untidiness of real free text.
    r = rng.random()
    if r < 0.08:
        text = text.rstrip("。")
    elif r < 0.12:
        text = text.replace("，", ",")
    elif r < 0.15:
        text = text.rstrip("。！") + "！！"
    return text


def build_comments(rng: np.random.Generator, df: pd.DataFrame, true: pd.DataFrame) -> pd.Series:
    """About 40 % of members leave a comment; unhappy ones more often."""
    nps = df[NPS].to_numpy()
    writes = rng.random(len(df)) < np.where(nps <= 6, 0.58, np.where(nps <= 8, 0.32, 0.36))
    comments = pd.Series("", index=df.index, dtype=object)
    for i in np.flatnonzero(writes):
        comments[i] = compose_comment(rng, df.loc[i], true.loc[i])

    # Personal details, mostly from members who want someone to call back.
    candidates = np.flatnonzero(writes & (nps <= 8))
    chosen = rng.choice(candidates, size=len(PII_SENTENCES) + len(NAMED_SENTENCES), replace=False)
    for j, i in enumerate(np.sort(chosen[:len(PII_SENTENCES)])):
        comments[i] = comments[i].rstrip("。！,") + "。" + PII_SENTENCES[j]
    for j, i in enumerate(np.sort(chosen[len(PII_SENTENCES):])):
        extra = NAMED_SENTENCES[j].format(store=df.loc[i, "store"], name=NAMED_STAFF[j])
        comments[i] = comments[i].rstrip("。！,") + "。" + extra
    return comments


# ---------------------------------------------------------------------------
# Weights, formatting and mess
# ---------------------------------------------------------------------------


def build_weights(rng: np.random.Generator, df: pd.DataFrame) -> np.ndarray:
    """Post-stratification to membership shares (region x tier), a little
    extra variation, trimmed to 0.4-2.5 and scaled to a mean of 1."""
    cell = df["region"] + "|" + df["tier"]
    sample_share = cell.map(cell.value_counts(normalize=True)).to_numpy()
    pop = {f"{r}|{t}": s for r, shares in POPULATION.items() for t, s in zip(TIERS, shares)}
    total = sum(pop.values())
    weight = cell.map(pop).to_numpy() / total / sample_share * rng.lognormal(0, 0.10, len(df))
    weight = np.clip(weight / weight.mean(), 0.4, 2.5)
    return weight / weight.mean()


def stamp_text(stamp: pd.Timestamp) -> str:
    """The platform's time stamp: 2026/1/3 10:05:22 (no leading zeros)."""
    return f"{stamp.year}/{stamp.month}/{stamp.day} {stamp:%H:%M:%S}"


def to_text(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        ID: [f"HY26-{i:05d}" for i in range(1, len(df) + 1)],
        TIME: [stamp_text(s) for s in df["stamp"]],
        REGION: df["region"], STORE: df["store"], CHANNEL: df["channel"],
        STAGE: df["stage"], TOUCH: df["touchpoint"], TIER: df["tier"],
    })
    for column in RATING_COLUMNS:
        out[column] = df[column].astype(int).astype(str)
    out[COMMENT] = df["comment"]
    out[WEIGHT] = [f"{w:.4f}" for w in df["weight"]]
    return out[COLUMNS]


def add_mess(rng: np.random.Generator, text: pd.DataFrame) -> pd.DataFrame:
    """Don't-know codes, blanks, invalid entries and double submissions."""
    n = len(text)
    for column in (CSAT, CES):
        text.loc[rng.random(n) < DONT_KNOW_RATE, column] = "99"
    for column in RATING_COLUMNS:
        text.loc[rng.random(n) < BLANK_RATE, column] = ""
    rows = rng.choice(n, size=len(INVALID_VALUES), replace=False)
    for i, (column, value) in zip(rows, INVALID_VALUES):
        text.loc[i, column] = value
    # The same answers submitted twice a few rows apart.
    originals = rng.choice(np.setdiff1d(np.arange(n - 30), rows), size=N_DUPLICATES, replace=False)
    position = np.concatenate([np.arange(n), originals + rng.integers(1, 30, N_DUPLICATES) + 0.5])
    order = np.argsort(position, kind="stable")
    return pd.concat([text, text.iloc[originals]], ignore_index=True).iloc[order].reset_index(drop=True)


def generate_responses() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    df = build_frame(rng)
    scores, true = build_scores(rng, df)
    df = pd.concat([df, scores], axis=1)
    df["comment"] = build_comments(rng, df, true)
    df["weight"] = build_weights(rng, df)
    df["comment"] = plant_complaint(df)   # its own generator: every other column stays as it was
    return add_mess(rng, to_text(df))


# ---------------------------------------------------------------------------
# The emerging complaint: the new self-checkout machines (2026 Q4)
# ---------------------------------------------------------------------------

EMERGING_SEED = 20261207 + 17
EMERGING_START = "2026-10-01"  # new self-checkout machines (自助结算机) in every store from October
EMERGING_HOSTS = 0.08          # Q4 store comments the complaint is appended to
EMERGING_ALONE = 0.07          # Q4 store non-commenters who now write only the complaint
EMERGING_BEFORE = 0.004        # earlier store comments that mention it (the pilot store)
COMPLAINT = [  # variations on one core phrase: 自助结算机 … 扫不出来
    "新换的自助结算机经常扫不出来，只能喊工作人员过来。",
    "自助结算机老是扫不出来条码，一件商品扫了好几次。",
    "门店新上的自助结算机扫不出来，还不如以前的。",
    "自助结算机扫不出来会员码，积分也没记上。",
    "最近自助结算机总是扫不出来，太耽误时间了。",
    "十月换的自助结算机扫不出来称重的蔬菜，很麻烦。",
    "自助结算机扫不出来的时候旁边也没人管。",
]


def plant_complaint(df: pd.DataFrame) -> pd.Series:
    """In October 2026 every store got new self-checkout machines (自助结算机)
    that often fail to scan. Append the complaint to about 8 % of the Q4
    store comments (detractors and passives far more often, and more at the
    checkout stage), have about 7 % of Q4's store non-commenters (NPS 0-8)
    write it alone, and mention it in 0.4 % of the earlier store comments.
    No keyword of the code frame is in it (自助结算机, not 收银)."""
    rng = np.random.default_rng(EMERGING_SEED)
    comments = df["comment"].copy()
    nps = df[NPS].to_numpy()
    store = (df["channel"] == "门店").to_numpy()
    window = (df["stamp"] >= EMERGING_START).to_numpy()
    wrote = (comments != "").to_numpy()
    lean = np.where(nps <= 6, 2.2, np.where(nps <= 8, 1.3, 0.3)) * np.where(df["stage"] == "结账支付", 1.8, 1.0)
    lean = lean / lean[window & wrote & store].mean()
    draw = rng.random(len(df))
    hosts = store & wrote & (draw < np.where(window, EMERGING_HOSTS, EMERGING_BEFORE) * lean)
    alone = store & window & ~wrote & (nps <= 8) & (draw < EMERGING_ALONE)
    pick = rng.integers(0, len(COMPLAINT), len(df))
    for i in np.flatnonzero(hosts):
        comments[i] = comments[i].rstrip("。！，, ") + "。" + COMPLAINT[pick[i]]
    for i in np.flatnonzero(alone):
        comments[i] = COMPLAINT[pick[i]]
    return comments


# ---------------------------------------------------------------------------
# Competitors
# ---------------------------------------------------------------------------

COMPETITOR_SEED = 20261218
N_MARKET = 1200
OWN_BRAND = "华悦零售"
OWN_SHARE = 0.55
# Rivals and how widely they are known: 优选超市 a discount supermarket chain,
# 乐家商城 an online mall with fast delivery, 惠邻便利店 a convenience chain.
RIVALS = {"优选超市": 0.40, "乐家商城": 0.36, "惠邻便利店": 0.24}
BRAND_MEAN = {  # underlying (NPS, CSAT, CES)
    "乐家商城": (8.45, 4.02, 5.95),
    OWN_BRAND: (8.28, 4.18, 5.20),
    "优选超市": (7.90, 3.95, 4.95),
    "惠邻便利店": (7.55, 3.85, 5.35),
}


def generate_competitor_survey() -> pd.DataFrame:
    """A market survey, one row per respondent and brand rated; each person
    rates the two or three retailers they shop at."""
    rng = np.random.default_rng(COMPETITOR_SEED)
    n = N_MARKET
    k = np.where(rng.random(n) < 0.55, 2, 3)
    own = rng.permutation(n) < round(OWN_SHARE * n)
    rivals, aware = list(RIVALS), np.array(list(RIVALS.values()))
    rows = []
    for i in range(n):
        picked = rng.choice(len(rivals), size=k[i] - own[i], replace=False, p=aware / aware.sum())
        rows += [(i, b) for b in ([OWN_BRAND] if own[i] else []) + [rivals[j] for j in picked]]
    df = pd.DataFrame(rows, columns=["person", "brand"])
    m = len(df)
    latent = 0.55 * rng.normal(0, 1, n)[df["person"]] + 0.85 * rng.normal(0, 1, m)
    mean = np.array([BRAND_MEAN[b] for b in df["brand"]])
    nps = np.clip(np.rint(mean[:, 0] + 1.9 * latent + rng.normal(0, 0.9, m)), 0, 10)
    csat = np.clip(np.rint(mean[:, 1] + 0.65 * latent + rng.normal(0, 0.45, m)), 1, 5)
    ces = np.clip(np.rint(mean[:, 2] + 0.85 * latent + rng.normal(0, 0.85, m)), 1, 7)
    w = np.clip(rng.lognormal(0, 0.25, n), 0.4, 2.5)
    w = w / w.mean()
    text = pd.DataFrame({
        "答卷编号": [f"CS-{i + 1:05d}" for i in df["person"]],
        "品牌": df["brand"],
        "推荐意愿": nps.astype(int).astype(str),
        "满意度": csat.astype(int).astype(str),
        "省力程度": ces.astype(int).astype(str),
        "权重": [f"{x:.4f}" for x in w[df["person"]]],
    })
    familiar = np.where(df["brand"] == OWN_BRAND, 0.6, 1.25)
    for column, dk in (("推荐意愿", 0.01), ("满意度", 0.025), ("省力程度", 0.03)):
        text.loc[rng.random(m) < dk * familiar, column] = "99"
        text.loc[rng.random(m) < 0.012, column] = ""
    return text


# Fictional syndicated monitor and desk research (ACSI-style index, no base).
MONITOR = "中国零售顾客体验监测 2026（虚构的辛迪加研究）"
DESK = "公开资料整理（顾客满意度指数，虚构）"
COMPETITOR_FIGURES = {  # brand -> (NPS, n), (CSAT top-2 %, n), index
    OWN_BRAND: ((24, 806), (79.6, 792), 77),
    "优选超市": ((15, 944), (74.2, 930), 74),
    "乐家商城": ((31, 1120), (77.5, 1104), 78),
    "惠邻便利店": ((6, 652), (70.8, 641), 72),
}


def competitor_table() -> pd.DataFrame:
    rows = []
    for brand, (nps, csat, index) in COMPETITOR_FIGURES.items():
        rows.append((brand, "nps", f"{nps[0]}", f"{nps[1]}", MONITOR))
        rows.append((brand, "csat_top2", f"{csat[0]:.1f}", f"{csat[1]}", MONITOR))
        rows.append((brand, "acsi", f"{index}", "", DESK))
    table = pd.DataFrame(rows, columns=["brand", "metric", "value", "n", "source"])
    table["year"] = "2026"
    return table


# ---------------------------------------------------------------------------
# Logo
# ---------------------------------------------------------------------------

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
CJK_FACE = "Noto Sans CJK SC"


def _glyph_paths(text: str, x: float, baseline: float, size: float) -> tuple[str, float]:
    """SVG path data of ``text`` in Noto Sans CJK SC Bold, and its advance
    width, so the logo looks the same with or without the font installed."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTCollection

    if not Path(CJK_FONT).is_file():
        raise SystemExit(f"the logo needs {CJK_FONT} (Debian package fonts-noto-cjk)")
    fonts = TTCollection(CJK_FONT).fonts
    font = next(f for f in fonts if f["name"].getDebugName(1) == CJK_FACE)
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    scale = size / font["head"].unitsPerEm
    paths = []
    for char in text:
        name = cmap[ord(char)]
        pen = SVGPathPen(glyphs, ntos=lambda v: f"{v:.1f}".rstrip("0").rstrip("."))
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, x, baseline)))
        paths.append(pen.getCommands())
        x += glyphs[name].width * scale
    return " ".join(paths), x


def logo_svg() -> str:
    """A crimson seal with a gold rising sun over three hills (华悦, "splendid
    joy"), then the wordmark and the Latin name."""
    word, right = _glyph_paths("华悦零售", 250, 132, 96)
    latin, right2 = _glyph_paths("HUAYUE RETAIL", 254, 186, 34)
    width = int(max(right, right2)) + 24
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 220" width="{width}" height="220" role="img">
<title>华悦零售 Huayue Retail</title>
<rect x="20" y="20" width="180" height="180" rx="28" fill="{CRIMSON}"/>
<circle cx="110" cy="96" r="38" fill="{GOLD}"/>
<path d="M34 168 Q72 112 110 150 Q148 112 186 168 Z" fill="#FFFFFF"/>
<path d="M34 184 Q72 142 110 170 Q148 142 186 184 Z" fill="{GOLD}" opacity="0.85"/>
<path d="{word}" fill="{CRIMSON}"/>
<path d="{latin}" fill="{GOLD}"/>
</svg>
"""


# ---------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding=encoding)


# ---------------------------------------------------------------------------
# Case log (客服工单): contacts and complaints with their response times
# ---------------------------------------------------------------------------

CASES_SEED = 20261207  # its own generator: every other file stays byte for byte
CASES = Path("data/cases.csv")
CASE_EXPORT = "2027-01-03T09:00:00"  # Beijing time, when the service desk exported the log
# channel -> (share, median first response in seconds, log-sd, weekend factor)
CASE_CHANNELS = {
    "电话": (0.36, 18.0, 0.80, 1.2),
    "在线客服": (0.28, 26.0, 0.75, 1.3),
    "微信": (0.24, 9 * 60, 0.85, 2.6),
    "门店": (0.12, 0.6 * 86400, 0.70, 1.0),
}
CASE_CATEGORIES = {"咨询": 0.38, "投诉": 0.22, "退换货": 0.18, "配送问题": 0.14, "会员积分": 0.08}
CASE_CLOSING = {"电话": 0.4 * 86400, "在线客服": 0.3 * 86400, "微信": 0.8 * 86400, "门店": 1.8 * 86400}


def _beijing(stamps: pd.Series) -> list[str]:
    """ISO timestamps with the +08:00 offset, as the service desk exports them."""
    return [t.strftime("%Y-%m-%dT%H:%M:%S+08:00") if pd.notna(t) else "" for t in stamps]


def generate_cases(responses: pd.DataFrame) -> pd.DataFrame:
    """About 6,000 service-desk cases in 2026 (Beijing time). WeChat (微信) is
    answered within minutes on weekdays and misses its half hour at weekends;
    the phone line is swamped around Double 11 (November); 华北's stores answer
    slowest. About half of the survey's detractors get a call-back within a few
    days of their response, rising after the closed-loop programme began in Q3."""
    rng = np.random.default_rng(CASES_SEED)
    days = pd.date_range("2026-01-01", "2026-12-31", freq="D")
    per_day = rng.poisson(np.where(days.day_of_week >= 5, 19.0, 14.0))
    day = np.repeat(days.to_numpy(), per_day)
    n = len(day)
    seconds = np.clip(rng.normal(14 * 3600, 3.5 * 3600, n), 8 * 3600, 22 * 3600)
    received = pd.Series(day + (seconds * 1e9).astype("timedelta64[ns]"))
    names = list(CASE_CHANNELS)
    share = np.array([CASE_CHANNELS[c][0] for c in names])
    channel = np.array(names)[rng.choice(len(names), n, p=share / share.sum())]
    region = np.array(list(STORES))[rng.integers(0, len(STORES), n)]
    weekend = received.dt.day_of_week.to_numpy() >= 5
    median = np.array([CASE_CHANNELS[c][1] for c in channel])
    sd = np.array([CASE_CHANNELS[c][2] for c in channel])
    slow = np.array([CASE_CHANNELS[c][3] for c in channel])
    wait = median * np.exp(rng.normal(0, sd, n)) * np.where(weekend, slow, 1.0)
    double11 = ((received >= "2026-11-01") & (received < "2026-11-20")).to_numpy()
    wait = np.where((channel == "电话") & double11, wait * 2.2, wait)
    wait = np.where((channel == "门店") & (region == "华北"), wait * 1.8, wait)
    first = received + pd.to_timedelta(wait, unit="s")
    closing = np.array([CASE_CLOSING[c] for c in channel]) * np.exp(rng.normal(0, 0.9, n))
    closed = first + pd.to_timedelta(closing, unit="s")
    frame = pd.DataFrame({"channel": channel, "region": region, "received": received, "first": first,
                          "closed": closed, "member": ""})
    # call-backs to detractors (NPS 0-6), and contacts from a few other members
    nps = pd.to_numeric(responses[NPS], errors="coerce")
    answered = pd.to_datetime(responses[TIME], format="%Y/%m/%d %H:%M:%S")
    later = (answered >= "2026-07-01").to_numpy()
    p = np.where((nps <= 6).to_numpy(), np.where(later, 0.66, 0.40), 0.03)
    chosen = np.flatnonzero(rng.random(len(responses)) < p)
    chosen = chosen[~responses[ID].iloc[chosen].duplicated().to_numpy()]
    m = len(chosen)
    back = pd.Series(answered.iloc[chosen].to_numpy()
                     + (rng.uniform(0.2, 3.0, m) * 86400 * 1e9).astype("timedelta64[ns]"))
    by_wechat = rng.random(m) < 0.25          # a WeChat message instead of a call
    back_first = back + pd.to_timedelta(np.where(by_wechat, rng.lognormal(np.log(20 * 60), 0.9, m),
                                                 rng.uniform(0, 25, m)), unit="s")
    follow = pd.DataFrame({"channel": np.where(by_wechat, "微信", "电话"), "region": responses[REGION].iloc[chosen].to_numpy(),
                           "received": back, "first": back_first,
                           "closed": back_first + pd.to_timedelta(rng.lognormal(np.log(86400), 0.8, m), unit="s"),
                           "member": responses[ID].iloc[chosen].to_numpy()})
    follow = follow[follow["received"] < pd.Timestamp("2027-01-01")]
    frame = pd.concat([frame, follow], ignore_index=True).sort_values("received", kind="stable")
    frame = frame.reset_index(drop=True)
    n = len(frame)
    cats = list(CASE_CATEGORIES)
    category = np.array(cats)[rng.choice(len(cats), n, p=list(CASE_CATEGORIES.values()))]
    category[(frame["member"] != "").to_numpy()] = "投诉"
    export = pd.Timestamp(CASE_EXPORT)
    frame.loc[frame["first"] > export, "first"] = pd.NaT
    frame.loc[frame["closed"] > export, "closed"] = pd.NaT
    frame.loc[frame["first"].isna(), "closed"] = pd.NaT
    return pd.DataFrame({
        "工单号": [f"GD{k + 1:06d}" for k in range(n)],
        "渠道": frame["channel"],
        "问题类型": category,
        "区域": frame["region"],
        "受理时间": _beijing(frame["received"]),
        "首次响应时间": _beijing(frame["first"]),
        "结案时间": _beijing(frame["closed"]),
        "会员答卷编号": frame["member"],
    })


# ---------------------------------------------------------------------------
# Member purchases (会员交易记录): value (RFM) and churn
# ---------------------------------------------------------------------------

TRANSACTIONS_SEED = 20261207 + 6  # its own generator: every other file stays byte for byte
TRANSACTIONS = Path("data/transactions.csv")
TRANSACTIONS_ENCODING = "utf-8-sig"  # the membership system's export: UTF-8 with a BOM (Excel opens it)
MEMBER_BASE = 3.0        # members in the log per survey respondent
UNMATCHED = 0.025        # respondents missing from the log (joined in the last days of the export)
CHURN = {"promoter": 0.04, "passive": 0.08, "detractor": 0.18, "unknown": 0.09}
TIER_VALUE = {"普通会员": 0.0, "银卡": 0.45, "金卡": 1.0}
REFUND_RATE = 0.015      # purchases returned and refunded (a negative row a few days later)


def generate_transactions(responses: pd.DataFrame) -> pd.DataFrame:
    """The membership system's purchase log for 2026: every survey respondent
    but 2.5 %, plus twice as many members who did not answer, one row per
    purchase (date, amount in yuan, a refund negative) with the member's tier
    (会员等级, the survey's own tier for respondents) and the system's lapsed
    flag (已流失: a lapsed member's purchases stop at least 90 days before the
    year's end). Spend is
    long-tailed (the top 20 % of members bring about 70 % of it); promoters buy
    more often and lapse far less than detractors; 金卡 members spend most; and
    satisfied passives (CSAT 4-5, NPS 7-8) spend more than most, the valuable
    members who are content but would not recommend the chain."""
    rng = np.random.default_rng(TRANSACTIONS_SEED)
    first = responses.drop_duplicates(ID)
    nps = pd.to_numeric(first[NPS], errors="coerce").to_numpy()
    nps = np.where(nps <= 10, nps, np.nan)
    csat = pd.to_numeric(first[CSAT], errors="coerce").to_numpy()
    group = np.where(np.isnan(nps), "unknown", np.where(nps >= 9, "promoter",
                     np.where(nps >= 7, "passive", "detractor")))
    satisfied_passive = (group == "passive") & (csat >= 4) & (csat <= 5)
    keep = rng.random(len(first)) >= UNMATCHED
    m = int(round(len(first) * (MEMBER_BASE - 1)))
    members = pd.concat([
        pd.DataFrame({"id": first[ID].to_numpy(), "tier": first[TIER].to_numpy(), "group": group,
                      "lift": np.where(satisfied_passive, 1.0, 0.0)
                      + np.where(group == "promoter", 0.15, np.where(group == "detractor", -0.15, 0.0))})[keep],
        pd.DataFrame({"id": [f"HY26-{80001 + k:05d}" for k in range(m)],
                      "tier": np.array(TIERS)[rng.choice(3, m, p=[0.52, 0.30, 0.18])],
                      "group": "unknown", "lift": 0.0}),
    ], ignore_index=True)
    n = len(members)
    value = members["tier"].map(TIER_VALUE).to_numpy() + members["lift"].to_numpy() + rng.normal(0, 1, n)
    promoter = (members["group"] == "promoter").to_numpy()
    detractor = (members["group"] == "detractor").to_numpy()
    lapsed = rng.random(n) < members["group"].map(CHURN).to_numpy()
    # Lapsed members stop buying part-way through the year, at least 90 days before its end.
    stop = np.where(lapsed, rng.uniform(0.1, 0.75, n), 1.0) * 364
    rate = np.exp(1.15 + 0.45 * value + 0.25 * promoter - 0.25 * detractor + rng.normal(0, 0.45, n))
    count = np.maximum(rng.poisson(rate * stop / 364), 1)
    member = np.repeat(np.arange(n), count)
    day = np.floor(rng.random(len(member)) * (stop[member] + 1)).astype(int)
    basket = np.exp(4.1 + 0.55 * value[member] + rng.normal(0, 0.6, len(member)))
    refund = rng.random(len(member)) < REFUND_RATE
    member = np.concatenate([member, member[refund]])
    day = np.concatenate([day, np.minimum(day[refund] + rng.integers(1, 8, refund.sum()), 364)])
    amount = np.concatenate([basket, -basket[refund]])
    date = pd.Timestamp(START) + pd.to_timedelta(day, unit="D")
    out = pd.DataFrame({
        "会员编号": members["id"].to_numpy()[member],
        "交易日期": date.strftime("%Y-%m-%d"),
        "金额": [f"{a:.2f}" for a in amount],
        "会员等级": members["tier"].to_numpy()[member],
        "已流失": np.where(lapsed[member], "是", "否"),
        "_order": np.arange(len(member)),
    })
    return out.sort_values(["交易日期", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def write_all(root: Path = HERE) -> list[Path]:
    """Write every sample file under ``root``; return their paths."""
    root = Path(root)
    responses = generate_responses()
    write_csv(responses, root / RESPONSES, ENCODING)
    write_csv(generate_competitor_survey(), root / COMPETITOR_SURVEY)
    write_csv(competitor_table(), root / COMPETITOR_TABLE)
    (root / LOGO).parent.mkdir(parents=True, exist_ok=True)
    (root / LOGO).write_text(logo_svg(), encoding="utf-8")
    write_csv(generate_cases(responses), root / CASES)
    write_csv(generate_transactions(responses), root / TRANSACTIONS, TRANSACTIONS_ENCODING)
    return [root / p for p in (RESPONSES, COMPETITOR_SURVEY, COMPETITOR_TABLE, LOGO, CASES, TRANSACTIONS)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write data/ and brand/ into (default: beside this script)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
