"""Mask personal data in customer text before it reaches a report.

E-mail addresses, card numbers (13–19 digits, spaced or not), phone numbers and account
numbers are replaced by a bracketed label. Masking is always on for quoted comments.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s\-]?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s\-]?\d{3,4}[\s\-]?\d{3,4}\b")
_ACCOUNT = re.compile(r"(?i)\b(account|acct|a/c)(\s*(?:no\.?|number|#)?\s*:?\s*)\d{6,12}\b")
_SORT_CODE = re.compile(r"\b\d{2}-\d{2}-\d{2}\b")


def mask_personal_data(text: str, names: list[str] | None = None) -> str:
    """Mask e-mail addresses, card, account and phone numbers, sort codes, and the ``names``
    a project lists (staff or customer names, matched as whole words in any case)."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub("[card number]", text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}{m.group(2)}[account number]", text)
    text = _PHONE.sub("[phone]", text)
    text = _SORT_CODE.sub("[sort code]", text)
    for name in names or []:
        if name.strip():
            words = r"\s+".join(re.escape(w) for w in name.split())
            text = re.sub(rf"(?<!\w){words}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text
