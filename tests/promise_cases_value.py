"""Hostile projects and reasons for the customer value sites (issue 16, item 6): registered by
tests/test_validate_promise.py (``register(ns)``)."""

from __future__ import annotations

V = "cxreport/scoring/value.py:"

#: The promise project's respondent ids are R0000 … R0239 (ns.DATA).
CUSTOMERS_CSV = "cust,days,n_tx,spend\n" + "".join(
    f"R{i:04d},{1 + i % 90},{1 + i % 12},{10 + (i * 37) % 500}\n" for i in range(240))
CUSTOMERS = {"file": "data/customers.csv",
             "columns": {"customer_id": "cust", "recency": "days", "frequency": "n_tx", "monetary": "spend"}}
TRANSACTIONS = {"file": "data/tx.csv", "layout": "transactions",
                "columns": {"customer_id": "cust", "date": "day", "amount": "amount"}}


def _tx(amount: str = "{a}") -> str:
    return "cust,day,amount\n" + "".join(
        f"R{i:04d},2026-0{1 + i % 9}-1{i % 10},{amount.format(a=5 + i % 40)}\n" for i in range(240))


def register(ns):
    Case = ns.Case
    refunds_only = _tx("-{a}")
    cases = {
        V + "study_value:customers: scores by customer value need columns.n": Case(
            {"columns": {"nps": None, "csat": None}, "customers": CUSTOMERS},
            "customers: scores by customer value need columns.nps or columns.csat",
            {"data/customers.csv": CUSTOMERS_CSV}),
        V + "study_value:{}: {}{}": Case(
            {"customers": TRANSACTIONS}, "data/tx.csv: RFM: no purchases in the window (only refunds)",
            {"data/tx.csv": refunds_only}),
        V + "study_value:customers.columns.customer_id: no survey responden": Case(
            {"customers": CUSTOMERS}, "customers.columns.customer_id: no survey respondent matches a customer of "
                                      "data/customers.csv",
            {"data/customers.csv": CUSTOMERS_CSV.replace("\nR", "\nC")}),
        V + "rfm_from_transactions:RFM: no transactions in the window": Case(
            {"customers": {**TRANSACTIONS, "as_of": "2025-06-30"}},
            "data/tx.csv: RFM: no transactions in the window (customers.as_of and customers.window_days)",
            {"data/tx.csv": _tx()}),
        V + "rfm_from_transactions:RFM: no purchases in the window (only refunds)": Case(
            {"customers": {**TRANSACTIONS, "window_days": 30}},
            "data/tx.csv: RFM: no purchases in the window (only refunds)", {"data/tx.csv": refunds_only}),
    }
    loader = ("the loader (cxreport/load/customers.py) reads and checks the file first and stops with a message "
              "naming the file, column and rows (tests/test_value_section.py)")
    step = "the study step (scoring/value.py:study_value) passes one aligned value per respondent"
    unreachable = {
        V + "quintile_scores:RFM: a value to rank is blank or not a number":
            "the ranked values are checked first (the loader for the customers layout, rfm_from_fields and "
            "rfm_from_transactions' own checks)",
        V + "_ids:RFM: {} blank {}{} (position{} {})": "blank customer ids: " + loader,
        V + "rfm_from_fields:RFM: no customers": "a customers file without data rows: " + loader
                                                  + " (read_table: no data rows)",
        V + "rfm_from_fields:RFM: {}": "repeated customer ids: " + loader,
        V + "rfm_from_fields:RFM: {} has {} values for {} customers": "the loader builds the columns from one frame",
        V + "rfm_from_fields:RFM: {} is blank, negative or not a number for {} ": "bad recency, frequency or "
                                                                                  "monetary cells: " + loader,
        V + "_score:RFM: the value tier's share must be between 0 and ":
            "customers.top_share is checked by the project schema (0 < top_share < 1)",
        V + "rfm_from_transactions:RFM: the transaction id, date and amount columns d":
            "the loader builds the three columns from one frame",
        V + "rfm_from_transactions:RFM: no transactions": "a transactions file without a usable row: " + loader
                                                          + " ('no usable transactions')",
        V + "rfm_from_transactions:RFM: {} transactions without a date": "rows with unreadable dates are excluded "
                                                                         "and named by the loader",
        V + "rfm_from_transactions:RFM: {} transactions without a numeric amount":
            "rows with an amount that is not a number are excluded and named by the loader",
        V + "rfm_from_transactions:RFM: the window must be at least one day, not {}":
            "customers.window_days is checked by the project schema (≥ 1)",
        V + "rfm_from_transactions:RFM: transactions with a blank customer id":
            "rows with a blank customer id are excluded and named by the loader",
        V + "join_customers:customer file: {}": "repeated customer ids: " + loader + "; the transactions layout "
                                                 "has one row per customer by construction",
        V + "_weights:weights: {} values for {} respondents": step,
        V + "_groups:segment: {} values for {} respondents": step,
        V + "_valid_nps:NPS: {} values for {} respondents": step,
        V + "_valid_nps:NPS: answers must be 0–10 (invalid answers are rem":
            "validation removes NPS answers outside 0–10 before scoring",
        V + "_top2:CSAT: {} values for {} respondents": step,
        V + "_top2:CSAT: the scale {}–{} has no top two boxes":
            "the study step leaves CSAT out when its scale has fewer than three points",
        V + "_top2:CSAT: answers must be {}–{} (invalid answers are r":
            "validation removes CSAT answers outside the scale before scoring",
        V + "scores_by_segment:scores by segment: neither NPS nor CSAT answers gi":
            "the study step stops earlier with 'customers: scores by customer value need columns.nps or "
            "columns.csat' (covered)",
        V + "satisfied_not_loyal:satisfied but not loyal: needs both CSAT and NPS a":
            "the study step calls it only with both NPS and CSAT",
        V + "satisfied_not_loyal:satisfied but not loyal: themes need the mask of r":
            "the study step passes the commented mask with the themes",
        V + "satisfied_not_loyal:theme '{}': {} values for {} respondents": step,
        V + "parse_flag:churned flag: '{}' is not one of yes/no, 1/0, true":
            "a churned cell that is not a flag: " + loader,
        V + "churn_by_nps_group:churn by NPS group: needs NPS answers and a churne":
            "the study step calls it only with NPS and a churned column",
        V + "churn_by_nps_group:churned flag: values must be 1 (churned) or 0":
            "the loader's flags are 1, 0 or blank (parse_flag)",
    }
    return cases, unreachable
