// The directory of corepool.h, without loading corepool's addon, for a kernel addon's
// binding.gyp:  "include_dirs": ["<!(node -p \"require('corepool/include')\")"]
import * as path from 'node:path';

const includeDir: string = path.join(__dirname, '..', 'native', 'include');
export = includeDir;
