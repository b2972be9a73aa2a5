/**
 * Bytes → text for XML files. ConfigMgr's WMI exports are often UTF-16 (with a BOM), MDT files
 * UTF-8 or plain ASCII; the encoding is chosen from the BOM, then the byte pattern of "<?", then
 * the declaration's `encoding=`, as XML 1.0 Appendix F describes.
 */
import { InputError } from '../input-error.js';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | string;

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
  bom: boolean;
}

export function decodeXmlBytes(bytes: Uint8Array, input = '<input>'): DecodedText {
  let encoding: TextEncodingName = 'utf-8';
  let bom = false;
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bom = true;
    start = 3;
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    bom = true;
    start = 2;
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    bom = true;
    start = 2;
  } else if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] !== 0x00) {
    encoding = 'utf-16le';
  } else if (bytes[0] === 0x00 && bytes[1] === 0x3c) {
    encoding = 'utf-16be';
  } else {
    // ASCII-compatible: honour the declaration if it names a single-byte code page.
    const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
    const m = /^<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
    if (m) {
      const declared = m[1].toLowerCase();
      if (declared !== 'utf-8' && declared !== 'utf8' && !declared.startsWith('utf-16') && declared !== 'unicode') {
        encoding = declared;
      }
    }
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new InputError({
      input,
      rule: `unsupported text encoding "${encoding}" in the XML declaration`,
      hint: 'save the file as UTF-8 or UTF-16',
    });
  }
  try {
    const text = decoder.decode(bytes.subarray(start));
    return { text, encoding, bom };
  } catch {
    throw new InputError({
      input,
      rule: `the file is not valid ${encoding.toUpperCase()} text`,
      hint: 'check that the file is an XML document and was not truncated or re-encoded',
    });
  }
}

/** Encodes text in the encoding it was read in (UTF-16 gets its BOM back). */
export function encodeText(text: string, encoding: TextEncodingName, bom: boolean): Buffer {
  if (encoding === 'utf-16le') {
    const body = Buffer.from(text, 'utf16le');
    return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
  }
  if (encoding === 'utf-16be') {
    const le = Buffer.from(text, 'utf16le');
    le.swap16();
    return bom ? Buffer.concat([Buffer.from([0xfe, 0xff]), le]) : le;
  }
  if (encoding === 'utf-8') {
    const body = Buffer.from(text, 'utf8');
    return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
  }
  if (encoding === 'iso-8859-1' || encoding === 'latin1' || encoding === 'windows-1252') {
    return Buffer.from(text, 'latin1');
  }
  return Buffer.from(text, 'utf8');
}
