// What the store-wide commands (migrate, purge, gc, sync, verify, stats) share: the thread
// count, the progress bar wiring, and how a result becomes errors, a summary and an exit code.
//
// Thread-safety: main thread only (the progress callback is the bar's business).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "cas/operations.hpp"
#include "context.hpp"
#include "output.hpp"
#include "progress_bar.hpp"

namespace cas::cli {

// What every bulk command takes: -j/--threads and, for those that change the store,
// -n/--dry-run (add_bulk_options adds both; a command without --dry-run leaves it false).
struct BulkArgs {
  unsigned threads = 0;
  bool dry_run = false;
};

// Adds `-j/--threads N` to a bulk command, storing into `threads` (0: the library's default).
void add_threads_option(CLI::App* command, unsigned& threads);

// Adds -j/--threads and -n/--dry-run to a bulk command that changes the store.
void add_bulk_options(CLI::App* command, BulkArgs& args);

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

// How a bulk command's result ends its output: the summary's fields and whether the command
// counts as partial although no file failed (verify's mismatching files).
struct BulkSummary {
  BulkSummary(Counts counts, bool partial = false) : counts(std::move(counts)), partial(partial) {}
  Counts counts;
  bool partial;
};

// The body of a bulk command once its own checks are done: draws the bar labelled `command`,
// sets the shared options (threads, progress, dry_run from `args`) on `options`, runs
// `operation(store, options)`, closes the bar, then calls `summarize(result)` (which may print
// on stderr) and ends as finish_operation does with "<command>: k=v ..." from its fields.
template <typename Options, typename Operation, typename Summarize>
int run_bulk(Context& context, const std::string& command, const BulkArgs& args, Options options,
             Operation operation, Summarize summarize) {
  ProgressBar bar(command, context.show_progress());
  set_operation_options(options, args.threads, bar);
  options.dry_run = args.dry_run;
  const auto result = operation(context.store(), options);
  bar.finish();
  const BulkSummary summary = summarize(result);
  return finish_operation(context, command, bar, result,
                          summary_line(command, summary.counts, args.dry_run), summary.partial);
}

}  // namespace cas::cli
