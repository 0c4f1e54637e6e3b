// What each corepool_arg_kind is, in one place (no N-API): how it travels in a submission
// record and, for typed-array views, its element size and whether it is copied back.
#pragma once

#include <cstddef>

#include "corepool.h"

namespace corepool {

inline bool known_arg_kind(int k) { return k >= COREPOOL_ARG_NUMBER && k <= COREPOOL_ARG_INT32S_IN; }

// A typed-array view (Uint8Array, Float64Array, Int32Array; written or input-only).
inline bool is_view_kind(corepool_arg_kind k) {
  return (k >= COREPOOL_ARG_BYTES && k <= COREPOOL_ARG_INT32S) ||
         (k >= COREPOOL_ARG_BYTES_IN && k <= COREPOOL_ARG_INT32S_IN);
}

// The kernel may write the view: a copy of it goes back into the JS buffer at the end.
inline bool view_written(corepool_arg_kind k) {
  return k >= COREPOOL_ARG_BYTES && k <= COREPOOL_ARG_INT32S;
}

// The written kind with the same element type (BYTES for BYTES_IN, and so on).
inline corepool_arg_kind view_base_kind(corepool_arg_kind k) {
  return k >= COREPOOL_ARG_BYTES_IN ? corepool_arg_kind(k - COREPOOL_ARG_BYTES_IN + COREPOOL_ARG_BYTES) : k;
}

inline size_t view_element_size(corepool_arg_kind k) {
  switch (view_base_kind(k)) {
    case COREPOOL_ARG_FLOAT64S: return 8;
    case COREPOOL_ARG_INT32S: return 4;
    default: return 1;
  }
}

// Travels in the batch's `objects` (the record holds its index), not as a number.
inline bool by_object(corepool_arg_kind k) {
  return is_view_kind(k) || k == COREPOOL_ARG_STRING || k == COREPOOL_ARG_SIZE;
}

}  // namespace corepool
