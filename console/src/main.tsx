// Entry point: checks access to the engine (asking for the admin secret if needed), then renders the console.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { adoptInjectedSecret, getSecret, isAuthError, logout, metadata } from './api';
import App from './App';
import Login from './Login';
import { Toasts } from './notify';
import { ErrorBox, Loading } from './ui';
import './style.css';

type Phase = { kind: 'checking' } | { kind: 'login'; error?: string } | { kind: 'ready' } | { kind: 'down'; error: unknown };

function Root() {
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });
  const check = async () => {
    setPhase({ kind: 'checking' });
    adoptInjectedSecret();
    try {
      await metadata('export_metadata', {}, { version: 2 });
      setPhase({ kind: 'ready' });
    } catch (e) {
      if (isAuthError(e)) {
        const hadSecret = getSecret() !== null;
        logout();
        setPhase({ kind: 'login', error: hadSecret ? 'The stored admin secret was refused.' : undefined });
      } else setPhase({ kind: 'down', error: e });
    }
  };
  useEffect(() => {
    void check();
  }, []);
  return (
    <>
      {phase.kind === 'checking' && <Loading what="Connecting to the engine" />}
      {phase.kind === 'login' && <Login initialError={phase.error} onDone={() => setPhase({ kind: 'ready' })} />}
      {phase.kind === 'ready' && <App />}
      {phase.kind === 'down' && (
        <div className="center-box">
          <h2>Cannot load the console</h2>
          <ErrorBox error={phase.error} />
          <button className="btn btn-primary" onClick={() => void check()}>
            Retry
          </button>
        </div>
      )}
      <Toasts />
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
