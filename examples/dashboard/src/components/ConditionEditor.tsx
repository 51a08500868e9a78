// The form builder for the condition language: leaves {field, op, value} under all / any / not.
// Each control knows its JSON path (e.g. `rules[0].when.all[1].op`) and shows the API's error there.
import { FIELDS, OP_LABEL, OPS, isLeaf, type Leaf } from '../lib/conditions';

type Obj = Record<string, unknown>;

export interface ErrorAt { path: string; message: string }

/** The message when the API's error path is `path` or lies inside it (but not inside a child we show). */
export function errorFor(err: ErrorAt | null, path: string, exact = false): string | null {
  if (!err) return null;
  if (err.path === path) return err.message;
  if (!exact && err.path.startsWith(path) && !/[.[]/.test(err.path.slice(path.length).replace(/^\./, ''))) return err.message;
  return null;
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.join(', ');
  if (v === undefined || v === null) return '';
  return String(v);
}

function parseValue(op: string, text: string): unknown {
  if (op === 'in' || op === 'not_in') return text.split(',').map((s) => s.trim()).filter(Boolean);
  if (op === 'exists') return text.trim() !== 'false';
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

export function ConditionEditor({ value, onChange, path, error, depth = 0 }: {
  value: unknown; onChange: (v: unknown) => void; path: string; error: ErrorAt | null; depth?: number;
}) {
  const v = (value && typeof value === 'object' ? value : {}) as Obj;
  const kind = Array.isArray(v.all) ? 'all' : Array.isArray(v.any) ? 'any' : v.not !== undefined ? 'not' : isLeaf(v) ? 'leaf' : 'empty';
  const here = errorFor(error, path, true);

  if (kind === 'leaf') {
    const leaf = v as Leaf;
    const set = (patch: Partial<Leaf>) => onChange({ ...leaf, ...patch });
    const fe = errorFor(error, `${path}.field`);
    const oe = errorFor(error, `${path}.op`);
    const ve = errorFor(error, `${path}.value`);
    return (
      <div className="stack" style={{ gap: 4 }} data-path={path}>
        <div className="row" style={{ alignItems: 'flex-start' }}>
          <label className="field" style={{ width: 150 }}>Field
            <input list="sc-fields" value={leaf.field} onChange={(e) => set({ field: e.target.value })} className={fe ? 'invalid' : ''} aria-invalid={!!fe} data-path={`${path}.field`} />
            {fe && <span className="field-error" role="alert">{fe}</span>}
          </label>
          <label className="field" style={{ width: 130 }}>Operator
            <input list="sc-ops" value={leaf.op} onChange={(e) => set({ op: e.target.value })} className={oe ? 'invalid' : ''} aria-invalid={!!oe} data-path={`${path}.op`} />
            {oe && <span className="field-error" role="alert" data-error-at={`${path}.op`}>{oe}</span>}
          </label>
          <label className="field" style={{ flex: 1, minWidth: 140 }}>Value
            <input type="text" value={valueText(leaf.value)} onChange={(e) => set({ value: parseValue(leaf.op, e.target.value) })} className={ve ? 'invalid' : ''} aria-invalid={!!ve} placeholder={leaf.op === 'in' || leaf.op === 'not_in' ? 'a, b, c' : ''} data-path={`${path}.value`} />
            {ve && <span className="field-error" role="alert">{ve}</span>}
          </label>
        </div>
        {here && <span className="field-error" role="alert">{here}</span>}
      </div>
    );
  }
  const children: unknown[] = kind === 'all' ? (v.all as unknown[]) : kind === 'any' ? (v.any as unknown[]) : kind === 'not' ? [v.not] : [];
  const setKind = (k: string) => {
    const kids = children.length ? children : [{ field: 'severity', op: 'gte', value: 'error' }];
    if (k === 'empty') onChange({});
    else if (k === 'leaf') onChange(kids[0] && isLeaf(kids[0]) ? kids[0] : { field: 'severity', op: 'gte', value: 'error' });
    else if (k === 'not') onChange({ not: kids[0] });
    else onChange({ [k]: kids });
  };
  const setChild = (i: number, c: unknown) => {
    if (kind === 'not') onChange({ not: c });
    else onChange({ [kind]: children.map((x, j) => (j === i ? c : x)) });
  };
  const key = kind === 'not' ? 'not' : kind;
  return (
    <div className="cond" data-path={path}>
      <div className="row">
        <label className="row small" style={{ color: 'var(--text-2)', fontWeight: 500 }}>
          {depth === 0 ? 'Match' : 'Group'}
          <select value={kind === 'empty' ? 'empty' : kind} onChange={(e) => setKind(e.target.value)} aria-label={`Condition kind at ${path}`}>
            <option value="empty">everything</option>
            <option value="all">all of</option>
            <option value="any">any of</option>
            <option value="not">none of (not)</option>
            {depth === 0 && <option value="leaf">one condition</option>}
          </select>
        </label>
        {here && <span className="field-error" role="alert">{here}</span>}
      </div>
      {kind !== 'empty' && children.map((c, i) => (
        <div key={i} className="row" style={{ alignItems: 'flex-start', flexWrap: 'nowrap' }}>
          <div style={{ flex: 1, minWidth: 0 }}>
            <ConditionEditor value={c} onChange={(n) => setChild(i, n)} path={kind === 'not' ? `${path}.not` : `${path}.${key}[${i}]`} error={error} depth={depth + 1} />
          </div>
          {kind !== 'not' && <button className="ghost sm" style={{ marginTop: 18 }} aria-label={`Remove condition ${i + 1}`} onClick={() => onChange({ [kind]: children.filter((_, j) => j !== i) })}>✕</button>}
        </div>
      ))}
      {(kind === 'all' || kind === 'any') && (
        <div className="row">
          <button className="sm" onClick={() => onChange({ [kind]: [...children, { field: 'source', op: 'eq', value: '' }] })}>+ Condition</button>
          <button className="sm ghost" onClick={() => onChange({ [kind]: [...children, { any: [{ field: 'environment', op: 'eq', value: 'production' }] }] })}>+ Group</button>
        </div>
      )}
      {depth === 0 && (
        <>
          <datalist id="sc-fields">{FIELDS.map((f) => <option key={f} value={f} />)}<option value="tags." /></datalist>
          <datalist id="sc-ops">{OPS.map((o) => <option key={o} value={o}>{OP_LABEL[o]}</option>)}</datalist>
        </>
      )}
    </div>
  );
}
