"""The served site sets Python's garbage collector for serving (register/site/collector.py)."""

from __future__ import annotations

import asyncio
import gc

from register.site.collector import THRESHOLDS
from register.site.serve import datasette_instance


def test_the_site_collects_garbage_less_often_than_a_script(build_dir):
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        asyncio.run(datasette_instance(build_dir).invoke_startup())
        assert gc.get_threshold() == THRESHOLDS
        assert THRESHOLDS[0] > 700  # the youngest objects, collected after this many allocations
    finally:
        gc.set_threshold(*before)
