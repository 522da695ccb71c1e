// Internal (not installed; for the in-repo tools through the cas-internal target): a run of a
// store-wide operation limited to a part of the store, so that one job can be split across
// processes or machines (cas-mpi) or a search kept to a few directories (cas path's prefixes).
// OperationOptions::scope holds one; the engine (store_engine.cpp) asks it about each entry.
//
// Runs over disjoint scopes that together cover every name add up to one run over the whole
// store (stats: with merge_stats, src/ops/stats_merge.hpp): each run removes only its own
// emptied directories; purge removes the emptied quarantine directory, and stats counts pins,
// only when the scope covers ".cas-quarantine" and ".cas-pins". trim's cutoff is store-wide: it
// refuses a scope (the split trim is src/store/trim_split.hpp).
//
// Thread-safety: the functions are called concurrently from the walker's threads.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "cas/operations.hpp"

namespace cas::detail {

struct Scope {
  // Asked about each name directly under the root (hash-prefix directories such as "58", which
  // hold every hash that starts with 58 under v1, v0 and every fanout:2,... layout;
  // unrecognized top-level entries; the hidden ".cas-*" areas): the run covers only the names
  // it returns true for, with everything below them. Unset: every name.
  std::function<bool(std::string_view top_level_name)> top;
  // Finer, for splitting a top-level directory. Unset: everything below a covered top-level name
  // is covered. Set, it is asked (top_level_name, name) about each entry directly inside a
  // covered top-level directory, and the run covers only the entries it returns true for, with
  // everything below them; and once as (top_level_name, "") about the covered top-level entry
  // itself, which the run handles (stats counts the directory and whether it is empty; a
  // top-level file is visited) only when that returns true. A covered top-level directory is
  // entered either way, and every run that enters it tries to remove it once it is emptied
  // (purge, migrate, gc, sync --delete): the last run to leave it succeeds, and only a removal
  // that succeeds counts. So runs whose sub-scopes cover each entry once, and each top-level
  // entry itself once, add up to one run.
  std::function<bool(std::string_view top_level_name, std::string_view name)> sub;
};

// Limits `options` to `scope`.
inline void set_scope(OperationOptions& options, Scope scope) {
  options.scope = std::make_shared<const Scope>(std::move(scope));
}

// Whether `options` is limited to a part of the store.
inline bool is_scoped(const OperationOptions& options) {
  return options.scope && (options.scope->top || options.scope->sub);
}

// Whether `options` covers the top-level name `name` (always, when no scope is set).
inline bool in_scope(const OperationOptions& options, std::string_view name) {
  return !options.scope || !options.scope->top || options.scope->top(name);
}

// Whether `options` covers `name` directly inside the covered top-level directory `top` (with
// `name` empty: the top-level entry itself); always, when no sub-scope is set.
inline bool in_sub_scope(const OperationOptions& options, std::string_view top,
                         std::string_view name) {
  return !options.scope || !options.scope->sub || options.scope->sub(top, name);
}

}  // namespace cas::detail
