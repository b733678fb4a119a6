"""register.util.workers: results in the items' order, and a worker's failure raised here."""

import pytest

from register.util.workers import cores, in_order


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_in_the_items_order(workers):
    items = [str(n) * (200_000 if n % 2 else 1) for n in range(6)]  # the odd ones finish last
    assert list(in_order(len, items, workers)) == [len(i) for i in items]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_in_a_worker_is_raised_to_the_caller(workers):
    with pytest.raises(ValueError, match="not a number"):
        list(in_order(int, ["1", "not a number", "3"], workers))


def test_no_items_start_no_workers():
    assert list(in_order(int, [], 4)) == [] and cores() >= 1
