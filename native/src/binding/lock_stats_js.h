// Global-lock counters as the JS object globalLockStats() and pool.lockStats() return.
#pragma once

#include <napi.h>

#include "../global_lock.h"

namespace corepool {

inline Napi::Object lock_stats_to_js(Napi::Env env, const LockStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("switches", double(s.switches.load()));
  o.Set("dropRequests", double(s.drop_requests.load()));
  o.Set("forcedWaits", double(s.forced_waits.load()));
  o.Set("acquisitions", double(s.acquisitions.load()));
  o.Set("waitNsTotal", double(s.wait_ns_total.load()));
  o.Set("waitNsMax", double(s.wait_ns_max.load()));
  return o;
}

}  // namespace corepool
