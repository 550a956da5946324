# One image for the three services; docker-compose.yml picks the command (buurt-registration, buurt-consent,
# buurt-search, buurt-infra topics).
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY services ./services
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /app buurt \
    && mkdir -p /data && chown buurt /data

USER buurt
EXPOSE 8000 8001 8002
CMD ["buurt-search"]
