// factorial(n) -> bigint: Python's math.factorial(10**5), the classic CPU-bound example.
// A product tree over [1, n] keeps the operands of every multiplication balanced, and
// Karatsuba multiplies the large ones: n = 1e5 (a 1.5-million-bit result) takes tens
// of milliseconds. Numbers are little-endian vectors of 64-bit limbs, which is also the
// BigInt result's byte layout on the little-endian targets corepool builds for.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "registry.h"

namespace corepool {
namespace {

using Limb = uint64_t;
using Wide = unsigned __int128;
using Num = std::vector<Limb>;

// Below this many limbs schoolbook multiplication beats Karatsuba's extra additions.
constexpr size_t kKaratsubaLimbs = 40;
// Base-case multiplications (about 1 us each at the threshold) between checkpoints.
constexpr uint32_t kMulsPerCheckpoint = 16;

// Stop state shared by the whole recursion: once a checkpoint says stop, every level
// returns at once without finishing (the partial product is thrown away).
struct Run {
  corepool_ctx* ctx;
  uint32_t budget = 0;
  bool stopped = false;
  bool poll() {
    if (!stopped && ++budget >= kMulsPerCheckpoint) {
      budget = 0;
      stopped = corepool_checkpoint(ctx) != 0;
    }
    return stopped;
  }
};

// r[0, na + nb) = a * b; r must not overlap a or b.
void mul_basecase(const Limb* a, size_t na, const Limb* b, size_t nb, Limb* r) {
  std::fill(r, r + na + nb, Limb(0));
  for (size_t i = 0; i < nb; ++i) {
    Limb bi = b[i];
    if (bi == 0) continue;
    Limb carry = 0;
    for (size_t j = 0; j < na; ++j) {
      Wide t = Wide(a[j]) * bi + r[i + j] + carry;
      r[i + j] = Limb(t);
      carry = Limb(t >> 64);
    }
    r[i + na] = carry;
  }
}

// r[0, nr) += x[0, nx) with nx <= nr; a carry out of r is dropped (callers know the sum fits).
void add_into(Limb* r, size_t nr, const Limb* x, size_t nx) {
  Limb carry = 0;
  size_t i = 0;
  for (; i < nx; ++i) {
    Wide t = Wide(r[i]) + x[i] + carry;
    r[i] = Limb(t);
    carry = Limb(t >> 64);
  }
  for (; carry && i < nr; ++i) carry = ++r[i] == 0;
}

// r[0, nr) -= x[0, nx) with nx <= nr and r >= x.
void sub_into(Limb* r, size_t nr, const Limb* x, size_t nx) {
  Limb borrow = 0;
  size_t i = 0;
  for (; i < nx; ++i) {
    Limb xi = x[i] + borrow;
    Limb next = (xi < borrow) || (r[i] < xi);
    r[i] -= xi;
    borrow = next;
  }
  for (; borrow && i < nr; ++i) borrow = r[i]-- == 0;
}

// s = x[0, nx) + y[0, ny), as max(nx, ny) + 1 limbs.
void add_new(const Limb* x, size_t nx, const Limb* y, size_t ny, Num& s) {
  if (nx < ny) std::swap(x, y), std::swap(nx, ny);
  s.assign(x, x + nx);
  s.push_back(0);
  add_into(s.data(), s.size(), y, ny);
}

// r[0, na + nb) = a * b, na >= nb >= 1.
void mul(Run& run, const Limb* a, size_t na, const Limb* b, size_t nb, Limb* r) {
  if (run.stopped) return;
  if (nb < kKaratsubaLimbs) {
    mul_basecase(a, na, b, nb, r);
    run.poll();
    return;
  }
  if (na >= 2 * nb) {
    // Unbalanced: multiply b by nb-limb slices of a and add them up.
    std::fill(r, r + na + nb, Limb(0));
    Num part(2 * nb);
    for (size_t off = 0; off < na && !run.stopped; off += nb) {
      size_t n = std::min(nb, na - off);
      if (n >= nb) mul(run, a + off, n, b, nb, part.data());
      else mul(run, b, nb, a + off, n, part.data());
      add_into(r + off, na + nb - off, part.data(), n + nb);
    }
    return;
  }
  // Karatsuba: a = a1 B^m + a0, b = b1 B^m + b0 (nb > m, so b1 is not empty);
  // a b = z2 B^2m + (z1 - z2 - z0) B^m + z0 with z1 = (a0 + a1)(b0 + b1).
  size_t m = na / 2;
  Limb* z0 = r;           // 2m limbs
  Limb* z2 = r + 2 * m;   // (na - m) + (nb - m) limbs: z0 and z2 tile r exactly
  mul(run, a, m, b, m, z0);
  mul(run, a + m, na - m, b + m, nb - m, z2);
  Num sa, sb;
  add_new(a, m, a + m, na - m, sa);
  add_new(b, m, b + m, nb - m, sb);
  Num z1(sa.size() + sb.size());
  mul(run, sa.data(), sa.size(), sb.data(), sb.size(), z1.data());
  if (run.stopped) return;
  sub_into(z1.data(), z1.size(), z0, 2 * m);
  sub_into(z1.data(), z1.size(), z2, na + nb - 2 * m);
  // z1 - z0 - z2 < B^(na + nb - m): its higher limbs are zero, so adding only what
  // fits in r loses nothing.
  size_t room = na + nb - m;
  add_into(r + m, room, z1.data(), std::min(z1.size(), room));
}

void trim(Num& x) {
  while (x.size() > 1 && x.back() == 0) x.pop_back();
}

Num multiply(Run& run, const Num& x, const Num& y) {
  Num r(x.size() + y.size());
  if (x.size() >= y.size()) mul(run, x.data(), x.size(), y.data(), y.size(), r.data());
  else mul(run, y.data(), y.size(), x.data(), x.size(), r.data());
  trim(r);
  return r;
}

// The product lo * (lo + 1) * ... * hi (inclusive), lo <= hi.
Num product(Run& run, uint64_t lo, uint64_t hi) {
  if (hi - lo < 32) {
    // Small factors: multiply them into a limb while it does not overflow, then fold
    // that limb into the accumulator (one limb-by-bignum pass per ~3 factors for n ~ 1e6).
    Num acc{1};
    uint64_t word = 1;
    auto fold = [&] {
      Limb carry = 0;
      for (Limb& l : acc) {
        Wide t = Wide(l) * word + carry;
        l = Limb(t);
        carry = Limb(t >> 64);
      }
      if (carry) acc.push_back(carry);
    };
    for (uint64_t k = lo; k <= hi; ++k) {
      if (word > UINT64_MAX / k) {
        fold();
        word = 1;
      }
      word *= k;
    }
    fold();
    return acc;
  }
  uint64_t mid = lo + (hi - lo) / 2;
  Num left = product(run, lo, mid);
  if (run.stopped) return left;
  Num right = product(run, mid + 1, hi);
  if (run.stopped) return right;
  return multiply(run, left, right);
}

int run_factorial(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  uint64_t n = uint64_t(args[0].integer);
  Run run{ctx};
  try {
    Num f = n < 2 ? Num{1} : product(run, 2, n);
    if (run.stopped || corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
    uint8_t* out = corepool_result_bytes(ctx, result, f.size() * sizeof(Limb));
    if (out == nullptr) {
      corepool_error(ctx, "factorial: out of memory");
      return COREPOOL_ERROR;
    }
    std::memcpy(out, f.data(), f.size() * sizeof(Limb));
    return COREPOOL_OK;
  } catch (const std::bad_alloc&) {
    // No exception may cross the C ABI.
    corepool_error(ctx, "factorial: out of memory");
    return COREPOOL_ERROR;
  }
}

// 1e6! has 18.5 million bits (2.3 MB) and takes about two seconds (Karatsuba, no FFT);
// V8's BigInt limit is 2^30 bits, so the cap is about time, not representability.
const corepool_arg_spec kFactorialArgs[] = {{"n", COREPOOL_ARG_INT, 0, 1e6}};

}  // namespace

const corepool_kernel kFactorial = {"factorial", 1, kFactorialArgs, COREPOOL_RESULT_BIGINT,
                                    run_factorial};

}  // namespace corepool
