# MistCircuitStats: the dashboard served by gunicorn, as an unprivileged user.
# Build: docker build -t mistcircuitstats .   Run: docker run --env-file .env -p 5000:5000 mistcircuitstats
FROM python:3.11-slim-bookworm

ARG VERSION=dev
LABEL org.opencontainers.image.title="MistCircuitStats" \
      org.opencontainers.image.description="Dashboard of the WAN circuits of Juniper Mist gateways: status, addresses, VPN peer paths and traffic" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/mistcircuitstats/mistcircuitstats" \
      org.opencontainers.image.licenses="CC-BY-NC-SA-4.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged account to run as (no home, no shell).
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root, so the app user can read it but not change it.
COPY . .
USER 10001

EXPOSE 5000

# slim images have no curl: ask /health with the Python that is there anyway.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status == 200 else 1)"]

# Pages wait on the Mist cloud (paginated calls, 429 back-off): threads keep a slow upstream from
# blocking other requests, and the timeout leaves room for a cold load of a large org.
# Without REDIS_URL each worker keeps its own in-memory cache (and spends its own API calls);
# set REDIS_URL to share one cache, one single-flight lock and the token cool-downs.
# Workers: WEB_CONCURRENCY (gunicorn's own variable), 1 by default: without REDIS_URL one process
# holds the one collector; with REDIS_URL several workers share one collector (see gunicorn.conf.py).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:5000", "--threads", "16", "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "30", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-", "app:app"]
