// A report as data: sections of key figures, tables and charts. Every format (Markdown, HTML, JSON, CSV) is a
// rendering of this one object, so the formats always say the same thing.
import { z } from 'zod';
import { checkTagKey, checkTagValue } from '../model/result.js';
import { isValidTimeZone } from '../time/zone.js';

export const REPORT_TYPES = ['comprehensive', 'summary', 'performance', 'anomaly', 'availability'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];
export const REPORT_FORMATS = ['markdown', 'html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const MAX_REPORT_DAYS = 366;
export const DEFAULT_SLA_TARGET_PCT = 99.9;

const tagValue = z.string().min(1);

/** POST /api/v1/reports's body (docs/http-api.md; /openapi.json), plus the optional tz and sla_target_pct. */
export const ReportRequest = z
  .object({
    type: z.enum(REPORT_TYPES).default('comprehensive'),
    format: z.enum(REPORT_FORMATS).default('html'),
    days: z.number().positive().max(MAX_REPORT_DAYS).default(7),
    filter: z.record(z.string(), z.union([tagValue, z.array(tagValue).min(1).max(100)])).default({}),
    tz: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').optional(),
    sla_target_pct: z.number().gt(0).lt(100).default(DEFAULT_SLA_TARGET_PCT),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const [k, v] of Object.entries(r.filter)) {
      const problem =
        checkTagKey(k) ?? (Array.isArray(v) ? v : [v]).map((x) => checkTagValue(k, x)).find(Boolean) ?? null;
      if (problem) ctx.addIssue({ code: 'custom', path: ['filter', k], message: problem });
    }
  });
export type ReportRequest = z.infer<typeof ReportRequest>;

export type Cell = string | number | boolean | null;

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Rows left out (the table shows the first ones by its order). */
  omitted?: number;
}

export interface Figure {
  label: string;
  value: Cell;
  unit?: string;
}

export interface ReportChart {
  type: string;
  title: string;
  /** Inline SVG for Markdown and HTML; left out of JSON and CSV. */
  svg?: string;
  empty: boolean;
}

export interface Section {
  id: string;
  title: string;
  /** false: the section could not be built (its data could not be had); `note` says why. */
  available: boolean;
  note?: string;
  figures: Figure[];
  tables: Table[];
  charts: ReportChart[];
}

export interface Report {
  type: ReportType;
  title: string;
  generated_at: string;
  tz: string;
  start: string;
  stop: string;
  days: number;
  filter: Record<string, string[]>;
  sla_target_pct: number;
  sections: Section[];
}
