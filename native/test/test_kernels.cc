// The built-in kernels through the pool and run_inline, including ioLoop.
#include <cstring>

#include "../src/kernels/registry.h"
#include "harness.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {
ThreadPool::Options opts(uint32_t workers, bool lock = false) {
  ThreadPool::Options o;
  o.workers = workers;
  o.name = "kern";
  o.global_lock = lock;
  return o;
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
  const char* expected[] = {"isPrime", "countPrimes", "sumRange", "spin",
                            "sleep",   "sha256",      "noop",     "ioLoop"};
  CHECK(builtin_kernel_count() == 8);
  for (size_t i = 0; i < 8; ++i) CHECK(k[i] != nullptr && std::strcmp(k[i]->name, expected[i]) == 0);
  CHECK(k[8] == nullptr);
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
  CHECK(eventually([&] { return pool.status_of(endless) == TaskStatus::Running; }));
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

TEST_MAIN()
