// The built-in kernels through the pool and run_inline, including ioLoop.
#include <cmath>
#include <cstring>

#include "../src/kernels/registry.h"
#include "harness.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {
ThreadPool::Options opts(uint32_t workers, bool lock = false) {
  return pool_options("kern", workers, lock);
}

double run1(const corepool_kernel* k, std::vector<double> args) {
  auto t = make_task(k, 0, args);
  std::string error;
  int rc = run_inline(k, t->args(), t->results(), error);
  CHECK_MSG(rc == COREPOOL_OK, error);
  return k->result == COREPOOL_RESULT_BOOL ? t->results()[0].boolean : t->results()[0].number;
}
}  // namespace

TEST_CASE(registry_order, 5) {
  const corepool_kernel* const* k = builtin_kernels();
  // New kernels are appended: the first eight ids never move.
  const char* expected[] = {"isPrime", "countPrimes", "sumRange",    "spin",
                            "sleep",   "sha256",      "noop",        "ioLoop",
                            "factorial", "matmul",    "sortFloat64", "mandelbrot",
                            "mandelbrot16"};
  const size_t n = sizeof(expected) / sizeof(expected[0]);
  CHECK(builtin_kernel_count() == n);
  for (size_t i = 0; i < n; ++i) CHECK(k[i] != nullptr && std::strcmp(k[i]->name, expected[i]) == 0);
  CHECK(k[n] == nullptr);
  CHECK(kIoLoop.arg_count == 2 && kIoLoop.args[0].kind == COREPOOL_ARG_INT &&
        kIoLoop.args[0].max == 1e9 && kIoLoop.args[1].kind == COREPOOL_ARG_NUMBER &&
        kIoLoop.args[1].max == 1e7 && kIoLoop.result == COREPOOL_RESULT_NUMBER);
}

TEST_CASE(cpu_kernels_inline, 10) {
  CHECK(run1(&kIsPrime, {97}) == 1 && run1(&kIsPrime, {91}) == 0 && run1(&kIsPrime, {2}) == 1);
  CHECK(run1(&kIsPrime, {1000000007}) == 1);
  CHECK(run1(&kCountPrimes, {0, 100}) == 25);
  CHECK(run1(&kCountPrimes, {0, 100000}) == 9592);
  CHECK(run1(&kSumRange, {10}) == 45);
  CHECK(run1(&kSpin, {1}) > 0);
  CHECK(run1(&kNoop, {}) == 0);
}

TEST_CASE(sha256_inline, 5) {
  const char* msg = "abc";
  auto t = make_task(&kSha256, 0);
  t->args()[0].view.data = const_cast<char*>(msg);
  t->args()[0].view.length = 3;
  std::string error;
  CHECK(run_inline(&kSha256, t->args(), t->results(), error) == COREPOOL_OK);
  const uint8_t want[4] = {0xba, 0x78, 0x16, 0xbf};
  CHECK(t->results()[0].length == 32 && std::memcmp(t->results()[0].bytes, want, 4) == 0);
}

TEST_CASE(io_loop_counts_rounds, 10) {
  CHECK(run1(&kIoLoop, {0, 0}) == 0);
  CHECK(run1(&kIoLoop, {1000, 0}) == 1000);
  auto start = Clock::now();
  CHECK(run1(&kIoLoop, {10, 2000}) == 10);
  CHECK_MSG(ms_since(start) >= 19, std::to_string(ms_since(start)));
}

TEST_CASE(io_loop_cancel_and_deadline, 10) {
  Sink sink;
  ThreadPool pool(opts(2), sink.fn());
  Task* endless = submit1(pool, make_task(&kIoLoop, 1, {1e9, 0}));
  auto long_io = make_task(&kIoLoop, 2, {10, 1e7});  // 10 calls of 10 s
  long_io->deadline = Clock::now() + 50ms;
  auto start = Clock::now();
  submit1(pool, std::move(long_io));
  CHECK(eventually([&] { return pool.taken(endless); }));
  std::unique_ptr<Task> removed;
  CHECK(pool.cancel(endless, removed) == ThreadPool::CancelResult::Running);
  CHECK(sink.wait_count(2, 5000ms));
  CHECK_MSG(ms_since(start) < 1000, std::to_string(ms_since(start)));
  CHECK(sink.wait_id(1)->status == TaskStatus::Cancelled);
  CHECK(sink.wait_id(2)->status == TaskStatus::TimedOut);
}

