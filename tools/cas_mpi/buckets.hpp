// The buckets a cas-mpi job is cut into: one per two-hex-digit prefix ("00" ... "ff", which
// hold every hash starting with those digits under v1, v0 and every fanout:2,... layout), and
// one "rest" bucket for every other name under the root (unrecognized entries, the hidden
// .cas-* areas). The list depends only on the layouts' shape, never on the store's content, so
// every rank and every resumed run agree on it without reading anything.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace cas::mpi {

// 256 prefix buckets and the rest.
inline constexpr std::size_t kBuckets = 257;
inline constexpr std::size_t kRestBucket = 256;

// The bucket a top-level name belongs to.
std::size_t bucket_of(std::string_view top_level_name);

// "00" ... "ff", or "rest": how a checkpoint names the bucket.
std::string bucket_name(std::size_t bucket);

// The OperationOptions::scope of one bucket.
std::function<bool(std::string_view)> bucket_scope(std::size_t bucket);

}  // namespace cas::mpi
