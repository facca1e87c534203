"""Mask personal data in customer text before it reaches a report.

Every quoted comment — survey verbatims in the report, the deck and the JSON output, and
mystery-shop comments on scoresheets and location reports — goes through
:func:`mask_personal_data`. Each rule below replaces the sensitive part with a bracketed
label in the report's language (``[phone]``, ``[电话]``) and leaves the words around it;
docs/security.md lists the rules with examples, and tests/test_masking_rules.py holds them
case by case in both directions.

- **E-mail addresses**, Unicode local parts and internationalised domains included
  (``jörg@müller.de``, ``用户@例子.中国``, a full-width ``＠``), and the common obfuscated
  forms (``jo (at) example (dot) com``, ``jo dot smith at example dot com``).
- **IBANs** (ISO 13616): two letters, two check digits and 11–30 letters or digits,
  compact or in groups, kept only when the mod-97 check holds. Labelled as account numbers.
- **Numbers after a keyword**: account (``account``, ``acct``, ``a/c``, ``acc. no``,
  ``konto``, ``账号``…), sort code, card (``card``, ``卡号``…) and phone (``phone``,
  ``tel``, ``mobile``, ``call me on``, ``电话``, ``手机``…) keywords, followed by optional
  ``number``/``no.``/``#``/``is``/``was``/``:``, then a number of at least 6 digits
  (7 for phones) written with any separators.
- **Numbers on their own**, judged on their digit groups (a group is a run of digits;
  groups are joined by up to three separators — space, dot, hyphen or their Unicode
  cousins):
  international phones (``+`` or ``00`` then 8–15 digits); card numbers (13–19 digits in
  groups of at least three, not starting with 0, that pass the Luhn check or are four
  groups of four — not a run of years); Chinese mobiles (11 digits from ``13``–``19``); North-American phones
  (``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``, with an optional leading 1);
  national numbers with a trunk 0 (10–12 digits: ``020 7946 0958``, ``07700 900123``,
  ``021-60001234``); and sort codes written ``12-34-56``.
- **Card security codes** after ``CVV``/``CVC``/``security code`` (3–4 digits).
- **Names** the project lists: whole words in any case, with any spacing and either
  apostrophe; a name in Chinese characters wherever it appears.

Chinese text has no spaces, so a number or a name often touches a Chinese character
(手机13800001234, 店员张伟很热情). Boundaries are therefore drawn against Latin letters
and digits only, never against CJK characters.

Not masked: a number glued to Latin letters (``V-W1-0003``, ``AB1234567890123``), counts,
amounts, dates with a four-digit year, times, versions, a dotted or spaced ``12.03.26``
without a sort-code keyword (a date), 13–19 digit codes that fail the card checks (ISBN,
EAN), and IBAN-shaped codes that fail mod-97.

Speed: text without a digit, ``@`` or ``dot``/``(at)`` only meets the name pattern; each
pattern is linear in the text (bounded repetitions, no nested ambiguity).
"""

from __future__ import annotations

import functools
import re

from cxreport.i18n import _

# --------------------------------------------------------------------------- character classes

#: CJK characters (radicals, kana, bopomofo, ideographs, hangul): never a word boundary.
_CJK = r"\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
#: A letter or digit of a non-CJK script (Latin, Cyrillic, Greek…).
_ALNUM = rf"[^\W_{_CJK}]"
#: Separators inside a written number: space, tab, dot, hyphen and their Unicode cousins
#: (no-break and thin spaces, en/em dashes, minus, ideographic space, full-width forms).
_SEP = r"[ \t.\-\u00a0\u2007\u2009\u202f\u2010-\u2015\u2212\u3000\uff0d\uff0e]"

# --------------------------------------------------------------------------- e-mail addresses

_LOCAL_CHAR = rf"(?:[^\W{_CJK}]|[.%+'’!#$&*=?^`{{|}}~/\-])"
#: A local part: Latin-script characters (not starting inside another such run), or a run
#: of CJK characters.
_LOCAL = rf"(?:(?<!{_LOCAL_CHAR})[^\W{_CJK}]{_LOCAL_CHAR}*|(?<![{_CJK}])[{_CJK}]+)"
_LABEL = rf"(?:{_ALNUM}(?:{_ALNUM}|-)*|[{_CJK}]+)"
_TLD = rf"(?:[^\W\d_{_CJK}]{{2,}}|xn--[A-Za-z0-9\-]+|[{_CJK}]+)"
_EMAIL = re.compile(rf"{_LOCAL}[@＠](?:{_LABEL}\.){{1,8}}{_TLD}")

