import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { SCREENSHOTS_DIR } from './browser.js';

/** A PDF as a reader sees it: its pages' text, and how much of its first page is ink, and red ink. */
export interface RenderedPdf {
  pages: number;
  /** Each page's text, in reading order, as pdf.js extracts it. */
  text: string[];
  /** Page 1 in points (A4: 595 × 842, or 842 × 595 landscape). */
  width: number;
  height: number;
  /** Share of page 1's pixels that are not white, and that are clearly red (KO). */
  inked: number;
  red: number;
}

const BUILD = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/build/pdf.min.mjs'));
const ORIGIN = 'http://pdf.test';

/** Runs in the page (plain JavaScript: the project's types have no DOM): parse, extract, draw, count. */
const IN_PAGE = `(async () => {
  const pdfjs = await import('/pdf.min.mjs');
  pdfjs.GlobalWorkerOptions.workerSrc = '/pdf.worker.min.mjs';
  const doc = await pdfjs.getDocument({ url: '/report.pdf' }).promise;
  const text = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    text.push(content.items.map((i) => i.str ?? '').join(' '));
  }
  const first = await doc.getPage(1);
  const size = first.getViewport({ scale: 1 });
  const viewport = first.getViewport({ scale: 1.5 });
  const canvas = document.getElementById('page');
  canvas.width = Math.ceil(viewport.width);
  canvas.height = Math.ceil(viewport.height);
  await first.render({ canvas, viewport }).promise;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  let red = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && r + g + b < 720) inked++;
    if (a > 0 && r > 150 && g < 90 && b < 90) red++;
  }
  const pixels = data.length / 4;
  return { pages: doc.numPages, text, width: size.width, height: size.height, inked: inked / pixels, red: red / pixels };
})()`;

/**
 * Renders a PDF with pdf.js in Chromium, on a page of its own (an origin only this test serves:
 * the page, pdf.js and its worker), saves page 1 as a screenshot, and returns what was drawn.
 * A file Chromium's pdf.js cannot parse fails here, as it would fail for the Regione.
 */
export async function renderPdf(browser: Browser, bytes: Buffer, name: string): Promise<RenderedPdf> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.route(`${ORIGIN}/**`, async (route) => {
      const file = new URL(route.request().url()).pathname.slice(1);
      if (file === '') {
        await route.fulfill({ contentType: 'text/html', body: '<!doctype html><canvas id="page"></canvas>' });
      } else if (file === 'report.pdf') {
        await route.fulfill({ contentType: 'application/pdf', body: bytes });
      } else if (/^pdf(\.worker)?\.min\.mjs$/.test(file)) {
        await route.fulfill({ contentType: 'text/javascript', body: await readFile(path.join(BUILD, file)) });
      } else {
        await route.fulfill({ status: 404, body: '' });
      }
    });
    await page.goto(`${ORIGIN}/`);
    const rendered = await page.evaluate<RenderedPdf>(IN_PAGE);
    await page.locator('#page').screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
    return rendered;
  } finally {
    await context.close();
  }
}
