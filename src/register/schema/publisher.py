"""The publisher of a register, from publisher.yml at its data package's root.

Everything that names the organisation publishing a register (the data package's
title, publisher, homepage and contributors, the site's title and text, the report)
comes from this one file, so another organisation starts its own register by changing
it and datasets/, with nothing in code or templates to edit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from register.util import yaml_text

FILE = "publisher.yml"
REQUIRED = ("code", "name", "short_name", "area", "homepage", "licence_holder", "team", "about")


class PublisherError(ValueError):
    """publisher.yml is missing or says something the register cannot use."""


@dataclass(frozen=True)
class Strategy:
    source: str = ""  # a code of datasets/sources.csv
    name: str = ""
    section: str = ""


@dataclass(frozen=True)
class Publisher:
    code: str
    name: str
    short_name: str
    area: str
    homepage: str
    licence_holder: str
    team: str
    about: str
    contact_team: str = ""
    contact_email: str = ""
    # What people told the publisher goes wrong most, in its own words (the home page).
    heard: str = ""
    strategy: Strategy = field(default_factory=Strategy)
    contributors: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Plain values, as the site's metadata carries them to the templates."""
        return {**asdict(self), "contributors": list(self.contributors)}


def _problems(data: dict) -> list[str]:
    problems = [f"{key} is missing or empty" for key in REQUIRED if not str(data.get(key) or "").strip()]
    if data.get("code") and not re.fullmatch(r"[a-z0-9_]+", str(data["code"])):
        problems.append(f"code {data['code']!r} may hold only lower case letters, digits and underscores")
    home = str(data.get("homepage") or "")
    if home and (not re.match(r"^https?://", home) or re.match(r"^https?://(127\.|localhost|\[?::1)", home)):
        problems.append(f"homepage {home!r} must be the register's public http(s) address, not this machine's")
    return problems


def load(root: Path | str) -> Publisher:
    path = Path(root) / FILE
    if not path.is_file():
        raise PublisherError(f"{path} is missing: copy publisher.yml from the register's repository and fill it in")
    try:
        data = yaml_text.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as e:
        raise PublisherError(f"{path} is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise PublisherError(f"{path} must be a list of `key: value` lines")
    problems = _problems(data)
    if problems:
        raise PublisherError(f"{path}: " + "; ".join(problems))
    known = set(Publisher.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise PublisherError(f"{path}: unknown keys {', '.join(unknown)}; the keys are {', '.join(sorted(known))}")
    text = {k: str(v or "").strip() for k, v in data.items() if k not in ("strategy", "contributors")}
    try:
        strategy = Strategy(**{k: str(v or "") for k, v in (data.get("strategy") or {}).items()})
    except TypeError:
        raise PublisherError(f"{path}: strategy holds only source, name and section") from None
    return Publisher(**text, strategy=strategy, contributors=tuple(str(c) for c in data.get("contributors") or ()))
