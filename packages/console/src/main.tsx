/**
 * The console's shell: sign-in first, then the pages by the URL's hash (`#/sessions`,
 * `#/sessions/<id>`, `#/usage`, `#/upstreams`), so the gateway serves one page for them all.
 */
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { getJson, postJson, SignedOut } from './api.js';
import { SessionPage } from './session-page.js';
import { SessionsPage } from './sessions-page.js';
import { SignInPage } from './sign-in-page.js';
import { UpstreamsPage } from './upstreams-page.js';
import { UsagePage } from './usage-page.js';
import './style.css';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

const PAGES = [
  ['#/sessions', 'Live sessions'],
  ['#/usage', 'Usage'],
  ['#/upstreams', 'Upstreams'],
] as const;

function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const hash = useHash();
  const signedOut = useCallback((error: unknown) => {
    if (error instanceof SignedOut) setSignedIn(false);
  }, []);
  useEffect(() => {
    getJson('me').then(
      () => setSignedIn(true),
      () => setSignedIn(false),
    );
  }, []);
  if (signedIn === null) return <p class="muted">Loading…</p>;
  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;
  const session = /^#\/sessions\/(.+)$/.exec(hash);
  const page = session ? (
    <SessionPage id={decodeURIComponent(session[1]!)} onError={signedOut} />
  ) : hash === '#/usage' ? (
    <UsagePage onError={signedOut} />
  ) : hash === '#/upstreams' ? (
    <UpstreamsPage onError={signedOut} />
  ) : (
    <SessionsPage onError={signedOut} />
  );
  const current = session ? '#/sessions' : (PAGES.find(([href]) => href === hash)?.[0] ?? '#/sessions');
  return (
    <>
      <header>
        <strong>realtime-gateway</strong>
        <nav>
          {PAGES.map(([href, label]) => (
            <a href={href} aria-current={href === current ? 'page' : undefined} key={href}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" onClick={() => postJson('sign-out', {}).finally(() => setSignedIn(false))}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
