// bullmq and ioredis, loaded on first use: a user who never makes a QueuePool or calls
// serve() never needs them installed. Kept apart from the public types (protocol.ts), so
// that corepool's .d.ts never names a package the user may not have.
type BullMQ = typeof import('bullmq');
type IORedisCtor = typeof import('ioredis').default;

let bullmq: BullMQ | undefined;
let ioredis: IORedisCtor | undefined;

/** bullmq; a clear error naming what to install when it is missing. */
export function loadBullMQ(): BullMQ {
  if (bullmq === undefined) bullmq = requireOptional('bullmq') as BullMQ;
  return bullmq;
}

/** ioredis (bullmq's Redis driver), for the cancel channel. */
export function loadIORedis(): IORedisCtor {
  if (ioredis === undefined) {
    const mod = requireOptional('ioredis') as { default?: IORedisCtor } & IORedisCtor;
    ioredis = mod.default ?? mod;
  }
  return ioredis;
}

function requireOptional(name: string): unknown {
  try {
    return require(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`QueuePool needs the optional packages bullmq and ioredis: npm install bullmq ioredis`, { cause: error });
    }
    throw error;
  }
}
