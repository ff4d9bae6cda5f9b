import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { num } from '../kpi';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** The line's colour; series also differ by `dash`, so colour is never the only difference. */
  stroke: string;
  /** A dash pattern in pixels ([] = solid). */
  dash?: number[];
  /** Drawn as bars (for one series of counts); otherwise a line with points. */
  bars?: boolean;
  /** How a value reads in the legend and the table (default: Italian number, up to two decimals). */
  format?: (v: number | null) => string;
}

/** Distinct strokes and dashes, in order, for pages that do not choose their own. */
export const SERIES_STYLES: { stroke: string; dash: number[] }[] = [
  { stroke: '#0b4f8a', dash: [] },
  { stroke: '#b54708', dash: [10, 5] },
  { stroke: '#1a7f37', dash: [2, 4] },
  { stroke: '#6e40c9', dash: [12, 4, 2, 4] },
  { stroke: '#b42318', dash: [6, 3] },
];

/**
 * A small uPlot chart over labelled categories (hours, weekdays, days), with the same figures
 * in a table for screen readers (the canvas is hidden from them). The chart follows its
 * container's width; new values redraw it without building it again.
 */
export function Chart(props: {
  title: string;
  xLabel: string;
  /** One label per point, in order. */
  x: string[];
  series: ChartSeries[];
  yLabel?: string;
  height?: number;
  /** Larger type, for the wall screen. */
  large?: boolean;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  const labels = useRef(props.x);
  labels.current = props.x;
  const height = props.height ?? 260;
  const data = (): uPlot.AlignedData => [props.x.map((_, i) => i), ...props.series.map((s) => s.values)];
  // The chart is built again only when its structure changes (categories, series, type size,
  // height); new values for the same categories only redraw it.
  const shape = JSON.stringify([
    props.xLabel,
    props.x,
    props.yLabel,
    props.series.map((s) => [s.label, s.stroke, s.dash, s.bars]),
    props.large,
    height,
  ]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const font = props.large ? '600 16px system-ui, sans-serif' : '12px system-ui, sans-serif';
    const axis: uPlot.Axis = {
      stroke: '#1b1f23',
      font,
      labelFont: font,
      grid: { stroke: '#d0d7de', width: 1 },
      ticks: { stroke: '#8c959f', width: 1 },
    };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      scales: {
        // Each category centred in its slot, also when there is only one (uPlot would widen it).
        x: { time: false, range: () => [-0.5, Math.max(0, labels.current.length - 1) + 0.5] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: true },
      axes: [
        {
          ...axis,
          label: props.xLabel,
          incrs: [1, 2, 3, 4, 6, 12, 24, 48, 96, 192],
          space: props.large ? 60 : 40,
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels.current[i] ?? '') : '')),
        },
        {
          ...axis,
          ...(props.yLabel ? { label: props.yLabel } : {}),
          values: (_u, splits) => splits.map((v) => num(v)),
        },
      ],
      series: [
        { label: props.xLabel, value: (_u, i) => (i === null ? '—' : (labels.current[i] ?? '')) },
        ...props.series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: props.large ? 3 : 2,
          dash: s.dash ?? [],
          value: (_u, v) => (s.format ?? ((n: number | null) => num(n)))(v),
          ...(s.bars
            ? { paths: uPlot.paths.bars?.({ size: [0.6, 80] }), fill: `${s.stroke}55`, points: { show: false } }
            : { points: { show: true, size: props.large ? 8 : 6, fill: '#fff' } }),
        })),
      ],
    };
    const u = new uPlot(opts, data(), el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [JSON.stringify([props.x, props.series.map((s) => s.values)])]);

  return (
    <figure class={`kpi-chart${props.large ? ' kpi-chart-large' : ''}`} data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={host} class="kpi-chart-canvas" aria-hidden="true" />
      {/* A table sizes itself to its content: the wrapper is what is hidden. */}
      <div class="visually-hidden">
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{props.xLabel}</th>
              {props.series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.x.map((label, i) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {props.series.map((s) => (
                  <td key={s.label}>{(s.format ?? ((n: number | null) => num(n)))(s.values[i] ?? null)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
