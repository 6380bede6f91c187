// The reference pages: the committed docs/configuration.md, docs/cli.md and docs/http-api.md equal their rendering
// from the code (run `npm run docs` after changing the configuration, the commands or the OpenAPI document), each
// covers everything there is, and the OpenAPI document describes exactly the routes the service mounts, each with
// the token it checks. A unit test: no server is started and no child process run.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import type { AppDeps } from '../api/deps.js';
import { openApiDocument } from '../api/openapi.js';
import { buildProgram } from '../cli/index.js';
import { CONFIG_DOCS, CONFIG_VARIABLES, configDefaults, variableToFlag } from '../config.js';
import { ERROR_CODES } from '../errors.js';
import { type OpenApiDocument, operations, referencePages, slug } from './reference.js';

const root = new URL('../../', import.meta.url);
const pages = referencePages();
const text = (file: string): string => pages.find((p) => p.file === file)!.text;
const doc = openApiDocument('') as OpenApiDocument;

/** A page's section: from its heading to the next heading of the same or a higher level. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`\n${heading}\n`);
  if (start < 0) return '';
  const level = heading.indexOf(' ');
  const rest = md.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

describe('the reference pages', () => {
  it.each(pages.map((p) => [p.file]))('the committed %s equals its rendering (run `npm run docs`)', (file) => {
    const committed = readFileSync(new URL(file, root), 'utf8');
    expect(committed, `${file} is out of date: run \`npm run docs\` and commit the result`).toBe(text(file));
  });

  it('render the same text twice (nothing of the machine or the clock in them)', () => {
    expect(referencePages()).toEqual(pages);
  });

  it.each(pages.map((p) => [p.file]))('every link inside %s leads to a heading of the page', (file) => {
    const md = text(file);
    const headings = new Set([...md.matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!)));
    const targets = [...md.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(targets.filter((t) => !headings.has(t))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  const md = text('docs/configuration.md');

  it('describes every configuration variable, with its flag', () => {
    expect(Object.keys(CONFIG_DOCS).sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const v of CONFIG_VARIABLES) {
      expect(CONFIG_DOCS[v].description.trim(), v).not.toBe('');
      expect(md, v).toContain(`| \`${v}\` | \`--${variableToFlag(v)}\` |`);
    }
  });

  it('says in words what applies when a variable without a default value is unset', () => {
    const defaults = configDefaults() as Record<string, unknown>;
    for (const v of CONFIG_VARIABLES) {
      const words = (CONFIG_DOCS[v] as { default?: string }).default;
      if (defaults[v] === undefined) expect(words?.trim(), v).toBeTruthy();
    }
  });
});

describe('docs/cli.md', () => {
  const md = text('docs/cli.md');
  const program = buildProgram();

  it('has a section for every command, with its usage and every option', () => {
    expect(program.commands.length).toBeGreaterThanOrEqual(11);
    const help = program.createHelp();
    for (const cmd of program.commands) {
      const s = section(md, `## \`resultant ${cmd.name()}\``);
      expect(s, cmd.name()).not.toBe('');
      expect(s).toContain(`Usage: \`${help.commandUsage(cmd)}\``);
      for (const o of help.visibleOptions(cmd)) expect(s, `${cmd.name()} ${o.flags}`).toContain(`| \`${o.flags}\` |`);
      for (const a of help.visibleArguments(cmd)) expect(s, `${cmd.name()} ${a.name()}`).toContain(`\`${a.name()}\``);
    }
  });

  it('every command and option has a description', () => {
    for (const cmd of program.commands) {
      expect(cmd.description(), cmd.name()).not.toBe('');
      for (const o of cmd.options) expect(o.description, `${cmd.name()} ${o.flags}`).not.toBe('');
      for (const a of cmd.registeredArguments) expect(a.description, `${cmd.name()} ${a.name()}`).not.toBe('');
    }
  });

  it('every serve option sets the configuration variable of its name', () => {
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    expect(serve.options.map((o) => o.flags)).toEqual(CONFIG_VARIABLES.map((v) => `--${variableToFlag(v)} <value>`));
  });
});

/** The routes the application mounts: method, OpenAPI-style path, and the token its handlers check. */
function mountedRoutes(): { method: string; path: string; token: string }[] {
  // The routers only keep these for their handlers; nothing is called while the routes are listed.
  const deps = {
    config: { timezone: 'UTC', authTokens: ['a-token-of-8'], publicRead: false, maxBodyBytes: 1_000_000 },
    queue: {},
    version: '0.0.0',
  } as unknown as AppDeps;
  const app = createApp(deps) as unknown as { router: { stack: Layer[] } };
  interface Layer {
    route?: { path: string; methods: Record<string, boolean>; stack: { handle: { access?: string } }[] };
    handle?: { stack?: Layer[] };
  }
  const out: { method: string; path: string; token: string }[] = [];
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        const check = layer.route.stack.find((l) => typeof l.handle.access === 'string');
        for (const method of Object.keys(layer.route.methods)) {
          out.push({
            method,
            path: layer.route.path.replace(/:(\w+)/g, '{$1}'),
            token: check ? `${check.handle.access} token` : 'none',
          });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack);
  return out;
}

describe('docs/http-api.md', () => {
  const md = text('docs/http-api.md');

  it('has a section for every operation of the OpenAPI document, and lists every error code', () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(25);
    for (const path of Object.keys(doc.paths))
      expect(
        ops.some(([p]) => p === path),
        path,
      ).toBe(true);
    for (const [path, method] of ops) {
      const s = section(md, `### \`${method.toUpperCase()} ${path}\``);
      expect(s, `${method} ${path}`).toMatch(/Token: (read token|write token|none)\./);
    }
    for (const code of Object.keys(ERROR_CODES))
      expect(md).toContain(`| \`${code}\` | ${ERROR_CODES[code as keyof typeof ERROR_CODES]} `);
  });

  it('the OpenAPI document describes exactly the mounted routes, each with the token it checks', () => {
    const documented = operations(doc)
      .map(([path, method, op]) => {
        const roles = (op.security ?? doc.security ?? []).flatMap((r) => Object.values(r).flat());
        return `${method.toUpperCase()} ${path}: ${roles.length > 0 ? `${roles.join(',')} token` : 'none'}`;
      })
      // GET / is the dashboard's static files (express.static), not a route.
      .filter((line) => !line.startsWith('GET /: '))
      .sort();
    const mounted = mountedRoutes()
      .map((r) => `${r.method.toUpperCase()} ${r.path}: ${r.token}`)
      .sort();
    expect(documented).toEqual(mounted);
  });

  it("the error body's codes are the error codes", () => {
    const error = doc.components.schemas.Error!;
    expect(error.properties!.code!.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('names a server, gives every operation a unique operationId, and declares every parameter of a path', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const ids: string[] = [];
    const undeclared: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        ids.push(op.operationId ?? `(none: ${method} ${path})`);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        for (const [, name] of path.matchAll(/\{(\w+)\}/g))
          if (!declared.includes(name!)) undeclared.push(`${method} ${path}: ${name}`);
      }
    }
    expect(ids.filter((id) => id.startsWith('(none'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(undeclared).toEqual([]);
  });
});
