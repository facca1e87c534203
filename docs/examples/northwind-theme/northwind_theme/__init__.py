"""Northwind Insight's house style for cxreport reports (a cxreport theme: this folder's
templates and theme/ files replace the built-in ones of the same name)."""
