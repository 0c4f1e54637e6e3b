// A JS no-op task for piscina/tinypool: what their per-task overhead is measured with.
// `export =` (module.exports = fn) so that both pools find the function whether they load
// this file as TypeScript through tsx or as compiled CommonJS.
export = function noop(): undefined {
  return undefined;
};
