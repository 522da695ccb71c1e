#include "bulk_command.hpp"

#include <iostream>

#include "diagnostics.hpp"

namespace cas::cli {

// Beyond this many threads there is nothing to win on any disk and the kernel suffers.
constexpr unsigned kMaxThreads = 1024;

void add_threads_option(CLI::App* command, unsigned& threads) {
  command
      ->add_option("-j,--threads", threads,
                   "Files operated on at once: the walker's threads (0: the library's default, "
                   "tuned for cold caches)")
      ->type_name("N")
      ->check(CLI::Range(0u, kMaxThreads).description(""));
}

void add_bulk_options(CLI::App* command, BulkArgs& args) {
  add_threads_option(command, args.threads);
  command->add_flag("-n,--dry-run", args.dry_run,
                    "Count what would be done; change nothing (the summary says dry_run=1)");
}

void set_operation_options(cas::OperationOptions& options, unsigned threads, ProgressBar& bar) {
  options.threads = threads;
  if (bar.enabled()) {
    options.progress = bar.callback();
    options.count_first = true;
  }
}

int finish_operation(Context& context, std::string_view command, ProgressBar& bar,
                     const cas::OperationErrors& errors, const std::string& summary, bool partial) {
  bar.finish();
  print_operation_errors(command, errors);
  if (!context.quiet()) std::cout << summary << '\n';
  return errors.failed > 0 || partial ? kExitFailed : kExitOk;
}

}  // namespace cas::cli
