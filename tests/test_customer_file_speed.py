"""The customer file's fast CSV path (cxreport.load.customers._fast_csv, Arrow's CSV reader)
reads every file exactly as cxreport.load.tabular.read_table does — same cells, column names,
row labels and row numbers — or hands the file back to read_table, so results and messages
are the same either way (issue 16; benchmarks/bench_customer_file.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxreport.errors import DataError
from cxreport.load import customers as loader
from cxreport.load.tabular import read_table

HEAD = "cust,days,n_tx,spend,tenure,tier,churned\n"
ROWS = ["C1,3,2,10.5,1,Gold,yes", "C2,30,1,99,4,Silver,no", "C3,300,7,5,2,Bronze,no"]

#: name → (file bytes, whether the fast path must read it itself)
FILES = {
    "plain": ((HEAD + "\n".join(ROWS) + "\n").encode(), True),
    "crlf": ((HEAD + "\n".join(ROWS) + "\n").replace("\n", "\r\n").encode(), True),
    "bom": (b"\xef\xbb\xbf" + (HEAD + "\n".join(ROWS) + "\n").encode(), True),
    "semicolon": ((HEAD + "\n".join(ROWS) + "\n").replace(",", ";").encode(), True),
    "tab": ((HEAD + "\n".join(ROWS) + "\n").replace(",", "\t").encode(), True),
    "quoted": ((HEAD + 'C1,3,2,"1,000.5",1,"Gold ""plus""",yes\n" C2 ",30,1,99,4,"two\nlines",no\n'
                "C3,300,7,5,2,,no\n").encode(), True),
    "chinese": (("客户,天数,次数,金额,年限,等级,流失\n" "客户一,3,2,10,1,金卡,是\n" "客户二,5,1,20,2,银卡,否\n").encode(), True),
    "blank record rows": ((HEAD + ROWS[0] + "\n,,,,,,\n" + ROWS[1] + "\n,,,,,,\n" + ROWS[2] + "\n").encode(), True),
    "blank header name": ((HEAD.replace("tenure", "") + "\n".join(ROWS) + "\n").encode(), True),
    "spaces around names": ((HEAD.replace("cust,", " cust ,") + "\n".join(ROWS) + "\n").encode(), True),
    "quote inside a field": ((HEAD + 'C1,3,2,10,1,Go"ld,yes\n' + ROWS[1] + "\n").encode(), True),
    "many lines": ((HEAD + "".join(f"C{i},{i % 90},{1 + i % 7},{i * 1.5},{i % 9},Gold,no\n"
                                   for i in range(3000))).encode(), True),
    "blank line": ((HEAD + ROWS[0] + "\n\n" + ROWS[1] + "\n\r\n" + ROWS[2] + "\n").encode(), True),
    "unnamed collision": ((HEAD.replace("tenure", "").replace("tier", "Unnamed: 4") + "\n".join(ROWS) + "\n").encode(),
                          False),
    "quote after a quoted start": ((HEAD + '"ab"cd,3,2,10,1,Gold,yes\n"C1" ,3,2,10,1,Gold,yes\n').encode(), True),
    "lone CR line ends": ((HEAD + 'C1,3,2,10,1,"Gold",yes\r\rC2,3,2,10,1,x,y\r').encode(), True),
    # Handed back to read_table:
    "quote never closed": ((HEAD + ROWS[0] + '\nC2,30,1,99,4,Silver,"no\n').encode(), False),
    "quoted line end at the very end": ((HEAD + ROWS[0] + '\nC2,30,1,99,4,Silver,"no\n"\n').encode(), False),
    "zero byte": ((HEAD + "".join(f"C{i},3,2,10,1,Gold,no\n" for i in range(400)) + "C9,3,2,1\x00,1,x,y\n").encode(),
                  False),
    "short row": ((HEAD + ROWS[0] + "\nC2,30,1\n" + ROWS[2] + "\n").encode(), False),
    "no final line end": ((HEAD + "\n".join(ROWS)).encode(), False),
    "cut off": ((HEAD + ROWS[0] + "\nC2,30,1,").encode(), False),
    "long row": ((HEAD + ROWS[0] + ",extra\n").encode(), False),
    "duplicate header": ((HEAD.replace("tenure", "spend") + "\n".join(ROWS) + "\n").encode(), False),
    "cp1252": ((HEAD + "Café,3,2,10,1,Gold,yes\n").encode("cp1252"), False),
    "utf-16": ((HEAD + "\n".join(ROWS) + "\n").encode("utf-16"), False),
    "header only": (HEAD.encode(), False),
    "only blank records": ((HEAD + ",,,,,,\n").encode(), False),
    "cell too long": ((HEAD + "C1,3,2,10,1," + "x" * 40_000 + ",yes\n").encode(), False),
    "first lines over 64 KB": ((HEAD + "".join(f"C{i},3,2,10,1,{'y' * 5000},no\n" for i in range(30))).encode(),
                               False),
}



