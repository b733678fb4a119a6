"""The served build's objects are frozen out of the garbage collector's way, and what a
swapped-out build leaves in cycles is still collected (register/site/long_lived.py)."""

from __future__ import annotations

import gc
import weakref

from register.site import long_lived


class Node:
    pass


def test_what_is_alive_is_frozen_and_a_frozen_cycle_is_collected_at_the_next_settle():
    try:
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        long_lived.settle()
        assert gc.get_freeze_count() > 0
        del cycle
        gc.collect()
        assert gone() is not None  # frozen: a collection alone leaves it
        long_lived.settle()
        assert gone() is None  # the next settle unfreezes first, and collects it
    finally:
        gc.unfreeze()
