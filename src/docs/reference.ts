// The reference pages docs/configuration.md, docs/cli.md and docs/http-api.md, rendered from the code they describe:
// the configuration schema and its descriptions (src/config.ts), the commander program (src/cli/index.ts) and the
// OpenAPI document (src/api/openapi.ts). Pure functions from those objects to Markdown; src/docs/generate.ts writes
// the files (`npm run docs`) and src/docs/reference.test.ts fails when a committed page differs from its rendering.
// The output depends on nothing but the code: no dates, no machine (computed defaults are described in words).

import type { Argument, Command, Help, Option } from 'commander';
import { openApiDocument } from '../api/openapi.js';
import { buildProgram } from '../cli/index.js';
import { CONFIG_DOCS, CONFIG_VARIABLES, configDefaults, loadConfig, variableToFlag } from '../config.js';
import { ERROR_CODES } from '../errors.js';

export interface ReferencePage {
  /** Path from the repository root. */
  file: string;
  text: string;
}

/** The three pages, rendered from the code as it is. */
export function referencePages(): ReferencePage[] {
  return [
    { file: 'docs/configuration.md', text: renderConfiguration() },
    { file: 'docs/cli.md', text: renderCli(buildProgram()) },
    // The version is left out of the page, so the document's version does not matter here.
    { file: 'docs/http-api.md', text: renderHttpApi(openApiDocument('') as OpenApiDocument) },
  ];
}

const generated = (from: string): string =>
  `<!-- Generated from ${from} by \`npm run docs\` (src/docs/reference.ts). Do not edit: change the code and run it again. -->`;

// ---- Markdown -------------------------------------------------------------------------------------------------

/** Plain text as Markdown that shows it as written. */
function escapeText(s: string): string {
  return s
    .replace(/[\\`*[\]]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '\\|');
}

/** An inline code span of `s`, fenced with more backticks than `s` holds in a row. */
export function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Names and flags in plain text, shown as code: environment variables and command-line options. */
const CODE_WORDS = /\b(?:RESULTANT|INFLUX|GRAFANA)_[A-Z0-9_]+\b(?:=[\w.-]+)?|(?<![\w-])--[a-z][a-z0-9-]*/g;

/**
 * Plain text from the code (descriptions of commands, options, operations) as Markdown; `link` may turn a name or
 * flag into a link.
 */
export function prose(s: string, link: (word: string) => string | null = () => null): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(CODE_WORDS)) {
    const target = link(m[0].split('=')[0]!);
    out += escapeText(s.slice(last, m.index)) + (target ? `[${code(m[0])}](${target})` : code(m[0]));
    last = m.index + m[0].length;
  }
  return linkDocs(out + escapeText(s.slice(last)));
}

/** docs/<page>.md mentioned in a description becomes a link (the pages live in docs/ themselves). */
function linkDocs(md: string): string {
  return md.replace(/\bdocs\/([\w-]+\.md)(#[\w-]+)?/g, (whole, page: string, anchor: string | undefined) => {
    return `[${whole}](${page}${anchor ?? ''})`;
  });
}

/** Markdown for one table cell: on one line, its pipes escaped (code spans included, as GitHub wants them). */
function cell(md: string): string {
  return md.replace(/\s*\n\s*/g, ' ').replace(/(?<!\\)\|/g, '\\|');
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The anchor GitHub gives a heading. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A value from the code (a default, an example), shown as code. */
function value(v: unknown): string {
  return code(typeof v === 'string' ? v : JSON.stringify(v));
}

const page = (parts: (string | null | false)[]): string => `${parts.filter((p) => p).join('\n\n')}\n`;

// ---- docs/configuration.md ------------------------------------------------------------------------------------

export function renderConfiguration(): string {
  const defaults = configDefaults() as Record<string, unknown>;
  const rows = CONFIG_VARIABLES.map((v) => {
    const doc: { description: string; default?: string } = CONFIG_DOCS[v];
    const d = defaults[v];
    const dflt =
      doc.default !== undefined
        ? linkDocs(doc.default)
        : Array.isArray(d) && d.length === 0
          ? 'none'
          : d === undefined
            ? 'none'
            : value(d);
    return [code(v), code(`--${variableToFlag(v)}`), dflt, linkDocs(doc.description)];
  });
  return page([
    '# Configuration',
    generated('src/config.ts (`ConfigSchema`, `CONFIG_DOCS`)'),
    [
      'The service is configured with environment variables. Each is also a flag of `resultant serve`: the name without',
      '`RESULTANT_`, in lower case, with `-` for `_` (`RESULTANT_DB_PATH` is `--db-path`, `INFLUX_URL` is',
      '`--influx-url`); a flag wins over the variable. A variable set to the empty string counts as unset.',
    ].join('\n'),
    [
      'The other commands read the same variables (`--db` sets `RESULTANT_DB_PATH`; see [cli.md](cli.md)).',
      'An invalid value stops the start with one message that names the variable, e.g.',
      `${code(configError({ RESULTANT_PORT: 'http' }))}; \`resultant serve\` then exits with code 2.`,
    ].join('\n'),
    [
      'Without `RESULTANT_AUTH_TOKENS` the service is open to anyone who can reach it, and says so in its log at',
      'start.',
    ].join('\n'),
    table(['variable', 'flag', 'default', 'description'], rows),
  ]);
}

