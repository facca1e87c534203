#!/usr/bin/env python3
"""Generate the Harbour Bank mystery-shopping sample programme for cxreport.

Harbour Bank is a fictional retail bank in a coastal city. Its agency,
Northlight Research, mystery-shops every branch, phone line, e-mail team and
chat team three times a year (programme.yaml). This script builds the
programme's locations, the integrity answers and a realistic, entirely
synthetic set of shopper scoresheets, in the mix of formats an agency
really receives.

Outputs (paths are relative to this script, so it runs from any folder):

    locations.csv                        48 locations in 4 regions
    integrity.csv                        true Saturday opening hours (item C4)
    submissions/wave1|wave2|wave3/       the scoresheets of each wave:
        waveN_batch1.csv, waveN_batch2.csv   branch and e-mail visits, wide CSV
        waveN_phone_long.csv                 phone visits, long CSV
        waveN_chat.xlsx                      chat visits, wide XLSX
        V-WN-xxxx.json                       ~10 visits uploaded one per file
        V-W3-xxxx.zip                        3 of them with their evidence photos / PDF
    submissions/invalid/                 deliberately faulty files + README.md

Everything is seeded (numpy default_rng(20261124)), so re-running the
script reproduces every file byte for byte. The only dependencies are
numpy, pandas, openpyxl and Pillow (the evidence pictures).

How the data are built
----------------------
Each location has a latent service quality (region effect + its own effect;
North is weaker, a few locations are consistently excellent). Each visit
adds a wave effect (slow improvement over the year) and visit noise, and
every item is answered with a probability that depends on that visit
quality. Response times (A2 phone seconds, A3 e-mail hours, A4 chat
seconds) are log-normal with a median that differs by region.

The patterns a report should find:

* North scores lowest and misses the response-time standards most often.
* Fishergate branch fails (location score below the 80 % pass mark) in
  waves 1 and 2 and recovers in wave 3 -> consecutive-failure flag.
* Anchor Square, Seaview, Harbour Point and the East web chat team are
  consistently excellent.
* A handful of visits fail outright on the critical item N3 (identity not
  verified) and some are capped at 60 % by S2 = no (no key facts document).
* Ferry Terminal is a pop-up counter in the terminal concourse, so A5
  (premises clean and signed) is N/A there.

The questionnaire below mirrors programme.yaml (questionnaire version 2026.1).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl

HERE = Path(__file__).resolve().parent
SEED = 20261124
XLSX_DATE = datetime(2026, 11, 1)

WAVES = [
    ("W1", date(2026, 3, 2), date(2026, 4, 30)),
    ("W2", date(2026, 6, 1), date(2026, 7, 31)),
    ("W3", date(2026, 9, 1), date(2026, 10, 31)),
]
HOLIDAYS = {date(2026, 4, 3), date(2026, 4, 6)}  # Good Friday, Easter Monday
WAVE_EFFECT = {"W1": -0.12, "W2": -0.10, "W3": 0.08}
VISIT_SD = 0.3
LOCATION_SD = 0.3
PASS_MARK = 80.0

# ---------------------------------------------------------------- questionnaire
# id: (type, points, channels, options/threshold, flags)
ITEMS = [
    # id    type          pts channels    extra
    ("A1", "yes_no", 1, None, {"comment_on_fail": True}),
    ("A2", "numeric", 2, ["phone"], {"threshold": 20, "comment_on_fail": True}),
    ("A3", "numeric", 2, ["email"], {"threshold": 24}),
    ("A4", "numeric", 2, ["chat"], {"threshold": 60}),
    ("A5", "yes_no", 1, ["branch"], {"na": True}),
    ("A6", "yes_no", 1, None, {}),
    ("N1", "scale", 3, None, {"options": {"Thoroughly": 3, "Partly": 1, "Not at all": 0},
                              "pass": 3, "comment_on_fail": True}),
    ("N2", "multi_check", 4, None, {"options": {"a": 1, "b": 1, "c": 1, "d": 1}, "pass": 3}),
    ("N3", "yes_no", 1, None, {"critical": "fail", "comment_on_fail": True}),
    ("S1", "yes_no", 2, None, {"comment_on_fail": True}),
    ("S2", "yes_no", 1, None, {"na": True, "critical": "cap", "cap": 60, "comment_on_fail": True,
                               "evidence": True}),
    ("S3", "yes_no", 2, None, {}),
    ("S4", "yes_no", 1, None, {"bonus": True, "optional": True}),
    ("C1", "yes_no", 1, None, {}),
    ("C2", "yes_no", 1, None, {"na": True}),
    ("C3", "scale", 2, None, {"options": {"Very likely": 2, "Quite likely": 1, "Unlikely": 0}, "pass": 1}),
    ("C4", "text", 0, None, {"optional": True}),
]
ITEM = {i[0]: i for i in ITEMS}
ITEM_IDS = [i[0] for i in ITEMS]
VISIT_FIELDS = ["visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date", "start_time", "end_time"]
COMMENT_COLS = ["A1", "A2", "A3", "A4", "A5", "N1", "N3", "S1", "S2", "C2", "C3"]
EVIDENCE_COLS = ["S2"]
WIDE_COLUMNS = list(VISIT_FIELDS)
for _id in ITEM_IDS:
    WIDE_COLUMNS.append(_id)
    if _id in COMMENT_COLS:
        WIDE_COLUMNS.append(f"{_id}_comment")
    if _id in EVIDENCE_COLS:
        WIDE_COLUMNS.append(f"{_id}_evidence")
WIDE_COLUMNS.append("comments")
LONG_COLUMNS = VISIT_FIELDS + ["item_id", "answer", "comment", "evidence", "comments"]


def applies(item_id: str, channel: str) -> bool:
    chans = ITEM[item_id][3]
    return chans is None or channel in chans


def fails(item_id: str, value) -> bool:
    """Whether an answer fails its item (N/A and blanks never fail)."""
    _id, typ, pts, _ch, extra = ITEM[item_id]
    if value in ("", "N/A", None):
        return False
    if typ == "yes_no":
        return value == "no"
    if typ == "numeric":
        return float(value) > extra["threshold"]
    if typ == "scale":
        return extra["options"][value] < extra["pass"]
    if typ == "multi_check":
        return len([x for x in value.split(";") if x and x != "none"]) < extra["pass"]
    return False


def visit_score(channel: str, answers: dict) -> tuple[float, bool]:
    """Pooled points score (METHODS §5) -> (score %, failed on a critical item)."""
    earned = possible = 0.0
    for item_id, typ, pts, _ch, extra in ITEMS:
        if not applies(item_id, channel) or typ == "text":
            continue
        value = answers.get(item_id, {}).get("answer", "")
        if value in ("", "N/A") and typ != "multi_check":
            continue
        if typ == "yes_no":
            got = pts if value == "yes" else 0
        elif typ == "numeric":
            got = pts if float(value) <= extra["threshold"] else 0
        elif typ == "scale":
            got = extra["options"][value]
        else:
            got = sum(extra["options"][x] for x in value.split(";") if x and x != "none")
        earned += got
        if not extra.get("bonus"):
            possible += pts
    score = min(100.0, 100.0 * earned / possible)
    if answers.get("S2", {}).get("answer") == "no":
        score = min(score, 60.0)
    return score, answers.get("N3", {}).get("answer") == "no"


# ---------------------------------------------------------------- locations
REGIONS = ["North", "South", "East", "West"]
BRANCH_REGION = {
    "North": ["Cliff Top", "Fishergate", "Lighthouse Road", "Market Cross", "Northgate", "Old Town"],
    "South": ["Esplanade", "Marina", "Pier Street", "Saltmarsh", "Seaview", "Southsea Parade"],
    "East": ["Anchor Square", "Customs House", "Dockside", "Eastbank", "Ferry Terminal", "Quayside"],
    "West": ["Bayside", "Breakwater", "Harbour Point", "Riverside", "Shipyard", "Westcliff"],
}
MANAGERS = [
    "Alison Whitmore", "Rajesh Patel", "Claire Donnelly", "Martin Hughes", "Sophie Brennan", "Gareth Llewellyn",
    "Nadia Rahman", "Peter Callaghan", "Helen Marsh", "Kwame Mensah", "Fiona Lindqvist", "David Okafor",
    "Rachel Thornton", "Iain McLeod", "Joanna Kowalski", "Simon Ashworth", "Leila Haddad", "Mark Pemberton",
    "Emma Fairbairn", "Tomasz Nowak", "Catherine Boyd", "Andrew Sinclair", "Priya Chandran", "Neil Barraclough",
    "Sarah Quinlan", "Ben Adeyemi", "Lucy Harcourt", "Owen Pritchard", "Grace Mwangi", "James Farrow",
    "Hannah Oyelaran", "Michael Strachan", "Yvonne Castell", "Robert Ellery", "Amira Saleh", "Chris Tait",
    "Laura Bexley", "Samuel Idowu", "Rebecca Lowther", "Daniel Rees", "Megan Carradine", "Stuart Fenwick",
    "Zara Hussain", "Paul Kettering", "Eilidh Grant", "Victor Almeida", "Nicola Penrose", "Tariq Mahmood",
]
EXCELLENT = {"Anchor Square", "Seaview", "Harbour Point", "East web chat team"}
REGION_EFFECT = {"North": -0.15, "South": 0.10, "East": 0.15, "West": 0.10}
POPUP = "Ferry Terminal"
FAILING = "Fishergate"
# Saturday opening hours (integrity item C4)
SATURDAY_CHOICES = ["9:00-12:00", "9:00-12:30", "9:30-12:30", "9:00-13:00", "10:00-13:00", "closed"]


def build_locations(rng):
    locs = []
    branches = sorted((name, region) for region, names in BRANCH_REGION.items() for name in names)
    for n, (name, region) in enumerate(branches, start=1):
        locs.append({"location_id": f"BR{n:02d}", "name": name, "region": region, "channel": "branch"})
    remote = [
        ("PH", "phone", ["contact centre", "mortgage line"]),
        ("EM", "email", ["e-mail team", "business e-mail team"]),
        ("CH", "chat", ["web chat team", "app chat team"]),
    ]
    for prefix, channel, kinds in remote:
        n = 0
        for region in REGIONS:
            for kind in kinds:
                n += 1
                locs.append({"location_id": f"{prefix}{n:02d}", "name": f"{region} {kind}", "region": region,
                             "channel": channel})
    managers = list(MANAGERS)
    order = rng.permutation(len(managers))
    for loc, m in zip(locs, order):
        loc["manager"] = managers[int(m)]
    # latent quality
    for loc in locs:
        q = REGION_EFFECT[loc["region"]] + rng.normal(0.0, LOCATION_SD)
        if loc["name"] in EXCELLENT:
            q = 2.0 + rng.normal(0.0, 0.15)
        loc["quality"] = float(q)
    # Saturday hours: every branch; a few closed, the rest mornings
    sat = {}
    for loc in locs:
        if loc["channel"] != "branch":
            continue
        p = np.array([0.30, 0.12, 0.16, 0.22, 0.08, 0.12])
        sat[loc["location_id"]] = SATURDAY_CHOICES[int(rng.choice(len(SATURDAY_CHOICES), p=p))]
    sat[next(l["location_id"] for l in locs if l["name"] == POPUP)] = "10:00-14:00"
    return locs, sat


# ---------------------------------------------------------------- prose
STAFF = ["Priya", "Tom", "Aisha", "Gareth", "Megan", "Daniel", "Chloe", "Marek", "Siân", "Owen", "Fatima",
         "Liam", "Ruth", "Kofi", "Natalie", "Ewan"]

FAIL_COMMENTS = {
    "A1": {
        "branch": [
            "Nobody acknowledged me for about {m} minutes although two cashiers were free.",
            "The greeting was a curt 'Yes?' without looking up from the screen.",
            "Queued for {m} minutes with no eye contact or acknowledgement from the staff on the floor.",
            "Staff were chatting behind the counter and only noticed me when I coughed.",
            "I was told to 'take a ticket' with no greeting at all.",
        ],
        "phone": [
            "The call was answered with just the department name and a sigh.",
            "No greeting — the adviser started with 'account number?'.",
            "Answered abruptly; the adviser sounded distracted and talked over me.",
        ],
        "email": [
            "The reply had no greeting and misspelt my name.",
            "A one-line reply with no greeting or sign-off.",
            "The reply was clearly a template with the wrong product name pasted in.",
        ],
        "chat": [
            "The first message was a copied block of text with no greeting.",
            "The agent opened with 'What do you want?' — not polite.",
            "Bot hand-over took ages and the agent never said hello.",
        ],
    },
    "A2": [
        "Phone rang for {s} seconds before anyone answered.",
        "Held in the queue for {s} s and heard the recorded message twice.",
        "{s} seconds of ringing, then the menu, then a person.",
        "Took {s} seconds to get through — the line seemed very busy.",
        "Rang out for about {s} seconds; I nearly hung up.",
    ],
    "A3": [
        "Reply only came the following afternoon.",
        "Automatic acknowledgement straight away, but the real answer took over a day.",
        "Sent my e-mail in the morning and heard back the next evening.",
        "No reply until I sent a chaser.",
    ],
    "A4": [
        "Sat in the queue with 'an agent will be with you shortly' for a long time.",
        "Over a minute before the agent typed anything.",
        "The bot kept me waiting before handing over to a person.",
    ],
    "N1": {
        "Partly": [
            "{n} asked what I wanted but not why, or over what timescale.",
            "Asked about my income but nothing about my existing savings or plans.",
            "A couple of questions, then straight into the brochure.",
            "Some questions, but I had to volunteer most of the information myself.",
            "Asked whether I was an existing customer and left it at that.",
            "Questions felt like a checklist being read out rather than a conversation.",
        ],
        "Not at all": [
            "Went straight into the product leaflet without asking anything about me.",
            "No questions at all — just 'this is our best rate'.",
            "{n} recited the rates and asked nothing about my circumstances.",
            "I was handed a leaflet and told to look at the website.",
        ],
    },
    "N3": [
        "{n} discussed the balance of 'my' account without asking for ID or any security details.",
        "Read out recent transactions on the account after I gave only a name and postcode.",
        "No identity check at all before talking about the account I said I had.",
        "Confirmed details of my existing savings account without any security questions.",
        "Gave me the account balance after I quoted a sort code — no other checks.",
    ],
    "S1": [
        "Fees were not mentioned until I asked, and the rate was given as 'about five per cent'.",
        "Explanation was confusing; I still don't know whether there is an arrangement fee.",
        "{n} could not say what the early repayment charge was.",
        "Mixed up the fixed and variable rates, corrected only when I queried it.",
        "Talked about the benefits but nothing about charges.",
        "Rates were explained, but the monthly account fee was never mentioned.",
    ],
    "S2": [
        "No key facts document was offered; when I asked, I was told it was 'on the website'.",
        "The representative example was not mentioned at all.",
        "{n} said the key facts sheet would be posted but it never arrived.",
        "Was told the document is only given once you apply.",
        "Nothing offered in writing — only the glossy brochure.",
    ],
}
NA_COMMENTS = {
    "A5": ["Pop-up counter in the terminal concourse; no branch premises to assess."],
    "A5_random": ["Branch partly closed for refurbishment; visit took place at the temporary counter.",
                  "Temporary cabin outside the branch during building works."],
    "S2": ["Conversation did not reach a specific product, so no key facts document was due.",
           "I said I was only browsing rates; no particular product discussed.",
           "Only general information given; no product to attach a key facts document to."],
    "C2": ["I said I would decide on the spot, so no follow-up was needed.",
           "I declined a follow-up when it was about to be offered.",
           "Visit ended early when the fire alarm went off."],
}
PASS_COMMENTS = {
    "A1": {
        "branch": ["Greeted with a smile as soon as I walked in.", "Welcomed at the door by the floor host.",
                   "{n} looked up and said hello straight away."],
        "phone": ["Warm greeting, gave the bank and their own name.", "Friendly and clear opening."],
        "email": ["Personal greeting using my name.", "Polite, well-written reply."],
        "chat": ["Friendly opening message from a named agent.", "Polite greeting and asked how they could help."],
    },
    "A2": ["Answered on the second ring.", "Very quick — answered in {s} s.", "Short menu, then straight through."],
    "A3": ["Reply the same morning.", "Answered within a few hours."],
    "A4": ["Agent joined almost immediately.", "Quick reply, under a minute."],
    "S2": ["Key facts document handed over without my asking.", "Key facts e-mailed during the conversation.",
           "Representative example printed and given to me."],
    "N1": ["{n} asked about my goals, income and timescale before suggesting anything.",
           "Very thorough questions about what I needed the account for."],
}
C3_COMMENTS = ["I would not bank here on the strength of this.", "Left feeling I'd be better off elsewhere.",
               "Would look at other banks first."]
GENERAL = {
    "Excellent": [
        "Excellent visit. {n} was knowledgeable and unhurried and made me feel welcome.",
        "Really good experience from start to finish; clear, friendly and professional.",
        "Couldn't fault it — {n} explained everything and followed up as promised.",
        "Very professional. Everything explained in plain English.",
        "{n} went out of their way to help; the best visit of my round.",
    ],
    "Good": [
        "Good visit overall, a couple of small things missed.",
        "Friendly and helpful, though the explanation of charges could have been clearer.",
        "{n} was pleasant and competent; a little rushed at the end.",
        "Solid service; I'd have liked more questions about my situation.",
        "Helpful and polite. Follow-up could have been firmer.",
    ],
    "Fair": [
        "Average. Polite enough, but I had to drive the conversation.",
        "{n} meant well but was unsure of the product details.",
        "Mixed — good start, weak on the product explanation.",
        "OK but felt like a sales script rather than advice.",
        "Service was adequate but I left without a clear next step.",
    ],
    "Poor": [
        "Disappointing. I left knowing little more than when I arrived.",
        "Felt like an inconvenience; {n} seemed keen to end the conversation.",
        "Poor experience — little interest in my needs and no clear information.",
        "Not a good visit. Several basics missed.",
        "Would not recommend based on this contact.",
    ],
}


def band(score: float) -> str:
    return "Excellent" if score >= 90 else "Good" if score >= 80 else "Fair" if score >= 70 else "Poor"


def sig(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


class Prose:
    def __init__(self, rng):
        self.rng = rng

    def pick(self, pool, **kw):
        text = pool[int(self.rng.integers(len(pool)))]
        kw.setdefault("n", STAFF[int(self.rng.integers(len(STAFF)))])
        kw.setdefault("m", int(self.rng.integers(3, 9)))
        return text.format(**kw)


# ---------------------------------------------------------------- answers
def make_answers(rng, prose: Prose, loc, v: float, sat_hours: dict) -> dict:
    """One visit's answers: item id -> {"answer", "comment", "evidence"}."""
    ch = loc["channel"]
    region = loc["region"]
    a: dict[str, dict] = {}

    def yn(p):
        return "yes" if rng.random() < p else "no"

    a["A1"] = {"answer": yn(sig(2.6 + v))}
    if ch == "phone":
        median = {"North": 19, "South": 12, "East": 10, "West": 13}[region]
        secs = max(3, int(round(median * np.exp(-0.2 * v + rng.normal(0, 0.5)))))
        a["A2"] = {"answer": secs}
    if ch == "email":
        median = {"North": 22, "South": 11, "East": 9, "West": 14}[region]
        hours = max(0.5, round(median * float(np.exp(-0.2 * v + rng.normal(0, 0.6))) * 2) / 2)
        a["A3"] = {"answer": hours}
    if ch == "chat":
        median = {"North": 55, "South": 30, "East": 26, "West": 38}[region]
        a["A4"] = {"answer": max(4, int(round(median * np.exp(-0.2 * v + rng.normal(0, 0.5)))))}
    if ch == "branch":
        if loc["name"] == POPUP:
            a["A5"] = {"answer": "N/A", "comment": NA_COMMENTS["A5"][0]}
        elif rng.random() < 0.03:
            a["A5"] = {"answer": "N/A", "comment": prose.pick(NA_COMMENTS["A5_random"])}
        else:
            a["A5"] = {"answer": yn(sig(2.3 + v))}
    a["A6"] = {"answer": yn(sig(0.9 + v))}
    u = rng.random()
    if u < sig(1.1 + v):
        n1 = "Thoroughly"
    else:
        n1 = "Partly" if rng.random() < 0.72 else "Not at all"
    a["N1"] = {"answer": n1}
    probs = [sig(2.0 + v), sig(1.2 + v), sig(0.1 + v), sig(0.8 + v)]
    ticked = [k for k, p in zip("abcd", probs) if rng.random() < p]
    if n1 == "Not at all":
        ticked = ticked[:1] if rng.random() < 0.5 else []
    a["N2"] = {"answer": ";".join(ticked) or "none"}   # "none": nothing ticked (docs/scoresheets.md)
    a["N3"] = {"answer": "yes"}
    a["S1"] = {"answer": yn(sig(2.0 + v))}
    if rng.random() < 0.09:
        a["S2"] = {"answer": "N/A", "comment": prose.pick(NA_COMMENTS["S2"]) if rng.random() < 0.6 else ""}
    else:
        a["S2"] = {"answer": yn(sig(2.7 + 0.9 * v))}
    a["S3"] = {"answer": yn(sig(1.8 + v))}
    u = rng.random()
    a["S4"] = {"answer": "" if u < 0.08 else yn(sig(-0.8 + v))}
    a["C1"] = {"answer": yn(sig(1.5 + v))}
    if rng.random() < 0.07:
        a["C2"] = {"answer": "N/A", "comment": prose.pick(NA_COMMENTS["C2"])}
    else:
        a["C2"] = {"answer": yn(sig(1.0 + v))}
    misses = sum(a[k]["answer"] == "no" for k in ("A1", "S1", "S3", "C1")) + (n1 != "Thoroughly")
    u = rng.random()
    if u < sig(0.9 + v - 0.6 * misses):
        c3 = "Very likely"
    else:
        c3 = "Quite likely" if rng.random() < 0.72 else "Unlikely"
    a["C3"] = {"answer": c3}
    if ch == "branch":
        a["C4"] = {"answer": sat_hours[loc["location_id"]]}
    add_comments(rng, prose, ch, a)
    return a


