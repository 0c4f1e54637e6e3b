// ThreadPool: delivery, parallelism, cancellation, deadlines, shutdown.
#include "../src/kernels/registry.h"
#include "../src/task_recycler.h"
#include "harness.h"
#include "test_kernels.h"

using namespace corepool;
using namespace th;
using namespace std::chrono_literals;

namespace {
ThreadPool::Options opts(uint32_t workers, bool lock = false) {
  return pool_options("test", workers, lock);
}
}  // namespace

TEST_CASE(runs_every_task_once, 30) {
  Sink sink;
  ThreadPool pool(opts(4), sink.fn());
  std::vector<std::unique_ptr<Task>> batch;
  for (uint32_t i = 0; i < 2000; ++i)
    batch.push_back(make_task(i % 2 ? &kNoop : &kSumRange, i, {1000}));
  pool.submit(batch);
  CHECK(batch.empty());
  CHECK(sink.wait_count(2000));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 2000);
  for (uint32_t i = 0; i < 2000; ++i) CHECK(sink.seen[i] == 1);
  for (auto& t : sink.done) {
    CHECK(t->status == TaskStatus::Ok);
    if (t->kernel == &kSumRange) CHECK(t->results()[0].number == 499500.0);
  }
  CHECK(pool.queued() == 0 && pool.active() == 0);
}

TEST_CASE(tasks_run_in_parallel_on_n_threads, 30) {
  constexpr int kN = 4;
  tk::barrier_arrived = 0;
  Sink sink;
  ThreadPool pool(opts(kN), sink.fn());
  CHECK(pool.worker_count() == kN);
  for (uint32_t i = 0; i < kN; ++i) submit1(pool, make_task(&tk::kBarrier, i, {kN}));
  CHECK(sink.wait_count(kN));
  for (auto& t : sink.done) CHECK(t->status == TaskStatus::Ok && t->results()[0].boolean == 1);
}

TEST_CASE(chunk_runs_every_item, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  auto t = std::make_unique<Task>();
  t->kernel = &kSumRange;
  t->reserve_items(3, 1);
  for (int i = 0; i < 3; ++i) t->args()[i].integer = 10 * (i + 1);
  submit1(pool, std::move(t));
  CHECK(sink.wait_count(1));
  Task* done = sink.done[0].get();
  CHECK(done->status == TaskStatus::Ok && done->items_done == 3);
  CHECK(done->results()[0].number == 45 && done->results()[1].number == 190 &&
        done->results()[2].number == 435);
}

TEST_CASE(cancel_queued_is_removed, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  submit1(pool, make_task(&tk::kGate, 1, {0, 0}));
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  Task* queued = submit1(pool, make_task(&kNoop, 2));
  CHECK(pool.queued() == 1);
  std::unique_ptr<Task> removed;
  CHECK(pool.cancel(queued, removed) == ThreadPool::CancelResult::Removed);
  CHECK(removed.get() == queued && removed->status == TaskStatus::Cancelled);
  CHECK(pool.queued() == 0);
  tk::gate_open[0] = true;
  CHECK(sink.wait_count(1));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 1 && !sink.has(2));  // a removed task never reaches the sink
}

TEST_CASE(cancel_running_stops_at_checkpoint, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  Task* t = submit1(pool, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return pool.taken(t); }));
  std::unique_ptr<Task> removed;
  auto start = Clock::now();
  CHECK(pool.cancel(t, removed) == ThreadPool::CancelResult::Running);
  CHECK(removed == nullptr);
  CHECK(sink.wait_count(1));
  CHECK(ms_since(start) < 1000);
  CHECK(t->status == TaskStatus::Cancelled);
  // Once finished, a second cancel says so and changes nothing.
  CHECK(pool.cancel(t, removed) == ThreadPool::CancelResult::Finished);
  CHECK(t->status == TaskStatus::Cancelled);
}

TEST_CASE(cancel_drops_a_late_result, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  Task* t = submit1(pool, make_task(&tk::kGate, 1, {0, 1}));  // stubborn: returns OK
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  std::unique_ptr<Task> removed;
  CHECK(pool.cancel(t, removed) == ThreadPool::CancelResult::Running);
  tk::gate_open[0] = true;
  CHECK(sink.wait_count(1));
  CHECK(t->status == TaskStatus::Cancelled);
}

TEST_CASE(cancel_with_wait_hands_back_a_stopped_task, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  Task* t = submit1(pool, make_task(&kSpin, 1, {60000}));
  CHECK(eventually([&] { return pool.taken(t); }));
  std::unique_ptr<Task> removed;
  // A checkpointing kernel stops long before this (generous: a loaded machine) bound.
  CHECK(pool.cancel(t, removed, std::chrono::seconds(5)) == ThreadPool::CancelResult::Stopped);
  CHECK(removed.get() == t && t->status == TaskStatus::Cancelled);
  CHECK(pool.active() == 0 && pool.queued() == 0);
  // The worker goes on with the queue, and the stopped task never reaches the sink.
  submit1(pool, make_task(&kNoop, 2));
  CHECK(sink.wait_count(1));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 1 && !sink.has(1) && sink.has(2));
}

