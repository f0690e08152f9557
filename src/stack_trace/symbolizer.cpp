#include "stack_trace/symbolizer.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include "stack_trace/module_map.hpp"

namespace tether::detail {
namespace {

char* debuginfo_path = nullptr;

const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = &debuginfo_path,
};

struct free_deleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

/// "ns::f(int) [clone .actor]" -> "ns::f(int)": GCC's clones (coroutine
/// actors, .cold parts, .isra/.constprop copies) are the function itself.
std::string without_clone_suffix(std::string name) {
  const std::size_t clone = name.find(" [clone ");
  if (clone != std::string::npos) {
    name.erase(clone);
  }
  return name;
}

/// GCC's coroutine bodies demangle as "f(f(int)::_Z1fi.Frame*)" (the
/// actor, taking the coroutine frame): print them as the coroutine, "f(int)".
std::string as_coroutine(std::string name) {
  constexpr std::string_view frame_suffix = ".Frame*)";
  if (name.size() < frame_suffix.size() ||
      name.compare(name.size() - frame_suffix.size(), frame_suffix.size(), frame_suffix) != 0) {
    return name;
  }
  // The parameter list's '(' matches the final ')'.
  std::size_t open = name.size() - 1;
  for (int depth = 0; open > 0; --open) {
    depth += name[open] == ')' ? 1 : name[open] == '(' ? -1 : 0;
    if (depth == 0) {
      break;
    }
  }
  const std::size_t frame_type = name.rfind("::_Z");
  if (frame_type == std::string::npos || frame_type <= open) {
    return name;
  }
  return name.substr(open + 1, frame_type - open - 1);
}

/// libstdc++'s spelled-out string types, as people write them.
std::string with_short_type_names(std::string name) {
  static constexpr std::pair<std::string_view, std::string_view> spellings[] = {
      {"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >",
       "std::string"},
      {"std::basic_string_view<char, std::char_traits<char> >", "std::string_view"},
      {"std::__cxx11::", "std::"},
  };
  for (const auto& [long_form, short_form] : spellings) {
    for (std::size_t at = name.find(long_form); at != std::string::npos;
         at = name.find(long_form, at + short_form.size())) {
      name.replace(at, long_form.size(), short_form);
    }
  }
  return name;
}

std::string demangle(const char* name) {
  if (name == nullptr) {
    return {};
  }
  int status = 0;
  std::unique_ptr<char, free_deleter> out(abi::__cxa_demangle(name, nullptr, nullptr, &status));
  return with_short_type_names(as_coroutine(without_clone_suffix(
      status == 0 && out != nullptr ? std::string(out.get()) : std::string(name))));
}

/// A DIE's name as printed: its demangled linkage name if it has one (full
/// qualification, anonymous namespaces and lambdas included), else its
/// plain name.
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (const unsigned at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, at, &attr) != nullptr) {
      if (const char* linkage = dwarf_formstring(&attr)) {
        return demangle(linkage);
      }
    }
  }
  // No linkage name (lambdas' call operators, often): qualify the plain
  // name with the scopes around its declaration, "main::<lambda()>::operator()".
  const char* name = dwarf_diename(die);
  if (name == nullptr) {
    return {};
  }
  Dwarf_Die origin_memory;
  Dwarf_Die* origin = die;
  for (const unsigned at : {DW_AT_abstract_origin, DW_AT_specification}) {
    if (dwarf_attr(origin, at, &attr) != nullptr && dwarf_formref_die(&attr, &origin_memory)) {
      origin = &origin_memory;
    }
  }
  std::string qualified;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(origin, &scopes);
  std::unique_ptr<Dwarf_Die, free_deleter> owner(scopes);
  for (int i = n - 1; i >= 1; --i) {  // [0] is the DIE itself, [n - 1] the CU
    switch (dwarf_tag(&scopes[i])) {
      case DW_TAG_namespace: {
        const char* scope = dwarf_diename(&scopes[i]);
        qualified += scope != nullptr ? scope : "(anonymous namespace)";
        qualified += "::";
        break;
      }
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
      case DW_TAG_subprogram: {
        const char* scope = dwarf_diename(&scopes[i]);
        qualified += scope != nullptr ? scope : "{lambda}";  // closures have no name
        qualified += "::";
        break;
      }
      default:
        break;
    }
  }
  return qualified + name;
}

