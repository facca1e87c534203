"""Blocks of the scores JSON added by issue 16: each module has the exporter and its keys' description."""

# The descriptions first: cxreport.jsonschema imports this package's modules at its end, so a
# module imported before it (export.py's exporters) would meet a half-initialised schema module.
import cxreport.jsonschema  # noqa: F401,E402
