"""Blocks of the scores JSON added by issue 16: each module has the exporter and its keys' description."""
