"""Run every benchmark, each in its own process (so peak memory is its own)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("bench_scoring.py", "bench_sample_report.py", "bench_shop.py", "bench_quarterly.py",
               "bench_analytics.py", "bench_i18n.py", "bench_batch.py", "bench_banner.py",
               "bench_raking.py", "bench_bootstrap.py", "bench_theme_impact.py", "bench_suggest.py",
               "bench_rfm.py", "bench_consistency.py", "bench_voice.py", "bench_customer_file.py",
               "bench_overhead.py", "bench_sentiment_zh.py", "bench_rebuild.py", "bench_shop_programme.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