TEST_CASE(cancel_wait_is_bounded_for_a_kernel_that_does_not_stop, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  Task* t = submit1(pool, make_task(&tk::kGate, 1, {0, 1}));  // stubborn: ignores the stop
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  std::unique_ptr<Task> removed;
  auto start = Clock::now();
  CHECK(pool.cancel(t, removed, std::chrono::milliseconds(2)) == ThreadPool::CancelResult::Running);
  CHECK_MSG(ms_since(start) < 500, std::to_string(ms_since(start)));
  CHECK(removed == nullptr);
  // A second cancel does not wait again.
  start = Clock::now();
  CHECK(pool.cancel(t, removed, std::chrono::seconds(5)) == ThreadPool::CancelResult::Running);
  CHECK_MSG(ms_since(start) < 500, std::to_string(ms_since(start)));
  tk::gate_open[0] = true;
  // Not handed back: it reaches the sink, once, and as Cancelled (its late result dropped).
  CHECK(sink.wait_count(1));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 1 && sink.seen[1] == 1 && t->status == TaskStatus::Cancelled);
}

// Cancels that race tasks finishing on their own, with waits from 0 to ~20 us: every
// task ends exactly once, either handed back by cancel() or through the sink.
TEST_CASE(cancel_wait_races_completion_exactly_once, 60) {
  Sink sink;
  ThreadPool pool(opts(2), sink.fn());
  std::map<uint32_t, int> handed_back;
  std::vector<std::unique_ptr<Task>> kept;  // handed back: kept so the ids stay unique
  constexpr uint32_t kRounds = 3000;
  uint32_t stopped = 0, running = 0;
  for (uint32_t i = 0; i < kRounds; ++i) {
    // spin(0.005 ms) ends on its own after a few us: as likely to finish as to be stopped.
    Task* t = submit1(pool, make_task(&kSpin, i, {0.005}));
    // Mostly once it runs, now and then while still queued; then 0-10 us later.
    if (i % 10 != 0)
      while (!pool.taken(t)) std::this_thread::yield();
    auto until = Clock::now() + std::chrono::nanoseconds((i * 7919) % 10000);
    while (Clock::now() < until) {}
    std::unique_ptr<Task> removed;
    auto r = pool.cancel(t, removed, std::chrono::microseconds(i % 21));
    if (r == ThreadPool::CancelResult::Removed || r == ThreadPool::CancelResult::Stopped) {
      CHECK(removed.get() == t && t->status == TaskStatus::Cancelled);
      ++handed_back[i];
      stopped += r == ThreadPool::CancelResult::Stopped;
      kept.push_back(std::move(removed));
    } else {
      CHECK(removed == nullptr);
      running += r == ThreadPool::CancelResult::Running;
    }
  }
  CHECK(sink.wait_count(kRounds - kept.size(), 30000ms));
  pool.request_stop();
  pool.join();
  for (uint32_t i = 0; i < kRounds; ++i) {
    int times = handed_back[i] + (sink.seen.count(i) ? sink.seen[i] : 0);
    CHECK_MSG(times == 1, "task " + std::to_string(i) + " ended " + std::to_string(times) + " times");
  }
  for (auto& t : sink.done)
    CHECK(t->status == TaskStatus::Ok || t->status == TaskStatus::Cancelled);
  CHECK(pool.active() == 0 && pool.queued() == 0);
  std::printf("handed back stopped %u, removed %zu, left running %u\n", stopped,
              kept.size() - stopped, running);
}

TEST_CASE(cancel_finished, 10) {
  Sink sink;
  ThreadPool pool(opts(2), sink.fn());
  Task* t = submit1(pool, make_task(&kNoop, 7));
  CHECK(sink.wait_count(1));
  std::unique_ptr<Task> removed;
  CHECK(pool.cancel(t, removed) == ThreadPool::CancelResult::Finished);
  CHECK(t->status == TaskStatus::Ok && removed == nullptr);
}

TEST_CASE(errors_and_reasonless_stops, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  submit1(pool, make_task(&tk::kFail, 1));
  submit1(pool, make_task(&tk::kStopper, 2));
  CHECK(sink.wait_count(2));
  Task* a = sink.wait_id(1);
  Task* b = sink.wait_id(2);
  CHECK(a->status == TaskStatus::Error && a->error == "fail: on purpose");
  CHECK(b->status == TaskStatus::Error && !b->error.empty());
}

