/** A task sequence file chosen in the browser, as the import answer's body expects it. */

export type SequenceFormat = 'xml' | 'json' | 'zip';

export function formatOfFile(name: string): SequenceFormat | undefined {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'xml') return 'xml';
  if (ext === 'json') return 'json';
  if (ext === 'zip') return 'zip';
  return undefined;
}

/** The file's content: text for XML and JSON (the site reads its encoding from the bytes' BOM/declaration), base64 for a zip. */
export async function contentOfFile(file: File, format: SequenceFormat): Promise<{ content: string; encoding: 'text' | 'base64' }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (format === 'zip' || !isUtf8(bytes)) return { content: toBase64(bytes), encoding: 'base64' };
  return { content: new TextDecoder('utf-8').decode(bytes), encoding: 'text' };
}

function isUtf8(bytes: Uint8Array): boolean {
  // UTF-16 files (a BOM FF FE / FE FF) go as base64 so the site decodes them itself.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}
