// The benchmark subcommands of the `corepool` CLI (bench/cli.ts COMMANDS): one per npm
// script `bench` / `bench:*`. test/bench-cli.test.ts checks that every `npm run bench...`
// the READMEs quote is one of these; test/packaging.test.ts runs each one's --help from the
// installed package.
export const SUBCOMMANDS = ['bench', 'bench:tiny', 'bench:gil', 'bench:cancel', 'bench:kernels', 'bench:io', 'bench:workers', 'bench:queue'] as const;
