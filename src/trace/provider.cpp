// The process's trace pipeline (sampler + exporter), the samplers, and the
// in-memory exporter.

#include <tether/trace_exporter.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <tether/error.hpp>

#include "trace/span_record.hpp"

namespace tether::trace {

namespace {

// Set while a provider lives. start_span reads the flag first (relaxed): with
// no provider, a span costs no lock and no reference count.
std::atomic<bool> pipeline_installed{false};
std::mutex pipeline_mutex;
std::shared_ptr<detail::pipeline> installed;  // guarded by pipeline_mutex

}  // namespace

std::shared_ptr<detail::pipeline> detail::active_pipeline() noexcept {
  if (!pipeline_installed.load(std::memory_order_relaxed)) {
    return nullptr;
  }
  const std::lock_guard lock(pipeline_mutex);
  return installed;
}

provider::provider(std::shared_ptr<trace::exporter> e, trace::sampler s) : exporter_(std::move(e)) {
  if (exporter_ == nullptr) {
    throw usage_error("tether::trace::provider: the exporter is null; pass an otlp_exporter or "
                      "a memory_exporter");
  }
  const std::lock_guard lock(pipeline_mutex);
  if (installed != nullptr) {
    throw usage_error("tether::trace::provider: a provider is installed already (one per "
                      "process); destroy it first");
  }
  installed = std::make_shared<detail::pipeline>(detail::pipeline{exporter_, s});
  pipeline_installed.store(true, std::memory_order_relaxed);
}

provider::~provider() {
  {
    const std::lock_guard lock(pipeline_mutex);
    installed.reset();
    pipeline_installed.store(false, std::memory_order_relaxed);
  }
  exporter_->flush();
}

// --- samplers ------------------------------------------------------------------

sampler sampler::trace_id_ratio(double ratio, bool parent_based) noexcept {
  if (!(ratio > 0.0)) {  // also NaN
    ratio = 0.0;
  }
  return {kind::trace_id_ratio, ratio > 1.0 ? 1.0 : ratio, parent_based};
}

bool sampler::should_sample(const span_context& parent, const trace_id& trace) const noexcept {
  if (parent_based_ && parent.valid()) {
    return parent.sampled();  // follow the caller's decision
  }
  switch (kind_) {
    case kind::always_on:
      return true;
    case kind::always_off:
      return false;
    case kind::trace_id_ratio: {
      if (ratio_ >= 1.0) {
        return true;
      }
      // The low 8 bytes as a big-endian number, under ratio * 2^64 (the
      // scheme of OpenTelemetry's TraceIdRatioBased, so services agree).
      std::uint64_t low = 0;
      for (std::size_t i = 8; i < 16; ++i) {
        low = (low << 8) | trace.bytes[i];
      }
      const auto bound = static_cast<std::uint64_t>(std::ldexp(ratio_, 64) - 1.0);
      return ratio_ > 0.0 && low <= bound;
    }
  }
  return false;
}

sampler sampler::from_env() {
  const char* name = std::getenv("OTEL_TRACES_SAMPLER");
  const char* arg = std::getenv("OTEL_TRACES_SAMPLER_ARG");
  double ratio = 1.0;
  if (arg != nullptr && *arg != '\0') {
    char* end = nullptr;
    ratio = std::strtod(arg, &end);
    if (end == arg || *end != '\0' || !(ratio >= 0.0 && ratio <= 1.0)) {
      throw std::invalid_argument(std::string("OTEL_TRACES_SAMPLER_ARG=") + arg +
                                  ": want a ratio between 0 and 1");
    }
  }
  const std::string_view n = name != nullptr ? name : "parentbased_always_on";
  if (n == "always_on") return always_on(false);
  if (n == "always_off") return always_off(false);
  if (n == "traceidratio") return trace_id_ratio(ratio, false);
  if (n == "parentbased_always_on" || n.empty()) return always_on(true);
  if (n == "parentbased_always_off") return always_off(true);
  if (n == "parentbased_traceidratio") return trace_id_ratio(ratio, true);
  throw std::invalid_argument("OTEL_TRACES_SAMPLER=" + std::string(n) +
                              ": want always_on, always_off, traceidratio, parentbased_always_on, "
                              "parentbased_always_off or parentbased_traceidratio");
}

// --- memory exporter -------------------------------------------------------------

void memory_exporter::on_end(span_data&& span) noexcept {
  const std::lock_guard lock(mutex_);
  if (spans_.size() >= capacity_) {
    ++dropped_;
    return;
  }
  try {
    spans_.push_back(std::move(span));
  } catch (...) {
    ++dropped_;  // out of memory: counted, never thrown at the span's owner
  }
}

std::vector<span_data> memory_exporter::spans() const {
  const std::lock_guard lock(mutex_);
  return spans_;
}

std::size_t memory_exporter::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

void memory_exporter::clear() {
  const std::lock_guard lock(mutex_);
  spans_.clear();
  dropped_ = 0;
}

}  // namespace tether::trace