@pytest.fixture(autouse=True)
def _fast_path_for_small_files(monkeypatch):
    """The builds take the fast path only for large files (FAST_MIN_BYTES); these tests compare the
    two readers on small ones."""
    monkeypatch.setattr(loader, "FAST_MIN_BYTES", 0)


def _frame_of(path: Path):
    try:
        return read_table(path, name=path.name, format="csv"), None
    except DataError as exc:
        return None, str(exc)


@pytest.mark.parametrize("case", list(FILES))
def test_the_fast_path_reads_what_read_table_reads_or_hands_the_file_back(tmp_path, case):
    data, fast_expected = FILES[case]
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    fast = loader._fast_csv(path, path.name, "csv", "auto", None)
    assert (fast is not None) == fast_expected
    if fast is None:
        return
    slow, error = _frame_of(path)
    assert error is None
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert list(fast.frame.index) == list(slow.frame.index)
    assert fast.first_data_row == slow.first_data_row
    for column in slow.frame.columns:
        assert fast.frame[column].tolist() == slow.frame[column].astype(str).tolist(), column
    assert loader._fast_csv(path, path.name, "csv", "cp1252", None) is None     # an explicit encoding: read_table


COLUMNS = loader.CustomerColumns("cust", recency="days", frequency="n_tx", monetary="spend", tenure="tenure",
                                 value_tier="tier", churned="churned")
