// SPDX-License-Identifier: MIT
#include "metrics/exposition.h"

#include <fmt/format.h>

#include <cmath>

namespace tern::metrics {

namespace {

std::string_view type_name(Type type) {
  switch (type) {
    case Type::Counter:
      return "counter";
    case Type::Gauge:
      return "gauge";
    case Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

void Exposition::family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void Exposition::write_labels(const std::vector<Label>& labels, std::string_view extra_name,
                              std::string_view extra_value) {
  if (labels.empty() && extra_name.empty()) {
    return;
  }
  out_ += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) {
      out_ += ',';
    }
    first = false;
    out_ += name;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
  };
  for (const Label& label : labels) {
    one(label.name, label.value);
  }
  if (!extra_name.empty()) {
    one(extra_name, extra_value);
  }
  out_ += '}';
}

void Exposition::write_value(double value) {
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
  sample(name, std::vector<Label>(labels), value);
}

void Exposition::sample(std::string_view name, const std::vector<Label>& labels, double value) {
  out_ += name;
  write_labels(labels);
  write_value(value);
}

void Exposition::histogram(std::string_view name, const std::vector<Label>& labels,
                           const HistogramSnapshot& histogram, double scale) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    cumulative += histogram.counts[i];
    const std::string le = i < histogram.bounds.size()
                               ? format_value(static_cast<double>(histogram.bounds[i]) / scale)
                               : std::string("+Inf");
    out_ += bucket;
    write_labels(labels, "le", le);
    write_value(static_cast<double>(cumulative));
  }
  out_ += name;
  out_ += "_sum";
  write_labels(labels);
  write_value(static_cast<double>(histogram.sum) / scale);
  out_ += name;
  out_ += "_count";
  write_labels(labels);
  write_value(static_cast<double>(cumulative));
}

}  // namespace tern::metrics
