# Switchyard's API and worker image (docker-compose.yml, profile "app"). One image, two commands.
FROM node:20-bookworm-slim
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm install -g pnpm@10.34.9
WORKDIR /app
# DATABASE_URL only lets `prisma generate` (postinstall) read the schema; nothing connects at build time.
COPY . .
RUN DATABASE_URL=postgresql://build@localhost/build pnpm install --frozen-lockfile
ENV NODE_ENV=production HOST=0.0.0.0
# The API by default; the worker service overrides the command.
CMD ["node", "--import", "tsx", "--conditions=@switchyard/source", "apps/api/src/main.ts"]
