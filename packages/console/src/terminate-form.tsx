/** Ends a session with a reason the client is told (its close reason). */
import { useState } from 'preact/hooks';
import { postJson } from './api.js';

export function TerminateForm({
  id,
  onDone,
  onError,
}: {
  id: string;
  onDone: () => void;
  onError: (error: unknown) => void;
}) {
  const [reason, setReason] = useState('terminated by an operator');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await postJson(`sessions/${encodeURIComponent(id)}/terminate`, { reason });
      onDone();
    } catch (failure) {
      onError(failure);
      setError((failure as Error).message);
    }
  };
  return (
    <form class="terminate" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onDone()}>
      <label>
        Reason{' '}
        <input
          value={reason}
          maxLength={123}
          required
          autofocus
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="danger">
        Terminate
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <span role="alert" class="error">
          {error}
        </span>
      )}
    </form>
  );
}

/** A "Terminate…" button that opens the form in its place. */
export function Terminate({ id, onError }: { id: string; onError: (error: unknown) => void }) {
  const [open, setOpen] = useState(false);
  if (open) return <TerminateForm id={id} onDone={() => setOpen(false)} onError={onError} />;
  return (
    <button type="button" class="danger" onClick={() => setOpen(true)}>
      Terminate…
    </button>
  );
}
