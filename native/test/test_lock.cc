// GlobalLock: exclusion, switching, drop requests, forced switches, and the ways a waiter
// or holder can leave (cancel, deadline, pool shutdown) without hanging anyone.
#include <random>

#include "../src/kernels/registry.h"
#include "harness.h"
#include "test_kernels.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {
ThreadPool::Options opts(uint32_t workers, bool lock, LockMode mode = LockMode::Modern) {
  return pool_options("lock", workers, lock, mode);
}

struct Interval {  // sets the switch interval for one test, restores 5 ms after
  explicit Interval(std::chrono::microseconds us) { GlobalLock::instance().set_switch_interval(us); }
  ~Interval() { GlobalLock::instance().set_switch_interval(5000us); }
};

// Two probes for `ms` on 2 workers; returns the overlaps seen.
uint64_t probe_pair(bool lock, LockMode mode, double ms) {
  tk::probe_overlaps = 0;
  tk::probe_inside = 0;
  Sink sink;
  ThreadPool pool(opts(2, lock, mode), sink.fn());
  submit1(pool, make_task(&tk::kProbe, 1, {ms}));
  submit1(pool, make_task(&tk::kProbe, 2, {ms}));
  CHECK(sink.wait_count(2, 20000ms));
  for (auto& t : sink.done) {
    CHECK(t->status == TaskStatus::Ok);
    CHECK_MSG(t->results()[0].number > 10, "each probe made progress");
  }
  return tk::probe_overlaps.load();
}
}  // namespace

TEST_CASE(probe_sees_overlap_without_lock, 20) {
  // The probe itself works: two free threads do overlap (2 cores, 300 ms).
  CHECK(probe_pair(false, LockMode::Modern, 300) > 0);
}

TEST_CASE(modern_lock_excludes_and_switches, 20) {
  Interval iv(2000us);
  const LockStats& g = GlobalLock::instance().stats();
  uint64_t switches0 = g.switches, requests0 = g.drop_requests, forced0 = g.forced_waits;
  CHECK(probe_pair(true, LockMode::Modern, 300) == 0);
  uint64_t switches = g.switches - switches0;
  // ~300 ms / 2 ms = 150 switches expected; a noisy machine gets fewer, never none.
  CHECK_MSG(switches >= 20, std::to_string(switches));
  CHECK(g.drop_requests - requests0 >= 10);
  CHECK(g.forced_waits - forced0 >= 10);
}

TEST_CASE(legacy_lock_excludes, 20) { CHECK(probe_pair(true, LockMode::Legacy, 200) == 0); }

TEST_CASE(pool_stats_count_switches, 20) {
  Interval iv(2000us);
  Sink sink;
  ThreadPool pool(opts(2, true), sink.fn());
  submit1(pool, make_task(&kSpin, 1, {200}));
  submit1(pool, make_task(&kSpin, 2, {200}));
  CHECK(sink.wait_count(2));
  const LockStats& s = pool.lock_stats();
  CHECK_MSG(s.switches >= 10, std::to_string(s.switches.load()));
  CHECK(s.acquisitions >= s.switches);
  CHECK(s.wait_ns_max > 0 && s.wait_ns_total >= s.wait_ns_max);
}

TEST_CASE(blocking_region_releases_the_lock, 20) {
  Sink sink;
  ThreadPool pool(opts(2, true), sink.fn());
  auto start = Clock::now();
  submit1(pool, make_task(&kSleep, 1, {300}));
  submit1(pool, make_task(&kSpin, 2, {300}));
  CHECK(sink.wait_count(2));
  // In parallel: ~300 ms, not 600 (sleep holds no lock while it sleeps).
  CHECK_MSG(ms_since(start) < 550, std::to_string(ms_since(start)));
}

