// Exports for scripted use, the same files the organisers' room sends:
//
//   npm run export -- --campaign tnl-2026 --format ods [--out DIR] [--lang fr] [--config FILE] [--markdown]
//   npm run export -- --format results --campaign tnl-2026 --out public/
//   npm run export -- --schemas docs/schemas     (writes the JSON Schemas of the JSON exports)
//
// Formats: ods, csv, json, dossiers, audit, results. Without --out, a single file goes to
// standard output and several files to the current folder. Exit status: 0 done, 1 failed,
// 2 bad arguments or configuration.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildExport } from '../bot/exports/build.ts';
import { jsonSchemas } from '../bot/exports/schemas.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../flows/campaign/commands.ts';
import { openStorage } from '../storage/index.ts';

const USAGE =
  'usage: npm run export -- --campaign ID --format ods|csv|json|dossiers|audit|results [--out DIR] [--lang fr|en] [--config FILE] [--markdown]\n' +
  '       npm run export -- --schemas DIR';

function fail(message: string, status: number): never {
  console.error(message);
  process.exit(status);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        campaign: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        lang: { type: 'string', default: 'fr' },
        config: { type: 'string', default: process.env.TNL_CONFIG ?? 'config/config.yaml' },
        markdown: { type: 'boolean', default: false },
        schemas: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

if (values.schemas) {
  mkdirSync(values.schemas, { recursive: true });
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    writeFileSync(join(values.schemas, name), `${JSON.stringify(schema, null, 2)}\n`);
    console.error(`wrote ${join(values.schemas, name)}`);
  }
  process.exit(0);
}

if (!values.campaign || !values.format) fail(USAGE, 2);
if (!(EXPORT_FORMATS as readonly string[]).includes(values.format))
  fail(`unknown format ${values.format}\n${USAGE}`, 2);

let config;
try {
  config = loadConfig(values.config);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, 2);
  throw error;
}

const storage = await openStorage({
  uri: config.database.uri,
  dbName: config.database.name,
  serverSelectionTimeoutMS: config.database.serverSelectionTimeoutMs,
  writeConcern: config.database.writeConcern,
});
try {
  const outcome = await buildExport(storage, values.campaign, values.format as ExportFormat, {
    lang: values.lang,
    now: new Date(),
    dossierFormat: values.markdown ? 'md' : 'html',
  });
  if (!outcome.ok) fail(`export failed: ${outcome.reason}${outcome.detail ? ` (${outcome.detail})` : ''}`, 1);
  if (!values.out && outcome.files.length === 1) {
    process.stdout.write(outcome.files[0]?.data ?? '');
  } else {
    const dir = values.out ?? '.';
    mkdirSync(dir, { recursive: true });
    for (const file of outcome.files) {
      writeFileSync(join(dir, file.name), file.data);
      console.error(`wrote ${join(dir, file.name)}`);
    }
  }
} finally {
  await storage.close();
}
