// HdrHistogram's log-linear histogram (detail/hdr_histogram.hpp: the layout
// and record(); here its configuration and read functions, after
// hdr_histogram.c's hdr_calculate_bucket_config, hdr_value_at_index,
// hdr_min/max/mean/stddev and hdr_value_at_percentile), and the public
// histogram / recordable_histogram on top.

#include <tether/perf_hooks.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include <tether/error.hpp>

namespace tether::detail {
namespace {

// How many power-of-two buckets cover `value` (buckets_needed_to_cover_value).
std::int32_t buckets_to_cover(std::int64_t value, std::int32_t sub_bucket_count,
                              std::int32_t unit_magnitude) {
  std::int64_t smallest_untrackable = std::int64_t{sub_bucket_count} << unit_magnitude;
  std::int32_t buckets = 1;
  while (smallest_untrackable <= value) {
    if (smallest_untrackable > std::numeric_limits<std::int64_t>::max() / 2) {
      return buckets + 1;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  return buckets;
}

}  // namespace

hdr_histogram::hdr_histogram(std::int64_t lowest, std::int64_t highest, int figures)
    : lowest_(lowest), highest_(highest), figures_(figures) {
  if (lowest < 1 || figures < 1 || figures > 5 || highest < 2 * lowest) {
    throw usage_error("tether: histogram options lowest=" + std::to_string(lowest) +
                      " highest=" + std::to_string(highest) + " figures=" +
                      std::to_string(figures) +
                      " are impossible; use lowest >= 1, highest >= 2 * lowest, figures 1..5");
  }
  // Values up to 2 * 10^figures get one count each.
  const double largest_single_unit = 2.0 * std::pow(10.0, figures);
  const auto sub_bucket_count_magnitude =
      static_cast<std::int32_t>(std::ceil(std::log2(largest_single_unit)));
  sub_bucket_half_count_magnitude_ = (sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude : 1) - 1;
  unit_magnitude_ = static_cast<std::int32_t>(std::floor(std::log2(static_cast<double>(lowest))));
  sub_bucket_count_ = std::int32_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (std::int64_t{sub_bucket_count_} - 1) << unit_magnitude_;
  if (unit_magnitude_ + sub_bucket_half_count_magnitude_ > 61) {
    throw usage_error("tether: histogram lowest=" + std::to_string(lowest) +
                      " is too large for figures=" + std::to_string(figures));
  }
  bucket_count_ = buckets_to_cover(highest, sub_bucket_count_, unit_magnitude_);
  counts_len_ = (bucket_count_ + 1) * (sub_bucket_count_ / 2);
  counts_.assign(static_cast<std::size_t>(counts_len_), 0);
}

std::int64_t hdr_histogram::value_at_index(std::int32_t index) const noexcept {
  std::int32_t bucket = (index >> sub_bucket_half_count_magnitude_) - 1;
  std::int32_t sub_bucket = (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return std::int64_t{sub_bucket} << (bucket + unit_magnitude_);
}

std::int64_t hdr_histogram::size_of_equivalent_value_range(std::int64_t v) const noexcept {
  const std::int32_t bucket = bucket_index(v);
  const std::int32_t sub_bucket = sub_bucket_index(v, bucket);
  const std::int32_t adjusted = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  return std::int64_t{1} << (unit_magnitude_ + adjusted);
}

std::int64_t hdr_histogram::lowest_equivalent_value(std::int64_t v) const noexcept {
  const std::int32_t bucket = bucket_index(v);
  return std::int64_t{sub_bucket_index(v, bucket)} << (bucket + unit_magnitude_);
}

std::int64_t hdr_histogram::highest_equivalent_value(std::int64_t v) const noexcept {
  return lowest_equivalent_value(v) + size_of_equivalent_value_range(v) - 1;
}

std::int64_t hdr_histogram::median_equivalent_value(std::int64_t v) const noexcept {
  return lowest_equivalent_value(v) + (size_of_equivalent_value_range(v) >> 1);
}

std::int64_t hdr_histogram::min() const noexcept {
  if (counts_[0] > 0) {
    return 0;
  }
  return min_ == std::numeric_limits<std::int64_t>::max() ? min_ : lowest_equivalent_value(min_);
}

std::int64_t hdr_histogram::max() const noexcept {
  return max_ == 0 ? 0 : highest_equivalent_value(max_);
}

double hdr_histogram::mean() const noexcept {
  if (total_ == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // Each count stands for the middle of its bucket (hdr_mean).
  double sum = 0;
  for (std::int32_t i = 0; i < counts_len_; ++i) {
    const std::int64_t c = counts_[static_cast<std::size_t>(i)];
    if (c != 0) {
      sum += static_cast<double>(c) * static_cast<double>(median_equivalent_value(value_at_index(i)));
    }
  }
  return sum / static_cast<double>(total_);
}

double hdr_histogram::stddev() const noexcept {
  if (total_ == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double m = mean();
  double total = 0;
  for (std::int32_t i = 0; i < counts_len_; ++i) {
    const std::int64_t c = counts_[static_cast<std::size_t>(i)];
    if (c != 0) {
      const double dev = static_cast<double>(median_equivalent_value(value_at_index(i))) - m;
      total += dev * dev * static_cast<double>(c);
    }
  }
  return std::sqrt(total / static_cast<double>(total_));
}

std::int64_t hdr_histogram::value_at_percentile(double percentile) const noexcept {
  const double requested = percentile < 100.0 ? percentile : 100.0;
  auto wanted = static_cast<std::int64_t>((requested / 100.0) * static_cast<double>(total_) + 0.5);
  wanted = wanted > 0 ? wanted : 1;
  std::int64_t seen = 0;
  for (std::int32_t i = 0; i < counts_len_; ++i) {
    seen += counts_[static_cast<std::size_t>(i)];
    if (seen >= wanted) {
      const std::int64_t v = value_at_index(i);
      return percentile == 0.0 ? lowest_equivalent_value(v) : highest_equivalent_value(v);
    }
  }
  return 0;
}

void hdr_histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = std::numeric_limits<std::int64_t>::max();
  max_ = 0;
}

std::int64_t hdr_histogram::add(const hdr_histogram& other) noexcept {
  std::int64_t dropped = 0;
  for (std::int32_t i = 0; i < other.counts_len_; ++i) {
    const std::int64_t c = other.counts_[static_cast<std::size_t>(i)];
    if (c == 0) {
      continue;
    }
    const std::int64_t v = other.value_at_index(i);
    const std::int32_t index = v < 0 ? -1 : counts_index_for(v);
    if (index < 0 || index >= counts_len_) {
      dropped += c;
      continue;
    }
    counts_[static_cast<std::size_t>(index)] += c;
    total_ += c;
    if (v < min_ && v != 0) {
      min_ = v;
    }
    if (v > max_) {
      max_ = v;
    }
  }
  return dropped;
}

}  // namespace tether::detail

namespace tether {

histogram::histogram(const histogram_options& o)
    : data_(std::make_shared<detail::hdr_histogram>(o.lowest, o.highest, o.figures)),
      exceeds_(std::make_shared<std::int64_t>(0)) {}

std::int64_t histogram::percentile(double p) const {
  if (!(p > 0 && p <= 100)) {
    throw usage_error("tether: histogram percentile " + std::to_string(p) +
                      " is out of range; use 0 < p <= 100 (as Node)");
  }
  return data_->value_at_percentile(p);
}

void histogram::reset() noexcept {
  data_->reset();
  *exceeds_ = 0;
}

void recordable_histogram::record_delta() noexcept {
  const std::int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  if (prev_ns_ > 0 && !data_->record(t - prev_ns_)) {
    ++*exceeds_;
  }
  prev_ns_ = t;
}

void recordable_histogram::add(const histogram& other) noexcept {
  *exceeds_ += data_->add(other.data()) + other.exceeds();
}

void recordable_histogram::throw_out_of_range(std::int64_t v) {
  throw usage_error("tether: histogram record(" + std::to_string(v) +
                    ") is out of range; values must be >= 1 and <= 2^53 - 1 (as Node's)");
}

recordable_histogram create_histogram(histogram_options options) {
  return recordable_histogram(options);
}

}  // namespace tether
