// Writes seed inputs for the fuzz targets (valid batches and tables, so that libFuzzer
// starts from inputs that get past the first checks): node native/fuzz/seeds.mjs <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];

// Submission batches: [objectCount byte][Float64 records]. Kernel ids: the built-in order
// (native/src/kernels/registry.cc): 0 isPrime, 5 sha256, 6 noop, 9 matmul.
const batches = {
  single: [1, [0, 0, 1, -1, -1, 97]],
  chunk: [0, [3, 0, 3, 100, 50, 2, 3, 5]],
  objects: [3, [0, 5, 1, -1, -1, 0, 1, 9, 1, -1, -1, 1, 2, 2]],
  skipped: [1, [-2, 5, 1, -1, -1, 0, 4, 6, 1, 4398046511103, -1]],
};
mkdirSync(join(dir, 'submit_records'), { recursive: true });
for (const [name, [objects, records]] of Object.entries(batches)) {
  const bytes = Buffer.alloc(1 + records.length * 8);
  bytes[0] = objects;
  records.forEach((v, i) => bytes.writeDoubleLE(v, 1 + i * 8));
  writeFileSync(join(dir, 'submit_records', name), bytes);
}

// A kernel table as memory at address 0x10000 (fuzz_kernel_table.cc): the table, two
// kernels, their argument specs and names, laid out as corepool.h's structs on x86-64.
const BASE = 0x10000;
const table = Buffer.alloc(512);
const ptr = (at, offset) => table.writeBigUInt64LE(BigInt(BASE + offset), at);
table.writeUInt32LE(0x544b5043, 0); // magic
table.writeUInt32LE(2, 4); // ABI version
table.writeUInt32LE(2, 8); // count
ptr(16, 24); // kernels
// corepool_kernel (40 bytes): name, arg_count, args, result, run
const kernel = (at, name, argCount, args, result) => {
  ptr(at, name);
  table.writeUInt32LE(argCount, at + 8);
  if (argCount) ptr(at + 16, args);
  table.writeInt32LE(result, at + 24);
  table.writeBigUInt64LE(0x401000n, at + 32); // run: any non-null address
};
kernel(24, 300, 2, 104, 1);
kernel(64, 320, 0, 0, 3);
// corepool_arg_spec (32 bytes): name, kind, min, max
const spec = (at, name, kind, min, max) => {
  ptr(at, name);
  table.writeInt32LE(kind, at + 8);
  table.writeDoubleLE(min, at + 16);
  table.writeDoubleLE(max, at + 24);
};
spec(104, 340, 2, 1, 1e9);
spec(136, 350, 9, 0, 1e6);
table.write('collatzMax\0', 300);
table.write('hash\0', 320);
table.write('lo\0', 340);
table.write('data\0', 350);
mkdirSync(join(dir, 'kernel_table'), { recursive: true });
writeFileSync(join(dir, 'kernel_table', 'valid'), table);
