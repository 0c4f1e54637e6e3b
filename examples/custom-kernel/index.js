// The compiled addon's exports: { corepoolKernels: External, ... }.
// Hand them to corepool: `const k = loadKernels(require('corepool-example-custom-kernel'))`.
module.exports = require('./build/Release/custom_kernel.node');
