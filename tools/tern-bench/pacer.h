// SPDX-License-Identifier: MIT
// Pacer: the open-loop schedule of the rate-driven modes (--rate). On a 2 ms tick it calls
// `next` so that t seconds after start() it has been called rate × t times, in bursts that catch
// up with the clock. It counts its own calls, whatever each one sends: a call that skips an
// ended session still takes its slot, so the loop never spins waiting for a send that cannot
// happen.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace tern::bench {

class Pacer {
 public:
  Pacer(uv_loop_t* loop, std::function<void()> next);
  ~Pacer();
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Starts (or restarts) the schedule now, at `per_second` calls a second.
  void start(double per_second);
  void stop();

 private:
  static void on_tick(uv_timer_t* timer);

  uv_timer_t timer_{};
  std::function<void()> next_;
  double per_second_ = 0;
  std::uint64_t started_us_ = 0;
  std::uint64_t calls_ = 0;
};

}  // namespace tern::bench
