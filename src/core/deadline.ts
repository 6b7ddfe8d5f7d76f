// One deadline per message, split across the stages. A stage gets until its share of the
// deadline; past it the engine stops waiting and goes on with what it has (the stage may still
// finish in the background, its answer unused). Cancellation (the caller has gone) is separate:
// it stops the message altogether.

/** Thrown by recognize() when the caller's signal aborts: nobody wants the answer any more. */
export class RecognitionCancelled extends Error {
  override readonly name = 'RecognitionCancelled';
  readonly code = 'recognition.cancelled';
  constructor() {
    super('recognition cancelled: the caller has gone');
  }
}

export type Raced<T> = { done: true; value: T } | { done: false };

/**
 * Waits for `work` until `until` (a Date.now() time). Rejects with RecognitionCancelled as soon as
 * `signal` aborts. The work's own rejection passes through.
 */
export function raceDeadline<T>(work: Promise<T>, until: number, signal?: AbortSignal): Promise<Raced<T>> {
  if (signal?.aborted) {
    work.catch(() => {});
    return Promise.reject(new RecognitionCancelled());
  }
  return new Promise<Raced<T>>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(new RecognitionCancelled());
    };
    const timer = setTimeout(
      () => {
        finish();
        resolve({ done: false });
      },
      Math.max(0, until - Date.now()),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        finish();
        resolve({ done: true, value });
      },
      (err: unknown) => {
        finish();
        reject(err);
      },
    );
  });
}
