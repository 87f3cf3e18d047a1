/**
 * The lowest and highest sample in each of `columns` equal slices of `samples`: what a
 * waveform draws per pixel column.
 *
 * @example
 * waveformPeaks(new Float32Array([0, 0.5, -0.5, 1]), 2); // [[0, 0.5], [-0.5, 1]]
 */
export function waveformPeaks(samples: Float32Array, columns: number): [number, number][] {
  const size = Math.max(1, Math.floor(samples.length / columns));
  const peaks: [number, number][] = [];
  for (let start = 0; start + size <= samples.length && peaks.length < columns; start += size) {
    let low = 0;
    let high = 0;
    for (let i = start; i < start + size; i++) {
      const sample = samples[i]!;
      if (sample < low) low = sample;
      if (sample > high) high = sample;
    }
    peaks.push([low, high]);
  }
  return peaks;
}