TEST_CASE(cancel_while_waiting_in_take, 20) {
  Interval iv(std::chrono::seconds(30));  // no drop request within the test
  Sink a_sink, b_sink;
  ThreadPool a(opts(1, true), a_sink.fn());
  ThreadPool b(opts(1, true), b_sink.fn());
  Task* holder = submit1(a, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return a.active() == 1; }));
  std::this_thread::sleep_for(10ms);
  Task* waiter = submit1(b, make_task(&kSpin, 2, {60000}));
  CHECK(eventually([&] { return b.active() == 1; }));
  std::this_thread::sleep_for(20ms);  // now blocked in take()
  std::unique_ptr<Task> removed;
  auto start = Clock::now();
  CHECK(b.cancel(waiter, removed) == ThreadPool::CancelResult::Running);
  CHECK(b_sink.wait_count(1, 5000ms));
  CHECK_MSG(ms_since(start) < 500, std::to_string(ms_since(start)));
  CHECK(waiter->status == TaskStatus::Cancelled);
  CHECK(a_sink.count() == 0);  // the holder was never disturbed
  a.cancel(holder, removed);
  CHECK(a_sink.wait_count(1));
}

// cancel() that waits for a task blocked in take(): the task leaves take() at once and is
// handed back; the holder is not disturbed, nothing deadlocks.
TEST_CASE(cancel_with_wait_while_waiting_in_take, 20) {
  Interval iv(std::chrono::seconds(30));  // no drop request within the test
  Sink a_sink, b_sink;
  ThreadPool a(opts(1, true), a_sink.fn());
  ThreadPool b(opts(1, true), b_sink.fn());
  Task* holder = submit1(a, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return a.active() == 1; }));
  std::this_thread::sleep_for(10ms);
  Task* waiter = submit1(b, make_task(&kSpin, 2, {60000}));
  CHECK(eventually([&] { return b.active() == 1; }));
  std::this_thread::sleep_for(20ms);  // now blocked in take()
  std::unique_ptr<Task> removed;
  CHECK(b.cancel(waiter, removed, std::chrono::seconds(5)) == ThreadPool::CancelResult::Stopped);
  CHECK(removed.get() == waiter && waiter->status == TaskStatus::Cancelled);
  CHECK(b.active() == 0 && b_sink.count() == 0);
  CHECK(a_sink.count() == 0);  // the holder was never disturbed
  // The holder, which holds the lock, stops and is handed back too.
  CHECK(a.cancel(holder, removed, std::chrono::seconds(5)) == ThreadPool::CancelResult::Stopped);
  CHECK(removed.get() == holder && a.active() == 0);
}

TEST_CASE(deadline_while_waiting_in_take, 20) {
  Interval iv(std::chrono::seconds(30));
  Sink sink;
  ThreadPool pool(opts(2, true), sink.fn());
  Task* holder = submit1(pool, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return pool.active() == 1; }));
  std::this_thread::sleep_for(10ms);
  auto t = make_task(&kNoop, 2);
  t->deadline = Clock::now() + 100ms;
  auto start = Clock::now();
  submit1(pool, std::move(t));
  Task* done = sink.wait_id(2, 5000ms);
  CHECK(done != nullptr);
  CHECK_MSG(ms_since(start) < 1000, std::to_string(ms_since(start)));
  CHECK(done->status == TaskStatus::TimedOut);
  std::unique_ptr<Task> removed;
  pool.cancel(holder, removed);
  CHECK(sink.wait_count(2));
}

// A holder in a forced-switch wait must not hang when the waiter that asked it to drop
// gives up. Many short waiters are cancelled at random moments around their request.
TEST_CASE(forced_switch_survives_leaving_waiters, 60) {
  Interval iv(300us);
  Sink holder_sink, waiter_sink;
  ThreadPool holder_pool(opts(1, true), holder_sink.fn());
  ThreadPool waiter_pool(opts(1, true), waiter_sink.fn());
  submit1(holder_pool, make_task(&kSpin, 1, {800}));
  std::mt19937 rng(42);
  std::vector<Task*> waiters;
  auto start = Clock::now();
  for (uint32_t i = 0; i < 300 && ms_since(start) < 700; ++i) {
    Task* w = submit1(waiter_pool, make_task(&kSpin, 100 + i, {60000}));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 600));
    std::unique_ptr<Task> removed;
    waiter_pool.cancel(w, removed);
    waiters.push_back(removed ? nullptr : w);
  }
  CHECK(holder_sink.wait_count(1, 10000ms));
  CHECK(holder_sink.done[0]->status == TaskStatus::Ok);
  CHECK_MSG(ms_since(start) < 5000, std::to_string(ms_since(start)));
  size_t expected = 0;
  for (Task* w : waiters) expected += w != nullptr;
  CHECK(waiter_sink.wait_count(expected, 10000ms));
}

