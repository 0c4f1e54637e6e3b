// Prints the global lock's behaviour in numbers, for comparison with CPython's:
//   F1      two CPU-bound tasks under the Modern lock: serialized, ~1 switch per interval
//   convoy  ioLoop(200, io) alone vs beside a CPU-bound task (bpo-7946)
//   legacy  two CPU-bound tasks under the Legacy lock vs the same work run sequentially
// Usage: [TICKS=n] fidelity [section...]  (default: all sections; TICKS: the legacy check
// interval, default 100). Timings, so run it on a quiet machine.
#include <cstdlib>
#include <cstring>

#include "../src/kernels/registry.h"
#include "harness.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {

ThreadPool::Options opts(uint32_t workers, bool lock, LockMode mode = LockMode::Modern) {
  return pool_options("fid", workers, lock, mode);
}

// Fixed work: `items` chunks of sumRange(2^27), or countPrimes over [lo, lo + span).
std::unique_ptr<Task> sum_task(uint32_t id, uint32_t items) {
  auto t = std::make_unique<Task>();
  t->kernel = &kSumRange;
  t->id = id;
  t->reserve_items(items, 1);
  for (uint32_t i = 0; i < items; ++i) t->args()[i].integer = 134217728;
  return t;
}
std::unique_ptr<Task> primes_task(uint32_t id, double span) {
  return make_task(&kCountPrimes, id, {1e12, 1e12 + span});
}

struct Run {
  double ms;
  uint64_t switches, drop_requests, forced_waits, acquisitions;
};

// Runs `tasks` on a fresh pool and waits for all of them.
Run run(ThreadPool::Options o, std::vector<std::unique_ptr<Task>> tasks) {
  Sink sink;
  size_t n = tasks.size();
  ThreadPool pool(o, sink.fn());
  auto start = Clock::now();
  pool.submit(tasks);
  CHECK(sink.wait_count(n, 120000ms));
  double ms = ms_since(start);
  for (auto& t : sink.done) CHECK(t->status == TaskStatus::Ok);
  const LockStats& s = pool.lock_stats();
  return {ms, s.switches, s.drop_requests, s.forced_waits, s.acquisitions};
}

template <typename Make>
std::vector<std::unique_ptr<Task>> tasks_of(int n, Make make) {
  std::vector<std::unique_ptr<Task>> v;
  for (int i = 0; i < n; ++i) v.push_back(make(uint32_t(i)));
  return v;
}

void print(const char* what, const Run& r) {
  std::printf("  %-46s %8.1f ms  switches %5llu  drop_requests %5llu  forced %5llu  acq %7llu\n",
              what, r.ms, (unsigned long long)r.switches, (unsigned long long)r.drop_requests,
              (unsigned long long)r.forced_waits, (unsigned long long)r.acquisitions);
}

void f1() {
  std::printf("F1: Modern lock, interval 5 ms, 2 workers\n");
  GlobalLock::instance().set_switch_interval(5000us);
  print("2 x spin(1000) (wall-clock work)",
        run(opts(2, true), tasks_of(2, [](uint32_t i) { return make_task(&kSpin, i, {1000}); })));
  Run alone = run(opts(1, false), tasks_of(1, [](uint32_t i) { return sum_task(i, 8); }));
  print("1 x sumRange 8x2^27, no lock", alone);
  print("2 x sumRange 8x2^27, no lock, 2 workers",
        run(opts(2, false), tasks_of(2, [](uint32_t i) { return sum_task(i, 8); })));
  print("2 x sumRange 8x2^27, lock, 2 workers",
        run(opts(2, true), tasks_of(2, [](uint32_t i) { return sum_task(i, 8); })));
  print("1 x countPrimes(1e12, +3000), no lock",
        run(opts(1, false), tasks_of(1, [](uint32_t i) { return primes_task(i, 3000); })));
  print("2 x countPrimes(1e12, +3000), lock, 2 workers",
        run(opts(2, true), tasks_of(2, [](uint32_t i) { return primes_task(i, 3000); })));
}

