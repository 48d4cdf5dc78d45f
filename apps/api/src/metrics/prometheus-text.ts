/** A few lines of the Prometheus text exposition format, for series computed outside prom-client. */
export class PrometheusText {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Record<string, string>, value: number | string): this {
    const rendered = Object.entries(labels)
      .map(([key, label]) => `${key}="${label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    this.lines.push(`${name}${rendered ? `{${rendered}}` : ''} ${value}`);
    return this;
  }

  /** A histogram from cumulative bucket counts (one per bound), its sum and its count. */
  histogram(
    name: string,
    labels: Record<string, string>,
    bounds: readonly number[],
    cumulative: readonly number[],
    sum: number,
    count: number,
  ): this {
    bounds.forEach((bound, index) => {
      this.sample(`${name}_bucket`, { ...labels, le: String(bound) }, cumulative[index] ?? 0);
    });
    this.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, count);
    this.sample(`${name}_sum`, labels, sum);
    this.sample(`${name}_count`, labels, count);
    return this;
  }

  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