_AT_WORD = r"(?:\s*[\[(（{]\s*(?:[Aa][Tt]|@)\s*[\])）}]\s*|\s+[Aa][Tt]\s+)"
_DOT_WORD = r"(?:\s*[\[(（{]\s*[Dd][Oo][Tt]\s*[\])）}]\s*|\s+[Dd][Oo][Tt]\s+)"
_WORD = rf"{_ALNUM}(?:[^\W{_CJK}]|[%+\-])*"
#: Obfuscated: ``jo (at) example (dot) com``, ``jo dot smith at example dot com``.
_EMAIL_SPELLED = re.compile(
    rf"(?<!{_LOCAL_CHAR}){_WORD}(?:(?:{_DOT_WORD}|\.){_WORD}){{0,4}}"
    rf"(?P<at>{_AT_WORD}|[ \t]?[@＠][ \t]?)"
    rf"(?P<domain>{_WORD}(?:(?:{_DOT_WORD}|\.){_WORD}){{0,5}}(?:{_DOT_WORD}|\.)[^\W\d_{_CJK}]{{2,24}})(?!{_ALNUM})")
_DOT_WORD_RE = re.compile(_DOT_WORD)
_SPELLED_HINT = re.compile(r"(?i)\bdot\b|[\[(（{]\s*at\s*[\])）}]")

# --------------------------------------------------------------------------- IBANs

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-\u00a0]?[A-Za-z0-9]){11,30}")
_IBAN_GROUP = re.compile(r"[A-Za-z0-9]+")

# --------------------------------------------------------------------------- numbers

#: A written number: optional ``+``, digit groups (a group may sit in brackets) joined by
#: up to three separators. Matched whole; :func:`_mask_number` decides what it is.
_JOIN = rf"(?:(?![.．。][\s\u00a0\u3000]){_SEP}){{1,3}}"      # ". " ends a sentence, not a group
_NUMBER = re.compile(rf"(?<!\d)(?:[(（]?[+＋]{_SEP}?)?[(（]?\d+[)）]?(?:(?:{_JOIN}|(?<=[)）])|(?=[(（]))[(（]?\d+[)）]?)*")
_DIGITS = re.compile(r"\d+")
_GLUE = re.compile(r"[A-Za-z0-9_]")

#: A keyword right before a number (``my account number is``, ``sort code:``, ``手机：``).
_KEYWORD = re.compile(r"""(?ix)
    (?:
      (?P<sort>(?<![a-z])sort[\s\-]?code|(?<![a-z])s/c\b|银行代码)
    | (?P<account>(?<![a-z])(?:bank\s+)?(?:account|acct|acc|a/c|konto(?:nummer)?|kto|iban)(?![a-z])
                 |账号|账户|帐号|帐户)
    | (?P<card>(?<![a-z])(?:card|mastercard|visa|amex)(?![a-z])
              |卡号|银行卡|信用卡|借记卡|卡)
    | (?P<phone>(?<![a-z])(?:phone|telephone|tel|mobile|mob|cell(?:phone)?|landline|whats\s?app|fax
                           |(?:call|ring|text|contact|reach)\s+(?:me|us)(?:\s+(?:on|at))?|my\s+number)(?![a-z])
               |电话|手机|联系方式)
    )
    (?:\s*(?:(?:number|num|no|nr|is|was|ending(?:\s+in)?|details)(?![a-z])|n[o°º]\.?|[\#:：=.\-–]|是|为|為|号码|号))*
    \s*$""")
#: Fewest digits a keyword number must have, by keyword.
_KEYWORD_MIN = {"sort": 6, "account": 6, "card": 6, "phone": 7}
#: A card's security code: ``CVV 123``, ``security code: 4567``.
_CVV = re.compile(r"(?i)(?<![a-z])((?:cvv2?|cvc2?|cv2|csc|security\s+code)(?:\s*(?:number|no|is|was)(?![a-z])|\s*[:：#=\-])*\s*)"
                  r"\d{3,4}(?!\d)")