def add_comments(rng, prose: Prose, ch: str, a: dict) -> None:
    """Comments on failing answers (always where required) and now and then on passing ones."""
    for item_id, ans in a.items():
        value = ans["answer"]
        ans.setdefault("comment", "")
        if ans["comment"]:
            continue
        failing = fails(item_id, value)
        if item_id == "A1":
            pool = FAIL_COMMENTS["A1"][ch] if failing else PASS_COMMENTS["A1"][ch]
            if failing or rng.random() < 0.12:
                ans["comment"] = prose.pick(pool)
        elif item_id == "A2":
            if failing:
                ans["comment"] = prose.pick(FAIL_COMMENTS["A2"], s=value)
            elif rng.random() < 0.2:
                ans["comment"] = prose.pick(PASS_COMMENTS["A2"], s=value)
        elif item_id in ("A3", "A4"):
            if failing and rng.random() < 0.6:
                ans["comment"] = prose.pick(FAIL_COMMENTS[item_id])
            elif not failing and rng.random() < 0.12:
                ans["comment"] = prose.pick(PASS_COMMENTS[item_id])
        elif item_id == "N1":
            if failing:
                ans["comment"] = prose.pick(FAIL_COMMENTS["N1"][value])
            elif rng.random() < 0.1:
                ans["comment"] = prose.pick(PASS_COMMENTS["N1"])
        elif item_id in ("N3", "S1") and failing:
            ans["comment"] = prose.pick(FAIL_COMMENTS[item_id])
        elif item_id == "S2":
            if failing:
                ans["comment"] = prose.pick(FAIL_COMMENTS["S2"])
            elif value == "yes" and rng.random() < 0.1:
                ans["comment"] = prose.pick(PASS_COMMENTS["S2"])
        elif item_id == "C3" and failing and rng.random() < 0.5:
            ans["comment"] = prose.pick(C3_COMMENTS)


