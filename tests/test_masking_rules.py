"""Masking of personal data in quoted comments (issue 12): the rules of cxreport/masking.py
case by case in both directions — what must be masked (the sensitive part gone, the label
in its place, the words around it kept) and what must come through unchanged (ordinary
numbers, dates, codes that fail the checks) — then end to end: a survey report (HTML and
PDF) and mystery-shop scoresheets and location reports with the programme's ``mask_names``.

docs/security.md ("Personal data in comments") describes the same rules."""

from __future__ import annotations

import json
import re
import time

import pypdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import csv_text, default_rows, write_project
from cxreport.cli import cli
from cxreport.masking import mask_personal_data

#: The names a test project lists (``comments.mask_names`` / ``programme.mask_names``).
NAMES = ["Priya", "Jo Smith", "O'Neil", "张伟"]

# --------------------------------------------------------------------------- masked

#: (comment, expected after masking). Every sensitive part is replaced by its label and
#: nothing else changes.
MASKED = [
    # account numbers after a keyword: separators, "is/was/:/#/no.", Chinese and German keywords
    ("my account number is 12345678", "my account number is [account number]"),
    ("Account no. 12-34-5678 was charged twice", "Account no. [account number] was charged twice"),
    ("acc. no 1234 5678 please", "acc. no [account number] please"),
    ("A/C: 87654321", "A/C: [account number]"),
    ("A/C 12345678 frozen", "A/C [account number] frozen"),
    ("acct #00123456 frozen", "acct #[account number] frozen"),
    ("the account was 12 345 678", "the account was [account number]"),
    ("account number:  1234.5678.90", "account number:  [account number]"),
    ("Konto-Nr. 1234567890", "Konto-Nr. [account number]"),
    ("账号是6222020200112233，请核实", "账号是[account number]，请核实"),
    ("Money left account 12345678 twice", "Money left account [account number] twice"),
    # card numbers: Luhn-valid or grouped 4-4-4-4, any mix of repeated separators
    ("paid with 4111.1111.1111.1111 yesterday", "paid with [card number] yesterday"),
    ("4111  1111  1111  1111", "[card number]"),
    ("number 4111-1111 1111.1111 ok", "number [card number] ok"),
    ("4111 - 1111 - 1111 - 1111", "[card number]"),
    ("Card 4111111111111111 was blocked", "Card [card number] was blocked"),
    ("used 378282246310005.", "used [card number]."),
    ("used 3782 822463 10005 at the till", "used [card number] at the till"),
    ("1234 5678 9012 3456 was rejected", "[card number] was rejected"),
    ("card 4929123456789012 please", "card [card number] please"),
    ("会员卡号6222000012345678901，积分没到账", "会员卡号[card number]，积分没到账"),
    ("4111\u00a01111\u00a01111\u00a01111", "[card number]"),
    ("my mastercard 5555 5555 5555 4444", "my mastercard [card number]"),
    ("card 4111 1111 1111 1111, exp 12/26, cvv 123", "card [card number], exp 12/26, cvv [card number]"),
    # phones: North American, international, UK, Chinese, after a keyword
    ("(555) 123-4567", "[phone]"),
    ("call 555-123-4567 now", "call [phone] now"),
    ("555.123.4567", "[phone]"),
    ("text 555 123 4567", "text [phone]"),
    ("+1 (555) 123-4567", "[phone]"),
    ("1-800-555-0199 is free", "[phone] is free"),
    ("My mobile is +44 7700 900456.", "My mobile is [phone]."),
    ("+44 20 7946 0958", "[phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("0044 20 7946 0958", "[phone]"),
    ("+86 138 0013 8000", "[phone]"),
    ("+33 1 23 45 67 89", "[phone]"),
    ("(+44) 7700 900123", "[phone]"),
    ("(+44 20 7946 0958)", "([phone])"),
    ("call me on 07700 900123. 3 days later", "call me on [phone]. 3 days later"),
    ("ring 020 7946 0958 today", "ring [phone] today"),
    ("Call me on 07700 900123 after five", "Call me on [phone] after five"),
    ("ring 07700900123.", "ring [phone]."),
    ("Branch line (020) 7946 0018 never answers", "Branch line [phone] never answers"),
    ("(call 020 7946 0958)", "(call [phone])"),
    ("phone 5551234567", "phone [phone]"),
    ("my number is 7946 0958", "my number is [phone]"),
    ("tel: 2345 6789", "tel: [phone]"),
    ("13800138000", "[phone]"),
    ("手机：１３８００１３８０００", "手机：[phone]"),
    ("电话021-60001234一直打不通", "电话[phone]一直打不通"),
    # sort codes
    ("sort code 12 34 56", "sort code [sort code]"),
    ("sort code: 123456", "sort code: [sort code]"),
    ("Sort-code 12.34.56", "Sort-code [sort code]"),
    ("paid into 12-34-56 on Monday", "paid into [sort code] on Monday"),
    ("s/c 20 00 00 a/c 55779911", "s/c [sort code] a/c [account number]"),
    # IBANs (mod-97 checked), compact, spaced, lower case
    ("GB82WEST12345698765432", "[account number]"),
    ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [account number] thanks"),
    ("DE89 3704 0044 0532 0130 00", "[account number]"),
    ("to FR14 2004 1010 0505 0001 3M02 606.", "to [account number]."),
    ("nl91abna0417164300", "[account number]"),
    ("mein Konto DE89370400440532013000", "mein Konto [account number]"),
    ("IBANs GB82WEST12345698765432 and DE89 3704 0044 0532 0130 00", "IBANs [account number] and [account number]"),
    # e-mail addresses: IDN domains, Unicode local parts, obfuscated forms
    ("jörg@müller.de", "[email]"),
    ("用户@例子.中国", "[email]"),
    ("email: josé.garcía@correo.es", "email: [email]"),
    ("почта: иван@пример.рф", "почта: [email]"),
    ("mail J.O'Neil+cx@sub.example.co.uk now", "mail [email] now"),
    ("邮箱wang@example.com请回复", "邮箱[email]请回复"),
    ("jo＠example.com", "[email]"),
    ("jo (at) example (dot) com", "[email]"),
    ("write to jo dot smith at example dot com.", "write to [email]."),
    ("jo[at]example.com", "[email]"),
    # names the project lists: whole words, any case, any spacing and apostrophe; Chinese anywhere
    ("Priya at the till was lovely", "[name] at the till was lovely"),
    ("thanks PRIYA!", "thanks [name]!"),
    ("Jo  Smith helped", "[name] helped"),
    ("Mr O’Neil was rude", "Mr [name] was rude"),
    ("店员张伟很热情", "店员[name]很热情"),
    ("店员Priya很热情", "店员[name]很热情"),
]


@pytest.mark.parametrize("text, expected", MASKED)
def test_personal_data_is_masked(text, expected):
    assert mask_personal_data(text, NAMES) == expected


# --------------------------------------------------------------------------- not masked

#: Ordinary numbers, dates, codes and phrases: they come through exactly as written.
NOT_MASKED = [
    "I came back 3 times",
    "I waited 45 minutes in the queue",
    "paid £1,200 for it",
    "paid £1,250.00 on 3 March",
    "best service in 2026",
    "order 12345 arrived late",
    "branch 24 was closed",
    "app version 2.3.1 crashes",
    "version 10.4.12.3",
    "rated it 10/10",
    "room 101 was cold",
    "visited on 12.03.2026",
    "on 12.03.26 at noon",
    "opened 2026-03-12 at 10:30",
    "at 10:45",
    "85% of the time",
    "counted 1 2 3 4 people",
    "the scores were 12 34 56",
    "ISBN 978-0-306-40615-7",
    "ISBN 9780306406157",
    "EAN 4006381333931",
    "等了30分钟",
    "订单金额1299元",
    "open 9.00-17.30",
    "over 1.000.000 customers",
    "1 000 000 views",
    "a transfer of 1 000 000 000 000 000 yuan",
    "account opened: 12.03.2026",
    "ticket 2026-0001234",
    "from 2019-2026",
    "in 2023 2024 2025 2026 it was good",
    "visit V-W1-0003",
    "shopper SH-104",
    "code GB82WEST12345698765433",
    "ref AB12 CDEF 3456 7890 12",
    "+5 points",
    "I shop at amazon.com",
    "the account was closed after 3 years",
    "card machine broken 2 times",
    "phone queue 25 minutes",
    "I phoned on 12.03.2026",
    "meet @ 5pm",
    "@HarbourBank was great",
    "scored 9 out of 10",
    "£12.50 each",
    "the call took 3-4 minutes",
    "aisle 3, shelf 12",
    "12:30-13:45",
    "Priyanka was great",
    "Jo and Joanne",
    "the 3rd time this year",
]


@pytest.mark.parametrize("text", NOT_MASKED)
def test_ordinary_text_is_not_masked(text):
    assert mask_personal_data(text, NAMES) == text


def test_at_least_sixty_cases_each_way():
    assert len(MASKED) >= 60 and len(NOT_MASKED) >= 40


def test_labels_are_in_the_report_language():
    from cxreport.i18n import use_language

    with use_language("zh-CN"):
        masked = mask_personal_data("电话 (555) 123-4567，账号 12345678，邮箱 jo@example.com，IBAN GB82WEST12345698765432")
    assert masked == "电话 [电话]，账号 [账号]，邮箱 [邮箱]，IBAN [账号]"


def test_hostile_lengths_stay_fast():
    """Long runs of digits, separators, @ and 'at … dot' do not make a regular expression
    backtrack: each 30,000-character comment is masked in well under a second."""
    texts = ["1 " * 15000, "1" * 30000 + "x", "4111-" * 6000, "a@" * 15000, "a." * 15000 + "@",
             "jo at " * 5000 + "dot", "GB82 " * 6000, "(" * 15000 + "1" * 15000, "+1 " * 10000]
    for text in texts:
        start = time.perf_counter()
        mask_personal_data(text, NAMES)
        assert time.perf_counter() - start < 1.0, text[:20]


# --------------------------------------------------------------------------- survey report

#: Comments for the end-to-end build: sensitive part(s) of each.
SURVEY_COMMENTS = {
    "my account number is 12345678, please refund": ["12345678"],
    "They charged 4111.1111.1111.1111 twice": ["4111.1111.1111.1111", "4111111111111111"],
    "Card 4111  1111  1111  1111 was declined": ["4111  1111  1111  1111", "4111111111111111"],
    "Call me on (555) 123-4567 or 555-123-4567": ["123-4567", "5551234567"],
    "Paid from sort code 40 47 85 last week": ["40 47 85", "404785"],
    "Write to jörg@müller.de or 用户@例子.中国": ["müller.de", "jörg", "例子.中国", "用户@"],
    "Refund to GB82WEST12345698765432 or GB82 WEST 1234 5698 7654 32": ["GB82WEST", "GB82 WEST", "98765432"],
    "Priya Shah at the desk was wonderful": ["Priya Shah", "Priya"],
    "My mobile +44 7700 900456 never rang": ["7700 900456", "7700900456"],
    "I waited 45 minutes, 3 times, and paid £1,200": [],
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _survey_project(folder, **overrides):
    rows = default_rows(60)
    for row in rows:
        row[5] = ""
    for i, text in enumerate(SURVEY_COMMENTS):
        rows.append([f"P{i}", "2026-06-30", "North", [10, 8, 2][i % 3], 3, text])
    return write_project(folder, csv_text(rows), report={"comments_shown": 30}, **overrides)


@pytest.fixture(scope="module")
def survey_build(tmp_path_factory):
    """The client report (HTML and PDF) quoting every comment as a theme verbatim, with the
    project's ``comments.mask_names``; and the scores JSON of the same project."""
    folder = tmp_path_factory.mktemp("masking-survey")
    project = _survey_project(folder / "p", comments={"mask_names": ["Priya Shah", "Priya"],
                                                      "code_frame": {"Everything": ["re:."]},
                                                      "verbatims_per_theme": 10})
    out = folder / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "html,pdf"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    html = (out / "report.html").read_text(encoding="utf-8")
    pdf = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(out / "report.pdf").pages)
    scored = CliRunner().invoke(cli, ["score", str(project), "-o", str(folder / "scores.json")])
    assert scored.exit_code == 0, scored.output
    return html, pdf, (folder / "scores.json").read_text(encoding="utf-8")


def test_survey_report_html_shows_no_personal_data(survey_build):
    html, _pdf, _json = survey_build
    assert html.count('<blockquote class="comment">') == len(SURVEY_COMMENTS)
    for secrets in SURVEY_COMMENTS.values():
        for secret in secrets:
            assert secret not in html, secret
    for label in ("[account number]", "[card number]", "[phone]", "[sort code]", "[email]", "[name]"):
        assert label in html, label
    assert "I waited 45 minutes, 3 times, and paid £1,200" in html       # ordinary numbers stay


def test_survey_report_pdf_shows_no_personal_data(survey_build):
    _html, pdf, _json = survey_build
    flat = _squash(pdf)
    for secrets in SURVEY_COMMENTS.values():
        for secret in secrets:
            assert _squash(secret) not in flat, secret
    assert "[accountnumber]" in flat and "[email]" in flat and "[name]" in flat
    assert _squash("I waited 45 minutes, 3 times, and paid £1,200") in flat


def test_scores_json_verbatims_show_no_personal_data(survey_build):
    _html, _pdf, scores = survey_build
    verbatims = [v["text"] for t in json.loads(scores)["comments"]["themes"] for v in t["verbatims"]]
    assert len(verbatims) == len(SURVEY_COMMENTS)
    text = "\n".join(verbatims)
    for secrets in SURVEY_COMMENTS.values():
        for secret in secrets:
            assert secret not in text, secret


def test_latest_comments_section_shows_no_personal_data(tmp_path):
    """Without a comments block the report quotes the latest comments instead."""
    project = _survey_project(tmp_path / "p")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "html"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<blockquote class="comment">') == len(SURVEY_COMMENTS)
    for text, secrets in SURVEY_COMMENTS.items():
        for secret in secrets:
            if "Priya" not in secret:                  # names are masked only when listed
                assert secret not in html, secret
    assert "[card number]" in html and "[sort code]" in html


# --------------------------------------------------------------------------- mystery shopping


@pytest.fixture(scope="module")
def shop_reports(tmp_path_factory):
    from shop_helpers import section, write_programme, yes_no

    folder = tmp_path_factory.mktemp("masking-shop") / "prog"
    path = write_programme(folder, [section("greet", [yes_no("A1", comment_required_on_fail=True), yes_no("A2")])])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["programme"]["mask_names"] = ["Dave Jones", "Dave", "李娜"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    visit = {"visit_id": "V-1", "location_id": "L1", "shopper_id": "SH-101", "wave": "W1", "channel": "branch",
             "visit_date": "2026-01-12", "start_time": "10:00", "end_time": "10:20",
             "answers": {"A1": {"answer": "no", "comment": "dave jones ignored me; his card said 07700 900123"},
                         "A2": {"answer": "yes", "comment": "收银员李娜很好",
                                "evidence": "photo of badge: Dave Jones"}},
             "comments": "Dave Jones was on his phone. Manager said call 555-123-4567 or mail dave@example.com."}
    (folder / "V-1.json").write_text(json.dumps(visit), encoding="utf-8")
    runner = CliRunner()
    submitted = runner.invoke(cli, ["shop", "submit", str(path), str(folder / "V-1.json")])
    assert submitted.exit_code == 0, submitted.output
    out = folder / "out"
    result = runner.invoke(cli, ["shop", "report", str(path), "--scoresheets", "--locations", "--format", "html",
                                 "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return out


def test_programme_mask_names_hide_staff_in_scoresheets(shop_reports):
    sheet = (shop_reports / "scoresheets" / "scoresheet-V-1.html").read_text(encoding="utf-8")
    for secret in ("Dave", "dave", "李娜", "07700", "123-4567", "example.com"):
        assert secret not in sheet, secret
    assert "[name] was on his phone" in sheet          # the shopper's comments
    assert "[name] ignored me" in sheet                # an item comment
    assert "收银员[name]很好" in sheet
    assert "photo of badge: [name]" in sheet           # an evidence note
    assert "[phone]" in sheet and "[email]" in sheet


def test_programme_mask_names_hide_staff_in_location_reports(shop_reports):
    report = next((shop_reports / "locations").glob("*.html")).read_text(encoding="utf-8")
    assert "Dave" not in report and "555-123-4567" not in report
    assert "[name] was on his phone" in report


def test_programme_mask_names_is_optional_and_listed():
    from cxreport.shop.programme import Programme

    assert Programme.model_fields["mask_names"].default_factory() == []
    assert "shopper" in Programme.model_fields["mask_names"].description