_CVV_HINT = re.compile(r"(?i)cv|csc|security\s+code")


def _label(kind: str) -> str:
    # Literal msgids, so the catalog extractor sees them; the labels are in the report's
    # language ("[phone]", "[电话]").
    if kind == "phone":
        return _("[phone]")
    if kind == "name":
        return _("[name]")
    if kind == "email":
        return _("[email]")
    if kind == "card":
        return _("[card number]")
    if kind == "account":
        return _("[account number]")
    if kind == "sort":
        return _("[sort code]")
    raise ValueError(kind)


def mask_personal_data(text: str, names: list[str] | None = None) -> str:
    """Mask e-mail addresses, IBANs, card, account and phone numbers, sort codes, and the
    ``names`` a project lists (matched as whole words in any case; a name written in
    Chinese characters wherever it appears). See the module docstring for the rules."""
    if not text:
        return text
    if "@" in text or "＠" in text:
        text = _EMAIL.sub(lambda m: _label("email"), text)
    if _SPELLED_HINT.search(text):
        text = _EMAIL_SPELLED.sub(_spelled_email, text)
    if _DIGITS.search(text):
        text = _mask_ibans(text)
        text = _NUMBER.sub(_mask_number, text)
        if _CVV_HINT.search(text):
            text = _CVV.sub(lambda m: m.group(1) + _label("card"), text)
    if names:
        pattern = _names_pattern(tuple(names))
        if pattern is not None:
            text = pattern.sub(lambda m: _label("name"), text)
    return text


# --------------------------------------------------------------------------- e-mail


def _spelled_email(m: re.Match) -> str:
    """An address with a spelled-out ``at`` or ``dot``; "shop at amazon.com" (a plain
    "at" and only real dots) is a phrase, not an address."""
    at, domain = m.group("at"), m.group("domain")
    spelled_dot = _DOT_WORD_RE.search(domain) is not None
    if "@" in at or "＠" in at:
        return _label("email") if spelled_dot else m.group(0)
    if at.strip().lower() == "at":
        return _label("email") if spelled_dot else m.group(0)
    return _label("email")                                   # (at), [at]


# --------------------------------------------------------------------------- IBAN