TEST_CASE(deadline_of_queued_task, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  submit1(pool, make_task(&tk::kGate, 1, {0, 0}));
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  auto t = make_task(&tk::kGate, 2, {1, 0});
  t->deadline = Clock::now() + 50ms;
  auto start = Clock::now();
  submit1(pool, std::move(t));
  // The watcher times it out while the worker is still busy: it never runs.
  Task* done = sink.wait_id(2, 5000ms);
  CHECK(done != nullptr);
  CHECK(ms_since(start) >= 45 && ms_since(start) < 2000);
  CHECK(done->status == TaskStatus::TimedOut);
  CHECK(tk::gate_started[1] == 0);
  CHECK(pool.queued() == 0);
  tk::gate_open[0] = true;
  CHECK(sink.wait_count(2));
}

TEST_CASE(deadline_of_running_spin, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  auto t = make_task(&kSpin, 1, {60000});
  t->deadline = Clock::now() + 50ms;
  auto start = Clock::now();
  submit1(pool, std::move(t));
  CHECK(sink.wait_count(1));
  double took = ms_since(start);
  CHECK_MSG(took >= 45 && took < 1000, std::to_string(took));
  CHECK(sink.done[0]->status == TaskStatus::TimedOut);
}

TEST_CASE(run_timeout_counts_from_start, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  submit1(pool, make_task(&tk::kGate, 1, {0, 0}));
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  auto slow = make_task(&kSpin, 2, {60000});
  slow->run_timeout = std::chrono::duration_cast<Clock::duration>(50ms);
  auto quick = make_task(&kSpin, 3, {5});
  quick->run_timeout = std::chrono::duration_cast<Clock::duration>(2000ms);
  submit1(pool, std::move(slow));
  submit1(pool, std::move(quick));
  std::this_thread::sleep_for(100ms);  // longer than the run timeout, spent queued
  tk::gate_open[0] = true;
  Task* s = sink.wait_id(2);
  Task* q = sink.wait_id(3);
  CHECK(s && q);
  CHECK(s->status == TaskStatus::TimedOut);
  double ran = std::chrono::duration<double, std::milli>(s->finished - s->started).count();
  double waited = std::chrono::duration<double, std::milli>(s->started - s->submitted).count();
  CHECK_MSG(ran >= 45 && ran < 1000, std::to_string(ran));
  CHECK_MSG(waited >= 90, std::to_string(waited));
  CHECK(q->status == TaskStatus::Ok);
}

TEST_CASE(take_oldest_and_take_all_queued, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  submit1(pool, make_task(&tk::kGate, 1, {0, 0}));
  CHECK(eventually([] { return tk::gate_started[0] == 1; }));
  CHECK(pool.take_oldest() == nullptr || false);  // nothing queued yet
  for (uint32_t id = 10; id < 15; ++id) {
    auto t = make_task(&kNoop, id);
    if (id == 11) t->deadline = Clock::now() + 60s;  // deadline entry must go too
    submit1(pool, std::move(t));
  }
  CHECK(pool.queued() == 5);
  auto oldest = pool.take_oldest();
  CHECK(oldest && oldest->id == 10 && oldest->status == TaskStatus::Cancelled);
  auto rest = pool.take_all_queued();
  CHECK(rest.size() == 4);
  for (uint32_t i = 0; i < 4; ++i)
    CHECK(rest[i]->id == 11 + i && rest[i]->status == TaskStatus::Cancelled);
  CHECK(pool.queued() == 0 && pool.take_oldest() == nullptr);
  tk::gate_open[0] = true;
  CHECK(sink.wait_count(1));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 1);
}

TEST_CASE(cancel_running_leaves_the_queue, 10) {
  Sink sink;
  ThreadPool pool(opts(2), sink.fn());
  Task* a = submit1(pool, make_task(&kSpin, 1, {60000}));
  Task* b = submit1(pool, make_task(&kSpin, 2, {60000}));
  CHECK(eventually([&] { return pool.active() == 2; }));
  submit1(pool, make_task(&kNoop, 3));
  submit1(pool, make_task(&kNoop, 4));
  pool.cancel_running();
  CHECK(sink.wait_count(4));
  CHECK(a->status == TaskStatus::Cancelled && b->status == TaskStatus::Cancelled);
  CHECK(sink.wait_id(3)->status == TaskStatus::Ok && sink.wait_id(4)->status == TaskStatus::Ok);
}

