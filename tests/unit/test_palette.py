"""The one palette: status colours follow the codelist's closes_loop, not a list of codes."""

from register.util import palette


def test_closing_statuses_take_the_closed_colours_whatever_their_codes():
    colours = palette.status_colours([("open", False), ("mulled", False), ("settled", True), ("dropped", True)])
    assert [colours["settled"], colours["dropped"]] == palette.CLOSED[:2]
    assert [colours["open"], colours["mulled"]] == palette.OPEN[:2]
    assert not set(palette.CLOSED) & set(palette.OPEN)


def test_every_label_the_views_write_has_a_colour():
    assert set(palette.BALANCE) == {palette.BALANCED, palette.STAFF_OUTNUMBERED, palette.NOT_RECORDED}
    assert palette.NOT_RECORDED in palette.YES_NO and palette.NOT_RECORDED in palette.REIMBURSEMENT
