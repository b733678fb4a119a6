# The Co-production Register as one stateless, read-only replica.
#
# Build the register first; the database is baked into the image, so every container
# started from one image serves the same immutable file and any of them can answer any
# request (docs/deployment.md):
#
#   make build extracts report
#   docker build -t coproduction-register .
#   docker run --rm -p 8001:8001 coproduction-register
#
# `make publish TARGET=cloudrun|fly RUN=1` deploys this file to Cloud Run or Fly.io. It
# installs the `register` package, which the thin modules in plugins/ import, and runs
# `python -m register.site.serve`, as `make serve` does: the start-up integrity check
# (with --no-rebuild: a replica whose copy is damaged refuses to start rather than serve
# something different from its siblings), then Datasette with the settings, plugins,
# templates and static files the tests use. It listens on $PORT (Cloud Run and fly.toml
# set it; 8001 otherwise). No credential is needed inside the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    TZ=Europe/London \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8001 \
    REGISTER_ROOT=/app

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. The lock file pins every
# package to the version the tests ran with.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY pyproject.toml README.md ./
COPY src/ src/
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY plugins/ plugins/
COPY templates/ templates/
COPY static/ static/
COPY datapackage.json metadata.yml ./
COPY schemas/ schemas/
COPY datasets/ datasets/
# register.db, inspect.json, metadata.json, extracts/ and reports/ (.dockerignore
# leaves out benchmarks, locks and temporary files).
COPY build/ build/

# Served read-only by an unprivileged user; the directories Datasette mounts must exist.
RUN mkdir -p build/extracts build/reports \
 && useradd --system --no-create-home --uid 10001 register \
 && python -m register.database.integrity --build-dir build --check-only
USER register

EXPOSE 8001
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/-/versions.json' % os.environ.get('PORT', '8001'), timeout=4)"

CMD ["sh", "-c", "exec python -m register.site.serve --host 0.0.0.0 --port \"${PORT:-8001}\" --no-rebuild"]
