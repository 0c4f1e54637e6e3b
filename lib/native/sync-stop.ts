// The stop word that Kernel.runSync hands to the native side, set by whoever runs the
// calling code as a cancellable task (a WorkerPool worker sets it to the running task's
// word): a kernel run synchronously inside a task then stops with the task. No imports,
// so that a worker can set it without loading the addon.
export const syncStop: { words: Int32Array | undefined; index: number } = { words: undefined, index: 0 };
