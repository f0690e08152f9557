#pragma once
// Not API. May change without notice.
//
// HdrHistogram's log-linear bucket scheme (github.com/HdrHistogram/
// HdrHistogram_c, the histogram Node's perf_hooks uses), implemented here:
// Debian 12 ships no C HdrHistogram package. The layout follows
// hdr_calculate_bucket_config and the value/index functions of
// hdr_histogram.c, so values, percentiles, mean and stddev match Node's to
// the bucket:
//
//   - values below 2 * 10^figures (times the lowest discernible value's
//     power of two) are counted exactly ("sub-buckets" of one unit);
//   - above, each power-of-two range ("bucket") is split into
//     sub_bucket_half_count equal slots, so every value is kept to
//     `figures` significant decimal digits.
//
// record() is a few shifts, a count-leading-zeros and an increment: inline,
// allocation-free, no lock. Thread-compatible.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace tether::detail {

class hdr_histogram {
 public:
  /// Throws usage_error on a bad configuration (lowest < 1, figures not in
  /// 1..5, highest < 2 * lowest), naming it.
  hdr_histogram(std::int64_t lowest, std::int64_t highest, int figures);

  /// False (nothing counted) if `v` is negative or beyond the highest
  /// trackable value.
  bool record(std::int64_t v) noexcept {
    if (v < 0) [[unlikely]] {
      return false;
    }
    const std::int32_t index = counts_index_for(v);
    if (index < 0 || index >= counts_len_) [[unlikely]] {
      return false;
    }
    ++counts_[static_cast<std::size_t>(index)];
    ++total_;
    if (v < min_ && v != 0) {
      min_ = v;
    }
    if (v > max_) {
      max_ = v;
    }
    return true;
  }

  std::int64_t total_count() const noexcept { return total_; }
  /// hdr_min / hdr_max / hdr_mean / hdr_stddev / hdr_value_at_percentile.
  std::int64_t min() const noexcept;
  std::int64_t max() const noexcept;
  double mean() const noexcept;
  double stddev() const noexcept;
  std::int64_t value_at_percentile(double percentile) const noexcept;
  void reset() noexcept;
  /// Adds every value of `other` (any layout); returns how many did not fit.
  std::int64_t add(const hdr_histogram& other) noexcept;

  std::int64_t lowest() const noexcept { return lowest_; }
  std::int64_t highest() const noexcept { return highest_; }
  int figures() const noexcept { return figures_; }
  /// The size of the counts array (for tests of the layout).
  std::int32_t counts_len() const noexcept { return counts_len_; }
  std::int32_t bucket_count() const noexcept { return bucket_count_; }
  std::int32_t sub_bucket_count() const noexcept { return sub_bucket_count_; }

  std::int64_t lowest_equivalent_value(std::int64_t v) const noexcept;
  std::int64_t highest_equivalent_value(std::int64_t v) const noexcept;
  std::int64_t size_of_equivalent_value_range(std::int64_t v) const noexcept;

 private:
  std::int32_t bucket_index(std::int64_t v) const noexcept {
    // 64 - clz(v | mask): the position of v's highest bit, at least the
    // sub-bucket range's.
    const int pow2_ceiling = 64 - std::countl_zero(static_cast<std::uint64_t>(v | sub_bucket_mask_));
    return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
  }
  std::int32_t sub_bucket_index(std::int64_t v, std::int32_t bucket) const noexcept {
    return static_cast<std::int32_t>(v >> (bucket + unit_magnitude_));
  }
  std::int32_t counts_index(std::int32_t bucket, std::int32_t sub_bucket) const noexcept {
    const std::int32_t bucket_base = (bucket + 1) << sub_bucket_half_count_magnitude_;
    return bucket_base + (sub_bucket - sub_bucket_half_count_);
  }
  std::int32_t counts_index_for(std::int64_t v) const noexcept {
    const std::int32_t b = bucket_index(v);
    return counts_index(b, sub_bucket_index(v, b));
  }
  std::int64_t value_at_index(std::int32_t index) const noexcept;
  std::int64_t median_equivalent_value(std::int64_t v) const noexcept;

  std::int64_t lowest_;
  std::int64_t highest_;
  int figures_;
  std::int32_t unit_magnitude_ = 0;
  std::int32_t sub_bucket_half_count_magnitude_ = 0;
  std::int32_t sub_bucket_count_ = 0;
  std::int32_t sub_bucket_half_count_ = 0;
  std::int64_t sub_bucket_mask_ = 0;
  std::int32_t bucket_count_ = 0;
  std::int32_t counts_len_ = 0;
  std::int64_t total_ = 0;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = 0;
  std::vector<std::int64_t> counts_;
};

}  // namespace tether::detail
