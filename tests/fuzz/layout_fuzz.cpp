// libFuzzer harness for everything that turns untrusted strings into paths: hash validation,
// every layout's lookup / path_to_hash / contains / hash_at, the layout registry (layout_by_name,
// layouts_by_names) and Store::preferred_path (no disk access).
//
// Not a GoogleTest file (tests/CMakeLists.txt globs *_test.cpp): it is built only with
// -DCAS_FUZZ=ON under Clang and run by tools/test.sh. A violated property prints what failed
// and the input, then traps, so libFuzzer reports it and saves the input as a crash artifact.
//
// Input: the whole input is tried as a hash, a path, a layout spec and a directory to check
// file names against. If it contains '\n', the part before the first '\n' (A) and the part
// after it (B) are also used as a pair: contains(A, B) on every layout, and, when A names a
// layout (e.g. "fanout:3,1\n<hash>"), every property of that layout checked on B.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>
#include <boost/filesystem/path.hpp>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "cas/store.hpp"

namespace {

std::string_view g_input;  // the current fuzz input, for failure messages

std::string escaped(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

[[noreturn]] void fail(const char* property, std::string_view layout, std::string_view detail) {
  std::fprintf(stderr, "\n*** cas fuzz property violated: %s\n    layout: %s\n    detail: \"%s\"\n",
               property, std::string(layout).c_str(), escaped(detail).c_str());
  std::fprintf(stderr, "    input:  \"%s\"\n", escaped(g_input).c_str());
  __builtin_trap();
}

#define CAS_FUZZ_CHECK(cond, layout, detail)      \
  do {                                            \
    if (!(cond)) fail(#cond, (layout), (detail)); \
  } while (0)

// The reference definition of a valid hash (layout.hpp): lowercase hex, max(1, min_length) to
// kMaxHashLength characters.
bool reference_valid(std::string_view h, std::size_t min_length) {
  if (min_length == 0) min_length = 1;
  if (h.size() < min_length || h.size() > cas::kMaxHashLength) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A root-relative path that cannot leave the root: not empty, no leading or trailing '/', no
// empty, "." or ".." component, no NUL.
bool stays_under_root(std::string_view rel) {
  if (rel.empty() || rel.find('\0') != std::string_view::npos) return false;
  std::size_t pos = 0;
  while (true) {
    auto slash = rel.find('/', pos);
    std::string_view part =
        rel.substr(pos, slash == std::string_view::npos ? rel.npos : slash - pos);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    pos = slash + 1;
  }
}

// What a FanoutLayout must return for a valid hash: h[0:w0]/h[w0:w0+w1]/.../h.
std::string reference_fanout_path(const std::vector<std::size_t>& widths, std::string_view h) {
  std::string rel;
  std::size_t pos = 0;
  for (auto w : widths) {
    rel.append(h.substr(pos, w));
    rel += '/';
    pos += w;
  }
  rel.append(h);
  return rel;
}

void check_validation(std::string_view s) {
  // (Each throw costs a syscall under ASan; a few minimum lengths cover every branch.)
  for (std::size_t min :
       {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{129}, s.size(), s.size() + 1}) {
    bool expected = reference_valid(s, min);
    CAS_FUZZ_CHECK(cas::is_valid_hash(s, min) == expected, "is_valid_hash", std::to_string(min));
    bool threw = false;
    try {
      cas::validate_hash(s, min);
    } catch (const cas::InvalidHashError& e) {
      threw = true;
      CAS_FUZZ_CHECK(e.hash() == s, "validate_hash", e.hash());
    } catch (...) {
      fail("validate_hash throws only InvalidHashError", "-", std::to_string(min));
    }
    CAS_FUZZ_CHECK(threw == !expected, "validate_hash", std::to_string(min));
  }
}

// lookup(h): InvalidHashError exactly for invalid hashes; otherwise a path under the root that
// path_to_hash and contains map back to h.
void check_lookup(const cas::Layout& layout, std::string_view h) {
  const std::string name(layout.name());
  bool valid = reference_valid(h, layout.min_hash_length());
  std::string rel;
  try {
    rel = layout.lookup(h);
  } catch (const cas::InvalidHashError& e) {
    CAS_FUZZ_CHECK(!valid, name, "lookup rejected a valid hash");
    CAS_FUZZ_CHECK(e.hash() == h, name, e.hash());
    return;
  } catch (...) {
    fail("lookup throws only InvalidHashError", name, h);
  }
  CAS_FUZZ_CHECK(valid, name, "lookup accepted an invalid hash: " + rel);
  CAS_FUZZ_CHECK(stays_under_root(rel), name, rel);
  if (auto fanout = dynamic_cast<const cas::FanoutLayout*>(&layout)) {
    CAS_FUZZ_CHECK(rel == reference_fanout_path(fanout->widths(), h), name, rel);
  }
  auto slash = rel.rfind('/');
  CAS_FUZZ_CHECK(slash != std::string::npos, name, rel);
  std::string_view dir = std::string_view(rel).substr(0, slash);
  std::string_view file = std::string_view(rel).substr(slash + 1);
  // Every layout but bazel-repo names the file by its hash; bazel-repo names its directory.
  if (dynamic_cast<const cas::BazelRepoLayout*>(&layout)) {
    CAS_FUZZ_CHECK(dir == h && file == "file", name, rel);
  } else {
    CAS_FUZZ_CHECK(file == h, name, rel);
  }
  CAS_FUZZ_CHECK(layout.hash_at(rel, file) == h, name, rel);
  std::string back;
  try {
    back = layout.path_to_hash(rel);
  } catch (...) {
    fail("path_to_hash(lookup(h)) does not throw", name, rel);
  }
  CAS_FUZZ_CHECK(back == h, name, back);
  try {
    CAS_FUZZ_CHECK(layout.contains(rel, h), name, rel);
    CAS_FUZZ_CHECK(!layout.contains(dir, h), name, rel);  // the directory alone is not it
    CAS_FUZZ_CHECK(!layout.contains(std::string(dir) + "//" + std::string(file), h), name, rel);
    CAS_FUZZ_CHECK(!layout.contains(file, h), name, rel);
  } catch (...) {
    fail("contains never throws", name, rel);
  }
}

// path_to_hash(p): throws a cas::Error, or returns a valid hash whose lookup is exactly p (the
// inverse of lookup: a path this layout never produces is not one of its paths).
std::string check_path_to_hash(const cas::Layout& layout, std::string_view p) {
  const std::string name(layout.name());
  std::string h;
  try {
    h = layout.path_to_hash(p);
  } catch (const cas::Error&) {
    return {};
  } catch (...) {
    fail("path_to_hash throws only cas::Error", name, p);
  }
  CAS_FUZZ_CHECK(reference_valid(h, layout.min_hash_length()), name, h);
  std::string rel;
  try {
    rel = layout.lookup(h);
  } catch (...) {
    fail("lookup(path_to_hash(p)) does not throw", name, h);
  }
  CAS_FUZZ_CHECK(rel == p, name, rel);
  CAS_FUZZ_CHECK(layout.path_to_hash(rel) == h, name, rel);
  return h;
}

// hash_at(p, last component of p) never throws and is the hash path_to_hash(p) returns, or
// empty exactly when p is not one of the layout's paths (how a store-wide walk sees a file).
void check_hash_at(const cas::Layout& layout, std::string_view p, const std::string& hash) {
  const std::string name(layout.name());
  auto slash = p.rfind('/');
  std::string_view last = slash == std::string_view::npos ? p : p.substr(slash + 1);
  std::string_view got;
  try {
    got = layout.hash_at(p, last);
  } catch (...) {
    fail("hash_at never throws", name, p);
  }
  CAS_FUZZ_CHECK(got == hash, name, std::string(p) + " -> " + std::string(got));
}

// contains(rel_path, file) never throws and is true exactly when lookup(file) == rel_path
// (IPS's definition: rel_path is the file's whole root-relative path).
bool check_contains(const cas::Layout& layout, std::string_view rel_path, std::string_view file) {
  const std::string name(layout.name());
  bool result = false;
  try {
    result = layout.contains(rel_path, file);
  } catch (...) {
    fail("contains never throws", name, file);
  }
  bool expected =
      reference_valid(file, layout.min_hash_length()) && layout.lookup(file) == rel_path;
  CAS_FUZZ_CHECK(result == expected, name, std::string(rel_path) + " | " + std::string(file));
  return result;
}

// Every property of `layout` on s; returns whether s is one of its paths.
bool check_layout(const cas::Layout& layout, std::string_view s) {
  check_lookup(layout, s);
  std::string hash = check_path_to_hash(layout, s);
  check_hash_at(layout, s, hash);
  bool is_path = !hash.empty();
  auto slash = s.rfind('/');
  check_contains(layout, s, slash == std::string_view::npos ? s : s.substr(slash + 1));
  return is_path;
}

// A reference parser for the registry's grammar: "v0", "v1", "bazel-repo", or "fanout:" followed by
// 1 to 8 comma-separated decimal widths, each 1 to 32 (leading zeros allowed).
bool reference_spec_ok(std::string_view spec) {
  if (spec == "v0" || spec == "v1" || spec == "bazel-repo") return true;
  constexpr std::string_view kFanout = "fanout:";
  if (spec.substr(0, kFanout.size()) != kFanout) return false;
  std::string_view rest = spec.substr(kFanout.size());
  std::size_t levels = 0;
  while (true) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    if (part.empty()) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    while (part.size() > 1 && part.front() == '0') part.remove_prefix(1);
    if (part.size() > 2) return false;
    int w = std::stoi(std::string(part));
    if (w < 1 || w > 32) return false;
    if (++levels > 8) return false;
    if (comma == std::string_view::npos) return true;
    rest = rest.substr(comma + 1);
  }
}

// layout_by_name(spec): a layout, or cas::InvalidArgumentError (its documented error), a
// cas::Error.
std::shared_ptr<const cas::Layout> check_layout_by_name(std::string_view spec) {
  std::shared_ptr<const cas::Layout> layout;
  try {
    layout = cas::layout_by_name(spec);
  } catch (const cas::Error&) {
  } catch (...) {
    fail("layout_by_name throws only cas::Error", "-", spec);
  }
  CAS_FUZZ_CHECK(static_cast<bool>(layout) == reference_spec_ok(spec), "layout_by_name", spec);
  if (!layout) return nullptr;
  CAS_FUZZ_CHECK(layout->min_hash_length() >= 1, layout->name(), spec);
  auto again = cas::layout_by_name(layout->name());
  CAS_FUZZ_CHECK(again && again->name() == layout->name(), layout->name(), spec);
  if (auto fanout = dynamic_cast<const cas::FanoutLayout*>(layout.get())) {
    std::size_t sum = 0;
    for (auto w : fanout->widths()) sum += w;
    CAS_FUZZ_CHECK(sum == layout->min_hash_length(), layout->name(), spec);
  }
  return layout;
}

void check_layouts_by_names(std::string_view names) {
  std::vector<std::shared_ptr<const cas::Layout>> list;
  try {
    list = cas::layouts_by_names(names);
  } catch (const cas::Error&) {
    return;
  } catch (...) {
    fail("layouts_by_names throws only cas::Error", "-", names);
  }
  CAS_FUZZ_CHECK(!list.empty(), "layouts_by_names", names);
  for (std::size_t i = 0; i < list.size(); ++i) {
    CAS_FUZZ_CHECK(list[i] != nullptr, "layouts_by_names", names);
    for (std::size_t j = 0; j < i; ++j) {
      CAS_FUZZ_CHECK(list[i]->name() != list[j]->name(), "layouts_by_names", names);
    }
  }
}

struct FuzzStore {
  std::unique_ptr<cas::Store> store;
  std::string root;  // the root as the store reports it
};

std::vector<FuzzStore> make_stores() {
  // Constructing a Store touches nothing on disk; preferred_path never does. The root need
  // not exist, and is never created.
  std::vector<FuzzStore> stores;
  auto add = [&](const std::string& root, std::vector<std::shared_ptr<const cas::Layout>> ls) {
    cas::StoreOptions options;
    options.layouts = std::move(ls);
    FuzzStore s;
    s.store = std::make_unique<cas::Store>(root, std::move(options));
    s.root = s.store->root().string();
    stores.push_back(std::move(s));
  };
  std::string tmp = "/tmp/cas-fuzz-root-" + std::to_string(::getpid());
  add(tmp, cas::default_layouts());
  add(tmp + "/./sub/../x//", {cas::layout_by_name("fanout:2,2"), cas::layout_by_name("v0")});
  add("/", cas::default_layouts());
  return stores;
}

void check_preferred_path(const FuzzStore& fs, std::string_view h) {
  const auto& preferred = *fs.store->layouts().front();
  const std::string name = "store " + fs.root;
  boost::filesystem::path p;
  try {
    p = fs.store->preferred_path(h);
  } catch (const cas::InvalidHashError&) {
    CAS_FUZZ_CHECK(!reference_valid(h, preferred.min_hash_length()), name, h);
    return;
  } catch (...) {
    fail("preferred_path throws only InvalidHashError", name, h);
  }
  CAS_FUZZ_CHECK(reference_valid(h, preferred.min_hash_length()), name, h);
  std::string abs = p.string();
  std::string prefix = fs.root == "/" ? "/" : fs.root + "/";
  CAS_FUZZ_CHECK(abs.size() > prefix.size() && abs.compare(0, prefix.size(), prefix) == 0, name,
                 abs);
  std::string_view rel = std::string_view(abs).substr(prefix.size());
  CAS_FUZZ_CHECK(stays_under_root(rel), name, abs);
  CAS_FUZZ_CHECK(rel == preferred.lookup(h), name, abs);
  // Lexically too: normalizing both sides leaves exactly rel below the root.
  auto inside = p.lexically_normal().lexically_relative(fs.store->root().lexically_normal());
  CAS_FUZZ_CHECK(inside.string() == rel, name, abs);
}

struct Fixture {
  std::vector<std::shared_ptr<const cas::Layout>> layouts;
  std::shared_ptr<const cas::Layout> v0, v1;
  std::vector<FuzzStore> stores;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture f;
    f.v1 = cas::layout_by_name("v1");
    f.v0 = cas::layout_by_name("v0");
    f.layouts = {f.v1, f.v0};
    // fanout:32,32,32,32 takes every character of a 128-character hash for directories;
    // fanout:32,32,32,32,32 needs more than any hash has, so nothing is valid for it.
    for (const char* spec : {"bazel-repo", "fanout:2,2", "fanout:1,3,2", "fanout:1,1,1,1,1,1,1,1",
                             "fanout:32,32,32,32", "fanout:32,32,32,32,32"}) {
      f.layouts.push_back(cas::layout_by_name(spec));
    }
    f.stores = make_stores();
    return f;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = fixture();
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  g_input = s;

  check_validation(s);
  // The default layouts are disjoint: no path and no (directory, name) belongs to both.
  bool in_v1 = false, in_v0 = false;
  for (const auto& layout : f.layouts) {
    bool in = check_layout(*layout, s);
    if (layout == f.v1) in_v1 = in;
    if (layout == f.v0) in_v0 = in;
  }
  CAS_FUZZ_CHECK(!(in_v1 && in_v0), "v1+v0", s);

  if (auto layout = check_layout_by_name(s)) {
    static const std::string kLongest(cas::kMaxHashLength, 'e');
    for (std::size_t n : {std::size_t{1}, layout->min_hash_length(), kLongest.size()}) {
      check_layout(*layout, std::string_view(kLongest).substr(0, n));
    }
  }
  check_layouts_by_names(s);
  for (const auto& store : f.stores) check_preferred_path(store, s);

  auto newline = s.find('\n');
  if (newline != std::string_view::npos) {
    std::string_view a = s.substr(0, newline);
    std::string_view b = s.substr(newline + 1);
    in_v1 = in_v0 = false;
    for (const auto& layout : f.layouts) {
      bool in = check_contains(*layout, a, b);
      if (layout == f.v1) in_v1 = in;
      if (layout == f.v0) in_v0 = in;
    }
    CAS_FUZZ_CHECK(!(in_v1 && in_v0), "v1+v0", s);
    if (auto layout = check_layout_by_name(a)) check_layout(*layout, b);
    for (const auto& store : f.stores) check_preferred_path(store, b);
  }
  return 0;
}
