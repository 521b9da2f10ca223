// Remote schema details: browse the introspected schema's types and fields (introspect_remote_schema).
import { useState } from 'react';
import { useAsync } from '../../hooks';
import { Button, DataTable, ErrorBox, Loading } from '../../ui';
import { introspect, IntroType, schemaSdl, typeName } from './schema';

function TypeView({ t, onPick }: { t: IntroType; onPick: (name: string) => void }) {
  const link = (ref: Parameters<typeof typeName>[0]) => {
    const text = typeName(ref);
    const base = text.replace(/[[\]!]/g, '');
    return (
      <a href="#" onClick={(e) => { e.preventDefault(); onPick(base); }}>
        {text}
      </a>
    );
  };
  return (
    <div className="panel" data-testid="remote-type">
      <h3>
        {t.name}
        <span className="kind-badge">{t.kind}</span>
      </h3>
      {t.description && <p className="muted">{t.description}</p>}
      {t.fields && (
        <DataTable
          testid="remote-type-fields"
          columns={['Field', 'Arguments', 'Type']}
          rows={t.fields.map((f) => [
            <b>{f.name}</b>,
            <span>{f.args.map((a, i) => <span key={a.name}>{i ? ', ' : ''}{a.name}: {link(a.type)}</span>)}</span>,
            link(f.type),
          ])}
        />
      )}
      {t.inputFields && <DataTable columns={['Input field', 'Type']} rows={t.inputFields.map((f) => [<b>{f.name}</b>, link(f.type)])} />}
      {t.enumValues && <p>{t.enumValues.map((v) => v.name).join(' | ')}</p>}
    </div>
  );
}

export default function RemoteDetails({ name }: { name: string }) {
  const schema = useAsync(() => introspect(name), [name]);
  const [picked, setPicked] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [sdl, setSdl] = useState(false);
  if (schema.error) return <ErrorBox error={schema.error} />;
  if (!schema.data) return <Loading what="Introspecting" />;
  const s = schema.data;
  const roots = [s.queryType?.name, s.mutationType?.name, s.subscriptionType?.name].filter(Boolean) as string[];
  const current = picked ?? roots[0] ?? null;
  const types = s.types.filter((t) => !t.name.startsWith('__') && t.name.toLowerCase().includes(filter.toLowerCase()));
  const shown = s.types.find((t) => t.name === current);
  return (
    <div data-testid="remote-details">
      <div className="row">
        <span className="muted">Root types:</span>
        {roots.map((r) => (
          <Button key={r} variant="link" onClick={() => setPicked(r)} testid={`remote-root-${r}`}>
            {r}
          </Button>
        ))}
        <Button onClick={() => setSdl(!sdl)} testid="remote-show-sdl">
          {sdl ? 'Hide SDL' : 'Show SDL'}
        </Button>
        <Button onClick={schema.reload}>Refresh</Button>
      </div>
      {sdl && <pre className="code" data-testid="remote-sdl">{schemaSdl(s)}</pre>}
      {shown && <TypeView t={shown} onPick={setPicked} />}
      <h3>All types ({types.length})</h3>
      <input placeholder="filter types" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="remote-type-filter" />
      <ul className="type-list">
        {types.map((t) => (
          <li key={t.name}>
            <a href="#" onClick={(e) => { e.preventDefault(); setPicked(t.name); }} data-testid={`remote-type-${t.name}`}>
              {t.name}
            </a>
            <span className="kind-badge">{t.kind.toLowerCase()}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
