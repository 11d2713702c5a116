// Just enough XML writing for AWS's query-protocol and S3 response shapes. Every text value goes
// through escapeXml, so keys, prefixes and messages cannot break the document.

export type XmlChild = XmlElement | string | number | boolean | undefined;

export interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlChild[];
  readonly attributes?: Readonly<Record<string, string>>;
}

export function el(name: string, ...children: XmlChild[]): XmlElement {
  return { name, children };
}

/** An element with attributes, used for the root's xmlns. */
export function root(name: string, xmlns: string, ...children: XmlChild[]): XmlElement {
  return { name, children, attributes: { xmlns } };
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function render(node: XmlChild): string {
  if (node === undefined) return '';
  if (typeof node !== 'object') return escapeXml(String(node));
  const attributes = Object.entries(node.attributes ?? {})
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join('');
  // An element whose only children were undefined (an optional field) is left out entirely.
  if (node.children.length > 0 && node.children.every((child) => child === undefined)) return '';
  return `<${node.name}${attributes}>${node.children.map(render).join('')}</${node.name}>`;
}

export function xmlDocument(top: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(top)}`;
}
