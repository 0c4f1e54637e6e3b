// asyncio's "exception was never retrieved": a Future that failed while nobody was
// watching it, and is garbage-collected with its error still unread, is reported as a
// process warning, never as an unhandled rejection.
import { safely } from './validate';

const registry = new FinalizationRegistry<{ task: string; message: string }>((held) => {
  process.emitWarning(
    `exception of task '${held.task}' was never retrieved: ${held.message}`,
    { type: 'CorepoolWarning', code: 'COREPOOL_UNRETRIEVED_EXCEPTION' },
  );
});

/** Warns when `future` is collected, unless unwatch(future) comes first. */
export function watchUnretrieved(future: object, task: string, error: Error): void {
  // A hostile error (a throwing 'message' getter) must not stop its Future from settling.
  const message = safely(() => String(error.message), '(its message cannot be read)');
  registry.register(future, { task, message }, future);
}

/** Its error was read: no warning. */
export function unwatchUnretrieved(future: object): void {
  registry.unregister(future);
}
