/**
 * Renderers for change lists (`mxprobe diff`, `mxprobe history`): table, json, markdown, html.
 * Streaming: a header, one chunk per row as it is found, a footer; nothing is collected. Server
 * text (banners) is sanitised here: stripControl for terminal and markdown, escapeHtml for HTML.
 */
import { describeChange, type Change } from '../store/diff.js';
import { escapeHtml, stripControl, truncate } from './sanitize.js';

export type ChangeFormat = 'table' | 'json' | 'markdown' | 'html';
export const CHANGE_FORMATS: readonly ChangeFormat[] = ['table', 'json', 'markdown', 'html'];

export interface ChangeRow {
  /** When the change was seen (history); absent in a two-run diff. */
  when?: string;
  where: string;
  /** The vantage (relay) that observed the host, in a fleet run; `where` names it too. */
  vantage?: string;
  change: Change;
  /** The --fail-on-change rules this change violates. */
  violates: string[];
}

export interface ChangeReportMeta {
  title: string;
  /** Extra header fields (json: as is; text: "key: value" lines). */
  info: Record<string, unknown>;
}

export interface ChangeFooter {
  changes: number;
  /** Lines shown that are not changes (a certificate already expiring in the earlier run). */
  reminders?: number;
  places: number;
  violations: number;
  inconclusive: number;
  /** A one-line verdict for people. */
  note: string;
}

export interface ChangeRenderer {
  header(meta: ChangeReportMeta): string;
  row(r: ChangeRow): string;
  footer(f: ChangeFooter): string;
}

/** Server text longer than this (code points) is cut in table, markdown and HTML; JSON keeps it whole. */
const TEXT_MAX = 400;

function text(s: string): string {
  return truncate(stripControl(s), TEXT_MAX);
}

/**
 * A cell of the HTML page: cut as text() cuts, then escaped, with the full length said. A 1 MB
 * banner stored once made a 1 MB page of one cell (qa10); the whole text stays in `--format json`.
 */
function html(s: string): string {
  const cut = truncate(s, TEXT_MAX);
  if (cut === s) return escapeHtml(s);
  let n = 0;
  for (const _ of s) n++;
  return `${escapeHtml(cut)} <small>(cut: ${n} characters in all)</small>`;
}

function mdCell(s: string): string {
  // Markdown table cells: pipes would split the cell; backticks/asterisks could format. Escape them.
  return text(s).replace(/[\\|`*_<>[\]]/g, (c) => `\\${c}`);
}

export function changeRenderer(format: ChangeFormat): ChangeRenderer {
  switch (format) {
    case 'table': {
      let last: string | null = null;
      return {
        header: (m) => `${text(m.title)}\n${Object.entries(m.info).map(([k, v]) => `  ${k}: ${text(String(v))}`).join('\n')}\n\n`,
        row: (r) => {
          const head = r.where !== last ? `${text(r.where)}\n` : '';
          last = r.where;
          return `${head}  ${r.when ? `${r.when.slice(0, 19).replace('T', ' ')}  ` : ''}${text(describeChange(r.change))}${r.violates.length ? `  [${r.violates.join(', ')}]` : ''}\n`;
        },
        footer: (f) => `${f.changes === 0 ? '' : '\n'}${f.note}\n`,
      };
    }
    case 'json': {
      let first = true;
      return {
        header: (m) => `{"title":${JSON.stringify(m.title)},${Object.entries(m.info).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}${Object.keys(m.info).length ? ',' : ''}"changes":[\n`,
        row: (r) => {
          const s = `${first ? '' : ',\n'}${JSON.stringify({ ...(r.when ? { when: r.when } : {}), where: r.where, ...(r.vantage !== undefined ? { vantage: r.vantage } : {}), ...r.change, text: describeChange(r.change), violates: r.violates })}`;
          first = false;
          return s;
        },
        footer: (f) => `\n],"summary":${JSON.stringify(f)}}\n`,
      };
    }
    case 'markdown':
      return {
        header: (m) =>
          `### ${mdCell(m.title)}\n\n${Object.entries(m.info).map(([k, v]) => `- ${mdCell(k)}: ${mdCell(String(v))}`).join('\n')}\n\n| where | change | rules |\n|---|---|---|\n`,
        row: (r) => `| ${mdCell(r.when ? `${r.when.slice(0, 19).replace('T', ' ')} ${r.where}` : r.where)} | ${mdCell(describeChange(r.change))} | ${r.violates.map(mdCell).join(', ')} |\n`,
        footer: (f) => `\n${mdCell(f.note)}\n`,
      };
    case 'html':
      return {
        header: (m) =>
          `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(truncate(m.title, TEXT_MAX))}</title>\n<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}tr.v td{background:#fee}</style></head><body>\n<h1>${html(m.title)}</h1>\n<ul>${Object.entries(m.info).map(([k, v]) => `<li>${escapeHtml(k)}: ${html(String(v))}</li>`).join('')}</ul>\n<table><thead><tr><th>when</th><th>where</th><th>change</th><th>rules</th></tr></thead><tbody>\n`,
        row: (r) =>
          `<tr${r.violates.length ? ' class="v"' : ''}><td>${escapeHtml(r.when ?? '')}</td><td>${html(r.where)}</td><td>${html(describeChange(r.change))}</td><td>${escapeHtml(r.violates.join(', '))}</td></tr>\n`,
        footer: (f) => `</tbody></table>\n<p>${escapeHtml(f.note)}</p>\n</body></html>\n`,
      };
  }
}