// The holder's pool is destroyed while a worker of another pool waits for the lock.
TEST_CASE(holder_pool_shutdown_with_waiter, 20) {
  Sink a_sink, b_sink;
  auto b = std::make_unique<ThreadPool>(opts(1, true), b_sink.fn());
  {
    ThreadPool a(opts(1, true), a_sink.fn());
    submit1(a, make_task(&kSpin, 1, {60000}));
    CHECK(eventually([&] { return a.active() == 1; }));
    submit1(*b, make_task(&kSpin, 2, {20}));
    std::this_thread::sleep_for(2ms);
  }
  CHECK(a_sink.wait_count(1) && a_sink.done[0]->status == TaskStatus::Cancelled);
  CHECK(b_sink.wait_count(1, 3000ms));
  CHECK(b_sink.done[0]->status == TaskStatus::Ok);
}

// The waiter's pool is destroyed while another pool's task holds the lock.
TEST_CASE(waiter_pool_shutdown_while_waiting, 20) {
  Interval iv(std::chrono::seconds(30));
  Sink a_sink, b_sink;
  ThreadPool a(opts(1, true), a_sink.fn());
  Task* holder = submit1(a, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return a.active() == 1; }));
  auto start = Clock::now();
  {
    ThreadPool b(opts(2, true), b_sink.fn());
    submit1(b, make_task(&kSpin, 2, {60000}));
    submit1(b, make_task(&kSpin, 3, {60000}));
    eventually([&] { return b.active() == 2; });
    std::this_thread::sleep_for(5ms);
  }
  CHECK_MSG(ms_since(start) < 2000, std::to_string(ms_since(start)));
  CHECK(b_sink.count() == 2);
  std::unique_ptr<Task> removed;
  a.cancel(holder, removed);
  CHECK(a_sink.wait_count(1));
}

// A Legacy pool's waiter behind a Modern holder (which drops only on request) still
// gets the lock within a few intervals.
TEST_CASE(legacy_waiter_behind_modern_holder, 20) {
  Sink a_sink, b_sink;
  ThreadPool modern(opts(1, true, LockMode::Modern), a_sink.fn());
  ThreadPool legacy(opts(1, true, LockMode::Legacy), b_sink.fn());
  Task* holder = submit1(modern, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return modern.active() == 1; }));
  auto start = Clock::now();
  submit1(legacy, make_task(&kNoop, 2));
  CHECK(b_sink.wait_count(1, 5000ms));
  CHECK_MSG(ms_since(start) < 1000, std::to_string(ms_since(start)));
  std::unique_ptr<Task> removed;
  modern.cancel(holder, removed);
  CHECK(a_sink.wait_count(1));
}

// Many threads of several pools contend; every one keeps getting the lock.
TEST_CASE(no_waiter_is_lost, 60) {
  Interval iv(500us);
  Sink sink;
  std::vector<std::unique_ptr<ThreadPool>> pools;
  for (int p = 0; p < 3; ++p)
    pools.push_back(std::make_unique<ThreadPool>(
        opts(2, true, p == 2 ? LockMode::Legacy : LockMode::Modern), sink.fn()));
  uint32_t id = 0;
  for (int round = 0; round < 20; ++round)
    for (auto& p : pools) {
      submit1(*p, make_task(&kSpin, id++, {2}));
      submit1(*p, make_task(&kSleep, id++, {1}));
      submit1(*p, make_task(&kIoLoop, id++, {5, 0}));
    }
  CHECK(sink.wait_count(id, 30000ms));
  for (auto& t : sink.done) CHECK(t->status == TaskStatus::Ok);
}

TEST_MAIN()