TEST_CASE(cancel_running_with_wait_hands_back_what_stopped, 10) {
  tk::reset_gates();
  Sink sink;
  ThreadPool pool(opts(3), sink.fn());
  Task* a = submit1(pool, make_task(&kSpin, 1, {60000}));
  Task* b = submit1(pool, make_task(&kSpin, 2, {60000}));
  Task* c = submit1(pool, make_task(&tk::kGate, 3, {0, 1}));  // stubborn
  CHECK(eventually([&] { return pool.active() == 3; }));
  submit1(pool, make_task(&kNoop, 4));
  auto start = Clock::now();
  auto stopped = pool.cancel_running(std::chrono::milliseconds(200));
  CHECK_MSG(ms_since(start) < 1000, std::to_string(ms_since(start)));
  // The two spins stop; the stubborn gate does not and stays the sink's.
  CHECK(stopped.size() == 2);
  for (auto& t : stopped) CHECK((t.get() == a || t.get() == b) && t->status == TaskStatus::Cancelled);
  CHECK(sink.wait_id(4)->status == TaskStatus::Ok);
  tk::gate_open[0] = true;
  CHECK(sink.wait_count(2));
  pool.request_stop();
  pool.join();
  CHECK(sink.count() == 2 && !sink.has(1) && !sink.has(2));
  CHECK(c->status == TaskStatus::Cancelled);
}

TEST_CASE(request_stop_then_join_drains, 20) {
  Sink sink;
  ThreadPool pool(opts(2), sink.fn());
  std::vector<std::unique_ptr<Task>> batch;
  for (uint32_t i = 0; i < 40; ++i) batch.push_back(make_task(i % 2 ? &kSleep : &kNoop, i, {1}));
  // Deadlines still hold while the queue drains: this one must not spin for a minute.
  auto capped = make_task(&kSpin, 100, {60000});
  capped->deadline = Clock::now() + 100ms;
  batch.push_back(std::move(capped));
  pool.submit(batch);
  pool.request_stop();
  auto start = Clock::now();
  pool.join();
  CHECK(ms_since(start) < 5000);
  CHECK(sink.count() == 41);
  for (auto& t : sink.done)
    CHECK(t->status == (t->id == 100 ? TaskStatus::TimedOut : TaskStatus::Ok));
  pool.join();  // a second join is a no-op
}

static void destructor_case(bool lock) {
  Sink sink;
  auto start = Clock::now();
  {
    ThreadPool pool(opts(2, lock), sink.fn());
    std::vector<std::unique_ptr<Task>> batch;
    for (uint32_t i = 0; i < 2; ++i) batch.push_back(make_task(&kSpin, i, {60000}));
    for (uint32_t i = 2; i < 12; ++i) batch.push_back(make_task(&kSleep, i, {60000}));
    pool.submit(batch);
    eventually([&] { return pool.active() == 2; });
  }
  CHECK_MSG(ms_since(start) < 3000, std::to_string(ms_since(start)));
  // The running ones end Cancelled; queued ones are dropped without reaching the sink.
  CHECK(sink.count() == 2);
  for (auto& t : sink.done) CHECK(t->status == TaskStatus::Cancelled);
}

TEST_CASE(destructor_with_queued_and_running, 20) { destructor_case(false); }
TEST_CASE(destructor_with_queued_and_running_locked, 20) { destructor_case(true); }

// A recycled Task is a new one again: the same memory, every field as constructed, and it
// runs like a fresh one (a chunk of 3 first, then a single call in the same Task).
TEST_CASE(recycled_task_is_new_again, 10) {
  Sink sink;
  ThreadPool pool(opts(1), sink.fn());
  TaskRecycler recycler(1);
  std::unique_ptr<Task> t = recycler.take();
  Task* memory = t.get();
  t->kernel = &kSumRange;
  t->reserve_items(3, 1);
  for (int i = 0; i < 3; ++i) t->args()[i].integer = 10 * (i + 1);
  t->error = "an old error";
  submit1(pool, std::move(t));
  CHECK(sink.wait_count(1));
  CHECK(sink.done[0]->status == TaskStatus::Ok && sink.done[0]->results()[2].number == 435);
  recycler.give(std::move(sink.done[0]));
  CHECK(recycler.idle() == 1);
  recycler.give(std::make_unique<Task>());  // beyond `keep`: freed, not kept
  CHECK(recycler.idle() == 1);
  std::unique_ptr<Task> again = recycler.take();
  CHECK(again.get() == memory && recycler.idle() == 0);
  CHECK(again->items == 1 && again->items_done == 0 && !again->many_args && !again->many_results);
  CHECK(again->status == TaskStatus::Queued && !again->taken && !again->cancel_requested);
  CHECK(again->error.empty() && again->prev == nullptr && again->next == nullptr && again->worker == nullptr);
  CHECK(again->deadline == Clock::time_point::max() && !again->has_deadline_entry);
  CHECK(again->inline_result.bytes == nullptr && again->inline_result.number == 0);
  again->kernel = &kSumRange;
  again->id = 7;
  again->args()[0].integer = 1000;
  submit1(pool, std::move(again));
  CHECK(sink.wait_count(2));
  CHECK(sink.done[1]->id == 7 && sink.done[1]->results()[0].number == 499500.0);
}

TEST_MAIN()
