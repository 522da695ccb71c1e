// What the store-wide commands (migrate, purge, gc, sync, verify, stats) share: the thread
// count, the progress bar wiring, and how a result becomes errors, a summary and an exit code.
//
// Thread-safety: main thread only (the progress callback is the bar's business).
#pragma once

#include <string>
#include <string_view>

#include "cas/operations.hpp"
#include "context.hpp"
#include "progress_bar.hpp"

namespace cas::cli {

// Adds `-j/--threads N` to a bulk command, storing into `threads` (0: the library's default).
void add_threads_option(CLI::App* command, unsigned& threads);

// Sets the options every bulk operation shares: the thread count and, when `bar` is drawn,
// the progress callback and count_first (so that the bar knows the total and can show an ETA;
// the extra listing is not paid when nobody watches).
void set_operation_options(cas::OperationOptions& options, unsigned threads, ProgressBar& bar);

// Ends a bulk command: closes the bar, prints the result's errors on stderr, prints `summary`
// on stdout unless --quiet, and returns kExitFailed when any file failed or `partial` is set,
// else kExitOk.
int finish_operation(Context& context, std::string_view command, ProgressBar& bar,
                     const cas::OperationErrors& errors, const std::string& summary,
                     bool partial = false);

}  // namespace cas::cli
