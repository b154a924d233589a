# The project's one image definition. The default target is the five services' image (docker-compose.yml and the
# Helm chart choose the service by its command); `--target proxy` is the proxy's: nginx with infra/proxy's
# configuration and the workbench's build (the Helm chart's proxy; docker-compose.yml mounts both instead).

# The workbench (Vue, Vite), built from the lockfile's versions.
FROM node:22-slim AS workbench
WORKDIR /workbench
COPY workbench/package.json workbench/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY workbench/index.html workbench/vite.config.ts workbench/tsconfig.json ./
COPY workbench/src ./src
COPY workbench/public ./public
COPY workbench/tests ./tests
RUN npm run build

# The dashboard's ECharts and oidc-client-ts (services/projections/api/dashboard.py serves them from node_modules).
FROM node:22-slim AS dashboard
WORKDIR /dashboard
COPY services/projections/dashboard/package.json services/projections/dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund

# The proxy: the same template and container.sh as docker-compose.yml's; upstreams by the services' names.
FROM nginx:1.22-alpine AS proxy
COPY infra/proxy /infra/proxy
COPY --from=workbench /workbench/dist /srv/workbench
USER nginx
ENTRYPOINT ["sh", "/infra/proxy/container.sh"]

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY --from=dashboard /dashboard/node_modules ./services/projections/dashboard/node_modules
# The CJK font of the documents' charts (services/projections/documents/charts.py), as make install puts it.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
# A fixed numeric user: Kubernetes' runAsNonRoot can check it (the Helm chart runs it as 10001).
RUN pip install . && useradd --system --uid 10001 --no-create-home county
USER 10001
# HOST/PORT/KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL come from the environment, as on the local stack, and so do the
# secrets: the image holds none, and without intake's CONTACT_KEYS intake refuses to start.
ENV ENVIRONMENT=production
CMD ["python", "-m", "services.intake"]
