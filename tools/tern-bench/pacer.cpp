// SPDX-License-Identifier: MIT
#include "tools/tern-bench/pacer.h"

#include "tools/tern-bench/modes.h"

namespace tern::bench {
namespace {

constexpr std::uint64_t kTickMs = 2;

}  // namespace

Pacer::Pacer(uv_loop_t* loop, std::function<void()> next) : next_(std::move(next)) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

Pacer::~Pacer() {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void Pacer::start(double per_second) {
  per_second_ = per_second;
  started_us_ = now_micros();
  calls_ = 0;
  uv_timer_start(&timer_, &Pacer::on_tick, kTickMs, kTickMs);
}

void Pacer::stop() {
  uv_timer_stop(&timer_);
}

void Pacer::on_tick(uv_timer_t* timer) {
  auto* self = static_cast<Pacer*>(timer->data);
  const double elapsed = static_cast<double>(now_micros() - self->started_us_) / 1e6;
  const auto due = static_cast<std::uint64_t>(elapsed * self->per_second_);
  while (self->calls_ < due) {
    ++self->calls_;
    self->next_();
  }
}

}  // namespace tern::bench
