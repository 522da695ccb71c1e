// Internal: the named temp files this process is writing, in every store, so that a program
// dying of SIGINT or SIGTERM can remove them first (cas::discard_temp_files_for_exit).
// Anonymous (O_TMPFILE) temps are not listed: the kernel frees them when the process dies.
//
// A name is added before the file is created and erased once it is unlinked or renamed to
// its final name, so at every instant each named temp that exists is listed.
//
// Thread-safety: every call may be made from many threads at once.
#pragma once

#include <string>

namespace cas::detail {

// Lists `path` (absolute) before it is created. Blocks for good once
// discard_temp_files_for_exit() has run: the process is about to die, and no new temp may
// appear behind the cleanup.
void add_named_temp(const std::string& path);

// Unlists `path` once it no longer exists under that name. Unknown names are ignored.
void erase_named_temp(const std::string& path);

}  // namespace cas::detail
