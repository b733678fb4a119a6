"""YAML read with libyaml's C parser where PyYAML has it (its wheels do), else PyYAML's own.

Why: the build, `make append` and the national build read metadata.yml and publisher.yml
several times each; the pure-Python parser took 26 ms for metadata.yml where the C one
takes 3.5 ms (measured), about 0.15 s of an append at a million rows. The same safe
subset of YAML either way; tests/unit/test_yaml_text.py compares the two on every YAML
file of the repository.
"""

from __future__ import annotations

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    return yaml.load(text, Loader=LOADER)
