# doorflow's API, workers and deploy job (one image, the command picks the role):
#   uvicorn api.main:app (default) | python -m workers.main | python -m doorflow deploy
# They talk to the Operaton engine over REST (ENGINE_URL); the engine has its own image (engine/Dockerfile).
# The dashboard's charts: Apache ECharts from the npm package pinned in package.json / package-lock.json,
# served by the API itself (no CDN), so only its dist file is carried over.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
# The factory's local time (UTC+8, no DST) as a POSIX TZ, so "today" (order numbers, "not in the past"
# checks, delivery dates) is the factory's day even on a UTC host; needs no tzdata in the image.
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 TZ=CST-8 MALLOC_ARENA_MAX=2
# Documents as PDF (WeasyPrint): Pango, HarfBuzz's subsetter and the Noto CJK fonts from Debian.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY doorflow ./doorflow
COPY models ./models
COPY api ./api
COPY workers ./workers
RUN pip install .
COPY alembic.ini ./
COPY migrations ./migrations
COPY bpmn ./bpmn
COPY templates ./templates
COPY config ./config
COPY --from=assets /assets/node_modules/echarts/dist/echarts.min.js ./node_modules/echarts/dist/echarts.min.js
# Runs from /app (the working directory is first on sys.path), so doorflow finds bpmn/, migrations/
# and templates/ next to it. A fixed non-root uid, as in the engine image.
RUN groupadd --system --gid 10001 doorflow \
 && useradd --system --uid 10001 --gid doorflow --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin doorflow
USER doorflow
EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
