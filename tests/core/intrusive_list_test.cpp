// detail::intrusive_list: the one list behind the loop's queues, the timer
// lists, the promise reactions and node_pool's free lists.
#include <tether/detail/intrusive_list.hpp>  // first: the header is self-contained

#include <gtest/gtest.h>

#include <vector>

namespace {

using tether::detail::intrusive_list;
using tether::detail::list_hook;

struct other_tag;

struct item : list_hook<>, list_hook<other_tag> {
  explicit item(int v) : value(v) {}
  int value;
};

using list = intrusive_list<item>;
using other_list = intrusive_list<item, other_tag>;

std::vector<int> values(const list& l) {
  std::vector<int> out;
  for (const item& i : l) {
    out.push_back(i.value);
  }
  return out;
}

std::vector<int> values_backwards(const list& l) {
  std::vector<int> out;
  for (const item* i = l.back(); i != nullptr; i = l.prev(*i)) {
    out.push_back(i->value);
  }
  return out;
}

TEST(IntrusiveList, EmptyListHasNoNodes) {
  list l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.front(), nullptr);
  EXPECT_EQ(l.back(), nullptr);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_EQ(l.begin(), l.end());
  // All-zero when empty: usable in a constinit thread_local.
  static constinit thread_local list tls_list;
  EXPECT_TRUE(tls_list.empty());
}

TEST(IntrusiveList, PushBackKeepsOrderBothWays) {
  item a(1), b(2), c(3);
  list l;
  l.push_back(a);
  EXPECT_EQ(l.front(), &a);
  EXPECT_EQ(l.back(), &a);
  l.push_back(b);
  l.push_back(c);
  EXPECT_EQ(values(l), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(values_backwards(l), (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(l.next(c), nullptr);
  EXPECT_EQ(l.prev(a), nullptr);
  while (l.pop_front() != nullptr) {
  }
}

TEST(IntrusiveList, PushFrontIsLifo) {
  item a(1), b(2), c(3);
  list l;
  l.push_front(a);
  l.push_front(b);
  l.push_front(c);
  EXPECT_EQ(values(l), (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(l.pop_front(), &c);
  EXPECT_EQ(l.pop_front(), &b);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_TRUE(l.empty());
}

TEST(IntrusiveList, EraseUnlinksAnyPositionAndClearsTheHook) {
  item a(1), b(2), c(3), d(4);
  list l;
  for (item* i : {&a, &b, &c, &d}) {
    l.push_back(*i);
  }
  l.erase(b);  // middle
  EXPECT_FALSE(list::linked(b));
  EXPECT_EQ(values(l), (std::vector<int>{1, 3, 4}));
  l.erase(a);  // head
  EXPECT_EQ(values(l), (std::vector<int>{3, 4}));
  EXPECT_EQ(values_backwards(l), (std::vector<int>{4, 3}));
  l.erase(d);  // tail
  EXPECT_EQ(values(l), (std::vector<int>{3}));
  EXPECT_EQ(l.back(), &c);
  l.erase(c);  // the only one
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(list::linked(c));
  // Unlinked nodes can go back in, in any order.
  l.push_back(d);
  l.push_back(a);
  EXPECT_EQ(values(l), (std::vector<int>{4, 1}));
  l.erase(d);
  l.erase(a);
}

TEST(IntrusiveList, PopFrontUnlinks) {
  item a(1), b(2);
  list l;
  l.push_back(a);
  l.push_back(b);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_FALSE(list::linked(a));
  EXPECT_TRUE(list::linked(b));
  EXPECT_EQ(values(l), (std::vector<int>{2}));
  EXPECT_EQ(l.pop_front(), &b);
  EXPECT_TRUE(l.empty());
}

TEST(IntrusiveList, SpliceBackAppendsAndEmptiesTheOther) {
  item a(1), b(2), c(3), d(4);
  list l, m;
  l.splice_back(m);  // both empty
  EXPECT_TRUE(l.empty());
  m.push_back(a);
  l.splice_back(m);  // into an empty list
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(values(l), (std::vector<int>{1}));
  m.push_back(b);
  m.push_back(c);
  l.push_back(d);
  l.splice_back(m);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(values(l), (std::vector<int>{1, 4, 2, 3}));
  EXPECT_EQ(values_backwards(l), (std::vector<int>{3, 2, 4, 1}));
  while (l.pop_front() != nullptr) {
  }
}

TEST(IntrusiveList, MoveTakesTheNodes) {
  item a(1), b(2);
  list l;
  l.push_back(a);
  l.push_back(b);
  list m(std::move(l));
  EXPECT_TRUE(l.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(values(m), (std::vector<int>{1, 2}));
  l = std::move(m);
  EXPECT_EQ(values(l), (std::vector<int>{1, 2}));
  while (l.pop_front() != nullptr) {
  }
}

TEST(IntrusiveList, TwoHooksMakeTwoIndependentLists) {
  item a(1), b(2), c(3);
  list l;
  other_list o;
  l.push_back(a);
  l.push_back(b);
  o.push_back(c);
  o.push_back(a);  // a is in both
  l.erase(a);
  EXPECT_EQ(values(l), (std::vector<int>{2}));
  EXPECT_EQ(o.front(), &c);
  EXPECT_EQ(o.next(c), &a);
  EXPECT_TRUE(other_list::linked(a));
  EXPECT_FALSE(list::linked(a));
  o.erase(c);
  o.erase(a);
  l.erase(b);
}

#if TETHER_LIST_CHECKS

// Each misuse in a function of its own (EXPECT_DEATH's statement cannot
// hold the commas of a declaration list).
void double_insert() {
  item a(1);
  list l;
  l.push_back(a);
  l.push_back(a);
}

void insert_into_second_list() {
  item a(1);
  list l;
  list m;
  l.push_back(a);
  m.push_front(a);
}

void erase_unlinked() {
  item a(1);
  list l;
  l.erase(a);
}

void erase_from_wrong_list() {
  item a(1);
  item b(2);
  list l;
  list m;
  l.push_back(a);
  m.push_back(b);
  m.erase(a);
}

void erase_from_empty_list() {
  item a(1);
  list l;
  list m;
  l.push_back(a);
  l.push_back(*new item(2));  // leaked on purpose: the process dies
  m.erase(a);
}

using IntrusiveListDeathTest = ::testing::Test;

TEST_F(IntrusiveListDeathTest, DoubleInsertAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(double_insert(), "push of a node that is already in a list");
}

TEST_F(IntrusiveListDeathTest, InsertIntoASecondListAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(insert_into_second_list(), "push of a node that is already in a list");
}

TEST_F(IntrusiveListDeathTest, EraseOfAnUnlinkedNodeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(erase_unlinked(), "unlink of a node that is in no list");
}

TEST_F(IntrusiveListDeathTest, EraseFromTheWrongListAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(erase_from_wrong_list(), "unlink of a node from a list it is not in");
  EXPECT_DEATH(erase_from_empty_list(), "unlink of a node from a list it is not in");
}

#endif  // TETHER_LIST_CHECKS

}  // namespace
