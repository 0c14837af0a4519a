# syntax=docker/dockerfile:1
# The app's image: gunicorn by default; the same image runs the Celery worker and beat (see docker-compose.yml).
# Build: docker build -t wa-security-reviews .

# Debian 12 pinned, so the system package names below stay valid when the default python image moves on.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: compilers and headers, only to build the virtualenv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libffi-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build
# Dependencies first, from the production lock alone (exact versions, every file's hash checked), so code changes
# do not rebuild this layer. The demo's AWS emulator (moto) is not in it.
COPY requirements/prod.txt requirements/prod.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install --require-hashes -r requirements/prod.txt
# Then the project itself, its dependencies already there.
COPY pyproject.toml README.md ./
COPY reviewapp reviewapp
COPY questionnaire questionnaire
COPY checks checks
RUN /opt/venv/bin/pip install --no-deps .

# --- runtime: the interpreter, the virtualenv, WeasyPrint's libraries and the code; no compilers ----------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# WeasyPrint renders the PDF reports with Pango, HarfBuzz and fontconfig. DejaVu draws Latin, Greek, Cyrillic,
# Arabic and Hebrew; Noto draws every other script people write notes in (core: Indic, Thai and more; cjk:
# Chinese, Japanese, Korean; color-emoji: emoji). static/css/print.css names them in its fallback chain.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 \
        fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Hashed, compressed static files, built once here and served by whitenoise. The values are for this step only
# (they are not kept in the image): collectstatic reads settings but touches no database.
RUN SECRET_KEY=collectstatic-only-not-a-secret DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
        STATIC_MANIFEST=1 python manage.py collectstatic --noinput --verbosity 0 \
    && rm -f /tmp/collectstatic.sqlite3 \
    && mkdir -p /app/var /var/lib/reviewapp/beat \
    && chown app:app /app/var /var/lib/reviewapp/beat

USER app

EXPOSE 8000

# Liveness only (no database, no Redis); /readyz is for deploy gates and monitoring (docs/operations.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "reviewapp/lib/probe.py", "/healthz"]

# Worker count from WEB_CONCURRENCY (read by gunicorn); PDF exports can take a while, hence the 60 s timeout.
CMD ["gunicorn", "reviewapp.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "60", "--graceful-timeout", "30", "--max-requests", "1000", "--max-requests-jitter", "100"]
