# syntax=docker/dockerfile:1
# Portico: the compiled server on Node 20, as a non-root user. The steps are scripts shared with CI
# (scripts/stage-production.sh, scripts/container-check.sh), so this file stays a thin wrapper.

# 1. Build: every dependency (the compiler among them).
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles itself when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# 2. Package and prune: the published package (npm pack compiles it) with its production
#    dependencies only, installed from the lockfile in a clean /app.
RUN sh scripts/stage-production.sh /app

# 3. Run: nothing of the build stage but /app; files owned by root, only data/ writable by node.
#    This is Portico alone; a product builds its own image the same way from its own project.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app /app
RUN chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
# Alive, not ready: /readyz (database reachable) is for the load balancer (compose.yaml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: in-flight requests answered, webhook leases handed back, counters flushed (≤ 10 s).
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "bin/portico.mjs", "start"]
