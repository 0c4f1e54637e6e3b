#include "buffer_args.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "arg_kinds.h"

namespace corepool {

namespace {
// Where an empty view points: never dereferenced, never dangling.
alignas(16) const uint8_t kEmpty[16] = {};
}  // namespace

uint8_t* CopySpace::allocate(size_t bytes) {
  constexpr size_t kSmall = 4096, kMaxBlock = 64 * 1024;
  if (bytes >= kSmall) {
    std::unique_ptr<uint8_t[], FreeDeleter> block(static_cast<uint8_t*>(std::malloc(bytes)));
    if (!block) return nullptr;
    task_.buffers.push_back(std::move(block));
    return task_.buffers.back().get();
  }
  size_t rounded = (bytes + 15) & ~size_t(15);  // 16-byte aligned, as malloc's
  if (rounded > left_) {
    size_t size = std::max(block_, rounded);
    std::unique_ptr<uint8_t[], FreeDeleter> block(static_cast<uint8_t*>(std::malloc(size)));
    if (!block) return nullptr;
    next_ = block.get();
    left_ = size;
    block_ = std::min(block_ * 2, kMaxBlock);
    task_.buffers.push_back(std::move(block));
  }
  uint8_t* p = next_;
  next_ += rounded;
  left_ -= rounded;
  return p;
}

KeepView keep_view(napi_env env, napi_value view, napi_value buffer, corepool_arg_kind kind,
                   corepool_value& arg, CopySpace& space, std::vector<ViewPin>& pins) {
  // napi_is_arraybuffer is false for a SharedArrayBuffer (V8's IsArrayBuffer).
  bool plain = true;
  if (napi_is_arraybuffer(env, buffer, &plain) != napi_ok) return KeepView::EnvGone;
  napi_ref ref = nullptr;
  if (!plain) {
    if (napi_create_reference(env, view, 1, &ref) != napi_ok) return KeepView::EnvGone;
    pins.push_back({ref, nullptr, 0});
    return KeepView::Kept;
  }
  const size_t bytes = arg.view.length * view_element_size(kind);
  if (bytes == 0) {
    arg.view.data = const_cast<uint8_t*>(kEmpty);
    return KeepView::Kept;
  }
  uint8_t* copy = space.allocate(bytes);
  if (copy == nullptr) return KeepView::OutOfMemory;
  std::memcpy(copy, arg.view.data, bytes);
  if (view_written(kind)) {
    if (napi_create_reference(env, view, 1, &ref) != napi_ok) return KeepView::EnvGone;
    pins.push_back({ref, copy, bytes});
  }
  arg.view.data = copy;
  return KeepView::Kept;
}

void write_back(napi_env env, const std::vector<ViewPin>& pins) {
  for (const ViewPin& pin : pins) {
    if (pin.copy == nullptr) continue;
    napi_value view = nullptr;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_reference_value(env, pin.view, &view) != napi_ok || view == nullptr ||
        napi_get_typedarray_info(env, view, &type, &length, &data, nullptr, nullptr) != napi_ok)
      continue;
    // A detached (or transferred) buffer reads as length 0 with no data: nothing to write.
    size_t element = type == napi_float64_array ? 8 : type == napi_int32_array ? 4 : 1;
    if (data != nullptr && length * element == pin.bytes) std::memcpy(data, pin.copy, pin.bytes);
  }
}

void release_pins(napi_env env, std::vector<ViewPin>& pins) {
  for (ViewPin& pin : pins) napi_delete_reference(env, pin.view);
  pins.clear();
}

}  // namespace corepool