/// "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/x.h"
/// (clang's spelling of libstdc++'s headers) -> "/usr/include/c++/12/x.h".
std::string normal_path(const char* path) {
  return std::filesystem::path(path).lexically_normal().string();
}

/// A source file name as the line table or a call site records it, made
/// absolute with the unit's compilation directory when it is relative
/// (ccache's base_dir and -fdebug-prefix-map builds record "../../src/x.cpp"):
/// telling tether's own frames apart needs the whole path.
std::string source_path(Dwarf_Die* cu, const char* path) {
  if (path[0] != '/') {
    Dwarf_Attribute attr;
    const char* dir = dwarf_attr(cu, DW_AT_comp_dir, &attr) != nullptr ? dwarf_formstring(&attr) : nullptr;
    if (dir != nullptr && dir[0] == '/') {
      return (std::filesystem::path(dir) / path).lexically_normal().string();
    }
  }
  return normal_path(path);
}

std::string call_site_file(Dwarf_Die* cu, Dwarf_Die* inlined) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) == nullptr || dwarf_formudata(&attr, &index) != 0) {
    return {};
  }
  Dwarf_Files* files = nullptr;
  std::size_t count = 0;
  if (dwarf_getsrcfiles(cu, &files, &count) != 0 || index >= count) {
    return {};
  }
  const char* file = dwarf_filesrc(files, index, nullptr, nullptr);
  return file != nullptr ? source_path(cu, file) : std::string();
}

unsigned call_site_line(Dwarf_Die* inlined) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) == nullptr || dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<unsigned>(line);
}

/// Appends, outermost first, the DIEs under `parent` that contain `pc`
/// (subprograms, inlined calls, lexical blocks), looking inside namespaces
/// and classes for subprograms. Returns true if one was found.
bool containing_dies(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& path) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) {
    return false;
  }
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_namespace:
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
        if (containing_dies(&child, pc, path)) {
          return true;
        }
        break;
      case DW_TAG_subprogram:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
        if (dwarf_haspc(&child, pc) == 1) {
          path.push_back(child);
          containing_dies(&child, pc, path);
          return true;
        }
        break;
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

/// The inlined calls at `pc`, innermost first. dwarf_getscopes answers for
/// GCC's output; for clang's it leaves the concrete function after the first
/// inlined call (it goes on with the abstract definition's scopes), or finds
/// no scope at all (libdw 0.188 on clang 16's DWARF 5 units), so unless it
/// reached the function the unit is searched directly.
void inline_chain(Dwarf_Die* cu, Dwarf_Addr pc, std::vector<Dwarf_Die>& out) {
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes(cu, pc, &scopes);
  std::unique_ptr<Dwarf_Die, free_deleter> owner(scopes);
  bool reached_function = false;
  for (int i = 0; i < n; ++i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_inlined_subroutine) {
      out.push_back(scopes[i]);
    } else if (tag == DW_TAG_subprogram) {
      reached_function = true;
      break;
    }
  }
  if (reached_function) {
    return;
  }
  out.clear();
  std::vector<Dwarf_Die> path;
  containing_dies(cu, pc, path);
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if (dwarf_tag(&*it) == DW_TAG_inlined_subroutine) {
      out.push_back(*it);
    }
  }
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

/// "void ns::f<int>(int)" -> "ns::f": a demangled function template's name
/// starts with its return type.
std::string_view qualified_name(std::string_view name) noexcept {
  std::size_t end = name.size();
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>') {
      --depth;
    } else if (c == '(' && depth == 0) {
      end = i;
      break;
    }
  }
  name = name.substr(0, end);
  depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>') {
      --depth;
    } else if (c == ' ' && depth == 0) {
      return qualified_name(name.substr(i + 1));
    }
  }
  return name;
}

