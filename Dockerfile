# The rescuecircle app for deployments (docker-compose.yml). Local development does not use it:
# `make run` installs the same stack on the machine itself.

# MapLibre GL JS for the pages, from npm (as `make web` does locally): no CDN at run time.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY web ./web
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.12-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY rescuecircle ./rescuecircle
COPY localdb ./localdb
COPY cli ./cli
COPY formats ./formats
COPY demo ./demo
COPY gis ./gis
COPY routing ./routing
COPY planning ./planning
COPY services ./services
COPY api ./api
COPY sql ./sql
COPY web ./web
COPY --from=web /app/web/vendor ./web/vendor
# Editable install: SQL migrations and web assets are read from /app, as in a checkout.
RUN pip install --no-cache-dir -e .
ENV RC_HOST=0.0.0.0 RC_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
# docker-compose.yml runs migrations once, then gunicorn with several workers (api/wsgi.py);
# alone, the image migrates and serves with waitress.
CMD ["sh", "-c", "rescuecircle db migrate && rescuecircle serve"]