/** The message loadConfig stops with for `env`. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error(`${JSON.stringify(env)} is a valid configuration`);
}

// ---- docs/cli.md ----------------------------------------------------------------------------------------------

/** In docs/cli.md, configuration variables link to docs/configuration.md. */
const CONFIG_NAMES: ReadonlySet<string> = new Set(CONFIG_VARIABLES);
const cliProse = (s: string): string => prose(s, (w) => (CONFIG_NAMES.has(w) ? 'configuration.md' : null));

function optionDefault(o: Option): string {
  const d: unknown = o.defaultValue;
  if (d === undefined || (Array.isArray(d) && d.length === 0)) return '';
  return o.defaultValueDescription !== undefined ? cliProse(o.defaultValueDescription) : value(d);
}

function optionDescription(o: Option): string {
  let md = cliProse(o.description);
  if (o.argChoices) md += `; one of ${o.argChoices.map(value).join(', ')}`;
  return o.mandatory ? `${md} (required)` : md;
}

function argumentRow(a: Argument): string[] {
  const name = a.variadic ? `${a.name()}...` : a.name();
  return [code(name), a.required ? 'yes' : 'no', cliProse(a.description)];
}

const commandTitle = (program: Command, cmd: Command): string => `\`${program.name()} ${cmd.name()}\``;

function commandSection(help: Help, program: Command, cmd: Command): string {
  const args = help.visibleArguments(cmd);
  const options = help.visibleOptions(cmd);
  return page([
    `## ${commandTitle(program, cmd)}`,
    sentence(cliProse(capitalise(cmd.description()))),
    `Usage: ${code(help.commandUsage(cmd))}`,
    args.length > 0 && table(['argument', 'required', 'description'], args.map(argumentRow)),
    options.length > 0 &&
      table(
        ['option', 'description', 'default'],
        options.map((o) => [code(o.flags), optionDescription(o), optionDefault(o)]),
      ),
  ]).trimEnd();
}

const capitalise = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** Ends with a full stop, as a sentence of the page. */
const sentence = (md: string): string => (/[.!?]$/.test(md) ? md : `${md}.`);

export function renderCli(program: Command): string {
  const help = program.createHelp();
  // The registered commands (commander adds `help`, which the intro mentions).
  const commands = help.visibleCommands(program).filter((c) => program.commands.includes(c));
  const name = program.name();
  const summary = table(
    ['command', 'what it does'],
    commands.map((c) => {
      const title = commandTitle(program, c);
      return [`[${title}](#${slug(title)})`, cliProse(capitalise(c.description()))];
    }),
  );
  const global = help.visibleOptions(program);
  return page([
    '# Command line',
    generated('the commander program of src/cli/index.ts (`buildProgram()`)'),
    `${sentence(prose(capitalise(program.description())))}`,
    [
      `Usage: ${code(help.commandUsage(program))}. Every command takes \`-h, --help\` and prints its usage, as does`,
      `\`${name} help <command>\`.`,
      'Bad arguments (an unknown command or option, a missing or invalid value, an invalid configuration variable)',
      'print a message to standard error and exit with code 2; other failures exit with code 1; success exits with 0.',
    ].join('\n'),
    [
      'The commands read the environment variables of the service ([configuration.md](configuration.md)), so they',
      'open the same store: the DuckDB file at `RESULTANT_DB_PATH` (or `--db`), or InfluxDB with',
      '`RESULTANT_STORE=influxdb`. `ingest`, `demo`, `analyze`, `forecast`, `report`, `visualize`, `export` and',
      '`delete` take `--url` to work against a running server over its HTTP API instead, with `--token` (default: the',
      'environment variable `RESULTANT_TOKEN`) when it needs one. Without `--url`, when the database file is held by',
      'a server running on this machine (DuckDB lets one process open a file), they say so and ask that server at',
      '`RESULTANT_HOST` and `RESULTANT_PORT`. `rollup` and `cleanup` work on the database file only.',
    ].join('\n'),
    summary,
    global.length > 0 &&
      `Options of \`${name}\` itself:\n\n${table(
        ['option', 'description'],
        global.map((o) => [code(o.flags), cliProse(o.description)]),
      )}`,
    ...commands.map((c) => commandSection(help, program, c)),
  ]);
}