std::string_view base_name(std::string_view path) noexcept {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

symbolizer& symbolizer::instance() noexcept {
  // Never destroyed: traces may be printed from static destructors, the
  // terminate handler or a forked crash reporter.
  alignas(symbolizer) static unsigned char storage[sizeof(symbolizer)];
  static symbolizer* const s = ::new (storage) symbolizer();
  return *s;
}

bool symbolizer::ensure_dwfl() noexcept {
  if (dwfl_ != nullptr) {
    return true;
  }
  dwfl_ = dwfl_begin(&proc_callbacks);
  if (dwfl_ == nullptr) {
    return false;
  }
  dwfl_report_begin(dwfl_);
  const int rc = dwfl_linux_proc_report(dwfl_, ::getpid());
  dwfl_report_end(dwfl_, nullptr, nullptr);
  if (rc != 0) {
    dwfl_end(dwfl_);
    dwfl_ = nullptr;
    return false;
  }
  return true;
}

Dwfl_Module* symbolizer::module_of(std::uintptr_t address) noexcept {
  if (!ensure_dwfl()) {
    return nullptr;
  }
  if (Dwfl_Module* m = dwfl_addrmodule(dwfl_, address)) {
    return m;
  }
  // Not mapped when the Dwfl was built: re-read the maps if the module list
  // changed (a library dlopen()ed since), else the address is garbage.
  module_hit hit;
  if (!module_map::instance().find(address, hit)) {
    return nullptr;
  }
  dwfl_report_begin(dwfl_);
  dwfl_linux_proc_report(dwfl_, ::getpid());
  dwfl_report_end(dwfl_, nullptr, nullptr);
  return dwfl_addrmodule(dwfl_, address);
}

void symbolizer::lookup(std::uintptr_t address, bool exact, std::vector<stack_frame>& out) {
  // A return address points after the call; the call itself (what the line
  // table and the inline scopes describe) is one byte before.
  const Dwarf_Addr pc = exact ? address : address - 1;
  stack_frame base;
  base.address = address;
  Dwfl_Module* mod = module_of(pc);
  if (mod == nullptr) {
    out.push_back(std::move(base));
    return;
  }
  const char* main_file = nullptr;
  const char* name = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr,
                                      &main_file, nullptr);
  base.module = main_file != nullptr ? main_file : (name != nullptr ? name : "");

  GElf_Off symbol_offset = 0;
  GElf_Sym symbol;
  const char* symbol_name =
      dwfl_module_addrinfo(mod, pc, &symbol_offset, &symbol, nullptr, nullptr, nullptr);

  // The compilation unit: from .debug_aranges, or by asking each unit
  // whether it covers the address. clang emits no .debug_aranges, and in a
  // program mixing its units with GCC's, libdw 0.188 answers from the GCC
  // units' aranges with a wrong unit: check the answer.
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, pc, &bias);
  Dwarf_Die cu_memory;
  if (cu != nullptr && dwarf_haspc(cu, pc - bias) != 1) {
    cu = nullptr;
  }
  if (cu == nullptr) {
    Dwarf_Addr unit_bias = 0;
    for (Dwarf_Die* unit = dwfl_module_nextcu(mod, nullptr, &unit_bias); unit != nullptr;
         unit = dwfl_module_nextcu(mod, unit, &unit_bias)) {
      if (dwarf_haspc(unit, pc - unit_bias) == 1) {
        cu_memory = *unit;
        cu = &cu_memory;
        bias = unit_bias;
        break;
      }
    }
  }

  std::string file;
  unsigned line = 0;
  if (cu != nullptr) {
    if (Dwarf_Line* l = dwarf_getsrc_die(cu, pc - bias)) {
      int lineno = 0;
      const char* f = dwarf_linesrc(l, nullptr, nullptr);
      if (f != nullptr && dwarf_lineno(l, &lineno) == 0) {
        file = source_path(cu, f);
        line = lineno > 0 ? static_cast<unsigned>(lineno) : 0;
      }
    }
  }

  // Inlined calls, innermost first: each inlined_subroutine scope is a frame
  // at the current location, and its call site is the location of the next.
  std::vector<Dwarf_Die> inlined;
  if (cu != nullptr) {
    inline_chain(cu, pc - bias, inlined);
  }
  for (Dwarf_Die& scope : inlined) {
    stack_frame f = base;
    f.function = die_function_name(&scope);
    f.file = file;
    f.line = line;
    f.inlined = true;
    out.push_back(std::move(f));
    file = call_site_file(cu, &scope);
    line = call_site_line(&scope);
  }
  stack_frame f = std::move(base);
  f.function = symbol_name != nullptr ? demangle(symbol_name) : std::string();
  f.file = std::move(file);
  f.line = line;
  out.push_back(std::move(f));
}

