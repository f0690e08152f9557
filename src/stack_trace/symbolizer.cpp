#include "stack_trace/symbolizer.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

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
  const std::size_t open = name.find('(');
  const std::size_t frame_type = name.rfind("::_Z");
  if (open == std::string::npos || frame_type == std::string::npos || frame_type < open) {
    return name;
  }
  return name.substr(open + 1, frame_type - open - 1);
}

std::string demangle(const char* name) {
  if (name == nullptr) {
    return {};
  }
  int status = 0;
  std::unique_ptr<char, free_deleter> out(abi::__cxa_demangle(name, nullptr, nullptr, &status));
  return as_coroutine(without_clone_suffix(status == 0 && out != nullptr ? std::string(out.get())
                                                                         : std::string(name)));
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
  return file != nullptr ? std::string(file) : std::string();
}

unsigned call_site_line(Dwarf_Die* inlined) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) == nullptr || dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<unsigned>(line);
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

  std::string file;
  unsigned line = 0;
  if (Dwfl_Line* l = dwfl_module_getsrc(mod, pc)) {
    int lineno = 0;
    if (const char* f = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      file = f;
      line = lineno > 0 ? static_cast<unsigned>(lineno) : 0;
    }
  }

  // Inlined calls, innermost first: each inlined_subroutine scope is a frame
  // at the current location, and its call site is the location of the next.
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, pc, &bias);
  Dwarf_Die* scopes = nullptr;
  const int n = cu != nullptr ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
  std::unique_ptr<Dwarf_Die, free_deleter> scopes_owner(scopes);
  for (int i = 0; i < n; ++i) {
    Dwarf_Die* scope = &scopes[i];
    const int tag = dwarf_tag(scope);
    if (tag == DW_TAG_inlined_subroutine) {
      stack_frame f = base;
      f.function = die_function_name(scope);
      f.file = file;
      f.line = line;
      f.inlined = true;
      out.push_back(std::move(f));
      file = call_site_file(cu, scope);
      line = call_site_line(scope);
    } else if (tag == DW_TAG_subprogram) {
      break;
    }
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
  if (!f.file.empty()) {
    // tether's own sources (the static libraries' debug information names
    // them where they were built) and public headers (there, or installed),
    // and libstdc++'s templates instantiated in any code (std::function's
    // invoker, std::invoke, coroutine_handle::resume).
    if (starts_with(f.file, TETHER_SOURCE_DIR "/src/") ||
        f.file.find("/include/tether/") != std::string::npos ||
        starts_with(f.file, "/usr/include/")) {
      return true;
    }
  } else if (starts_with(qualified_name(f.function), "tether::") || f.function == "_start") {
    // No line information: judge by the name.
    return true;
  }
  const std::string_view module = base_name(f.module);
  for (const std::string_view system :
       {"libc.so", "libstdc++.so", "libgcc_s.so", "libm.so", "ld-linux", "libuv.so",
        "libunwind.so", "libdw.so", "libdw-", "libelf", "libasan.so", "libtsan.so",
        "libubsan.so", "linux-vdso", "[vdso]"}) {
    if (starts_with(module, system)) {
      return true;
    }
  }
  return false;
}

}  // namespace tether::detail
