"""The shop workers' fork server warms up before it forks (cxreport.shop.warm, issue 17): the
templates compiled and each language's stylesheet parsed, without a thread or a WeasyPrint font
configuration that a forked worker would inherit half-made."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import os
from cxreport.executor import PRELOAD
from cxreport.shop.reports import PRELOAD as SHOP
import importlib
for name in dict.fromkeys([*PRELOAD, *SHOP]):
    if name != "cxreport.shop.warm":
        importlib.import_module(name)
threads = sorted(os.listdir("/proc/self/task"))
import cxreport.shop.warm
cxreport.shop.warm.warm()          # again, unguarded: any error of the warm-up shows here
from cxreport import i18n
from cxreport.present import pdf
from cxreport.shop import rendering
assert sorted(os.listdir("/proc/self/task")) == threads, (threads, os.listdir("/proc/self/task"))
assert pdf._FONT_CONFIG is None
assert all(rendering.shared_css(lang) in rendering._SHEETS for lang in i18n.LANGUAGES), list(rendering._SHEETS)
env = rendering.environment()
for name in rendering.TEMPLATES:
    assert any(key[1] == name for key in env.cache._mapping), name
print("warm")
"""


def test_the_warm_up_keeps_what_workers_share_and_starts_no_thread():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "warm"


def test_the_fork_server_preloads_the_warm_up_last():
    from cxreport.shop.reports import PRELOAD

    assert PRELOAD[-1] == "cxreport.shop.warm"
    assert "cxreport.shop.rendering" in PRELOAD[:-1]
