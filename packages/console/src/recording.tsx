/**
 * A recorded session's audio, once its recording is finished: a waveform of both channels
 * (the client's and the model's) and the browser's own player. Nothing is shown for a session
 * that was not recorded.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { waveformPeaks } from './waveform.js';

const TRIES = 20;
const RETRY_MS = 500;

async function fetchRecording(id: string, signal: AbortSignal): Promise<Blob | null> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const response = await fetch(`api/sessions/${encodeURIComponent(id)}/recording/audio.wav`, { signal });
    if (response.ok) return response.blob();
    // 409: still being written; anything else: there is no recording.
    if (response.status !== 409) return null;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  return null;
}

function draw(canvas: HTMLCanvasElement, audio: AudioBuffer): void {
  const context = canvas.getContext('2d')!;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const lane = height / audio.numberOfChannels;
  for (let channel = 0; channel < audio.numberOfChannels; channel++) {
    context.fillStyle = channel === 0 ? '#2563eb' : '#b45309';
    const peaks = waveformPeaks(audio.getChannelData(channel), width);
    const middle = lane * channel + lane / 2;
    peaks.forEach(([low, high], x) => {
      context.fillRect(x, middle - (high * lane) / 2, 1, Math.max(1, ((high - low) * lane) / 2));
    });
  }
}

export function Recording({ id }: { id: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    let made: string | null = null;
    fetchRecording(id, abort.signal)
      .then(async (blob) => {
        if (blob === null) return setMissing(true);
        made = URL.createObjectURL(blob);
        setUrl(made);
        const audio = await new AudioContext().decodeAudioData(await blob.arrayBuffer());
        if (canvas.current) draw(canvas.current, audio);
      })
      .catch(() => setMissing(true));
    return () => {
      abort.abort();
      if (made !== null) URL.revokeObjectURL(made);
    };
  }, [id]);
  if (missing) return <p class="muted">No recording of this session.</p>;
  return (
    <>
      <h2>Recording</h2>
      <p class="muted">Top: the client's audio; bottom: the model's.</p>
      <canvas ref={canvas} width={600} height={120} class="waveform" aria-label="Waveform of the recording" />
      {/* biome-ignore lint/a11y/useMediaCaption: the conversation beside it is the recording's text */}
      {url && <audio controls src={url} />}
    </>
  );
}
