// mandelbrot(width, height, maxIter) -> Uint8Array and mandelbrot16 (-> Uint16Array, for
// maxIter up to 65535): the escape-time count of each pixel, row-major, over the region
// re in [-2.5, 1), im in [-1.25, 1.25). Pixel (x, y) samples
//   c = (-2.5 + (x * 3.5) / width, -1.25 + (y * 2.5) / height)
// and iterates z = z^2 + c from 0 until |z|^2 > 4 or maxIter steps; the value is the
// number of steps taken. The float operations are spelled out (and built with
// -ffp-contract=off) so that a JavaScript loop doing the same gets identical counts.
#include <cstdint>

#include "registry.h"

namespace corepool {
namespace {

// 64 Mi pixels (128 MiB as Uint16): the same cap as lib/kernels.ts's rule.
constexpr size_t kMaxPixels = size_t(1) << 26;

template <typename Pixel>
int render(corepool_ctx* ctx, const corepool_value* args, corepool_result* result,
           const char* name) {
  const size_t width = size_t(args[0].integer), height = size_t(args[1].integer);
  const uint32_t max_iter = uint32_t(args[2].integer);
  if (width * height > kMaxPixels) {
    corepool_error(ctx, "mandelbrot: width * height must not exceed 2^26 pixels");
    return COREPOOL_ERROR;
  }
  Pixel* out = static_cast<Pixel*>(
      corepool_result_array(ctx, result, width * height, sizeof(Pixel)));
  if (out == nullptr) {
    corepool_error(ctx, name);
    return COREPOOL_ERROR;
  }
  // One checkpoint per row at most every ~64k iterations: rows of a deep zoom are long.
  uint64_t work = 0;
  for (size_t y = 0; y < height; ++y) {
    const double ci = -1.25 + (double(y) * 2.5) / double(height);
    for (size_t x = 0; x < width; ++x) {
      const double cr = -2.5 + (double(x) * 3.5) / double(width);
      double zr = 0, zi = 0;
      uint32_t i = 0;
      while (i < max_iter) {
        const double zr2 = zr * zr, zi2 = zi * zi;
        if (zr2 + zi2 > 4.0) break;
        const double t = zr2 - zi2 + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        ++i;
      }
      out[y * width + x] = Pixel(i);
      work += i + 1;
      if (work >= 65536) {
        work = 0;
        if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
      }
    }
  }
  return COREPOOL_OK;
}

int run_mandelbrot8(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  return render<uint8_t>(ctx, args, result, "mandelbrot: out of memory");
}
int run_mandelbrot16(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  return render<uint16_t>(ctx, args, result, "mandelbrot16: out of memory");
}

// Each side up to 32768, and width * height up to kMaxPixels (checked in JS before queuing).
const corepool_arg_spec kArgs8[] = {
    {"width", COREPOOL_ARG_INT, 1, 32768},
    {"height", COREPOOL_ARG_INT, 1, 32768},
    {"maxIter", COREPOOL_ARG_INT, 1, 255},
};
const corepool_arg_spec kArgs16[] = {
    {"width", COREPOOL_ARG_INT, 1, 32768},
    {"height", COREPOOL_ARG_INT, 1, 32768},
    {"maxIter", COREPOOL_ARG_INT, 1, 65535},
};

}  // namespace

const corepool_kernel kMandelbrot = {"mandelbrot", 3, kArgs8, COREPOOL_RESULT_BYTES,
                                     run_mandelbrot8};
const corepool_kernel kMandelbrot16 = {"mandelbrot16", 3, kArgs16, COREPOOL_RESULT_UINT16S,
                                       run_mandelbrot16};

}  // namespace corepool
