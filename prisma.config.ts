import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// Prisma 6.19 with the JS engine and the pg adapter: `generate` works offline and the runtime client
// needs no native binary. Without the adapter the CLI downloads a schema engine from a host these
// machines cannot reach. With it, `migrate diff` connects to DATABASE_URL (it writes nothing there).
// Migrations are applied by packages/db's own runner (`pnpm db:migrate`), because `migrate deploy`
// through the adapter is broken on Postgres (prisma/orm#27403).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? '' }),
});
