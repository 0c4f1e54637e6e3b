// sha256(data): FIPS 180-4 SHA-256 over a Uint8Array read in place (no copy).
// It runs the SHA-256 of the OpenSSL inside the host process when there is one: Node links
// OpenSSL in and exports its symbols to addons, and that code (SHA extensions, AVX2) is the
// one node:crypto runs. The addon does not link against those symbols: a runtime without
// them (Bun exports none) could not load it at all. They are looked up once with dlsym and
// checked against a known digest; without them, the built-in code below runs: the x86 SHA
// extensions when the CPU has them (checked at run time, so one prebuilt binary serves
// every x86-64), portable C++ otherwise. It checkpoints every 4 KiB (a few us of work).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define COREPOOL_HOST_OPENSSL 1
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define COREPOOL_SHA_NI 1
#endif

#include "limits.h"
#include "registry.h"

namespace corepool {
namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void compress(uint32_t state[8], const uint8_t* block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = uint32_t(block[4 * i]) << 24 | uint32_t(block[4 * i + 1]) << 16 |
           uint32_t(block[4 * i + 2]) << 8 | uint32_t(block[4 * i + 3]);
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                  kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  state[0] += a; state[1] += b; state[2] += c; state[3] += d;
  state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

void compress_portable(uint32_t state[8], const uint8_t* data, size_t blocks) {
  for (size_t b = 0; b < blocks; ++b) compress(state, data + 64 * b);
}

#ifdef COREPOOL_SHA_NI
// Four rounds per step with SHA256RNDS2, the message schedule with SHA256MSG1/MSG2, in
// the register layout of Intel's reference code (state as ABEF / CDGH).
__attribute__((target("sha,sse4.1,ssse3")))
void compress_sha_ni(uint32_t state[8], const uint8_t* data, size_t blocks) {
  const __m128i kByteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[0]));
  __m128i state1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[4]));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);                // CDAB
  state1 = _mm_shuffle_epi32(state1, 0x1B);          // EFGH
  __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
  state1 = _mm_blend_epi16(state1, tmp, 0xF0);       // CDGH

  for (size_t b = 0; b < blocks; ++b, data += 64) {
    const __m128i abef_save = state0;
    const __m128i cdgh_save = state1;
    __m128i w[4];  // message words of groups g, g+1, g+2, g+3 (mod 4)
    // Unrolled, so that w[g % 4] names a register: rolled up, the four message words
    // lived in memory and the loop ran 1.3x slower than OpenSSL's.
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      __m128i& cur = w[g % 4];
      if (g < 4) {
        cur = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)),
                               kByteSwap);
      }
      __m128i msg = _mm_add_epi32(cur, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRound[4 * g])));
      state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
      if (g >= 3 && g <= 14) {
        __m128i& next = w[(g + 1) % 4];
        next = _mm_add_epi32(next, _mm_alignr_epi8(cur, w[(g + 3) % 4], 4));
        next = _mm_sha256msg2_epu32(next, cur);
      }
      msg = _mm_shuffle_epi32(msg, 0x0E);
      state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
      if (g >= 1 && g <= 12) w[(g + 3) % 4] = _mm_sha256msg1_epu32(w[(g + 3) % 4], cur);
    }
    state0 = _mm_add_epi32(state0, abef_save);
    state1 = _mm_add_epi32(state1, cdgh_save);
  }

  tmp = _mm_shuffle_epi32(state0, 0x1B);        // FEBA
  state1 = _mm_shuffle_epi32(state1, 0xB1);     // DCHG
  state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
  state1 = _mm_alignr_epi8(state1, tmp, 8);     // ABEF
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[0]), state0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[4]), state1);
}

bool cpu_has_sha_ni() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = ecx & (1u << 9), sse41 = ecx & (1u << 19);
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return ssse3 && sse41 && (ebx & (1u << 29));
}
#endif

using CompressBlocks = void (*)(uint32_t state[8], const uint8_t* data, size_t blocks);

// OpenSSL's SHA256_Init/Update/Final, whose C ABI has not changed since 0.9.8 (BoringSSL
// has the same); each returns 1. The context is opaque here: SHA256_CTX is 112 bytes in
// OpenSSL 1.1 and 3.x and in BoringSSL, so 256 leaves room.
struct HostSha256 {
  int (*init)(void* ctx) = nullptr;
  int (*update)(void* ctx, const void* data, size_t length) = nullptr;
  int (*final)(unsigned char* digest, void* ctx) = nullptr;
};
struct alignas(16) HostShaContext {
  unsigned char bytes[256];
};

enum class Backend { HostOpenssl, ShaNi, Portable };

struct Sha256Code {
  Backend backend = Backend::Portable;
  HostSha256 host;
  CompressBlocks compress = compress_portable;
};

bool env_is_1(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] == '1' && v[1] == '\0';
}

