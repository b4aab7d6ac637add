# doorflow's API and workers (one image, the command picks the role).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
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