// ---- docs/http-api.md -----------------------------------------------------------------------------------------

/** The parts of an OpenAPI 3.1 document the page shows. */
export interface OpenApiDocument {
  info: { title: string; description?: string };
  servers?: { url: string; description?: string }[];
  components: {
    securitySchemes: Record<string, { type: string; in?: string; name?: string; description?: string }>;
    schemas: Record<string, Schema>;
  };
  security?: Security;
  paths: Record<string, Record<string, Operation>>;
}

type Security = Record<string, string[]>[];

export interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Security;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Response {
  description: string;
  headers?: Record<string, { description?: string; schema?: Schema }>;
  content?: Record<string, { schema?: Schema }>;
}

/** A JSON Schema, as far as the page reads it. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

export const HTTP_METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

const refName = (ref: string): string => ref.replace('#/components/schemas/', '');
/** A link to a schema's section; the Error schema is described under Errors. */
const schemaLink = (ref: string): string =>
  `[${refName(ref)}](#${refName(ref) === 'Error' ? 'errors' : slug(refName(ref))})`;

function count(min: number | undefined, max: number | undefined, what: string): string | null {
  const unit = (n: number) => (n === 1 ? what : `${what}s`);
  if (min !== undefined && max !== undefined) return min === max ? `${min} ${unit(min)}` : `${min} to ${max} ${what}s`;
  if (min !== undefined) return `at least ${min} ${unit(min)}`;
  if (max !== undefined) return `at most ${max} ${unit(max)}`;
  return null;
}

/** The bounds, lengths and pattern of a schema in words. */
function constraints(s: Schema): string[] {
  const out: string[] = [];
  if (s.minimum !== undefined && s.maximum !== undefined) out.push(`${s.minimum} to ${s.maximum}`);
  else {
    const bounds = [
      s.minimum !== undefined ? `at least ${s.minimum}` : null,
      s.exclusiveMinimum !== undefined ? `above ${s.exclusiveMinimum}` : null,
      s.maximum !== undefined ? `at most ${s.maximum}` : null,
      s.exclusiveMaximum !== undefined ? `below ${s.exclusiveMaximum}` : null,
    ].filter((b) => b !== null);
    if (bounds.length > 0) out.push(bounds.join(' and '));
  }
  if (s.multipleOf !== undefined) out.push(`a multiple of ${s.multipleOf}`);
  const chars = count(s.minLength, s.maxLength, 'character');
  if (chars) out.push(chars);
  const items = count(s.minItems, s.maxItems, 'item');
  if (items) out.push(items);
  if (s.pattern !== undefined) out.push(`matching ${code(s.pattern)}`);
  return out;
}

/** The default and examples of a schema in words. */
function defaults(s: Schema): string[] {
  const out: string[] = [];
  if (s.default !== undefined) out.push(`default ${value(s.default)}`);
  if (s.examples?.length) out.push(`e.g. ${s.examples.map(value).join(', ')}`);
  return out;
}

/**
 * A schema's type in words, with its constraints and then its default: "integer (1 to 100); default `10`",
 * "array (1 to 10 items) of string", "object mapping names to number, or null".
 */
export function typeOf(s: Schema): string {
  return [innerType(s), ...defaults(s)].join('; ');
}

/** The type with its constraints, without the default (which typeOf adds at the end). */
function innerType(s: Schema): string {
  const more = constraints(s);
  const paren = more.length > 0 ? ` (${more.join('; ')})` : '';
  if (s.$ref) return schemaLink(s.$ref);
  if (s.const !== undefined) return value(s.const);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) {
    const each = alternatives.map(innerType);
    // "object mapping names to number, or null": a comma where an alternative is a phrase of its own.
    return each.join(each.some((t) => t.includes(' mapping ')) ? ', or ' : ' or ');
  }
  if (s.enum) return `one of ${s.enum.map(value).join(', ')}${paren}`;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const named = types.map((t) => {
    if (t === 'array') return `array${paren}${s.items ? ` of ${innerType(s.items)}` : ''}`;
    if (t === 'object' && !s.properties && typeof s.additionalProperties === 'object') {
      const keys = s.propertyNames && (s.propertyNames.enum || s.propertyNames.pattern) ? s.propertyNames : null;
      return `object${paren} mapping ${keys ? innerType(keys) : 'names'} to ${innerType(s.additionalProperties)}`;
    }
    return `${t}${paren}`;
  });
  return named.length > 0 ? named.join(' or ') : 'any';
}

