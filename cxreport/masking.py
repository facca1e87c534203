"""Mask personal data in customer text before it reaches a report.

E-mail addresses, card numbers (13–19 digits, spaced or not), phone numbers and account
numbers are replaced by a bracketed label. Masking is always on for quoted comments.

Chinese text has no spaces, so a number or a name often touches a Chinese character
(手机13800001234, 店员张伟很热情). Boundaries are therefore drawn against Latin letters
and digits only, never against CJK characters, and Chinese mobile numbers (11 digits
starting 13–19, optionally +86, spaced or hyphenated 3-4-4) are masked as phones.
"""

from __future__ import annotations

import re

from cxreport.i18n import _

# Word boundaries against Latin letters, digits and "_" only: a CJK character next to a
# number or name does not hide it (Python's \b counts CJK characters as word characters).
_B = r"(?<![A-Za-z0-9_])"
_E = r"(?![A-Za-z0-9_])"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)")
_CARD = re.compile(_B + r"(?:\d[ \-]?){12,18}\d" + _E)
_PHONE = re.compile(r"(?<![A-Za-z0-9_+])(?:\+\d{1,3}[\s\-]?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s\-]?\d{3,4}[\s\-]?\d{3,4}" + _E)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ACCOUNT = re.compile(r"(?i)\b(account|acct|a/c)(\s*(?:no\.?|number|#)?\s*:?\s*)\d{6,12}\b")
_SORT_CODE = re.compile(r"\b\d{2}-\d{2}-\d{2}\b")


def mask_personal_data(text: str, names: list[str] | None = None) -> str:
    """Mask e-mail addresses, card, account and phone numbers, sort codes, and the ``names``
    a project lists (staff or customer names, matched as whole words in any case; a name
    written in Chinese characters wherever it appears)."""
    # The labels are in the report's language ("[phone]", "[电话]").
    phone, name_label = _("[phone]"), _("[name]")
    text = _EMAIL.sub(_("[email]"), text)
    text = _CN_MOBILE.sub(phone, text)
    text = _CARD.sub(_("[card number]"), text)
    account = _("[account number]")
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}{m.group(2)}{account}", text)
    text = _PHONE.sub(phone, text)
    text = _SORT_CODE.sub(_("[sort code]"), text)
    for name in names or []:
        if name.strip():
            words = r"\s+".join(re.escape(w) for w in name.split())
            if _CJK.search(name):      # Chinese names sit between other characters
                text = re.sub(words, name_label, text)
            else:
                text = re.sub(rf"(?<!\w){words}(?!\w)", name_label, text, flags=re.IGNORECASE)
    return text