def add_evidence(ch: str, visit_id: str, a: dict) -> None:
    ext = {"branch": "jpg", "phone": "mp3", "email": "pdf", "chat": "png"}[ch]
    for ans in a.values():
        ans.setdefault("evidence", "")
    if a["S2"]["answer"] in ("yes", "no"):
        a["S2"]["evidence"] = f"kfd-{visit_id}.{ext}"


# ---------------------------------------------------------------- visits
def wave_days(start: date, end: date, channel: str) -> list[date]:
    days = []
    d = start
    while d <= end:
        if d not in HOLIDAYS and (d.weekday() < 5 or (channel in ("email", "chat") and d.weekday() == 5)):
            days.append(d)
        d += timedelta(days=1)
    return days


def visit_times(rng, channel: str) -> tuple[str, str]:
    lo, hi, dmin, dmax = {"branch": (9 * 60 + 15, 16 * 60, 12, 40), "phone": (8 * 60 + 30, 19 * 60, 4, 18),
                          "email": (7 * 60 + 30, 21 * 60, 3, 12), "chat": (8 * 60, 21 * 60, 6, 25)}[channel]
    start = int(rng.integers(lo, hi))
    dur = int(rng.integers(dmin, dmax + 1))
    end = start + dur
    return f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


def build_visits(rng, prose, locs, sat):
    shoppers = {r: [f"SH-{101 + 12 * i + k}" for k in range(12)] for i, r in enumerate(REGIONS)}
    all_shoppers = [s for r in REGIONS for s in shoppers[r]]
    visits = []
    failed_before: set[str] = set()  # locations whose previous wave score was below the pass mark
    for wave_id, start, end in WAVES:
        wave_visits = []
        failed_now: set[str] = set()
        for loc in locs:
            k = 3 if rng.random() < 0.5 else 2
            days = wave_days(start, end, loc["channel"])
            segs = np.array_split(np.arange(len(days)), k)
            pool = shoppers[loc["region"]] if loc["channel"] == "branch" else all_shoppers
            who = rng.choice(len(pool), size=k, replace=False)
            plan = []
            for j in range(k):
                day = days[int(rng.choice(segs[j]))]
                st, et = visit_times(rng, loc["channel"])
                plan.append((day, st, et, pool[int(who[j])]))

            def draw():
                out = []
                for _j in range(k):
                    v = loc["quality"] + WAVE_EFFECT[wave_id] + rng.normal(0.0, VISIT_SD)
                    if loc["name"] == FAILING:
                        v = {"W1": -1.7, "W2": -1.4, "W3": 1.2}[wave_id] + rng.normal(0.0, 0.25)
                    answers = make_answers(rng, prose, loc, v, sat)
                    if loc["name"] == FAILING:  # keep the story clean: every visit on the right side
                        for _ in range(200):
                            s, _crit = visit_score("branch", answers)
                            if (wave_id != "W3" and s < 76) or (wave_id == "W3" and s >= 85):
                                break
                            answers = make_answers(rng, prose, loc, v, sat)
                    out.append(answers)
                return out

            def passes(drawn):
                # location score at the pass mark, and at least half its visits passing
                scores = [visit_score(loc["channel"], a)[0] for a in drawn]
                return np.mean(scores) >= PASS_MARK and np.mean([x >= PASS_MARK for x in scores]) >= 0.5

            drawn = draw()
            # Only Fishergate should fail two waves running: a location that failed last wave
            # is redrawn (same model) until this wave passes.
            if loc["name"] != FAILING and loc["location_id"] in failed_before:
                for _ in range(300):
                    if passes(drawn):
                        break
                    drawn = draw()
            if not passes(drawn):
                failed_now.add(loc["location_id"])
            for (day, st, et, shopper), answers in zip(plan, drawn):
                wave_visits.append({"location_id": loc["location_id"], "shopper_id": shopper,
                                    "wave": wave_id, "channel": loc["channel"], "visit_date": day.isoformat(),
                                    "start_time": st, "end_time": et, "answers": answers, "loc": loc})
        failed_before = failed_now
        wave_visits.sort(key=lambda x: (x["visit_date"], x["start_time"], x["location_id"]))
        for n, vis in enumerate(wave_visits, start=1):
            vis["visit_id"] = f"V-{wave_id}-{n:04d}"
        visits.extend(wave_visits)
    def wave_ok(loc_id, wave_id, failing_vid=None):
        """The location passes the wave (score and pass rate), even if visit failing_vid fails."""
        scores = [visit_score(v["channel"], v["answers"])[0] for v in visits
                  if v["location_id"] == loc_id and v["wave"] == wave_id]
        passed = [visit_score(v["channel"], v["answers"])[0] >= PASS_MARK and v["visit_id"] != failing_vid
                  and v["answers"]["N3"]["answer"] != "no"
                  for v in visits if v["location_id"] == loc_id and v["wave"] == wave_id]
        return np.mean(scores) >= PASS_MARK and np.mean(passed) >= 0.5

    # critical failures: N3 = no on five visits spread over the waves, at five different
    # locations that still pass the wave (so no second location gets a consecutive-failure flag)
    used: list[str] = []
    for wave_id, count in (("W1", 2), ("W2", 2), ("W3", 1)):
        for _ in range(count):
            cands = [v for v in visits if v["wave"] == wave_id and v["loc"]["name"] != FAILING
                     and v["location_id"] not in used and wave_ok(v["location_id"], wave_id, v["visit_id"])]
            vis = cands[int(rng.integers(len(cands)))]
            vis["answers"]["N3"] = {"answer": "no", "comment": prose.pick(FAIL_COMMENTS["N3"])}
            used.append(vis["location_id"])
    # the wave 1 visit the shopper later corrects (submissions/invalid/replace_*.json): S2 was
    # first reported as no; pick a branch that passes wave 2, so the cap adds no flag
    cands = [v for v in visits if v["wave"] == "W1" and v["channel"] == "branch" and v["loc"]["name"] != FAILING
             and v["answers"]["S2"]["answer"] == "yes" and v["answers"]["N3"]["answer"] == "yes"
             and wave_ok(v["location_id"], "W2")]
    target = cands[int(rng.integers(len(cands)))]
    target["answers"]["S2"] = {"answer": "no", "comment": "Was told the key facts document is only given once "
                               "you apply."}
    target["corrected"] = True
    for vis in visits:
        add_evidence(vis["channel"], vis["visit_id"], vis["answers"])
        score, _crit = visit_score(vis["channel"], vis["answers"])
        vis["comments"] = prose.pick(GENERAL[band(score)]) if rng.random() < 0.8 else ""
    return visits


