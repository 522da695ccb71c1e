// Internal: the checks every checkout entry passes before anything is touched, as hashes are
// checked: a relative path that cannot leave the destination's root.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "cas/checkout.hpp"

namespace cas::detail {

// Throws InvalidArgumentError naming `path` unless it is relative, '/'-separated, with no
// empty, "." or ".." component and no NUL byte.
void check_entry_path(std::string_view path);

// Checks every entry's hash (validate_hash: InvalidHashError) and path (check_entry_path), and
// throws InvalidArgumentError for a path given twice or one that is also another entry's
// directory ("a" and "a/b").
void check_entries(const std::vector<CheckoutEntry>& entries);

}  // namespace cas::detail
