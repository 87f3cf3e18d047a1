/** What recordings report, for metrics. */
export interface RecordingObserver {
  started(): void;
  /** A recording finished: `ok` false when its files could not be written to the end. */
  finished(ok: boolean): void;
  written(bytes: number): void;
  /** Frames not recorded because the recording's buffer was full. */
  dropped(frames: number): void;
}

const noop = (): void => {};

/** An observer that counts nothing. */
export const NO_RECORDING_OBSERVER: RecordingObserver = Object.freeze({
  started: noop,
  finished: noop,
  written: noop,
  dropped: noop,
});
