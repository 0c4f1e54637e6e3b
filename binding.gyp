{
  # Same sources as CMakeLists.txt; N-API version pinned in both (and in package.json).
  "targets": [
    {
      "target_name": "corepool",
      "sources": [
        "native/src/pool.cc",
        "native/src/global_lock.cc",
        "native/src/kernels/registry.cc",
        "native/src/kernels/primes.cc",
        "native/src/kernels/busy.cc",
        "native/src/kernels/sleep.cc",
        "native/src/kernels/hash.cc",
        "native/src/kernels/io.cc",
        "native/src/kernels/bigint.cc",
        "native/src/kernels/linalg.cc",
        "native/src/kernels/sort.cc",
        "native/src/kernels/fractal.cc",
        "native/src/binding/buffer_args.cc",
        "native/src/binding/completion_queue.cc",
        "native/src/binding/kernel_registry.cc",
        "native/src/binding/pool_object.cc",
        "native/src/binding/table_check.cc",
        "native/src/binding/module.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
                  "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-ffp-contract=off"],
      "cflags!": ["-O2"],
      "ldflags": ["-pthread"],
      "conditions": [["OS=='linux'", {"libraries": ["-ldl"]}]],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]
      }
    }
  ]
}
