/** One entry point for every export format (API `export.graph` and `lantern export`). */
import type { CaptureHeader } from '../common/capture';
import type { ExportResult } from '../common/contract';
import { EXPORT_FORMATS } from '../common/contract';
import type { Finding } from '../common/findings';
import type { BehaviourGraph } from '../graph/builder';
import { toGexf, toGraphML, toGraphologyJson, toOpenGraph } from './formats';
import { findingsToMarkdown, toHtmlReport, toMarkdownSummary } from './report';

export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export { EXPORT_FORMATS };

export interface ExportInput {
  graph: BehaviourGraph;
  name: string;
  header?: CaptureHeader;
  findings?: Finding[];
  events?: number;
  warnings?: string[];
}

const EXT: Record<ExportFormat, [string, string]> = {
  gexf: ['gexf', 'application/gexf+xml'],
  graphml: ['graphml', 'application/graphml+xml'],
  json: ['graph.json', 'application/json'],
  opengraph: ['opengraph.json', 'application/json'],
  html: ['html', 'text/html'],
  md: ['md', 'text/markdown'],
  'findings-json': ['findings.json', 'application/json'],
  'findings-md': ['findings.md', 'text/markdown'],
};

export function exportText(format: ExportFormat, input: ExportInput): string {
  switch (format) {
    case 'gexf':
      return toGexf(input.graph);
    case 'graphml':
      return toGraphML(input.graph);
    case 'json':
      return toGraphologyJson(input.graph);
    case 'opengraph':
      return toOpenGraph(input.graph);
    case 'html':
      return toHtmlReport(input);
    case 'md':
      return toMarkdownSummary(input);
    case 'findings-json':
      return JSON.stringify(input.findings ?? [], null, 2);
    case 'findings-md':
      return findingsToMarkdown(input.findings ?? [], input.name);
  }
}

export function exportGraph(format: ExportFormat, input: ExportInput): ExportResult {
  const [ext, mime] = EXT[format];
  const base =
    input.name
      .replace(/\.lantern$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 100) || 'capture';
  return { fileName: `${base}.${ext}`, mime, data: exportText(format, input), encoding: 'utf8' };
}
