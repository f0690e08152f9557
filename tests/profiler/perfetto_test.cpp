// The Perfetto output, decoded by an independent decoder (Debian's protoc,
// with tests/profiler/perfetto_subset.proto), then checked for structure:
// tracks declared before use, slices balanced per track, every flow
// terminated, every interned id defined.

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler/analysis/outputs.hpp"
#include "workload.hpp"

namespace tether::profiler::test {
namespace {

// protoc's text format as a tree: `name: value` leaves, `name { ... }` nodes.
struct text_node {
  std::string name, value;
  std::vector<std::unique_ptr<text_node>> children;
  std::vector<const text_node*> all(std::string_view n) const {
    std::vector<const text_node*> out;
    for (const auto& c : children) if (c->name == n) out.push_back(c.get());
    return out;
  }
  const text_node* one(std::string_view n) const {
    for (const auto& c : children) if (c->name == n) return c.get();
    return nullptr;
  }
  std::string get(std::string_view n, std::string fallback = "") const {
    const text_node* c = one(n);
    return c != nullptr ? c->value : fallback;
  }
};

std::unique_ptr<text_node> parse_text(std::istream& in) {
  auto root = std::make_unique<text_node>();
  std::vector<text_node*> stack{root.get()};
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (line == "}") {
      stack.pop_back();
      continue;
    }
    auto node = std::make_unique<text_node>();
    text_node* raw = node.get();
    if (line.back() == '{') {
      node->name = line.substr(0, line.size() - 2);
      stack.back()->children.push_back(std::move(node));
      stack.push_back(raw);
    } else {
      const auto colon = line.find(':');
      node->name = line.substr(0, colon);
      node->value = line.substr(colon + 2);
      stack.back()->children.push_back(std::move(node));
    }
  }
  return root;
}

std::unique_ptr<text_node> decode(const std::filesystem::path& trace) {
  const std::string cmd = std::string("protoc --proto_path=") + TETHER_PROFILER_TEST_DIR +
                          " --decode=perfetto.protos.Trace perfetto_subset.proto < " + trace.string();
  int status = 0;
  const std::string text = run_shell(cmd, status);
  EXPECT_EQ(status, 0) << "protoc could not decode the trace:\n" << text.substr(0, 2000);
  std::istringstream in(text);
  return parse_text(in);
}

struct structure {
  std::size_t packets = 0, slices = 0, instants = 0, counters = 0, flows_started = 0;
  std::map<std::string, int> names;  // slice-begin name -> count
  std::vector<std::string> problems;
};

structure check(const text_node& trace) {
  structure s;
  std::set<std::string> tracks;
  std::map<std::string, std::string> event_names;
  std::set<std::string> categories, annotation_names;
  std::map<std::string, int> depth;  // track -> open slices
  std::set<std::string> open_flows, ended_flows;
  bool cleared = false;
  for (const text_node* p : trace.all("packet")) {
    ++s.packets;
    if (p->get("trusted_packet_sequence_id") != "1") s.problems.push_back("packet without sequence 1");
    if (p->get("sequence_flags") == "1") cleared = true;
    if (const text_node* d = p->one("interned_data")) {
      for (const text_node* n : d->all("event_names")) event_names[n->get("iid")] = n->get("name");
      for (const text_node* n : d->all("event_categories")) categories.insert(n->get("iid"));
      for (const text_node* n : d->all("debug_annotation_names")) annotation_names.insert(n->get("iid"));
    }
    if (const text_node* d = p->one("track_descriptor")) {
      const std::string parent = d->get("parent_uuid");
      if (!parent.empty() && tracks.count(parent) == 0) s.problems.push_back("track before its parent " + parent);
      tracks.insert(d->get("uuid"));
    }
    const text_node* e = p->one("track_event");
    if (e == nullptr) continue;
    if (!cleared) s.problems.push_back("event before the incremental state was cleared");
    const std::string track = e->get("track_uuid");
    if (tracks.count(track) == 0) s.problems.push_back("event on undeclared track " + track);
    const std::string type = e->get("type");
    if (type != "TYPE_SLICE_END" && type != "TYPE_COUNTER") {
      const std::string name = e->get("name_iid");
      if (event_names.count(name) == 0) s.problems.push_back("undefined name iid " + name);
      for (const text_node* c : e->all("category_iids"))
        if (categories.count(c->value) == 0) s.problems.push_back("undefined category " + c->value);
      for (const text_node* a : e->all("debug_annotations"))
        if (annotation_names.count(a->get("name_iid")) == 0) s.problems.push_back("undefined annotation name");
    }
    if (type == "TYPE_SLICE_BEGIN") {
      ++depth[track];
      ++s.slices;
      ++s.names[event_names[e->get("name_iid")]];
    } else if (type == "TYPE_SLICE_END") {
      if (--depth[track] < 0) s.problems.push_back("slice end without begin on track " + track);
    } else if (type == "TYPE_INSTANT") {
      ++s.instants;
    } else if (type == "TYPE_COUNTER") {
      ++s.counters;
    }
    for (const text_node* f : e->all("flow_ids")) {
      if (ended_flows.count(f->value) != 0) s.problems.push_back("flow continued after its end " + f->value);
      if (open_flows.insert(f->value).second) ++s.flows_started;
    }
    for (const text_node* f : e->all("terminating_flow_ids")) {
      if (open_flows.erase(f->value) == 0) s.problems.push_back("flow ended that never started " + f->value);
      ended_flows.insert(f->value);
    }
  }
  for (const auto& [track, d] : depth)
    if (d != 0) s.problems.push_back("track " + track + " ends with " + std::to_string(d) + " open slices");
  for (const auto& f : open_flows) s.problems.push_back("flow never terminated " + f);
  return s;
}

std::filesystem::path convert(const std::filesystem::path& trace, analysis::perfetto_stats* stats = nullptr) {
  const auto out = trace.parent_path() / "out.perfetto-trace";
  std::ofstream file(out, std::ios::binary);
  const auto writer = analysis::make_perfetto_writer(file, stats);
  analysis::read_trace(trace.string(), *writer);
  return out;
}

TEST(ProfilerPerfetto, ProtocDecodesItAndItsStructureHolds) {
  const auto dir = scratch_dir("perfetto");
  const workload_counts c = record_workload(dir / "t.tether");
  analysis::perfetto_stats stats;
  const auto root = decode(convert(dir / "t.tether", &stats));
  const structure s = check(*root);
  EXPECT_THAT(s.problems, ::testing::IsEmpty());
  EXPECT_EQ(s.packets, stats.packets);
  // Callback slices (one per before) plus lifetime slices (one per init).
  EXPECT_EQ(s.slices, c.befores + c.inits);
  EXPECT_EQ(s.names.at("\"Request\""), 20 + 20);  // protoc quotes strings
  EXPECT_EQ(s.names.at("\"Chain\""), 40 + 40);
  // One flow per resource: init -> callbacks -> destroy (or end of trace).
  EXPECT_EQ(s.flows_started, c.inits);
  EXPECT_GT(s.counters, 0u);
  EXPECT_EQ(stats.lifetimes_not_drawn, 0u);
}

TEST(ProfilerPerfetto, LostEventsKeepTheStructureAndAreMarked) {
  const auto dir = scratch_dir("perfetto-loss");
  const workload_counts c = record_workload(dir / "t.tether", true);
  ASSERT_GT(c.dropped, 0u);
  const auto root = decode(convert(dir / "t.tether"));
  const structure s = check(*root);
  EXPECT_THAT(s.problems, ::testing::IsEmpty());
  bool marked = false;
  for (const text_node* p : root->all("packet")) {
    if (const text_node* d = p->one("interned_data")) {
      for (const text_node* n : d->all("event_names")) marked |= n->get("name") == "\"events lost\"";
    }
  }
  EXPECT_TRUE(marked);
}

}  // namespace
}  // namespace tether::profiler::test
