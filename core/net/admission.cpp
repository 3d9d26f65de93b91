// SPDX-License-Identifier: MIT
#include "core/net/admission.h"

#include <sys/resource.h>

#include <algorithm>

namespace tern::core::net {

ConnectionAdmission::Verdict ConnectionAdmission::admit(std::string_view address) {
  std::lock_guard lock(mutex_);
  if (open_.load(std::memory_order_relaxed) >= max_total_) {
    return Verdict::ServerFull;
  }
  std::size_t& from_here = per_address_[std::string(address)];
  if (max_per_address_ != 0 && from_here >= max_per_address_) {
    return Verdict::AddressFull;  // from_here >= 1: the entry is in use, nothing to tidy
  }
  ++from_here;
  open_.fetch_add(1, std::memory_order_relaxed);
  return Verdict::Admitted;
}

void ConnectionAdmission::release(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(std::string(address));
  if (it == per_address_.end()) {
    return;
  }
  if (--it->second == 0) {
    per_address_.erase(it);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t connection_cap_for(std::size_t descriptor_limit) {
  std::size_t reserve = std::max<std::size_t>(64, descriptor_limit / 10);
  return descriptor_limit > reserve + 16 ? descriptor_limit - reserve : 16;
}

DescriptorLimits raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return {};
  }
  DescriptorLimits result{limit.rlim_cur, limit.rlim_cur};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      result.after = raised.rlim_cur;
    }
  }
  return result;
}

}  // namespace tern::core::net
