"""The C and the pure-Python YAML loaders read every YAML file of the repository alike
(register/util/yaml_text.py uses the C one where PyYAML has it)."""

from __future__ import annotations

import subprocess

import yaml

from register.schema.package import ROOT
from register.util import yaml_text


def test_the_c_loader_is_used_and_reads_every_yaml_file_as_pyyaml_does():
    assert yaml_text.LOADER is yaml.CSafeLoader, "PyYAML without libyaml: the lock's wheel should have it"
    files = subprocess.run(
        ["git", "ls-files", "*.yml", "*.yaml"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert "metadata.yml" in files and "publisher.yml" in files
    for name in files:
        text = (ROOT / name).read_text("utf-8")
        assert yaml_text.safe_load(text) == yaml.safe_load(text), name