/** The variants of a discriminated union of objects (oneOf, each with a `const` of the same property), if it is one. */
function union(s: Schema): { key: string; variants: Schema[] } | null {
  const variants = s.oneOf ?? s.anyOf;
  if (!variants || variants.length < 2 || !variants.every((v) => v.properties)) return null;
  const key = Object.keys(variants[0]!.properties!).find((k) =>
    variants.every((v) => v.properties![k]?.const !== undefined),
  );
  return key ? { key, variants } : null;
}

/**
 * The fields of an object schema as table rows (field, type, required, description), nested objects and arrays
 * of objects flattened into dotted names (`series[].buckets[].start`); a union of objects told apart by one
 * field (`handlers[].type`) lists the fields of every variant, each saying which variants have it.
 */
function fieldRows(s: Schema, prefix = ''): string[][] {
  const u = union(s);
  if (u) return unionRows(u.key, u.variants, prefix);
  const rows: string[][] = [];
  const required = new Set(s.required ?? []);
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    const full = `${prefix}${name}`;
    const nested = p.properties || union(p) ? p : p.items && (p.items.properties || union(p.items)) ? p.items : null;
    const more = constraints(p);
    const paren = more.length > 0 ? ` (${more.join('; ')})` : '';
    const type = nested === p ? `object${paren}` : nested ? `array${paren} of objects` : innerType(p);
    rows.push([
      code(full),
      [type, ...defaults(p)].join('; '),
      required.has(name) ? 'yes' : 'no',
      p.description ? prose(p.description) : '',
    ]);
    if (nested) rows.push(...fieldRows(nested, nested === p ? `${full}.` : `${full}[].`));
  }
  return rows;
}

function unionRows(key: string, variants: Schema[], prefix: string): string[][] {
  const tag = (v: Schema) => value(v.properties![key]!.const);
  const names = [...new Set(variants.flatMap((v) => Object.keys(v.properties!)))];
  return names.map((name) => {
    const having = variants.filter((v) => v.properties![name]);
    const p = having[0]!.properties![name]!;
    const requiredIn = having.filter((v) => v.required?.includes(name));
    if (name === key) {
      return [
        code(`${prefix}${name}`),
        `one of ${variants.map(tag).join(', ')}`,
        'yes',
        'which kind of object this is',
      ];
    }
    const only = having.length < variants.length ? `only with ${code(key)} ${having.map(tag).join(' or ')}` : '';
    return [
      code(`${prefix}${name}`),
      typeOf(p),
      requiredIn.length === having.length ? 'yes' : 'no',
      [only, p.description ? prose(p.description) : ''].filter((x) => x).join('; '),
    ];
  });
}

const fieldTable = (s: Schema): string => table(['field', 'type', 'required', 'description'], fieldRows(s));

/** How an operation's token is checked: a word for each role of the `token` scheme. */
function access(security: Security | undefined): string {
  if (!security || security.length === 0) return 'none';
  return security
    .map((requirement) =>
      Object.entries(requirement)
        .map(([scheme, roles]) => (roles.length > 0 ? `${roles.join(', ')} token` : `a ${scheme}`))
        .join(' and '),
    )
    .join(' or ');
}

function schemaText(s: Schema | undefined): string {
  if (!s) return '';
  const own = typeOf(s);
  return s.description ? `${own}: ${prose(s.description)}` : own;
}

/** A body (of a request or a response): each media type, its schema in words, and a field table for an object. */
function bodyParts(content: Record<string, { schema?: Schema }>): { summary: string; tables: string[] } {
  const parts: string[] = [];
  const tables: string[] = [];
  for (const [media, { schema }] of Object.entries(content)) {
    if (schema?.properties) {
      parts.push(`${code(media)}: an object with the fields below`);
      tables.push(fieldTable(schema));
    } else parts.push(schema ? `${code(media)}: ${schemaText(schema)}` : code(media));
  }
  return { summary: parts.join('; '), tables };
}

