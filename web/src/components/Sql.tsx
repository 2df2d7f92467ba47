// SQL with highlighting: a small tokenizer (keywords, strings, numbers,
// comments, `$partition_*` parameters) rendering spans.
import { Fragment, useMemo } from 'react';

const KEYWORDS = new Set(
  `select from where and or not as on join left right inner outer full cross group by order having limit offset union all distinct case when then else end is null in like between cast with over partition desc asc true false insert into values create table view exists interval`.split(/\s+/),
);

export interface Token {
  kind: 'kw' | 'str' | 'num' | 'com' | 'param' | 'fn' | 'text';
  text: string;
}

export function tokenizeSql(sql: string): Token[] {
  const re = /(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*')|(\$[a-zA-Z_]\w*)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][\w.]*)(\s*\()?|(\s+|.)/g;
  const out: Token[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(sql))) {
    if (m[1]) out.push({ kind: 'com', text: m[1] });
    else if (m[2]) out.push({ kind: 'str', text: m[2] });
    else if (m[3]) out.push({ kind: 'param', text: m[3] });
    else if (m[4]) out.push({ kind: 'num', text: m[4] });
    else if (m[5]) {
      const word = m[5];
      out.push({ kind: KEYWORDS.has(word.toLowerCase()) ? 'kw' : m[6] ? 'fn' : 'text', text: word });
      if (m[6]) out.push({ kind: 'text', text: m[6] });
    } else out.push({ kind: 'text', text: m[7] });
  }
  // Merge neighbouring plain text.
  const merged: Token[] = [];
  for (const t of out) {
    const last = merged[merged.length - 1];
    if (last && last.kind === 'text' && t.kind === 'text') last.text += t.text;
    else merged.push({ ...t });
  }
  return merged;
}

export function Sql({ sql }: { sql: string }) {
  const tokens = useMemo(() => tokenizeSql(sql.replace(/\s+$/, '')), [sql]);
  return (
    <pre className="code sql">
      <code>
        {tokens.map((t, i) => (t.kind === 'text' ? <Fragment key={i}>{t.text}</Fragment> : <span key={i} className={`tok-${t.kind}`}>{t.text}</span>))}
      </code>
    </pre>
  );
}
