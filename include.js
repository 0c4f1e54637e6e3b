// The directory of corepool.h, without loading corepool's addon. For a kernel addon's
// binding.gyp:  "include_dirs": ["<!(node -p \"require('corepool/include')\")"]
module.exports = require('path').join(__dirname, 'native', 'include');
