#pragma once
// What an async_trace holds: raw, unsymbolized, immutable once built.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tether/stack_trace.hpp>

#include "stack_trace/records.hpp"
#include "stack_trace/stack_table.hpp"

namespace tether::detail {

struct trace_data {
  trace_data() = default;
  trace_data(const trace_data&) = delete;
  trace_data& operator=(const trace_data&) = delete;
  ~trace_data();

  interned_stack* stack = nullptr;  // the stack where it was taken (owned)
  bool first_address_exact = false; // stack's first address is a faulting pc (a crash report)

  struct awaiter {
    async_id id = 0;
    std::string type;
    std::uintptr_t resume_address = 0;
  };
  std::vector<awaiter> awaiters;  // innermost first

  bool in_resource = false;       // taken inside a callback (not at a top level)
  async_id current_id = 0;
  std::string current_type;
  bool current_recorded = false;  // `chain` starts with the current resource's own record
  trace_record* chain = nullptr;  // owned: the current resource's record, or its creator's
  std::size_t hops = 0;           // the hop limit when taken
};

/// Takes a trace now: the stack from the frame record `frame` outwards
/// (skipping `skip` return addresses), the await chain and the creation
/// chain of the current resource.
std::shared_ptr<const trace_data> take_trace(std::uintptr_t frame, std::size_t skip);

}  // namespace tether::detail
