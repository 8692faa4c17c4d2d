/**
 * The chart as a file: the SVG recharts drew, made standalone (CSS variables and classes resolved
 * into attributes, a background, the title and the legend drawn in, since the page's legend is
 * HTML), as SVG text or rendered to a PNG at twice the size.
 */

export interface LegendEntry {
  readonly name: string;
  readonly color: string;
  readonly dash: string | undefined;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Presentation properties that CSS may set on the chart's elements. */
const PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity', 'font-size', 'font-family', 'font-weight', 'text-anchor', 'dominant-baseline'];

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Inherited by children: written only where an element's value differs from its parent's. */
const INHERITED = new Set(['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'font-size', 'font-family', 'font-weight', 'text-anchor', 'dominant-baseline']);
const DEFAULTS: Record<string, string> = { opacity: '1' };

/**
 * Writes onto `to` (a clone of `from`) the presentation values CSS gave `from` (classes, CSS
 * variables such as `var(--muted)`), then drops `class` and `style`: the file needs no stylesheet.
 */
function inlineStyles(from: Element, to: Element, parent: CSSStyleDeclaration | null): void {
  const style = getComputedStyle(from);
  for (const p of PROPS) {
    const v = style.getPropertyValue(p);
    const inherited = INHERITED.has(p) && parent !== null && parent.getPropertyValue(p) === v;
    if (v === '' || v === 'normal' || inherited || DEFAULTS[p] === v) to.removeAttribute(p);
    else to.setAttribute(p, v);
  }
  for (const a of ['class', 'style', 'tabindex', 'role']) to.removeAttribute(a);
  const a = from.children;
  const b = to.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i]!, b[i]!, style);
}

/** The first opaque background behind `el` (the panel's), white if none is. */
function backgroundOf(el: Element | null): string {
  for (let e = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg && bg !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return '#ffffff';
}

/** Standalone SVG text of `svg` with `title` above and the legend below. */
export function chartSvg(svg: SVGSVGElement, title: string, legend: readonly LegendEntry[]): { text: string; width: number; height: number } {
  const width = Math.round(svg.clientWidth || Number(svg.getAttribute('width')) || 640);
  const plotHeight = Math.round(svg.clientHeight || Number(svg.getAttribute('height')) || 280);
  const clone = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, clone, null);
  const background = backgroundOf(svg);
  const color = getComputedStyle(svg).color || '#000000';
  const top = 28;
  const rowHeight = 18;
  const legendHeight = legend.length * rowHeight + 12;
  const height = top + plotHeight + legendHeight;

  const root = el('svg', { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'system-ui, sans-serif' }) as SVGSVGElement;
  root.append(el('rect', { x: 0, y: 0, width, height, fill: background }));
  root.append(el('text', { x: 12, y: 18, 'font-size': 14, fill: color }, title));
  const plot = el('g', { transform: `translate(0 ${top})` });
  clone.removeAttribute('style');
  clone.setAttribute('x', '0');
  clone.setAttribute('y', '0');
  plot.append(clone);
  root.append(plot);
  legend.forEach((entry, i) => {
    const y = top + plotHeight + 8 + i * rowHeight;
    root.append(el('line', { x1: 16, y1: y + 6, x2: 44, y2: y + 6, stroke: entry.color, 'stroke-width': 2, ...(entry.dash ? { 'stroke-dasharray': entry.dash } : {}) }));
    root.append(el('text', { x: 52, y: y + 10, 'font-size': 12, fill: color }, entry.name));
  });
  return { text: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(root)}\n`, width, height };
}

/** The SVG rendered to a PNG (`scale` × its size). */
export async function svgToPng(svg: { text: string; width: number; height: number }, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg.text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.width = svg.width;
    image.height = svg.height;
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = svg.width * scale;
    canvas.height = svg.height * scale;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas in this browser');
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0, svg.width, svg.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
