// A permission's row check: "without any checks" or a custom expression, edited in the builder or as JSON.
import { useState } from 'react';
import type { Bound } from '../../forms';
import { JsonInput, parseJson } from '../../ui';
import PermBuilder from './PermBuilder';
import type { TableCtx } from './TablePage';

export default function RowCheck({
  label,
  text: [text, onChange],
  testid,
  builderTestid,
  ctx,
  vars,
}: {
  label: string;
  /** The expression's JSON text and its setter. */
  text: Bound<string>;
  /** The JSON textarea's hook; `<testid>-none` / `<testid>-custom` on the radios. */
  testid: string;
  builderTestid: string;
  ctx: TableCtx;
  /** Session variables already used by this permission (offered as values). */
  vars: string[];
}) {
  const [v] = parseJson(text);
  const none = text.trim() === '' || (v !== null && typeof v === 'object' && Object.keys(v as object).length === 0);
  const [custom, setCustom] = useState(!none);
  return (
    <div className="perm-section" data-testid={`${testid}-section`}>
      <h4>{label}</h4>
      <label className="check">
        <input type="radio" checked={!custom} onChange={() => { setCustom(false); onChange('{}'); }} data-testid={`${testid}-none`} />
        <span>Without any checks</span>
      </label>
      <label className="check">
        <input type="radio" checked={custom} onChange={() => setCustom(true)} data-testid={`${testid}-custom`} />
        <span>With custom check</span>
      </label>
      {custom && (
        <>
          <PermBuilder
            text={text}
            onChange={onChange}
            source={ctx.source}
            table={{ schema: ctx.schema, name: ctx.table }}
            rootInfo={ctx.info}
            vars={vars}
            testid={builderTestid}
          />
          <JsonInput value={text} onChange={onChange} rows={5} testid={testid} placeholder='{"id": {"_eq": "X-Hasura-User-Id"}}' />
          <p className="muted small">
            The same expression as JSON (edits here show in the builder above), e.g. <code>{'{"id": {"_eq": "X-Hasura-User-Id"}}'}</code>
          </p>
        </>
      )}
    </div>
  );
}
