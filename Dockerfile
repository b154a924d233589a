# One image for the five services; docker-compose.yml chooses the service by its command.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install . && useradd --system --no-create-home county
USER county
# HOST/PORT/KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL come from the environment, as on the local stack, and so do the
# secrets: the image holds none, and without intake's CONTACT_KEYS intake refuses to start.
ENV ENVIRONMENT=production
CMD ["python", "-m", "services.intake"]