function operationSection(doc: OpenApiDocument, path: string, method: string, op: Operation): string {
  const out: (string | false)[] = [`### ${operationTitle(method, path)}`];
  if (op.summary) out.push(sentence(prose(op.summary)));
  if (op.description) out.push(prose(op.description));
  out.push(`Token: ${access(op.security ?? doc.security)}.`);
  const params = op.parameters ?? [];
  if (params.length > 0) {
    out.push(
      table(
        ['parameter', 'in', 'required', 'type', 'description'],
        params.map((p) => [
          code(p.name),
          p.in,
          p.required ? 'yes' : 'no',
          p.schema ? typeOf(p.schema) : '',
          [p.description, p.schema?.description]
            .filter((d) => d)
            .map((d) => prose(d!))
            .join('; '),
        ]),
      ),
    );
  }
  if (op.requestBody) {
    const body = bodyParts(op.requestBody.content);
    out.push(`Request body (${op.requestBody.required ? 'required' : 'optional'}): ${body.summary}.`, ...body.tables);
  }
  const responseTables: string[] = [];
  const rows = Object.entries(op.responses).map(([status, r]) => {
    const description = [r.headers ? sentence(prose(r.description)) : prose(r.description)];
    for (const [name, h] of Object.entries(r.headers ?? {})) {
      description.push(
        `Header ${code(name)} (${h.schema ? typeOf(h.schema) : 'string'})${h.description ? `: ${prose(h.description)}` : ''}.`,
      );
    }
    let body = '';
    if (r.content) {
      const parts = bodyParts(r.content);
      body = parts.summary;
      for (const t of parts.tables) responseTables.push(`Fields of the \`${status}\` body:\n\n${t}`);
    }
    return [code(status), description.join(' '), body];
  });
  out.push(table(['status', 'description', 'body'], rows), ...responseTables);
  return page(out).trimEnd();
}

const operationTitle = (method: string, path: string): string => `\`${method.toUpperCase()} ${path}\``;

/** Every operation of the document, in its order: path, method, operation. */
export function operations(doc: OpenApiDocument): [string, string, Operation][] {
  const out: [string, string, Operation][] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) out.push([path, method, op]);
    }
  }
  return out;
}

export function renderHttpApi(doc: OpenApiDocument): string {
  const ops = operations(doc);
  const scheme = Object.values(doc.components.securitySchemes).map((s) =>
    sentence(
      `A token is sent in the ${s.name ? `${code(s.name)} ` : ''}${s.in ?? ''}${s.description ? `: ${prose(s.description)}` : ''}`,
    ),
  );
  const error = doc.components.schemas.Error;
  const statuses: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  const codes = Object.entries(ERROR_CODES).map(([c, status]) => [code(c), `${status} ${statuses[status] ?? ''}`]);
  const schemas = Object.entries(doc.components.schemas).filter(([name]) => name !== 'Error');
  return page([
    '# HTTP API',
    generated('the OpenAPI document of src/api/openapi.ts (`openApiDocument()`)'),
    [
      'The running service serves the same description, as an OpenAPI 3.1 document, at `GET /openapi.json`.',
      doc.info.description ? sentence(prose(doc.info.description)) : '',
    ]
      .filter((l) => l)
      .join(' '),
    '## Tokens',
    ...scheme,
    [
      'An operation that needs a token answers `401` when none is sent or it is not one of the configured tokens,',
      'and one that needs a write token answers `403` to a read-only token (`RESULTANT_READ_TOKENS`). Each operation',
      'below says which token it needs: "read token", "write token" or "none".',
    ].join('\n'),
    '## Errors',
    [
      'An error answers with a JSON object (only `GET /query` and `POST /query` answer `{"error": "..."}` instead, as',
      'InfluxDB 1.x does). `code` and `message` are always there; the other fields come with particular errors.',
      'A `503` answer may carry a `Retry-After` header: the seconds to wait before trying again.',
    ].join('\n'),
    error ? fieldTable(error) : false,
    'The error codes (`ERROR_CODES` in src/errors.ts) and the HTTP status each answers with:',
    table(['code', 'HTTP status'], codes),
    '## Operations',
    table(
      ['operation', 'summary', 'token'],
      ops.map(([path, method, op]) => {
        const title = operationTitle(method, path);
        return [
          `[${title}](#${slug(title)})`,
          op.summary ? prose(op.summary) : '',
          access(op.security ?? doc.security),
        ];
      }),
    ),
    ...ops.map(([path, method, op]) => operationSection(doc, path, method, op)),
    schemas.length > 0 && '## Schemas',
    ...schemas.map(([name, s]) =>
      page([
        `### ${name}`,
        s.description ? sentence(prose(s.description)) : false,
        s.properties ? fieldTable(s) : typeOf(s),
      ]).trimEnd(),
    ),
  ]);
}
