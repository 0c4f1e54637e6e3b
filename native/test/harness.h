// A minimal test harness for the pure C++ core: no dependencies, one binary per group,
// one ctest test per case (`<binary> <case>`), a watchdog that turns a hang into a
// failure with a message instead of a stuck CI job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../src/pool.h"

namespace th {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Case {
  const char* name;
  void (*fn)();
  int timeout_s;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

struct Register {
  Register(const char* name, void (*fn)(), int timeout_s) { cases().push_back({name, fn, timeout_s}); }
};

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what.c_str());
  std::fflush(stderr);
  std::_Exit(1);  // other threads may hold locks: no destructors, no atexit
}

#define TEST_CASE(name, timeout_s)                                  \
  static void test_##name();                                        \
  static ::th::Register register_##name(#name, test_##name, timeout_s); \
  static void test_##name()

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) ::th::fail(__FILE__, __LINE__, #cond);               \
  } while (0)

#define CHECK_MSG(cond, msg)                                                          \
  do {                                                                                \
    if (!(cond)) ::th::fail(__FILE__, __LINE__, std::string(#cond) + " — " + (msg)); \
  } while (0)

inline double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Collects what a pool's sink receives and keeps every task alive until the end, so that
// tests may still call cancel() on a finished task.
struct Sink {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::unique_ptr<corepool::Task>> done;
  std::map<uint32_t, int> seen;  // id -> times it reached the sink

  corepool::ThreadPool::CompletionSink fn() {
    return [this](std::unique_ptr<corepool::Task> t) {
      std::lock_guard<std::mutex> lock(m);
      ++seen[t->id];
      done.push_back(std::move(t));
      cv.notify_all();
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(m);
    return done.size();
  }
  bool wait_count(size_t n, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, timeout, [&] { return done.size() >= n; });
  }
  // The task with this id once it reached the sink, or null after `timeout`.
  corepool::Task* wait_id(uint32_t id, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock<std::mutex> lock(m);
    corepool::Task* found = nullptr;
    cv.wait_for(lock, timeout, [&] {
      for (auto& t : done)
        if (t->id == id) found = t.get();
      return found != nullptr;
    });
    return found;
  }
  bool has(uint32_t id) {
    std::lock_guard<std::mutex> lock(m);
    return seen.count(id) != 0;
  }
};

// Pool options for a test: `workers` threads named after the test file, with or without
// the global lock.
inline corepool::ThreadPool::Options pool_options(const char* name, uint32_t workers,
                                                  bool lock = false,
                                                  corepool::LockMode mode = corepool::LockMode::Modern) {
  corepool::ThreadPool::Options o;
  o.workers = workers;
  o.name = name;
  o.global_lock = lock;
  o.lock_mode = mode;
  return o;
}

// A task for `kernel` with numeric/int arguments as the binding would fill them.
inline std::unique_ptr<corepool::Task> make_task(const corepool_kernel* kernel, uint32_t id,
                                                 std::vector<double> args = {}) {
  auto t = std::make_unique<corepool::Task>();
  t->kernel = kernel;
  t->id = id;
  t->reserve_items(1, kernel->arg_count);
  for (uint32_t i = 0; i < kernel->arg_count && i < args.size(); ++i) {
    if (kernel->args[i].kind == COREPOOL_ARG_INT) t->args()[i].integer = int64_t(args[i]);
    else if (kernel->args[i].kind == COREPOOL_ARG_BOOL) t->args()[i].boolean = args[i] != 0;
    else t->args()[i].number = args[i];
  }
  t->submitted = Clock::now();
  return t;
}

// Submits one task and returns its address (owned by the pool from now on).
inline corepool::Task* submit1(corepool::ThreadPool& pool, std::unique_ptr<corepool::Task> t) {
  corepool::Task* raw = t.get();
  std::vector<std::unique_ptr<corepool::Task>> batch;
  batch.push_back(std::move(t));
  pool.submit(batch);
  return raw;
}

// Polls `pred` until true or `timeout`.
template <typename P>
bool eventually(P pred, std::chrono::milliseconds timeout = 5000ms) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(200us);
  }
  return pred();
}

inline int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : nullptr;
  if (only && std::strcmp(only, "--list") == 0) {
    for (auto& c : cases()) std::printf("%s\n", c.name);
    return 0;
  }
  int ran = 0;
  for (auto& c : cases()) {
    if (only && std::strcmp(only, c.name) != 0) continue;
    ++ran;
    std::atomic<bool> finished{false};
    std::mutex wm;
    std::condition_variable wcv;
    int limit = c.timeout_s;
    const char* name = c.name;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(wm);
      if (!wcv.wait_for(lock, std::chrono::seconds(limit), [&] { return finished.load(); })) {
        std::fprintf(stderr, "%s: still running after %d s: deadlock?\n", name, limit);
        std::fflush(stderr);
        std::_Exit(2);
      }
    });
    auto start = Clock::now();
    c.fn();
    {
      std::lock_guard<std::mutex> lock(wm);
      finished = true;
    }
    wcv.notify_all();
    watchdog.join();
    std::printf("ok %s (%.0f ms)\n", c.name, ms_since(start));
  }
  if (ran == 0) {
    std::fprintf(stderr, "no test case named %s\n", only ? only : "(any)");
    return 1;
  }
  return 0;
}

}  // namespace th

#define TEST_MAIN() \
  int main(int argc, char** argv) { return ::th::main(argc, argv); }