def _iban_valid(code: str) -> bool:
    code = code.upper()
    if not (15 <= len(code) <= 34 and code[:2].isalpha() and code[2:4].isdigit()):
        return False
    if code[2:4] in ("00", "01", "99"):
        return False
    rearranged = code[4:] + code[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _mask_ibans(text: str) -> str:
    out, last, pos = [], 0, 0
    while True:
        m = _IBAN.search(text, pos)
        if m is None:
            break
        # The longest run of whole groups (ending before a letter or digit) that checks out.
        groups = list(_IBAN_GROUP.finditer(m.group(0)))
        end = None
        for k in range(len(groups), 0, -1):
            stop = m.start() + groups[k - 1].end()
            if stop < len(text) and text[stop].isascii() and text[stop].isalnum():
                continue
            if _iban_valid("".join(g.group(0) for g in groups[:k])):
                end = stop
                break
        if end is None:
            pos = m.start() + 1
            continue
        out.append(text[last:m.start()])
        out.append(_label("account"))
        last = pos = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# --------------------------------------------------------------------------- numbers


class _Group:
    """One run of digits in a written number: its digits, where it sits in the number
    (with its brackets when they pair up) and what separates it from the group before."""

    __slots__ = ("digits", "start", "end", "sep", "bracketed")

    def __init__(self, digits: str, start: int, end: int, sep: str, bracketed: bool):
        self.digits, self.start, self.end, self.sep, self.bracketed = digits, start, end, sep, bracketed


def _groups(blob: str) -> list[_Group]:
    out: list[_Group] = []
    prev_end = 0
    for g in _DIGITS.finditer(blob):
        start, end = g.start(), g.end()
        bracketed = (start > 0 and blob[start - 1] in "(（" and end < len(blob) and blob[end] in ")）")
        if bracketed:
            start, end = start - 1, end + 1
        sep = blob[prev_end:start]
        out.append(_Group(g.group(0), start, end, sep, bracketed))
        prev_end = end
    return out


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits[:2] in ("19", "20")


def _card(gs: list[_Group], i: int) -> int | None:
    """Longest window from group i that is a card number: 13–19 digits in groups of at
    least three, not starting with 0 (no card scheme does), Luhn-valid or four groups of
    four; a run of years is not a card."""
    found, digits = None, ""
    for j in range(i, len(gs)):
        if len(gs[j].digits) < 3 or gs[j].bracketed or (j == i and gs[j].digits[0] == "0"):
            break
        digits += gs[j].digits
        if len(digits) > 19:
            break
        if len(digits) >= 13:
            window = gs[i:j + 1]
            if all(_is_year(g.digits) for g in window):          # 2023 2024 2025 2026
                continue
            if (len(window) == 4 and all(len(g.digits) == 4 for g in window)) or _luhn(digits):
                found = j
    return found


def _international(gs: list[_Group], i: int, plus: bool) -> int | None:
    """``+44 20 7946 0958``, ``+1 (555) 123-4567``, ``0044 20 7946 0958``: the longest
    window of 8–15 digits after the ``+`` or ``00``."""
    digits = ""
    if not plus:
        if not gs[i].digits.startswith("00") or gs[i].bracketed:
            return None
        if len(gs[i].digits) == 2:
            if i + 1 >= len(gs) or gs[i + 1].digits[:1] in ("", "0"):
                return None
        elif gs[i].digits[2] == "0":
            return None
    found = None
    for j in range(i, len(gs)):
        digits += gs[j].digits
        count = len(digits) - (0 if plus else 2)
        if count > 15:
            break
        if count >= 8:
            found = j
    return found


def _cn_mobile(gs: list[_Group], i: int) -> int | None:
    digits = ""
    for j in range(i, len(gs)):
        if len(gs[j].digits) < 3 or gs[j].bracketed:
            return None
        digits += gs[j].digits
        if len(digits) == 11:
            return j if digits[0] == "1" and digits[1] in "3456789" else None
        if len(digits) > 11:
            return None
    return None


def _north_american(gs: list[_Group], i: int) -> int | None:
    """(555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199."""
    k = i
    if gs[k].digits == "1" and not gs[k].bracketed and k + 1 < len(gs):
        k += 1
    if k + 1 >= len(gs):
        return None
    area = gs[k]
    if len(area.digits) != 3 or area.digits[0] in "01":
        return None
    rest = [g.digits for g in gs[k + 1:k + 3]]
    if len(rest) >= 2 and len(rest[0]) == 3 and len(rest[1]) == 4 and not any(g.bracketed for g in gs[k + 1:k + 3]):
        return k + 2
    if area.bracketed and len(rest[0]) == 7:                   # (555) 1234567
        return k + 1
    return None


def _national(gs: list[_Group], i: int) -> int | None:
    """A trunk 0 and 10–12 digits in groups of at least two: 020 7946 0958, 07700 900123,
    (020) 7946 0018, 021-60001234, 0755-1234 5678, 01 23 45 67 89."""
    first = gs[i].digits
    if not first.startswith("0") or first.startswith("00") or len(first) < 2:
        return None
    found, digits = None, ""
    for j in range(i, len(gs)):
        if len(gs[j].digits) < 2 or (gs[j].bracketed and j > i):
            break
        digits += gs[j].digits
        if len(digits) > 12:
            break
        if len(digits) >= 10:
            found = j
    return found


_HYPHENS = ("-", "\u2010", "\u2011", "\u2012", "\u2013", "\uff0d")


def _sort_code(gs: list[_Group], i: int) -> int | None:
    """12-34-56 (hyphens: dotted or spaced pairs are dates and counts)."""
    if i + 2 >= len(gs):
        return None
    window = gs[i:i + 3]
    if any(len(g.digits) != 2 or g.bracketed for g in window):
        return None
    if any(g.sep not in _HYPHENS for g in window[1:]):
        return None
    if i + 3 < len(gs) and gs[i + 3].sep in _HYPHENS:                     # 12-34-56-78
        return None
    return i + 2


def _looks_like_date(gs: list[_Group]) -> bool:
    """12.03.2026, 12-03-2026, 2026-03-12 (a four-digit year, a real day and month): a
    date after a keyword ("account: 12.03.2026") is not a number to mask."""
    if len(gs) != 3 or any(len(g.digits) > 4 for g in gs):
        return False
    a, b, c = (int(g.digits) for g in gs)
    if len(gs[2].digits) == 4 and 1900 <= c <= 2099:
        return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
    if len(gs[0].digits) == 4 and 1900 <= a <= 2099:
        return 1 <= b <= 12 and 1 <= c <= 31
    return False


def _plus_lead(blob: str, gs: list[_Group]) -> int:
    """Where the mask of a ``+`` number starts: at the ``+``, or at the bracket before it
    when the bracket closes after the country code ("(+44) 20 …"), not otherwise
    ("(+44 20 7946 0958)" keeps its brackets)."""
    if blob[:1] not in "(（":
        return 0
    return 0 if blob[gs[0].end:gs[0].end + 1] in (")", "）") else 1


def _mask_number(m: re.Match) -> str:
    """A written number (a match of ``_NUMBER``) with its masked parts replaced."""
    blob = m.group(0)
    if len(blob) < 6:                         # no rule masks fewer than six digits
        return blob
    gs = _groups(blob)
    total = sum(len(g.digits) for g in gs)
    text, start, end = m.string, m.start(), m.end()

    # A keyword right before the number decides what it is.
    if total >= 6:
        before = text[max(0, start - 48):start]
        kw = _KEYWORD.search(before) if before else None
        if kw is not None:
            kind = kw.lastgroup or ""
            if total >= _KEYWORD_MIN.get(kind, 99) and not _looks_like_date(gs):
                first, last = gs[0], gs[-1]
                lead = _plus_lead(blob, gs) if blob.lstrip("(（")[:1] in ("+", "＋") else first.start
                return blob[:lead] + _label(kind) + blob[last.end:]

    # Otherwise the digit groups: a window of groups may start at the number's first
    # group, after a separator with a space in it, or right after a masked window; it
    # may not take a group glued to a Latin letter or digit ("W1-0003", "0958abc").
    plus = blob.lstrip("(（")[:1] in ("+", "＋")                # +44 …, (+44) …
    plus_lead = _plus_lead(blob, gs) if plus else 0
    glued_left = start > 0 and _GLUE.match(text[start - 1]) is not None and not plus and blob[:1] not in "(（"
    glued_right = end < len(text) and _GLUE.match(text[end]) is not None
    usable = len(gs) - (1 if glued_right and not gs[-1].bracketed else 0)
    pieces: list[str] = []
    cursor = 0                                 # position in blob copied up to
    i = 1 if glued_left else 0
    can_start = not glued_left
    window = gs[:usable]
    while i < usable:
        g = gs[i]
        if not can_start and not any(c.isspace() for c in g.sep):
            i += 1
            continue
        kind, j = None, None
        if i == 0 and plus:
            j, kind = _international(window, i, True), "phone"
        if j is None:
            j, kind = _international(window, i, False), "phone"
        if j is None:
            j, kind = _card(window, i), "card"
        if j is None:
            j, kind = _cn_mobile(window, i), "phone"
        if j is None:
            j, kind = _north_american(window, i), "phone"
        if j is None:
            j, kind = _national(window, i), "phone"
        if j is None:
            j, kind = _sort_code(window, i), "sort"
        if j is None:
            i += 1
            can_start = False
            continue
        lead = plus_lead if (i == 0 and plus) else g.start
        pieces.append(blob[cursor:lead])
        pieces.append(_label(kind))
        cursor = gs[j].end
        i = j + 1
        can_start = True
    if not pieces:
        return blob
    pieces.append(blob[cursor:])
    return "".join(pieces)


# --------------------------------------------------------------------------- names


@functools.lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One pattern for a project's names, longest first. Latin-script names match whole
    words (not inside another Latin word, but next to a Chinese character), in any case,
    with any whitespace between the words and either apostrophe; a name with Chinese
    characters matches wherever it appears."""
    latin, cjk = [], []
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        words = r"\s+".join(re.escape(w) for w in name.split())
        words = re.sub(r"['’‘]", "['’‘]", words)
        (cjk if _CJK_CHAR.search(name) else latin).append(words)
    parts = []
    if latin:
        parts.append(rf"(?<![^\W{_CJK}])(?:{'|'.join(latin)})(?![^\W{_CJK}])")
    parts.extend(cjk)
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)
