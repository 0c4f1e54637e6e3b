// Source runs only (tsx): a worker thread started on a .ts file fails on Node 20 (tsx's
// ESM hooks do not reach the worker's entry), while tsx's require() hook works. So the
// raw pool starts this CommonJS file, which require()s the TypeScript worker.
require('./raw-worker.ts');
