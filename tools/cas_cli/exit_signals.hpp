// What `cas` does when it is interrupted: SIGINT, SIGTERM and SIGHUP are waited for by a
// thread of their own, which removes the named temp files the process is writing
// (cas::discard_temp_files_for_exit) and then lets the signal end the process as it would have
// (so the shell sees "killed by SIGINT", exit status 130). Where the filesystem has O_TMPFILE
// the temps are anonymous and nothing needs removing; SIGKILL cannot be caught, and only
// anonymous temps are safe from it.
//
// Thread-safety: call once, from main, before any other thread starts (the signals are blocked
// in the calling thread, and every thread started afterwards inherits that).
#pragma once

namespace cas::cli {

void handle_exit_signals();

}  // namespace cas::cli
