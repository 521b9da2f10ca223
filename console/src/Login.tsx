// Login page: asks for the admin secret when the engine refuses requests without it.
import { FormEvent, useState } from 'react';
import { clearSecret, errorMessage, isAuthError, metadata, setSecret } from './api';

export default function Login({ initialError, onDone }: { initialError?: string; onDone: () => void }) {
  const [secret, setValue] = useState('');
  const [error, setError] = useState(initialError ?? '');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSecret(secret);
    try {
      await metadata('export_metadata', {}, { version: 2 });
      onDone();
    } catch (err) {
      clearSecret();
      setError(isAuthError(err) ? 'Invalid admin secret' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="center-box login" onSubmit={submit} data-testid="login-form">
      <h2>Rasura Console</h2>
      <p className="muted">This engine needs its admin secret.</p>
      <input
        type="password"
        autoFocus
        placeholder="Enter admin-secret"
        value={secret}
        onChange={(e) => setValue(e.target.value)}
        data-testid="login-secret"
        id="login-secret"
      />
      <button className="btn btn-primary" type="submit" disabled={busy || !secret} data-testid="login-submit">
        Enter Console
      </button>
      {error && (
        <div className="field-error" data-testid="login-error">
          {error}
        </div>
      )}
    </form>
  );
}