void symbolizer::symbolize(std::uintptr_t address, bool exact, std::vector<stack_frame>& out) {
  const std::lock_guard lock(mutex_);
  const std::uintptr_t key = address * 2 + (exact ? 1 : 0);
  auto it = frames_.find(key);
  if (it == frames_.end()) {
    if (frames_.size() >= max_cached_addresses) {
      frames_.clear();
    }
    std::vector<stack_frame> frames;
    lookup(address, exact, frames);
    for (stack_frame& f : frames) {
      f.internal = is_internal_frame(f);
    }
    it = frames_.emplace(key, std::move(frames)).first;
  }
  out.insert(out.end(), it->second.begin(), it->second.end());
}

void symbolizer::clear_cache() {
  const std::lock_guard lock(mutex_);
  frames_.clear();
}

frame_check symbolizer::check_frame(std::uintptr_t return_address) noexcept {
  const std::lock_guard lock(mutex_);
  if (auto it = checks_.find(return_address); it != checks_.end()) {
    return it->second;
  }
  frame_check check;
  const Dwarf_Addr pc = return_address - 1;
  module_hit hit;
  check.main_program = module_map::instance().find(pc, hit) && hit.main_program;
  if (Dwfl_Module* mod = module_of(pc)) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = dwfl_module_eh_cfi(mod, &bias);
    if (cfi == nullptr) {
      cfi = dwfl_module_dwarf_cfi(mod, &bias);
    }
    Dwarf_Frame* frame = nullptr;
    if (cfi != nullptr && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
      Dwarf_Op* ops = nullptr;
      std::size_t count = 0;
      if (dwarf_frame_cfa(frame, &ops, &count) == 0 && count >= 1) {
        // x86-64 DWARF register 6 is rbp.
        check.frame_pointer = (ops[0].atom == DW_OP_bregx && ops[0].number == 6) ||
                              ops[0].atom == DW_OP_breg6;
      }
      std::free(frame);
    }
  }
  try {
    if (checks_.size() >= max_cached_addresses) {
      checks_.clear();
    }
    checks_.emplace(return_address, check);
  } catch (...) {
    // Not cached: asked again next time.
  }
  return check;
}

bool is_internal_frame(const stack_frame& f) noexcept {
  const std::string_view module = base_name(f.module);
  for (const std::string_view system :
       {"libc.so", "libstdc++.so", "libgcc_s.so", "libm.so", "ld-linux", "libuv.so",
        "libunwind.so", "libdw.so", "libdw-", "libelf", "libasan.so", "libtsan.so",
        "libubsan.so", "linux-vdso", "[vdso]"}) {
    if (starts_with(module, system)) {
      return true;
    }
  }
  const std::string_view name = qualified_name(f.function);
  const bool library_name = starts_with(name, "tether::") || starts_with(name, "std::") ||
                            starts_with(name, "__") || name == "_start";
  if (f.file.empty()) {
    return library_name;  // no line information: judge by the name
  }
  // tether's own sources (the static libraries' debug information names
  // them where they were built) and public headers (there, or installed),
  // and libstdc++'s templates instantiated in any code (std::function's
  // invoker, std::invoke, coroutine_handle::resume).
  const bool library_file = starts_with(f.file, TETHER_SOURCE_DIR "/src/") ||
                            f.file.find("/include/tether/") != std::string::npos ||
                            starts_with(f.file, "/usr/include/");
  // A function's own frame placed in a library header is the user's function
  // with a library call inlined into it, when the compiler reported no frame
  // for the inlined call (clang, at times).
  return library_file && (f.inlined || f.function.empty() || library_name);
}

}  // namespace tether::detail