void convoy_one(double io_us) {
  GlobalLock::instance().set_switch_interval(5000us);
  char label[96];
  std::snprintf(label, sizeof label, "ioLoop(200, %g) alone", io_us);
  print(label, run(opts(2, true), tasks_of(1, [&](uint32_t i) {
                     return make_task(&kIoLoop, i, {200, io_us});
                   })));
  Sink sink;
  ThreadPool pool(opts(2, true), sink.fn());
  Task* spin = submit1(pool, make_task(&kSpin, 1, {600000}));
  eventually([&] { return pool.active() == 1; });
  std::this_thread::sleep_for(20ms);
  auto start = Clock::now();
  submit1(pool, make_task(&kIoLoop, 2, {200, io_us}));
  CHECK(sink.wait_id(2, 60000ms) != nullptr);
  Run r{ms_since(start), pool.lock_stats().switches, pool.lock_stats().drop_requests,
        pool.lock_stats().forced_waits, pool.lock_stats().acquisitions};
  std::snprintf(label, sizeof label, "ioLoop(200, %g) beside spin", io_us);
  print(label, r);
  std::unique_ptr<Task> removed;
  pool.cancel(spin, removed);
  sink.wait_count(2);
}

void convoy() {
  std::printf("convoy: Modern lock, interval 5 ms, 2 workers\n");
  convoy_one(0);
  convoy_one(50);
}

void legacy() {
  std::printf("legacy: 2 CPU-bound tasks, Legacy lock, 2 workers, vs sequential\n");
  struct Work {
    const char* name;
    std::unique_ptr<Task> (*make)(uint32_t);
  } works[] = {
      {"sumRange 4x2^27", [](uint32_t i) { return sum_task(i, 4); }},
      {"countPrimes(1e12, +3000)", [](uint32_t i) { return primes_task(i, 3000); }},
      {"isPrime(1e12+39) x 500", [](uint32_t i) {
         auto t = std::make_unique<Task>();
         t->kernel = &kIsPrime;
         t->id = i;
         t->reserve_items(500, 1);
         for (uint32_t k = 0; k < 500; ++k) t->args()[k].integer = 1000000000039LL;
         return t;
       }},
  };
  auto best = [](auto make_run) {  // min of 3: the machine is noisy
    Run r = make_run();
    for (int i = 0; i < 2; ++i) {
      Run n = make_run();
      if (n.ms < r.ms) r = n;
    }
    return r;
  };
  for (auto& w : works) {
    Run free_par = best([&] { return run(opts(2, false), tasks_of(2, w.make)); });
    Run free_seq = best([&] { return run(opts(1, false), tasks_of(2, w.make)); });
    Run seq = best([&] { return run(opts(1, true, LockMode::Legacy), tasks_of(2, w.make)); });
    Run par = best([&] { return run(opts(2, true, LockMode::Legacy), tasks_of(2, w.make)); });
    Run mod = best([&] { return run(opts(2, true, LockMode::Modern), tasks_of(2, w.make)); });
    char label[96];
    std::snprintf(label, sizeof label, "%s no lock, 2 workers", w.name);
    print(label, free_par);
    std::snprintf(label, sizeof label, "%s no lock, 1 worker", w.name);
    print(label, free_seq);
    std::snprintf(label, sizeof label, "%s legacy, 1 worker (sequential)", w.name);
    print(label, seq);
    std::snprintf(label, sizeof label, "%s legacy, 2 workers", w.name);
    print(label, par);
    std::snprintf(label, sizeof label, "%s modern, 2 workers", w.name);
    print(label, mod);
    std::printf("  -> cores really free: %.2fx speedup without lock; legacy 2w / sequential %.2fx;"
                " modern 2w / sequential %.2fx\n",
                free_seq.ms / free_par.ms, par.ms / seq.ms, mod.ms / seq.ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto want = [&](const char* s) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], s) == 0) return true;
    return false;
  };
  if (want("f1")) f1();
  if (want("convoy")) convoy();
  if (const char* ticks = std::getenv("TICKS")) GlobalLock::instance().set_check_interval(uint32_t(std::atoi(ticks)));
  if (want("legacy")) legacy();
  return 0;
}