# ---------------------------------------------------------------- writers
def fmt_num(x) -> str:
    if isinstance(x, float):
        return str(int(x)) if x == int(x) else f"{x:g}"
    return str(x)


def wide_row(vis) -> dict:
    row = {f: vis[f] for f in VISIT_FIELDS}
    for item_id in ITEM_IDS:
        ans = vis["answers"].get(item_id)
        row[item_id] = fmt_num(ans["answer"]) if ans else ""
        if item_id in COMMENT_COLS:
            row[f"{item_id}_comment"] = ans.get("comment", "") if ans else ""
        if item_id in EVIDENCE_COLS:
            row[f"{item_id}_evidence"] = ans.get("evidence", "") if ans else ""
    row["comments"] = vis.get("comments", "")
    return row


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def write_wide_csv(path: Path, visits) -> None:
    write_csv(path, WIDE_COLUMNS, [wide_row(v) for v in visits])


def long_rows(vis) -> list[dict]:
    rows = []
    for item_id in ITEM_IDS:
        ans = vis["answers"].get(item_id)
        if ans is None or (ans["answer"] == "" and ITEM[item_id][1] != "multi_check"):
            continue
        row = {f: vis[f] for f in VISIT_FIELDS}
        row.update(item_id=item_id, answer=fmt_num(ans["answer"]), comment=ans.get("comment", ""),
                   evidence=ans.get("evidence", ""), comments=vis.get("comments", ""))
        rows.append(row)
    return rows


