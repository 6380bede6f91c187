// Reading rendered charts in tests: the SVG as an XML tree, the PNG's header and pixel data.

import { inflateSync } from 'node:zlib';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlNode {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
}

/** Parses `xml` (throws when it is not well-formed) into a simple tree. */
export function parseXml(xml: string): XmlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} at line ${valid.err.line}`);
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    preserveOrder: true,
    trimValues: false,
  }).parse(xml) as unknown[];
  const convert = (o: Record<string, unknown>): XmlNode | null => {
    const tag = Object.keys(o).find((k) => k !== ':@');
    if (!tag || tag === '#text') return null;
    const kids = (o[tag] as Record<string, unknown>[]) ?? [];
    const node: XmlNode = { tag, attrs: (o[':@'] as Record<string, string>) ?? {}, text: '', children: [] };
    for (const k of kids) {
      if ('#text' in k) node.text += String(k['#text']);
      else {
        const c = convert(k);
        if (c) node.children.push(c);
      }
    }
    return node;
  };
  const root = (parsed as Record<string, unknown>[]).map(convert).find((n) => n !== null);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(n: XmlNode, pred: (n: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) findAll(c, pred, out);
  return out;
}

export const hasClass = (cls: string) => (n: XmlNode) => (n.attrs.class ?? '').split(/\s+/).includes(cls);

export function textOf(n: XmlNode): string {
  return n.text + n.children.map(textOf).join('');
}

/** Texts of all elements in groups with class `cls` (e.g. role-axis-title, role-legend-label, role-title-text). */
export function textsIn(root: XmlNode, cls: string): string[] {
  return findAll(root, hasClass(cls)).flatMap((g) => findAll(g, (n) => n.tag === 'text').map(textOf));
}

/** Paths drawn by line marks (one per series). */
export function linePaths(root: XmlNode): XmlNode[] {
  return findAll(root, hasClass('mark-line')).flatMap((g) => g.children.filter((c) => c.tag === 'path'));
}

/**
 * Decodes a PNG far enough to know it is one: signature, IHDR size, and the inflated IDAT stream of exactly the
 * size the header implies (8-bit RGBA or RGB, one filter byte per row).
 */
export function decodePng(buf: Buffer): { width: number; height: number; colorType: number } {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(sig)) throw new Error('not a PNG signature');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let bitDepth = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    off += 12 + len;
  }
  if (!ended) throw new Error('PNG has no IEND chunk');
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 0 ? 1 : 0;
  if (bitDepth !== 8 || channels === 0)
    throw new Error(`unexpected PNG format: depth ${bitDepth}, colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (1 + width * channels))
    throw new Error(`PNG pixel data is ${raw.length} bytes, expected ${height * (1 + width * channels)}`);
  return { width, height, colorType };
}
