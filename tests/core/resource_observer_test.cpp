// The resource observer (tether/detail/hook_dispatch.hpp): the low-level
// listener tether::stack_trace rides on. It sees init before any hook and
// destroy after every hook, with the resource itself; it owns one pointer per
// resource; it skips hidden resources like the hooks do; and installing one
// only raises the event bits it has callbacks for.
#include <tether/detail/hook_dispatch.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/integration.hpp>
#include <tether/resource.hpp>

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using tether::async_id;
using tether::resource;
using tether::detail::resource_access;
using tether::detail::resource_observer;

struct op : resource {};

// Observer callbacks are plain function pointers: they log through a global.
std::vector<std::string>* observer_log = nullptr;
int observer_payload = 0;

void observe_init(resource& r) noexcept {
  if (observer_log != nullptr) {
    observer_log->push_back("observer init " + std::string(r.type()));
  }
  resource_access::observer_data(r) = &observer_payload;
}

void observe_destroy(resource& r) noexcept {
  if (observer_log != nullptr) {
    const bool mine = resource_access::observer_data(r) == &observer_payload;
    observer_log->push_back("observer destroy " + std::string(r.type()) + (mine ? " slot" : ""));
  }
  resource_access::observer_data(r) = nullptr;
}

constexpr resource_observer full_observer{&observe_init, &observe_destroy};
constexpr resource_observer destroy_only_observer{nullptr, &observe_destroy};

unsigned bit(tether::detail::hook_event e) { return 1u << static_cast<unsigned>(e); }

class ResourceObserver : public ::testing::Test {
 protected:
  void SetUp() override { observer_log = &log_; }
  void TearDown() override {
    tether::detail::set_resource_observer(nullptr);
    observer_log = nullptr;
  }
  std::vector<std::string> log_;
};

tether::async_hook logging_hook(std::vector<std::string>& log) {
  return tether::create_hook({
      .init = [&log](async_id, std::string_view type, async_id,
                     resource&) { log.push_back("hook init " + std::string(type)); },
      .destroy = [&log](async_id) { log.push_back("hook destroy"); },
  });
}

TEST_F(ResourceObserver, SeesInitFirstAndDestroyLastWithItsSlot) {
  auto hook = logging_hook(log_);
  hook.enable();
  tether::detail::set_resource_observer(&full_observer);
  {
    tether::async_resource r("Job");
    EXPECT_EQ(resource_access::observer_data(r), &observer_payload);
  }
  EXPECT_THAT(log_, ElementsAre("observer init Job", "hook init Job", "hook destroy",
                                "observer destroy Job slot"));
}

// One hook per event takes the inline fast path, which must step aside for
// every event the observer wants, whichever of the two came first.
TEST_F(ResourceObserver, HookEnabledAfterTheObserverKeepsTheOrderAndRunsAloneOnceItIsRemoved) {
  tether::detail::set_resource_observer(&full_observer);
  auto hook = logging_hook(log_);
  hook.enable();
  { tether::async_resource r("First"); }
  tether::detail::set_resource_observer(nullptr);
  { tether::async_resource r("Second"); }
  EXPECT_THAT(log_, ElementsAre("observer init First", "hook init First", "hook destroy",
                                "observer destroy First slot", "hook init Second",
                                "hook destroy"));
}

TEST_F(ResourceObserver, DestroyOnlyObserverStillComesAfterTheHooksDestroy) {
  auto hook = logging_hook(log_);
  hook.enable();
  tether::detail::set_resource_observer(&destroy_only_observer);
  { tether::async_resource r("Job"); }
  EXPECT_THAT(log_, ElementsAre("hook init Job", "hook destroy", "observer destroy Job"));
}

TEST_F(ResourceObserver, WorksWithNoHookEnabled) {
  tether::detail::set_resource_observer(&full_observer);
  op o;
  tether::emit_init(o, "Op");
  { tether::callback_scope scope(o); }
  tether::emit_destroy(o);
  EXPECT_THAT(log_, ElementsAre("observer init Op", "observer destroy Op slot"));
  EXPECT_EQ(resource_access::observer_data(o), nullptr);
}

TEST_F(ResourceObserver, RaisesOnlyTheEventBitsItHasCallbacksFor) {
  using tether::detail::active_hook_events;
  using tether::detail::hook_event;
  ASSERT_EQ(active_hook_events.load(), 0u);
  tether::detail::set_resource_observer(&full_observer);
  EXPECT_EQ(active_hook_events.load(), bit(hook_event::init) | bit(hook_event::destroy));
  tether::detail::set_resource_observer(&destroy_only_observer);
  EXPECT_EQ(active_hook_events.load(), bit(hook_event::destroy));
  tether::detail::set_resource_observer(nullptr);
  EXPECT_EQ(active_hook_events.load(), 0u);
}

TEST_F(ResourceObserver, KeepsTheHooksBitsWhenInstalledAndRemoved) {
  using tether::detail::active_hook_events;
  using tether::detail::hook_event;
  auto hook = tether::create_hook({.before = [](async_id) {}});
  hook.enable();
  tether::detail::set_resource_observer(&destroy_only_observer);
  EXPECT_EQ(active_hook_events.load(), bit(hook_event::before) | bit(hook_event::destroy));
  tether::detail::set_resource_observer(nullptr);
  EXPECT_EQ(active_hook_events.load(), bit(hook_event::before));
  hook.disable();
  EXPECT_EQ(active_hook_events.load(), 0u);
}