def write_long_csv(path: Path, visits) -> None:
    write_csv(path, LONG_COLUMNS, [r for v in visits for r in long_rows(v)])


def json_text(vis) -> str:
    answers = {}
    for item_id in ITEM_IDS:
        ans = vis["answers"].get(item_id)
        if ans is None or (ans["answer"] == "" and ITEM[item_id][1] != "multi_check"):
            continue
        extra = {k: ans[k] for k in ("comment", "evidence") if ans.get(k)}
        value = ans["answer"]
        if isinstance(value, float) and value == int(value):
            value = int(value)
        answers[item_id] = {"answer": value, **extra} if extra else value
    doc = {f: vis[f] for f in VISIT_FIELDS}
    doc["answers"] = answers
    if vis.get("comments"):
        doc["comments"] = vis["comments"]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_wide_xlsx(path: Path, visits, sheet_title: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append(WIDE_COLUMNS)
    for vis in visits:
        row = wide_row(vis)
        cells = []
        for col in WIDE_COLUMNS:
            val = row[col]
            if col in ("A2", "A3", "A4") and val != "":
                val = float(val) if "." in val else int(val)
            cells.append(val if val != "" else None)
        ws.append(cells)
    ws.freeze_panes = "B2"
    for cell in ws[1]:
        cell.font = openpyxl.styles.Font(bold=True)
    wb.properties.creator = "Northlight Research"
    wb.properties.created = XLSX_DATE
    wb.properties.modified = XLSX_DATE
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps "now" into docProps/core.xml and into every zip entry: pin both.
    stamp = XLSX_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
                data = re.sub(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_DATE.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def clean_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix in (".csv", ".json", ".xlsx", ".md", ".zip"):
            p.unlink()


def write_wave(folder: Path, wave_id: str, visits, rng) -> dict:
    clean_dir(folder)
    n = wave_id[1:]
    start, end = next((s, e) for w, s, e in WAVES if w == wave_id)
    mid = (start + (end - start) / 2).isoformat()
    # ~10 branch / e-mail visits uploaded one per file from the shopper app
    cands = [v for v in visits if v["channel"] in ("branch", "email")]
    json_ids = {cands[int(i)]["visit_id"] for i in rng.choice(len(cands), size=10, replace=False)}
    formats = {}
    bundled = evidence_bundle_ids(wave_id, visits, json_ids)     # uploaded with photos: one ZIP each
    for vis in visits:
        if vis["visit_id"] in bundled:
            write_evidence_bundle(folder, vis)
            formats[vis["visit_id"]] = "zip"
        elif vis["visit_id"] in json_ids:
            (folder / f"{vis['visit_id']}.json").write_text(json_text(vis), encoding="utf-8", newline="")
            formats[vis["visit_id"]] = "json"
    wide = [v for v in visits if v["channel"] in ("branch", "email") and v["visit_id"] not in json_ids]
    b1 = [v for v in wide if v["visit_date"] <= mid]
    b2 = [v for v in wide if v["visit_date"] > mid]
    write_wide_csv(folder / f"wave{n}_batch1.csv", b1)
    write_wide_csv(folder / f"wave{n}_batch2.csv", b2)
    for v in wide:
        formats[v["visit_id"]] = "wide_csv"
    phone = [v for v in visits if v["channel"] == "phone"]
    write_long_csv(folder / f"wave{n}_phone_long.csv", phone)
    for v in phone:
        formats[v["visit_id"]] = "long_csv"
    chat = [v for v in visits if v["channel"] == "chat"]
    write_wide_xlsx(folder / f"wave{n}_chat.xlsx", chat, f"Wave {n} chat")
    for v in chat:
        formats[v["visit_id"]] = "wide_xlsx"
    return formats


# ---------------------------------------------------------------- evidence files
# A few wave 3 visits came in from the shopper app with their photos: the scoresheet (the
# same JSON as the other uploads) and its evidence files in one ZIP (docs/scoresheets.md,
# "Evidence files"). The pictures are drawn here with Pillow from their own seeded RNG, so
# nothing else in the sample changes; answers (and so scores) are those of the visit.
EVIDENCE_SEED = SEED + 14
EVIDENCE_DATE = (2026, 11, 1, 0, 0, 0)


def evidence_bundle_ids(wave_id: str, visits, json_ids) -> set[str]:
    """Two branch visits and one e-mail visit of wave 3 among the app uploads."""
    if wave_id != "W3":
        return set()
    app = sorted((v for v in visits if v["visit_id"] in json_ids and v["answers"]["S2"]["answer"] in ("yes", "no")),
                 key=lambda v: v["visit_id"])
    branch = [v["visit_id"] for v in app if v["channel"] == "branch"][:2]
    email = [v["visit_id"] for v in app if v["channel"] == "email"][:1]
    return set(branch + email)


def _jpeg(img, exif=None) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=55, optimize=True, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def receipt_photo(rng, visit_id: str) -> bytes:
    """A key facts document photographed on a desk, held upright: stored sideways with EXIF
    orientation 6, as phone cameras do (reports must turn it)."""
    from PIL import Image, ImageDraw

    w, h = 300, 400
    img = Image.new("RGB", (w, h), (118, 92, 70))
    d = ImageDraw.Draw(img)
    tilt = int(rng.integers(-6, 7))
    d.polygon([(34 + tilt, 22), (268 + tilt, 26), (262 - tilt, 382), (30 - tilt, 376)], fill=(246, 244, 238))
    d.rectangle([52, 44, 246, 70], fill=(16, 58, 94))
    d.text((60, 50), "HARBOUR BANK", fill=(255, 255, 255))
    d.text((58, 84), "KEY FACTS DOCUMENT", fill=(30, 30, 30))
    d.text((58, 100), f"Ref {visit_id}", fill=(90, 90, 90))
    y = 124
    for _ in range(int(rng.integers(9, 13))):
        d.rectangle([58, y, 58 + int(rng.integers(110, 180)), y + 5], fill=(160, 160, 160))
        y += 16
    d.text((58, y + 8), f"AER {rng.integers(30, 46) / 10:.1f} %", fill=(30, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6                              # orientation: rotate 90° clockwise to view
    exif[0x010F] = "Northlight ShopperCam"
    return _jpeg(img.transpose(Image.Transpose.ROTATE_90), exif)


def storefront_photo(rng, visit_id: str) -> bytes:
    """The branch front: sign, windows, door; with the GPS position the phone recorded
    (kept in the ledger, never shown in a report)."""
    from PIL import Image, ImageDraw

    w, h = 480, 320
    img = Image.new("RGB", (w, h), (170, 205, 235))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 250, w, h], fill=(150, 150, 150))
    d.rectangle([40, 70, 440, 260], fill=(214, 206, 190))
    d.rectangle([40, 70, 440, 110], fill=(16, 58, 94))
    d.text((190, 84), "HARBOUR BANK", fill=(255, 255, 255))
    for x in (70, 160, 330):
        d.rectangle([x, 130, x + 70, 220], fill=(90, 120, 150))
    d.rectangle([250, 140, 300, 260], fill=(60, 60, 60))
    if rng.random() < 0.5:
        d.rectangle([235, 225, 315, 232], fill=(200, 40, 40))      # a sign on the door
    exif = Image.Exif()
    exif[0x010F] = "Northlight ShopperCam"
    exif[0x8825] = {1: "N", 2: (50.0, 48.0, float(rng.integers(0, 60))), 3: "W", 4: (1.0, 5.0, 30.0)}
    return _jpeg(img, exif)


def key_facts_pdf(visit_id: str) -> bytes:
    """A one-page PDF: the key facts document the e-mail team attached to its reply."""
    text = f"BT /F1 14 Tf 72 760 Td (Harbour Bank - Key facts document) Tj 0 -24 Td /F1 10 Tf (Ref {visit_id}) Tj ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def write_evidence_bundle(folder: Path, vis) -> None:
    """VISIT.zip: the visit's JSON scoresheet and the files its evidence fields name."""
    import copy

    rng = np.random.default_rng([EVIDENCE_SEED, int(vis["visit_id"].rsplit("-", 1)[1])])
    vis = copy.deepcopy(vis)
    vid = vis["visit_id"]
    files = {}
    kfd = vis["answers"]["S2"]["evidence"]                # kfd-<visit>.jpg / .pdf, as in every upload
    files[kfd] = key_facts_pdf(vid) if kfd.endswith(".pdf") else receipt_photo(rng, vid)
    if vis["channel"] == "branch" and vis["answers"]["A5"]["answer"] in ("yes", "no"):
        vis["answers"]["A5"]["evidence"] = f"front-{vid}.jpg"
        files[f"front-{vid}.jpg"] = storefront_photo(rng, vid)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [(f"{vid}.json", json_text(vis).encode("utf-8"))] + sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=EVIDENCE_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    (folder / f"{vid}.zip").write_bytes(out.getvalue())


# ---------------------------------------------------------------- invalid files
def build_invalid(rng, prose, locs, sat, visits, folder: Path) -> None:
    clean_dir(folder)
    by_name = {l["name"]: l for l in locs}
    by_id = {l["location_id"]: l for l in locs}
    next_id = iter(range(901, 999))

    def fresh(loc, wave_id, day, st, et, shopper):
        # a clean visit (all comments present), then one defect is applied
        for _ in range(50):
            answers = make_answers(rng, prose, loc, loc["quality"] + 0.3, sat)
            if answers["S2"]["answer"] != "N/A":
                break
        vid = f"V-{wave_id}-{next(next_id):04d}"
        add_evidence(loc["channel"], vid, answers)
        score, _c = visit_score(loc["channel"], answers)
        return {"visit_id": vid, "location_id": loc["location_id"], "shopper_id": shopper, "wave": wave_id,
                "channel": loc["channel"], "visit_date": day, "start_time": st, "end_time": et,
                "answers": answers, "comments": prose.pick(GENERAL[band(score)])}

    entries = []
    # 1. dated outside its wave (W2 ends 2026-07-31)
    v = fresh(by_name["Marina"], "W2", "2026-08-14", "11:05", "11:32", "SH-117")
    (folder / "01_outside_wave.json").write_text(json_text(v), encoding="utf-8", newline="")
    entries.append(("01_outside_wave.json", "JSON", v["visit_id"],
                    f"Wave 2 visit to Marina ({by_name['Marina']['location_id']}) dated 2026-08-14, but wave W2 "
                    "runs 2026-06-01 to 2026-07-31."))
    # 2. unknown location id
    loc = dict(by_name["Westcliff"])
    v = fresh(loc, "W3", "2026-09-22", "14:10", "14:38", "SH-140")
    v["location_id"] = "BR31"
    v["answers"].pop("C4", None)
    write_wide_csv(folder / "02_unknown_location.csv", [v])
    entries.append(("02_unknown_location.csv", "wide CSV", v["visit_id"],
                    "Location id BR31 is not in locations.csv (branches run BR01–BR24); the shopper "
                    "mistyped the branch code."))
    # 3. a required item left unanswered (S1 empty) — phone, long CSV
    v = fresh(by_name["South contact centre"], "W3", "2026-10-06", "15:40", "15:51", "SH-122")
    rows = long_rows(v)
    for r in rows:
        if r["item_id"] == "S1":
            r["answer"], r["comment"] = "", ""
    write_csv(folder / "03_required_unanswered.csv", LONG_COLUMNS, rows)
    entries.append(("03_required_unanswered.csv", "long CSV", v["visit_id"],
                    "Required item S1 (product explained clearly) has an empty answer."))
    # 4. N/A on an item that does not allow it (A1)
    v = fresh(by_name["Quayside"], "W2", "2026-06-18", "10:20", "10:44", "SH-131")
    v["answers"]["A1"] = {"answer": "N/A", "comment": "", "evidence": ""}
    (folder / "04_na_not_allowed.json").write_text(json_text(v), encoding="utf-8", newline="")
    entries.append(("04_na_not_allowed.json", "JSON", v["visit_id"],
                    "A1 (greeted promptly and politely) answered N/A; A1 does not allow N/A."))
    # 5. failing answer without the required comment (N3 = no, no comment)
    v = fresh(by_name["West e-mail team"], "W3", "2026-09-15", "19:12", "19:20", "SH-109")
    v["answers"]["N3"] = {"answer": "no", "comment": "", "evidence": ""}
    (folder / "05_missing_comment.json").write_text(json_text(v), encoding="utf-8", newline="")
    entries.append(("05_missing_comment.json", "JSON", v["visit_id"],
                    "N3 (identity verified) answered no without a comment; a failing N3 needs the "
                    "shopper's comment."))
    # 6. end time before start time — chat, wide XLSX
    v = fresh(by_name["South web chat team"], "W1", "2026-04-14", "14:20", "13:55", "SH-114")
    write_wide_xlsx(folder / "06_end_before_start.xlsx", [v], "Chat")
    entries.append(("06_end_before_start.xlsx", "wide XLSX", v["visit_id"],
                    "end_time 13:55 is before start_time 14:20."))
    # 7. integrity failure: Saturday hours that do not match integrity.csv
    closed = [l for l in locs if l["channel"] == "branch" and sat[l["location_id"]] == "closed"]
    loc = closed[0] if closed else by_name["Old Town"]
    v = fresh(loc, "W3", "2026-10-13", "12:05", "12:29", "SH-104")
    told = "9:00-13:00" if sat[loc["location_id"]] != "9:00-13:00" else "9:30-12:30"
    v["answers"]["C4"] = {"answer": told, "comment": "", "evidence": ""}
    (folder / "07_integrity_c4.json").write_text(json_text(v), encoding="utf-8", newline="")
    entries.append(("07_integrity_c4.json", "JSON", v["visit_id"],
                    f"C4 (Saturday hours the shopper was told) is \"{told}\", but integrity.csv says "
                    f"{loc['name']} ({loc['location_id']}) is \"{sat[loc['location_id']]}\" on Saturdays — "
                    "the shopper may not have made the visit."))
    # 8. malformed JSON (upload cut off part-way)
    v = fresh(by_name["Bayside"], "W2", "2026-07-09", "09:40", "10:05", "SH-146")
    text = json_text(v)
    (folder / "08_truncated.json").write_text(text[: len(text) * 2 // 5], encoding="utf-8", newline="")
    entries.append(("08_truncated.json", "JSON", v["visit_id"],
                    "Not valid JSON: the file stops part-way through (an interrupted upload)."))
    # 9. re-submission of an accepted wave 1 visit with corrected answers
    orig = next(x for x in visits if x.get("corrected"))
    rep = {k: orig[k] for k in VISIT_FIELDS}
    rep["answers"] = {k: dict(val) for k, val in orig["answers"].items()}
    rep["answers"]["S2"] = {"answer": "yes", "comment": "Correction: the key facts document was in the pack "
                            "handed over at the end; I found it after writing up the visit.",
                            "evidence": f"kfd-{orig['visit_id']}.jpg"}
    rep["comments"] = ((orig.get("comments") or "").rstrip() + " [Corrected 2026-05-06: S2 changed from no "
                       "to yes after the shopper found the key facts document.]").strip()
    name = f"replace_{orig['visit_id']}.json"
    (folder / name).write_text(json_text(rep), encoding="utf-8", newline="")
    entries.append((name, "JSON", orig["visit_id"],
                    f"Not invalid as such: it re-submits wave 1 visit {orig['visit_id']} "
                    f"({orig['loc']['name']}, {orig['visit_date']}), already accepted from "
                    f"submissions/wave1/, with S2 corrected from no to yes (and evidence added). "
                    "Without --replace it is rejected as a duplicate visit id; accept it with "
                    "`--replace --reason \"Shopper corrected the wave 1 visit\"`."))
    lines = [
        "# Deliberately faulty submissions",
        "",
        "Generated by `../../generate.py`. Each file holds one visit with one clear problem, so",
        "`cxreport shop submit programme.yaml submissions/invalid/*` shows every kind of rejection.",
        "The exact messages come from the tool; this list says what is wrong with each file.",
        "",
        "| file | format | visit | problem |",
        "|---|---|---|---|",
    ]
    for fname, form, vid, what in entries:
        lines.append(f"| `{fname}` | {form} | {vid} | {what} |")
    lines.append("")
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8", newline="")


# ---------------------------------------------------------------- main
def main() -> None:
    rng = np.random.default_rng(SEED)
    prose = Prose(rng)
    locs, sat = build_locations(rng)
    write_csv(HERE / "locations.csv", ["location_id", "name", "region", "channel", "manager"],
              [{k: l[k] for k in ("location_id", "name", "region", "channel", "manager")} for l in locs])
    write_csv(HERE / "integrity.csv", ["location_id", "answer"],
              [{"location_id": k, "answer": sat[k]} for k in sorted(sat)])
    visits = build_visits(rng, prose, locs, sat)
    formats = {}
    for wave_id, _s, _e in WAVES:
        folder = HERE / "submissions" / f"wave{wave_id[1:]}"
        formats.update(write_wave(folder, wave_id, [v for v in visits if v["wave"] == wave_id], rng))
    build_invalid(rng, prose, locs, sat, visits, HERE / "submissions" / "invalid")
    scores = [visit_score(v["channel"], v["answers"])[0] for v in visits]
    print(f"{len(locs)} locations, {len(visits)} visits, mean visit score {np.mean(scores):.1f} %")


if __name__ == "__main__":
    main()
