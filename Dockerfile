# Resultant as a container: build with the dev dependencies, ship only the runtime ones, run as a non-root user.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: "prepare" would build before the sources are copied; nothing else needs an install script.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
# MALLOC_ARENA_MAX=2 and --max-semi-space-size=8: as `npm start` sets them (docs/performance.md): glibc keeps fewer
# arenas of freed memory, and V8's young generation stays small after a burst of writes.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    RESULTANT_HOST=0.0.0.0 \
    RESULTANT_PORT=8080 \
    RESULTANT_DB_PATH=/app/data/resultant.duckdb
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The Flux rollup tasks the service installs into InfluxDB at start, and the built-in dashboard page.
COPY flux ./flux
COPY dashboard ./dashboard
RUN mkdir -p /app/data && chown node:node /app/data
# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
VOLUME ["/app/data"]
# /ping answers 204 once the service listens (node:20-slim has no curl).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.RESULTANT_PORT || 8080) + '/ping').then((r) => process.exit(r.status === 204 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=8", "bin/resultant.js", "serve"]
