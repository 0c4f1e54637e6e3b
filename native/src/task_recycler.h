// Finished Tasks kept for the next submissions: a Task is large (about 300 bytes), and
// malloc + free of one per tiny task was a visible part of the submit path (glibc serves
// that size from its small bins, not its per-thread cache). Pure C++, single-threaded:
// its owner (the binding's pool object) takes and gives on the JS thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "task.h"

namespace corepool {

class TaskRecycler {
 public:
  // `keep`: at most this many idle Tasks are held (the memory an idle pool keeps).
  explicit TaskRecycler(size_t keep) : keep_(keep) {}

  // A Task in the state of a new one.
  std::unique_ptr<Task> take() {
    if (free_.empty()) return std::make_unique<Task>();
    std::unique_ptr<Task> t = std::move(free_.back());
    free_.pop_back();
    return t;
  }

  // A Task no queue, worker or slot refers to any more; beyond `keep` it is freed.
  void give(std::unique_ptr<Task> t) {
    if (!t || free_.size() >= keep_) return;
    t->recycle();
    free_.push_back(std::move(t));
  }

  size_t idle() const { return free_.size(); }

  // Frees every idle Task, and the list's own capacity.
  void clear() { std::vector<std::unique_ptr<Task>>().swap(free_); }

 private:
  size_t keep_;
  std::vector<std::unique_ptr<Task>> free_;
};

}  // namespace corepool
