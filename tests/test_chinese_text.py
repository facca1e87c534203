"""Chinese text in reports: personal details in Chinese comments are masked (mobile numbers,
numbers and names written next to Chinese characters), the comments section masks the
project's ``comments.mask_names``, and segments with Chinese names get their own anchors."""

from __future__ import annotations

import pytest
from conftest import csv_text, default_rows

from cxreport.masking import mask_personal_data


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize("text, secret, label", [
    ("我的手机是13800001234，请尽快联系我。", "13800001234", "[phone]"),
    ("电话139 0000 5678，麻烦回个电话。", "139 0000 5678", "[phone]"),
    ("有问题请打我手机+86 137-0000-2468。", "137-0000-2468", "[phone]"),
    ("手机：008613500009999", "13500009999", "[phone]"),
    ("门店电话021-60001234一直打不通。", "60001234", "[phone]"),
    ("会员卡号6222000012345678901，积分一直没到账。", "6222000012345678901", "[card number]"),
    ("邮箱wang.fang@example.com，请回复。", "wang.fang@example.com", "[email]"),
])
def test_chinese_personal_details_are_masked(text, secret, label):
    masked = mask_personal_data(text)
    assert secret not in masked and label in masked
    assert masked[:2] == text[:2]                         # the words around it survive


@pytest.mark.parametrize("text", ["排队等了45分钟", "2026年3月12日去的", "订单金额1299元", "第3次来了",
                                  "说好的30分钟达", "晚上七八点去的，12号收银台没开"])
def test_ordinary_chinese_numbers_are_not_masked(text):
    assert mask_personal_data(text) == text


def test_chinese_names_are_masked_between_other_characters():
    masked = mask_personal_data("特别感谢上海徐汇店的店员张伟，收银员李娜态度也好。", ["张伟", "李娜"])
    assert masked == "特别感谢上海徐汇店的店员[name]，收银员[name]态度也好。"
    # English names still match whole words only.
    assert mask_personal_data("Jo and Joanne", ["Jo"]) == "[name] and Joanne"


# --------------------------------------------------------------------------- report context


def test_chinese_segment_names_get_distinct_anchors(make_project, tmp_path):
    from cxreport.pipeline import run
    from cxreport.present.context import build_context

    path = make_project(tmp_path, columns={"segments": {"区域": "region", "地区": "region", "A b": "region",
                                                        "A-b": "region"}})
    context = build_context(run(path), client_charts=False)
    ids = [s["id"] for s in context["segments"]]
    assert ids == ["seg-region", "seg-区域", "seg-地区", "seg-a-b", "seg-a-b-2"]


def test_quoted_comments_mask_the_projects_names(make_project, tmp_path):
    from cxreport.pipeline import run
    from cxreport.present.context import build_context

    rows = default_rows()
    for row in rows:
        row[-1] = "店员张伟很热情，手机13800001234"
    path = make_project(tmp_path, csv_text(rows), comments={"mask_names": ["张伟"]})
    quoted = build_context(run(path), client_charts=False)["comments"]
    assert quoted
    for comment in quoted:
        assert comment["text"] == "店员[name]很热情，手机[phone]"
