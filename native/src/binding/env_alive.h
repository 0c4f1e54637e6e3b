// Whether JS can still run in an environment. While a worker thread is terminated or the
// process exits, Node keeps running libuv handles and microtasks, but every N-API call
// that could run JS fails with napi_pending_exception although no exception is pending;
// a throw into such an environment aborts the process. Callers drop their work quietly
// instead (DESIGN: a torn-down environment is never called into).
#pragma once

#include <node_api.h>

namespace corepool {

// Callable with or without a handle scope open (it opens its own).
inline bool env_can_run_js(napi_env env) {
  napi_handle_scope scope = nullptr;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value object = nullptr, value = nullptr;
  bool alive = false;
  if (napi_create_object(env, &object) == napi_ok && napi_get_null(env, &value) == napi_ok) {
    // napi_set_named_property passes N-API's "can call into JS" check, or reports why not.
    if (napi_set_named_property(env, object, "x", value) == napi_ok) {
      alive = true;
    } else {
      // A genuine pending exception means JS can run (and will see it); none: teardown.
      bool pending = false;
      alive = napi_is_exception_pending(env, &pending) == napi_ok && pending;
    }
  }
  napi_close_handle_scope(env, scope);
  return alive;
}

}  // namespace corepool
