// create_histogram and HdrHistogram's bucket scheme: the numbers Node 20
// prints for the same records (tests/differential/scenarios/perf_histogram
// compares them line by line), the layout HdrHistogram_c's own tests pin,
// range errors, reset, add, record_delta.
#include <tether/perf_hooks.hpp>  // first: the header is self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>

#include <tether/error.hpp>

namespace {

using tether::create_histogram;
using tether::usage_error;

TEST(Histogram, OneToAThousandAsNodePrintsIt) {
  auto h = create_histogram();
  for (int i = 1; i <= 1000; ++i) {
    h.record(i);
  }
  // node: createHistogram(); record(1..1000)
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 1000);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
  EXPECT_DOUBLE_EQ(h.stddev(), 288.6749902572095);
  EXPECT_EQ(h.count(), 1000);
  EXPECT_EQ(h.exceeds(), 0);
  EXPECT_EQ(h.percentile(25), 250);
  EXPECT_EQ(h.percentile(50), 500);
  EXPECT_EQ(h.percentile(75), 750);
  EXPECT_EQ(h.percentile(90), 900);
  EXPECT_EQ(h.percentile(99), 990);
  EXPECT_EQ(h.percentile(99.9), 999);
  EXPECT_EQ(h.percentile(100), 1000);
}

TEST(Histogram, LargeValuesKeepThreeSignificantDigitsToTheBucket) {
  auto h = create_histogram();
  for (std::int64_t v : {std::int64_t{1'000'000}, std::int64_t{123'456'789}, std::int64_t{7},
                         std::int64_t{2048}, std::int64_t{2049}, std::int64_t{4095},
                         std::int64_t{4096}, std::int64_t{1'000'000'000}, std::int64_t{1} << 52}) {
    h.record(v);
  }
  // node: the same records
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 4507997673881599);
  EXPECT_DOUBLE_EQ(h.mean(), 500644419461661.56);
  EXPECT_DOUBLE_EQ(h.stddev(), 1416035858277199);
  EXPECT_EQ(h.percentile(25), 2049);
  EXPECT_EQ(h.percentile(50), 4099);
  EXPECT_EQ(h.percentile(75), 123469823);
  EXPECT_EQ(h.percentile(90), 1000341503);
  EXPECT_EQ(h.percentile(99), 4507997673881599);
}

TEST(Histogram, CustomLayoutAndExceeds) {
  auto h = create_histogram({.lowest = 1000, .highest = 1'000'000'000, .figures = 2});
  for (std::int64_t v : {1000, 1500, 999'999, 500'000'000, 2'000'000'000}) {
    h.record(v);
  }
  // node: createHistogram({lowest: 1000, highest: 1e9, figures: 2})
  EXPECT_EQ(h.min(), 512);
  EXPECT_EQ(h.max(), 501219327);
  EXPECT_DOUBLE_EQ(h.mean(), 125293568);
  EXPECT_DOUBLE_EQ(h.stddev(), 216435828.46652147);
  EXPECT_EQ(h.count(), 4);
  EXPECT_EQ(h.exceeds(), 1);
  EXPECT_EQ(h.percentile(25), 1023);
  EXPECT_EQ(h.percentile(50), 1535);
  EXPECT_EQ(h.percentile(75), 1003519);
}

TEST(Histogram, OneFigureOverAWideRange) {
  auto h = create_histogram({.figures = 1});
  for (std::int64_t i = 1; i <= 100'000; i += 7) {
    h.record(i * i);
  }
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 10200547327);
  EXPECT_DOUBLE_EQ(h.mean(), 3335196336.3852024);
  EXPECT_DOUBLE_EQ(h.stddev(), 2984793517.0677996);
  EXPECT_EQ(h.count(), 14286);
  EXPECT_EQ(h.percentile(25), 637534207);
  EXPECT_EQ(h.percentile(50), 2550136831);
  EXPECT_EQ(h.percentile(75), 5637144575);
  EXPECT_EQ(h.percentile(90), 8321499135);
}

// HdrHistogram_c's test_create: hdr_init(1, 3600 * 1000 * 1000, 3).
TEST(Histogram, LayoutOfHdrHistogramsOwnTest) {
  auto h = create_histogram({.lowest = 1, .highest = std::int64_t{3600} * 1000 * 1000, .figures = 3});
  EXPECT_EQ(h.data().sub_bucket_count(), 2048);
  EXPECT_EQ(h.data().bucket_count(), 22);
  EXPECT_EQ(h.data().counts_len(), 23552);
  // Node's default: highest 2^53 - 1.
  auto d = create_histogram();
  EXPECT_EQ(d.data().bucket_count(), 43);
  EXPECT_EQ(d.data().counts_len(), 44 * 1024);
  // Equivalent ranges: exact below 2048, then 2, 4, 8 ... wide.
  EXPECT_EQ(d.data().size_of_equivalent_value_range(2047), 1);
  EXPECT_EQ(d.data().size_of_equivalent_value_range(2048), 2);
  EXPECT_EQ(d.data().size_of_equivalent_value_range(4096), 4);
  EXPECT_EQ(d.data().lowest_equivalent_value(1'000'000), 999'936);
  EXPECT_EQ(d.data().highest_equivalent_value(1'000'000), 1'000'447);
}

TEST(Histogram, EmptyAsNode) {
  auto h = create_histogram();
  EXPECT_EQ(h.min(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(h.max(), 0);
  EXPECT_TRUE(std::isnan(h.mean()));
  EXPECT_TRUE(std::isnan(h.stddev()));
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.percentile(50), 0);
}

TEST(Histogram, OutOfRangeInputIsAUsageError) {
  auto h = create_histogram();
  EXPECT_THROW(h.record(0), usage_error);  // Node: ERR_OUT_OF_RANGE
  EXPECT_THROW(h.record(-5), usage_error);
  EXPECT_THROW(h.record(std::int64_t{1} << 53), usage_error);
  EXPECT_NO_THROW(h.record((std::int64_t{1} << 53) - 1));
  EXPECT_THROW((void)h.percentile(0), usage_error);
  EXPECT_THROW((void)h.percentile(100.5), usage_error);
  EXPECT_THROW((void)h.percentile(std::nan("")), usage_error);
  EXPECT_THROW(create_histogram({.lowest = 0}), usage_error);
  EXPECT_THROW(create_histogram({.figures = 6}), usage_error);
  EXPECT_THROW(create_histogram({.lowest = 10, .highest = 15}), usage_error);
  EXPECT_EQ(h.count(), 1);
}

TEST(Histogram, ResetAddAndSharedCopies) {
  auto a = create_histogram();
  a.record(10);
  a.record(20);
  auto b = create_histogram();
  b.record(30);
  a.add(b);
  // node: a.add(b)
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(a.min(), 10);
  EXPECT_EQ(a.max(), 30);
  EXPECT_DOUBLE_EQ(a.mean(), 20);
  EXPECT_DOUBLE_EQ(a.stddev(), 8.16496580927726);
  auto copy = a;  // copies share the data, as Node's objects
  copy.record(40);
  EXPECT_EQ(a.count(), 4);
  a.reset();
  EXPECT_EQ(copy.count(), 0);
  EXPECT_EQ(copy.max(), 0);
}

TEST(Histogram, RecordDeltaRecordsNanosecondsBetweenCalls) {
  auto h = create_histogram();
  h.record_delta();  // starts the clock only
  EXPECT_EQ(h.count(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  h.record_delta();
  EXPECT_EQ(h.count(), 1);
  EXPECT_GE(h.min(), 2'000'000 - 2048);  // ns, to the bucket
}

}  // namespace
