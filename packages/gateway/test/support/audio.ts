/**
 * Test audio: PCM16 at 24 kHz mono, the realtime API's default format.
 */

/** A tone `ms` long at `amplitude` of full scale (speech, to the engine's voice detection). */
export function tone(ms: number, hz = 440, amplitude = 0.3): Buffer {
  const samples = Math.floor((24_000 * ms) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    pcm.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / 24_000)), i * 2);
  return pcm;
}

/** Silence `ms` long. */
export function silence(ms: number): Buffer {
  return Buffer.alloc(Math.floor((24_000 * ms) / 1000) * 2);
}

/** A spoken turn as the engine hears one: silence, speech, then silence long enough to end it. */
export function spokenTurn(): Buffer {
  return Buffer.concat([silence(400), tone(800, 440, 0.25), silence(600)]);
}
