# doorflow's API and workers (one image, the command picks the role).
FROM python:3.11-slim
WORKDIR /app
# The factory's local time (UTC+8, no DST) as a POSIX TZ, so "today" (order numbers, "not in the past"
# checks, delivery dates) is the factory's day even on a UTC host; needs no tzdata in the image.
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 TZ=CST-8
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
EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
