# Lernraum server image: slim, non-root, SQLite in /data by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LERNRAUM_HOST=0.0.0.0 \
    LERNRAUM_PORT=8000 \
    LERNRAUM_DATABASE_URL=sqlite:////data/lernraum.db

RUN groupadd --system --gid 10001 lernraum \
    && useradd --system --uid 10001 --gid lernraum --home-dir /srv/lernraum --no-create-home lernraum \
    && mkdir -p /data \
    && chown lernraum:lernraum /data

WORKDIR /srv/lernraum
COPY requirements.txt ./
RUN pip install --no-deps -r requirements.txt

COPY pyproject.toml README.md ./
COPY app ./app
COPY structures ./structures
COPY static ./static
COPY templates ./templates
# Editable install: the package finds structures/, static/ and templates/ beside app/.
# The server's own bytecode is compiled here, once: the user it runs as cannot write it, and
# a restart that loads every workshop should not spend its first seconds compiling.
RUN pip install --no-deps -e . \
    && python -m compileall -q app

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["lernraum", "serve"]