#ifdef COREPOOL_HOST_OPENSSL
// The host's functions, if it exports all three and they hash "abc" right.
bool find_host_sha256(HostSha256& out) {
  HostSha256 h;
  h.init = reinterpret_cast<decltype(h.init)>(dlsym(RTLD_DEFAULT, "SHA256_Init"));
  h.update = reinterpret_cast<decltype(h.update)>(dlsym(RTLD_DEFAULT, "SHA256_Update"));
  h.final = reinterpret_cast<decltype(h.final)>(dlsym(RTLD_DEFAULT, "SHA256_Final"));
  if (h.init == nullptr || h.update == nullptr || h.final == nullptr) return false;
  static const uint8_t kAbcDigest[32] = {
      0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
      0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  HostShaContext ctx;
  uint8_t digest[32] = {};
  if (h.init(&ctx) != 1 || h.update(&ctx, "abc", 3) != 1 || h.final(digest, &ctx) != 1 ||
      std::memcmp(digest, kAbcDigest, 32) != 0)
    return false;
  out = h;
  return true;
}
#endif

// COREPOOL_SHA256_BUILTIN=1 skips the host's OpenSSL, COREPOOL_SHA256_PORTABLE=1 also the
// SHA extensions, so that tests cover every path on any machine.
Sha256Code pick_code() {
  Sha256Code code;
  const bool portable = env_is_1("COREPOOL_SHA256_PORTABLE");
#ifdef COREPOOL_HOST_OPENSSL
  if (!portable && !env_is_1("COREPOOL_SHA256_BUILTIN") && find_host_sha256(code.host)) {
    code.backend = Backend::HostOpenssl;
    return code;
  }
#endif
#ifdef COREPOOL_SHA_NI
  if (!portable && cpu_has_sha_ni()) {
    code.backend = Backend::ShaNi;
    code.compress = compress_sha_ni;
  }
#endif
  return code;
}

const Sha256Code sha256_code = pick_code();

int run_host_sha256(const HostSha256& h, corepool_ctx* ctx, const uint8_t* data, size_t length,
                    corepool_result* result) {
  HostShaContext state;
  uint8_t discard[32];
  constexpr size_t kBetweenCheckpoints = 4096;
  h.init(&state);
  for (size_t done = 0; done < length;) {
    size_t n = length - done < kBetweenCheckpoints ? length - done : kBetweenCheckpoints;
    h.update(&state, data + done, n);
    done += n;
    if (done < length && corepool_checkpoint(ctx)) {
      h.final(discard, &state);  // nothing to free, but OpenSSL wipes the context here
      return COREPOOL_STOPPED;
    }
  }
  uint8_t* out = corepool_result_bytes(ctx, result, 32);
  if (out == nullptr) {
    h.final(discard, &state);
    corepool_error(ctx, "sha256: out of memory");
    return COREPOOL_ERROR;
  }
  h.final(out, &state);
  return COREPOOL_OK;
}

int run_sha256(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  const uint8_t* data = static_cast<const uint8_t*>(args[0].view.data);
  const size_t length = args[0].view.length;
  if (sha256_code.backend == Backend::HostOpenssl)
    return run_host_sha256(sha256_code.host, ctx, data, length, result);
  const CompressBlocks compress_blocks = sha256_code.compress;
  uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  // 64 blocks (4 KiB) between checkpoints.
  const size_t full = length / 64;
  for (size_t done = 0; done < full;) {
    size_t n = full - done < 64 ? full - done : 64;
    compress_blocks(state, data + 64 * done, n);
    done += n;
    if (done < full && corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  // Padding: 0x80, zeros, then the bit length big-endian, in one or two final blocks.
  uint8_t tail[128] = {};
  size_t rest = length - full * 64;
  if (rest) std::memcpy(tail, data + full * 64, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = uint64_t(length) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = uint8_t(bits >> (8 * i));
  compress_blocks(state, tail, tail_len / 64);

  uint8_t* out = corepool_result_bytes(ctx, result, 32);
  if (out == nullptr) {
    corepool_error(ctx, "sha256: out of memory");
    return COREPOOL_ERROR;
  }
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = uint8_t(state[i] >> 24);
    out[4 * i + 1] = uint8_t(state[i] >> 16);
    out[4 * i + 2] = uint8_t(state[i] >> 8);
    out[4 * i + 3] = uint8_t(state[i]);
  }
  return COREPOOL_OK;
}

// Any length a Uint8Array can have (2^53 - 1 is JavaScript's own bound).
const corepool_arg_spec kSha256Args[] = {{"data", COREPOOL_ARG_BYTES_IN, 0, kMaxSafeInteger}};

}  // namespace

const corepool_kernel kSha256 = {"sha256", 1, kSha256Args, COREPOOL_RESULT_BYTES, run_sha256};

const char* sha256_backend() {
  switch (sha256_code.backend) {
    case Backend::HostOpenssl: return "openssl";
    case Backend::ShaNi: return "sha-ni";
    case Backend::Portable: break;
  }
  return "portable";
}

}  // namespace corepool
