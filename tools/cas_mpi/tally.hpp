// Tally: what one bucket of a cas-mpi job produced, as it travels from the rank that ran it to
// rank 0 (and, its counts only, into the checkpoint): the command's counts in the order of its
// summary line, the first per-file error messages, and notes (verify's corrupt paths).
//
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cas::mpi {

struct Tally {
  std::vector<std::uint64_t>
      counts;                       // the command's fields (stats: stats_counts in check_jobs.cpp)
  std::vector<std::string> errors;  // "<path>: <reason>", the first OperationErrors::kMaxErrors
  std::vector<std::string> notes;   // verify: root-relative paths of corrupt files
  std::uint64_t files = 0;          // files the bucket's walk visited (for --stats-per-rank)
  std::uint64_t bytes = 0;          // bytes it processed (read or counted)
};

// A byte string that decode() turns back into the same Tally (names may hold any byte).
std::string encode(const Tally& tally);

// Throws std::runtime_error when `bytes` is not what encode() wrote.
Tally decode(const std::string& bytes);

// Adds `part` to `into`: counts elementwise (the longer length wins), errors up to
// OperationErrors::kMaxErrors (cas::keep_error), every note.
void add(Tally& into, const Tally& part);

}  // namespace cas::mpi
