"""What every shop worker would otherwise make for itself before its first document, made once
in the executor's fork server, which imports this module last (:data:`cxreport.shop.reports.PRELOAD`):

- the worker's Jinja environment with the three shop templates compiled;
- the shared stylesheet of each language parsed by WeasyPrint (about 0.4 s of CPU each: tinycss2
  and cssselect2's compiled selectors), see :func:`cxreport.shop.rendering.stylesheet`;
- one location chart drawn, in memory, so that matplotlib has built its first figure.

A worker forked from the server starts with all of it (copy-on-write) instead of spending about a
second of CPU on its first document, and a shop report replaces its workers every
:data:`~cxreport.shop.reports.TASKS_PER_WORKER` documents. Only the local process pool's fork
server imports this module (not ``-j 1``, a ``spawn`` platform or Dask workers, which make all
of it on their first document, as before).

Only pure-Python state and matplotlib's Agg canvas are made here: nothing that starts a thread
(which a fork would leave behind) and no WeasyPrint font configuration (Pango and fontconfig):
each worker makes its own after the fork, as before. matplotlib reopens its font files in a
forked child by itself (``font_manager`` clears its font cache at fork). Anything that fails
here is left for the worker to meet, and report, on its first document.
"""

from __future__ import annotations


def warm() -> None:
    from cxreport import i18n
    from cxreport.present.charts import ChartStyle
    from cxreport.shop import charts, rendering

    env = rendering.environment()
    for template in rendering.TEMPLATES:
        env.get_template(template)
    for lang in i18n.LANGUAGES:
        rendering.stylesheet(rendering.shared_css(lang))
    waves = [{"name": name, "score": score, "region": 80.0, "programme": 78.0}
             for name, score in (("W1", 81.0), ("W2", 84.5))]
    # DejaVu Sans, which matplotlib ships: no "font not found" warning whatever is installed.
    charts.location_trend("Warm-up", waves, 80.0, ChartStyle("#0B3C5D", "#1D9A8A", "DejaVu Sans"), narrow=False)


try:
    warm()
except Exception:  # noqa: BLE001 - the worker does the same work again, and reports any error
    import logging

    logging.getLogger(__name__).debug("shop worker warm-up failed", exc_info=True)
