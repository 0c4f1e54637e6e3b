// How a typed-array argument stays valid for its task's whole run, whatever JavaScript
// does to the buffer meanwhile (issue 11, item 3a). A view of a SharedArrayBuffer is
// pinned and used in place: such memory cannot be detached, so zero-copy is safe. A view
// of an ordinary ArrayBuffer is copied into memory the task owns, because JS may detach
// or transfer the buffer at any time (ArrayBuffer.prototype.transfer, postMessage,
// structuredClone) and V8 then frees the memory under the kernel; N-API offers no way to
// hold the backing store itself. A written (non-_IN) view's copy goes back into the
// buffer when the task ends, if the buffer is still attached.
#pragma once

#include <napi.h>

#include <vector>

#include "../task.h"
#include "corepool.h"

namespace corepool {

// A view the binding holds while its task is in flight. `copy` is null for shared memory
// (only pinned); otherwise it is the task's copy, to be written back into `view`.
struct ViewPin {
  napi_ref view = nullptr;
  const uint8_t* copy = nullptr;
  size_t bytes = 0;
};

enum class KeepView { Kept, OutOfMemory, EnvGone };

// Where one task's copies live, owned by the task: a large copy in a block of its own, small
// ones packed into shared blocks (a map chunk of many small arrays makes a few allocations,
// not one per array).
class CopySpace {
 public:
  explicit CopySpace(Task& task) : task_(task) {}
  uint8_t* allocate(size_t bytes);  // null if out of memory

 private:
  Task& task_;
  uint8_t* next_ = nullptr;
  size_t left_ = 0;
  size_t block_ = 1024;  // the next shared block's size, doubling up to 64 KiB
};

// Main thread, at submit, after read_arg filled `arg` from `view` (a view of `buffer`).
// Points `arg` at memory that stays valid until the task is destroyed: the view's own
// (shared, pinned in `pins`) or a copy in `space` (pinned in `pins` only when written back).
KeepView keep_view(napi_env env, napi_value view, napi_value buffer, corepool_arg_kind kind,
                   corepool_value& arg, CopySpace& space, std::vector<ViewPin>& pins);

// Main thread, when a task that ran is done: copies each written view's copy back into
// its buffer if that is still attached (nothing happens once the environment is gone).
void write_back(napi_env env, const std::vector<ViewPin>& pins);

// Drops the references (the copies belong to the task).
void release_pins(napi_env env, std::vector<ViewPin>& pins);

}  // namespace corepool
