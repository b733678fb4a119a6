"""Atom (RFC 4287) documents for the register's feeds (register/site/feeds.py): the
XML, the entries' stable ids and their times, apart from what the feeds hold."""

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET

from register.util.clock import day_zone

ATOM_NS = "http://www.w3.org/2005/Atom"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text) -> str:
    return _CONTROL.sub("", "" if text is None else str(text))


def stamp(date_text) -> str:
    """A day's `updated` time: the start of that day where the site's day turns (England,
    TZ=Europe/London: register/util/clock.py), as an item turns overdue at midnight there.
    Midnight UTC is an hour after it in summer: someone reading at half past midnight
    found an item that had just turned overdue stamped half an hour in the future."""
    try:
        day = dt.date.fromisoformat(str(date_text)[:10])
    except ValueError:
        return f"{str(date_text)[:10]}T00:00:00Z"
    start = dt.datetime.combine(day, dt.time(), tzinfo=day_zone())
    return (start if start.tzinfo else start.astimezone()).isoformat()


def urn(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "coproduction-register:" + "/".join(parts)))


def document(
    feed_key: str,
    title: str,
    subtitle: str,
    self_url: str,
    alternate_url: str,
    entries: list[dict],
    rights: str,
    empty_updated: str,
) -> bytes:
    """The feed as Atom (RFC 4287) XML: ElementTree escapes every text node, and control
    characters XML cannot hold are taken out of every value first. A feed is `updated` when
    its newest entry is; one with no entry (a project nobody has said anything about yet)
    when `empty_updated` says, since RFC 4287 asks every feed for the time."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = clean(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "en-GB")
    sub(feed, "id", urn("feed", feed_key))
    sub(feed, "title", title)
    sub(feed, "subtitle", subtitle)
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    updated = max((e["updated"] for e in entries), default=empty_updated)
    sub(feed, "updated", updated)
    author = sub(feed, "author")
    sub(author, "name", "Co-production Register")
    if rights:  # the site's licence: the data package's (register/schema/metadata.py)
        sub(feed, "rights", rights)
    for e in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", e["id"])
        sub(entry, "title", e["title"], type="text")
        sub(entry, "updated", e["updated"])
        sub(entry, "published", e.get("published", e["updated"]))
        sub(entry, "link", rel="alternate", type="text/html", href=e["link"])
        a = sub(entry, "author")
        sub(a, "name", e["author"])
        for term, label in e.get("categories", []):
            sub(entry, "category", term=term, label=label)
        sub(entry, "content", e["content"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
