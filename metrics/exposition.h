// SPDX-License-Identifier: MIT
// Exposition: writes metrics in the Prometheus text format (version 0.0.4): for each family a
// HELP and a TYPE line, then its samples with their labels. Label values are escaped; a family is
// written once, with all its samples together, as the format requires.
//
//   Exposition out;
//   out.family("tern_sessions", "Client sessions.", Type::Gauge);
//   out.sample("tern_sessions", {{"worker", "0"}}, 12);
//   std::string text = out.take();
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/counter.h"

namespace tern::metrics {

enum class Type : std::uint8_t { Counter, Gauge, Histogram };

struct Label {
  std::string_view name;
  std::string_view value;
};

class Exposition {
 public:
  // Starts a family: its name (a counter's ends in _total), what it counts, its type.
  void family(std::string_view name, std::string_view help, Type type);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, const std::vector<Label>& labels, double value);
  // A histogram's _bucket, _sum and _count samples. Bounds and sum are divided by `scale` (1e6
  // to show microseconds as the seconds Prometheus expects; 1 for bytes and items).
  void histogram(std::string_view name, const std::vector<Label>& labels,
                 const HistogramSnapshot& histogram, double scale = 1);

  std::string take() { return std::move(out_); }

 private:
  void write_labels(const std::vector<Label>& labels, std::string_view extra_name = {},
                    std::string_view extra_value = {});
  void write_value(double value);

  std::string out_;
};

// A number as Prometheus writes it: integers without a fraction, others shortest round-trip.
std::string format_value(double value);

}  // namespace tern::metrics
