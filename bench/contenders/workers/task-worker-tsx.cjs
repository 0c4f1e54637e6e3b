// Source runs only (tsx): tinypool import()s its worker file, and in a worker thread on
// Node 20 tsx's ESM hooks do not reach that import, while its require() hook does. So
// tinypool gets this CommonJS file, which require()s the TypeScript worker. Compiled
// runs (dist/bench) use task-worker.js directly.
module.exports = require('./task-worker.ts');
