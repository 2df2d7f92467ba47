import { describe, expect, test } from 'vitest';
import { isNextPartition, partitionRuns, provenanceByAsset, runText } from '../src/lib/provenance';

function days(from: string, n: number): string[] {
  const out: string[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  for (let i = 0; i < n; i++) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

describe('provenance as ranges', () => {
  test('consecutive time partitions are one run', () => {
    expect(isNextPartition('2013-01-31', '2013-02-01')).toBe(true);
    expect(isNextPartition('2013-01-01', '2013-02-01')).toBe(true); // monthly
    expect(isNextPartition('2013-01-01-23:00', '2013-01-02-00:00')).toBe(true);
    expect(isNextPartition('2013-01-01', '2013-01-03')).toBe(false);
    expect(isNextPartition('a', 'b')).toBe(false);
  });

  test('91 daily upstream partitions are one line, not 91', () => {
    const inputs = days('2013-01-01', 90)
      .reverse()
      .map((p, i) => ({ asset: 'flights_daily', partition: p, dataVersion: `v${i}` }));
    inputs.push({ asset: 'raw/carriers', partition: null as unknown as string, dataVersion: 'c1' });
    const groups = provenanceByAsset(inputs);
    expect(groups).toHaveLength(2);
    expect(groups[0].asset).toBe('flights_daily');
    expect(groups[0].runs).toEqual([{ start: '2013-01-01', end: '2013-03-31', count: 90 }]);
    expect(groups[0].partitions).toBe(90);
    expect(groups[0].dataVersions).toHaveLength(90);
    expect(runText(groups[0].runs[0])).toBe('2013-01-01 … 2013-03-31');
    expect(groups[1]).toEqual({ asset: 'raw/carriers', runs: [], partitions: 0, dataVersions: ['c1'] });
  });

  test('gaps split runs; static keys stay one run each', () => {
    expect(partitionRuns(['2013-01-01', '2013-01-02', '2013-01-05', '2013-01-06', '2013-01-02']).map(runText)).toEqual(['2013-01-01 … 2013-01-02', '2013-01-05 … 2013-01-06']);
    expect(partitionRuns(['us', 'eu']).map(runText)).toEqual(['eu', 'us']);
  });
});
