# Production image of the bot. Build: docker build -t tnl-bot .
# Node 24 runs the TypeScript sources directly (type stripping): no build step.

# --- Stage 1: production dependencies only -------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The stand-in for the native end-to-end-encryption library (see README, "Encryption").
COPY packages ./packages
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- Stage 2: runtime ------------------------------------------------------------
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY packages ./packages
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
COPY locales ./locales
COPY config ./config
COPY questionnaires ./questionnaires
RUN mkdir -p /data /config && chown node:node /data /config
USER node
# /config holds config.yaml (and secrets files); /data holds exports.
VOLUME ["/config", "/data"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bot/main.ts", "/config/config.yaml"]
