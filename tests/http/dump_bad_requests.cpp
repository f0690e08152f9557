// Prints the hostile-request tables of bad_requests.hpp as JSON for
// node_bad_requests.js, which sends each to a Node 20 server and checks the
// answer the table says Node gives (ctest -R http.bad_requests_vs_node).

#include <cstdio>
#include <string>
#include <string_view>

#include "http/bad_requests.hpp"

namespace {

void print_string(std::string_view key, std::string_view s) {
  std::printf("\"%.*s\":\"", static_cast<int>(key.size()), key.data());
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      std::putchar('\\');
    }
    std::putchar(c);
  }
  std::putchar('"');
}

void print_hex(std::string_view bytes) {
  std::printf("\"hex\":\"");
  for (const char c : bytes) {
    std::printf("%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  }
  std::putchar('"');
}

void print_rows(std::string_view list, const std::vector<tether::test::bad_request>& rows,
                bool expect_node) {
  std::printf("\"%.*s\":[", static_cast<int>(list.size()), list.data());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const tether::test::bad_request& r = rows[i];
    std::printf("%s{", i == 0 ? "" : ",");
    print_string("name", r.name);
    const int node = !expect_node || r.node == tether::test::node_same ? r.status : r.node;
    std::printf(",\"tether\":%d,\"node\":%d,", r.status, node);
    print_hex(r.bytes);
    std::printf("}\n");
  }
  std::printf("]");
}

}  // namespace

int main() {
  std::printf("{");
  print_rows("bad", tether::test::bad_requests(), true);
  std::printf(",");
  print_rows("accepted", tether::test::accepted_requests(), true);
  std::printf(",\"cut_off\":[");
  const auto cut = tether::test::cut_off_requests();
  for (std::size_t i = 0; i < cut.size(); ++i) {
    std::printf("%s{", i == 0 ? "" : ",");
    print_string("name", cut[i].name);
    std::printf(",\"tether\":400,\"node\":400,");
    print_hex(cut[i].bytes);
    std::printf("}\n");
  }
  std::printf("]}\n");
  return 0;
}
