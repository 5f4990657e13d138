// One table as an OpenDocument spreadsheet (.ods), what LibreOffice, OnlyOffice and Excel
// open natively. The package is zipped by fflate; the XML is written here because the
// one ODS-writing library on npm (SheetJS) puts `mimetype` neither first nor uncompressed,
// which the ODF specification requires (part 3, §3.3) and strict readers check.
// Numbers and booleans are typed cells; a text on several lines is one paragraph per line.
// Cells are data, never formulas, so no "CSV injection" guard is needed here.
import { strToU8, zipSync } from 'fflate';
import type { Cell } from './csv.ts';

export const ODS_MIMETYPE = 'application/vnd.oasis.opendocument.spreadsheet';

const NS = {
  office: 'urn:oasis:names:tc:opendocument:xmlns:office:1.0',
  style: 'urn:oasis:names:tc:opendocument:xmlns:style:1.0',
  table: 'urn:oasis:names:tc:opendocument:xmlns:table:1.0',
  text: 'urn:oasis:names:tc:opendocument:xmlns:text:1.0',
  fo: 'urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0',
  manifest: 'urn:oasis:names:tc:opendocument:xmlns:manifest:1.0',
};

/** XML 1.0 refuses most control characters: a candidate's stray one must not break the file. */
function xmlText(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

/** A line of text as ODF keeps it: runs of spaces and tabs are elements, not collapsed. */
function paragraph(line: string): string {
  const body = xmlText(line)
    .replace(/\t/g, '<text:tab/>')
    .replace(/ {2,}/g, (run) => ` <text:s text:c="${run.length - 1}"/>`)
    .replace(/^ /, '<text:s/>');
  return `<text:p>${body}</text:p>`;
}

function cell(value: Cell, style = ''): string {
  const styled = style ? ` table:style-name="${style}"` : '';
  if (value === null || value === undefined || value === '') return `<table:table-cell${styled}/>`;
  if (typeof value === 'number' && Number.isFinite(value))
    return `<table:table-cell${styled} office:value-type="float" office:value="${value}"><text:p>${value}</text:p></table:table-cell>`;
  if (typeof value === 'boolean')
    return `<table:table-cell${styled} office:value-type="boolean" office:boolean-value="${value}"><text:p>${value}</text:p></table:table-cell>`;
  const lines = String(value)
    .split(/\r\n|\r|\n/)
    .map(paragraph)
    .join('');
  return `<table:table-cell${styled} office:value-type="string">${lines}</table:table-cell>`;
}

function contentXml(sheet: string, header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const row = (cells: string[]) => `<table:table-row>${cells.join('')}</table:table-row>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<office:document-content xmlns:office="${NS.office}" xmlns:style="${NS.style}" xmlns:table="${NS.table}" xmlns:text="${NS.text}" xmlns:fo="${NS.fo}" office:version="1.2">`,
    '<office:automatic-styles>',
    '<style:style style:name="head" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style>',
    '</office:automatic-styles>',
    '<office:body><office:spreadsheet>',
    `<table:table table:name="${xmlText(sheet)}">`,
    `<table:table-column table:number-columns-repeated="${Math.max(1, header.length)}"/>`,
    `<table:table-header-rows>${row(header.map((h) => cell(h, 'head')))}</table:table-header-rows>`,
    ...rows.map((r) => row(r.map((v) => cell(v)))),
    '</table:table>',
    '</office:spreadsheet></office:body>',
    '</office:document-content>',
  ].join('\n');
}

// Readers (SheetJS among them) expect styles.xml even when, as here, it defines nothing.
const STYLES = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  `<office:document-styles xmlns:office="${NS.office}" xmlns:style="${NS.style}" office:version="1.2">`,
  '<office:styles/>',
  '</office:document-styles>',
].join('\n');

const MANIFEST = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  `<manifest:manifest xmlns:manifest="${NS.manifest}" manifest:version="1.2">`,
  `<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="${ODS_MIMETYPE}"/>`,
  '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
  '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>',
  '</manifest:manifest>',
].join('\n');

/** A one-sheet spreadsheet: a bold header row, then the rows. */
export function toOds(
  sheet: string,
  header: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): Buffer {
  // Key order is the order in the archive: `mimetype` first and stored (level 0), as ODF requires.
  const zipped = zipSync({
    mimetype: [strToU8(ODS_MIMETYPE), { level: 0 }],
    'META-INF/manifest.xml': strToU8(MANIFEST),
    'content.xml': strToU8(contentXml(sheet, header, rows)),
    'styles.xml': strToU8(STYLES),
  });
  return Buffer.from(zipped.buffer, zipped.byteOffset, zipped.byteLength);
}
