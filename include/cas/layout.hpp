// Layouts: where a file named by its hash lives under a store's root.
//
// A Layout is a pure string function with no I/O: lookup() maps a hash to a root-relative path
// ('/'-separated) and path_to_hash() maps such a path back. Placement follows the IPS (Solaris
// pkg(5)) file_layout design:
//
//   V1Layout (preferred)  h[0:2]/h          one level of 256 directories
//   V0Layout (legacy)     h[0:2]/h[2:8]/h   ~one second-level directory per file
//   FanoutLayout          e.g. "fanout:2,2" = ab/cd/abcd...; "fanout:2" maps like V1
//   BazelRepoLayout       h/file             Bazel's repository cache ("bazel-repo")
//
// A hash is lowercase hex ([0-9a-f]), at most kMaxHashLength characters and at least as long
// as the layout's prefix (V0: 8, V1: 2). Anything else is rejected with InvalidHashError, so
// no input can produce an absolute path, a ".." component or a path outside the root.
//
// Thread-safety: layouts are immutable; one instance may be shared by any number of threads.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cas {

// The longest hash accepted anywhere (a sha512 digest in hex).
inline constexpr std::size_t kMaxHashLength = 128;

// Throws InvalidHashError unless `hash` is lowercase hex of min_length..kMaxHashLength
// characters. min_length is at least 1.
void validate_hash(std::string_view hash, std::size_t min_length = 1);

// Returns true iff validate_hash(hash, min_length) would not throw.
bool is_valid_hash(std::string_view hash, std::size_t min_length = 1) noexcept;

class Layout {
 public:
  virtual ~Layout() = default;

  // A short name that layout_by_name() accepts ("v0", "v1", "fanout:2,2").
  virtual std::string_view name() const = 0;

  // The number of leading hash characters the layout uses for directories; shorter hashes
  // are invalid for it.
  virtual std::size_t min_hash_length() const = 0;

  // Returns the root-relative path of `hash`, e.g. "ab/abcdef..." for V1.
  // Throws InvalidHashError when `hash` is not valid for this layout.
  virtual std::string lookup(std::string_view hash) const = 0;

  // Returns the hash stored at the root-relative path `rel_path` (the inverse of lookup).
  // Throws InvalidHashError when `rel_path` is not a path this layout produces.
  virtual std::string path_to_hash(std::string_view rel_path) const = 0;

  // Returns true iff lookup(file_name) == rel_path, as IPS file_layout's contains(): `rel_path`
  // is the file's whole root-relative path, so a file found at `rel_path` is where this layout
  // puts it. For V1, contains("58/584b6ab7...", "584b6ab7...") is true, while the directory
  // alone, contains("58", "584b6ab7..."), is false. Never throws: an invalid name yields false.
  virtual bool contains(std::string_view rel_path, std::string_view file_name) const;

  // The hash of the file found at `rel_path` (its last component `file_name`) when this layout
  // places a file there, else an empty view: how a store-wide walk recognizes content. The view
  // points into `rel_path` or `file_name`. By default the file name is the hash (contains());
  // BazelRepoLayout names every file "file" and its directory by the hash. Never throws.
  virtual std::string_view hash_at(std::string_view rel_path, std::string_view file_name) const;

 protected:
  // The directory part of lookup(hash) (without "/" and the file name), for contains().
  // Called only with a hash valid for this layout.
  virtual std::string directory_of(std::string_view hash) const;
};

// h[0:w0]/h[w0:w0+w1]/.../h : directories named by consecutive slices of the hash.
// Widths are 1..32 each, 1..8 levels.
class FanoutLayout : public Layout {
 public:
  // Throws InvalidArgumentError for an empty or out-of-range list of widths.
  explicit FanoutLayout(std::vector<std::size_t> widths, std::string name = {});

  std::string_view name() const override { return name_; }
  std::size_t min_hash_length() const override { return prefix_; }
  std::string lookup(std::string_view hash) const override;
  std::string path_to_hash(std::string_view rel_path) const override;
  const std::vector<std::size_t>& widths() const { return widths_; }

 protected:
  std::string directory_of(std::string_view hash) const override;

 private:
  std::vector<std::size_t> widths_;
  std::size_t prefix_;  // sum of widths_, and at least 1
  std::string name_;
};

// The legacy IPS layout: h[0:2]/h[2:8]/h.
class V0Layout final : public FanoutLayout {
 public:
  V0Layout();
};

// The preferred IPS layout: h[0:2]/h.
class V1Layout final : public FanoutLayout {
 public:
  V1Layout();
};

// Bazel's repository cache (`--repository_cache=DIR`, the store's root being
// DIR/content_addressable/sha256): hash h at h/file. Bazel reads nothing else there but, with
// `canonical_id`, a file `id-<sha256 of the id>` beside `file`, which a store sees as
// unrecognized (left alone by every operation).
class BazelRepoLayout final : public Layout {
 public:
  std::string_view name() const override { return "bazel-repo"; }
  std::size_t min_hash_length() const override { return 1; }
  std::string lookup(std::string_view hash) const override;
  std::string path_to_hash(std::string_view rel_path) const override;
  std::string_view hash_at(std::string_view rel_path, std::string_view file_name) const override;
  // True iff rel_path is "<file_name>/file" (file_name a valid hash): the base class's version
  // assumes a file named by its hash.
  bool contains(std::string_view rel_path, std::string_view file_name) const override;
};

// Returns {V1, V0}: the lookup order of a store, the first being preferred.
std::vector<std::shared_ptr<const Layout>> default_layouts();

// Returns V1.
std::shared_ptr<const Layout> preferred_layout();

// Returns the layout called `name`: "v0", "v1", "bazel-repo", or "fanout:W[,W...]" (e.g.
// "fanout:2,2"; "fanout:2" places files as "v1" does). Throws InvalidArgumentError naming the input
// for anything else.
std::shared_ptr<const Layout> layout_by_name(std::string_view name);

// Parses a comma-separated list such as "v1,v0" (the CLI's --layouts). Throws
// InvalidArgumentError for an unknown name, a duplicate or an empty list.
std::vector<std::shared_ptr<const Layout>> layouts_by_names(std::string_view names);

}  // namespace cas
