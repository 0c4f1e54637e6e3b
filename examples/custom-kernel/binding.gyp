{
  "targets": [
    {
      "target_name": "custom_kernel",
      "sources": ["src/kernels.c"],
      # corepool.h from the installed corepool package; the addon does not link against
      # corepool: every call goes through the context's host table.
      "include_dirs": ["<!(node -p \"require('corepool/include')\")"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c99", "-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c99", "-O2"] }
    }
  ]
}
