/** The directory of corepool.h (native/include inside the installed package). */
declare const includeDir: string;
export = includeDir;
