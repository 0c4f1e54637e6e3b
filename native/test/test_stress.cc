// 10k short tasks across two pools (one under the global lock) with random cancels,
// take_oldest, deadlines and run timeouts. Every task must be accounted for exactly
// once, either by the sink or by the caller that removed it, in bounded time.
#include <random>

#include "../src/kernels/registry.h"
#include "harness.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kTasks = 10000;

std::unique_ptr<Task> random_task(std::mt19937& rng, uint32_t id) {
  std::unique_ptr<Task> t;
  switch (rng() % 6) {
    case 0: t = make_task(&kNoop, id); break;
    case 1: t = make_task(&kSumRange, id, {double(rng() % 20000)}); break;
    case 2: t = make_task(&kSpin, id, {double(rng() % 300) / 1000.0}); break;
    case 3: t = make_task(&kSleep, id, {double(rng() % 500) / 1000.0}); break;
    case 4: t = make_task(&kIoLoop, id, {double(rng() % 3), double(rng() % 50)}); break;
    default: t = make_task(&kIsPrime, id, {double(1000000007 + rng() % 1000)}); break;
  }
  switch (rng() % 8) {
    case 0: t->deadline = Clock::now() + std::chrono::microseconds(rng() % 3000); break;
    case 1: t->run_timeout = std::chrono::microseconds(rng() % 200); break;
    default: break;
  }
  return t;
}

void stress(uint32_t seed) {
  GlobalLock::instance().set_switch_interval(200us);
  std::mt19937 rng(seed);
  Sink sink;
  ThreadPool pools[2] = {ThreadPool(pool_options("free", 3, false), sink.fn()),
                         ThreadPool(pool_options("locked", 2, true), sink.fn())};
  // Submitted tasks stay alive until the end (the sink keeps them), so any of them may
  // be cancelled at any time.
  std::vector<std::pair<Task*, int>> submitted;
  std::vector<std::unique_ptr<Task>> removed_by_us;
  submitted.reserve(kTasks);
  uint32_t id = 0;
  auto start = Clock::now();
  while (id < kTasks) {
    int p = rng() % 2;
    std::vector<std::unique_ptr<Task>> batch;
    uint32_t n = 1 + rng() % 16;
    for (uint32_t i = 0; i < n && id < kTasks; ++i, ++id) {
      batch.push_back(random_task(rng, id));
      submitted.emplace_back(batch.back().get(), p);
    }
    pools[p].submit(batch);
    for (int c = rng() % 4; c > 0; --c) {
      auto [t, q] = submitted[rng() % submitted.size()];
      std::unique_ptr<Task> removed;
      auto r = pools[q].cancel(t, removed);
      if (r == ThreadPool::CancelResult::Removed) {
        CHECK(removed.get() == t);
        removed_by_us.push_back(std::move(removed));
      }
    }
    if (rng() % 50 == 0)
      if (auto t = pools[rng() % 2].take_oldest()) removed_by_us.push_back(std::move(t));
    if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 500));
  }
  // Everything not removed reaches the sink.
  size_t expect = kTasks - removed_by_us.size();
  CHECK_MSG(sink.wait_count(expect, 120000ms),
            std::to_string(sink.count()) + " of " + std::to_string(expect));
  for (auto& p : pools) {
    p.request_stop();
    p.join();
  }
  CHECK(sink.count() == expect);
  std::vector<int> seen(kTasks, 0);
  size_t by_status[6] = {};
  for (auto& t : sink.done) {
    ++seen[t->id];
    CHECK(is_final(t->status));
    ++by_status[int(t->status)];
  }
  for (auto& t : removed_by_us) {
    ++seen[t->id];
    CHECK(t->status == TaskStatus::Cancelled);
  }
  for (uint32_t i = 0; i < kTasks; ++i) CHECK_MSG(seen[i] == 1, "task " + std::to_string(i));
  std::printf("  %u tasks in %.0f ms: ok %zu, error %zu, cancelled %zu (+%zu removed), timed out %zu\n",
              kTasks, ms_since(start), by_status[2], by_status[3], by_status[4],
              removed_by_us.size(), by_status[5]);
  GlobalLock::instance().set_switch_interval(5000us);
  CHECK(by_status[3] == 0);  // no kernel here fails on its own
}

}  // namespace

TEST_CASE(ten_thousand_tasks_two_pools, 170) { stress(1); }

// Pools destroyed with work in flight, over and over, while another pool holds the lock.
TEST_CASE(destroy_under_load, 120) {
  std::mt19937 rng(7);
  Sink keep;
  ThreadPool::Options o;
  o.workers = 1;
  o.global_lock = true;
  ThreadPool other(o, keep.fn());
  submit1(other, make_task(&kSpin, 0, {1500}));
  auto start = Clock::now();
  for (int round = 0; round < 30; ++round) {
    Sink sink;
    ThreadPool::Options po;
    po.workers = 1 + rng() % 3;
    po.global_lock = rng() % 2;
    po.lock_mode = rng() % 3 == 0 ? LockMode::Legacy : LockMode::Modern;
    ThreadPool pool(po, sink.fn());
    for (uint32_t i = 0; i < 50; ++i) submit1(pool, random_task(rng, i));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
  }
  CHECK_MSG(ms_since(start) < 60000, std::to_string(ms_since(start)));
  CHECK(keep.wait_count(1, 10000ms) && keep.done[0]->status == TaskStatus::Ok);
}

TEST_MAIN()
