/**
 * Two mono tracks laid on one stereo timeline: the user's audio on the left channel, the
 * model's on the right. Each chunk starts where it was relayed (its time as a sample position),
 * or, when its track is still playing an earlier chunk, right after that one: a model sends
 * audio faster than it is played, and its chunks play back to back. Between chunks is silence.
 *
 * What both tracks have reached is final (no later chunk can start before the time it is
 * pushed at), so it is taken out as interleaved PCM16 and written; only the stretch one track
 * runs ahead of the other is held.
 */

/** The left (user) or right (model) channel. */
export type Channel = 0 | 1;

/**
 * Interleaves two equally long mono tracks into stereo PCM16, little-endian, left first.
 *
 * @example
 * interleave(Int16Array.of(1, 2), Int16Array.of(-1, -2)); // samples 1, -1, 2, -2
 */
export function interleave(left: Int16Array, right: Int16Array): Buffer {
  const frames = Math.min(left.length, right.length);
  const out = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    out.writeInt16LE(left[i]!, i * 4);
    out.writeInt16LE(right[i]!, i * 4 + 2);
  }
  return out;
}

/** One track's samples not yet taken out, from the timeline's taken position on. */
class Track {
  private chunks: Int16Array[] = [];
  /** Samples held in {@link chunks}. */
  held = 0;

  /** Appends `count` samples of silence. */
  pad(count: number): void {
    if (count > 0) this.append(new Int16Array(count));
  }

  append(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.held += samples.length;
  }

  /** Silences held samples `from` to `to` (`to` ≤ {@link held}); at the end, drops them. */
  silence(from: number, to: number): void {
    const all = this.take(this.held);
    if (to < all.length) all.fill(0, from, to);
    this.append(to < all.length ? all : all.subarray(0, from));
  }

  /** Takes the first `count` samples out (`count` ≤ {@link held}). */
  take(count: number): Int16Array {
    const out = new Int16Array(count);
    let at = 0;
    while (at < count) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, count - at);
      out.set(chunk.subarray(0, used), at);
      at += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.held -= count;
    return out;
  }
}

/**
 * @example
 * const timeline = new StereoTimeline();
 * timeline.push(0, userSamples, 0);        // the user speaks at the start
 * timeline.push(1, modelSamples, 48_000);  // the model answers two seconds in (24 kHz)
 * file.write(timeline.take());             // what both channels have reached
 * file.write(timeline.finish());           // the rest, the shorter channel padded with silence
 */
export class StereoTimeline {
  private readonly tracks: readonly [Track, Track] = [new Track(), new Track()];
  /** Frames taken out so far: the position both tracks' held samples start at. */
  private taken = 0;

  /** Frames taken out so far. */
  get length(): number {
    return this.taken;
  }

  /** Samples held, both tracks together, waiting for the other track to reach them. */
  get held(): number {
    return this.tracks[0].held + this.tracks[1].held;
  }

  /** Where `channel`'s next chunk would start if pushed now, as a frame position. */
  end(channel: Channel): number {
    return this.taken + this.tracks[channel].held;
  }

  /**
   * Lays `samples` on `channel` at frame position `at` (the time they were relayed), or right
   * after the channel's last chunk if that ends later. `at` is also the time for the other
   * channel: it is silent until then unless it already has audio there.
   */
  push(channel: Channel, samples: Int16Array, at: number): void {
    this.advance(at);
    this.tracks[channel].append(samples);
  }

  /**
   * Fills both channels with silence up to frame position `at` where they have no audio: time
   * passed with nothing said. Called now and then, so that a long silence is taken out in short
   * stretches rather than held and written at once.
   */
  advance(at: number): void {
    for (const track of this.tracks) track.pad(at - (this.taken + track.held));
  }

  /**
   * Cuts `channel` from frame `from` to `to`: samples still held there are dropped when nothing
   * follows them on the channel (so what comes next starts at the cut), silenced otherwise.
   * Returns the part of the range already taken out, which the caller silences where it wrote
   * it; null when none was.
   *
   * @example
   * timeline.cut(1, 2400, 48_000); // the model channel after 100 ms (24 kHz) of an answer
   */
  cut(channel: Channel, from: number, to: number): { from: number; to: number } | null {
    const end = this.end(channel);
    const heldFrom = Math.max(from, this.taken);
    const heldTo = Math.min(to, end);
    if (heldFrom < heldTo)
      this.tracks[channel].silence(
        heldFrom - this.taken,
        heldTo === end ? end - this.taken : heldTo - this.taken,
      );
    return from < this.taken ? { from, to: Math.min(to, this.taken) } : null;
  }

  /** Interleaved PCM16 for the frames both channels have reached, taken out of the timeline. */
  take(): Buffer {
    const frames = Math.min(this.tracks[0].held, this.tracks[1].held);
    if (frames === 0) return Buffer.alloc(0);
    this.taken += frames;
    return interleave(this.tracks[0].take(frames), this.tracks[1].take(frames));
  }

  /** Everything still held, the shorter channel padded with silence to the longer's end. */
  finish(): Buffer {
    const end = Math.max(this.end(0), this.end(1));
    for (const track of this.tracks) track.pad(end - (this.taken + track.held));
    return this.take();
  }
}