TEST_F(ResourceObserver, DestroyOnlyObserverSkipsInit) {
  tether::detail::set_resource_observer(&destroy_only_observer);
  { tether::async_resource r("Job"); }
  EXPECT_THAT(log_, ElementsAre("observer destroy Job"));
}

TEST_F(ResourceObserver, DoesNotSeeResourcesCreatedInsideAHookCallback) {
  std::vector<std::string> inner_types;
  auto hook = tether::create_hook({
      .init = [&](async_id, std::string_view type, async_id, resource&) {
        if (type == "Outer") {
          tether::async_resource inner("Inner");  // hidden: no event at all
        }
      },
  });
  hook.enable();
  tether::detail::set_resource_observer(&full_observer);
  { tether::async_resource outer("Outer"); }
  EXPECT_THAT(log_, ElementsAre("observer init Outer", "observer destroy Outer slot"));
}

TEST_F(ResourceObserver, RemovedObserverSeesNothing) {
  tether::detail::set_resource_observer(&full_observer);
  tether::detail::set_resource_observer(nullptr);
  { tether::async_resource r("Job"); }
  EXPECT_THAT(log_, IsEmpty());
}

// Copies: an adapter that runs one resource's callbacks on a copy of its
// identity (Asio's hand-offs and coroutine slices) gets a share of the
// observer's data of its own, never the original's raw pointer.
int copy_shares = 0;  // shares handed out by observe_copy and not given back
int copy_payload = 0;

void observe_copy(resource& to, const resource& from) noexcept {
  if (observer_log != nullptr) {
    observer_log->push_back("observer copy " + std::string(from.type()));
  }
  ++copy_shares;
  resource_access::observer_data(to) = &copy_payload;
}

void observe_release(resource& r) noexcept {
  if (resource_access::observer_data(r) == &copy_payload) {
    --copy_shares;
  }
  observe_destroy(r);
}

constexpr resource_observer copying_observer{&observe_init, &observe_release, &observe_copy};

TEST_F(ResourceObserver, CopyIdentityTakesAShareThroughTheObserver) {
  tether::detail::set_resource_observer(&copying_observer);
  op original;
  tether::emit_init(original, "Op");
  {
    op copy;
    resource_access::copy_identity(copy, original);
    EXPECT_EQ(copy.id(), original.id());
    EXPECT_EQ(resource_access::observer_data(copy), &copy_payload);
    EXPECT_EQ(resource_access::observer_data(original), &observer_payload);  // kept
    EXPECT_EQ(copy_shares, 1);
    // Copying onto a resource that holds a share gives that one back first.
    resource_access::copy_identity(copy, original);
    EXPECT_EQ(copy_shares, 1);
    // The copy ends without a destroy of its own: its share goes back.
    tether::detail::observer_release(copy);
    EXPECT_EQ(resource_access::observer_data(copy), nullptr);
    EXPECT_EQ(copy_shares, 0);
    tether::detail::observer_release(copy);  // nothing held: nothing happens
  }
  tether::emit_destroy(original);
  EXPECT_THAT(log_, ElementsAre("observer init Op", "observer copy Op", "observer destroy Op",
                                "observer copy Op", "observer destroy Op",
                                "observer destroy Op slot"));
}

TEST_F(ResourceObserver, MoveIdentityCarriesTheSlotToWhoeverGetsTheDestroy) {
  tether::detail::set_resource_observer(&copying_observer);
  op from;
  op to;
  tether::emit_init(from, "Op");
  resource_access::move_identity(to, from);
  EXPECT_EQ(resource_access::observer_data(from), nullptr);
  EXPECT_EQ(resource_access::observer_data(to), &observer_payload);
  tether::emit_destroy(to);
  EXPECT_THAT(log_, ElementsAre("observer init Op", "observer destroy Op slot"));
}

TEST_F(ResourceObserver, CopyOfAResourceWithoutDataAsksNothing) {
  tether::detail::set_resource_observer(&copying_observer);
  op original;
  tether::emit_init(original, "Op");
  tether::detail::set_resource_observer(nullptr);
  op bare;  // no observer at its init: no slot
  tether::emit_init(bare, "Bare");
  tether::detail::set_resource_observer(&copying_observer);
  op copy;
  resource_access::copy_identity(copy, bare);
  EXPECT_EQ(resource_access::observer_data(copy), nullptr);
  EXPECT_EQ(copy_shares, 0);
  tether::emit_destroy(bare);
  tether::emit_destroy(original);
}

TEST(ResourceLayout, TheObserverSlotCostsNoSpace) {
  // id, trigger, type pointer, frame, observer slot, then type size + flags
  // in the last word: the slot took what used to be padding.
  if constexpr (sizeof(void*) == 8) {
    EXPECT_EQ(sizeof(resource), 48u);
  }
  tether::async_resource r("SomeType");
  EXPECT_EQ(r.type(), "SomeType");
  EXPECT_EQ(resource_access::observer_data(r), nullptr);
}

}  // namespace
