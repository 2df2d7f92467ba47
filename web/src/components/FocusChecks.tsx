// The focused asset's checks on the lineage graph, in one line: a firing
// warn check does not change the asset's colour, so it is said here.
import { useQuery } from 'urql';
import { AssetChecksDoc } from '../api/operations';
import type { AssetChecksQuery, AssetChecksQueryVariables } from '../api/generated';
import { checksSummary } from '../lib/words';

export function FocusChecks({ assetKey }: { assetKey: string }) {
  const [result] = useQuery<AssetChecksQuery, AssetChecksQueryVariables>({ query: AssetChecksDoc, variables: { key: assetKey }, requestPolicy: 'cache-and-network' });
  const checks = result.data?.asset.key === assetKey ? result.data.asset.checks : null;
  if (!checks) return null;
  const summary = checksSummary(checks);
  const className = summary.level === 'error' ? 'error-text' : summary.level === 'warn' ? 'warn-text' : 'muted';
  return (
    <div className={`small ${className}`} data-testid="focus-checks" data-level={summary.level}>
      <span className={`dot dot-inline ${summary.level === 'error' ? 'dot-fail' : summary.level === 'warn' ? 'dot-warn' : summary.level === 'ok' ? 'dot-pass' : ''}`} /> {summary.text}
    </div>
  );
}
