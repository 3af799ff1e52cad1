# figway and the Pesto demo services: one image, the command picks the process
# (docker-compose.yml runs `node dist/<entry>.js` per service).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY proxy ./proxy
COPY shadow-report ./shadow-report
COPY pesto-common ./pesto-common
COPY legacy-adapters ./legacy-adapters
COPY new-services ./new-services
COPY testing ./testing
COPY bench ./bench
COPY scripts ./scripts
RUN npx tsc -p tsconfig.json && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# figway's state (the weights it writes) lives in /var/lib/figway, owned by the unprivileged user, so a named volume
# mounted there (docker-compose.yml) starts as a copy of it: writable, whatever the host's user ids.
RUN mkdir -p /var/lib/figway && chown node:node /var/lib/figway
COPY --chown=node:node deploy/weights.yaml /var/lib/figway/weights.yaml
# The official image ships an unprivileged `node` user; nothing here needs root.
USER node
EXPOSE 8080 8081 9090
CMD ["node", "dist/proxy/cli.js", "start", "-c", "/etc/figway/figway.yaml"]
