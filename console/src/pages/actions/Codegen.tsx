// Action codegen tab: fetches handler boilerplate for a framework from the engine's /console/api/codegen.
import { useState } from 'react';
import { ApiError, get } from '../../api';
import { useAsync } from '../../hooks';
import { notify } from '../../notify';
import { seg } from '../../router';
import { Button, ErrorBox, Field, Loading } from '../../ui';

const FRAMEWORKS = ['rust-axum', 'python-fast-api', 'typescript-express'];

export default function Codegen({ name }: { name: string }) {
  const [framework, setFramework] = useState(FRAMEWORKS[0]);
  const code = useAsync(async () => {
    try {
      const r = await get(`/console/api/codegen/${seg(name)}/${seg(framework)}`);
      return { text: typeof r === 'string' ? r : JSON.stringify(r, null, 2) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { unavailable: true as const };
      throw e;
    }
  }, [name, framework]);
  const copy = async () => {
    if (!code.data || !('text' in code.data)) return;
    await navigator.clipboard.writeText(code.data.text ?? '');
    notify.success('Copied to the clipboard');
  };
  return (
    <div data-testid="action-codegen">
      <div className="row">
        <Field label="Framework">
          <select value={framework} onChange={(e) => setFramework(e.target.value)} data-testid="codegen-framework">
            {FRAMEWORKS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </Field>
        {code.data && 'text' in code.data && (
          <Button onClick={copy} testid="codegen-copy">
            Copy
          </Button>
        )}
      </div>
      {code.loading && <Loading />}
      {code.error ? <ErrorBox error={code.error} /> : null}
      {code.data && 'unavailable' in code.data && (
        <p className="warn" data-testid="codegen-unavailable">
          codegen is not available from this engine
        </p>
      )}
      {code.data && 'text' in code.data && (
        <pre className="code" data-testid="codegen-output">
          {code.data.text}
        </pre>
      )}
    </div>
  );
}