TX_HEAD = "member,day,amount,tier\n"
HOSTILE = {
    "bad monetary after blank records": HEAD + ROWS[0] + "\n,,,,,,\n,,,,,,\nC2,30,1,lots,4,Silver,no\n",
    "blank id": HEAD + ROWS[0] + "\n,30,1,99,4,Silver,no\n",
    "repeated id": HEAD + ROWS[0] + "\n" + ROWS[0] + "\n",
    "negative frequency": HEAD + "C1,3,-2,10,1,Gold,yes\n",
    "bad churn word": HEAD + "C1,3,2,10,1,Gold,maybe\n",
    "bad tenure": HEAD + "C1,3,2,10,old,Gold,yes\n",
    "quote never closed": HEAD + ROWS[0] + '\nC2,30,1,99,4,Silver,"no\n',
    "bad cell after a quoted line break": HEAD + 'C1,3,2,10,1,"Gold\nplus",yes\nC2,3,x,10,1,Gold,yes\n',
    "cell too long": HEAD + "C1,3,2,10,1," + "x" * 40_000 + ",yes\n",
    "short row": HEAD + ROWS[0] + "\nC2,30\n",
    "blank line then a bad cell": HEAD + ROWS[0] + "\n\nC2,30,1,lots,4,Silver,no\n",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_messages_are_the_same_with_and_without_the_fast_path(tmp_path, monkeypatch, case):
    path = tmp_path / "customers.csv"
    path.write_text(HOSTILE[case], encoding="utf-8")
    with pytest.raises(DataError) as fast:
        loader.read_customers(path, COLUMNS)
    monkeypatch.setattr(loader, "_fast_csv", lambda *a: None)
    with pytest.raises(DataError) as slow:
        loader.read_customers(path, COLUMNS)
    assert str(fast.value) == str(slow.value)


def test_rows_are_the_files_own_after_wholly_blank_rows(tmp_path, monkeypatch):
    """The bad cell is on line 5 of the file (header on line 1), whichever reader is used:
    rows are numbered by the frame's labels, not by position after the blank rows."""
    path = tmp_path / "customers.csv"
    path.write_text(HOSTILE["bad monetary after blank records"], encoding="utf-8")
    assert HOSTILE["bad monetary after blank records"].splitlines()[4].startswith("C2,30,1,lots")
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(loader, "_fast_csv", lambda *a: None)
        with pytest.raises(DataError, match=r"\(monetary\) is blank, not a number or negative on 1 row: 5$"):
            loader.read_customers(path, COLUMNS)
    path.write_text(HEAD + ROWS[0] + "\n,,,,,,\n" + ROWS[1] + "\n" + ROWS[2] + "\n", encoding="utf-8")
    assert loader.read_customers(path, COLUMNS).customers["row"].tolist() == [2, 4, 5]


def test_both_layouts_give_the_same_customer_file_either_way(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    n = 2000
    cust = pd.DataFrame({"cust": [f" C{i} " if i % 97 == 0 else f"C{i}" for i in range(n)],
                         "days": rng.integers(0, 400, n), "n_tx": rng.integers(1, 9, n),
                         "spend": np.round(rng.normal(200, 80, n), 2), "tenure": rng.integers(0, 12, n),
                         "tier": rng.choice(["Gold", "Silver", ""], n),
                         "churned": rng.choice(["yes", "no", "1", ""], n)})
    cpath = tmp_path / "customers.csv"
    cust.to_csv(cpath, index=False)
    m = 9000
    who = rng.integers(0, 1500, m)
    tx = pd.DataFrame({"member": [f"M{w}" if w % 50 else f" M{w}" for w in who],
                       "day": [f"2026-{1 + d % 9:02d}-{1 + d % 27:02d}" for d in rng.integers(0, 300, m)],
                       "amount": np.round(rng.normal(40, 30, m), 2).astype(str),
                       "tier": rng.choice(["", "Gold", "Silver"], m)})
    tx.loc[::401, "day"] = "someday"
    tx.loc[::333, "amount"] = ""
    tx.loc[::777, "member"] = ""
    tpath = tmp_path / "tx.csv"
    tx.to_csv(tpath, index=False)
    tcols = loader.CustomerColumns("member", date="day", amount="amount", value_tier="tier")

    def both():
        c = loader.read_customers(cpath, COLUMNS)
        t = loader.read_customers(tpath, tcols, layout="transactions")
        return c, t

    fast = both()
    monkeypatch.setattr(loader, "_fast_csv", lambda *a: None)
    slow = both()
    for f, s in zip(fast, slow):
        pd.testing.assert_frame_equal(f.customers, s.customers)
        assert f.excluded == s.excluded and f.examples == s.examples and f.rows_read == s.rows_read
    pd.testing.assert_frame_equal(fast[1].transactions, slow[1].transactions)
    # Independently: one customer per stripped id in order of first usable transaction,
    # its first non-blank tier.
    t = tx.assign(member=tx["member"].str.strip(), row=np.arange(2, m + 2))
    usable = ((t["member"] != "") & (t["day"] != "someday")
              & pd.to_numeric(t["amount"], errors="coerce").notna())
    t = t[usable]
    order = pd.unique(t["member"])
    first_tier = t[t["tier"].fillna("") != ""].groupby("member", sort=False)["tier"].first()
    got = fast[1].customers
    assert got["customer_id"].tolist() == list(order)
    assert got["row"].tolist() == t.groupby("member", sort=False)["row"].first().reindex(order).tolist()
    assert got["value_tier"].tolist() == first_tier.reindex(order).fillna("").tolist()
    assert fast[0].customers["customer_id"].tolist() == cust["cust"].str.strip().tolist()
