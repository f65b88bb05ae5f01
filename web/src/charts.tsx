// Small SVG charts for the dashboard: bars for counts and money per hour, lines for latency.
// They scale with their container; each hour has a tooltip with its exact value.

const width = 600;
const height = 150;
const pad = { top: 10, right: 8, bottom: 20, left: 60 };
const plotWidth = width - pad.left - pad.right;
const plotHeight = height - pad.top - pad.bottom;

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

interface ChartProps {
  /** The hours, oldest first, as ISO timestamps. */
  hours: string[];
  series: Series[];
  format: (value: number) => string;
  kind: 'bars' | 'lines';
  label: string;
}

/** The smallest of 1, 2 or 5 times a power of ten that is at least `value` (1 for 0). */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

const hourLabel = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit' });

export function Chart({ hours, series, format, kind, label }: ChartProps) {
  const values = series.flatMap((one) =>
    one.values.filter((value): value is number => value !== null),
  );
  const max = Math.max(0, ...values);
  const top = niceCeiling(max);
  const slot = plotWidth / Math.max(1, hours.length);
  const y = (value: number) => pad.top + plotHeight - (value / top) * plotHeight;
  const x = (index: number) => pad.left + slot * index + slot / 2;
  const every = Math.ceil(hours.length / 6);

  return (
    <figure className="chart">
      <figcaption>
        {label}
        <span className="legend">
          {series.map((one) => (
            <span key={one.name}>
              <i style={{ background: one.color }} />
              {one.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        {[0, 0.5, 1].map((share) => (
          <g key={share}>
            <line
              x1={pad.left}
              x2={width - pad.right}
              y1={y(top * share)}
              y2={y(top * share)}
              className="grid-line"
            />
            <text x={pad.left - 6} y={y(top * share) + 4} textAnchor="end" className="axis">
              {max === 0 && share > 0 ? '' : format(top * share)}
            </text>
          </g>
        ))}
        {hours.map((hour, index) =>
          index % every === 0 ? (
            <text key={hour} x={x(index)} y={height - 4} textAnchor="middle" className="axis">
              {hourLabel(hour)}
            </text>
          ) : null,
        )}
        {kind === 'bars'
          ? series.map((one, position) =>
              one.values.map((value, index) => {
                if (!value) return null;
                const barWidth = (slot * 0.7) / series.length;
                const left = x(index) - (slot * 0.7) / 2 + barWidth * position;
                return (
                  <rect
                    key={`${one.name}-${index}`}
                    x={left}
                    y={y(value)}
                    width={Math.max(1, barWidth)}
                    height={Math.max(1, pad.top + plotHeight - y(value))}
                    fill={one.color}
                    rx={1.5}
                  >
                    <title>{`${hourLabel(hours[index]!)}: ${format(value)} ${one.name}`}</title>
                  </rect>
                );
              }),
            )
          : series.map((one) => (
              <g key={one.name}>
                <polyline
                  fill="none"
                  stroke={one.color}
                  strokeWidth={2}
                  points={one.values
                    .map((value, index) => (value === null ? null : `${x(index)},${y(value)}`))
                    .filter(Boolean)
                    .join(' ')}
                />
                {one.values.map((value, index) =>
                  value === null ? null : (
                    <circle key={index} cx={x(index)} cy={y(value)} r={2.5} fill={one.color}>
                      <title>{`${hourLabel(hours[index]!)}: ${format(value)} ${one.name}`}</title>
                    </circle>
                  ),
                )}
              </g>
            ))}
      </svg>
    </figure>
  );
}
