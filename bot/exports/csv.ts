// CSV the way spreadsheets open it without questions: UTF-8 with a byte-order mark
// (so LibreOffice and Excel detect the encoding), CRLF line ends, every text quoted,
// commas between fields. Written by csv-stringify (RFC 4180 quoting).
import { stringify } from 'csv-stringify/sync';

export type Cell = string | number | boolean | null | undefined;

/**
 * Text typed by candidates may start with "=", "+", "-" or "@", which a spreadsheet would
 * run as a formula ("CSV injection"). Such a cell gets a leading apostrophe, the usual
 * "this is text" marker; the JSON export keeps the exact value.
 */
export function guardFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !/^-?\d+([.,]\d+)?$/.test(value) ? `'${value}` : value;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): Buffer {
  const text = stringify([header, ...rows] as Cell[][], {
    bom: true,
    record_delimiter: 'windows',
    quoted_string: true,
    cast: { boolean: (value) => (value ? 'true' : 'false') },
  });
  return Buffer.from(text, 'utf8');
}