// Under the lock, every round drops the lock and takes it again, even for a
// zero-length call.
TEST_CASE(io_loop_retakes_the_lock_each_round, 20) {
  Sink sink;
  ThreadPool pool(opts(2, true), sink.fn());
  const LockStats& s = pool.lock_stats();
  submit1(pool, make_task(&kIoLoop, 1, {100, 0}));
  CHECK(sink.wait_count(1));
  CHECK(sink.done[0]->status == TaskStatus::Ok && sink.done[0]->results()[0].number == 100);
  CHECK(s.acquisitions >= 101);  // the task's take, then one per round
}

// 30! = 0xd13f6370f96_865df5dd54000000 in two little-endian limbs; 1000! through the
// product tree and Karatsuba.
TEST_CASE(factorial_inline, 20) {
  auto t = make_task(&kFactorial, 0, {30});
  std::string error;
  CHECK(run_inline(&kFactorial, t->args(), t->results(), error) == COREPOOL_OK);
  const corepool_result& r = t->results()[0];
  CHECK(r.length == 16);
  uint64_t lo, hi;
  std::memcpy(&lo, r.bytes, 8);
  std::memcpy(&hi, r.bytes + 8, 8);
  CHECK(lo == 0x865df5dd54000000ull && hi == 0xd13f6370f96ull);
  // 1000! ends in 249 zero decimal digits, i.e. 994 factors of 2: the low 15 limbs are 0.
  auto big = make_task(&kFactorial, 1, {1000});
  CHECK(run_inline(&kFactorial, big->args(), big->results(), error) == COREPOOL_OK);
  const corepool_result& b = big->results()[0];
  CHECK(b.length % 8 == 0 && b.length / 8 == 134);  // 8530 bits
  const uint64_t* limbs = reinterpret_cast<const uint64_t*>(b.bytes);
  for (int i = 0; i < 15; ++i) CHECK(limbs[i] == 0);
  CHECK((limbs[15] & ((uint64_t(1) << 34) - 1)) == 0 && ((limbs[15] >> 34) & 1) == 1);
  CHECK(limbs[133] != 0 && (limbs[133] >> (8530 - 133 * 64)) == 0);
}

TEST_CASE(factorial_cancel, 20) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  Task* t = submit1(pool, make_task(&kFactorial, 1, {1e6}));
  CHECK(eventually([&] { return pool.taken(t); }));
  auto start = Clock::now();
  std::unique_ptr<Task> removed;
  CHECK(pool.cancel(t, removed) == ThreadPool::CancelResult::Running);
  CHECK(sink.wait_count(1, 5000ms));
  CHECK_MSG(ms_since(start) < 500, std::to_string(ms_since(start)));
  CHECK(sink.done[0]->status == TaskStatus::Cancelled);
}

TEST_CASE(matmul_sort_mandelbrot_inline, 20) {
  std::string error;
  double a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
  auto m = make_task(&kMatmul, 0, {0, 0, 2});
  m->args()[0].view = {a, 4};
  m->args()[1].view = {b, 4};
  CHECK(run_inline(&kMatmul, m->args(), m->results(), error) == COREPOOL_OK);
  const double* c = reinterpret_cast<const double*>(m->results()[0].bytes);
  CHECK(m->results()[0].length == 32 && c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50);
  // A size mismatch is the kernel's error, not an out-of-bounds read.
  auto bad = make_task(&kMatmul, 1, {0, 0, 3});
  bad->args()[0].view = {a, 4};
  bad->args()[1].view = {b, 4};
  error.clear();
  CHECK(run_inline(&kMatmul, bad->args(), bad->results(), error) == COREPOOL_ERROR);
  CHECK(error.find("n * n") != std::string::npos);

  double v[7] = {3, -1, 0.0, -0.0, 1e300, -1e-300, -5};
  auto s = make_task(&kSortFloat64, 2);
  s->args()[0].view = {v, 7};
  CHECK(run_inline(&kSortFloat64, s->args(), s->results(), error) == COREPOOL_OK);
  CHECK(v[0] == -5 && v[1] == -1 && v[2] == -1e-300 && std::signbit(v[3]) && !std::signbit(v[4]) &&
        v[5] == 3 && v[6] == 1e300);

  auto f = make_task(&kMandelbrot, 3, {4, 2, 50});
  CHECK(run_inline(&kMandelbrot, f->args(), f->results(), error) == COREPOOL_OK);
  // c = -2.5 - 1.25i escapes at once; c = -0.75 + 0i (x = 2 of 4, y = 1 of 2) never does.
  CHECK(f->results()[0].length == 8 && f->results()[0].bytes[0] == 1 &&
        f->results()[0].bytes[4 + 2] == 50);
}

TEST_MAIN()
