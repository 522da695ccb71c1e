// SIGINT/SIGTERM/SIGHUP: remove the named temps, then die of the signal.
#include "exit_signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <thread>

#include "cas/store.hpp"

namespace cas::cli {
namespace {

sigset_t exit_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

[[noreturn]] void wait_and_exit(sigset_t set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  cas::discard_temp_files_for_exit();
  // Die of the signal itself, as an uncaught one would have killed the process.
  ::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  ::raise(sig);
  for (;;) ::pause();  // the signal is delivered before raise returns
}

}  // namespace

void handle_exit_signals() {
  sigset_t set = exit_signals();
  // A signal ignored when cas started (nohup, a background job of a non-interactive shell)
  // stays ignored.
  struct sigaction old {};
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) sigdelset(&set, sig);
  }
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;
  std::thread(wait_and_exit, set).detach();
}

}  // namespace cas::cli
