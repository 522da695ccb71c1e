// The buckets a cas-mpi job is cut into: each two-hex-digit prefix ("00" ... "ff", which hold
// every hash starting with those digits under v1, v0 and every fanout:2,... layout) cut into
// `split` parts (1, 2, 4, 8 or 16), and one "rest" bucket for every other name under the root
// (unrecognized entries, the hidden .cas-* areas). A part holds the entries directly inside the
// prefix directory whose hash digit after the prefix falls in its range of the 16 digits: h[2]
// of a file name (v1: "58/58a3..."), the first digit of a v0 or fanout subdirectory
// ("58/a3c2f1/", "58/a3/"), which is the same h[2]. So a file and every place a layout gives it
// are in one part (migrate and sync write only inside the part they walk). Part 0 also owns the
// prefix entry itself (stats counts the directory once). Names that are no hash digit go to part 0.
//
// The list depends only on the split, never on the store's content, so every rank and every
// resumed run agree on it without reading anything. More parts balance better (each rank takes
// more, smaller buckets) but cost a read of the prefix directory per part and one engine run per
// bucket: split_for() picks the fewest that give each rank at least kBucketsPerRank buckets.
//
// Thread-safety: set_split() once per job on the main thread (run_job does, the same value on
// every rank) before any bucket runs; the rest are pure functions of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cas/operations.hpp"

namespace cas::mpi {

inline constexpr unsigned kMaxSplit = 16;
inline constexpr std::size_t kBucketsPerRank = 128;

// The split a job of `ranks` ranks uses unless told: the smallest power of two up to kMaxSplit
// that gives every rank kBucketsPerRank buckets.
unsigned split_for(int ranks);

// Whether `split` is one of 1, 2, 4, 8, 16.
bool valid_split(unsigned split);

// Sets the split of this job (a valid one).
void set_split(unsigned split);
unsigned split();

// 256 × split prefix buckets, then the rest.
std::size_t bucket_count();
std::size_t rest_bucket();

// "58" (split 1), "58.3" (part 3 of prefix 58), or "rest": how a checkpoint names the bucket.
std::string bucket_name(std::size_t bucket);

// The bucket named `name` under the current split, if any.
std::optional<std::size_t> bucket_by_name(std::string_view name);

// The part (0 ... split - 1) of `name`, an entry directly inside the prefix directory `top`.
unsigned part_of(std::string_view top, std::string_view name);

// Whether the bucket covers the top-level name `top` (its prefix, or the rest).
bool covers_top(std::size_t bucket, std::string_view top);

// Limits `options` to the bucket (a scope, src/store/scope.hpp: its sub-scope when split > 1).
void limit_to(OperationOptions& options, std::size_t bucket);

}  // namespace cas::mpi
