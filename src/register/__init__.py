"""The Co-production Register: schemas, checks, database, staff workflows, site, publishing.

Layers, lowest first (each imports only from those below it; `make test` enforces this
with import-linter, see pyproject.toml): util and settings, schema, checks, database,
staff and site, publishing and national, bench.
"""
