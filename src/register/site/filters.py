"""How the pages write dates, numbers and yes/no, and JSON safe inside a script tag.

Registered as Jinja filters (reg_date, reg_time, reg_moment, reg_number, reg_yes_no) by routes.py.
"""

from markupsafe import Markup

from register.util.words import uk_date, uk_moment


def uk_time(value) -> Markup:
    if not value:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(str(value)[:10], uk_date(value))


def uk_moment_time(value) -> Markup:
    """A moment (a fetch, a build) as the pages write it, with its machine-readable time."""
    if not value:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(str(value), uk_moment(value))


def number(value) -> str:
    """12345 -> '12,345' (national figures run to millions); anything else as it is."""
    return (
        f"{value:,}"
        if isinstance(value, int) and not isinstance(value, bool)
        else ("" if value is None else str(value))
    )


def yes_no(value, unknown="Not recorded") -> str:
    if value is None or value == "":
        return unknown
    return "Yes" if value in (1, True, "1") else "No"
