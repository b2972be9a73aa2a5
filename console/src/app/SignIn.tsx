/** Sign-in: an API token pasted by the administrator; the site's refusal is shown at the field. */
import { useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/client';
import { Field } from '../components/Field';
import { useSession } from './session';
import { useTitle } from './router';

/** The site's refusal of a token, in the sign-in page's words. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) {
    if (/revoked|expired|role/.test(err.rule)) return `The site refuses this token: ${err.rule}.`;
    return 'This is not an API token of this site. API tokens begin with osd_; a Full Administrator creates them.';
  }
  return messageOf(err);
}

export function SignIn() {
  useTitle('Sign in');
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token);
    } catch (err) {
      setError(refusal(err));
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <form onSubmit={submit} className="sign-in-box" noValidate>
        <h1 id="sign-in-title">OpenOSD console</h1>
        <p>Sign in with an API token. A Full Administrator creates tokens; the token is kept in this browser tab only.</p>
        <Field label="API token" error={error}>
          {(props) => (
            <input {...props} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
          )}
        </Field>
        <div className="buttons">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
