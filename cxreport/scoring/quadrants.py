"""The importance–performance quadrants (Martilla & James 1977, METHODS.md §3).

``QUADRANTS`` by (importance at or above its mean, performance at or above its mean): the one
place their names live. The drivers table and chart, the priority list, table and chart, the
workbook, the deck and the JSON export all name a driver's class from here (translated with
``_()`` where shown). A module of its own, so that the charts (and the shop workers, which
import them) do not import the key-driver analysis, and pandas with it.
"""

from __future__ import annotations

from cxreport.i18n import N_

QUADRANTS = {
    (True, False): N_("Concentrate here"),
    (True, True): N_("Keep up the good work"),
    (False, False): N_("Low priority"),
    (False, True): N_("Possible overkill"),
}
